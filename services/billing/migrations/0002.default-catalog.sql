-- The catalog a new operator starts from, and the simulated legacy systems' product codes mapped to it.
-- An admin changes prices by adding a price from a date, and remaps codes; nothing here is special.
INSERT INTO product (code, name, category, charge) VALUES
    ('ATV-STD',    '模拟电视 城镇标准', 'analog_basic', 'monthly'),
    ('ATV-RURAL',  '模拟电视 农村',     'analog_basic', 'monthly'),
    ('ATV-RELIEF', '模拟电视 低保减免', 'analog_basic', 'monthly'),
    ('ATV-GROUP',  '模拟电视 集团单位', 'analog_basic', 'monthly'),
    ('ATV-SECOND', '模拟电视 第二终端', 'analog_basic', 'monthly'),
    ('ATV-SENIOR', '模拟电视 老年优惠', 'analog_basic', 'monthly'),
    ('DTV-BASIC',  '数字电视 基本包',   'digital_basic', 'monthly'),
    ('DTV-HD',     '高清包',            'premium', 'monthly'),
    ('DTV-MOVIE',  '影视包',            'premium', 'monthly'),
    ('DTV-SPORT',  '体育包',            'premium', 'monthly'),
    ('DTV-KIDS',   '少儿包',            'premium', 'monthly'),
    ('DTV-PPV',    '点播单片',          'other', 'one_time'),
    ('BB-50',      '宽带 50M',          'broadband', 'monthly'),
    ('BB-100',     '宽带 100M',         'broadband', 'monthly'),
    ('INSTALL',    '安装费',            'installation', 'one_time'),
    ('STB-DEPOSIT','机顶盒押金',        'deposit', 'one_time');

INSERT INTO product_price (product_code, valid_from, amount_minor) VALUES
    ('ATV-STD', '2000-01-01', 2200), ('ATV-RURAL', '2000-01-01', 1500), ('ATV-RELIEF', '2000-01-01', 0),
    ('ATV-GROUP', '2000-01-01', 1800), ('ATV-SECOND', '2000-01-01', 1000), ('ATV-SENIOR', '2000-01-01', 1100),
    ('DTV-BASIC', '2000-01-01', 2500), ('DTV-HD', '2000-01-01', 1000), ('DTV-MOVIE', '2000-01-01', 1500),
    ('DTV-SPORT', '2000-01-01', 1200), ('DTV-KIDS', '2000-01-01', 800), ('DTV-PPV', '2000-01-01', 500),
    ('BB-50', '2000-01-01', 5000), ('BB-100', '2000-01-01', 8000),
    ('INSTALL', '2000-01-01', 10000), ('STB-DEPOSIT', '2000-01-01', 30000);

INSERT INTO legacy_product_map (system, legacy_code, product_code) VALUES
    ('cms', 'ANALOG', 'ATV-STD'), ('cms', '01', 'ATV-STD'), ('cms', '02', 'ATV-RURAL'),
    ('cms', '03', 'ATV-RELIEF'), ('cms', '04', 'ATV-GROUP'), ('cms', '05', 'ATV-SECOND'),
    ('cms', '06', 'ATV-SENIOR'),
    ('sms', 'BASIC', 'DTV-BASIC'), ('sms', 'HD', 'DTV-HD'), ('sms', 'MOVIE', 'DTV-MOVIE'),
    ('sms', 'SPORT', 'DTV-SPORT'), ('sms', 'KIDS', 'DTV-KIDS'), ('sms', 'PPV01', 'DTV-PPV'),
    ('sms', 'BB50', 'BB-50'), ('sms', 'BB100', 'BB-100');
