-- The access log and the sign-in trail are kept for a configured time, then purged by the gateway
-- (retention.py). Both are written in time order, so a block range index finds the expired rows at the
-- table's start for a few pages of index, where a B-tree on the time would grow with every view.
CREATE INDEX pi_access_at ON pi_access USING brin (at);
CREATE INDEX auth_event_at ON auth_event USING brin (at);
