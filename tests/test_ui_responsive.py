"""The GUI thread never blocks: connecting to a board and closing a session leave the
event loop turning (issue 12 item 1).

A 10 ms QTimer heartbeat measures the event loop's responsiveness; a gap longer than
100 ms while a handshake or a close is in progress means the GUI thread was held.
The slow parts are real: a serial handshake with the emulated board on a pty (0.5 s
before the host asks with INFO), a port where no firmware answers (3 s), and a source
whose reads and close take half a second each.
"""
from __future__ import annotations

import os
import time

import numpy as np
import pytest
from PyQt6.QtCore import QTimer

from emg_monitor.model import DeviceConfig, DeviceInfo, SampleBlock
from emg_monitor.sim.athlete import Athlete, AthleteConfig
from emg_monitor.sim.device import DeviceEmulator
from emg_monitor.sim.pty import PtyBoard
from emg_monitor.sources.base import Source
from emg_monitor.ui.app import DashboardOptions, build_window, make_session
from emg_monitor.ui.main_window import DashboardWindow

from session_support import device_info

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("propagateSizeHints", "QFont::setPointSize")]

MAX_GAP_S = 0.100


class Heartbeat:
    """Ticks every 10 ms on the GUI thread; ``max_gap_s`` is the longest wait between ticks."""

    def __init__(self) -> None:
        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(lambda: self.ticks.append(time.monotonic()))

    def __enter__(self) -> "Heartbeat":
        self.ticks = [time.monotonic()]
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.timer.stop()
        self.ticks.append(time.monotonic())

    @property
    def max_gap_s(self) -> float:
        return self.max_gap_until(float("inf"))

    def max_gap_until(self, t_s: float) -> float:
        ticks = [t for t in self.ticks if t <= t_s] + [min(t_s, self.ticks[-1])]
        return float(np.max(np.diff(ticks))) if len(ticks) > 1 else float("inf")


@pytest.fixture
def opts(tmp_path):
    return DashboardOptions(athlete="ana", sessions_root=str(tmp_path / "sessions"),
                            home=str(tmp_path / "home"))


@pytest.fixture
def window(qtbot, opts):
    w = build_window(opts, None)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
    for closed in w.closing:
        assert closed.wait(10)


@pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals are POSIX only")
def test_connect_board_handshakes_on_a_worker(qtbot, window):
    board = PtyBoard(DeviceEmulator(Athlete(AthleteConfig(seed=1)), DeviceConfig())).start()
    attached_at: list[float] = []
    attach = window.attach
    window.attach = lambda session: (attached_at.append(time.monotonic()), attach(session))
    try:
        with Heartbeat() as beat:
            t0 = time.monotonic()
            window.use_source("Connect board", board.path)
            returned_s = time.monotonic() - t0
            qtbot.waitUntil(lambda: window.session is not None, timeout=15000)
        qtbot.waitUntil(lambda: window.session.bridge.counters()[0] > 500, timeout=10000)
        # click -> open port -> handshake -> recorder folder: none of it on the GUI thread
        # (showing the new session's traces afterwards is drawing, the GUI thread's job)
        assert returned_s < MAX_GAP_S < attached_at[0] - t0
        gap_s = beat.max_gap_until(attached_at[0])
        assert gap_s < MAX_GAP_S, f"GUI thread blocked {gap_s * 1000:.0f} ms"
        assert window.session.source.info.device == f"serial {board.path}"
        with Heartbeat() as beat:
            window.close()
            qtbot.waitUntil(lambda: all(c.is_set() for c in window.closing), timeout=10000)
        assert beat.max_gap_s < MAX_GAP_S, f"GUI thread blocked {beat.max_gap_s * 1000:.0f} ms"
    finally:
        board.close()


@pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals are POSIX only")
def test_a_silent_port_fails_in_the_banner_without_blocking(qtbot, window):
    import tty
    master, slave = os.openpty()                         # nothing ever answers here
    tty.setraw(slave)
    try:
        with Heartbeat() as beat:
            window.use_source("Connect board", os.ttyname(slave))
            qtbot.waitUntil(lambda: not window.connector.busy, timeout=15000)
        assert "no emg-monitor firmware answered" in window.banner.text()
        assert window.session is None
        assert beat.max_gap_s < MAX_GAP_S, f"GUI thread blocked {beat.max_gap_s * 1000:.0f} ms"
    finally:
        os.close(master)
        os.close(slave)


class SlowSource(Source):
    """Each read takes 0.5 s, and so does closing: a stuck USB driver."""

    def __init__(self) -> None:
        super().__init__()
        self.k = 0
        self.closed_at: float | None = None

    def _open(self) -> DeviceInfo:
        return device_info()

    def _read(self, timeout_s: float) -> list[SampleBlock]:
        time.sleep(0.5)
        self.k += 1
        return [SampleBlock((self.k - 1) * 20, np.zeros((20, 6)))]

    def _close(self) -> None:
        time.sleep(0.5)
        self.closed_at = time.monotonic()


def test_closing_a_session_whose_source_is_slow_never_blocks(qtbot, opts):
    src = SlowSource()
    src.open()
    session = make_session(src, opts)                  # records: the recorder closes too
    w = DashboardWindow(session)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: src.k >= 1, timeout=5000)
    with Heartbeat() as beat:
        t0 = time.monotonic()
        w.close()
        returned_s = time.monotonic() - t0
        qtbot.waitUntil(lambda: all(c.is_set() for c in w.closing), timeout=10000)
    assert returned_s < MAX_GAP_S
    assert beat.max_gap_s < MAX_GAP_S, f"GUI thread blocked {beat.max_gap_s * 1000:.0f} ms"
    assert src.closed_at is not None and src.closed_at - t0 >= 0.5   # it really was slow
    assert session.recorder.status == "closed"           # and the session on disk is complete
