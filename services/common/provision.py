"""Create what a service's migrations cannot create for themselves: the database, its role and schema.

Runs with the administrative URL (BSS_DB_URL); everything is idempotent so it runs at every start.
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

from .db import connect
from .settings import Settings, service_role


def server_url(url: str, database: str = "postgres") -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


# Text compares byte by byte (code-point order, as C.UTF-8 sorts): the keys every service indexes (numbers,
# references, serials, phones) then sort with abbreviated keys instead of a strcoll() per comparison. The
# character classes stay the server's UTF-8 ones (pg_trgm reads Chinese as letters only under those).
# Without it, the customer service's btree indexes over the bench's million customers cost the server 27.8 s
# of CPU to build against 18.9 s, and more under a server locale such as en_US.UTF-8.
CREATE_DATABASE = """
    SELECT format('CREATE DATABASE %%I TEMPLATE template0 ENCODING ''UTF8'' LC_COLLATE ''C'' LC_CTYPE %%L%%s', %(name)s,
                  CASE WHEN pg_encoding_to_char(encoding) = 'UTF8' THEN datctype ELSE 'C.UTF-8' END,
                  CASE WHEN current_setting('server_version_num')::int >= 150000 THEN ' LOCALE_PROVIDER libc' END)
      FROM pg_database WHERE datname = 'template1'
"""


def ensure_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    conn = connect(server_url(url))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(CREATE_DATABASE, {"name": name})
                try:
                    cur.execute(cur.fetchone()[0])
                except psycopg2.errors.DuplicateDatabase:
                    pass  # another process created it at the same moment
    finally:
        conn.close()


def ensure_service_schema(settings: Settings, service: str, extensions: tuple[str, ...] = (),
                          schemas: tuple[str, ...] = ()) -> None:
    """The service's role owns its schema (and `schemas`); other service roles get no grant on them. The
    extensions its migrations need are created here, since only the administrative account may create them."""
    role = service_role(service)
    # Roles belong to the whole server, not to one database, and an advisory lock only to the database
    # it is taken in: the lock is taken in the server's maintenance database, so provisioning two
    # databases of one server at once (a demo and the tests) never alters one role twice at a time.
    server = connect(server_url(settings.db_url))
    server.autocommit = True
    conn = connect(settings.db_url)
    conn.autocommit = True
    try:
        with server.cursor() as lock, conn.cursor() as cur:
            lock.execute("SELECT pg_advisory_lock(hashtext('bss-provision'))")
            for ext in extensions:
                cur.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA public").format(sql.Identifier(ext)))
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(role)),
                            (settings.db_service_password,))
            else:
                cur.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(role)),
                            (settings.db_service_password,))
            cur.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                sql.Identifier(settings.database_name), sql.Identifier(role)))
            for schema in (service, *schemas):
                cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                    sql.Identifier(schema), sql.Identifier(role)))
            lock.execute("SELECT pg_advisory_unlock(hashtext('bss-provision'))")
    finally:
        conn.close()
        server.close()
