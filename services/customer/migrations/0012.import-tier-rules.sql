-- A customer's tier depends only on its VIP mark and its active fees, and a million customers have a
-- few hundred distinct such inputs: the importer stages the inputs, asks the tier rule once per
-- distinct one, and joins the answers back.
CREATE UNLOGGED TABLE imp_tier_input (
    customer_id  BIGINT NOT NULL,
    vip          BOOLEAN NOT NULL,
    fees         BIGINT[] NOT NULL           -- active monthly fees in ascending order
);

CREATE UNLOGGED TABLE imp_tier_rule (
    vip          BOOLEAN NOT NULL,
    fees         BIGINT[] NOT NULL,
    tier         TEXT NOT NULL
);
