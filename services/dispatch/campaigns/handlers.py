"""Conversion campaigns as use cases: start one (a bulk job over hundreds of thousands of homes) and follow it.

The job follows the platform's bulk-job pattern (services/common/bulkjob.py): one campaign at a time under
an advisory lock, its campaign row as the run's record with counts and phase timings, and everything it
makes (orders, their history, slot bookings, its event) committed together with that record, or nothing.
The homes come from the customer service (dispatch never reads its schema) as a stream, straight into COPY.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import psycopg2.errors
import psycopg2.extras

from services.common import workcalendar_store
from services.common.background import awaited
from services.common.bulkjob import Run, analyze, bulk_job, job_connection
from services.common.copy import CopyWriter, InBackground, column_lines
from services.common.db import Database
from services.common.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from services.common.inputrules import key, prose
from services.common.outbox import emit

from .. import events
from ..customer_lookup import CustomerLookup
from ..domain import campaign as rules
from ..domain.access import Actor
from ..service import NAME
from ..settings import DispatchSettings
from . import store

JOB = "conversion-campaign"
# Who may start a campaign: it books a station's slots for months.
STARTERS = ("supervisor", "admin")
REQUEST_ID_MAX = 300  # the gateway's user:key


@dataclass(frozen=True)
class StartCampaign:
    name: str
    area_codes: list[str]
    start_day: str
    visits_per_slot: int
    request_id: str
    actor: Actor


@dataclass(frozen=True)
class CampaignReport:
    campaign: dict
    outcome: str  # started | running | existing


class CampaignHandlers:
    def __init__(self, db: Database, settings: DispatchSettings, customers: CustomerLookup):
        self.db = db
        self.settings = settings
        self.customers = customers
        self.tz = ZoneInfo(settings.timezone)

    def start(self, cmd: StartCampaign, wait_seconds: float | None = None) -> CampaignReport:
        """Checks the request, then runs the campaign on its own thread and answers when it is done or,
        after `campaign_wait_seconds`, with the campaign still running."""
        if cmd.actor.role not in STARTERS:
            raise PermissionDenied(f"a {cmd.actor.role} may not start a conversion campaign")
        try:
            start_day = date.fromisoformat(cmd.start_day)
        except ValueError:
            raise InvalidArgument(f"startDay {cmd.start_day!r} is not a date like 2026-12-07",
                                  reason="invalid-start-day") from None
        name, areas = rules.validate(prose("name", cmd.name, rules.NAME_MAX), cmd.area_codes, start_day,
                                     cmd.visits_per_slot, datetime.now(self.tz).date())
        request_id = prose("requestId", cmd.request_id, REQUEST_ID_MAX) or None
        if request_id and (existing := self._by_request(request_id)):
            return CampaignReport(existing, "existing")
        record = {"name": name, "area_codes": areas, "start_day": start_day, "visits_per_slot": cmd.visits_per_slot,
                  "request_id": request_id, "requested_by": cmd.actor.username}
        started: dict = {}

        def work(claimed: threading.Event) -> CampaignReport:
            def on_start(campaign_id: int) -> None:
                started["id"] = campaign_id
                claimed.set()
            return self.execute(record, on_start)

        report = awaited(work, self.settings.campaign_wait_seconds if wait_seconds is None else wait_seconds,
                         f"conversion campaign {name}")
        if report is not None:
            return report
        with self.db.transaction() as cur:
            return CampaignReport(store.campaign_by_id(cur, started["id"]), "running")

    def execute(self, record: dict, on_start=lambda campaign_id: None) -> CampaignReport:
        """Run the campaign to its end on this thread; `on_start(id)` once its record exists."""
        conn = job_connection(self.settings.service_db_url(NAME), NAME, JOB)
        try:
            try:
                with bulk_job(conn, JOB, "campaign", "conversion", record) as run, conn.cursor() as cur:
                    on_start(run.id)
                    self._run(conn, cur, run, record)
                    body_done = time.monotonic()
            except psycopg2.errors.UniqueViolation:
                # The same request started it in the moment since we looked (the gateway's key normally
                # answers a retry before it gets here).
                if (existing := self._by_request(record["request_id"])) is None:
                    raise
                return CampaignReport(existing, "existing")
        finally:
            conn.close()
        with self.db.transaction() as cur:
            store.record_commit(cur, run.id, round(time.monotonic() - body_done, 1))
            return CampaignReport(store.campaign_by_id(cur, run.id), "started")

    def _run(self, conn, cur, run: Run, record: dict) -> None:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as rows:
            campaign_no = store.campaign_by_id(rows, run.id)["campaign_no"]
        with run.phase("stream"):
            store.create_homes(cur)
            run.counts["homes"] = self._stream_homes(conn, record["area_codes"])
        self._progress(run)
        with run.phase("load"):
            run.counts["unrouted"] = store.drop_unrouted(cur)
            run.counts["skipped"] = store.drop_open(cur)
            analyze(cur, "campaign_home")
            store.ensure_stations(cur)
        self._progress(run)
        with run.phase("schedule"):
            self._schedule(conn, cur, record)
        self._progress(run)
        with run.phase("orders"):
            run.counts["orders"] = store.insert_orders(
                cur, run.id, f"数字化改造 {campaign_no}：{record['name']}", record["requested_by"], self.settings.timezone)
            stations = store.schedule_summary(cur)
            run.counts.update(stations=stations, firstDay=min((s["firstDay"] for s in stations), default=None),
                              lastDay=max((s["lastDay"] for s in stations), default=None))
            # One event for the whole campaign, not a work_order_created per order: 600,000 events would
            # flood every consumer for nothing; decision support reads a campaign's orders by its number.
            emit(cur, NAME, "conversion_campaign_scheduled",
                 events.campaign_scheduled(campaign_no, record["name"], record["area_codes"], run.counts))
            analyze(cur, "work_order")

    def _stream_homes(self, conn, area_codes: list[str]) -> int:
        """The areas' analog homes from the customer service into campaign_home: COPY runs on its own thread
        while this one takes the next page off the stream."""
        sender = InBackground(conn)
        writer = CopyWriter(sender, "campaign_home", store.HOME_COLUMNS, batch=20000)
        try:
            for page in self.customers.services_in_areas(area_codes, "analog_tv", "active"):
                writer.add_block(column_lines([getattr(page, c) for c in PAGE_COLUMNS]), len(page.service_no))
            writer.flush()
        finally:
            sender.close()
        return writer.count

    def _schedule(self, conn, cur, record: dict) -> None:
        """Each station's homes into its free places (domain/campaign.fill), booked in the stations' slots."""
        loads = store.station_loads(cur)
        booked = store.lock_bookings(cur, sorted(loads), record["start_day"])
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as rows:
            calendar = workcalendar_store.load(rows)
        plan = [(station, p.day, p.slot, p.first, p.first + p.count - 1)
                for station, (homes, capacity) in sorted(loads.items())
                for p in rules.fill(homes, record["start_day"], record["visits_per_slot"], capacity,
                                    booked.get(station, {}), calendar, station)]
        store.write_plan(cur, plan)
        if store.book_plan(cur) != len(plan):
            raise AlreadyExists("appointments took places in the campaign's slots while it was scheduled; "
                                "start it again", reason="slots-taken-meanwhile")

    def _progress(self, run: Run) -> None:
        with self.db.transaction() as cur:
            store.record_progress(cur, run.id, run.report())

    def _by_request(self, request_id: str) -> dict | None:
        with self.db.transaction() as cur:
            return store.campaign_by_request(cur, request_id)

    def get(self, campaign_no: str) -> CampaignReport:
        with self.db.transaction() as cur:
            found = store.campaign(cur, key("campaignNo", campaign_no))
        if found is None:
            raise NotFound(f"conversion campaign {campaign_no} does not exist", reason="campaign-not-found")
        return CampaignReport(found, found["status"])


# The customer service's ServicePage fields, in campaign_home's column order.
PAGE_COLUMNS = ("customer_no", "customer_name", "primary_phone", "account_no", "service_no", "premises_id",
                "address", "area_code", "station_code", "station_name")
