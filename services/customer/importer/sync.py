"""Incremental sync: follow the legacy systems' changes since the last watermark.

    python -m services.customer.importer.sync
"""
from __future__ import annotations

import json
import logging

from services.common.settings import Settings, get_settings

from .run import run_import


def run_sync(settings: Settings) -> dict:
    """Apply legacy changes since the watermark; refuses (IllegalTransition) before a bulk import."""
    return run_import(settings, "sync")


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level)
    print(json.dumps(run_sync(settings), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
