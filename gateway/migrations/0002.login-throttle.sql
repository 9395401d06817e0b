-- Sign-in throttling shared by every gateway replica, and the audit trail of sign-in attempts.

-- One row per counter of failed sign-ins: 'name:<name>', 'address:<ip>' or 'pair:<name>@<ip>'
-- (see gateway/app/throttle.py for the policy). A counter forgets after a quiet window.
CREATE TABLE login_throttle (
    key              TEXT PRIMARY KEY,
    failures         INTEGER NOT NULL CHECK (failures > 0),
    last_failure_at  TIMESTAMPTZ NOT NULL,
    blocked_until    TIMESTAMPTZ
);
CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure_at);

-- Where a name has signed in successfully: there it is judged by its own (name, address) counter, so a
-- storm on the name from elsewhere does not lock the real user out at their usual desk.
CREATE TABLE login_known_address (
    name_key         TEXT NOT NULL,
    address          TEXT NOT NULL,
    last_success_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (name_key, address)
);

-- Every sign-in attempt: who asked (the name as typed), from where, and what came of it.
CREATE TABLE auth_event (
    id              BIGSERIAL PRIMARY KEY,
    at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    username        TEXT NOT NULL,
    address         TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'throttled')),
    detail          TEXT,                   -- for throttled: which counter refused (name, address, pair)
    correlation_id  TEXT
);
CREATE INDEX auth_event_username_at ON auth_event (username, at);
CREATE INDEX auth_event_address_at ON auth_event (address, at);
