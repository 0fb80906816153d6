"""No board: the start screen. Quitting: the source stops, the session is readable, exit 0."""
import os
import signal
import subprocess
import sys
import time

import pytest

from emg_monitor.session.reader import load_session
from emg_monitor.sources import serial_source
from emg_monitor.ui.app import DashboardOptions, build_window, initial_source

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("propagateSizeHints", "QFont::setPointSize")]


def test_no_board_shows_the_start_screen_with_simulator_ports_and_rescan(qtbot, tmp_path,
                                                                         monkeypatch):
    ports = []
    monkeypatch.setattr(serial_source, "find_ports", lambda: list(ports))
    opts = DashboardOptions(sessions_root=str(tmp_path / "s"), home=str(tmp_path / "h"),
                            speed=8.0)
    assert initial_source(opts) is None
    w = build_window(opts, None)
    qtbot.addWidget(w)
    w.show()
    try:
        start = w.start_screen
        assert w.pages.currentWidget() is start and start.isVisible()
        assert "No board found" in start.title.text()
        assert "no serial ports" in start.ports.item(0).text()
        assert not start.connect_button.isEnabled()
        ports.append(serial_source.PortInfo("/dev/does-not-exist", "USB Serial", 0x2341, 0x43,
                                            True, "Arduino"))
        start.rescan_button.click()
        assert "/dev/does-not-exist" in start.ports.item(0).text()
        assert start.connect_button.isEnabled()
        start.connect_button.click()                     # fails: shown, start screen stays
        qtbot.waitUntil(lambda: not w.connector.busy and "not found" in w.banner.text(),
                        timeout=10000)
        assert w.banner.isVisible() and "Connect board" in w.banner.text()
        assert w.session is None and w.pages.currentWidget() is start
        start.simulate_button.click()
        qtbot.waitUntil(lambda: w.session is not None, timeout=10000)  # opened on a worker
        assert w.pages.currentWidget() is w.traces
        qtbot.waitUntil(lambda: w.session.bridge.counters()[0] > 0, timeout=10000)
    finally:
        w.close()


def _dashboard(tmp_path, *extra):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", EMG_MONITOR_HOME=str(tmp_path / "home"))
    return subprocess.Popen([sys.executable, "-m", "emg_monitor", "dashboard", "--simulate",
                             "--sessions", str(tmp_path / "s"), "--speed", "4", *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _check_clean(proc, tmp_path, min_rows=1000):
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Segmentation" not in err, err
    folders = list((tmp_path / "s").iterdir())
    assert len(folders) == 1
    s = load_session(folders[0])
    assert s.closed and len(s.data) >= min_rows


def test_closing_the_window_stops_and_saves_then_exits_0(tmp_path):
    proc = _dashboard(tmp_path, "--quit-after", "2.5")
    _check_clean(proc, tmp_path)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_ctrl_c_close_cleanly(tmp_path, sig):
    proc = _dashboard(tmp_path)
    end = time.monotonic() + 20
    while time.monotonic() < end:              # wait until it is recording samples
        found = list((tmp_path / "s").glob("*/samples.bin"))
        if found and found[0].stat().st_size > 20_000:
            break
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the dashboard never recorded")
    proc.send_signal(sig)
    _check_clean(proc, tmp_path, min_rows=1)
