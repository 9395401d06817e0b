"""The analog cable system (CMS): read its users, and suspend, restore or disconnect a line in it.

Legacy codes are translated here, so the importer only sees the customer service's words.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterator

from services.common.errors import InvalidArgument

from .connection import legacy_connection, snapshot, stream
from .ports import WriteBackResult

USER_COLUMNS = ("yhbh", "yhxm", "sfzh", "lxdh", "azdz", "qydm", "state", "khrq", "sflxdm", "sflxmc", "yzf",
                "bz", "gxsj")

_USERS = """
    SELECT u.yhbh, u.yhxm, u.sfzh, u.lxdh, u.azdz, trim(u.qydm),
           CASE u.xlzt WHEN '1' THEN 'active' WHEN '2' THEN 'suspended' ELSE 'disconnected' END,
           u.khrq, trim(u.sflxdm), f.sflxmc, f.yzf, u.bz, u.gxsj
      FROM yhxx u LEFT JOIN sflx f ON f.sflxdm = u.sflxdm
     WHERE u.gxsj > %(since)s
"""

# action -> (operation code in czrz, line status it sets, line statuses it may start from)
LINE_ACTIONS = {
    "suspend": ("TJ", "2", ("1",)),
    "restore": ("FT", "1", ("2",)),
    "disconnect": ("CJ", "3", ("1", "2")),
}
_LINE_STATUS_NAMES = {"1": "normal", "2": "suspended", "3": "disconnected"}


class CmsAdapter:
    system = "cms"

    def __init__(self, url: str):
        self.url = url

    def users(self, since: datetime | None = None) -> Iterator[tuple]:
        """Every user (line) changed after `since` (all when None), as tuples in USER_COLUMNS order."""
        with snapshot(self.url, self.system) as conn:
            yield from stream(conn, _USERS, {"since": since or datetime.min})

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
                # The CMS logs refused operations too (jg 0): that is how its operators audit the network.
                cur.execute("INSERT INTO czrz (yhbh, czlx, czy, jg) VALUES (%s, %s, %s, %s) RETURNING czxh",
                            (user_no, code, operator[:20], "1" if accepted else "0"))
                log_no = cur.fetchone()[0]
        if not accepted:
            state = _LINE_STATUS_NAMES.get(row[0], row[0])
            return WriteBackResult(False, f"czrz {log_no}: {code} refused, line is {state}")
        return WriteBackResult(True, f"czrz {log_no}: {code} accepted", legacy_changed_at=changed_at)
