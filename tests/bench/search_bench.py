"""p50/p99 of customer search by phone through gRPC, against the benchmark database (a million
customers after the import benchmark). Sequential calls first (latency), then 8 concurrent clients."""
from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
from bss.customer.v1 import customer_pb2 as pb
from bss.customer.v1 import customer_pb2_grpc as pb_grpc

from services.common.db import Database
from services.common.grpc_server import build
from services.customer.settings import CustomerSettings
from services.customer.service import SPEC

SAMPLES = 2000


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def sample_phones(settings: CustomerSettings, n: int) -> tuple[int, list[str]]:
    db = Database(settings.service_db_url("customer"), schema="customer", maxconn=1)
    try:
        with db.transaction() as cur:
            cur.execute("SELECT count(*) AS n FROM customer")
            total = cur.fetchone()["n"]
            cur.execute("SELECT phone FROM customer_phone TABLESAMPLE SYSTEM (5) LIMIT %s", (n,))
            return total, [r["phone"] for r in cur.fetchall()]
    finally:
        db.close()


def run(settings: CustomerSettings) -> dict:
    customers, phones = sample_phones(settings, SAMPLES)
    server = build(SPEC, settings, address="127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    stub = pb_grpc.CustomerServiceStub(channel)
    try:
        def one(phone: str) -> float:
            started = time.perf_counter()
            reply = stub.SearchCustomers(pb.SearchCustomersRequest(q=phone, limit=20), timeout=10)
            elapsed = (time.perf_counter() - started) * 1000
            assert reply.total >= 1, phone
            return elapsed

        for phone in phones[:100]:  # warm the pool and the caches
            one(phone)
        sequential = [one(p) for p in phones]
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            concurrent = list(pool.map(one, phones))
        wall = time.perf_counter() - started
    finally:
        channel.close()
        server.stop(0)
    return {
        "customers": customers,
        "searches": len(phones),
        "sequential_p50_ms": round(percentile(sequential, 50), 2),
        "sequential_p99_ms": round(percentile(sequential, 99), 2),
        "sequential_mean_ms": round(statistics.fmean(sequential), 2),
        "concurrent8_p50_ms": round(percentile(concurrent, 50), 2),
        "concurrent8_p99_ms": round(percentile(concurrent, 99), 2),
        "concurrent8_per_s": round(len(phones) / wall, 1),
    }
