-- Dispatch's own schema: work orders and their history. The customer, premises and service fields are
-- copied into the order when it is created (from service_ordered or the customer service's answer), so
-- a technician's phone gets everything in one read and the order keeps what was true when it was made.
CREATE SEQUENCE work_order_no_seq START 70000001;
-- Every change of a work order takes the next number: the technicians' phones sync by it (?since=).
CREATE SEQUENCE work_order_change_seq;

-- Field stations, known from the first order routed to them (the customer service owns which area a
-- station covers); dispatch keeps their capacity and people.
CREATE TABLE station (
    station_code  TEXT PRIMARY KEY,
    station_name  TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE work_order (
    id                BIGSERIAL PRIMARY KEY,
    work_order_no     TEXT NOT NULL UNIQUE DEFAULT 'W' || nextval('work_order_no_seq'),
    type              TEXT NOT NULL CHECK (type IN ('install', 'repair', 'relocation', 'digital_conversion',
                                                    'equipment_swap', 'disconnect', 'reconnect')),
    state             TEXT NOT NULL DEFAULT 'open'
                      CHECK (state IN ('open', 'scheduled', 'assigned', 'accepted', 'on_site', 'completed',
                                       'cancelled')),
    source            TEXT NOT NULL CHECK (source IN ('product_order', 'fault', 'complaint', 'campaign')),
    -- What it came from: the product order, the caller's request id (a fault call, a complaint's ticket).
    product_order_no  TEXT UNIQUE,
    request_id        TEXT UNIQUE,
    reference         TEXT,
    campaign_id       BIGINT,
    customer_no       TEXT NOT NULL,
    customer_name     TEXT NOT NULL DEFAULT '',
    contact_phone     TEXT NOT NULL DEFAULT '',
    account_no        TEXT,
    service_no        TEXT,
    from_service_no   TEXT,
    kind              TEXT,
    product_code      TEXT,
    product_name      TEXT,
    premises_id       TEXT,
    address           TEXT NOT NULL DEFAULT '',
    area_code         TEXT,
    station_code      TEXT NOT NULL REFERENCES station,
    description       TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    slot_day          DATE,
    slot              TEXT CHECK (slot IN ('AM', 'PM')),
    technician        TEXT,
    due_at            TIMESTAMPTZ,
    on_time           BOOLEAN,
    escalated_at      TIMESTAMPTZ,
    breached_at       TIMESTAMPTZ,
    accepted_at       TIMESTAMPTZ,
    arrived_at        TIMESTAMPTZ,
    completed_at      TIMESTAMPTZ,
    -- What the technician returned: result code, devices installed and removed, readings, notes,
    -- the customer's confirmation code.
    result            JSONB,
    unfinished_count  INTEGER NOT NULL DEFAULT 0,
    unfinished_reason TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by        TEXT NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by        TEXT NOT NULL,
    change_seq        BIGINT NOT NULL DEFAULT nextval('work_order_change_seq'),
    CHECK ((slot_day IS NULL) = (slot IS NULL)),
    CHECK (state NOT IN ('assigned', 'accepted', 'on_site') OR technician IS NOT NULL)
);
CREATE INDEX work_order_station_state ON work_order (station_code, state);
CREATE INDEX work_order_customer ON work_order (customer_no);
CREATE INDEX work_order_service ON work_order (service_no);
CREATE INDEX work_order_premises ON work_order (premises_id);
CREATE INDEX work_order_technician_feed ON work_order (technician, change_seq);
-- The SLA clock looks only at open orders that have a due time.
CREATE INDEX work_order_open_due ON work_order (due_at)
    WHERE due_at IS NOT NULL AND state IN ('open', 'scheduled', 'assigned', 'accepted');

-- An order that left a technician's list (reassigned, rescheduled, cancelled, re-dispatched): their
-- phone's next sync must drop it.
CREATE TABLE technician_removal (
    technician    TEXT NOT NULL,
    change_seq    BIGINT NOT NULL,
    work_order_no TEXT NOT NULL,
    PRIMARY KEY (technician, change_seq)
);

-- Each change takes the next feed number, and one that takes the order from a technician leaves them a
-- removal: whatever code changes an order, the phones see it.
CREATE FUNCTION work_order_changed() RETURNS trigger AS $$
BEGIN
    NEW.change_seq := nextval('work_order_change_seq');
    IF OLD.technician IS NOT NULL AND NEW.technician IS DISTINCT FROM OLD.technician THEN
        INSERT INTO technician_removal (technician, change_seq, work_order_no)
        VALUES (OLD.technician, NEW.change_seq, OLD.work_order_no);
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER work_order_changed BEFORE UPDATE ON work_order FOR EACH ROW EXECUTE FUNCTION work_order_changed();

-- Every transition, who took it and what it carried: the order's history and its audit trail.
CREATE TABLE work_order_transition (
    id            BIGSERIAL PRIMARY KEY,
    work_order_id BIGINT NOT NULL REFERENCES work_order,
    action        TEXT NOT NULL,
    from_state    TEXT,
    to_state      TEXT NOT NULL,
    actor         TEXT NOT NULL,
    detail        JSONB NOT NULL DEFAULT '{}',
    at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX work_order_transition_order ON work_order_transition (work_order_id);
