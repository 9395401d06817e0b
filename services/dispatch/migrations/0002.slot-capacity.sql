-- How many visits a station makes per appointment slot, and how many each slot of each day has booked.
-- A booking takes a place with one conditional UPDATE (booked < capacity), so two clerks cannot both take
-- the last place; a campaign books thousands with one statement per station.
ALTER TABLE station ADD COLUMN slot_capacity INTEGER NOT NULL DEFAULT 40 CHECK (slot_capacity >= 0);

CREATE TABLE slot_booking (
    station_code  TEXT NOT NULL REFERENCES station,
    day           DATE NOT NULL,
    slot          TEXT NOT NULL CHECK (slot IN ('AM', 'PM')),
    booked        INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
    PRIMARY KEY (station_code, day, slot)
);
