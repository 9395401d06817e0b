-- Dispatchers assign their station's work orders; a dispatcher and a technician act for a station (scope).
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('counter', 'agent', 'technician', 'dispatcher', 'supervisor', 'bank', 'admin'));
ALTER TABLE users ADD CONSTRAINT users_station_scope
    CHECK (role NOT IN ('technician', 'dispatcher') OR scope IS NOT NULL) NOT VALID;
