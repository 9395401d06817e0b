-- The digital TV subscriber management system (SMS): subscribers, smart cards, set-top boxes and
-- product entitlements with start/end. Not owned by the BSS; the simulator creates it.
CREATE TABLE IF NOT EXISTS product (
    product_id    VARCHAR(10) PRIMARY KEY,
    product_name  VARCHAR(60) NOT NULL,
    product_type  VARCHAR(10) NOT NULL,      -- BASIC | PACK | PPV | BB (broadband)
    price_fen     INTEGER NOT NULL           -- monthly price in fen
);

CREATE TABLE IF NOT EXISTS subscriber (
    subscriber_id BIGINT PRIMARY KEY,
    cust_name     VARCHAR(60),
    cert_type     VARCHAR(4) DEFAULT '01',   -- 01 resident ID card, 02 passport, 99 other
    cert_no       VARCHAR(30),
    mobile        VARCHAR(20),
    tel           VARCHAR(20),
    addr          VARCHAR(200),
    region_code   VARCHAR(6),
    cust_level    VARCHAR(4) DEFAULT 'N',    -- N normal, V VIP
    status        VARCHAR(2) NOT NULL DEFAULT 'A', -- A active, S suspended, C closed
    create_time   TIMESTAMP NOT NULL DEFAULT now(),
    update_time   TIMESTAMP NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS subscriber_update_time ON subscriber (update_time);

CREATE TABLE IF NOT EXISTS smartcard (
    card_no       VARCHAR(20) PRIMARY KEY,
    subscriber_id BIGINT NOT NULL,
    status        VARCHAR(2) NOT NULL DEFAULT 'A',
    issue_time    TIMESTAMP NOT NULL DEFAULT now(),
    update_time   TIMESTAMP NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS smartcard_subscriber ON smartcard (subscriber_id);

CREATE TABLE IF NOT EXISTS stb (
    serial_no     VARCHAR(30) PRIMARY KEY,
    model         VARCHAR(30),
    card_no       VARCHAR(20),               -- paired smart card
    subscriber_id BIGINT,
    update_time   TIMESTAMP NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS entitlement (
    entitlement_id BIGSERIAL PRIMARY KEY,
    card_no       VARCHAR(20) NOT NULL,
    product_id    VARCHAR(10) NOT NULL,
    start_time    TIMESTAMP NOT NULL,
    end_time      TIMESTAMP,
    status        VARCHAR(2) NOT NULL DEFAULT 'A',  -- A active, S suspended, C cancelled
    update_time   TIMESTAMP NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS entitlement_card ON entitlement (card_no);
CREATE INDEX IF NOT EXISTS entitlement_update_time ON entitlement (update_time);

CREATE TABLE IF NOT EXISTS ca_command (        -- commands sent to the conditional-access system
    command_id    BIGSERIAL PRIMARY KEY,
    card_no       VARCHAR(20) NOT NULL,
    command       VARCHAR(20) NOT NULL,        -- ENTITLE | DEENTITLE | SUSPEND | RESUME
    product_id    VARCHAR(10),
    operator      VARCHAR(30),
    issued_at     TIMESTAMP NOT NULL DEFAULT now(),
    result        VARCHAR(10) NOT NULL         -- OK | REJECTED
);

CREATE OR REPLACE FUNCTION sms_touch() RETURNS trigger AS $$
BEGIN NEW.update_time := clock_timestamp(); RETURN NEW; END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS subscriber_touch ON subscriber;
CREATE TRIGGER subscriber_touch BEFORE UPDATE ON subscriber FOR EACH ROW EXECUTE FUNCTION sms_touch();
DROP TRIGGER IF EXISTS smartcard_touch ON smartcard;
CREATE TRIGGER smartcard_touch BEFORE UPDATE ON smartcard FOR EACH ROW EXECUTE FUNCTION sms_touch();
DROP TRIGGER IF EXISTS entitlement_touch ON entitlement;
CREATE TRIGGER entitlement_touch BEFORE UPDATE ON entitlement FOR EACH ROW EXECUTE FUNCTION sms_touch();
