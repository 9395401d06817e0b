-- The technicians each station dispatches to: what work order types they are trained for and how many
-- visits they make a day. Automatic assignment and claims count a technician's orders of a day against
-- daily_capacity. The station code is not a foreign key: the roster can name a station before its
-- first work order has made dispatch's row for it.
CREATE TABLE technician (
    username        TEXT PRIMARY KEY,
    station_code    TEXT NOT NULL,
    skills          TEXT[] NOT NULL DEFAULT '{}'
                    CHECK (skills <@ ARRAY['install', 'repair', 'relocation', 'digital_conversion', 'equipment_swap',
                                           'disconnect', 'reconnect']),
    daily_capacity  INTEGER NOT NULL DEFAULT 8 CHECK (daily_capacity >= 0),
    active          BOOLEAN NOT NULL DEFAULT true,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by      TEXT NOT NULL
);
CREATE INDEX technician_station ON technician (station_code);

-- Free slots are searched by the customer's area: the station is the one orders from that area went to.
CREATE INDEX work_order_area ON work_order (area_code) WHERE area_code IS NOT NULL;
