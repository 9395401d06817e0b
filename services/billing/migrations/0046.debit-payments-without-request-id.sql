-- A request id is what a client sends so that its payment posts once however often it is sent (a counter's
-- Idempotency-Key, an agency file's bank serial number). A bank debit's payment needs none: it is posted
-- once by its debit, whose answer names it (debit.payment_id) and which takes one answer only (0032). Each
-- of the 320,000 payments of a bank's result file still made an entry in the request ids' index, a fifth
-- of what inserting them cost; the index now holds only the payments that carry a request id.
ALTER TABLE payment DROP CONSTRAINT payment_request_id_key;
CREATE UNIQUE INDEX payment_request_once ON payment (request_id) WHERE request_id IS NOT NULL;
