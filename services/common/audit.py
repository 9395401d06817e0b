"""The audit trail every service keeps: who changed what, when (table audit_log, created in every
service's schema by services/common/migrations). Written in the transaction of the change itself, so
a change and its audit row are committed together or not at all."""
from __future__ import annotations

import json

from psycopg2.extras import Json, execute_values


def audit(cur, entity: str, key: str, action: str, changes: dict, actor: str) -> None:
    """One row: `entity` (e.g. "customer") `key` (its public number) had `action` done by `actor`."""
    audit_many(cur, [(entity, key, action, changes)], actor)


def audit_many(cur, rows: list[tuple[str, str, str, dict]], actor: str) -> None:
    """(entity, key, action, changes) rows by one actor in one statement, for batch jobs."""
    if rows:
        execute_values(cur, "INSERT INTO audit_log (entity, entity_key, action, changes, actor) VALUES %s",
                       [(entity, key, action, Json(changes, dumps=_json_dumps), actor)
                        for entity, key, action, changes in rows])


def _json_dumps(value) -> str:
    # Dates and decimals in a change are recorded as text rather than refused.
    return json.dumps(value, ensure_ascii=False, default=str)
