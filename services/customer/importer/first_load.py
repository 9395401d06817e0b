"""What a first load into empty golden tables skips and builds once at the end instead."""
from __future__ import annotations

import contextlib
from typing import Iterator

from services.common.bulkjob import Run

GOLDEN_TABLES = ("customer", "customer_phone", "premises", "account", "device", "service", "legacy_link")
SECONDARY_INDEXES = """
    SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
      FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
     WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(%s)
       AND NOT i.indisunique AND NOT i.indisprimary
"""
KEYS = """
    SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid)
      FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
     WHERE c.contype IN ('p', 'u') AND t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(%s)
"""
# Those of the empty tables, and those referring to them from elsewhere (a primary key is dropped
# only with the foreign keys that point at it).
FOREIGN_KEYS = """
    SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid)
      FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
     WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace
       AND (t.relname = ANY(%(empty)s) OR (r.relnamespace = t.relnamespace AND r.relname = ANY(%(empty)s)))
"""


@contextlib.contextmanager
def built_after_first_load(cur, run: Run) -> Iterator[frozenset[str]]:
    """On a first load the golden tables are empty, and building their indexes and checking their
    foreign keys once at the end is several times faster than doing both row by row (an index is built
    from one sort, a re-added foreign key is validated by one join). Unique and primary keys too: the
    load inserts each key once (its statements pick one row per key), and adding the constraint back
    checks that; a statement that names a conflict target leaves it off for a table yielded as empty.
    DDL is transactional: a failed run gets everything back with the rollback (readers wait for the
    run, which is only the first one)."""
    cur.execute(" UNION ALL ".join(f"SELECT '{t}' WHERE NOT EXISTS (SELECT 1 FROM {t})" for t in GOLDEN_TABLES))
    empty = [t for t, in cur.fetchall()]
    cur.execute(FOREIGN_KEYS, {"empty": empty})
    foreign_keys = cur.fetchall()
    for table, name, _ in foreign_keys:
        cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    cur.execute(KEYS, (empty,))
    keys = cur.fetchall()
    for table, name, _ in keys:
        cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    cur.execute(SECONDARY_INDEXES, (empty,))
    indexes = cur.fetchall()
    for name, _ in indexes:
        cur.execute(f"DROP INDEX {name}")
    yield frozenset(empty)
    with run.phase("rebuild"):
        for table, name, definition in keys:
            cur.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        for _, definition in indexes:
            cur.execute(definition)
        for table, name, definition in foreign_keys:
            cur.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
