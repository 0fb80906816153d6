"""Lab sources in the dashboard's own screens: reps reach the counter, bars and summary, and the
session is recorded, exactly as with the serial board (LSL outlet in another process, BrainFlow
playback board)."""
from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from test_lsl_source import start_outlet, unique

from emg_monitor.session.reader import load_session
from emg_monitor.sim.athlete import Athlete, AthleteConfig
from emg_monitor.ui.app import DashboardOptions, make_session, url_source
from emg_monitor.ui.main_window import DashboardWindow

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("propagateSizeHints", "QFont::setPointSize")]

SPEED = 4.0                           # the streams' clocks run 4x, so a set takes seconds
CFG = dict(sets=1, reps_per_set=4, setup_s=1.0, seed=2, lumbar_pattern=(False, True, False, False))


def window(qtbot, session):
    w = DashboardWindow(session, exercises=("deadlift",))
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    return w


def a_set_in_the_dashboard(qtbot, w, want_reps: int) -> None:
    qtbot.keyClick(w, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w.set_active, timeout=5000)
    qtbot.waitUntil(lambda: len(w.bars.reps) >= want_reps, timeout=60000)
    assert w.counter.reps == max(r.rep for r in w.bars.reps)
    assert w.counter.count.text() == str(w.counter.reps)
    assert w.traces.rows and w.frames > 0
    qtbot.keyClick(w, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not w.set_active, timeout=5000)
    assert w.pages.currentWidget() is w.summary
    assert w.summary.summary.reps == len([r for r in w.reps if r.set_index == w.set_index])


def a_set_from(qtbot, opts: DashboardOptions, want_reps: int = 4):
    """The dashboard on ``opts.source``: one set with the space bar, stopped after all four reps
    (the athlete does four); the recorded session."""
    source = url_source(opts)
    source.open()
    session = make_session(source, opts)
    w = window(qtbot, session)
    try:
        a_set_in_the_dashboard(qtbot, w, want_reps)
        folder = session.recorder.folder
        session.close()
    finally:
        w.close()
    return load_session(folder)


def test_lsl_stream_in_the_dashboard(qtbot, tmp_path):
    name = unique("emg-dash")
    proc = start_outlet("--name", name, "--rate", "1000", "--athlete", "2", "--speed", str(SPEED),
                        "--labels", "GluteL", "ES_L", "GluteR", "ES_R", "AccX", "AccY",
                        "--units", "uV", "uV", "uV", "uV", "g", "g", "--linger", "60")
    try:
        opts = DashboardOptions(source=f"lsl://{name}?timeout=10", athlete="ana",
                                sessions_root=str(tmp_path / "s"), home=str(tmp_path / "h"))
        s = a_set_from(qtbot, opts)
    finally:
        proc.kill()
        proc.wait(10)
    assert s.info.names == ("left_glute", "left_erector", "right_glute", "right_erector",
                            "accel_x", "accel_y")
    assert s.n_samples > 5000 and len(s.reps) == 4


def test_brainflow_board_in_the_dashboard(qtbot, tmp_path):
    bf = pytest.importorskip("brainflow.board_shim")
    from brainflow.data_filter import DataFilter
    board = int(bf.BoardIds.SYNTHETIC_BOARD.value)
    rate = bf.BoardShim.get_sampling_rate(board)
    athlete = Athlete(AthleteConfig(**CFG, sample_rate_hz=float(rate)))
    x = np.vstack([athlete.render_all(), athlete.render(2 * rate)])   # then standing quietly
    d = np.zeros((bf.BoardShim.get_num_rows(board), x.shape[0]))
    emg, acc = bf.BoardShim.get_emg_channels(board), bf.BoardShim.get_accel_channels(board)
    d[emg[:4]] = x[:, :4].T
    d[acc[:2]] = x[:, 4:6].T
    d[bf.BoardShim.get_timestamp_channel(board)] = 1.7e9 + np.arange(x.shape[0]) / (rate * SPEED)
    DataFilter.write_file(d, str(tmp_path / "rec.csv"), "w")
    opts = DashboardOptions(source=f"brainflow://playback_file?file={tmp_path / 'rec.csv'}"
                                   "&master_board=synthetic",
                            channel_map={"EMG1": "left_glute", "EMG2": "left_erector",
                                         "EMG3": "right_glute", "EMG4": "right_erector",
                                         "ACC1": "accel_x", "ACC2": "accel_y"},
                            athlete="ana", sessions_root=str(tmp_path / "s"),
                            home=str(tmp_path / "h"))
    s = a_set_from(qtbot, opts)
    assert s.sample_rate_hz == rate and s.n_samples > 0 and len(s.reps) == 4
