"""Read a session folder back, tolerating the damage a crash can leave.

A kill -9 or a full disk can cut the last sample row or the last JSON line in
half: both are dropped silently (they were never complete), everything before
them is returned.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..model import DeviceInfo, RepResult, SourceEvent
from .codec import event_from_dict, info_from_dict, rep_from_dict
from .meta import (EVENTS_FILE, FORMAT_NAME, FORMAT_VERSION, REPS_FILE, SAMPLES_FILE,
                   SESSION_FILE, SessionMeta, sample_dtype)


@dataclass
class Session:
    path: Path
    meta: SessionMeta
    info: DeviceInfo
    data: np.ndarray                 # (n, n_channels) float64, channel units
    sample_index: np.ndarray         # (n,) int64 stream index of each row (gaps skip numbers)
    events: list[SourceEvent] = field(default_factory=list)
    marks: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    reps: list[RepResult] = field(default_factory=list)
    closed: bool = False             # False: the recorder was killed or the disk failed
    format_version: int = FORMAT_VERSION

    @property
    def sample_rate_hz(self) -> float:
        return self.info.sample_rate_hz

    @property
    def times_s(self) -> np.ndarray:
        return self.sample_index / self.info.sample_rate_hz

    @property
    def first_index(self) -> int:
        return int(self.sample_index[0]) if len(self.sample_index) else 0

    @property
    def duration_s(self) -> float:
        if not len(self.sample_index):
            return 0.0
        return (int(self.sample_index[-1]) - self.first_index + 1) / self.info.sample_rate_hz

    @property
    def calibration(self) -> dict | None:
        """The calibration in force at the end: the last ``calibration`` mark (made when the
        athlete calibrated mid-session) or else the one the session started with."""
        for m in reversed(self.marks):
            if m.get("kind") == "calibration" and m.get("mvc_rms"):
                return {k: v for k, v in m.items()
                        if k not in ("type", "kind", "sample_index", "t_s", "wall_time", "athlete")}
        return self.meta.calibration

    @property
    def set_indices(self) -> list[int]:
        return sorted({r.set_index for r in self.reps})


def _read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    raw = path.read_bytes()
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            continue                 # a line cut by a crash or a full disk
    return out


def read_reps(folder: Path, header: dict) -> list:
    """The session's reps; a damaged line (e.g. cut by a kill) is skipped, not fatal."""
    reps = []
    for d in _read_jsonl(folder / header.get("reps", REPS_FILE)):
        try:
            reps.append(rep_from_dict(d))
        except (KeyError, TypeError, ValueError):
            continue
    return reps


def read_header(path: Path | str) -> dict:
    """session.json, validated; UserError for a missing or foreign folder."""
    folder = Path(path)
    if not folder.exists():
        raise UserError(f"no such session: {folder}")
    if not folder.is_dir():
        raise UserError(f"not an emg-monitor session: {folder} is not a folder")
    header_path = folder / SESSION_FILE
    if not header_path.exists():
        raise UserError(f"not an emg-monitor session: {folder} has no {SESSION_FILE}")
    try:
        header = json.loads(header_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"not an emg-monitor session: {header_path} is not valid JSON ({exc})")
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise UserError(f"not an emg-monitor session: {header_path} is not a {FORMAT_NAME} file")
    version = header.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise UserError(f"{folder} uses session format {version}; this emg-monitor reads up "
                        f"to {FORMAT_VERSION}: upgrade emg-monitor")
    return header


def load_session(path: Path | str) -> Session:
    folder = Path(path)
    header = read_header(folder)
    if header.get("device") is None:
        raise UserError(f"{folder} holds no samples: the recording stopped before the "
                        "device announced itself")
    try:
        info = info_from_dict(header["device"])
        meta = SessionMeta.from_dict(header.get("meta") or {})
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{folder / SESSION_FILE} is damaged ({exc})") from exc
    samples_path = folder / (header.get("samples", {}).get("file") or SAMPLES_FILE)
    if not samples_path.exists():
        raise UserError(f"{folder} is truncated: {samples_path.name} is missing")
    dtype = sample_dtype(len(info.channels))
    raw = samples_path.read_bytes()
    n_rows = len(raw) // dtype.itemsize          # a partial last row is dropped
    rows = np.frombuffer(raw, dtype=dtype, count=n_rows)
    data = rows["data"].astype(np.float64).reshape(n_rows, len(info.channels))
    index = rows["index"].astype(np.int64)

    events, marks, errors = [], [], []
    for d in _read_jsonl(folder / header.get("events", EVENTS_FILE)):
        kind = d.get("type")
        if kind == "event":
            try:
                events.append(event_from_dict(d))
            except (KeyError, ValueError):
                continue
        elif kind == "mark":
            marks.append(d)
        elif kind == "error":
            errors.append(d)
    reps = read_reps(folder, header)
    return Session(path=folder, meta=meta, info=info, data=data, sample_index=index,
                   events=events, marks=marks, errors=errors, reps=reps,
                   closed=bool(header.get("closed")), format_version=header["format_version"])
