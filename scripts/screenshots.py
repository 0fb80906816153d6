"""Screenshots of the dashboard on the simulated athlete, for docs/screenshots/.

    xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb \
        .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

A real window on a virtual X display (xcb), grabbed with QWidget.grab():
live set (several reps, one lumbar-dominant), calibration wizard (during a hold
and when done) and the set summary.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "xcb")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "screenshots"))
    ap.add_argument("--speed", type=float, default=6.0)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PyQt6.QtWidgets import QApplication

    from emg_monitor.sim.athlete import AthleteConfig
    from emg_monitor.sources.simulated import SimulatedSource
    from emg_monitor.ui.app import DashboardOptions, build_window

    app = QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="emg-shots-"))
    opts = DashboardOptions(simulate=True, athlete="Ana", sessions_root=str(tmp / "sessions"),
                            home=str(tmp / "home"), speed=args.speed)

    def pump(until, timeout_s: float, what: str) -> None:
        end = time.monotonic() + timeout_s
        while not until():
            if time.monotonic() > end:
                raise SystemExit(f"screenshots: timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.005)

    def settle(seconds: float = 0.4) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.005)

    def save(widget, name: str, settle_s: float = 0.4) -> None:
        settle(settle_s)
        path = out / name
        widget.grab().save(str(path))
        print(f"wrote {path}")

    # 1 + 3: the live set and its summary (rep 3 lumbar-dominant)
    src = SimulatedSource(AthleteConfig(sets=3, reps_per_set=6, setup_s=1.5, seed=7,
                                        lumbar_pattern=(False, False, True, False, False, False)),
                          realtime=True, speed=args.speed)
    w = build_window(opts, src)
    w.resize(1560, 960)
    w.show()
    pump(lambda: bool(w.traces.names), 15, "first data")
    w.toggle_set()
    pump(lambda: w.set_active, 10, "set start")
    pump(lambda: len(w.bars.reps) >= 6, 90, "six reps")
    # let the traces scroll past the last rep a little, at normal speed
    save(w, "live-set.png")
    w.toggle_set()
    pump(lambda: not w.set_active, 10, "set stop")
    save(w, "set-summary.png")

    # 2: the calibration wizard: the simulated athlete runs its calibration routine
    w.calibrate_button.click()
    wizard = w.wizard
    wizard.resize(900, 620)
    pump(lambda: wizard.index >= 1 and wizard.state == "recording"
         and wizard.progress.value() > 300, 90, "a glute hold")
    save(wizard, "calibration-wizard.png", settle_s=0.05)
    pump(lambda: wizard.state in ("done", "bad"), 120, "calibration end")
    save(wizard, "calibration-done.png")
    wizard.save_button.click()
    pump(lambda: w.calibrated, 20, "%MVC display")
    w.toggle_set()
    pump(lambda: w.set_active, 10, "set start")
    pump(lambda: len(w.bars.reps) >= 3, 90, "three calibrated reps")
    save(w, "live-set-calibrated.png")
    w.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
