"""Records that travel with the data: channel roles, units and sampling rate.

Nothing downstream of a source may assume a sampling rate or a channel order;
it reads them from :class:`DeviceInfo`, which every source publishes before
its first block.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np


class Muscle(str, enum.Enum):
    GLUTE = "glute"
    ERECTOR = "erector"


class Side(str, enum.Enum):
    LEFT = "left"
    RIGHT = "right"


class Kind(str, enum.Enum):
    """What a channel carries, which decides how it is processed."""

    RAW_EMG = "raw_emg"      # bipolar sEMG: band-pass, notch, rectify, RMS
    ENVELOPE = "envelope"    # a sensor's own envelope (MyoWare ENV): baseline + smoothing only
    MOTION = "motion"        # accelerometer axis in g, or an inclination/joint angle in deg
    IMU = "imu"              # an inertial sensor axis on a body segment: "g" (accel) or "deg_s" (gyro),
                             # named "{segment}_{acc|gyr}_{x|y|z}", held from its own sample until
                             # the next (IMU samples are stamped in EMG sample indices)
    OTHER = "other"          # carried and recorded, not analysed


@dataclass(frozen=True)
class Channel:
    name: str
    kind: Kind
    unit: str                      # "uV" raw EMG, "mV" sensor envelope, "g" accel axis, "deg" angle
    muscle: Muscle | None = None
    side: Side | None = None

    @property
    def is_emg(self) -> bool:
        return self.kind in (Kind.RAW_EMG, Kind.ENVELOPE)


#: how a unit is written for people (files keep the ASCII spelling: "uV", "pct_mvc")
_UNIT_DISPLAY = {"uv": "µV", "mv": "mV", "pct_mvc": "%MVC", "%mvc": "%MVC"}


def unit_label(unit: str) -> str:
    """``unit`` as screens and reports show it: "uV" -> "µV", "pct_mvc" -> "%MVC"."""
    return _UNIT_DISPLAY.get(unit.lower(), unit)


#: Firmware pin order: A0..A3 are EMG, A4..A5 motion (see docs/protocol.md).
EMG_PIN_ROLES: tuple[tuple[str, Muscle, Side], ...] = (
    ("left_glute", Muscle.GLUTE, Side.LEFT),
    ("left_erector", Muscle.ERECTOR, Side.LEFT),
    ("right_glute", Muscle.GLUTE, Side.RIGHT),
    ("right_erector", Muscle.ERECTOR, Side.RIGHT),
)
MOTION_PIN_NAMES: tuple[str, ...] = ("accel_x", "accel_y")


@dataclass(frozen=True)
class DeviceInfo:
    sample_rate_hz: float
    channels: tuple[Channel, ...]
    device: str = ""                 # human description: "simulated athlete", "serial COM3", ...
    firmware_version: str = ""
    protocol_version: int = 0
    adc_bits: int = 0
    imu_rate_hz: float = 0.0         # 0: no IMUs
    imu_segments: tuple[str, ...] = ()   # IMUs that answered (WHO_AM_I checked): "pelvis", "thigh", "thorax"
    imu_missing: tuple[str, ...] = ()    # IMUs configured but silent or absent, reported by name

    def index(self, name: str) -> int:
        for i, ch in enumerate(self.channels):
            if ch.name == name:
                return i
        raise KeyError(f"no channel named {name!r} (have: {', '.join(self.names)})")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(ch.name for ch in self.channels)

    def emg_indices(self) -> list[int]:
        return [i for i, ch in enumerate(self.channels) if ch.is_emg]

    def motion_indices(self) -> list[int]:
        return [i for i, ch in enumerate(self.channels) if ch.kind == Kind.MOTION]

    def imu_indices(self) -> list[int]:
        return [i for i, ch in enumerate(self.channels) if ch.kind == Kind.IMU]


@dataclass(frozen=True)
class SampleBlock:
    """Consecutive samples of every channel.

    ``first_index`` counts samples since the stream started, *including* lost
    ones, so ``t = index / sample_rate_hz`` stays true across gaps.
    """

    first_index: int
    data: np.ndarray                 # shape (n, n_channels), float64, in channel units
    lost_before: int = 0             # samples lost immediately before this block
    host_time_s: float = 0.0         # time.monotonic() when the block was received

    @property
    def n(self) -> int:
        return int(self.data.shape[0])

    def times_s(self, sample_rate_hz: float) -> np.ndarray:
        return (self.first_index + np.arange(self.n)) / sample_rate_hz


class EventKind(str, enum.Enum):
    GAP = "gap"                      # samples lost (sequence jump or disconnection)
    DISCONNECTED = "disconnected"
    RECONNECTED = "reconnected"
    INFO = "info"                    # device info (re)announced
    END = "end"                      # a finite source (replay) reached its end


@dataclass(frozen=True)
class SourceEvent:
    kind: EventKind
    sample_index: int                # where in the stream it happened
    host_time_s: float
    detail: str = ""
    duration_s: float = 0.0          # gaps and disconnections


@dataclass
class SourceStats:
    bytes: int = 0
    frames: int = 0
    lost_samples: int = 0
    crc_errors: int = 0
    resyncs: int = 0
    reconnects: int = 0
    disconnected_s: float = 0.0


@dataclass(frozen=True)
class DeviceConfig:
    """What the host asks the board for (see firmware commands)."""

    sample_rate_hz: int = 1000
    n_emg: int = 4
    n_motion: int = 2
    emg_kind: Kind = Kind.RAW_EMG
    #: front-end gain between electrode and ADC pin; MyoWare 2.0 RAW is x200.
    emg_gain: float = 200.0
    #: analog accelerometer (ADXL335 at 3.3 V): zero-g level and sensitivity at the pin
    accel_zero_g_mv: float = 1650.0
    accel_mv_per_g: float = 330.0
    #: I2C IMUs to read (protocol.IMU_SEGMENTS); they use A4/A5, so n_motion must be 0
    imu_segments: tuple[str, ...] = ()


class RepStatus(str, enum.Enum):
    """Whether the cycle came back to the athlete's upright reference (docs/reps-and-ratio.md)."""

    COMPLETE = "complete"
    PARTIAL = "partial"              # never came back within the exercise's distance of upright:
                                     # a partial or failed rep, reported on its own row, never judged


class Verdict(str, enum.Enum):
    GLUTES_FINISHED = "glutes_finished"
    BORDERLINE = "borderline"
    LUMBAR_DOMINANT = "lumbar_dominant"
    UNKNOWN = "unknown"              # no usable amplitude (e.g. electrode off)


@dataclass(frozen=True)
class RepResult:
    """One repetition, judged at its top (lockout).

    Amplitudes are the RMS envelope averaged over the lockout window, in
    ``amplitude_unit`` ("pct_mvc" once calibrated, else the channel unit,
    e.g. "uV"); NaN where a side is not recorded.
    """

    rep: int                         # 1-based within the set
    set_index: int                   # 1-based; 0 = not yet assigned to a set
    t_start_s: float
    t_top_s: float
    t_end_s: float
    window_start_s: float            # lockout window used for the amplitudes
    window_end_s: float
    lockout_s: float                 # time spent near the top
    glute_left: float
    glute_right: float
    erector_left: float
    erector_right: float
    glute: float                     # sides combined (mean of the sides present)
    erector: float
    ratio: float                     # glute / erector; NaN if erector is ~0
    verdict: Verdict
    amplitude_unit: str
    calibrated: bool
    onset_lag_s: float = float("nan")        # erector onset - glute onset; > 0: glutes fired first
    symmetry_index_pct: float = float("nan")  # glute L/R symmetry, 0 = symmetric
    quality_flags: tuple[str, ...] = ()
    exercise: str = ""
    status: RepStatus = RepStatus.COMPLETE
    session_rep: int = 0             # 1-based, unique and stable within the session
    no_verdict_reason: str = ""      # e.g. "R glute electrode off"; "" when a verdict was given
    verdict_basis: str = "both sides"  # or "left side only", "right side only", "relative"
    ratio_relative: float = float("nan")     # uncalibrated: ratio / the athlete's recent reps
    hip_angle_at_top_deg: float = float("nan")      # thigh - pelvis, 0 = the athlete's neutral
    hip_short_of_neutral_deg: float = float("nan")  # > 0: hips stopped short of neutral
    lumbar_angle_at_top_deg: float = float("nan")   # thorax - pelvis, where a thorax IMU exists
    cue: str = ""                    # what the lifter is told beyond the verdict, e.g. "finish
                                     # with your hips" (hip/scoring.py); "" = the verdict's own


@dataclass(frozen=True)
class TopCue:
    """The live lockout state the moment a rep's top is reached, before its final verdict:
    the lifter can still squeeze in this rep (docs/reps-and-ratio.md, "the live cue")."""

    t_top_s: float                   # stream time of the top (sample index / rate)
    glute: float                     # sides combined, amplitude_unit
    erector: float
    ratio: float
    verdict: Verdict                 # provisional; UNKNOWN with a reason when not judged
    amplitude_unit: str
    calibrated: bool
    no_verdict_reason: str = ""
    hip_short_of_neutral_deg: float = float("nan")
    t_detected_s: float = float("nan")      # when the detector recognised the top (its delay)
    ratio_relative: float = float("nan")    # as RepResult.ratio_relative
    verdict_basis: str = "both sides"       # as RepResult.verdict_basis
