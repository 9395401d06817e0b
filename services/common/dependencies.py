"""nameko dependency providers every service's worker may declare. Importing them patches nothing: only
the worker entry point (worker.py) patches the standard library for eventlet, so a test or a tool can
import a worker class without turning its own process green."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from .db import Database
from .settings import get_settings


class ServiceDatabase(DependencyProvider):
    """Injects the service's connection pool (its own role and schema) into a nameko service.

    psycopg2 blocks the eventlet hub while a query runs (a green wait callback would forbid COPY), so
    handlers keep to short transactions and hand long jobs to `eventlet.tpool`."""

    def __init__(self, service: str):
        self.service = service
        self.db = None

    def setup(self):
        settings = get_settings()
        self.db = Database(settings.service_db_url(self.service), schema=self.service, maxconn=4)

    def stop(self):
        if self.db is not None:
            self.db.close()

    def get_dependency(self, worker_ctx):
        return self.db
