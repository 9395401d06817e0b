"""The digital TV subscriber management system (SMS): read subscribers, smart cards, set-top boxes and
entitlements, and change entitlements through it (each change is a command to the CA system).

Legacy codes are translated here, so the importer only sees the customer service's words.
"""
from __future__ import annotations

import contextlib
from datetime import datetime
from typing import IO, Iterator

from services.common.errors import InvalidArgument

from .connection import copy_out, exported, legacy_connection, snapshot, stream
from .ports import Equipment, Person, WriteBackResult

SUBSCRIBER_COLUMNS = ("subscriber_id", "cust_name", "cert_type", "cert_no", "mobile", "tel", "addr",
                      "region_code", "vip", "status", "create_time", "update_time")
# Entitlements and devices come as COPY text; their columns are named as the importer stages them.
ENTITLEMENT_COLUMNS = ("system", "legacy_ref", "legacy_key", "card_no", "kind", "product_code", "product_name",
                       "monthly_fee_minor", "state", "started_at", "ended_at", "changed_at")
DEVICE_COLUMNS = ("kind", "serial", "legacy_key", "paired_serial", "model", "status", "changed_at")

# Subscribers with anything changed after `since`: themselves, a card, an STB or an entitlement.
# Their whole picture is read again, so the importer can upsert it.
_CHANGED = """
    WITH changed AS (
        SELECT subscriber_id FROM subscriber WHERE update_time > %(since)s
        UNION SELECT subscriber_id FROM smartcard WHERE update_time > %(since)s
        UNION SELECT subscriber_id FROM stb WHERE update_time > %(since)s AND subscriber_id IS NOT NULL
        UNION SELECT c.subscriber_id FROM entitlement e JOIN smartcard c ON c.card_no = e.card_no
               WHERE e.update_time > %(since)s)
"""
_IN_CHANGED = "{key} IN (SELECT subscriber_id FROM changed)"

_SUBSCRIBERS = """
    SELECT s.subscriber_id, s.cust_name, s.cert_type, s.cert_no, s.mobile, s.tel, s.addr, trim(s.region_code),
           s.cust_level = 'V', s.status, s.create_time, s.update_time
      FROM subscriber s WHERE {scope}
"""
# The service kind of an SMS product type: broadband products are BB, every other type is television.
_SERVICE_KIND = "CASE WHEN {col} = 'BB' THEN 'broadband' ELSE 'digital_tv' END"
# An entitlement past its end time no longer gives the service, whatever its status says.
_ENTITLEMENTS = f"""
    SELECT 'sms', e.entitlement_id, c.subscriber_id, e.card_no, {_SERVICE_KIND.format(col='p.product_type')},
           e.product_id, COALESCE(p.product_name, e.product_id), COALESCE(p.price_fen, 0),
           CASE WHEN e.status = 'C' OR e.end_time <= now() THEN 'disconnected'
                WHEN e.status = 'S' THEN 'suspended' ELSE 'active' END,
           e.start_time, e.end_time, e.update_time
      FROM entitlement e
      JOIN smartcard c ON c.card_no = e.card_no
      LEFT JOIN product p ON p.product_id = e.product_id
     WHERE {{scope}}
"""
_DEVICE_STATUS = "CASE {col} WHEN 'A' THEN 'active' WHEN 'S' THEN 'suspended' ELSE 'retired' END"
_DEVICES = f"""
    SELECT 'smart_card', c.card_no, c.subscriber_id, t.serial_no, NULL, {_DEVICE_STATUS.format(col='c.status')},
           c.update_time
      FROM smartcard c
      LEFT JOIN (SELECT card_no, max(serial_no) AS serial_no FROM stb GROUP BY card_no) t ON t.card_no = c.card_no
     WHERE {{card_scope}}
    UNION ALL
    SELECT 'stb', t.serial_no, COALESCE(t.subscriber_id, c.subscriber_id), t.card_no, t.model,
           {_DEVICE_STATUS.format(col="COALESCE(c.status, 'A')")}, t.update_time
      FROM stb t LEFT JOIN smartcard c ON c.card_no = t.card_no
     WHERE COALESCE(t.subscriber_id, c.subscriber_id) IS NOT NULL AND {{stb_scope}}
"""

# action -> (entitlement status it sets, statuses it may start from, CA command)
ENTITLEMENT_ACTIONS = {
    "suspend": ("S", ("A",), "SUSPEND"),
    "restore": ("A", ("S",), "RESUME"),
    "disconnect": ("C", ("A", "S"), "DEENTITLE"),
}
_STATUS_NAMES = {"A": "active", "S": "suspended", "C": "cancelled"}


class SmsSnapshot:
    """Reads of one consistent moment of the SMS: subscribers changed after `since` (all when None),
    and the entitlements and devices of exactly those subscribers."""

    def __init__(self, conn):
        self.conn = conn

    def exported(self) -> str:
        return exported(self.conn)

    def _scoped(self, query: str, since: datetime | None, scopes: dict[str, str]) -> tuple[str, dict]:
        if since is None:
            return query.format(**{k: "true" for k in scopes}), {}
        return (_CHANGED + query.format(**{k: _IN_CHANGED.format(key=key) for k, key in scopes.items()}),
                {"since": since})

    def subscribers(self, since: datetime | None = None) -> Iterator[tuple]:
        """Tuples in SUBSCRIBER_COLUMNS order."""
        return stream(self.conn, *self._scoped(_SUBSCRIBERS, since, {"scope": "s.subscriber_id"}))

    def copy_entitlements(self, since: datetime | None, sink: IO[bytes]) -> None:
        """COPY text in ENTITLEMENT_COLUMNS order."""
        copy_out(self.conn, *self._scoped(_ENTITLEMENTS, since, {"scope": "c.subscriber_id"}), sink)

    def copy_devices(self, since: datetime | None, sink: IO[bytes]) -> None:
        """COPY text in DEVICE_COLUMNS order: smart cards with their paired STB, and STBs."""
        copy_out(self.conn, *self._scoped(_DEVICES, since, {"card_scope": "c.subscriber_id",
                                                            "stb_scope": "COALESCE(t.subscriber_id, c.subscriber_id)"}),
                 sink)


class SmsAdapter:
    system = "sms"

    def __init__(self, url: str):
        self.url = url

    @contextlib.contextmanager
    def snapshot(self, shared: str | None = None) -> Iterator[SmsSnapshot]:
        with snapshot(self.url, self.system, shared) as conn:
            yield SmsSnapshot(conn)

    def vip_subscribers(self, subscriber_ids: list[int]) -> set[int]:
        """Which of these subscribers the SMS marks VIP: one query for the whole list."""
        with legacy_connection(self.url, self.system) as conn, conn.cursor() as cur:
            cur.execute("SELECT subscriber_id FROM subscriber WHERE cust_level = 'V' AND subscriber_id = ANY(%s)",
                        (subscriber_ids,))
            return {row[0] for row in cur}

    def product(self, product_code: str) -> dict | None:
        with legacy_connection(self.url, self.system) as conn, conn.cursor() as cur:
            cur.execute(f"SELECT product_name, {_SERVICE_KIND.format(col='product_type')}, price_fen "
                        "FROM product WHERE product_id = %s", (product_code,))
            row = cur.fetchone()
        return None if row is None else {"name": row[0], "kind": row[1], "price_minor": row[2]}

    def set_entitlement_status(self, entitlement_id: str, action: str, operator: str) -> WriteBackResult:
        if action not in ENTITLEMENT_ACTIONS:
            raise InvalidArgument(f"unknown entitlement action {action!r}", reason="unknown-action")
        target, allowed_from, command = ENTITLEMENT_ACTIONS[action]
        if not str(entitlement_id).isdigit():
            return WriteBackResult(False, f"SMS entitlement {entitlement_id} does not exist")
        with legacy_connection(self.url, self.system) as conn, conn:
            with conn.cursor() as cur:
                cur.execute("SELECT card_no, product_id, status FROM entitlement WHERE entitlement_id = %s FOR UPDATE",
                            (int(entitlement_id),))
                row = cur.fetchone()
                if row is None:
                    return WriteBackResult(False, f"SMS entitlement {entitlement_id} does not exist")
                card_no, product_id, status = row
                accepted = status in allowed_from
                changed_at = None
                if accepted:
                    cur.execute(
                        "UPDATE entitlement SET status = %s,"
                        " end_time = CASE WHEN %s = 'C' THEN localtimestamp ELSE end_time END"
                        " WHERE entitlement_id = %s RETURNING update_time", (target, target, int(entitlement_id)))
                    changed_at = cur.fetchone()[0]
                command_id = _ca_command(cur, card_no, command, product_id, operator, accepted)
        if not accepted:
            return WriteBackResult(False, f"ca_command {command_id}: {command} rejected, "
                                          f"entitlement is {_STATUS_NAMES.get(status, status)}")
        return WriteBackResult(True, f"ca_command {command_id}: {command} OK", legacy_changed_at=changed_at)

    def entitle(self, card_no: str, product_code: str, operator: str) -> WriteBackResult:
        with legacy_connection(self.url, self.system) as conn, conn:
            with conn.cursor() as cur:
                cur.execute("SELECT status FROM smartcard WHERE card_no = %s FOR UPDATE", (card_no,))
                card = cur.fetchone()
                if card is None:
                    return WriteBackResult(False, f"SMS smart card {card_no} does not exist")
                cur.execute("SELECT 1 FROM product WHERE product_id = %s", (product_code,))
                if cur.fetchone() is None:
                    return WriteBackResult(False, f"SMS product {product_code} does not exist")
                cur.execute("SELECT entitlement_id FROM entitlement WHERE card_no = %s AND product_id = %s"
                            " AND status <> 'C' AND (end_time IS NULL OR end_time > localtimestamp)",
                            (card_no, product_code))
                existing = cur.fetchone()
                refusal = (f"smart card {card_no} is {_STATUS_NAMES.get(card[0], card[0])}" if card[0] != "A"
                           else f"already entitled (entitlement {existing[0]})" if existing else None)
                entitlement_id = None
                if refusal is None:
                    cur.execute("INSERT INTO entitlement (card_no, product_id, start_time, status)"
                                " VALUES (%s, %s, localtimestamp, 'A') RETURNING entitlement_id",
                                (card_no, product_code))
                    entitlement_id = cur.fetchone()[0]
                command_id = _ca_command(cur, card_no, "ENTITLE", product_code, operator, refusal is None)
        if refusal:
            return WriteBackResult(False, f"ca_command {command_id}: ENTITLE rejected, {refusal}")
        return WriteBackResult(True, f"ca_command {command_id}: ENTITLE OK", legacy_ref=str(entitlement_id))

    def install(self, subscriber_id: str | None, person: Person, equipment: Equipment, product_code: str,
                operator: str) -> WriteBackResult:
        card, stb = equipment.card, equipment.stb
        try:
            with legacy_connection(self.url, self.system) as conn, conn, conn.cursor() as cur:
                cur.execute("SELECT 1 FROM product WHERE product_id = %s", (product_code,))
                if cur.fetchone() is None:
                    raise _Refused(f"SMS product {product_code} does not exist")
                cur.execute("SELECT c.subscriber_id, c.status, s.cust_name, s.cert_no FROM smartcard c"
                            " LEFT JOIN subscriber s USING (subscriber_id) WHERE c.card_no = %s FOR UPDATE OF c",
                            (card,))
                if registered := cur.fetchone():
                    holder, status, name, cert_no = registered
                    # Ours from an earlier attempt (the same subscriber, or the person it was created for),
                    # or another household's card, which the technician must not have installed here.
                    mine = (str(holder) == subscriber_id if subscriber_id
                            else (name, cert_no or None) == (person.name, person.id_no))
                    if not mine or status != "A":
                        why = "is not active" if mine else f"belongs to subscriber {holder}"
                        raise _Refused(f"SMS smart card {card} {why}")
                    subscriber_id = str(holder)
                elif subscriber_id is None:
                    subscriber_id = _new_subscriber(cur, person)
                if not registered:
                    cur.execute("INSERT INTO smartcard (card_no, subscriber_id, issue_time, update_time)"
                                " VALUES (%s, %s, clock_timestamp(), clock_timestamp())", (card, int(subscriber_id)))
                if stb:
                    _pair_stb(cur, stb, equipment.stb_model, card, int(subscriber_id), None)
                cur.execute("SELECT entitlement_id, update_time FROM entitlement WHERE card_no = %s AND product_id = %s"
                            " AND status = 'A' AND (end_time IS NULL OR end_time > localtimestamp)",
                            (card, product_code))
                entitled = cur.fetchone()
                if entitled is None:
                    cur.execute("INSERT INTO entitlement (card_no, product_id, start_time, status, update_time)"
                                " VALUES (%s, %s, localtimestamp, 'A', clock_timestamp())"
                                " RETURNING entitlement_id, update_time", (card, product_code))
                    entitled = cur.fetchone()
                    command_id = _ca_command(cur, card, "ENTITLE", product_code, operator, True)
                    detail = f"ca_command {command_id}: ENTITLE OK"
                else:
                    detail = f"card {card} was entitled before (entitlement {entitled[0]})"
        except _Refused as refused:
            return WriteBackResult(False, str(refused))
        return WriteBackResult(True, f"subscriber {subscriber_id}, card {card}" + (f", box {stb}" if stb else "")
                               + f": {detail}", legacy_ref=str(entitled[0]), legacy_key=subscriber_id,
                               legacy_changed_at=entitled[1])

    def swap_equipment(self, entitlement_id: str, equipment: Equipment, operator: str) -> WriteBackResult:
        if not str(entitlement_id).isdigit():
            return WriteBackResult(False, f"SMS entitlement {entitlement_id} does not exist")
        try:
            with legacy_connection(self.url, self.system) as conn, conn, conn.cursor() as cur:
                cur.execute("SELECT e.card_no, c.subscriber_id FROM entitlement e JOIN smartcard c USING (card_no)"
                            " WHERE e.entitlement_id = %s FOR UPDATE OF c", (int(entitlement_id),))
                row = cur.fetchone()
                if row is None:
                    raise _Refused(f"SMS entitlement {entitlement_id} does not exist")
                card, subscriber_id = row
                done = []
                # A card already moved (an earlier attempt) is not moved again.
                if equipment.card and equipment.card != card:
                    if equipment.removed_card != card:
                        raise _Refused(f"the removed card {equipment.removed_card} is not the service's card {card}")
                    cur.execute("SELECT subscriber_id FROM smartcard WHERE card_no = %s", (equipment.card,))
                    if (other := cur.fetchone()) and other[0] != subscriber_id:
                        raise _Refused(f"SMS smart card {equipment.card} belongs to subscriber {other[0]}")
                    if other is None:
                        cur.execute("INSERT INTO smartcard (card_no, subscriber_id, issue_time, update_time)"
                                    " VALUES (%s, %s, clock_timestamp(), clock_timestamp())",
                                    (equipment.card, subscriber_id))
                    # The CA system takes the products off the old card and puts them on the new one.
                    cur.execute("UPDATE entitlement SET card_no = %s WHERE card_no = %s AND status <> 'C'"
                                " RETURNING product_id", (equipment.card, card))
                    for (product,) in cur.fetchall():
                        _ca_command(cur, card, "DEENTITLE", product, operator, True)
                        _ca_command(cur, equipment.card, "ENTITLE", product, operator, True)
                    cur.execute("UPDATE smartcard SET status = 'C' WHERE card_no = %s", (card,))
                    cur.execute("UPDATE stb SET card_no = %s, update_time = clock_timestamp() WHERE card_no = %s",
                                (equipment.card, card))
                    done.append(f"card {card} -> {equipment.card}")
                card = equipment.card or card
                if equipment.stb:
                    _pair_stb(cur, equipment.stb, equipment.stb_model, card, subscriber_id, equipment.removed_stb)
                    done.append(f"box {equipment.removed_stb} -> {equipment.stb}")
                cur.execute("SELECT update_time FROM entitlement WHERE entitlement_id = %s", (int(entitlement_id),))
                changed_at = cur.fetchone()[0]
        except _Refused as refused:
            return WriteBackResult(False, str(refused))
        return WriteBackResult(True, "swapped " + ", ".join(done), legacy_changed_at=changed_at)

    def move_subscriber(self, entitlement_id: str, address: str, area_code: str, operator: str) -> WriteBackResult:
        if not str(entitlement_id).isdigit():
            return WriteBackResult(False, f"SMS entitlement {entitlement_id} does not exist")
        with legacy_connection(self.url, self.system) as conn, conn:
            with conn.cursor() as cur:
                cur.execute("UPDATE subscriber s SET addr = %s, region_code = %s FROM entitlement e"
                            " JOIN smartcard c USING (card_no)"
                            " WHERE e.entitlement_id = %s AND s.subscriber_id = c.subscriber_id AND s.status <> 'C'"
                            " RETURNING s.subscriber_id", (address[:200], area_code, int(entitlement_id)))
                moved = cur.fetchone()
        if moved is None:
            return WriteBackResult(False, f"no open SMS subscriber holds entitlement {entitlement_id}")
        return WriteBackResult(True, f"subscriber {moved[0]} moved to {area_code}")


def _new_subscriber(cur, person: Person) -> str:
    # The SMS numbers subscribers max + 1: two writers must not draw the same one.
    cur.execute("LOCK TABLE subscriber IN SHARE ROW EXCLUSIVE MODE")
    cur.execute("INSERT INTO subscriber (subscriber_id, cust_name, cert_type, cert_no, mobile, addr, region_code,"
                " create_time, update_time)"
                " SELECT coalesce(max(subscriber_id), 6100000000) + 1, %s, '01', %s, %s, %s, %s,"
                " clock_timestamp(), clock_timestamp() FROM subscriber RETURNING subscriber_id",
                (person.name[:60], person.id_no, person.phone, person.address[:200], person.area_code))
    return str(cur.fetchone()[0])


class _Refused(Exception):
    """The SMS refuses a change half made: raised inside its transaction, so nothing of it stays."""


def _pair_stb(cur, serial: str, model: str | None, card: str, subscriber_id: int, replaces: str | None) -> None:
    """Pair a set-top box with the card (in place of `replaces`, unpaired)."""
    cur.execute("SELECT card_no FROM stb WHERE serial_no = %s FOR UPDATE", (serial,))
    if (row := cur.fetchone()) and row[0] not in (None, card):
        raise _Refused(f"SMS set-top box {serial} is paired with another card")
    if replaces and replaces != serial:
        cur.execute("UPDATE stb SET card_no = NULL, subscriber_id = NULL, update_time = clock_timestamp()"
                    " WHERE serial_no = %s AND card_no = %s", (replaces, card))
    cur.execute("INSERT INTO stb (serial_no, model, card_no, subscriber_id, update_time)"
                " VALUES (%s, %s, %s, %s, clock_timestamp())"
                " ON CONFLICT (serial_no) DO UPDATE SET card_no = EXCLUDED.card_no,"
                " subscriber_id = EXCLUDED.subscriber_id, model = COALESCE(EXCLUDED.model, stb.model),"
                " update_time = EXCLUDED.update_time", (serial, model, card, subscriber_id))


def _ca_command(cur, card_no: str, command: str, product_id: str, operator: str, ok: bool) -> int:
    cur.execute("INSERT INTO ca_command (card_no, command, product_id, operator, result)"
                " VALUES (%s, %s, %s, %s, %s) RETURNING command_id",
                (card_no, command, product_id, operator[:30], "OK" if ok else "REJECTED"))
    return cur.fetchone()[0]
