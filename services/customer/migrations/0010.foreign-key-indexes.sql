-- Foreign keys that the request paths follow from the referenced side. At a million customers and
-- 2.7 million services each lookup without its index is a sequential scan: the 360 view's accounts
-- (the services an account pays for) took 0.5-1.7 s a view.
CREATE INDEX service_account ON service (account_id);
-- A merge moves services, accounts and devices off the premises it folds together, and deleting a
-- premises row makes PostgreSQL look for rows still referring to it in each of these tables.
CREATE INDEX service_premises ON service (premises_id);
CREATE INDEX account_premises ON account (premises_id);
CREATE INDEX device_premises ON device (premises_id);
-- A merge re-points the pending pairs naming the merged customer on either side; customer_a leads the
-- pair's unique index, customer_b had none.
CREATE INDEX match_candidate_customer_b ON match_candidate (customer_b);
