"""The running suite of an end-to-end module, stopped when the module ends: its workers consume the
broker's queues, which a later integration test must find as it left them."""
from __future__ import annotations

import pytest

from tests.e2e.suite import ROOT, Suite


@pytest.fixture(scope="module")
def suite():
    (ROOT / "build").mkdir(exist_ok=True)
    s = Suite()
    s.start()
    yield s
    # Checked after the module's tests, whatever order they ran in: Ctrl-C stops it all cleanly.
    assert s.stop() == 0, f"the suite did not stop cleanly on Ctrl-C; see {s.log.name}"
