"""Options of the simulated athlete, shared by ``simulate`` and ``monitor --simulate``."""
from __future__ import annotations

import argparse
from dataclasses import replace

from ..errors import UserError
from . import options


def add_athlete_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("simulated athlete")
    g.add_argument("--exercise", type=options.exercise, default="deadlift")
    g.add_argument("--sets", type=options.SETS, default=3)
    g.add_argument("--reps", type=options.REPS, default=5, help="reps per set")
    g.add_argument("--seed", type=options.SEED, default=0)
    g.add_argument("--lumbar", type=options.PROBABILITY, default=0.3,
                   help="probability that a rep is lumbar-compensated (0..1)")
    g.add_argument("--calibration", action="store_true",
                   help="start with rest and glute/erector MVC holds")
    g.add_argument("--rest", type=options.REST_S, default=20.0, help="rest between sets (s)")
    g.add_argument("--envelope", action="store_true",
                   help="MyoWare ENV-like envelope output (mV) instead of raw EMG")
    g.add_argument("--mains", type=int, choices=(0, 50, 60), default=0,
                   help="mains interference frequency (Hz)")
    g.add_argument("--ecg", action="store_true", help="heartbeat on the erector channels")
    g.add_argument("--motion-artifacts", action="store_true",
                   help="low-frequency bursts at the bottom and at lockout")
    g.add_argument("--electrode-off", action="append", default=[], metavar="CHANNEL",
                   help="a channel whose electrode is off (repeatable), e.g. right_glute")
    g.add_argument("--clipping", action="store_true", help="gain so high the ADC clips")
    g.add_argument("--speed", type=options.SPEED, default=1.0, help="time speed-up factor")


def athlete_config_from_args(args: argparse.Namespace):
    from ..sim.athlete import AthleteConfig, Contamination
    cont = Contamination(mains_hz=args.mains, ecg=args.ecg,
                         motion_artifacts=args.motion_artifacts,
                         electrode_off=tuple(args.electrode_off), clipping=args.clipping)
    try:
        cfg = AthleteConfig(exercise=args.exercise, sets=args.sets, reps_per_set=args.reps,
                            seed=args.seed, lumbar_pattern=args.lumbar,
                            calibration=args.calibration, rest_between_sets_s=args.rest,
                            envelope_output=args.envelope, contamination=cont)
        from ..sim.athlete import Athlete
        Athlete(replace(cfg, sets=0))          # validates names cheaply
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return cfg
