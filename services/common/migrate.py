"""Numbered SQL migrations per service, applied with yoyo-migrations into the service's own schema.

Every service first gets the shared migrations (outbox, inbox, audit and working-day calendar tables),
then its own folder; its calendar is seeded from the holiday library; then the queues it consumes are declared on the broker (subscriptions.py), so no event waits for its
first worker.
"""
from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from yoyo import get_backend, read_migrations

from .db import Database
from .provision import ensure_database, ensure_service_schema
from .service import ServiceSpec, load
from .settings import Settings
from .subscriptions import declare
from .workcalendar_store import seed

COMMON_MIGRATIONS = Path(__file__).with_name("migrations")
CALENDAR_FROM = 2001  # the holiday library's first year with a notice
log = logging.getLogger(__name__)


def migrate_service(settings: Settings, spec: ServiceSpec) -> int:
    """Provision and migrate a registered service, and declare the queues it consumes; returns how many
    migrations were applied now."""
    applied = migrate(settings, spec.name, spec.migrations, spec.extensions, spec.schemas)
    seed_calendar(settings, spec.name)
    if spec.subscriptions:
        declare(settings, load(spec.subscriptions))
    return applied


def seed_calendar(settings: Settings, service: str) -> dict:
    """The working-day calendar in the service's schema, from every year the holiday library knows the
    State Council's notice of; an admin's days are kept (workcalendar_store.seed)."""
    db = Database(settings.service_db_url(service), schema=service, maxconn=1)
    try:
        with db.transaction() as cur:
            return seed(cur, range(CALENDAR_FROM, date.today().year + 2))
    finally:
        db.close()


def migrate(settings: Settings, service: str, folder: Path, extensions: tuple[str, ...] = (),
            schemas: tuple[str, ...] = ()) -> int:
    """Provision and migrate one schema from a folder (its role owning `schemas` too); returns how many
    migrations were applied now."""
    ensure_database(settings.db_url)
    ensure_service_schema(settings, service, extensions, schemas)
    url = settings.service_db_url(service)
    url += ("&" if "?" in url else "?") + f"schema={service}"
    backend = get_backend(url, migration_table="_migrations")
    migrations = read_migrations(str(COMMON_MIGRATIONS), str(folder))
    with backend.lock():
        todo = backend.to_apply(migrations)
        backend.apply_migrations(todo)
    log.info("migrations applied", extra={"service": service, "applied": len(todo)})
    return len(todo)
