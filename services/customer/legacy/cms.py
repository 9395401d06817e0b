"""The analog cable system (CMS): read its users, and suspend, restore or disconnect a line in it.

Legacy codes are translated here, so the importer only sees the customer service's words.
"""
from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Iterator

from services.common.errors import InvalidArgument

from .connection import exported, legacy_connection, snapshot, stream
from .ports import Person, WriteBackResult

USER_COLUMNS = ("yhbh", "yhxm", "sfzh", "lxdh", "azdz", "qydm", "state", "khrq", "sflxdm", "sflxmc", "yzf",
                "bz", "gxsj")

_USERS = """
    SELECT u.yhbh, u.yhxm, u.sfzh, u.lxdh, u.azdz, trim(u.qydm),
           CASE u.xlzt WHEN '1' THEN 'active' WHEN '2' THEN 'suspended' ELSE 'disconnected' END,
           u.khrq, trim(u.sflxdm), f.sflxmc, f.yzf, u.bz, u.gxsj
      FROM yhxx u LEFT JOIN sflx f ON f.sflxdm = u.sflxdm
     WHERE u.gxsj > %(since)s
"""

_NUMBERS = """
       AND (%(from)s::text IS NULL OR u.yhbh >= %(from)s) AND (%(to)s::text IS NULL OR u.yhbh < %(to)s)
"""

# action -> (operation code in czrz, line status it sets, line statuses it may start from)
LINE_ACTIONS = {
    "suspend": ("TJ", "2", ("1",)),
    "restore": ("FT", "1", ("2",)),
    "disconnect": ("CJ", "3", ("1", "2")),
}
_LINE_STATUS_NAMES = {"1": "normal", "2": "suspended", "3": "disconnected"}
OPEN_CODE, MOVE_CODE = "KH", "YJ"  # 开户 a new line, 移机 a line moved to a new address
# Lines the BSS opens are numbered area code, '8', a serial of 7 (the simulator's own new lines have a '9').
BSS_LINE_MARK = "8"
# The remark a line opened for an order carries, so opening it again for that order finds it.
_ORDER_REMARK = "BSS order {}"


class CmsSnapshot:
    """Reads of one consistent moment of the CMS, whole or in ranges of user numbers read side by side."""

    def __init__(self, conn):
        self.conn = conn

    def exported(self) -> str:
        return exported(self.conn)

    def users(self, since: datetime | None = None, numbers: tuple[str | None, str | None] = (None, None)
              ) -> Iterator[tuple]:
        """Users changed after `since` (all when None) whose numbers are in [from, to) (None: unbounded)."""
        return stream(self.conn, _USERS + _NUMBERS, {"since": since or datetime.min, "from": numbers[0],
                                                     "to": numbers[1]})

    def number_at(self, share: float) -> str | None:
        """The user number below which `share` of the users are: a bound that parts the users."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT yhbh FROM yhxx ORDER BY yhbh"
                        " OFFSET (SELECT (count(*) * %s)::bigint FROM yhxx) LIMIT 1", (share,))
            row = cur.fetchone()
        return row and row[0]


class CmsAdapter:
    system = "cms"

    def __init__(self, url: str):
        self.url = url

    def users(self, since: datetime | None = None) -> Iterator[tuple]:
        """Every user (line) changed after `since` (all when None), as tuples in USER_COLUMNS order."""
        with self.snapshot() as cms:
            yield from cms.users(since)

    @contextlib.contextmanager
    def snapshot(self, shared: str | None = None) -> Iterator[CmsSnapshot]:
        with snapshot(self.url, self.system, shared) as conn:
            yield CmsSnapshot(conn)

    def set_line_status(self, user_no: str, action: str, operator: str) -> WriteBackResult:
        if action not in LINE_ACTIONS:
            raise InvalidArgument(f"unknown line action {action!r}", reason="unknown-action")
        code, target, allowed_from = LINE_ACTIONS[action]
        with legacy_connection(self.url, self.system) as conn, conn:
            with conn.cursor() as cur:
                cur.execute("SELECT xlzt FROM yhxx WHERE yhbh = %s FOR UPDATE", (user_no,))
                row = cur.fetchone()
                if row is None:
                    return WriteBackResult(False, f"CMS user {user_no} does not exist")
                accepted = row[0] in allowed_from
                changed_at = None
                if accepted:
                    cur.execute("UPDATE yhxx SET xlzt = %s WHERE yhbh = %s RETURNING gxsj", (target, user_no))
                    changed_at = cur.fetchone()[0]
                log_no = _log(cur, user_no, code, operator, accepted)
        if not accepted:
            state = _LINE_STATUS_NAMES.get(row[0], row[0])
            return WriteBackResult(False, f"czrz {log_no}: {code} refused, line is {state}")
        return WriteBackResult(True, f"czrz {log_no}: {code} accepted", legacy_changed_at=changed_at)

    def product(self, fee_type: str) -> dict | None:
        with legacy_connection(self.url, self.system) as conn, conn.cursor() as cur:
            cur.execute("SELECT sflxmc, yzf FROM sflx WHERE sflxdm = %s", (fee_type,))
            row = cur.fetchone()
        return None if row is None else {"name": row[0], "kind": "analog_tv", "price_minor": row[1]}

    def open_line(self, order_no: str, person: Person, fee_type: str, operator: str) -> WriteBackResult:
        remark = _ORDER_REMARK.format(order_no)
        with legacy_connection(self.url, self.system) as conn, conn:
            with conn.cursor() as cur:
                # Numbers are drawn as max + 1: two writers must not draw the same one.
                cur.execute("LOCK TABLE yhxx IN SHARE ROW EXCLUSIVE MODE")
                # The BSS's numbers of the area, a range of the primary key: neither look-up reads the
                # million other lines.
                prefix = person.area_code + BSS_LINE_MARK
                ours = (prefix + "0" * 7, prefix + "9" * 7)
                cur.execute("SELECT yhbh, gxsj FROM yhxx WHERE yhbh BETWEEN %s AND %s AND bz = %s", (*ours, remark))
                if opened := cur.fetchone():
                    return WriteBackResult(True, f"line {opened[0]} already opened for order {order_no}",
                                           legacy_ref=opened[0], legacy_changed_at=opened[1])
                cur.execute("SELECT 1 FROM sflx WHERE sflxdm = %s", (fee_type,))
                if cur.fetchone() is None:
                    return WriteBackResult(False, f"CMS fee type {fee_type} does not exist")
                cur.execute("SELECT max(yhbh) FROM yhxx WHERE yhbh BETWEEN %s AND %s", ours)
                last = cur.fetchone()[0]
                user_no = f"{prefix}{int(last[len(prefix):]) + 1 if last else 1:07d}"
                cur.execute("INSERT INTO yhxx (yhbh, yhxm, sfzh, lxdh, azdz, qydm, xlzt, khrq, sflxdm, bz, gxsj)"
                            " VALUES (%s, %s, %s, %s, %s, %s, '1', to_char(localtimestamp, 'YYYYMMDD'), %s, %s,"
                            " clock_timestamp()) RETURNING gxsj",
                            (user_no, person.name[:40], person.id_no, person.phone, person.address[:200],
                             person.area_code, fee_type, remark))
                changed_at = cur.fetchone()[0]
                log_no = _log(cur, user_no, OPEN_CODE, operator, True)
        return WriteBackResult(True, f"czrz {log_no}: {OPEN_CODE} accepted, line {user_no}", legacy_ref=user_no,
                               legacy_changed_at=changed_at)

    def move_line(self, user_no: str, address: str, area_code: str, operator: str) -> WriteBackResult:
        with legacy_connection(self.url, self.system) as conn, conn:
            with conn.cursor() as cur:
                cur.execute("SELECT xlzt FROM yhxx WHERE yhbh = %s FOR UPDATE", (user_no,))
                row = cur.fetchone()
                if row is None:
                    return WriteBackResult(False, f"CMS user {user_no} does not exist")
                accepted = row[0] in ("1", "2")
                changed_at = None
                if accepted:
                    cur.execute("UPDATE yhxx SET azdz = %s, qydm = %s WHERE yhbh = %s RETURNING gxsj",
                                (address[:200], area_code, user_no))
                    changed_at = cur.fetchone()[0]
                log_no = _log(cur, user_no, MOVE_CODE, operator, accepted)
        if not accepted:
            return WriteBackResult(False, f"czrz {log_no}: {MOVE_CODE} refused, line is "
                                          f"{_LINE_STATUS_NAMES.get(row[0], row[0])}")
        return WriteBackResult(True, f"czrz {log_no}: {MOVE_CODE} accepted", legacy_changed_at=changed_at)


def _log(cur, user_no: str, code: str, operator: str, accepted: bool) -> int:
    """The CMS logs refused operations too (jg 0): that is how its operators audit the network."""
    cur.execute("INSERT INTO czrz (yhbh, czlx, czy, jg) VALUES (%s, %s, %s, %s) RETURNING czxh",
                (user_no, code, operator[:20], "1" if accepted else "0"))
    return cur.fetchone()[0]
