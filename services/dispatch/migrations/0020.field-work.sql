-- The technicians' side of a work order.
--
-- The customer's confirmation code: made when the order is made (whatever code inserts it, a campaign's
-- bulk insert too) and told to the customer by the front line, never shown on the technician's phone;
-- the technician types in what the customer reads out when the work is done, so a completion proves the
-- technician was there and the customer agreed. Six digits from gen_random_uuid (a strong source), not
-- random().
ALTER TABLE work_order ADD COLUMN confirmation_code TEXT NOT NULL
    DEFAULT lpad(((('x' || substr(md5(gen_random_uuid()::text), 1, 8))::bit(32)::bigint) % 1000000)::text, 6, '0');

-- The change feed must never skip a change: sequence numbers are taken in one order and committed in
-- another, so a phone that read seq 102 before 101 committed would never see 101. Every change of a
-- technician's order holds a shared lock on that technician (key class 20) from taking its number to
-- committing; a pull takes the same lock exclusively before it reads, so it waits for the changes in
-- flight and everything it does not see gets a higher number. Shared locks never wait for each other:
-- writers are not serialized.
CREATE OR REPLACE FUNCTION work_order_changed() RETURNS trigger AS $$
BEGIN
    IF OLD.technician IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock_shared(20, hashtext(OLD.technician));
    END IF;
    IF NEW.technician IS NOT NULL AND NEW.technician IS DISTINCT FROM OLD.technician THEN
        PERFORM pg_advisory_xact_lock_shared(20, hashtext(NEW.technician));
    END IF;
    NEW.change_seq := nextval('work_order_change_seq');
    IF OLD.technician IS NOT NULL AND NEW.technician IS DISTINCT FROM OLD.technician THEN
        INSERT INTO technician_removal (technician, change_seq, work_order_no)
        VALUES (OLD.technician, NEW.change_seq, OLD.work_order_no);
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
