-- The discounts a new operator starts from (an admin adds and ends them, GET|POST /discounts): VIP
-- customers pay 10% less for premium packages, and a household with more than one service 5% less for
-- broadband.
INSERT INTO discount (code, name, kind, value, eligibility, products, valid_from) VALUES
    ('VIP-PREMIUM-10', 'VIP客户付费频道九折', 'percent', 10, 'vip',
     '{DTV-HD,DTV-MOVIE,DTV-SPORT,DTV-KIDS}', '2000-01-01'),
    ('HOUSEHOLD-BB-5', '多业务家庭宽带九五折', 'percent', 5, 'household', '{BB-50,BB-100}', '2000-01-01')
ON CONFLICT (code) DO NOTHING;
