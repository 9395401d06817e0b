-- A household account pays for the services at one premises: say which, instead of leaving it to be
-- worked out from the services it happens to pay for.
ALTER TABLE account ADD COLUMN premises_id BIGINT REFERENCES premises;
UPDATE account a SET premises_id = s.premises_id
  FROM (SELECT DISTINCT ON (account_id) account_id, premises_id FROM service
         WHERE account_id IS NOT NULL AND premises_id IS NOT NULL ORDER BY account_id, id) s
 WHERE s.account_id = a.id;
CREATE INDEX account_customer_premises ON account (customer_id, premises_id);
