#!/usr/bin/env python3
"""Record the demo session in seeds/demo/ from the simulated athlete, through the engine.

One calibrated deadlift set of 6 reps, reps 3 and 6 lumbar-compensated; 4 raw EMG +
2 accelerometer channels at 1000 Hz (about 1 MB). The calibration comes from the
same simulated athlete's rest and MVC holds (a separate run with the same seed and
electrode parameters), exactly as the calibration wizard would compute it.

    .venv/bin/python scripts/make_demo_session.py [--out seeds/demo]
"""
from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emg_monitor.dsp.mvc import calibrate  # noqa: E402
from emg_monitor.dsp.pipeline import FilterSettings  # noqa: E402
from emg_monitor.engine import Engine, EngineSettings  # noqa: E402
from emg_monitor.exercises import get_exercise  # noqa: E402
from emg_monitor.model import DeviceInfo  # noqa: E402
from emg_monitor.session import Recorder, SessionMeta  # noqa: E402
from emg_monitor.sim.athlete import Athlete, AthleteConfig  # noqa: E402
from emg_monitor.sources.notifier import Notifier  # noqa: E402
from emg_monitor.sources.simulated import SimulatedSource  # noqa: E402

ATHLETE = AthleteConfig(exercise="deadlift", sets=1, reps_per_set=6, seed=11,
                        lumbar_pattern=(False, False, True, False, False, True),
                        setup_s=3.0)
STARTED = "2026-11-24T10:30:00+01:00"   # fixed, so the samples and reps are reproducible


def demo_calibration(info: DeviceInfo, settings: FilterSettings):
    """Rest + 3 glute and 3 erector MVC holds of the same athlete, as the wizard cuts them."""
    athlete = Athlete(replace(ATHLETE, calibration=True, sets=0))
    data = athlete.render_all()
    fs = athlete.fs

    def cut(task):
        return data[int(task.t_start_s * fs):int(task.t_end_s * fs)]
    rest = [cut(t) for t in athlete.tasks if t.kind == "rest"][0]
    glute = [cut(t) for t in athlete.tasks if t.kind == "glute_mvc"]
    erector = [cut(t) for t in athlete.tasks if t.kind == "erector_mvc"]
    return calibrate(rest, glute, erector, info, settings,
                     created_iso="2026-11-24T10:20:00+01:00")


def make(out: Path, athlete: AthleteConfig = ATHLETE, started: str = STARTED) -> Path:
    if out.exists():
        shutil.rmtree(out)
    settings = FilterSettings()
    source = SimulatedSource(athlete, realtime=False)
    info = source.open()
    calibration = demo_calibration(info, settings)
    meta = SessionMeta(athlete="Demo Athlete", exercise="deadlift",
                       filter_settings=settings.to_dict(), calibration=calibration.to_dict(),
                       started=started, target_ratio=get_exercise("deadlift").target_ratio,
                       notes=f"simulated athlete (seed {athlete.seed})")
    engine = Engine(EngineSettings(filters=settings, calibration=calibration,
                                   exercise="deadlift"))
    recorder = Recorder(out, meta)
    engine.add_listener(recorder)
    reader = Notifier(source, [recorder, engine])
    reader.start()
    reader.wait(120)
    reader.stop()                                # the engine closes the set
    recorder.close()
    reader.raise_error()
    for failure in reader.failures + engine.failures:
        raise failure.error
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "seeds" / "demo")
    p.add_argument("--history", type=Path, default=None, metavar="ROOT",
                   help="also write three earlier simulated sessions of the same athlete and "
                        "a copy of the demo under ROOT (for the report screenshot's trend)")
    args = p.parse_args()
    out = make(args.out)
    if args.history is not None:
        for k, (day, pattern) in enumerate([("03", (True, False, True, True, False, True)),
                                            ("10", (False, True, True, False, False, True)),
                                            ("17", (False, False, True, False, True, False))]):
            make(args.history / f"2026-11-{day}_103000_Demo-Athlete",
                 replace(ATHLETE, seed=20 + k, lumbar_pattern=pattern),
                 f"2026-11-{day}T10:30:00+01:00")
        shutil.copytree(out, args.history / out.name, dirs_exist_ok=True)
    from emg_monitor.session import load_session
    s = load_session(out)
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    print(f"{out}: {s.duration_s:.1f} s, {len(s.reps)} reps, {size / 1e6:.2f} MB")
    for r in s.reps:
        print(f"  set {r.set_index} rep {r.rep}: ratio {r.ratio:.2f} {r.verdict.value}")
    truth = [t for t in SimulatedSource(ATHLETE, realtime=False).truth]
    print("  truth compensated:", [t.rep for t in truth if t.compensated])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
