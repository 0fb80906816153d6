"""Screenshots of the dashboard on the simulated athlete, for docs/screenshots/.

    xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb \
        .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

A real window on a virtual X display (xcb), grabbed with QWidget.grab():
the start screen without a board, a live set (several reps, one lumbar-dominant),
the filtered-EMG view of a live set,
the set summary with the athlete's trend, the calibration wizard (during a hold and
when done), the demo session replayed, and the live set in a 1280x720 window.

The trend needs earlier sessions: the script records four short sessions of the
simulated athlete (different seeds) into a temporary root and dates them one week
apart, so the x axis shows what weeks of training look like.

``--only NAME.png ...`` writes just those (start.png and filtered.png without the rest of
the sequence).
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
    ap.add_argument("--only", nargs="+", metavar="NAME.png", help="write only these screenshots")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PyQt6.QtWidgets import QApplication

    import json
    from datetime import datetime, timedelta

    from shots import save_png

    from emg_monitor.cli import main as cli
    from emg_monitor.sim.athlete import AthleteConfig
    from emg_monitor.sources import serial_source
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

    def want(*names: str) -> bool:
        return not args.only or any(n in args.only for n in names)

    def save(widget, name: str, settle_s: float = 0.4) -> None:
        if not want(name):
            return
        settle(settle_s)
        path = out / name
        save_png(widget.grab(), path)
        print(f"wrote {path}")

    live_shots = ("live-set.png", "set-summary.png", "live-set-calibrated.png")
    # earlier sessions of "Ana" for the trend, one week apart
    now = datetime.now().astimezone()
    for i, seed in enumerate((21, 22, 23, 24) if want(*live_shots) else ()):
        folder = tmp / "sessions" / f"past{i}"
        if cli(["record", "--simulate", "--athlete", "Ana", "--seconds", "20", "--speed", "50",
                "--sets", "1", "--reps", "4", "--seed", str(seed), "--out", str(folder)]) != 0:
            raise SystemExit("screenshots: could not record the history")
        header = json.loads((folder / "session.json").read_text())
        header["meta"]["started"] = (now - timedelta(weeks=4 - i)).isoformat(timespec="seconds")
        (folder / "session.json").write_text(json.dumps(header, indent=2))

    # 0: no board: the start screen (no serial ports on this machine either way)
    serial_source.find_ports = lambda: []
    if want("start.png"):
        start = build_window(opts, None)
        start.resize(1560, 960)
        start.show()
        save(start, "start.png")
        start.close()

    # the filtered EMG of a live set: per-bucket min/max drawn as a band (peak decimation)
    if want("filtered.png"):
        f = build_window(opts, SimulatedSource(
            AthleteConfig(sets=3, reps_per_set=6, setup_s=1.5, seed=7,
                          lumbar_pattern=(False, False, True, False, False, False)),
            realtime=True, speed=args.speed))
        f.resize(1560, 960)
        f.show()
        pump(lambda: bool(f.traces.names), 15, "first data")
        f.toggle_set()
        pump(lambda: len(f.bars.reps) >= 3, 90, "three reps")
        f.filtered_check.setChecked(True)
        save(f, "filtered.png", settle_s=0.6)
        f.close()
    if args.only and not want(*live_shots, "replay.png", "live-set-1280x720.png",
                              "set-summary-1280x720.png"):
        return 0

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
    pump(lambda: len(w.trend_points) >= 4 and w._trend_future is None, 10, "the trend")
    save(w, "set-summary.png")

    # 2: the calibration wizard's steps: scripts/screenshots_sizes.py --wizard
    w.toggle_set()
    pump(lambda: w.set_active, 10, "set start")
    pump(lambda: len(w.bars.reps) >= 3, 90, "three calibrated reps")
    save(w, "live-set-calibrated.png")
    w.close()

    # 4: the demo session replayed in the same screens, paused after its last rep
    demo = Path(__file__).resolve().parents[1] / "seeds" / "demo"
    r = build_window(DashboardOptions(replay=str(demo), speed=args.speed,
                                      sessions_root=str(tmp / "sessions"),
                                      home=str(tmp / "home")))
    r.resize(1560, 960)
    r.show()
    pump(lambda: len(r.bars.reps) >= 6, 60, "the demo's six reps")
    settle(0.5)
    r.pause_button.click()
    save(r, "replay.png")
    r.close()

    # 5: a small laptop window
    small = build_window(opts, SimulatedSource(
        AthleteConfig(sets=3, reps_per_set=6, setup_s=1.5, seed=7,
                      lumbar_pattern=(False, False, True, False, False, False)),
        realtime=True, speed=args.speed))
    small.resize(1280, 720)
    small.show()
    pump(lambda: bool(small.traces.names), 15, "first data")
    small.toggle_set()
    pump(lambda: len(small.bars.reps) >= 4, 90, "four reps")
    save(small, "live-set-1280x720.png")
    small.toggle_set()
    pump(lambda: not small.set_active, 10, "set stop")
    save(small, "set-summary-1280x720.png")
    small.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
