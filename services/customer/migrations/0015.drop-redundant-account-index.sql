-- account_customer (customer_id) is the leading column of account_customer_premises (customer_id,
-- premises_id, migration 0005), which answers every lookup of a customer's accounts as well: the
-- import built both over a million accounts, and every new account updated both.
DROP INDEX account_customer;
