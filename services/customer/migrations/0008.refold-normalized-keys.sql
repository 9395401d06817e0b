-- Names and addresses are now folded before they are normalized (NFKC, without invisible characters:
-- services/common/inputrules.py). The keys stored before are folded the same way here, so a customer
-- imported earlier is found and deduplicated by what a clerk types now. Only rows that change are written.
CREATE FUNCTION pg_temp.folded(key text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(normalize(key, NFKC), '[\s\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]', '', 'g')
$$;

UPDATE customer SET name_norm = lower(pg_temp.folded(name_norm))
 WHERE name_norm <> lower(pg_temp.folded(name_norm)) AND pg_temp.folded(name_norm) <> '';

-- Two premises of one customer that differ only by such characters are left apart for a clerk to merge.
UPDATE premises p SET address_norm = pg_temp.folded(p.address_norm)
 WHERE p.address_norm <> pg_temp.folded(p.address_norm) AND pg_temp.folded(p.address_norm) <> ''
   AND NOT EXISTS (SELECT 1 FROM premises o WHERE o.customer_id = p.customer_id
                                             AND o.address_norm = pg_temp.folded(p.address_norm));
