"""SerialSource end to end with REAL pyserial over pseudo-terminals (no mocks).

The emulated board (sim.device + sim.pty) sits on the master side. An unplug is
the pty being closed. Reconnection needs the *same* port name: the test opens
the source on a symlink (like /dev/serial/by-id/...) and re-points it to the new
pty of the "replugged" board.
"""
import os
import threading
import time

import numpy as np
import pytest

if os.name != "posix":
    pytest.skip("pseudo-terminals are POSIX only", allow_module_level=True)

from emg_monitor.model import DeviceConfig, EventKind  # noqa: E402
from emg_monitor.sim.athlete import Athlete, AthleteConfig  # noqa: E402
from emg_monitor.sim.device import DeviceEmulator  # noqa: E402
from emg_monitor.sim.pty import PtyBoard  # noqa: E402
from emg_monitor.sources.base import Listener, SourceError  # noqa: E402
from emg_monitor.device import lsb_units  # noqa: E402
from emg_monitor.sources.serial_source import SerialSource  # noqa: E402
from emg_monitor.sources.notifier import Notifier

CFG = AthleteConfig(seed=21, sets=1, reps_per_set=3, setup_s=0.5)


class Collect(Listener):
    def __init__(self):
        self.blocks, self.events, self.errors = [], [], []
        self.lock = threading.Lock()

    def on_block(self, b):
        with self.lock:
            self.blocks.append(b)

    def on_event(self, e):
        with self.lock:
            self.events.append(e)

    def on_error(self, exc):
        self.errors.append(exc)

    def n(self):
        with self.lock:
            return sum(b.n for b in self.blocks)

    def kinds(self):
        with self.lock:
            return [e.kind for e in self.events]


def wait_for(cond, timeout_s=10.0):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def test_stream_decodes_the_athlete_within_one_lsb():
    with PtyBoard(DeviceEmulator(Athlete(CFG), DeviceConfig()), speed=4.0) as board:
        src = SerialSource(board.path, DeviceConfig(), hello_timeout_s=3.0)
        got = Collect()
        rd = Notifier(src)
        rd.add_listener(got)
        info = src.open()
        assert info.names[0] == "left_glute" and info.sample_rate_hz == 1000
        rd.start()
        assert wait_for(lambda: got.n() >= 4000)
        rd.stop()
        rd.raise_error()
    blocks = got.blocks
    assert blocks[0].first_index == 0
    for a, b in zip(blocks, blocks[1:]):
        assert b.first_index == a.first_index + a.n and b.lost_before == 0
    data = np.vstack([b.data for b in blocks])
    ref = Athlete(CFG).render(len(data))
    lsb = lsb_units(src._link.hello, DeviceConfig())
    assert np.all(np.abs(data - ref) <= lsb + 1e-9)
    assert src.stats.frames >= len(data) and src.stats.crc_errors == 0


def test_unplug_then_replug_on_the_same_name(tmp_path):
    link = tmp_path / "ttyEMG"
    board1 = PtyBoard(DeviceEmulator(Athlete(CFG), DeviceConfig())).start()
    os.symlink(board1.path, link)
    src = SerialSource(str(link), DeviceConfig(), hello_timeout_s=2.0)
    got = Collect()
    rd = Notifier(src)
    rd.add_listener(got)
    rd.start()
    try:
        assert wait_for(lambda: got.n() >= 500)
        # everything the board sent before the unplug must arrive: pause, drain, unplug
        board1.pause()
        assert wait_for(lambda: board1.idle and got.n() == board1.samples_produced)
        sent_before = board1.samples_produced
        t_unplug = time.monotonic()
        board1.close()
        os.unlink(link)
        assert wait_for(lambda: EventKind.DISCONNECTED in got.kinds())
        time.sleep(0.8)                                   # away for a while
        board2 = PtyBoard(DeviceEmulator(Athlete(CFG), DeviceConfig())).start()
        os.symlink(board2.path, link)
        assert wait_for(lambda: EventKind.GAP in got.kinds(), 10.0)
        t_back = time.monotonic()
        assert wait_for(lambda: got.n() >= sent_before + 300)
    finally:
        rd.stop()
        board1.close()
        if "board2" in locals():
            board2.close()
    rd.raise_error()
    assert got.kinds()[:3] == [EventKind.DISCONNECTED, EventKind.RECONNECTED, EventKind.GAP]
    gap = got.events[2]
    assert 0.8 <= gap.duration_s <= t_back - t_unplug
    before = [b for b in got.blocks if b.first_index < sent_before]
    assert sum(b.n for b in before) == sent_before            # nothing lost before the unplug
    assert all(b.lost_before == 0 for b in before)
    after = [b for b in got.blocks if b.first_index >= sent_before]
    missed = int(round(gap.duration_s * 1000))
    assert after[0].first_index == sent_before + missed
    assert after[0].lost_before == missed
    assert gap.sample_index == sent_before
    for a, b in zip(after, after[1:]):
        assert b.first_index == a.first_index + a.n
    assert src.stats.reconnects == 1
    assert src.stats.disconnected_s == pytest.approx(gap.duration_s)
    assert src.stats.lost_samples == missed


def test_no_reconnect_reports_the_disconnection():
    board = PtyBoard(DeviceEmulator(Athlete(CFG), DeviceConfig())).start()
    src = SerialSource(board.path, DeviceConfig(), reconnect=False)
    got = Collect()
    rd = Notifier(src)
    rd.add_listener(got)
    rd.start()
    assert wait_for(lambda: got.n() > 100)
    board.close()
    assert rd.wait(5.0)
    rd.stop()
    assert isinstance(rd.error, SourceError) and "disconnected" in str(rd.error)
    assert EventKind.DISCONNECTED in got.kinds()


class _Chatter:
    """A pty whose other end prints unrelated text (another sketch, a GPS...)."""

    def __init__(self, text=b"T=21.5C H=40%\r\n"):
        import tty
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(text,), daemon=True)
        self.thread.start()

    def _run(self, text):
        while not self.stop.is_set():
            if text:
                os.write(self.master, text)
            time.sleep(0.02)

    def close(self):
        self.stop.set()
        self.thread.join()
        os.close(self.master)
        os.close(self.slave)


def test_unrelated_bytes_give_a_clear_error():
    chatter = _Chatter()
    try:
        with pytest.raises(SourceError, match="not emg-monitor firmware.*make -C arduino upload"):
            SerialSource(chatter.path, hello_timeout_s=1.0).open()
    finally:
        chatter.close()


def test_silent_port_gives_a_clear_error():
    silent = _Chatter(text=b"")
    try:
        with pytest.raises(SourceError, match="no emg-monitor firmware answered"):
            SerialSource(silent.path, hello_timeout_s=1.0).open()
    finally:
        silent.close()


def test_missing_port_gives_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="not found.*plug the board in"):
        SerialSource(str(tmp_path / "ttyNOPE")).open()


def test_busy_port_gives_a_clear_error():
    with PtyBoard(DeviceEmulator(Athlete(CFG), DeviceConfig())) as board:
        first = SerialSource(board.path)
        first.open()
        try:
            with pytest.raises(SourceError, match="busy"):
                SerialSource(board.path).open()
        finally:
            first.close()


def test_board_reset_mid_stream_is_restarted_with_a_gap():
    with PtyBoard(DeviceEmulator(Athlete(CFG), DeviceConfig())) as board:
        src = SerialSource(board.path, DeviceConfig(), hello_timeout_s=2.0)
        got = Collect()
        rd = Notifier(src)
        rd.add_listener(got)
        rd.start()
        try:
            assert wait_for(lambda: got.n() >= 300)
            board.reset()
            assert wait_for(lambda: EventKind.GAP in got.kinds())
            n_at_gap = got.n()
            assert wait_for(lambda: got.n() >= n_at_gap + 300)
        finally:
            rd.stop()
    rd.raise_error()
    gap = next(e for e in got.events if e.kind == EventKind.GAP)
    assert gap.detail == "board reset"
    after = [b for b in got.blocks if b.first_index >= gap.sample_index]
    assert after[0].first_index == gap.sample_index + int(round(gap.duration_s * 1000))
    assert sum(b.lost_before for b in got.blocks) == after[0].lost_before
