"""The first load's index, key and statistics steps: which wait for which, and which may not run side by
side because one would wait for the other's locks."""
from services.common.bulkjob import Step
from services.customer.importer.first_load import GOLDEN_TABLES, _build_steps

REFERENCES = [("premises", "customer"), ("customer_phone", "customer"), ("account", "customer"),
              ("account", "premises"), ("device", "customer"), ("device", "premises"), ("service", "customer"),
              ("service", "account"), ("service", "premises"), ("service", "device"), ("legacy_link", "customer")]


def steps(loads: list = ()) -> dict:
    indexes = [(table, f"{table}_pkey", f"CREATE UNIQUE INDEX {table}_pkey ON customer.{table} USING btree (id)", "p")
               for table in GOLDEN_TABLES]
    foreign_keys = [(table, f"{table}_{referenced}_fkey", f"FOREIGN KEY ({referenced}_id) REFERENCES {referenced}(id)",
                     referenced, True) for table, referenced in REFERENCES]
    return {step.name: step for step in _build_steps("customer", "customer_load", list(loads), indexes, foreign_keys)}


def key(table: str, referenced: str) -> str:
    return f"foreign key {table}.{table}_{referenced}_fkey"


def side_by_side(one, other) -> bool:
    """Whether in_steps may run the two steps at once, as far as their locks go."""
    return not one.contends(other)


def test_the_keys_of_one_table_are_checked_in_turn_the_services_first():
    built = steps()
    checks = [name for name in built if name.startswith("foreign key ")]
    assert checks[:4] == [key("service", referenced) for referenced in ("customer", "account", "premises", "device")]
    assert not side_by_side(built[key("service", "customer")], built[key("service", "account")])


def test_a_key_is_not_checked_beside_a_check_of_a_table_it_locks_and_is_beside_keys_sharing_its_referenced_table():
    built = steps()
    # Adding service -> account locks the accounts, which checking account -> customer holds.
    assert not side_by_side(built[key("service", "account")], built[key("account", "customer")])
    assert not side_by_side(built[key("device", "premises")], built[key("premises", "customer")])
    # Checking customer_phone -> customer holds the phones alone and only reads the customers.
    others = [built[key(*reference)] for reference in REFERENCES if reference != ("customer_phone", "customer")]
    assert all(side_by_side(built[key("customer_phone", "customer")], other) for other in others)


def test_statistics_follow_their_tables_keys_and_never_run_beside_a_check_touching_the_table():
    built = steps()
    assert built["analyze customer"].needs == {"index customer_pkey", "key customer_pkey"}
    names = list(built)
    assert names.index("analyze customer") < names.index(key("service", "customer"))
    assert not side_by_side(built["analyze customer"], built[key("legacy_link", "customer")])
    assert side_by_side(built["analyze customer"], built[key("service", "account")])


def test_statistics_wait_for_the_loads_of_their_table():
    customers = Step("customers", lambda cur: None)
    built = steps([(customers, frozenset({"customer"}))])
    assert "customers" in built["analyze customer"].needs and "customers" not in built["analyze device"].needs
