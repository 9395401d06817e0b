"""A database the suite creates compares text byte by byte and still reads Chinese as letters."""
from __future__ import annotations

import uuid

import pytest

from services.common.provision import ensure_database, server_url
from tests.databases import drop_database, execute

pytestmark = pytest.mark.integration


def _unused_url(settings) -> str:
    return f"{settings.db_url.rsplit('/', 1)[0]}/bss_provision_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def new_database(settings):
    url = _unused_url(settings)
    ensure_database(url)
    yield url
    drop_database(url)


def test_a_new_database_sorts_by_code_point_with_utf8_character_classes(new_database):
    [(encoding, collate)] = execute(server_url(new_database), "SELECT pg_encoding_to_char(encoding), datcollate"
                                    " FROM pg_database WHERE datname = %s", (new_database.rsplit("/", 1)[1],))
    assert (encoding, collate) == ("UTF8", "C")
    # Upper case before lower, digits before both, a hyphen (2D) before a full stop (2E): byte order, where a
    # language's collation would fold case and skip punctuation.
    words = ["b", "B", "a-2", "a.1", "10", "9", "张", "Z"]
    assert [w for w, in execute(new_database, "SELECT w FROM unnest(%s::text[]) w ORDER BY w", (words,))] == \
        sorted(words)
    # Under a C character class pg_trgm would read no Chinese character as part of a word.
    [(trigrams,)] = execute(new_database, "CREATE EXTENSION IF NOT EXISTS pg_trgm; SELECT show_trgm('张三丰')")
    assert len(trigrams) == 4


def test_an_existing_database_is_left_as_it_is(settings):
    url = _unused_url(settings)
    name = url.rsplit("/", 1)[1]
    collation = "SELECT datcollate FROM pg_database WHERE datname = %s"
    execute(server_url(url), f'CREATE DATABASE "{name}"')  # in the server's own collation
    try:
        [(created,)] = execute(server_url(url), collation, (name,))
        ensure_database(url)
        assert execute(server_url(url), collation, (name,)) == [(created,)]
    finally:
        drop_database(url)
