-- An account's dunning steps, closed cases too (GET /accounts/{accountNo}/dunningSteps): the partial index
-- of open cases cannot serve it.
CREATE INDEX dunning_case_account_all ON dunning_case (account_no, id);
