"""Shared fixtures. Qt defaults to the offscreen platform: without a display
Qt would otherwise abort the whole run (../shared/HARDWARE-NOTES.md)."""
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# No timed assertions (a loaded CI machine is not a failure): hypothesis's per-example
# deadline and its too-slow health check are timings, so they are off for every test.
settings.register_profile("emg-monitor", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("emg-monitor")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """../shared/data with the real recordings; skips with a reason where absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real recordings not available at {SHARED_DATA}")
    return SHARED_DATA
