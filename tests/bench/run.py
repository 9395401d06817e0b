"""`make bench`: the legacy import at full scale, then search by phone over the million customers it
leaves, the 360 view through the gateway at 1, 4 and 16 concurrent clients, the billing run over a million
subscriptions, bank collection over a million due bills (the run with every bank's offer file, then
a million result lines imported and reconciled), a conversion campaign over the analog homes of seven
areas (about 600,000 work orders), and 50 technicians' phones pulling their orders through the gateway. Figures only, never pass/fail: the machine is shared
and noisy, so compare ratios."""
from __future__ import annotations

import json

from tests.bench import (billing_bench, collection_bench, dispatch_bench, import_bench, search_bench, technician_bench,
                         view_bench)


def main() -> None:
    import_bench.main()
    figures = search_bench.run(import_bench.bench_settings())
    print("search by phone through gRPC:", json.dumps(figures, indent=2))
    print(view_bench.report(view_bench.run(import_bench.bench_settings())))
    print("billing run:", json.dumps(billing_bench.run(), indent=2, default=str))
    print("bank collection:", json.dumps(collection_bench.run(), indent=2, default=str))
    print("conversion campaign:", json.dumps(dispatch_bench.run(), ensure_ascii=False, indent=2, default=str))
    print(technician_bench.report(technician_bench.run(import_bench.bench_settings())))


if __name__ == "__main__":
    main()
