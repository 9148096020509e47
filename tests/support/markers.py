"""Marks for tests that need something this machine may lack, each saying why it skips."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The workspace's shared data (real CBP, OFAC, SESNSP files) sits beside a checkout, not in it.
SHARED_DATA = Path(os.environ.get("PUENTE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def _pango() -> bool:
    try:
        import weasyprint  # noqa: F401 - loads the system's Pango, or fails
    except OSError:
        return False
    return True


# The PDF briefing needs WeasyPrint, and WeasyPrint the system's Pango (Debian's
# libpango-1.0-0); .ci/run installs it, a machine without it skips these tests and says why.
needs_pango = pytest.mark.skipif(
    not _pango(), reason="WeasyPrint needs the system's Pango (apt-get install libpango-1.0-0)"
)

needs_shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"the workspace's shared data is not at {SHARED_DATA} (set PUENTE_SHARED_DATA)",
)
