-- What a user acts for where the role needs it: the bank a bank user exchanges files for (its code, as
-- billing's bank layouts name it). Later roles use it for a station or a department.
ALTER TABLE users ADD COLUMN scope TEXT;
UPDATE users SET scope = 'ICBC' WHERE username = 'bank' AND demo;
