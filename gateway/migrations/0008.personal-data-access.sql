-- Who opened which customer's personal data, when and from where (PIPL art. 51: measures that make access to
-- personal information traceable). Written in batches by the gateway (access_log.py), read by supervisors.
CREATE TABLE pi_access (
    at           TIMESTAMPTZ NOT NULL,
    username     TEXT NOT NULL,
    role         TEXT NOT NULL,
    customer_no  TEXT NOT NULL,
    purpose      TEXT NOT NULL,   -- what was opened: the route, e.g. GET /api/v1/customers/{customerNo}
    address      TEXT NOT NULL
);
CREATE INDEX pi_access_customer ON pi_access (customer_no, at);
CREATE INDEX pi_access_username ON pi_access (username, at);
