-- The analog cable management system (CMS) as an operator of the 2000s built it: pinyin-initial
-- column names, CHAR dates, codes instead of words, no foreign keys. The BSS does not own this
-- schema; the simulator creates it so demos and tests have a real database to read and write.
CREATE TABLE IF NOT EXISTS sflx (            -- 收费类型: monthly fee types
    sflxdm  CHAR(2) PRIMARY KEY,             -- fee type code
    sflxmc  VARCHAR(40) NOT NULL,            -- name
    yzf     INTEGER NOT NULL                 -- monthly fee in fen
);

CREATE TABLE IF NOT EXISTS yhxx (            -- 用户信息: one row per analog user (line)
    yhbh    VARCHAR(12) PRIMARY KEY,         -- user number
    yhxm    VARCHAR(40),                     -- name
    sfzh    VARCHAR(20),                     -- ID-card number, as typed at the counter
    lxdh    VARCHAR(40),                     -- phone(s), free text
    azdz    VARCHAR(200),                    -- installation address
    qydm    CHAR(4),                         -- area code (decides the field station)
    xlzt    CHAR(1) NOT NULL DEFAULT '1',    -- line status: 1 normal, 2 suspended, 3 disconnected
    khrq    CHAR(8),                         -- open date YYYYMMDD
    sflxdm  CHAR(2),                         -- fee type
    bz      VARCHAR(200),                    -- remarks
    gxsj    TIMESTAMP NOT NULL DEFAULT now() -- last change; the adapter follows changes by it
);
CREATE INDEX IF NOT EXISTS yhxx_gxsj ON yhxx (gxsj);

CREATE TABLE IF NOT EXISTS czrz (            -- 操作日志: network operations log
    czxh    BIGSERIAL PRIMARY KEY,
    yhbh    VARCHAR(12) NOT NULL,
    czlx    VARCHAR(10) NOT NULL,            -- TJ suspend, FT restore, CJ disconnect
    czy     VARCHAR(20),                     -- operator
    czsj    TIMESTAMP NOT NULL DEFAULT now(),
    jg      CHAR(1) NOT NULL                 -- result: 1 ok, 0 refused
);

CREATE OR REPLACE FUNCTION yhxx_touch() RETURNS trigger AS $$
BEGIN NEW.gxsj := clock_timestamp(); RETURN NEW; END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS yhxx_touch ON yhxx;
CREATE TRIGGER yhxx_touch BEFORE UPDATE ON yhxx FOR EACH ROW EXECUTE FUNCTION yhxx_touch();
