"""`make bench`: the legacy import at full scale, then search by phone over the million customers it
leaves, then the 360 view through the gateway at 1, 4 and 16 concurrent clients. Figures only, never
pass/fail: the machine is shared and noisy, so compare ratios."""
from __future__ import annotations

import json

from tests.bench import import_bench, search_bench, view_bench


def main() -> None:
    import_bench.main()
    figures = search_bench.run(import_bench.bench_settings())
    print("search by phone through gRPC:", json.dumps(figures, indent=2))
    print(view_bench.report(view_bench.run(import_bench.bench_settings())))


if __name__ == "__main__":
    main()
