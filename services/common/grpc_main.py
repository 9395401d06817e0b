"""A registered service's gRPC server: `python -m services.common.grpc_main <service>`."""
from __future__ import annotations

import sys

from services.registry import SERVICES, service_spec

from .grpc_server import run


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    names = [s.name for s in SERVICES if s.grpc]
    if len(argv) != 1 or argv[0] not in names:
        sys.exit(f"usage: python -m services.common.grpc_main <{'|'.join(names)}>")
    run(service_spec(argv[0]))


if __name__ == "__main__":
    main()
