"""The lifter's screens at one window size: live set, set summary, replay, every wizard step.

    xvfb-run -a -s "-screen 0 1920x1080x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python scripts/screenshots_sizes.py 1024 600 [--out docs/screenshots/sizes]

Real windows on a virtual X display, grabbed with QWidget.grab() (see screenshots.py for
the history-backed set of the docs).
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
    ap.add_argument("width", type=int)
    ap.add_argument("height", type=int)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" /
                                         "screenshots" / "sizes"))
    ap.add_argument("--wizard", action="store_true", help="also every calibration wizard step")
    ap.add_argument("--imu", action="store_true",
                    help="the board with its hip IMUs (the wizard then has its hip-neutral step)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from PyQt6.QtWidgets import QApplication

    from shots import save_png

    from emg_monitor.model import DeviceConfig
    from emg_monitor.sim.athlete import AthleteConfig
    from emg_monitor.sources.simulated import SimulatedSource
    from emg_monitor.ui.app import DashboardOptions, build_window
    from emg_monitor.ui.calibration_wizard import HipNeutralStep, RecordStep

    app = QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="emg-sizes-"))
    size = f"{args.width}x{args.height}"

    def pump(until, timeout_s: float, what: str) -> None:
        end = time.monotonic() + timeout_s
        while not until():
            if time.monotonic() > end:
                raise SystemExit(f"screenshots: timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.005)

    def save(widget, name: str, settle_s: float = 0.4) -> None:
        end = time.monotonic() + settle_s
        pump(lambda: time.monotonic() > end, settle_s + 5, "settling")
        path = out / f"{name}-{size}.png"
        save_png(widget.grab(), path)
        print(f"wrote {path}")

    # --imu: pelvis, thigh and thorax IMUs on the simulated board (the hip-neutral step)
    device = (DeviceConfig(n_motion=0, imu_segments=("pelvis", "thigh", "thorax")) if args.imu
              else DeviceConfig())
    opts = DashboardOptions(simulate=True, athlete="Ana", sessions_root=str(tmp / "s"),
                            home=str(tmp / "h"), speed=6.0)
    # sets a minute apart: the summary stays on screen (10 s at 6x) until the next set's
    # first rep. With --wizard the athlete stands through the calibration (~6 min of stream)
    # as a lifter does: lifting through the hip-neutral stand (--imu) gave a neutral from the
    # middle of a rep, and 99-degree hip gaps after it
    w = build_window(opts, SimulatedSource(AthleteConfig(
        sets=12, reps_per_set=6, setup_s=420.0 if args.wizard else 1.5,
        rest_between_sets_s=60.0, seed=7,
        lumbar_pattern=(False, False, True, False, False, False)), device, realtime=True,
        speed=6.0))
    w.resize(args.width, args.height)
    w.show()
    pump(lambda: bool(w.traces.names), 20, "first data")
    if args.wizard:
        for old in out.glob(f"wizard-[0-9][0-9]-*-{size}.png"):   # a step gone: no stale picture
            old.unlink()
        w.calibrate_button.click()
        z = w.wizard
        z.resize(min(args.width, 1100), min(args.height - 40, 720))
        k = 0

        def shot(name, settle_s=0.4):
            nonlocal k
            k += 1
            save(z, f"wizard-{k:02d}-{name}", settle_s)
        shot("athlete")
        z.next_button.click()
        shot("placement-glutes")
        z.next_button.click()
        shot("placement-erectors")
        z.next_button.click()
        pump(lambda: z.next_button.isEnabled(), 90, "the signal check")
        shot("signal-check")
        z.next_button.click()
        while isinstance(z.step, RecordStep):
            s = z.step
            pump(lambda: s.start_button.isEnabled(), 120, "rest between holds")
            s.start_button.click()
            if s.muscle is not None and s.hold == 1:     # the live level bar, mid-hold
                pump(lambda: s.state == "recording" and s.progress.value() > 500, 90, "a hold")
                shot(f"{s.kind}-hold", settle_s=0.02)
            if isinstance(s, HipNeutralStep):     # its own names: the numbers stay as without
                pump(lambda: s.state == "recording" and s.progress.value() > 650, 90, "squeeze")
                save(z, "wizard-hip-neutral-squeeze", settle_s=0.05)
            pump(lambda: s.state in ("ok", "bad"), 120, "the check")
            if isinstance(s, HipNeutralStep):
                save(z, "wizard-hip-neutral-measured")
            elif s.muscle is None or s.hold == 1:
                shot(f"{s.kind}-checked")
            z.next_button.click()
        pump(lambda: z.save_button.isEnabled(), 90, "the result")
        shot("result")
        if z.neutral is not None:
            save(z, "wizard-hip-neutral-result", settle_s=0.0)
        z.save_button.click()
        pump(lambda: w.calibrated, 30, "%MVC")
    # sets start at their first rep and end on their own, as a lifter uses it (a space press
    # here could stop a set the detector had already started); with --wizard, the first
    # set lifted after the calibration, every rep of it judged in %MVC
    pump(lambda: w.set_active and len(w.bars.reps) >= 5
         and all(r.calibrated == args.wizard for r in w.bars.reps), 300, "five reps of a set")
    save(w, "live-set")
    pump(lambda: w.pages.currentWidget() is w.summary, 60, "the set's summary")
    save(w, "set-summary", settle_s=0.2)
    if w.pages.currentWidget() is not w.summary:
        raise SystemExit("screenshots: the next set began before the summary was taken")
    w.close()

    demo = Path(__file__).resolve().parents[1] / "seeds" / "demo"
    r = build_window(DashboardOptions(replay=str(demo), speed=6.0, sessions_root=str(tmp / "s"),
                                      home=str(tmp / "h")))
    r.resize(args.width, args.height)
    r.show()
    pump(lambda: len(r.bars.reps) >= 6, 90, "the demo's reps")
    r.pause_button.click()
    save(r, "replay")
    r.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
