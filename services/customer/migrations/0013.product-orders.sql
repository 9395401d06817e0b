-- Product orders (TMF622 productOrder): a clerk orders an install, relocation, digital conversion,
-- equipment swap or disconnect; dispatch's work order carries it out, and its completion is written back
-- to the legacy system that controls the network (services/customer/orders/).

CREATE SEQUENCE product_order_no_seq START 90000001;

CREATE TABLE product_order (
    id               BIGSERIAL PRIMARY KEY,
    order_no         TEXT NOT NULL UNIQUE DEFAULT 'O' || nextval('product_order_no_seq'),
    -- the gateway's user + Idempotency-Key: the same request twice places one order, even from two gateways
    request_id       TEXT NOT NULL UNIQUE,
    customer_id      BIGINT NOT NULL REFERENCES customer,
    order_type       TEXT NOT NULL CHECK (order_type IN ('install', 'relocation', 'digital_conversion',
                                                         'equipment_swap', 'disconnect')),
    -- the new pending service (install, conversion) or the existing one the order changes
    service_id       BIGINT NOT NULL REFERENCES service,
    from_service_id  BIGINT REFERENCES service,   -- a conversion's analog service, cut when it completes
    premises_id      BIGINT REFERENCES premises,  -- where the technician goes (a relocation's new address)
    account_id       BIGINT REFERENCES account,
    note             TEXT CHECK (char_length(note) <= 2000),
    appointment_day  DATE,
    appointment_slot TEXT CHECK (appointment_slot IN ('AM', 'PM')),
    state            TEXT NOT NULL DEFAULT 'acknowledged'
                     CHECK (state IN ('acknowledged', 'inProgress', 'completed', 'failed', 'cancelled')),
    state_detail     TEXT,                        -- why it failed: what the legacy system answered
    work_order_no    TEXT,
    ordered_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    ordered_by       TEXT NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by       TEXT NOT NULL,
    completed_at     TIMESTAMPTZ,
    CHECK ((appointment_day IS NULL) = (appointment_slot IS NULL)),
    CHECK ((order_type = 'digital_conversion') = (from_service_id IS NOT NULL))
);
CREATE INDEX product_order_customer ON product_order (customer_id, id);
CREATE INDEX product_order_service ON product_order (service_id);
CREATE INDEX product_order_premises ON product_order (premises_id);
CREATE INDEX product_order_account ON product_order (account_id);
CREATE INDEX product_order_work_order ON product_order (work_order_no);
-- One open order per existing service: a conversion counts for the analog line it replaces, so a second
-- conversion, or a disconnect while the conversion is open, is refused (the handler says so first; this
-- settles two clerks at once).
CREATE UNIQUE INDEX product_order_one_open ON product_order ((COALESCE(from_service_id, service_id)))
    WHERE state IN ('acknowledged', 'inProgress');

-- An ordered service has no legacy record until its work order completes: only a service that never
-- started may lack the legacy reference of its origin.
ALTER TABLE service DROP CONSTRAINT service_legacy_ref_of_legacy_origin,
    ADD CONSTRAINT service_legacy_ref_of_legacy_origin
        CHECK (CASE WHEN origin = 'bss' THEN legacy_ref IS NULL ELSE legacy_ref IS NOT NULL OR started_at IS NULL END);

-- What a completed order writes back: a new SMS subscriber with card, box and entitlement, a new CMS line,
-- a moved address, swapped equipment.
ALTER TABLE write_back DROP CONSTRAINT write_back_action,
    ADD CONSTRAINT write_back_action CHECK (action IN ('suspend', 'restore', 'disconnect', 'entitle', 'install',
                                                       'open_line', 'relocate', 'swap_equipment'));

-- A legacy record the BSS created for its customer (an order's new SMS subscriber or CMS line): linked
-- from birth, so the sync maps it to that customer instead of matching it as a stranger.
ALTER TABLE legacy_link DROP CONSTRAINT legacy_link_method_check,
    ADD CONSTRAINT legacy_link_method_check CHECK (method IN ('id_no', 'score', 'manual', 'new', 'ordered'));
