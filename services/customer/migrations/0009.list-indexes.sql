-- Lists at a million customers: a filter or search term matching few customers is found from an index
-- of those few, not by walking every customer in list order (a browse stopped at its 3 s guard).

-- A station's customers from its areas' premises.
CREATE INDEX premises_area_customer ON premises (area_code, customer_id);
-- A legacy system's customers, and a customer's links to one system.
CREATE INDEX legacy_link_system_customer ON legacy_link (system, customer_id);
-- Merged customers are few, and search lists them after the active ones.
CREATE INDEX customer_merged ON customer (id) WHERE status = 'merged';
CREATE INDEX customer_list_order ON customer ((status = 'merged'), id);
-- Whether a name prefix is rare (find its few customers by index) or common (walk the list, stopping at
-- the page) is read from the histogram: at the default 100 buckets a surname of 1,000 customers looked
-- like 10,000 and the walk took 290 ms instead of 25.
ALTER TABLE customer ALTER name_norm SET STATISTICS 1000;

-- A customer in neither legacy system (origin bss) is the absence of a link, which no index can find:
-- the flag stores it, kept by the triggers below for every writer of legacy_link (import, sync, merge).
-- It defaults to false because the import inserts customers by the hundred thousand and links every one
-- of them; the one writer of unlinked customers (store.insert_customer) sets it.
ALTER TABLE customer ADD COLUMN bss_only boolean NOT NULL DEFAULT false;
UPDATE customer c SET bss_only = true WHERE NOT EXISTS (SELECT 1 FROM legacy_link l WHERE l.customer_id = c.id);
CREATE INDEX customer_bss_only ON customer (id) WHERE bss_only;

-- Set-based on each statement's own links (transition tables): an import inserting 277,000 links took
-- as long with the trigger as without, within the noise of 6-7 s.
CREATE FUNCTION legacy_link_keeps_bss_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        UPDATE customer SET bss_only = false
         WHERE bss_only AND id IN (SELECT customer_id FROM new_links);
    END IF;
    -- A link moved (a merge moves the merged customer's) or deleted: its customer may have none left.
    IF TG_OP <> 'INSERT' THEN
        UPDATE customer c SET bss_only = true
         WHERE NOT bss_only AND id IN (SELECT customer_id FROM old_links)
           AND NOT EXISTS (SELECT 1 FROM legacy_link l WHERE l.customer_id = c.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER legacy_link_inserted AFTER INSERT ON legacy_link REFERENCING NEW TABLE AS new_links
    FOR EACH STATEMENT EXECUTE FUNCTION legacy_link_keeps_bss_only();
CREATE TRIGGER legacy_link_moved AFTER UPDATE ON legacy_link REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links
    FOR EACH STATEMENT EXECUTE FUNCTION legacy_link_keeps_bss_only();
CREATE TRIGGER legacy_link_deleted AFTER DELETE ON legacy_link REFERENCING OLD TABLE AS old_links
    FOR EACH STATEMENT EXECUTE FUNCTION legacy_link_keeps_bss_only();

ANALYZE customer, premises, legacy_link;
