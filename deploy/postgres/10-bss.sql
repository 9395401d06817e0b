-- Runs once, when the postgres container initialises an empty data directory
-- (mounted into /docker-entrypoint-initdb.d by docker-compose.yml).
-- The BSS database, each service's role and schema and the pg_trgm extension are created by the
-- migration job (services/common/provision.py). Here only what the demo needs beside it: the two
-- simulated legacy systems as databases of their own, as a real operator's live on their own servers.
CREATE DATABASE legacy_cms;
CREATE DATABASE legacy_sms;
