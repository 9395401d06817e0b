-- The one-time fees a completed work order of each type brings (billing owns its tariffs; dispatch only
-- says what was done). An admin edits it; a type with no row brings no fee.
CREATE TABLE work_order_fee (
    work_order_type TEXT NOT NULL,
    product_code    TEXT NOT NULL REFERENCES product,
    updated_by      TEXT NOT NULL DEFAULT 'system',
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (work_order_type, product_code)
);

INSERT INTO work_order_fee (work_order_type, product_code) VALUES
    ('install', 'INSTALL'),
    ('relocation', 'INSTALL'),
    ('digital_conversion', 'STB-DEPOSIT');
