-- Conversion campaigns: one digital_conversion work order per analog home of some areas, scheduled against
-- station capacity in one bulk job. The campaign row is also the job's run row (services/common/bulkjob.py:
-- kind, status, started_at, finished_at, counts, error): what a campaign made and how its run went are one
-- record. Campaign numbers are K followed by digits.
CREATE SEQUENCE campaign_no_seq START 80000001;

CREATE TABLE campaign (
    id              BIGSERIAL PRIMARY KEY,
    campaign_no     TEXT NOT NULL UNIQUE DEFAULT 'K' || nextval('campaign_no_seq'),
    kind            TEXT NOT NULL CHECK (kind IN ('conversion')),
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    area_codes      TEXT[] NOT NULL,
    start_day       DATE NOT NULL,
    visits_per_slot INTEGER NOT NULL CHECK (visits_per_slot > 0),
    -- The caller's idempotency key (user:key): the same request again answers this campaign. A failed
    -- campaign made nothing, so the same key may start it again.
    request_id      TEXT,
    requested_by    TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
    started_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at     TIMESTAMPTZ,
    -- orders, skipped, unrouted, stations [{stationCode, stationName, orders, firstDay, lastDay}],
    -- firstDay, lastDay, phases {name: seconds}, elapsed_s
    counts          JSONB NOT NULL DEFAULT '{}',
    error           TEXT
);
CREATE UNIQUE INDEX campaign_request ON campaign (request_id) WHERE status <> 'failed';

-- A campaign's orders (GET /workOrders?campaignNo=), in the list's order. No foreign key to campaign: its
-- check is a trigger per row, and a campaign inserts 600,000 rows that come from the campaign itself.
CREATE INDEX work_order_campaign ON work_order (campaign_id, due_at, created_at, id) WHERE campaign_id IS NOT NULL;

-- A campaign's 600,000 orders have no product order, request id or technician (yet): the indexes on those
-- hold only the orders that have one, instead of an entry per campaign order for nothing. Uniqueness and
-- every lookup (by product order, by request id, a technician's feed) are as before; an INSERT ... ON
-- CONFLICT DO NOTHING without a target still checks every unique index.
ALTER TABLE work_order DROP CONSTRAINT work_order_product_order_no_key;
CREATE UNIQUE INDEX work_order_product_order_no_key ON work_order (product_order_no) WHERE product_order_no IS NOT NULL;
ALTER TABLE work_order DROP CONSTRAINT work_order_request_id_key;
CREATE UNIQUE INDEX work_order_request_id_key ON work_order (request_id) WHERE request_id IS NOT NULL;
DROP INDEX work_order_technician_feed;
CREATE INDEX work_order_technician_feed ON work_order (technician, change_seq) WHERE technician IS NOT NULL;
