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
Goal: >= 30 fps with < 25 % of one core (whole process).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from figures import emit  # noqa: E402


def thread_cpu_s(thread) -> float:
    """CPU seconds used so far by another (running) Python thread."""
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    except (AttributeError, OSError, TypeError):   # not running, or no per-thread clocks
        return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=1, help="runs per mode; medians are printed")
    args = ap.parse_args()
    if not (0 < args.seconds <= 3600) or args.repeat < 1 or args.rate not in (500, 1000, 2000):
        ap.error("--seconds must lie in (0, 3600], --repeat must be at least 1 and --rate "
                 "one of the board's 500, 1000, 2000 Hz")

    from PyQt6.QtCore import QEvent, QEventLoop, QObject, QTimer
    from PyQt6.QtWidgets import QApplication

    from emg_monitor.model import DeviceConfig
    from emg_monitor.sim.athlete import AthleteConfig
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
        src = SimulatedSource(AthleteConfig(sets=50, sample_rate_hz=args.rate, seed=1),
                              device_config=DeviceConfig(sample_rate_hz=args.rate, n_emg=4,
                                                         n_motion=2), realtime=True)
        session = make_session(src, DashboardOptions(), record=False)
        w = DashboardWindow(session, exercises=("deadlift",))
        w.resize(1500, 950)
        w.show()
        counter = PaintCounter()
        w.traces.viewport().installEventFilter(counter)
        w.filtered_check.setChecked(filtered)
        session.engine.start_set()
        run_loop(2.0)                                     # filters settle, buffers fill
        acq = session.reader._thread
        f0, p0 = w.frames, PaintCounter.n
        wall0, cpu0, gui0 = time.monotonic(), time.process_time(), time.thread_time()
        acq0 = thread_cpu_s(acq)
        samples0 = session.bridge.counters()[0]
        run_loop(args.seconds)
        wall = time.monotonic() - wall0
        cpu = time.process_time() - cpu0
        gui = time.thread_time() - gui0
        acq_s = thread_cpu_s(acq) - acq0
        samples = session.bridge.counters()[0] - samples0
        n_ch = len(src.info.channels)
        w.close()                  # ordered shutdown: timer, bridge, source thread
        w.deleteLater()            # deleted while the QApplication exists
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        app.processEvents()
        return (n_ch, samples / wall, (w.frames - f0) / wall, (PaintCounter.n - p0) / wall,
                100 * gui / wall, 100 * acq_s / wall, 100 * (cpu - gui - acq_s) / wall,
                100 * cpu / wall)

    rows = []
    for filtered in (False, True):
        runs = [run(filtered) for _ in range(args.repeat)]
        rows.append(("filtered EMG" if filtered else "envelopes",
                     *(statistics.median(col) for col in zip(*runs))))

    print(f"dashboard benchmark: {args.seconds:.0f} s per mode, {args.repeat} run(s) per mode "
          f"(medians), platform {QApplication.platformName()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'traces':<14}{'ch':>4}{'rate Hz':>10}{'ticks/s':>9}{'paints/s':>10}"
          f"{'GUI %':>8}{'acq %':>8}{'other %':>9}{'process %':>11}")
    for name, n_ch, rate, ticks, paints, gui, acq, other, cpu in rows:
        print(f"{name:<14}{n_ch:>4.0f}{rate:>10.0f}{ticks:>9.1f}{paints:>10.1f}"
              f"{gui:>8.1f}{acq:>8.1f}{other:>9.1f}{cpu:>11.1f}")
        emit(f"frames drawn, {name}", ticks, "fps", f"{n_ch:.0f} ch at {rate:.0f} Hz, "
             f"{paints:.0f} trace repaints/s, Qt platform {QApplication.platformName()}",
             group="dashboard")
        emit(f"CPU, {name}", cpu, "% of one core",
             f"GUI thread {gui:.0f} %, acquisition {acq:.0f} %, other {other:.0f} %",
             group="dashboard")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
