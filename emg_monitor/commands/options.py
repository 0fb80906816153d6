"""One validation layer for the command line's numeric (and exercise) options.

Every numeric option of every command takes its ``type=`` from here, so 0,
negative, nan, inf and huge values are refused the same way everywhere: by
argparse, before the command runs, as one line and exit 2 (``cli.Parser``).
Each limit says what a user could mean: a speed-up of a million, a set of a
million reps or a 30-day recording are typos, not requests. A test walks every
command's parser and fails on a numeric option that bypasses this module.
"""
from __future__ import annotations

import argparse
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Number:
    """An argparse ``type``: a finite number within [minimum, maximum] (``minimum`` excluded
    when ``above`` is set), an integer when ``integer``."""

    what: str
    minimum: float
    maximum: float
    above: bool = False            # strictly greater than ``minimum``
    integer: bool = False
    unit: str = ""

    @property
    def __name__(self) -> str:     # argparse names the type in "invalid <name> value" messages
        return self.what

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        kind = "a whole number" if self.integer else "a number"
        low = f"> {self.minimum:g}" if self.above else f">= {self.minimum:g}"
        return f"{kind} {low} and <= {self.maximum:g}{unit}"

    def __call__(self, text: str):
        try:
            value = int(text, 10) if self.integer else float(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"{text!r} is not {self.describe()}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not finite: give {self.describe()}")
        too_low = value <= self.minimum if self.above else value < self.minimum
        if too_low or value > self.maximum:
            raise argparse.ArgumentTypeError(f"{text} is out of range: give {self.describe()}")
        return value


DAY_S = 86400.0
#: how long a recording may be asked to run (one week)
SECONDS = Number("duration", 0.0, 7 * DAY_S, above=True, unit="s")
#: simulator / replay speed-up (1 = real time)
SPEED = Number("speed factor", 0.0, 1000.0, above=True)
#: a table's sampling rate; the signal chain refuses rates too low for its filters
SAMPLE_RATE_HZ = Number("sampling rate", 0.0, 1e6, above=True, unit="Hz")
IMU_RATE_HZ = Number("IMU rate", 0.0, 10000.0, above=True, unit="Hz")
TARGET_RATIO = Number("glute:erector ratio", 0.0, 100.0, above=True)
MIN_ROM_DEG = Number("range of motion", 0.0, 180.0, above=True, unit="deg")
MIN_REP_S = Number("time between tops", 0.0, 60.0, above=True, unit="s")
PROBABILITY = Number("probability", 0.0, 1.0)
REST_S = Number("rest", 0.0, 3600.0, unit="s")
TIMEOUT_S = Number("timeout", 0.0, 600.0, above=True, unit="s")
SETS = Number("number of sets", 1, 100, integer=True)
REPS = Number("number of reps", 1, 1000, integer=True)
SEED = Number("seed", 0, 2 ** 32 - 1, integer=True)
#: an EMG channel's amplitude at MVC, in the recording's units
MVC_AMPLITUDE = Number("MVC amplitude", 0.0, 1e7, above=True)
LOAD_KG = Number("load", 0.0, 2000.0, unit="kg")
RPE = Number("RPE", 0.0, 10.0)

NUMBER_TYPES = (Number,)


def exercise(text: str) -> str:
    """An argparse ``type``: the exercise's canonical name from the one registry
    (``rdl`` -> ``romanian_deadlift``), or one line listing the choices."""
    from ..errors import UserError
    from ..exercises import get_exercise
    try:
        return get_exercise(text).name
    except (UserError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_imu_option(p) -> None:
    """``--imu [SEGMENT ...]``: read the board's I2C IMUs (all three when none is named) for
    the hip angle (docs/hip.md). They use A4/A5, so the analog trunk accelerometer is off."""
    from ..protocol import IMU_SEGMENTS
    p.add_argument("--imu", nargs="*", choices=IMU_SEGMENTS, metavar="SEGMENT", default=None,
                   help="read the MPU-6050 IMUs (pelvis thigh [thorax]; default all three) for "
                        "the hip angle at every top; replaces the analog trunk sensor")


def imu_segments(args) -> tuple[str, ...]:
    """The IMUs asked for with ``--imu`` (() without it), in the board's order."""
    from ..protocol import IMU_SEGMENTS
    if args.imu is None:
        return ()
    wanted = set(args.imu) or set(IMU_SEGMENTS)
    return tuple(s for s in IMU_SEGMENTS if s in wanted)
