"""Create the two legacy databases, their tables and their reference data. Safe to run at every start."""
from __future__ import annotations

from pathlib import Path

from services.common.db import connect
from services.common.provision import ensure_database
from services.customer.settings import CustomerSettings

HERE = Path(__file__).parent

# 收费类型: monthly analog fee per line, in fen.
FEE_TYPES = (
    ("01", "城镇标准", 2200),
    ("02", "农村", 1500),
    ("03", "低保减免", 0),
    ("04", "集团单位", 1800),
    ("05", "第二终端", 1000),
    ("06", "老年优惠", 1100),
)

# (product_id, name, type, monthly price in fen)
PRODUCTS = (
    ("BASIC", "基本包", "BASIC", 2500),
    ("HD", "高清包", "PACK", 1000),
    ("MOVIE", "影视包", "PACK", 1500),
    ("SPORT", "体育包", "PACK", 1200),
    ("KIDS", "少儿包", "PACK", 800),
    ("PPV01", "点播单片", "PPV", 500),
    ("BB50", "宽带50M", "BB", 5000),
    ("BB100", "宽带100M", "BB", 8000),
)


def create_schemas(settings: CustomerSettings) -> None:
    for url, script, seed_sql, rows in (
        (settings.legacy_cms_url, "cms.sql",
         "INSERT INTO sflx (sflxdm, sflxmc, yzf) VALUES (%s, %s, %s) "
         "ON CONFLICT (sflxdm) DO UPDATE SET sflxmc = EXCLUDED.sflxmc, yzf = EXCLUDED.yzf", FEE_TYPES),
        (settings.legacy_sms_url, "sms.sql",
         "INSERT INTO product (product_id, product_name, product_type, price_fen) VALUES (%s, %s, %s, %s) "
         "ON CONFLICT (product_id) DO UPDATE SET product_name = EXCLUDED.product_name, "
         "product_type = EXCLUDED.product_type, price_fen = EXCLUDED.price_fen", PRODUCTS),
    ):
        ensure_database(url)
        conn = connect(url)
        try:
            with conn, conn.cursor() as cur:
                # Two processes starting together must not race on CREATE TABLE IF NOT EXISTS.
                cur.execute("SELECT pg_advisory_xact_lock(hashtext('legacy-sim-schema'))")
                cur.execute((HERE / script).read_text())
                cur.executemany(seed_sql, rows)
        finally:
            conn.close()
