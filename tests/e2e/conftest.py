"""One running suite for every end-to-end test (starting it takes the legacy import and the demo data)."""
from __future__ import annotations

import pytest

from tests.e2e.suite import ROOT, Suite


@pytest.fixture(scope="session")
def suite():
    (ROOT / "build").mkdir(exist_ok=True)
    s = Suite()
    s.start()
    yield s
    # Checked after every end-to-end test, whatever order they ran in: Ctrl-C stops it all cleanly.
    assert s.stop() == 0, f"the suite did not stop cleanly on Ctrl-C; see {s.log.name}"
