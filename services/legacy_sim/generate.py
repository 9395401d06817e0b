"""Fill the two legacy databases with a city's worth of households.

    python -m services.legacy_sim.generate --households 3000 [--seed 7] [--if-empty] [--truncate]
    python -m services.legacy_sim.generate --cms 1000000 --sms 600000 --truncate

Rows are streamed with COPY in chunks, one transaction per database; the counts are printed as JSON.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date

from services.common.copy import CopyWriter, InBackground
from services.common.db import connect
from services.customer.settings import CustomerSettings, customer_settings

from . import variants
from .plan import make_plan
from .pools import AREA_CODES, build_pools
from .records import CMS_YEARS, NAME_TYPO_RATE, OLD_PHONE_RATE, SMS_YEARS, Person, RecordMaker
from .schema import create_schemas

CMS_COLUMNS = {"yhxx": ("yhbh", "yhxm", "sfzh", "lxdh", "azdz", "qydm", "xlzt", "khrq", "sflxdm", "bz", "gxsj")}
SMS_COLUMNS = {
    "subscriber": ("subscriber_id", "cust_name", "cert_type", "cert_no", "mobile", "tel", "addr", "region_code",
                   "cust_level", "status", "create_time", "update_time"),
    "smartcard": ("card_no", "subscriber_id", "status", "issue_time", "update_time"),
    "stb": ("serial_no", "model", "card_no", "subscriber_id", "update_time"),
    "entitlement": ("card_no", "product_id", "start_time", "end_time", "status", "update_time"),
}
CMS_TABLES = ("yhxx", "czrz")
SMS_TABLES = ("subscriber", "smartcard", "stb", "entitlement", "ca_command")
CHUNK = 20_000
RECENT = 64  # a duplicate is made of one of the last people generated

CMS_ONLY, BOTH, SMS_ONLY, CMS_DUP, SMS_DUP = range(5)


class DataExists(RuntimeError):
    pass


def generate(settings: CustomerSettings, households: int, seed: int = 7, truncate: bool = False, *,
             cms: int | None = None, sms: int | None = None, if_empty: bool = False,
             today: date | None = None) -> dict:
    """Create the schemas and fill them; `cms`/`sms` fix the exact CMS row and SMS subscriber counts.
    With `if_empty`, existing data is left alone ({"skipped": True}); otherwise existing data is an
    error unless `truncate`."""
    started = time.perf_counter()
    create_schemas(settings)
    cms_conn, sms_conn = connect(settings.legacy_cms_url), connect(settings.legacy_sms_url)
    try:
        with cms_conn.cursor() as cms_cur, sms_conn.cursor() as sms_cur:
            cms_cur.execute(f"LOCK TABLE {', '.join(CMS_TABLES)} IN ACCESS EXCLUSIVE MODE")
            sms_cur.execute(f"LOCK TABLE {', '.join(SMS_TABLES)} IN ACCESS EXCLUSIVE MODE")
            cms_cur.execute("SELECT EXISTS (SELECT 1 FROM yhxx)")
            sms_cur.execute("SELECT EXISTS (SELECT 1 FROM subscriber)")
            if cms_cur.fetchone()[0] or sms_cur.fetchone()[0]:
                if if_empty:
                    return {"skipped": True}
                if not truncate:
                    raise DataExists("the legacy databases already hold data; pass truncate to replace it")
            # Truncating in this transaction also lets COPY FREEZE write rows that need no vacuum later.
            cms_cur.execute(f"TRUNCATE {', '.join(CMS_TABLES)} RESTART IDENTITY")
            sms_cur.execute(f"TRUNCATE {', '.join(SMS_TABLES)} RESTART IDENTITY")
            # Each database is fed from a thread of its own while this one makes the next rows.
            senders = (InBackground(cms_conn), InBackground(sms_conn))
            writers = {table: CopyWriter(sender, table, columns, freeze=True)
                       for sender, tables in zip(senders, (CMS_COLUMNS, SMS_COLUMNS))
                       for table, columns in tables.items()}
            if today is None:
                # The legacy systems' own day, as their triggers stamp changes: a client whose zone is ahead
                # (CI runs in Asia/Shanghai) dated records up to the end of a day the server had not reached,
                # so changes made after them looked older (16:00-24:00 UTC).
                sms_cur.execute("SELECT current_date")
                today = sms_cur.fetchone()[0]
            try:
                counts = _fill(writers, households, seed, cms, sms, today)
            finally:
                for sender in senders:
                    sender.close()
            cms_cur.execute("ANALYZE yhxx")
            sms_cur.execute("ANALYZE subscriber; ANALYZE smartcard; ANALYZE stb; ANALYZE entitlement")
        cms_conn.commit()
        sms_conn.commit()
    finally:
        cms_conn.close()
        sms_conn.close()
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def has_data(settings: CustomerSettings) -> bool:
    """Whether either legacy database already holds records (after `create_schemas`)."""
    for url, table in ((settings.legacy_cms_url, "yhxx"), (settings.legacy_sms_url, "subscriber")):
        conn = connect(url)
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
                if cur.fetchone()[0]:
                    return True
        finally:
            conn.close()
    return False


def _fill(writers: dict[str, CopyWriter], households: int, seed: int, cms: int | None, sms: int | None,
          today: date) -> dict:
    plan = make_plan(households, cms, sms)
    rng = random.Random(seed)
    maker = RecordMaker(build_pools(seed), rng, today)
    slots = (bytearray([CMS_ONLY]) * plan.cms_only + bytearray([BOTH]) * plan.both
             + bytearray([SMS_ONLY]) * plan.sms_only + bytearray([CMS_DUP]) * plan.cms_duplicates
             + bytearray([SMS_DUP]) * plan.sms_duplicates)
    rng.shuffle(slots)
    made = dict.fromkeys(("cms_only", "both", "sms_only", "cms_duplicates", "sms_duplicates"), 0)
    rows = dict.fromkeys(("yhxx", "subscriber", "smartcard", "stb", "entitlement"), 0)
    recent_cms: list[Person] = []
    recent_sms: list[Person] = []
    for start in range(0, len(slots), CHUNK):
        for i, slot in enumerate(slots[start:start + CHUNK], start):
            if slot == CMS_DUP and recent_cms:
                _cms_duplicate(maker, rng, rng.choice(recent_cms))
                made["cms_duplicates"] += 1
            elif slot == SMS_DUP and recent_sms:
                _sms_duplicate(maker, rng, rng.choice(recent_sms))
                made["sms_duplicates"] += 1
            else:
                who = maker.person()
                if slot == BOTH:
                    _both(maker, rng, who)
                    made["both"] += 1
                elif slot in (CMS_ONLY, CMS_DUP):  # a duplicate before anyone to duplicate
                    maker.cms_row(who)
                    made["cms_only"] += 1
                else:
                    maker.sms_subscriber(who)
                    made["sms_only"] += 1
                if slot != SMS_ONLY and slot != SMS_DUP:
                    _remember(recent_cms, who, i)
                if slot != CMS_ONLY and slot != CMS_DUP:
                    _remember(recent_sms, who, i)
        for table, lines in maker.take().items():
            rows[table] += len(lines)
            writers[table].add_lines(lines)
    for writer in writers.values():
        writer.flush()
    return {"households": made["cms_only"] + made["both"] + made["sms_only"], **made,
            "cms_rows": rows["yhxx"], "sms_subscribers": rows["subscriber"], "smartcards": rows["smartcard"],
            "stbs": rows["stb"], "entitlements": rows["entitlement"],
            "cms_malformed": maker.malformed["cms"], "sms_malformed": maker.malformed["sms"]}


def _remember(recent: list[Person], who: Person, i: int) -> None:
    if len(recent) < RECENT:
        recent.append(who)
    else:
        recent[i % RECENT] = who


def _both(maker: RecordMaker, rng: random.Random, who: Person) -> None:
    """The same person in both systems, typed differently in one of them."""
    cms_kw: dict = {}
    sms_kw: dict = {}
    if rng.random() < NAME_TYPO_RATE and (typo := variants.similar_name(who.name, rng)):
        (cms_kw if rng.random() < 0.5 else sms_kw)["name"] = typo
    if rng.random() < OLD_PHONE_RATE:
        # Usually the analog record is the stale one: it was typed years before the digital switch.
        (cms_kw if rng.random() < 0.75 else sms_kw)["mobile"] = maker.mobile()
    open_ago = maker.cms_row(who, converted=True, **cms_kw)
    maker.sms_subscriber(who, created_ago=rng.randint(2, max(2, min(open_ago, SMS_YEARS * 365 - 1))), **sms_kw)


def _cms_duplicate(maker: RecordMaker, rng: random.Random, who: Person) -> None:
    if rng.random() < 0.6:  # a second line at another address: a shop, the parents' flat
        area = rng.choice(AREA_CODES)
        address, _ = maker.address(area)
        maker.cms_row(who, address=address, area=area, fee=rng.choice(("01", "05")))
    else:  # an older number at the same address, cut for arrears before the current one was opened
        maker.cms_row(who, status="3", remark="欠费拆机", open_ago=rng.randrange(3000, CMS_YEARS * 365),
                      mobile=maker.mobile() if rng.random() < 0.5 else None)


def _sms_duplicate(maker: RecordMaker, rng: random.Random, who: Person) -> None:
    if rng.random() < 0.5:  # registered again after closing, often with a new phone by then
        maker.sms_subscriber(who, status="C", mobile=maker.mobile() if rng.random() < 0.5 else None)
    else:  # a clerk opened a new subscriber instead of adding a card, at a second address
        area = rng.choice(AREA_CODES)
        address, _ = maker.address(area)
        maker.sms_subscriber(who, address=address, area=area, status="A")


def main(argv: list[str] | None = None) -> None:
    settings = customer_settings()
    parser = argparse.ArgumentParser(prog="python -m services.legacy_sim.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=settings.demo_households)
    parser.add_argument("--cms", type=int, help="exact number of CMS user rows")
    parser.add_argument("--sms", type=int, help="exact number of SMS subscribers")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--if-empty", action="store_true", help="do nothing when data exists")
    parser.add_argument("--truncate", action="store_true", help="replace existing data")
    args = parser.parse_args(argv)
    try:
        counts = generate(settings, args.households, args.seed, args.truncate, cms=args.cms, sms=args.sms,
                          if_empty=args.if_empty)
    except DataExists as exc:
        sys.exit(str(exc))
    print(json.dumps(counts, ensure_ascii=False))


if __name__ == "__main__":
    main()
