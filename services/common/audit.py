"""The audit trail every service keeps: who changed what, when (table audit_log, created in every
service's schema by services/common/migrations). Written in the transaction of the change itself, so
a change and its audit row are committed together or not at all."""
from __future__ import annotations

import json
from datetime import datetime

from psycopg2.extras import Json, execute_values

from .errors import InvalidArgument
from .inputrules import LABEL_MAX, SEARCH_MAX, number


def audit(cur, entity: str, key: str, action: str, changes: dict, actor: str) -> None:
    """One row: `entity` (e.g. "customer") `key` (its public number) had `action` done by `actor`."""
    audit_many(cur, [(entity, key, action, changes)], actor)


def audit_many(cur, rows: list[tuple[str, str, str, dict]], actor: str) -> None:
    """(entity, key, action, changes) rows by one actor in one statement, for batch jobs."""
    if rows:
        execute_values(cur, "INSERT INTO audit_log (entity, entity_key, action, changes, actor) VALUES %s",
                       [(entity, key, action, Json(changes, dumps=_json_dumps), actor)
                        for entity, key, action, changes in rows])


LIMIT_MAX = 1000  # entries a read answers at most; a deeper one narrows the time instead


def query(entity: str | None, key: str | None, actor: str | None, since: datetime | None = None,
          until: datetime | None = None) -> tuple[str | None, str | None, str | None]:
    """What a read asks about, in one spelling: a record (entity and key) or a person (actor), or both, so
    that it follows an index, between times that say their offset; InvalidArgument otherwise."""
    entity, key, actor = (number(field, value or "", limit).strip() or None for field, value, limit in (
        ("entity", entity, LABEL_MAX), ("entityKey", key, SEARCH_MAX), ("actor", actor, LABEL_MAX)))
    if not ((entity and key) or actor):
        raise InvalidArgument("ask for a record (entity and entityKey) or a person (actor)",
                              reason="invalid-audit-query")
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise InvalidArgument(f"{name} needs its offset from UTC (+08:00 or Z)", reason="invalid-time")
    return entity, key, actor


def entries(cur, entity: str | None, key: str | None, actor: str | None, since: datetime | None,
            until: datetime | None, limit: int) -> tuple[list[dict], int]:
    """The newest `limit` rows of a record (entity and key), of an actor, or of both, in [since, until), and
    how many match in all."""
    where = """(%(entity)s::text IS NULL OR entity = %(entity)s) AND (%(key)s::text IS NULL OR entity_key = %(key)s)
           AND (%(actor)s::text IS NULL OR actor = %(actor)s) AND (%(since)s::timestamptz IS NULL OR at >= %(since)s)
           AND (%(until)s::timestamptz IS NULL OR at < %(until)s)"""
    args = {"entity": entity, "key": key, "actor": actor, "since": since, "until": until, "limit": limit}
    cur.execute(f"SELECT count(*) AS n FROM audit_log WHERE {where}", args)
    total = cur.fetchone()["n"]
    cur.execute(f"""SELECT id, entity, entity_key, action, changes, actor, at FROM audit_log WHERE {where}
                    ORDER BY at DESC, id DESC LIMIT %(limit)s""", args)
    return cur.fetchall(), total


def _json_dumps(value) -> str:
    # Dates and decimals in a change are recorded as text rather than refused.
    return json.dumps(value, ensure_ascii=False, default=str)
