-- A clerk types a landline without its area code: the reversed number makes that a prefix search.
CREATE INDEX customer_phone_reversed ON customer_phone (reverse(phone) text_pattern_ops);
