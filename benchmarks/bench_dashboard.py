"""Dashboard frame rate and CPU at 6 channels x 2 kHz (simulated athlete, real pipeline).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_dashboard.py [--seconds 10]
    xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb .venv/bin/python benchmarks/bench_dashboard.py

Prints one row per mode (envelopes only / filtered EMG shown): timer ticks per
second, trace repaints per second, CPU of the GUI thread (time.thread_time) and of
the whole process (time.process_time: acquisition + DSP + GUI) as % of one core.
Goal: >= 30 fps with the GUI thread < 30 % of one core.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rate", type=int, default=2000)
    args = ap.parse_args()

    from PyQt6.QtCore import QEvent, QObject
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

    rows = []
    for filtered in (False, True):
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
        warm_end = time.monotonic() + 2.0                 # filters settle, buffers fill
        while time.monotonic() < warm_end:
            app.processEvents()
            time.sleep(0.002)
        f0, p0 = w.frames, PaintCounter.n
        wall0, cpu0, gui0 = time.monotonic(), time.process_time(), time.thread_time()
        samples0 = session.bridge.counters()[0]
        end = wall0 + args.seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.002)
        wall = time.monotonic() - wall0
        cpu = time.process_time() - cpu0
        gui = time.thread_time() - gui0
        samples = session.bridge.counters()[0] - samples0
        n_ch = len(src.info.channels)
        rows.append(("filtered EMG" if filtered else "envelopes", n_ch, samples / wall,
                     (w.frames - f0) / wall, (PaintCounter.n - p0) / wall,
                     100 * gui / wall, 100 * cpu / wall))
        w.close()                  # ordered shutdown: timer, bridge, source thread
        w.deleteLater()            # deleted while the QApplication exists
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        app.processEvents()

    print(f"dashboard benchmark: {args.seconds:.0f} s per mode, platform "
          f"{QApplication.platformName()}, {os.cpu_count()} cores")
    print(f"{'traces':<14}{'ch':>4}{'rate Hz':>10}{'ticks/s':>9}{'paints/s':>10}"
          f"{'GUI %core':>11}{'process %core':>15}")
    for name, n_ch, rate, ticks, paints, gui, cpu in rows:
        print(f"{name:<14}{n_ch:>4}{rate:>10.0f}{ticks:>9.1f}{paints:>10.1f}{gui:>11.1f}{cpu:>15.1f}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
