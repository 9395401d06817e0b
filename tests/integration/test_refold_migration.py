"""Keys stored before names and addresses were folded (migration 0008) are folded as typed text is now,
so an earlier import is found by what a clerk types."""
from __future__ import annotations

import pytest

from services.common.migrate import migrate_service
from services.customer.domain.normalize import normalize_address, normalize_name
from services.customer.service import SPEC

from tests.databases import execute, migrated_before, throwaway_legacy

pytestmark = pytest.mark.integration


def test_keys_stored_before_are_folded(settings, tmp_path):
    with throwaway_legacy(settings) as env:
        migrated_before(env, SPEC, "0008", tmp_path)
        execute(env.db_url, """
            WITH c AS (INSERT INTO customer (name, name_norm) VALUES ('金三', E'\\uF90A\\u200b三') RETURNING id)
            INSERT INTO premises (customer_id, address, address_norm)
            SELECT id, a, a FROM c, (VALUES (E'文三路１２号\\ufeff'), ('城东路1号')) v(a)""", schema="customer")
        migrate_service(env, SPEC)
        assert execute(env.db_url, "SELECT name_norm FROM customer", schema="customer") == [
            (normalize_name("金三"),)]
        assert execute(env.db_url, "SELECT address_norm FROM premises ORDER BY id", schema="customer") == [
            (normalize_address("文三路12号"),), ("城东路1号",)]
