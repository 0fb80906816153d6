"""``emg-monitor record (--simulate | --port P) --athlete A --exercise E [--seconds S] [--out DIR]``

Records without the GUI: raw samples and source events, reps and set marks
through the engine. The recorder hears every block before the engine, and a
consumer that fails (the engine, the LSL outlet) is detached and reported while
recording goes on. Ctrl-C and SIGTERM stop the source and close the session
cleanly (flushed, fsync'd, marked closed).
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from ..errors import UserError
from . import options
from .source_args import add_map_argument, add_source_argument, channel_map, source_url
from .settings import add_options


def add_parser(sub) -> None:
    p = sub.add_parser("record", help="record a session without the dashboard",
                       description="Record raw samples, events and reps to a session folder.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--simulate", action="store_true", help="record the simulated athlete")
    src.add_argument("--port", help="serial port of the board (e.g. /dev/ttyUSB0, COM3)")
    add_source_argument(src)
    add_map_argument(p)
    p.add_argument("--athlete", required=True, help="athlete name (profile calibration is used)")
    p.add_argument("--seconds", type=options.SECONDS, default=None,
                   help="stop after this many seconds (default: until Ctrl-C)")
    p.add_argument("--out", type=Path, default=None,
                   help="session folder to create (default: a new folder named by start time "
                        "under the sessions root)")
    options.add_imu_option(p)
    p.add_argument("--seed", type=options.SEED, default=0, help="simulated athlete's seed")
    p.add_argument("--sets", type=options.SETS, default=3, help="simulated athlete's sets")
    p.add_argument("--reps", type=options.REPS, default=5,
                   help="simulated athlete's reps per set")
    p.add_argument("--speed", type=options.SPEED, default=1.0,
                   help="simulated time speed-up factor (1 = real time)")
    p.add_argument("--notes", default="", help="free text stored with the session")
    p.add_argument("--load-kg", type=options.LOAD_KG, default=None, help="bar load (report)")
    p.add_argument("--rpe", type=options.RPE, default=None,
                   help="rating of perceived exertion 0-10 (report)")
    add_options(p, ("exercise", "mains", "sample_rate_hz", "sessions_root"))
    p.add_argument("--uncalibrated", action="store_true",
                   help="record without the athlete's calibration (e.g. its profile is damaged)")
    p.add_argument("--lsl", action="store_true",
                   help="also publish envelopes and rep markers as Lab Streaming Layer outlets "
                        "(visible to every machine on the local network; off by default)")
    p.set_defaults(func=run)


def _calibration(athlete: str, uncalibrated: bool):
    """The athlete's latest calibration; None without a profile. A profile that exists but
    cannot be read is never skipped silently: refused, unless --uncalibrated says so."""
    from ..profiles import DamagedProfile, NoProfile, load_profile
    if uncalibrated:
        return None
    try:
        return load_profile(athlete).latest_calibration()
    except NoProfile:
        return None                      # no profile yet: record uncalibrated
    except DamagedProfile as exc:
        raise UserError(f"{exc}: calibrate again, or pass --uncalibrated to record without "
                        "it") from None


def _hip_neutral(athlete: str):
    from ..profiles import load_profile
    try:
        return load_profile(athlete).latest_hip_neutral()
    except UserError:
        return None                      # no profile yet: hip angles from the relaxed stand


def run(args: argparse.Namespace) -> int:
    from ..dsp.pipeline import FilterSettings
    from ..engine import Engine, EngineSettings
    from ..model import DeviceConfig
    from ..exercises import get_exercise
    from ..session.meta import SessionMeta, new_session_folder
    from ..session.recorder import Recorder
    from ..sources.notifier import Notifier
    segs = options.imu_segments(args)
    device = DeviceConfig(n_motion=0, imu_segments=segs) if segs else DeviceConfig()
    from ..sources.registry import SourceContext, make_source
    from ..sources.simulated import SimulatedSource
    ctx = SourceContext(speed=args.speed, duration_s=args.seconds, athlete=args.athlete,
                        channel_map=channel_map(args),
                        device_config=replace(device, sample_rate_hz=args.sample_rate_hz),
                        sim=dict(exercise=args.exercise, sets=args.sets, reps_per_set=args.reps,
                                 seed=args.seed))
    url = source_url(args)
    if url is None:                      # argparse requires one of them: a bug if reached
        raise UserError("give --simulate, --port PORT or --source URL")
    source = make_source(url, ctx)
    #: the simulator stops itself after --seconds of stream time (exact at any speed)
    stream_timed = isinstance(source, SimulatedSource)
    calibration = _calibration(args.athlete, args.uncalibrated)
    filters = FilterSettings(mains=args.mains)
    target_ratio = get_exercise(args.exercise).target_ratio
    meta = SessionMeta(athlete=args.athlete, exercise=args.exercise,
                       filter_settings=filters.to_dict(),
                       calibration=calibration.to_dict() if calibration else None,
                       notes=args.notes, target_ratio=target_ratio, load_kg=args.load_kg,
                       rpe=args.rpe)
    folder = args.out if args.out is not None else new_session_folder(
        args.sessions_root, meta)
    neutral = _hip_neutral(args.athlete)
    engine = Engine(EngineSettings(filters=filters, calibration=calibration,
                                   exercise=args.exercise, hip_neutral=neutral))
    outlet = None
    if args.lsl:
        from ..session.lsl import LslOutlet
        outlet = LslOutlet(name=f"emg-monitor-{args.athlete[:40]}")

    stop = threading.Event()
    failures: list[str] = []

    def on_status(status: str, exc) -> None:
        failures.append(status)
        stop.set()

    source.open()                                      # port errors before any folder exists
    recorder = Recorder(folder, meta, on_status=on_status)
    if neutral is not None:                            # replays and analyze measure from it
        recorder.mark("hip_neutral", at_index=0, athlete=args.athlete, **neutral.to_dict())
    previous = {}

    def handle(signum, frame):
        stop.set()
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handle)
    # disk first: a DSP failure never costs samples
    reader = Notifier(source, [recorder, engine])
    failures_seen = 0
    try:
        engine.add_listener(recorder)
        if outlet is not None:
            engine.add_listener(outlet)
        print(f"recording to {folder}", file=sys.stderr)
        reader.start()
        t0 = time.monotonic()
        hip_said = ""
        while not stop.is_set() and reader.running:
            failures_seen = _report_failures(reader.failures + engine.failures, failures_seen)
            hip_said = _report_hip(engine.hip_status, hip_said)
            if (args.seconds is not None and not stream_timed
                    and time.monotonic() - t0 >= args.seconds):
                break
            stop.wait(0.1)
    finally:
        reader.stop()                                  # the engine closes the open set
        recorder.close()
        for sig, h in previous.items():
            signal.signal(sig, h)
    detached = reader.failures + engine.failures
    _report_failures(detached, failures_seen)
    print(f"{folder}: {recorder.samples_written} samples")
    if reader.error is not None:
        raise UserError(f"acquisition stopped: {reader.error}")
    if recorder.error is not None:
        raise UserError(f"recording stopped: {recorder.error}; what was written is in {folder}")
    if detached:
        raise UserError(f"{detached[0]}; the samples were recorded in full in {folder}")
    return 0


def _report_hip(status: str, said: str) -> str:
    """The hip angle's status on stderr when it changes kind (a missing or swapped IMU, no
    still stand yet, no neutral: docs/hip.md); its figures alone changing is not news."""
    kind = status.split(" (")[0]
    if status and kind != said:
        print(f"emg-monitor: {status}", file=sys.stderr)
    return kind if status else said


def _report_failures(failures: list, already: int) -> int:
    """One line on stderr per consumer that failed (the recording goes on); returns the count."""
    for failure in failures[already:]:
        print(f"emg-monitor: warning: {failure}; recording goes on", file=sys.stderr)
    return len(failures)
