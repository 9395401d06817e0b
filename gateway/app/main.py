"""The gateway application: `create_app(settings)` for tests and servers, `python -m gateway.app.main` to run."""
from __future__ import annotations

import asyncio
import contextlib
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import AsyncIterator

import uvicorn
from fastapi import Depends, FastAPI

from services.common import metrics
from services.common.db import Database
from services.common.gc_tuning import tune_for_serving
from services.common.logs import setup_logging
from services.common.migrate import migrate

from . import docs, problems, retention
from .access_log import AccessLog
from .correlation import CorrelationMiddleware
from .forms import Utf8FormMiddleware
from .deps import API_PREFIX, known_query_parameters
from .grpc_clients import Channels
from .headers import SecurityHeadersMiddleware
from .metrics import MetricsMiddleware
from .routes import (audit, auth, bill_runs, bills, calendar, campaigns, catalog, collection, console, customers,
                     dunning, field, health, import_runs, matches, payments, product_orders, scheduling, staff,
                     stock, work_orders)
from .sections import ViewReads
from .settings import GatewaySettings, gateway_settings, retention_days
from .users import AccountCheck, ensure_demo_users, still_current

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or gateway_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(settings, "gateway", MIGRATIONS)
        ensure_demo_users(settings)
        app.state.db = Database(settings.service_db_url("gateway"), schema="gateway",
                                maxconn=settings.db_pool_max)
        app.state.account_check = AccountCheck(partial(still_current, app.state.db))
        app.state.channels = Channels(settings)
        app.state.view_reads = ViewReads(app.state.channels)
        app.state.access_log = AccessLog(app.state.db)
        tasks = [asyncio.create_task(app.state.access_log.run()),
                 asyncio.create_task(retention.run(app.state.db, retention_days(settings)))]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await app.state.channels.close()
            app.state.db.close()

    app = FastAPI(title="BSS gateway", version="1",
                  description="One interface over the customer, billing, dispatch and complaint services.",
                  lifespan=lifespan, **docs.app_arguments(settings))
    app.state.settings = settings
    problems.install(app)
    app.add_middleware(Utf8FormMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, private_prefix=API_PREFIX + "/")
    app.add_middleware(CorrelationMiddleware)  # so every answer carries the request's id
    app.add_middleware(MetricsMiddleware)  # outermost: counts every answer, the middleware's own included
    for router in (auth.router, customers.router, matches.router, import_runs.router, calendar.router, bills.router,
                   bill_runs.router, catalog.router, payments.router, dunning.router, collection.router,
                   product_orders.router, work_orders.router, scheduling.router, field.router, stock.router,
                   campaigns.router, staff.router, audit.router):
        app.include_router(router, prefix=API_PREFIX, responses=problems.documented(),
                           dependencies=[Depends(known_query_parameters)])
    app.include_router(health.router)
    app.include_router(console.router)
    docs.install(app, settings)
    return app


def main() -> None:
    settings = gateway_settings()
    setup_logging("gateway", settings.log_level)
    # No access log: a JSON line per request cost the gateway about a tenth of its CPU under load.
    app = create_app(settings)
    metrics.serve(settings.metrics_port)
    tune_for_serving()
    uvicorn.run(app, host=settings.gateway_host, port=settings.gateway_port, log_config=None,
                access_log=False)


if __name__ == "__main__":
    main()
