-- An event's position: given by the relay when it publishes the event, from a sequence, so a position
-- is drawn only after the event's transaction committed. A snapshot that sees positions up to P
-- therefore reflects every event with a position <= P, and every event it does not reflect gets a
-- greater one (outbox ids, drawn at insert, do not promise that: a transaction can commit after a later
-- one). A row published again after a crash gets a new position; consumers' inboxes absorb the repeat.
CREATE SEQUENCE outbox_position;
ALTER TABLE outbox ADD COLUMN position BIGINT UNIQUE;
