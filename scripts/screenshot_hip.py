"""The dashboard's hip gap on the simulated athlete with IMUs, for docs/screenshots/.

    xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb \
        .venv/bin/python scripts/screenshot_hip.py [--out docs/screenshots]

The athlete "Ana" gets a profile as the calibration wizard would write it: the MVC
from the simulated athlete's rest and holds, and the hip neutral from its relaxed
stand and glute squeeze (hip/neutral.py), both cut from the same athlete's
calibration script with its IMUs. Then a live set with pelvis, thigh and thorax
IMUs through the emulated board; the window is grabbed once a lumbar-compensated
rep ("finish with your hips") and at least four reps are on screen.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SEED = 7
SEGMENTS = ("pelvis", "thigh", "thorax")


def profile_records(config):
    """(Calibration, HipNeutral) from the athlete's own calibration script."""
    from emg_monitor.dsp.mvc import calibrate
    from emg_monitor.dsp.pipeline import FilterSettings
    from emg_monitor.hip.neutral import measure_neutral
    from emg_monitor.model import DeviceInfo, SampleBlock
    from emg_monitor.sim.athlete import Athlete
    from emg_monitor.sim.segments import with_imu, with_imu_info

    a = Athlete(replace(config, calibration=True, sets=0))
    info = with_imu_info(DeviceInfo(a.fs, a.channels), SEGMENTS, 100.0)
    data = with_imu(SampleBlock(0, a.render_all()), a, 100.0).data

    def cut(task):
        return data[int(task.t_start_s * a.fs):int(task.t_end_s * a.fs)]

    def kind(k):
        return [cut(t) for t in a.tasks if t.kind == k]
    cal = calibrate(kind("rest")[0], kind("glute_mvc"), kind("erector_mvc"), info,
                    FilterSettings())
    neutral = measure_neutral(info, kind("relaxed_stand")[0][500:-500],
                              kind("hip_neutral")[0][500:-500])
    return cal, neutral


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "screenshots"))
    ap.add_argument("--speed", type=float, default=4.0)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PyQt6.QtWidgets import QApplication

    from emg_monitor.hip.scoring import CUE_FINISH_WITH_HIPS
    from emg_monitor.profiles import AthleteProfile, save_profile
    from emg_monitor.sim.athlete import AthleteConfig
    from emg_monitor.ui.app import DashboardOptions, build_window, simulated_source

    app = QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="emg-hip-shot-"))
    opts = DashboardOptions(simulate=True, athlete="Ana", sessions_root=str(tmp / "sessions"),
                            home=str(tmp / "home"), speed=args.speed, seed=SEED, lumbar=0.35,
                            imu_segments=SEGMENTS)
    cal, neutral = profile_records(AthleteConfig(seed=SEED))
    save_profile(AthleteProfile("Ana", [cal], hip_neutrals=[neutral]), opts.home)

    def pump(until, timeout_s: float, what: str) -> None:
        end = time.monotonic() + timeout_s
        while not until():
            if time.monotonic() > end:
                raise SystemExit(f"screenshot: timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.005)

    w = build_window(opts, simulated_source(opts))
    w.resize(1560, 960)
    w.show()
    pump(lambda: bool(w.traces.names), 15, "first data")
    w.toggle_set()
    pump(lambda: w.set_active, 10, "set start")

    def ready() -> bool:
        reps = w.bars.reps
        return len(reps) >= 4 and reps[-1].cue == CUE_FINISH_WITH_HIPS
    pump(ready, 240, "a compensated rep after three others")
    end = time.monotonic() + 0.6
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)
    path = out / "live-set-hip.png"
    w.grab().save(str(path))
    print(f"wrote {path}")
    for r in w.bars.reps:
        print(f"rep {r.rep}: ratio {r.ratio:.2f} {r.verdict.value}, hips "
              f"{r.hip_short_of_neutral_deg:.1f} deg short, lumbar {r.lumbar_angle_at_top_deg:.1f}"
              f" deg {r.cue}")
    w.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
