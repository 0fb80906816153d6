"""``emg-monitor record`` with hip IMUs, as a user at the command line meets bad input: a
missing IMU, swapped pelvis/thigh plugs. One clear line each (on stderr, once), exit 0,
and every sample recorded: the raw IMU channels are in the session whatever the angle."""
from __future__ import annotations

import pytest

from emg_monitor.cli import main
from emg_monitor.session import load_session

SECONDS = 12


def record(tmp_path, monkeypatch, capsys, url):
    monkeypatch.setenv("EMG_MONITOR_HOME", str(tmp_path / "home"))
    out = tmp_path / "session"
    rc = main(["record", "--source", url, "--athlete", "Ana", "--imu", "--speed", "40",
               "--seconds", str(SECONDS), "--out", str(out)])
    err = capsys.readouterr().err
    return rc, err, load_session(out)


@pytest.mark.parametrize("url, said, absent", [
    ("sim://?wears=pelvis,thorax&sets=1&reps=2", "no hip angle: the thigh IMU is missing",
     "thigh"),
    ("sim://?swap=1&sets=1&reps=3", "the pelvis and thigh IMUs are swapped", None),
])
def test_bad_imu_input_is_one_line_and_nothing_is_lost(tmp_path, monkeypatch, capsys, url, said,
                                                        absent):
    rc, err, session = record(tmp_path, monkeypatch, capsys, url)
    assert rc == 0
    lines = [ln for ln in err.splitlines() if said in ln]
    assert len(lines) == 1, err                        # said once, not once a tick
    assert "Traceback" not in err
    assert session.n_samples == SECONDS * 1000          # every sample on disk
    names = {c.name for c in session.info.channels}
    for seg in ("pelvis", "thigh", "thorax"):
        assert ({f"{seg}_gyr_x", f"{seg}_acc_z"} <= names) == (seg != absent)


def test_an_unknown_imu_in_the_url_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EMG_MONITOR_HOME", str(tmp_path / "home"))
    rc = main(["record", "--source", "sim://?wears=knee", "--athlete", "Ana", "--imu",
               "--seconds", "1", "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert rc == 2 and err.strip().splitlines() == [
        "emg-monitor: error: sim:// wears='knee': no IMU knee (have: pelvis, thigh, thorax)"]
    assert not (tmp_path / "s").exists()
