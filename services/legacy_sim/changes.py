"""Later life in the legacy systems: what counter clerks and the network do after the bulk import.

    python -m services.legacy_sim.changes --n 20 [--seed S]

Changes are plain UPDATEs and INSERTs, so the tables' triggers stamp gxsj / update_time the way the
incremental sync expects to find them.
"""
from __future__ import annotations

import argparse
import json
import random
from datetime import date
from functools import lru_cache

from services.common.db import connect
from services.customer.settings import CustomerSettings, customer_settings

from .pools import AREA_CODES, Pools, build_pools
from .records import RecordMaker

KINDS = {  # kind -> relative frequency
    "cms_phone": 3, "cms_address": 2, "cms_suspend": 2, "cms_restore": 1, "cms_new": 2,
    "sms_phone": 1, "sms_new": 2, "sms_cancel": 2,
}
OPERATORS = ("gh001", "gh002", "gh017", "kf003", "kf011")
SAMPLE_ROWS = 2000  # rows to draw candidates from; enough for a few hundred changes


@lru_cache(maxsize=1)
def _pools() -> Pools:
    return build_pools(seed=0)  # the words only; which of them a change uses comes from `rng`


def simulate_changes(settings: CustomerSettings, n: int, seed: int | None = None) -> dict:
    """Make `n` changes of random kinds; returns how many of each were made (a kind is skipped when
    no row qualifies, e.g. no suspended line to restore)."""
    rng = random.Random(seed)
    maker = RecordMaker(_pools(), rng, date.today())
    todo = dict.fromkeys(KINDS, 0)
    for kind in rng.choices(list(KINDS), weights=list(KINDS.values()), k=n):
        todo[kind] += 1
    done = {}
    for url, prefix, apply in ((settings.legacy_cms_url, "cms_", _cms_changes),
                               (settings.legacy_sms_url, "sms_", _sms_changes)):
        conn = connect(url)
        try:
            with conn, conn.cursor() as cur:
                done.update(apply(cur, maker, rng, {k: v for k, v in todo.items() if k.startswith(prefix)}))
        finally:
            conn.close()
    return done


def _sample(cur, rng: random.Random, table: str, columns: str, where: str, k: int) -> list[tuple]:
    """Up to k random rows matching `where`, without reading the whole table."""
    if k == 0:
        return []
    cur.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (table,))
    estimate = cur.fetchone()[0]
    percent = 100.0 if estimate <= 0 else min(100.0, 100.0 * SAMPLE_ROWS / estimate)
    cur.execute(f"SELECT {columns} FROM {table} TABLESAMPLE SYSTEM (%s) REPEATABLE (%s) WHERE {where}",
                (percent, rng.randrange(2 ** 31)))
    rows = cur.fetchall()
    if not rows and percent < 100.0:  # the sample missed the few rows that qualify
        cur.execute(f"SELECT {columns} FROM {table} WHERE {where} LIMIT %s", (k,))
        rows = cur.fetchall()
    return rng.sample(rows, min(k, len(rows)))


def _cms_changes(cur, maker: RecordMaker, rng: random.Random, todo: dict[str, int]) -> dict[str, int]:
    done = dict.fromkeys(todo, 0)
    for (user_no,) in _sample(cur, rng, "yhxx", "yhbh", "xlzt IN ('1', '2')", todo["cms_phone"]):
        cur.execute("UPDATE yhxx SET lxdh = %s WHERE yhbh = %s", (maker.mobile(), user_no))
        done["cms_phone"] += 1
    for (user_no,) in _sample(cur, rng, "yhxx", "yhbh", "xlzt IN ('1', '2')", todo["cms_address"]):
        area = rng.choice(AREA_CODES)  # moved within the city; the line moves with the family
        cur.execute("UPDATE yhxx SET azdz = %s, qydm = %s WHERE yhbh = %s", (maker.address(area)[0], area, user_no))
        done["cms_address"] += 1
    for kind, old, new, op in (("cms_suspend", "1", "2", "TJ"), ("cms_restore", "2", "1", "FT")):
        for (user_no,) in _sample(cur, rng, "yhxx", "yhbh", f"xlzt = '{old}'", todo[kind]):
            cur.execute("UPDATE yhxx SET xlzt = %s WHERE yhbh = %s", (new, user_no))
            cur.execute("INSERT INTO czrz (yhbh, czlx, czy, jg) VALUES (%s, %s, %s, '1')",
                        (user_no, op, rng.choice(OPERATORS)))
            done[kind] += 1
    for _ in range(todo["cms_new"]):
        who = maker.person()
        while True:
            # Numbers opened after the simulator's bulk load are the only ones with a '9' after the area.
            user_no = f"{who.area}9{rng.randrange(10 ** 7):07d}"
            cur.execute(
                "INSERT INTO yhxx (yhbh, yhxm, sfzh, lxdh, azdz, qydm, xlzt, khrq, sflxdm, gxsj) "
                "VALUES (%s, %s, %s, %s, %s, %s, '1', to_char(now(), 'YYYYMMDD'), %s, clock_timestamp()) "
                "ON CONFLICT (yhbh) DO NOTHING",
                (user_no, who.name, who.id_no, who.mobile, who.address, who.area, "02" if who.rural else "01"))
            if cur.rowcount:
                break
        done["cms_new"] += 1
    return done


def _sms_changes(cur, maker: RecordMaker, rng: random.Random, todo: dict[str, int]) -> dict[str, int]:
    done = dict.fromkeys(todo, 0)
    for (sub_id,) in _sample(cur, rng, "subscriber", "subscriber_id", "status <> 'C'", todo["sms_phone"]):
        cur.execute("UPDATE subscriber SET mobile = %s WHERE subscriber_id = %s", (maker.mobile(), sub_id))
        done["sms_phone"] += 1
    for ent_id, card_no, product in _sample(cur, rng, "entitlement", "entitlement_id, card_no, product_id",
                                            "status = 'A' AND product_id <> 'BASIC'", todo["sms_cancel"]):
        cur.execute("UPDATE entitlement SET status = 'C', end_time = clock_timestamp() WHERE entitlement_id = %s",
                    (ent_id,))
        cur.execute("INSERT INTO ca_command (card_no, command, product_id, operator, result) "
                    "VALUES (%s, 'DEENTITLE', %s, %s, 'OK')", (card_no, product, rng.choice(OPERATORS)))
        done["sms_cancel"] += 1
    for _ in range(todo["sms_new"]):
        _new_subscriber(cur, maker, rng)
        done["sms_new"] += 1
    return done


def _new_subscriber(cur, maker: RecordMaker, rng: random.Random) -> None:
    """A household that signed up today: one card in a new box, the basic package, maybe a pack."""
    who = maker.person()
    cur.execute("LOCK TABLE subscriber IN SHARE ROW EXCLUSIVE MODE")  # two writers must not share an id
    cur.execute(
        "INSERT INTO subscriber (subscriber_id, cust_name, cert_type, cert_no, mobile, addr, region_code, "
        "create_time, update_time) "
        "SELECT coalesce(max(subscriber_id), 6100000000) + 1, %s, '01', %s, %s, %s, %s, "
        "clock_timestamp(), clock_timestamp() FROM subscriber RETURNING subscriber_id",
        (who.name, who.id_no, who.mobile, who.address, who.area))
    sub_id = cur.fetchone()[0]
    while True:
        card_no = f"8{rng.randrange(10 ** 15):015d}"
        cur.execute("INSERT INTO smartcard (card_no, subscriber_id, issue_time, update_time) "
                    "VALUES (%s, %s, clock_timestamp(), clock_timestamp()) ON CONFLICT DO NOTHING", (card_no, sub_id))
        if cur.rowcount:
            break
    cur.execute("INSERT INTO stb (serial_no, model, card_no, subscriber_id, update_time) "
                "VALUES (%s, 'Hisense HS-3100', %s, %s, clock_timestamp()) ON CONFLICT DO NOTHING",
                (f"STB9{rng.randrange(10 ** 12):012d}", card_no, sub_id))
    operator = rng.choice(OPERATORS)
    for product in ["BASIC"] + ([rng.choice(("HD", "MOVIE", "SPORT", "KIDS"))] if rng.random() < 0.5 else []):
        cur.execute("INSERT INTO entitlement (card_no, product_id, start_time, update_time) "
                    "VALUES (%s, %s, clock_timestamp(), clock_timestamp())", (card_no, product))
        cur.execute("INSERT INTO ca_command (card_no, command, product_id, operator, result) "
                    "VALUES (%s, 'ENTITLE', %s, %s, 'OK')", (card_no, product, operator))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.legacy_sim.changes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="how many changes")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    print(json.dumps(simulate_changes(customer_settings(), args.n, args.seed)))


if __name__ == "__main__":
    main()
