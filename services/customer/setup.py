"""The customer service's start-up work after its migrations (the migrate job and `make run` call it):
demo legacy systems on a demo's first start, then the legacy import."""
from __future__ import annotations

from services.legacy_sim.generate import generate, has_data
from services.legacy_sim.schema import create_schemas

from .importer.bulk import bulk_import_done, run_bulk_import
from .importer.sync import run_sync
from .settings import CustomerSettings


def setup(settings: CustomerSettings) -> None:
    if settings.demo:
        create_schemas(settings)
        if not has_data(settings):
            print(f"customer: filling the simulated legacy systems with {settings.demo_households} households",
                  flush=True)
            print(f"customer: {generate(settings, settings.demo_households)}", flush=True)
    # The first start reads both legacy systems whole; later starts only catch up on their changes.
    if bulk_import_done(settings):
        print(f"customer: legacy changes since the last start {run_sync(settings)}", flush=True)
    else:
        print(f"customer: legacy bulk import {run_bulk_import(settings)}", flush=True)
