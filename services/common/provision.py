"""Create what a service's migrations cannot create for themselves: the database, its role and schema.

Runs with the administrative URL (BSS_DB_URL); everything is idempotent so it runs at every start.
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

from .db import connect
from .settings import Settings, service_role


def server_url(url: str, database: str = "postgres") -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def ensure_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    conn = connect(server_url(url))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                try:
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                except psycopg2.errors.DuplicateDatabase:
                    pass  # another process created it at the same moment
    finally:
        conn.close()


def ensure_service_schema(settings: Settings, service: str, extensions: tuple[str, ...] = ()) -> None:
    """The service's role owns its schema; other service roles get no grant on it. The extensions its
    migrations need are created here, since only the administrative account may create them."""
    role = service_role(service)
    conn = connect(settings.db_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(hashtext('bss-provision'))")
            for ext in extensions:
                cur.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA public").format(sql.Identifier(ext)))
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(role)),
                            (settings.db_service_password,))
            else:
                cur.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(role)),
                            (settings.db_service_password,))
            cur.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                sql.Identifier(settings.database_name), sql.Identifier(role)))
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                sql.Identifier(service), sql.Identifier(role)))
            cur.execute("SELECT pg_advisory_unlock(hashtext('bss-provision'))")
    finally:
        conn.close()
