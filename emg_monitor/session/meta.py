"""What a session is about (athlete, exercise, settings) and the on-disk names.

The layout is documented in docs/session-format.md; bump ``FORMAT_VERSION``
whenever a reader of the previous version would misread the files.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from .. import __version__

FORMAT_NAME = "emg-monitor-session"
FORMAT_VERSION = 1
SESSION_FILE = "session.json"
SAMPLES_FILE = "samples.bin"
EVENTS_FILE = "events.jsonl"
REPS_FILE = "reps.jsonl"
SETS_FILE = "sets.jsonl"           # closed set records (absent in older sessions)


def now_iso() -> str:
    """Local time with its UTC offset: a physiotherapist reads local dates, tools need the offset."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class SessionMeta:
    athlete: str
    exercise: str
    software_version: str = __version__
    filter_settings: dict = field(default_factory=dict)
    calibration: dict | None = None
    started: str = field(default_factory=now_iso)
    notes: str = ""
    #: the ratio the verdicts were judged against (None: the detector's default)
    target_ratio: float | None = None
    load_kg: float | None = None     # bar load of the session's sets (report)
    rpe: float | None = None         # rating of perceived exertion, 0-10 (report)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d, problems: list[str] | None = None,
                  fallback_started: str = "1970-01-01T00:00:00+00:00") -> "SessionMeta":
        """Each field checked: a wrong-typed value is reported in ``problems`` and replaced by
        its default, so a hand-edited or damaged session.json still opens."""
        from .codec import as_float, as_str
        if not isinstance(d, dict):
            if d is not None and problems is not None:
                problems.append(f"meta {str(d)[:40]!r} is not an object (read as empty)")
            d = {}
        out = {}
        for key in ("athlete", "exercise", "software_version", "notes"):
            if key in d:
                out[key] = as_str(d[key], f"meta.{key}", problems)
        for key in ("filter_settings", "calibration"):
            value = d.get(key)
            if value is None or isinstance(value, dict):
                out[key] = value if value is not None or key == "calibration" else {}
            else:
                if problems is not None:
                    problems.append(f"meta.{key} {str(value)[:40]!r} is not an object "
                                    "(read as none)")
                out[key] = {} if key == "filter_settings" else None
        started = d.get("started")
        try:
            datetime.fromisoformat(started)
            out["started"] = started
        except (TypeError, ValueError):
            if problems is not None:
                problems.append(f"meta.started {str(started)[:40]!r} is not a date "
                                f"(read as {fallback_started})")
            out["started"] = fallback_started
        target = as_float(d.get("target_ratio"), "meta.target_ratio", problems)
        if d.get("target_ratio") is not None and not (math.isfinite(target) and target > 0):
            if problems is not None and math.isfinite(target):
                problems.append(f"meta.target_ratio {target!r} is not a positive ratio "
                                "(read as the exercise default)")
        out["target_ratio"] = target if math.isfinite(target) and target > 0 else None
        for key, hi in (("load_kg", 2000.0), ("rpe", 10.0)):
            value = as_float(d.get(key), f"meta.{key}", problems)
            out[key] = value if math.isfinite(value) and 0 <= value <= hi else None
        out.setdefault("athlete", "")
        out.setdefault("exercise", "")
        return cls(**out)

    @property
    def started_dt(self) -> datetime:
        """Always with an offset (a hand-written date without one is read as local time), so
        sessions sort whatever wrote them."""
        dt = datetime.fromisoformat(self.started)
        return dt if dt.tzinfo is not None else dt.astimezone()


def sample_dtype(n_channels: int) -> np.dtype:
    """One row per sample: the stream index (counts lost samples, so t = index / rate
    stays exact across gaps) and every channel in its unit as float32 (24-bit mantissa:
    far finer than a 10-12 bit ADC step)."""
    return np.dtype([("index", "<i8"), ("data", "<f4", (n_channels,))])


def session_folder_name(started: str, athlete: str = "") -> str:
    """Start time first so folders sort chronologically; athlete appended for humans."""
    dt = datetime.fromisoformat(started)
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", athlete).strip("-")[:40]
    name = dt.strftime("%Y-%m-%d_%H%M%S")
    return f"{name}_{slug}" if slug else name


def new_session_folder(root: Path, meta: SessionMeta) -> Path:
    base = session_folder_name(meta.started, meta.athlete)
    folder = root / base
    n = 2
    while folder.exists():
        folder = root / f"{base}-{n}"
        n += 1
    return folder
