"""``emg-monitor record (--simulate | --port P) --athlete A --exercise E [--seconds S] [--out DIR]``

Records without the GUI: raw samples and source events always; reps (and set
marks) through the engine when it is available. Ctrl-C and SIGTERM stop the
source and close the session cleanly (flushed, fsync'd, marked closed).
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from ..errors import UserError
from . import options


def add_parser(sub) -> None:
    p = sub.add_parser("record", help="record a session without the dashboard",
                       description="Record raw samples, events and reps to a session folder.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--simulate", action="store_true", help="record the simulated athlete")
    src.add_argument("--port", help="serial port of the board (e.g. /dev/ttyUSB0, COM3)")
    p.add_argument("--athlete", required=True, help="athlete name (profile calibration is used)")
    p.add_argument("--exercise", default="deadlift", type=options.exercise)
    p.add_argument("--seconds", type=options.SECONDS, default=None,
                   help="stop after this many seconds (default: until Ctrl-C)")
    p.add_argument("--out", type=Path, default=None,
                   help="session folder to create (default: a new folder named by start time "
                        "under --root)")
    p.add_argument("--root", type=Path, default=None,
                   help="sessions root (default: $EMG_MONITOR_HOME/sessions or "
                        "~/.emg-monitor/sessions)")
    p.add_argument("--seed", type=options.SEED, default=0, help="simulated athlete's seed")
    p.add_argument("--sets", type=options.SETS, default=3, help="simulated athlete's sets")
    p.add_argument("--reps", type=options.REPS, default=5,
                   help="simulated athlete's reps per set")
    p.add_argument("--speed", type=options.SPEED, default=1.0,
                   help="simulated time speed-up factor (1 = real time)")
    p.add_argument("--notes", default="", help="free text stored with the session")
    p.add_argument("--lsl", action="store_true",
                   help="also publish envelopes and rep markers as Lab Streaming Layer outlets "
                        "(visible to every machine on the local network; off by default)")
    p.set_defaults(func=run)


def _calibration(athlete: str):
    try:
        from ..profiles import load_profile
        return load_profile(athlete).latest_calibration()
    except (UserError, ImportError):
        return None                      # no profile yet: record uncalibrated


def _engine(settings_kwargs: dict):
    """The engine if it is importable in this build (reps, set marks), else None."""
    try:
        from ..engine import Engine, EngineSettings
    except ImportError:
        return None
    return Engine(EngineSettings(**settings_kwargs))


def run(args: argparse.Namespace) -> int:
    from ..dsp.pipeline import FilterSettings
    from ..session.meta import SessionMeta, new_session_folder, sessions_root
    from ..session.recorder import Recorder

    if args.simulate:
        from ..sim.athlete import AthleteConfig
        from ..sources.simulated import SimulatedSource
        try:
            cfg = AthleteConfig(exercise=args.exercise, sets=args.sets,
                                reps_per_set=args.reps, seed=args.seed)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        source = SimulatedSource(cfg, realtime=True, speed=args.speed,
                                 duration_s=args.seconds)   # exact, in stream time
    else:
        from ..sources.serial_source import SerialSource
        source = SerialSource(args.port)
    calibration = _calibration(args.athlete)
    filters = FilterSettings()
    try:
        from ..exercises import get_exercise
        target_ratio = get_exercise(args.exercise).target_ratio
    except ImportError:
        target_ratio = None
    meta = SessionMeta(athlete=args.athlete, exercise=args.exercise,
                       filter_settings=filters.to_dict(),
                       calibration=calibration.to_dict() if calibration else None,
                       notes=args.notes, target_ratio=target_ratio)
    folder = args.out if args.out is not None else new_session_folder(
        sessions_root(args.root), meta)
    engine = _engine(dict(filters=filters, calibration=calibration, exercise=args.exercise))
    outlet = None
    if args.lsl:
        if engine is None:
            raise UserError("--lsl needs the rep engine, which is not available in this build")
        from ..session.lsl import LslOutlet
        outlet = LslOutlet(name=f"emg-monitor-{args.athlete}")

    stop = threading.Event()
    failures: list[str] = []

    def on_status(status: str, exc) -> None:
        failures.append(status)
        stop.set()

    source.open()                                      # port errors before any folder exists
    recorder = Recorder(folder, meta, on_status=on_status)
    previous = {}

    def handle(signum, frame):
        stop.set()
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handle)
    try:
        source.add_listener(recorder)                  # disk first: a DSP failure never costs samples
        if engine is not None:
            engine.add_listener(recorder)
            if outlet is not None:
                engine.add_listener(outlet)
            source.add_listener(engine)
            engine.start_set()
        print(f"recording to {folder}" + ("" if engine is not None else
              " (raw samples and events only: the rep engine is not available in this build)"),
              file=sys.stderr)
        source.start()
        t0 = time.monotonic()
        while not stop.is_set() and source.running:
            if (args.seconds is not None and not args.simulate
                    and time.monotonic() - t0 >= args.seconds):
                break
            stop.wait(0.1)
    finally:
        source.stop()
        if engine is not None and getattr(engine, "set_active", False):
            # no more blocks will apply a queued stop_set: mark the set's end here
            recorder.mark("set_stop", set_index=getattr(engine, "set_index", 1))
        recorder.close()
        for sig, h in previous.items():
            signal.signal(sig, h)
    print(f"{folder}: {recorder.samples_written} samples"
          + (f", engine error: {engine.error}" if engine is not None and engine.error else ""))
    if source.error is not None:
        raise UserError(f"acquisition stopped: {source.error}")
    if recorder.error is not None:
        raise UserError(f"recording stopped: {recorder.error}; what was written is in {folder}")
    return 0
