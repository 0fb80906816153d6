"""The committed demo session opens out of the box: load, replay, export, report."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from emg_monitor.model import Verdict
from emg_monitor.session import load_session
from emg_monitor.session.export import export_session
from emg_monitor.session.report import render_report
from emg_monitor.sources.replay import ReplaySource
from emg_monitor.sources.notifier import Notifier

DEMO = Path(__file__).resolve().parents[1] / "seeds" / "demo"


def test_demo_session_content():
    s = load_session(DEMO)
    assert s.closed and s.meta.calibration is not None
    assert s.info.sample_rate_hz == 1000.0
    assert len(s.info.emg_indices()) == 4 and len(s.info.motion_indices()) == 2
    assert 5 <= len(s.reps) <= 6
    assert all(r.calibrated and r.amplitude_unit == "pct_mvc" for r in s.reps)
    lumbar = [r for r in s.reps if r.verdict == Verdict.LUMBAR_DOMINANT]
    assert 1 <= len(lumbar) <= 2
    assert sum(f.stat().st_size for f in DEMO.iterdir() if f.is_file()) < 2_000_000


def test_demo_replays_as_recorded():
    s = load_session(DEMO)
    src = ReplaySource(DEMO, speed=None)
    blocks = []

    class Sink:
        def on_info(self, info): pass
        def on_block(self, b): blocks.append(b)
        def on_event(self, e): pass
        def on_error(self, e): pass
        def on_stop(self): pass
    rd = Notifier(src)
    rd.add_listener(Sink())
    rd.start()
    assert rd.wait(30)
    rd.stop()
    assert rd.error is None
    np.testing.assert_array_equal(np.vstack([b.data for b in blocks]), s.data)


def test_demo_exports_and_report(tmp_path):
    s = load_session(DEMO)
    reps_csv, sets_csv, signals_csv = export_session(s, tmp_path)
    with open(reps_csv, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(s.reps) and "glute_left_pct_mvc" in rows[0]
    with open(sets_csv, encoding="utf-8-sig", newline="") as f:
        sets = list(csv.DictReader(f))
    assert int(sets[0]["lumbar_dominant_reps"]) == sum(
        r.verdict == Verdict.LUMBAR_DOMINANT for r in s.reps)
    html = render_report(s)
    assert "Demo Athlete" in html and "Calibrated to a maximal voluntary contraction" in html
