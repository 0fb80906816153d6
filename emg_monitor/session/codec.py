"""Plain-data forms of the shared records, for session.json and the JSON-lines files.

JSON has no NaN, so NaN amplitudes travel as ``null`` and come back as NaN:
the files stay strict JSON that any tool (jq, a spreadsheet importer) accepts.
"""
from __future__ import annotations

import enum
import math
from dataclasses import fields

from ..model import (Channel, DeviceInfo, EventKind, Kind, Muscle, RepResult, RepStatus, Side,
                     SourceEvent, Verdict)


def _num_out(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def info_to_dict(info: DeviceInfo) -> dict:
    return {
        "sample_rate_hz": info.sample_rate_hz,
        "device": info.device,
        "firmware_version": info.firmware_version,
        "protocol_version": info.protocol_version,
        "adc_bits": info.adc_bits,
        "imu_rate_hz": info.imu_rate_hz,
        "imu_segments": list(info.imu_segments),
        "imu_missing": list(info.imu_missing),
        "channels": [
            {"name": ch.name, "kind": ch.kind.value, "unit": ch.unit,
             "muscle": ch.muscle.value if ch.muscle else None,
             "side": ch.side.value if ch.side else None}
            for ch in info.channels
        ],
    }


def info_from_dict(d: dict) -> DeviceInfo:
    channels = tuple(
        Channel(name=c["name"], kind=Kind(c["kind"]), unit=c["unit"],
                muscle=Muscle(c["muscle"]) if c.get("muscle") else None,
                side=Side(c["side"]) if c.get("side") else None)
        for c in d["channels"])
    return DeviceInfo(sample_rate_hz=float(d["sample_rate_hz"]), channels=channels,
                      device=d.get("device", ""), firmware_version=d.get("firmware_version", ""),
                      protocol_version=int(d.get("protocol_version", 0)),
                      adc_bits=int(d.get("adc_bits", 0)),
                      imu_rate_hz=float(d.get("imu_rate_hz", 0.0)),
                      imu_segments=tuple(d.get("imu_segments", ())),
                      imu_missing=tuple(d.get("imu_missing", ())))


_REP_FIELDS = tuple(f.name for f in fields(RepResult))


def rep_to_dict(rep: RepResult) -> dict:
    out = {}
    for name in _REP_FIELDS:
        value = getattr(rep, name)
        if isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = _num_out(value)
    return out


def rep_from_dict(d: dict) -> RepResult:
    kwargs = {}
    for f in fields(RepResult):
        if f.name not in d:
            continue                      # newer/older writers: defaults fill the gap
        value = d[f.name]
        if f.name == "verdict":
            value = Verdict(value)
        elif f.name == "status":
            value = RepStatus(value)
        elif f.name == "quality_flags":
            value = tuple(value or ())
        elif value is None:
            value = float("nan")
        kwargs[f.name] = value
    return RepResult(**kwargs)


def event_to_dict(event: SourceEvent, sample_rate_hz: float | None) -> dict:
    t_s = event.sample_index / sample_rate_hz if sample_rate_hz else None
    return {"type": "event", "kind": event.kind.value, "sample_index": event.sample_index,
            "t_s": t_s, "detail": event.detail, "duration_s": event.duration_s}


def event_from_dict(d: dict) -> SourceEvent:
    return SourceEvent(kind=EventKind(d["kind"]), sample_index=int(d["sample_index"]),
                       host_time_s=0.0, detail=d.get("detail", ""),
                       duration_s=float(d.get("duration_s") or 0.0))
