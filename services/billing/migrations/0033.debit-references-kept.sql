-- What debit's dropped foreign keys (0031) also guarded, that a mandate or a batch with debits is never
-- removed under them, these triggers keep: a mandate is revoked, never deleted, and a batch keeps its
-- debits. (A bill is never deleted either: the billing run's migrations keep that.)
CREATE FUNCTION debit_reference_is_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' OR TG_TABLE_NAME = 'mandate'
       OR EXISTS (SELECT 1 FROM debit WHERE batch_id = OLD.id) THEN
        RAISE EXCEPTION '% rows that debits name are never deleted', TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER mandate_kept BEFORE DELETE ON mandate FOR EACH ROW EXECUTE FUNCTION debit_reference_is_kept();
CREATE TRIGGER mandate_kept_truncate BEFORE TRUNCATE ON mandate FOR EACH STATEMENT
    EXECUTE FUNCTION debit_reference_is_kept();
-- A collection run makes every bank's batch before its debits and removes the batches left empty.
CREATE TRIGGER debit_batch_kept BEFORE DELETE ON debit_batch FOR EACH ROW EXECUTE FUNCTION debit_reference_is_kept();
CREATE TRIGGER debit_batch_kept_truncate BEFORE TRUNCATE ON debit_batch FOR EACH STATEMENT
    EXECUTE FUNCTION debit_reference_is_kept();
