-- Wrong confirmation codes typed on an order. Six digits are a million codes: without a count, a technician
-- (or a stolen phone) could complete an order by guessing. After a few wrong tries in a row the order
-- refuses every code until the front line gives the customer a new one (which clears the count). Kept
-- apart from work_order, whose every update moves the order up the technician's change feed: a wrong
-- try changes nothing the phone shows.
CREATE TABLE wrong_confirmation_code (
    work_order_id BIGINT PRIMARY KEY REFERENCES work_order (id),
    tries         SMALLINT NOT NULL CHECK (tries > 0),
    last_tried_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_tried_by TEXT NOT NULL
);
