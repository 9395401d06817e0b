"""A first load: the legacy systems imported into golden tables that are all empty.

One backend runs a statement on one core, so in one transaction the load kept the second core idle for two
minutes. A first load instead fills copies of the golden tables in a schema of its own (LOAD_SCHEMA, which
nothing else reads), on two connections at once, each statement committed as it goes; each copy's indexes
are built, its keys added and checked and its statistics gathered as soon as nothing more writes or reads it.
One short transaction then drops the empty golden tables and moves the copies in their place, with what
pointed at the old ones (owned sequences, triggers, foreign keys from other tables): a reader still sees all
of the run or none of it, and waits only for that last step. A run that fails leaves the golden tables as
they were, and the next run drops what it left in the load schema.
"""
from __future__ import annotations

from psycopg2 import sql

from services.common.bulkjob import Step, in_steps

GOLDEN_TABLES = ("customer", "customer_phone", "premises", "account", "device", "service", "legacy_link")
# Indexes built in this order when several are ready: the services are loaded last and index longest.
BUILD_ORDER = ("service", "premises", "customer", "legacy_link", "device", "customer_phone", "account")

INDEXES = """
    SELECT t.relname, i.relname, pg_get_indexdef(x.indexrelid), c.contype
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
      LEFT JOIN pg_constraint c
             ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u', 'x')
     WHERE t.relnamespace = %(schema)s::regnamespace AND t.relname = ANY(%(tables)s)
"""
# Foreign keys between golden tables (or from one to another table) are added to the copies; those of other
# tables pointing at golden ones are added again when the copies are in place.
FOREIGN_KEYS = """
    SELECT t.relname, c.conname, pg_get_constraintdef(c.oid), r.relname, t.relname = ANY(%(tables)s)
      FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
     WHERE c.contype = 'f' AND t.relnamespace = %(schema)s::regnamespace
       AND (t.relname = ANY(%(tables)s) OR (r.relnamespace = t.relnamespace AND r.relname = ANY(%(tables)s)))
"""
# What LIKE does not copy: the table's storage parameters and its columns' statistics targets and options.
TABLE_SETTINGS = """
    SELECT c.reloptions,
           ARRAY(SELECT format('ALTER %%I SET STATISTICS %%s', a.attname, a.attstattarget) FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attstattarget >= 0)
        || ARRAY(SELECT format('ALTER %%I SET (%%s)', a.attname, array_to_string(a.attoptions, ', '))
                   FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND a.attoptions IS NOT NULL),
           EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attidentity <> '')
      FROM pg_class c WHERE c.oid = format('%%I.%%I', %(schema)s, %(table)s)::regclass
"""
OWNED_SEQUENCES = """
    SELECT s.oid::regclass::text, t.relname, a.attname
      FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
      JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
     WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'a'
       AND t.relnamespace = %(schema)s::regnamespace AND t.relname = ANY(%(tables)s)
"""
TRIGGERS = """
    SELECT pg_get_triggerdef(g.oid) FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
     WHERE NOT g.tgisinternal AND t.relnamespace = %(schema)s::regnamespace AND t.relname = ANY(%(tables)s)
"""


ADD_KEY = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {} USING INDEX {}")


class FirstLoadOverrun(RuntimeError):
    """A golden table was written to while the first load ran: the load's copies cannot replace it."""


def is_first_load(cur) -> bool:
    cur.execute("SELECT " + " AND ".join(f"NOT EXISTS (SELECT 1 FROM {table})" for table in GOLDEN_TABLES))
    return cur.fetchone()[0]


def load_first(cur, other_cur, schema: str, load_schema: str, loads: list[tuple[Step, frozenset[str]]]) -> None:
    """The golden tables of `schema` filled by `loads` (steps, each with the golden tables it reads or writes),
    through copies in `load_schema`, on `cur` (the run's connection) and `other_cur` at once. `cur` is left in
    a transaction that has put the copies in place; committing it commits the load."""
    where = {"schema": schema, "tables": list(GOLDEN_TABLES)}
    cur.execute(INDEXES, where)
    indexes = cur.fetchall()
    # Printed with the run's search path, which names the golden tables without their schema: with the load
    # schema first on the path, the same text names the copies.
    cur.execute(FOREIGN_KEYS, where)
    foreign_keys = cur.fetchall()
    _create_copies(cur, schema, load_schema)
    cur.connection.commit()  # the copies, and the matched staging rows the loads read
    path = sql.SQL("SET search_path = {}, {}, public").format(sql.Identifier(load_schema), sql.Identifier(schema))
    home = sql.SQL("SET search_path = {}, public").format(sql.Identifier(schema))
    try:
        for c in (cur, other_cur):
            c.execute(path)
            c.connection.commit()
        in_steps([cur, other_cur], [step for step, _ in loads] + _build_steps(
            schema, load_schema, loads, indexes, [fk for fk in foreign_keys if fk[4]]))
        cur.execute(home)
        _swap(cur, schema, load_schema, [fk for fk in foreign_keys if not fk[4]])
    except BaseException:
        cur.connection.rollback()
        cur.execute(home)
        _drop_copies(cur, load_schema)
        cur.connection.commit()
        raise


def _create_copies(cur, schema: str, load_schema: str) -> None:
    """Empty copies of the golden tables without their indexes and keys (their checks and defaults kept),
    after dropping what an earlier run that ended left."""
    _drop_copies(cur, load_schema)
    for table in GOLDEN_TABLES:
        source, copy = sql.Identifier(schema, table), sql.Identifier(load_schema, table)
        cur.execute(TABLE_SETTINGS, {"schema": schema, "table": table})
        options, column_settings, identity = cur.fetchone()
        if identity:  # LIKE gives a copy's identity column a sequence of its own, restarting the numbers
            raise ValueError(f"{schema}.{table} has an identity column, which a first load cannot copy")
        cur.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL EXCLUDING INDEXES)").format(copy, source))
        if options:
            cur.execute(sql.SQL("ALTER TABLE {} SET ({})").format(copy, sql.SQL(", ".join(options))))
        for setting in column_settings:
            cur.execute(sql.SQL("ALTER TABLE {} ").format(copy) + sql.SQL(setting))


def _drop_copies(cur, load_schema: str) -> None:
    cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (load_schema,))
    tables = [sql.Identifier(load_schema, table) for table, in cur.fetchall()]
    if tables:
        cur.execute(sql.SQL("DROP TABLE {}").format(sql.SQL(", ").join(tables)))


def _build_steps(schema: str, load_schema: str, loads: list[tuple[Step, frozenset[str]]], indexes: list[tuple],
                 foreign_keys: list[tuple]) -> list[Step]:
    """A copy's indexes once every load reading or writing it is done (an index build would wait for
    their locks); its keys once its indexes are built (adding one locks the table whole), from the unique
    index built for it; statistics and foreign keys once their tables' keys are."""
    touching = {table: frozenset(step.name for step, tables in loads if table in tables) for table in GOLDEN_TABLES}
    order = {table: n for n, table in enumerate(BUILD_ORDER)}
    built: dict[str, set[str]] = {table: set() for table in GOLDEN_TABLES}
    steps: list[Step] = []
    for table, index, definition, kind in sorted(indexes, key=lambda i: order[i[0]]):
        golden, copy = f" ON {schema}.{table} USING ", f" ON {load_schema}.{table} USING "
        if golden not in definition or kind == "x":  # an exclusion constraint is not added from an index
            raise ValueError(f"a first load cannot build index {index} of {schema}.{table}: {definition}")
        steps.append(Step(f"index {index}", _run(definition.replace(golden, copy, 1)), touching[table]))
        built[table].add(f"index {index}")
    keys = [(table, Step(f"key {index}", _run(ADD_KEY.format(
                sql.Identifier(load_schema, table), sql.Identifier(index),
                sql.SQL("PRIMARY KEY" if kind == "p" else "UNIQUE"), sql.Identifier(index))), frozenset(built[table])))
            for table, index, _, kind in indexes if kind]
    for table, step in keys:
        steps.append(step)
        built[table].add(step.name)
    # Statistics once a table is loaded and its indexes built (ANALYZE reads their expressions); ahead of the
    # keys' checks in priority, since the customers' statistics took 3-4 s and, left last, ran on one
    # connection alone.
    statistics = [Step(f"analyze {table}", _run(sql.SQL("ANALYZE {}").format(sql.Identifier(load_schema, table))),
                       frozenset(built[table] | touching[table]), holds=frozenset({table})) for table in BUILD_ORDER]
    # Checking a key locks its table against another check of it or statistics (a connection waited seconds
    # for the service's next key), and adding one locks both tables against those: keys referencing the same
    # table are checked side by side, keys of one table in turn, the service's first (they take longest).
    checks = [Step(f"foreign key {table}.{name}", _foreign_key(load_schema, table, name, definition),
                   frozenset(built[table] | built.get(referenced, set())), holds=frozenset({table}),
                   shares=frozenset({referenced}))
              for table, name, definition, referenced, _ in sorted(foreign_keys, key=lambda fk: order[fk[0]])]
    return steps + statistics + checks


def _run(statement):
    def work(cur) -> None:
        cur.execute(statement)
    return work


def _foreign_key(load_schema: str, table: str, name: str, definition: str):
    """Added unchecked and then checked, committed in between: adding a key locks both tables for an instant,
    checking it holds only its own table against other checks and lets what reads the referenced one run."""
    copy, key = sql.Identifier(load_schema, table), sql.Identifier(name)

    def work(cur) -> None:
        cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {} NOT VALID").format(copy, key, sql.SQL(definition)))
        cur.connection.commit()
        cur.execute(sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(copy, key))
    return work


def _swap(cur, schema: str, load_schema: str, foreign_keys: list[tuple]) -> None:
    """The copies in place of the empty golden tables, in the caller's transaction."""
    where = {"schema": schema, "tables": list(GOLDEN_TABLES)}
    golden = [sql.Identifier(schema, table) for table in GOLDEN_TABLES]
    cur.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.SQL(", ").join(golden)))
    if not is_first_load(cur):
        raise FirstLoadOverrun("a golden table was written to while the first legacy load ran; run the import "
                               "again, which then adds the legacy records to what is there")
    cur.execute(OWNED_SEQUENCES, where)
    sequences = cur.fetchall()
    cur.execute(TRIGGERS, where)
    triggers = [definition for definition, in cur.fetchall()]
    for table, name, *_ in foreign_keys:
        cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(schema, table),
                                                                     sql.Identifier(name)))
    for sequence, _, _ in sequences:
        cur.execute(sql.SQL("ALTER SEQUENCE {} OWNED BY NONE").format(sql.SQL(sequence)))
    cur.execute(sql.SQL("DROP TABLE {}").format(sql.SQL(", ").join(golden)))
    for table in GOLDEN_TABLES:
        cur.execute(sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(sql.Identifier(load_schema, table),
                                                                 sql.Identifier(schema)))
    for sequence, table, column in sequences:
        cur.execute(sql.SQL("ALTER SEQUENCE {} OWNED BY {}").format(sql.SQL(sequence),
                                                                 sql.Identifier(schema, table, column)))
    for definition in triggers:
        cur.execute(definition)
    for table, name, definition, *_ in foreign_keys:
        cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
            sql.Identifier(schema, table), sql.Identifier(name), sql.SQL(definition)))
