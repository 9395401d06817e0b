-- Who changed what, when: one row per change a person (or a sync) made, in every service's schema
-- (services/common/audit.py). IF NOT EXISTS adopts the table the customer service created in its own
-- 0001 before the trail was shared.
CREATE TABLE IF NOT EXISTS audit_log (
    id           BIGSERIAL PRIMARY KEY,
    entity       TEXT NOT NULL,
    entity_key   TEXT NOT NULL,
    action       TEXT NOT NULL,
    changes      JSONB NOT NULL DEFAULT '{}',
    actor        TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS audit_log_entity ON audit_log (entity, entity_key);
