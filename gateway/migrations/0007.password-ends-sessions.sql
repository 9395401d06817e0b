-- A new password ends the sessions of the old one (it may be why it was replaced): a token issued before
-- this moment is refused (users.still_current). The moment is the gateway's clock, which dates the tokens.
ALTER TABLE users ADD COLUMN tokens_valid_after TIMESTAMPTZ;
