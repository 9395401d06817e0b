-- An account's mandates, revoked ones too (GET /mandates?accountNo=, the 360 view's mandate state): the
-- partial indexes of live and active mandates cannot serve a query about all of them.
CREATE INDEX mandate_account ON mandate (account_no, id DESC);
