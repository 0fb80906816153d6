"""Sessions under a root: listing per athlete and the ratio trend."""
from __future__ import annotations

from datetime import datetime

import pytest

from emg_monitor.cli import main
from emg_monitor.model import Verdict
from emg_monitor.session import Recorder, SessionMeta, new_session_folder, sessions_root
from emg_monitor.session.history import list_sessions, ratio_trend

from session_support import block, device_info, rep


def record(root, athlete, started, ratios, exercise="deadlift"):
    meta = SessionMeta(athlete, exercise, started=started)
    folder = new_session_folder(root, meta)
    with Recorder(folder, meta) as rec:
        rec.on_info(device_info())
        rec.on_block(block(0, 50))
        for i, r in enumerate(ratios, 1):
            rec.on_rep(rep(1 + (i - 1) // 3, i, r,
                           Verdict.LUMBAR_DOMINANT if r < 1 else Verdict.GLUTES_FINISHED, i))
    return folder


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "sessions"
    record(root, "Ana", "2026-11-10T09:00:00+01:00", [0.8, 0.9, 1.0])
    record(root, "Ana", "2026-11-03T09:00:00+01:00", [0.6, 0.7])
    record(root, "Ben", "2026-11-05T09:00:00+01:00", [2.0])
    record(root, "ana", "2026-11-17T09:00:00+01:00", [1.2, 1.3, 1.4, float("nan")])
    (root / "not-a-session").mkdir()
    return root


def test_root_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("EMG_MONITOR_HOME", str(tmp_path))
    assert sessions_root() == tmp_path / "sessions"
    assert sessions_root(tmp_path / "x") == tmp_path / "x"


def test_folders_are_named_by_start_time(root):
    names = sorted(p.name for p in root.iterdir())
    assert names[0].startswith("2026-11-03_090000")


def test_list_and_trend(root):
    sessions = list_sessions("Ana", root)
    assert [s.started.day for s in sessions] == [3, 10, 17]
    assert [s.reps for s in sessions] == [2, 3, 4]
    assert [s.sets for s in sessions] == [1, 1, 2]
    assert sessions[0].lumbar_dominant == 2
    trend = ratio_trend("Ana", root)
    assert [round(p.mean_ratio, 6) for p in trend] == [0.65, 0.9, 1.3]
    assert [p.reps for p in trend] == [2, 3, 4]
    assert all(isinstance(p.started, datetime) for p in trend)
    assert ratio_trend("Ana", root, exercise="squat") == []
    assert len(list_sessions(None, root)) == 4


def test_history_command(root, capsys):
    assert main(["history", "Ana", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert out.count("deadlift") == 3 and "0.65 -> 1.30 (+0.65)" in out
    assert main(["history", "Zed", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert "no sessions of 'Zed'" in err and "Ana" in err
    assert main(["history", "Ana", "--root", str(root / "nope")]) == 2
