"""The catalog's SQL: products with their dated prices, the legacy code map, discounts."""
from __future__ import annotations

from datetime import date

from psycopg2.extras import execute_values


def products(cur) -> list[dict]:
    cur.execute("""
        SELECT p.code, p.name, p.category, p.charge,
               COALESCE(json_agg(json_build_object('valid_from', x.valid_from, 'amount_minor', x.amount_minor,
                                                   'currency', x.currency, 'created_by', x.created_by)
                                 ORDER BY x.valid_from) FILTER (WHERE x.product_code IS NOT NULL), '[]') AS prices
        FROM product p LEFT JOIN product_price x ON x.product_code = p.code
        GROUP BY p.code ORDER BY p.code""")
    return cur.fetchall()


def product(cur, code: str) -> dict | None:
    cur.execute("SELECT code, name, category, charge FROM product WHERE code = %s", (code,))
    return cur.fetchone()


def products_named(cur, codes: list[str]) -> dict[str, dict]:
    cur.execute("SELECT code, charge FROM product WHERE code = ANY(%s)", (codes,))
    return {r["code"]: r for r in cur.fetchall()}


def add_price(cur, code: str, valid_from: date, amount_minor: int, currency: str, actor: str) -> bool:
    """False when the product already has a price from that date."""
    cur.execute("""INSERT INTO product_price (product_code, valid_from, amount_minor, currency, created_by)
                   VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
                (code, valid_from, amount_minor, currency, actor))
    return cur.rowcount == 1


def legacy_mappings(cur) -> list[dict]:
    cur.execute("""SELECT system, legacy_code, product_code, updated_by, updated_at FROM legacy_product_map
                   ORDER BY system, legacy_code""")
    return cur.fetchall()


def set_legacy_mappings(cur, rows: list[tuple[str, str, str]], actor: str) -> list[dict]:
    """(system, legacy_code, product_code) upserted; answers each changed code with its former product."""
    cur.execute("CREATE TEMPORARY TABLE wanted_map (system TEXT, legacy_code TEXT, product_code TEXT) ON COMMIT DROP")
    execute_values(cur, "INSERT INTO wanted_map VALUES %s", rows)
    cur.execute("""
        WITH before AS (
            SELECT w.system, w.legacy_code, w.product_code, m.product_code AS was
            FROM wanted_map w LEFT JOIN legacy_product_map m USING (system, legacy_code)
            WHERE m.product_code IS DISTINCT FROM w.product_code),
        written AS (
            INSERT INTO legacy_product_map (system, legacy_code, product_code, updated_by)
            SELECT system, legacy_code, product_code, %s FROM before
            ON CONFLICT (system, legacy_code) DO UPDATE SET product_code = EXCLUDED.product_code,
                updated_by = EXCLUDED.updated_by, updated_at = now())
        SELECT system, legacy_code, product_code, was FROM before""", (actor,))
    return cur.fetchall()


DISCOUNT_COLUMNS = ("code, name, kind, value, eligibility, promotion_code, products, valid_from, valid_to, "
                    "updated_by")


def discounts(cur) -> list[dict]:
    cur.execute(f"SELECT {DISCOUNT_COLUMNS} FROM discount ORDER BY code")
    return cur.fetchall()


def create_discount(cur, d: dict, actor: str) -> dict | None:
    """None when the code is taken."""
    cur.execute(f"""INSERT INTO discount (code, name, kind, value, eligibility, promotion_code, products, valid_from,
                                          valid_to, updated_by)
                    VALUES (%(code)s, %(name)s, %(kind)s, %(value)s, %(eligibility)s, %(promotion_code)s,
                            %(products)s, %(valid_from)s, %(valid_to)s, %(actor)s)
                    ON CONFLICT (code) DO NOTHING RETURNING {DISCOUNT_COLUMNS}""", {**d, "actor": actor})
    return cur.fetchone()


def promotion_codes(cur) -> set[str]:
    """The codes of the promotion discounts there are."""
    cur.execute("SELECT DISTINCT promotion_code FROM discount WHERE promotion_code IS NOT NULL")
    return {r["promotion_code"] for r in cur.fetchall()}


def account_promotions(cur, account_no: str) -> list[str]:
    cur.execute("SELECT promotion_code FROM account_promotion WHERE account_no = %s ORDER BY promotion_code",
                (account_no,))
    return [r["promotion_code"] for r in cur.fetchall()]


def set_account_promotions(cur, account_no: str, codes: list[str], actor: str) -> None:
    cur.execute("DELETE FROM account_promotion WHERE account_no = %s AND NOT (promotion_code = ANY(%s))",
                (account_no, codes))
    cur.execute("""INSERT INTO account_promotion (account_no, promotion_code, granted_by)
                   SELECT %s, code, %s FROM unnest(%s::text[]) AS code ON CONFLICT DO NOTHING""",
                (account_no, actor, codes))
