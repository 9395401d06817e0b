-- The trail is read by record (audit_log_entity) or by who did it, newest first (audit_grpc.py): what one
-- clerk changed today is a range of this index, not a scan of every change ever made.
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log (actor, at);
