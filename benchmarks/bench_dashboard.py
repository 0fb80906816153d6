"""Dashboard frame rate and CPU at 6 channels x 2 kHz (simulated athlete, real pipeline).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_dashboard.py [--seconds 10]
    xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb .venv/bin/python benchmarks/bench_dashboard.py

Prints one row per mode (envelopes only / filtered EMG shown): timer ticks per
second, trace repaints per second, and CPU as % of one core: the GUI thread
(``time.thread_time``), the acquisition thread (the source's thread: simulated
board, decoder, DSP, reps, display buffer; its CPU clock via
``time.pthread_getcpuclockid``), the rest (Qt's own threads, the interpreter's
housekeeping) and the whole process (``time.process_time``). ``--repeat N`` runs
each mode N times and prints the median of every column.

``--serial`` feeds the dashboard as a board would: the simulated athlete and its
emulated board run in another process (``emg-monitor simulate --pty``) and the
dashboard reads the pseudo-terminal with pyserial, so its process holds only what it
holds beside a real board (the in-process simulator renders and encodes the signal
too). The board process's CPU is printed beside it.
Goal: >= 30 fps with < 25 % of one core (whole process).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from figures import emit  # noqa: E402


def thread_cpu_s(thread) -> float:
    """CPU seconds used so far by another (running) Python thread."""
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    except (AttributeError, OSError, TypeError):   # not running, or no per-thread clocks
        return float("nan")


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by another process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_board(rate: int, folder: Path) -> tuple[subprocess.Popen, str]:
    """``emg-monitor simulate --pty`` in its own process; returns it and its port."""
    link = folder / "board"
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "emg_monitor", "simulate", "--pty",
                             "--link", str(link), "--rate", str(rate), "--sets", "50",
                             "--seed", "1"], cwd=root, stdout=subprocess.DEVNULL,
                            env=dict(os.environ, PYTHONPATH=str(root)))
    deadline = time.monotonic() + 20
    while not link.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("bench_dashboard: the simulated board did not start")
        time.sleep(0.05)
    return proc, str(link)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=1, help="runs per mode; medians are printed")
    ap.add_argument("--serial", action="store_true",
                    help="read the simulated board over a pseudo-terminal from another process")
    args = ap.parse_args()
    if not (0 < args.seconds <= 3600) or args.repeat < 1 or args.rate not in (500, 1000, 2000):
        ap.error("--seconds must lie in (0, 3600], --repeat must be at least 1 and --rate "
                 "one of the board's 500, 1000, 2000 Hz")

    from PyQt6.QtCore import QEvent, QEventLoop, QObject, QTimer
    from PyQt6.QtWidgets import QApplication

    from emg_monitor.model import DeviceConfig
    from emg_monitor.sim.athlete import AthleteConfig
    from emg_monitor.sources.base import Source
    from emg_monitor.sources.serial_source import SerialSource
    from emg_monitor.sources.simulated import SimulatedSource
    from emg_monitor.ui.app import DashboardOptions, make_session
    from emg_monitor.ui.main_window import DashboardWindow

    app = QApplication(sys.argv[:1])

    class PaintCounter(QObject):
        n = 0

        def eventFilter(self, obj, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint:
                PaintCounter.n += 1
            return False

    def run_loop(seconds: float) -> None:
        """The window runs in an event loop as in the app (blocked until an event comes),
        not in a polling loop whose own wake-ups would be counted as the GUI's CPU."""
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    def run(filtered: bool) -> tuple:
        config = DeviceConfig(sample_rate_hz=args.rate, n_emg=4, n_motion=2)
        board = None
        src: Source
        if args.serial:
            board, port = start_board(args.rate, Path(tempfile.mkdtemp(prefix="emg-bench-")))
            src = SerialSource(port, config, reconnect=False)
            src.open()
        else:
            src = SimulatedSource(AthleteConfig(sets=50, sample_rate_hz=args.rate, seed=1),
                                  device_config=config, realtime=True)
        session = make_session(src, DashboardOptions(), record=False)
        w = DashboardWindow(session, exercises=("deadlift",))
        w.resize(1500, 950)
        w.show()
        counter = PaintCounter()
        w.traces.installEventFilter(counter)
        w.filtered_check.setChecked(filtered)
        session.engine.start_set()
        run_loop(2.0)                                     # filters settle, buffers fill
        acq = session.reader._thread
        f0, p0 = w.frames, PaintCounter.n
        wall0, cpu0, gui0 = time.monotonic(), time.process_time(), time.thread_time()
        acq0 = thread_cpu_s(acq)
        board0 = process_cpu_s(board.pid) if board else float("nan")
        samples0 = session.bridge.counters()[0]
        run_loop(args.seconds)
        wall = time.monotonic() - wall0
        cpu = time.process_time() - cpu0
        gui = time.thread_time() - gui0
        acq_s = thread_cpu_s(acq) - acq0
        board_s = process_cpu_s(board.pid) - board0 if board else float("nan")
        samples = session.bridge.counters()[0] - samples0
        n_ch = len(src.info.channels)
        w.close()                  # ordered shutdown: timer, bridge, source thread
        w.deleteLater()            # deleted while the QApplication exists
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        app.processEvents()
        if board is not None:
            board.terminate()
            board.wait(10)
        return (n_ch, samples / wall, (w.frames - f0) / wall, (PaintCounter.n - p0) / wall,
                100 * gui / wall, 100 * acq_s / wall, 100 * (cpu - gui - acq_s) / wall,
                100 * cpu / wall, 100 * board_s / wall)

    rows = []
    for filtered in (False, True):
        runs = [run(filtered) for _ in range(args.repeat)]
        rows.append(("filtered EMG" if filtered else "envelopes",
                     *(statistics.median(col) for col in zip(*runs))))

    feed = ("a simulated board over a pseudo-terminal (another process)" if args.serial
            else "the simulator in the process")
    print(f"dashboard benchmark: {args.seconds:.0f} s per mode, {args.repeat} run(s) per mode "
          f"(medians), fed by {feed}, platform {QApplication.platformName()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"{'traces':<14}{'ch':>4}{'rate Hz':>10}{'ticks/s':>9}{'paints/s':>10}"
          f"{'GUI %':>8}{'acq %':>8}{'other %':>9}{'process %':>11}"
          + (f"{'board %':>9}" if args.serial else ""))
    label = ", serial" if args.serial else ""
    for name, n_ch, rate, ticks, paints, gui, acq, other, cpu, board_cpu in rows:
        print(f"{name:<14}{n_ch:>4.0f}{rate:>10.0f}{ticks:>9.1f}{paints:>10.1f}"
              f"{gui:>8.1f}{acq:>8.1f}{other:>9.1f}{cpu:>11.1f}"
              + (f"{board_cpu:>9.1f}" if args.serial else ""))
        emit(f"frames drawn, {name}{label}", ticks, "fps", f"{n_ch:.0f} ch at {rate:.0f} Hz, "
             f"{paints:.0f} trace repaints/s, Qt platform {QApplication.platformName()}",
             group="dashboard")
        emit(f"CPU, {name}{label}", cpu, "% of one core",
             f"GUI thread {gui:.0f} %, acquisition {acq:.0f} %, other {other:.0f} %"
             + (f"; the board process {board_cpu:.0f} %" if args.serial else ""),
             group="dashboard")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
