"""Turn matched staging rows into golden records, all set-based: one statement per table, whatever
the number of rows. `changes` collects what happened to records that existed before the run, for the
audit log and per-change events (a sync); a bulk run asks for none and gets only counts."""
from __future__ import annotations

from psycopg2.extras import execute_values

from services.common.bulkjob import Step, analyze
from services.customer.domain.tier import tier

# A clerk's write-back holds its service row from before it tells the legacy system until it commits.
# Waiting first for the row of every staged service means SERVICE_UPDATES sees all write-backs made so
# far, and none can start before this run commits; taken before any customer row, these locks never make
# a run and a write-back wait for each other in a circle.
LOCK_SERVICES = """
    SELECT 1 FROM service s JOIN imp_service x ON s.origin = x.system AND s.legacy_ref = x.legacy_ref
     ORDER BY s.id FOR UPDATE OF s
"""
LINKED_BEFORE = """
    INSERT INTO imp_owner (rec_id, customer_id, method, score, anchor, system, legacy_key, address_norm, vip)
    SELECT r.rec_id, COALESCE(c.merged_into, c.id), NULL, NULL, false, r.system, r.legacy_key, r.address_norm, r.vip
      FROM imp_record r
      JOIN legacy_link l ON l.system = r.system AND l.legacy_key = r.legacy_key
      JOIN customer c ON c.id = l.customer_id
"""
# A bulk run leaves linked records (and their services and devices) to the sync.
DROP_LINKED = """
    WITH gone AS (
        DELETE FROM imp_record r USING legacy_link l WHERE l.system = r.system AND l.legacy_key = r.legacy_key
        RETURNING r.rec_id, r.system, r.legacy_key),
    phones AS (DELETE FROM imp_phone p USING gone WHERE p.rec_id = gone.rec_id),
    services AS (DELETE FROM imp_service s USING gone WHERE s.system = gone.system AND s.legacy_key = gone.legacy_key),
    devices AS (DELETE FROM imp_device d USING gone WHERE gone.system = 'sms' AND d.legacy_key = gone.legacy_key)
    SELECT count(*) FROM gone
"""
# The legacy systems whose records HEADS and NEW_OWNERS place: a first load places each system's on a
# connection of its own.
SYSTEMS = ("cms", "sms")
# Customer ids are drawn from the sequence here, so every later statement can join on them. A record without a
# match is an anchor: of a cluster, or of a customer of its own.
HEADS = """
    INSERT INTO imp_head (anchor, customer_id)
    SELECT r.rec_id, nextval('customer_id_seq') FROM imp_record r LEFT JOIN imp_match m USING (rec_id)
     WHERE NOT EXISTS (SELECT 1 FROM imp_owner o WHERE o.rec_id = r.rec_id)
       AND m.rec_id IS NULL AND r.system = ANY(%(systems)s)
"""
# The records placed before are read once, before any is added: with imp_owner analyzed empty (a first load),
# the planner may leave them out by a nested loop, whose every pass would read the rows this statement has
# added so far, a quadratic read that ran for minutes.
NEW_OWNERS = """
    INSERT INTO imp_owner (rec_id, customer_id, method, score, anchor, system, legacy_key, address_norm, vip)
    WITH placed AS MATERIALIZED (SELECT rec_id FROM imp_owner)
    SELECT r.rec_id, COALESCE(m.customer_id, h.customer_id), COALESCE(m.method, 'new'), m.score,
           m.rec_id IS NULL, r.system, r.legacy_key, r.address_norm, r.vip
      FROM imp_record r
      LEFT JOIN imp_match m USING (rec_id)
      LEFT JOIN imp_head h ON h.anchor = COALESCE(m.cluster, r.rec_id)
     WHERE NOT EXISTS (SELECT 1 FROM placed p WHERE p.rec_id = r.rec_id) AND r.system = ANY(%(systems)s)
"""
# A staged service replaces the stored one with the same legacy reference; the customer's other
# services count as they are. Fees in order, so equal inputs are equal arrays. `staged` is not
# materialized: written out it cost a first load seconds for 2.7 million rows, and the second
# reference (the stored services it replaces) runs only for customers that have stored services.
TIER_INPUTS = """
    INSERT INTO imp_tier_input (customer_id, vip, fees)
    WITH staged AS NOT MATERIALIZED (
        SELECT o.customer_id, s.system, s.legacy_ref, s.state, s.monthly_fee_minor
          FROM imp_service s JOIN imp_owner o ON o.system = s.system AND o.legacy_key = s.legacy_key),
    fees AS (
        SELECT customer_id, monthly_fee_minor FROM staged WHERE state = 'active'
        UNION ALL
        SELECT sv.customer_id, sv.monthly_fee_minor FROM service sv
         WHERE sv.state = 'active' AND sv.customer_id IN (SELECT customer_id FROM imp_owner)
           AND NOT EXISTS (SELECT 1 FROM staged st WHERE st.system = sv.origin AND st.legacy_ref = sv.legacy_ref)),
    fee_lists AS (SELECT customer_id, array_agg(monthly_fee_minor ORDER BY monthly_fee_minor) AS fees FROM fees
                   GROUP BY customer_id)
    SELECT v.customer_id, v.vip, COALESCE(f.fees, '{}')
      FROM (SELECT customer_id, bool_or(vip) AS vip FROM imp_owner GROUP BY customer_id) v
      LEFT JOIN fee_lists f USING (customer_id)
"""
TIERS_BY_RULE = """
    INSERT INTO imp_tier (customer_id, tier)
    SELECT i.customer_id, r.tier FROM imp_tier_input i JOIN imp_tier_rule r ON r.vip = i.vip AND r.fees = i.fees
"""
# SMS subscribers of touched customers that this run did not read: their VIP mark is asked live.
UNSTAGED_SMS_KEYS = """
    SELECT l.legacy_key::bigint, l.customer_id FROM legacy_link l
     WHERE l.system = 'sms' AND l.customer_id IN (SELECT customer_id FROM imp_owner)
       AND NOT EXISTS (SELECT 1 FROM imp_record r WHERE r.system = 'sms' AND r.legacy_key = l.legacy_key)
"""
CUSTOMERS = """
    INSERT INTO customer (id, name, name_norm, id_no, tier, created_by, updated_by)
    SELECT h.customer_id, r.name, r.name_norm, r.id_no, t.tier, %(actor)s, %(actor)s
      FROM imp_head h JOIN imp_record r ON r.rec_id = h.anchor JOIN imp_tier t USING (customer_id)
"""
TIERS = """
    UPDATE customer c SET tier = t.tier, updated_at = now(), updated_by = %(actor)s
      FROM imp_tier t WHERE t.customer_id = c.id AND c.tier <> t.tier
    RETURNING c.id, 'tier', t.tier
"""
# An existing customer without an ID number takes the one of a record linked to it by that number,
# unless another customer holds it already.
ID_NUMBERS = """
    UPDATE customer c SET id_no = x.id_no, updated_at = now(), updated_by = %(actor)s
      FROM (SELECT DISTINCT ON (r.id_no) o.customer_id, r.id_no
              FROM imp_owner o JOIN imp_record r USING (rec_id)
             WHERE o.method = 'id_no' AND NOT EXISTS (SELECT 1 FROM imp_head h WHERE h.customer_id = o.customer_id)
             ORDER BY r.id_no, o.customer_id) x
     WHERE c.id = x.customer_id AND c.id_no IS NULL
       AND NOT EXISTS (SELECT 1 FROM customer d WHERE d.id_no = x.id_no)
    RETURNING c.id, 'idNo', 'set'
"""
# Among records equal in rank the lowest record number decides, so a run's result does not depend on
# the order a join happened to produce.
PHONES = """
    INSERT INTO customer_phone (customer_id, phone, kind, is_primary, source)
    SELECT DISTINCT ON (o.customer_id, p.phone) o.customer_id, p.phone, p.kind, o.anchor AND p.position = 0, o.system
      FROM imp_phone p JOIN imp_owner o USING (rec_id)
     ORDER BY o.customer_id, p.phone, o.anchor DESC, p.position, p.rec_id
    ON CONFLICT DO NOTHING
"""
PREMISES = """
    INSERT INTO premises (customer_id, address, address_norm, area_code)
    SELECT DISTINCT ON (o.customer_id, r.address_norm) o.customer_id, r.address, r.address_norm, r.area_code
      FROM imp_record r JOIN imp_owner o USING (rec_id)
     WHERE r.address_norm IS NOT NULL
     ORDER BY o.customer_id, r.address_norm, o.anchor DESC, r.rec_id
    ON CONFLICT DO NOTHING
"""
# What PHONES and PREMISES added to customers that existed before the run, when a run tracks changes:
# a bulk run does not, and returning a million rows to drop them costs seconds.
ADDED = """
    WITH added AS ({insert} RETURNING customer_id, {value})
    SELECT customer_id, '{what}', {value} FROM added
     WHERE NOT EXISTS (SELECT 1 FROM imp_head h WHERE h.customer_id = added.customer_id)
"""
# The sort is by byte order, as a database the suite creates compares anyway: in one created before that
# (C.UTF-8 and the like) the collation sorts text several times slower, and any order keeps one row per
# device. Serial first: led by the kind (two values) the same sort took 5 times as long.
DEVICES = """
    INSERT INTO device (customer_id, premises_id, kind, serial, paired_serial, model, status, origin)
    SELECT DISTINCT ON (d.serial COLLATE "C", d.kind COLLATE "C") o.customer_id, pr.id, d.kind, d.serial,
           d.paired_serial, d.model, d.status, 'sms'
      FROM imp_device d
      JOIN imp_owner o ON o.system = 'sms' AND o.legacy_key = d.legacy_key
      LEFT JOIN premises pr ON pr.customer_id = o.customer_id AND pr.address_norm = o.address_norm
     ORDER BY d.serial COLLATE "C", d.kind COLLATE "C"
"""
# Into an empty device table (a first load) nothing can conflict and DISTINCT ON keeps one row per
# device, so the clause is left off: the unique index is then built once at the end like the others
# (first_load.py), a third of what inserting into it speculatively row by row cost.
DEVICE_CONFLICT = """
    ON CONFLICT (kind, serial) DO UPDATE
       SET customer_id = EXCLUDED.customer_id, premises_id = EXCLUDED.premises_id,
           paired_serial = EXCLUDED.paired_serial, model = COALESCE(EXCLUDED.model, device.model),
           status = EXCLUDED.status
     WHERE (device.customer_id, device.premises_id, device.paired_serial, device.status)
           IS DISTINCT FROM (EXCLUDED.customer_id, EXCLUDED.premises_id, EXCLUDED.paired_serial, EXCLUDED.status)
"""
# A CMS line is at the user's address; an entitlement at its subscriber's. The account is the one the
# customer already pays through at that premises, if any.
RESOLVE_SERVICES = """
    INSERT INTO imp_resolved
    SELECT s.system, s.legacy_ref, o.customer_id, pr.id, dv.id, acc.account_id, s.kind, s.product_code,
           s.product_name, s.monthly_fee_minor, s.state, s.started_at, s.ended_at, s.changed_at
      FROM imp_service s
      JOIN imp_owner o ON o.system = s.system AND o.legacy_key = s.legacy_key
      LEFT JOIN premises pr ON pr.customer_id = o.customer_id AND pr.address_norm = o.address_norm
      LEFT JOIN device dv ON dv.kind = 'smart_card' AND dv.serial = s.card_no
      LEFT JOIN (SELECT DISTINCT ON (customer_id, COALESCE(premises_id, 0)) customer_id,
                        COALESCE(premises_id, 0) AS premises_key, id AS account_id
                   FROM account WHERE status = 'active' AND customer_id IN (SELECT customer_id FROM imp_owner)
                  ORDER BY customer_id, COALESCE(premises_id, 0), id) acc
             ON acc.customer_id = o.customer_id AND acc.premises_key = COALESCE(pr.id, 0)
"""
NEW_ACCOUNTS = """
    INSERT INTO imp_account (account_id, customer_id, premises_id)
    SELECT nextval('account_id_seq'), customer_id, premises_id
      FROM (SELECT DISTINCT customer_id, premises_id FROM imp_resolved WHERE account_id IS NULL) x
"""
ACCOUNTS = """
    INSERT INTO account (id, customer_id, premises_id, name)
    SELECT a.account_id, a.customer_id, a.premises_id, c.name
      FROM imp_account a JOIN customer c ON c.id = a.customer_id
"""
# A legacy row read before the last write-back changed it is older than what the clerk did: left out.
SERVICE_UPDATES = """
    UPDATE service s
       SET state = x.state, monthly_fee_minor = x.monthly_fee_minor, product_name = x.product_name,
           premises_id = COALESCE(x.premises_id, s.premises_id), device_id = COALESCE(x.device_id, s.device_id),
           ended_at = x.ended_at, updated_at = now(), updated_by = %(actor)s
      FROM imp_resolved x JOIN service old ON old.origin = x.system AND old.legacy_ref = x.legacy_ref
     WHERE s.id = old.id
       AND NOT EXISTS (SELECT 1 FROM write_back w WHERE w.service_id = old.id AND w.legacy_changed_at > x.changed_at)
       AND (old.state, old.monthly_fee_minor, old.product_name, old.ended_at, old.premises_id, old.device_id)
           IS DISTINCT FROM (x.state, x.monthly_fee_minor, x.product_name, x.ended_at,
                             COALESCE(x.premises_id, old.premises_id), COALESCE(x.device_id, old.device_id))
    RETURNING s.id, s.customer_id, old.state, s.state
"""
SERVICE_INSERTS = """
    INSERT INTO service (customer_id, account_id, premises_id, device_id, kind, origin, legacy_ref, product_code,
                         product_name, monthly_fee_minor, state, started_at, ended_at, updated_by)
    SELECT x.customer_id, COALESCE(x.account_id, a.account_id), x.premises_id, x.device_id, x.kind, x.system,
           x.legacy_ref, x.product_code, x.product_name, x.monthly_fee_minor, x.state, x.started_at, x.ended_at,
           %(actor)s
      FROM imp_resolved x
      LEFT JOIN imp_account a ON a.customer_id = x.customer_id AND COALESCE(a.premises_id, 0) = COALESCE(x.premises_id, 0)
"""
# Into an empty service table (a first load) every staged service is new: asking cost a pass over 2.7 million.
SERVICE_NOT_STORED = """
     WHERE NOT EXISTS (SELECT 1 FROM service s WHERE s.origin = x.system AND s.legacy_ref = x.legacy_ref)
"""
LINKS = """
    INSERT INTO legacy_link (system, legacy_key, customer_id, method, score)
    SELECT system, legacy_key, customer_id, method, score FROM imp_owner WHERE method IS NOT NULL
    ON CONFLICT DO NOTHING
"""
LINK_COUNTS = "SELECT method, count(*) FROM imp_owner WHERE method IS NOT NULL GROUP BY method"
# Review pairs between two customers; a pair a clerk already decided stays decided.
REVIEWS = """
    INSERT INTO match_candidate (customer_a, customer_b, score, reasons)
    SELECT DISTINCT ON (least(ca, cb), greatest(ca, cb)) least(ca, cb), greatest(ca, cb), score, reasons
      FROM (SELECT COALESCE(oa.customer_id, -v.node_a) AS ca, COALESCE(ob.customer_id, -v.node_b) AS cb,
                   v.score, v.reasons
              FROM imp_review v
              LEFT JOIN imp_owner oa ON v.node_a > 0 AND oa.rec_id = v.node_a
              LEFT JOIN imp_owner ob ON v.node_b > 0 AND ob.rec_id = v.node_b) x
     WHERE ca <> cb
     ORDER BY least(ca, cb), greatest(ca, cb), score DESC
    ON CONFLICT (customer_a, customer_b) DO NOTHING
"""
QUARANTINE = """
    INSERT INTO quarantine (run_id, system, legacy_key, reason, raw)
    SELECT %(run_id)s, system, legacy_key, reason, raw FROM imp_quarantine
"""
# The dropped ID number is noted on the customer, so a clerk can ask for the card at the next visit.
REJECTED_IDS = """
    INSERT INTO audit_log (entity, entity_key, action, changes, actor)
    SELECT 'customer', c.customer_no, 'legacy_id_rejected',
           jsonb_build_object('system', r.system, 'legacyKey', r.legacy_key, 'reason', r.id_rejected), %(actor)s
      FROM imp_record r JOIN imp_owner o USING (rec_id) JOIN customer c ON c.id = o.customer_id
     WHERE r.id_rejected IS NOT NULL AND o.method IS NOT NULL
"""
ORPHANS = """
    SELECT (SELECT count(*) FROM imp_service) - (SELECT count(*) FROM imp_resolved)
"""


def apply(cur, run_id: int, actor: str, counts: dict, changes: list | None, live_vip) -> None:
    """Create and update golden records from the staged, matched rows (a first load into empty tables
    takes first_load_steps instead).

    `live_vip(subscriber_ids) -> set` answers the VIP mark of SMS subscribers this run did not read.
    `changes`, when given, receives (customer_id, service_id | None, what, value) for every change to a
    customer that existed before the run and for every new service."""
    track = changes is not None
    changes = changes if track else []
    args = {"actor": actor, "run_id": run_id}
    cur.execute(LOCK_SERVICES)
    cur.execute(HEADS, {"systems": list(SYSTEMS)})
    counts["customers_created"] = cur.rowcount
    cur.execute(NEW_OWNERS, {"systems": list(SYSTEMS)})
    analyze(cur, "imp_head", "imp_owner")
    _tiers(cur, live_vip)
    analyze(cur, "imp_tier")
    cur.execute(CUSTOMERS, args)
    for statement in (TIERS, ID_NUMBERS):
        cur.execute(statement, args)
        changes.extend((customer_id, None, what, value) for customer_id, what, value in cur.fetchall())
    for statement, change, column in ((PHONES, "phoneAdded", "phone"), (PREMISES, "premisesAdded", "address")):
        if track:
            cur.execute(ADDED.format(insert=statement, what=change, value=column))
            changes.extend((customer_id, None, what, value) for customer_id, what, value in cur.fetchall())
        else:
            cur.execute(statement)
    cur.execute(DEVICES + DEVICE_CONFLICT)
    counts["devices"] = cur.rowcount
    _resolve(cur)
    cur.execute(ACCOUNTS)
    counts["accounts_created"] = cur.rowcount
    cur.execute(SERVICE_UPDATES, args)
    updated = cur.fetchall()
    counts["services_updated"] = len(updated)
    changes.extend((customer_id, service_id, "state", (old, new)) for service_id, customer_id, old, new in updated)
    if track:
        cur.execute(SERVICE_INSERTS + SERVICE_NOT_STORED + " RETURNING id, customer_id, state", args)
        changes.extend((customer_id, service_id, "state", (None, state)) for service_id, customer_id, state in cur)
    else:
        cur.execute(SERVICE_INSERTS + SERVICE_NOT_STORED, args)
    counts["services"] = cur.rowcount
    _orphans(cur, counts)
    _links(cur, counts)
    after_golden(cur, run_id, actor, counts)


def after_golden(cur, run_id: int, actor: str, counts: dict) -> None:
    """What is written outside the golden tables, once they hold the run's records."""
    args = {"actor": actor, "run_id": run_id}
    cur.execute(REVIEWS)
    counts["review_pairs"] = cur.rowcount
    cur.execute(QUARANTINE, args)
    cur.execute(REJECTED_IDS, args)


def first_load_steps(run_id: int, actor: str, counts: dict, live_vip) -> list[tuple[Step, frozenset[str]]]:
    """apply() as steps for two connections at once, into golden tables that were empty (first_load.py),
    each with the golden tables it reads or writes. Nothing existed before the run, so nothing is updated
    or locked, and no insert can conflict: DISTINCT ON keeps one row per key, and the keys are checked
    when first_load.py adds them. The tiers are read from the services and links stored before the run (none
    here), so both wait for them. The list is in priority order: the premises, devices and services depend
    on one another and take longest."""
    args = {"actor": actor, "run_id": run_id}
    created: dict[str, int] = {}

    # Each system's records are placed on a connection of its own: on one, the other core was idle for the
    # 8 s the bench's records took.
    def heads_of(system: str):
        def work(cur):
            cur.execute(HEADS, {"systems": [system]})
            created[system] = cur.rowcount
        return work

    def owners_of(system: str):
        return lambda cur: cur.execute(NEW_OWNERS, {"systems": [system]})

    def owners(cur):
        counts["customers_created"] = sum(created.values())
        analyze(cur, "imp_head", "imp_owner")

    def premises(cur):
        cur.execute(PREMISES)
        analyze(cur, "premises")

    def devices(cur):
        cur.execute(DEVICES)
        counts["devices"] = cur.rowcount
        analyze(cur, "device")

    def services(cur):
        cur.execute(SERVICE_INSERTS, args)
        counts.update(services=cur.rowcount, services_updated=0)
        _orphans(cur, counts)

    def tiers(cur):
        _tiers(cur, live_vip)
        analyze(cur, "imp_tier")

    def customers(cur):
        cur.execute(CUSTOMERS, args)

    def phones(cur):
        cur.execute(PHONES)

    def accounts(cur):
        cur.execute(ACCOUNTS)
        counts["accounts_created"] = cur.rowcount

    def links(cur):
        _links(cur, counts)

    def step(work, needs: tuple = (), tables: tuple = (), name: str = "") -> tuple[Step, frozenset[str]]:
        return Step(name or work.__name__.strip("_"), work, frozenset(needs)), frozenset(tables)
    heads = [step(heads_of(system), name=f"heads {system}") for system in SYSTEMS]
    placed = [step(owners_of(system), tuple(head.name for head, _ in heads), name=f"owners {system}")
              for system in SYSTEMS]
    return [*heads, *placed, step(owners, tuple(part.name for part, _ in placed)),
            step(premises, ("owners",), ("premises",)),
            step(devices, ("premises",), ("device", "premises")),
            step(_resolve, ("devices",), ("premises", "device", "account")),
            step(services, ("resolve", "tiers"), ("service",)),
            step(tiers, ("owners",), ("legacy_link", "service")),
            step(customers, ("tiers",), ("customer",)),
            step(phones, ("owners",), ("customer_phone",)),
            step(accounts, ("resolve", "customers"), ("account", "customer")),
            step(links, ("tiers",), ("legacy_link",))]


def _resolve(cur) -> None:
    # Tables that were empty still have the statistics of an empty table: resolving 2.7 million services
    # against them, the planner hashed the services (twice, half a gigabyte each) instead of the premises
    # and the smart cards (a first load analyzes them as it fills them).
    cur.execute(RESOLVE_SERVICES)
    cur.execute(NEW_ACCOUNTS)
    analyze(cur, "imp_resolved", "imp_account")


def _orphans(cur, counts: dict) -> None:
    cur.execute(ORPHANS)
    counts["services_without_owner"] = cur.fetchone()[0]


def _links(cur, counts: dict) -> None:
    cur.execute(LINKS)
    cur.execute(LINK_COUNTS)
    methods = dict(cur.fetchall())
    counts.update(linked_by_id=methods.get("id_no", 0), linked_by_score=methods.get("score", 0),
                  linked_new=methods.get("new", 0))


def _tiers(cur, live_vip) -> None:
    """The tier of every touched customer into imp_tier. A million customers have a few hundred
    distinct inputs, so the rule (domain.tier) is asked once per distinct input, not per customer."""
    cur.execute(UNSTAGED_SMS_KEYS)
    unstaged = cur.fetchall()
    cur.execute(TIER_INPUTS)
    if unstaged:
        marked = live_vip([key for key, _ in unstaged])
        cur.execute("UPDATE imp_tier_input SET vip = true WHERE customer_id = ANY(%s)",
                    ([customer_id for key, customer_id in unstaged if key in marked],))
    cur.execute("SELECT DISTINCT vip, fees FROM imp_tier_input")
    execute_values(cur, "INSERT INTO imp_tier_rule (vip, fees, tier) VALUES %s",
                   [(vip, fees, tier(vip, fees)) for vip, fees in cur.fetchall()])
    cur.execute(TIERS_BY_RULE)
