-- A replayed answer needs its headers too (a 201's Location), not only its status and body.
ALTER TABLE idempotency_key ADD COLUMN response_headers JSONB;
