-- Staff who sign in to the gateway, and the answers to POSTs retried with an Idempotency-Key.

CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('counter', 'agent', 'technician', 'supervisor', 'bank', 'admin')),
    password_hash TEXT NOT NULL,              -- argon2id, with its parameters and salt
    active        BOOLEAN NOT NULL DEFAULT true,
    -- Demo users exist only in development and demo mode; production deactivates exactly these,
    -- never a real user who happens to be called "admin".
    demo          BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by    TEXT NOT NULL DEFAULT 'system',
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by    TEXT NOT NULL DEFAULT 'system'
);

-- The first answer to a POST, so the same key sent again returns it instead of acting twice.
-- Keys are per user: two clerks cannot collide, and nobody can replay another's answer.
CREATE TABLE idempotency_key (
    username      TEXT NOT NULL,
    key           TEXT NOT NULL,
    method        TEXT NOT NULL,
    path          TEXT NOT NULL,
    request_hash  TEXT NOT NULL,              -- the same key with a different body is a client error
    status_code   INTEGER,                    -- NULL while the first request is still running
    response_body JSONB,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (username, key)
);
CREATE INDEX idempotency_key_created ON idempotency_key (created_at);
