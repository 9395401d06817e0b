"""The billing service's own settings: where it listens, where the customer service is (for its copy of
who pays for what), and how its clocks are set."""
from __future__ import annotations

from services.common.settings import Settings, get_settings


class BillingSettings(Settings):
    # Where this service's gRPC server listens; the gateway finds it through the same variable.
    billing_grpc: str = "127.0.0.1:50052"
    # The customer service, asked for the current state of a customer whose events billing received.
    customer_grpc: str = "127.0.0.1:50051"
    # How often the worker brings its copy of changed customers up to date.
    customer_copy_seconds: float = 2.0
    # How often the worker runs the dunning ladder (a step is taken at most once whatever the interval).
    dunning_seconds: float = 60.0
    currency: str = "CNY"
    # The operator's time zone: the day a service changed state, a bill's dates, a counter's day.
    timezone: str = "Asia/Shanghai"
    # A bill is due this many working days after it is issued (about two weeks).
    due_working_days: int = 10
    # How long StartBillRun waits for its run before answering "running" (under the gateway's deadline).
    bill_run_wait_seconds: float = 4.0
    # A bank's result file is applied in up to this many parts at once, each on a connection of its own, one
    # part per this many lines; a smaller file is applied in one transaction (collection/reconcile.py).
    bank_file_parts: int = 2
    bank_file_lines_per_part: int = 50_000
    # Who issues the bills, as their documents print it.
    operator_name: str = "广电网络有线电视"


def billing_settings() -> BillingSettings:
    return get_settings(BillingSettings)
