-- Staff accounts kept by admins (routes/staff.py), the first one made from the command line (staff_cli.py):
-- in production no demo user exists, so without these nobody could sign in.
--
-- A password an admin sets (a new account, a reset) is for one sign-in only: the person chooses their own
-- before the gateway lets them do anything (POST /auth/password), so the admin never knows it.
ALTER TABLE users ADD COLUMN password_expired BOOLEAN NOT NULL DEFAULT false;
-- How colleagues know the person: 张三 at counter C01, not zhangsan3.
ALTER TABLE users ADD COLUMN display_name TEXT CHECK (length(display_name) BETWEEN 1 AND 60);
-- The rules staff_rules.py states, for every writer. Older rows (demo users, a test's clerk) already meet
-- them; NOT VALID only spares the check of rows written before this migration.
ALTER TABLE users ADD CONSTRAINT users_username_form CHECK (username ~ '^[0-9a-z_.@-]{1,50}$') NOT VALID;
ALTER TABLE users ADD CONSTRAINT users_bank_scope CHECK (role <> 'bank' OR scope IS NOT NULL) NOT VALID;
ALTER TABLE users ADD CONSTRAINT users_unscoped_roles
    CHECK (role NOT IN ('counter', 'agent', 'supervisor', 'admin') OR scope IS NULL) NOT VALID;
