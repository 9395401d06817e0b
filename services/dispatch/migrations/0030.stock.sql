-- Set-top boxes and smart cards by serial: received into a station's stock, issued to a technician,
-- installed at a customer's home, removed from one (returned, or faulty) and handed back. Where a device
-- is follows from its state: in_stock and faulty without a technician are on the station's shelf; issued,
-- returned and faulty with a technician are in that technician's hands; installed is at the customer's.
CREATE TABLE device (
    serial        TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('stb', 'smart_card')),
    -- Unknown for a device first seen when a technician removed it from a home (legacy equipment).
    model         TEXT,
    state         TEXT NOT NULL CHECK (state IN ('in_stock', 'issued', 'installed', 'returned', 'faulty')),
    station_code  TEXT NOT NULL REFERENCES station,
    technician    TEXT,
    work_order_no TEXT,
    customer_no   TEXT,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by    TEXT NOT NULL,
    CHECK (state NOT IN ('issued', 'returned') OR technician IS NOT NULL),
    CHECK (state <> 'in_stock' OR technician IS NULL),
    CHECK (state <> 'installed' OR customer_no IS NOT NULL)
);
-- Counts per station, kind, model and state; what each technician carries.
CREATE INDEX device_station ON device (station_code, kind, model, state);
CREATE INDEX device_technician ON device (technician) WHERE technician IS NOT NULL;

-- Every move of a device, who made it and for which order: a device's history and the audit trail.
CREATE TABLE device_movement (
    id            BIGSERIAL PRIMARY KEY,
    serial        TEXT NOT NULL REFERENCES device,
    action        TEXT NOT NULL CHECK (action IN ('receive', 'issue', 'install', 'remove', 'return')),
    from_state    TEXT,
    to_state      TEXT NOT NULL,
    station_code  TEXT NOT NULL,
    technician    TEXT,
    work_order_no TEXT,
    customer_no   TEXT,
    at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor         TEXT NOT NULL
);
CREATE INDEX device_movement_serial ON device_movement (serial);
