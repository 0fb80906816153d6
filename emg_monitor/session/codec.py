"""Plain-data forms of the shared records, for session.json and the JSON-lines files.

JSON has no NaN, so NaN amplitudes travel as ``null`` and come back as NaN:
the files stay strict JSON that any tool (jq, a spreadsheet importer) accepts.

Decoding is validating: a file on disk may have been edited, cut or damaged, so
every value is checked against the type the record declares. A wrong value in
an optional place is read as missing and *reported* (the ``problems`` list the
decoders fill), never silently dropped and never a traceback; a record is only
skipped when what identifies it (a rep's number, an event's position) is unusable.
"""
from __future__ import annotations

import enum
import math
from dataclasses import MISSING, fields

from .. import model
from ..model import (Channel, DeviceInfo, EventKind, Kind, Muscle, RepResult, Side, SourceEvent,
                     Verdict)


class RecordError(ValueError):
    """A record whose identity is unusable: it is skipped (and reported)."""


def _num_out(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def is_number(x) -> bool:
    """A JSON number (bool is an int in Python, but never a number here)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def as_float(x, what: str, problems: list[str] | None = None,
             default: float = float("nan")) -> float:
    """A number or null (NaN); anything else is reported and read as ``default``."""
    if x is None:
        return default
    if is_number(x):
        return float(x)
    _report(problems, f"{what} {_show(x)} is not a number (read as missing)")
    return default


def as_int(x, what: str, problems: list[str] | None = None, default: int | None = None,
           minimum: int | None = None) -> int:
    """An integer (a float with an integral value is accepted); else ``default`` or RecordError."""
    if is_number(x) and math.isfinite(x) and float(x).is_integer() and abs(x) < 2 ** 62:
        value = int(x)
        if minimum is None or value >= minimum:
            return value
    if default is None:
        raise RecordError(f"{what} {_show(x)} is not a usable integer")
    _report(problems, f"{what} {_show(x)} is not a usable integer (read as {default})")
    return default


def as_str(x, what: str, problems: list[str] | None = None, default: str = "") -> str:
    if isinstance(x, str):
        return x
    if x is not None:
        _report(problems, f"{what} {_show(x)} is not text (read as {default!r})")
    return default


def _show(x) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _report(problems: list[str] | None, message: str) -> None:
    if problems is not None:
        problems.append(message)


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


#: sampling rates a session can plausibly have (the board offers 500-2000 Hz; tables vary)
MIN_RATE_HZ, MAX_RATE_HZ = 1.0, 1e6
MAX_CHANNELS = 256


def _enum(cls, value, what: str, problems: list[str] | None, optional: bool):
    if value is None and optional:
        return None
    try:
        return cls(value)
    except (ValueError, TypeError):
        if optional:
            _report(problems, f"{what} {_show(value)} is unknown (read as none)")
            return None
        raise RecordError(f"{what} {_show(value)} is not one of "
                          f"{', '.join(m.value for m in cls)}") from None


def _str_list(x, what: str, problems: list[str] | None) -> tuple[str, ...]:
    if x is None:
        return ()
    if isinstance(x, list) and all(isinstance(v, str) for v in x):
        return tuple(x)
    _report(problems, f"{what} {_show(x)} is not a list of names (read as none)")
    return ()


def info_from_dict(d, problems: list[str] | None = None) -> DeviceInfo:
    """The device record; RecordError when the channels or the rate cannot be trusted (the
    samples could not be interpreted), reported defaults for the descriptive fields."""
    if not isinstance(d, dict):
        raise RecordError(f"device {_show(d)} is not an object")
    rate = d.get("sample_rate_hz")
    if not (is_number(rate) and math.isfinite(rate) and MIN_RATE_HZ <= rate <= MAX_RATE_HZ):
        raise RecordError(f"device.sample_rate_hz {_show(rate)} is not a sampling rate "
                          f"between {MIN_RATE_HZ:g} and {MAX_RATE_HZ:g} Hz")
    chans = d.get("channels")
    if not isinstance(chans, list) or not 1 <= len(chans) <= MAX_CHANNELS:
        raise RecordError(f"device.channels {_show(chans)} is not a list of 1-{MAX_CHANNELS} "
                          "channels")
    channels = []
    for k, c in enumerate(chans):
        where = f"device.channels[{k}]"
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c["name"]:
            raise RecordError(f"{where} has no name")
        channels.append(Channel(
            name=c["name"], kind=_enum(Kind, c.get("kind"), f"{where}.kind", problems, False),
            unit=as_str(c.get("unit"), f"{where}.unit", problems),
            muscle=_enum(Muscle, c.get("muscle"), f"{where}.muscle", problems, True),
            side=_enum(Side, c.get("side"), f"{where}.side", problems, True)))
    names = [ch.name for ch in channels]
    if len(set(names)) != len(names):
        raise RecordError("device.channels repeat a name")
    imu_rate = as_float(d.get("imu_rate_hz"), "device.imu_rate_hz", problems, 0.0)
    return DeviceInfo(
        sample_rate_hz=float(rate), channels=tuple(channels),
        device=as_str(d.get("device"), "device.device", problems),
        firmware_version=as_str(d.get("firmware_version"), "device.firmware_version", problems),
        protocol_version=as_int(d.get("protocol_version", 0), "device.protocol_version",
                                problems, 0),
        adc_bits=as_int(d.get("adc_bits", 0), "device.adc_bits", problems, 0),
        imu_rate_hz=imu_rate if math.isfinite(imu_rate) and imu_rate >= 0 else 0.0,
        imu_segments=_str_list(d.get("imu_segments"), "device.imu_segments", problems),
        imu_missing=_str_list(d.get("imu_missing"), "device.imu_missing", problems))


_REP_FIELDS = tuple(f.name for f in fields(RepResult))
#: what identifies a rep: without these the line is skipped (and reported)
_REP_IDENTITY = ("rep", "set_index")


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


def _rep_value(f, value, problems: list[str], flags: list[str]):
    """One field by its declared type (annotations are strings: ``from __future__``)."""
    kind = str(f.type)
    has_default = f.default is not MISSING or f.default_factory is not MISSING
    default = (f.default if f.default is not MISSING else
               f.default_factory() if f.default_factory is not MISSING else None)
    what = f.name
    if kind == "float":
        return as_float(value, what, problems, default if has_default else float("nan"))
    if kind == "int":
        if f.name in _REP_IDENTITY:
            return as_int(value, what, minimum=0)
        return as_int(value, what, problems, default if has_default else 0)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        _report(problems, f"{what} {_show(value)} is not true/false (read as false)")
        return bool(default) if has_default else False
    if kind == "str":
        return as_str(value, what, problems, default if has_default else "")
    if kind.startswith("tuple"):
        if value is None:
            return ()
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        _report(problems, f"{what} {_show(value)} is not a list of text (read as none)")
        return tuple(default) if has_default else ()
    cls = getattr(model, kind, None)
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        try:
            return cls(value)
        except (ValueError, TypeError):
            fallback = default if has_default else (Verdict.UNKNOWN if cls is Verdict
                                                    else next(iter(cls)))
            _report(problems, f"{what} {_show(value)} is unknown (read as {fallback.value})")
            flags.append(f"{what}_unreadable:{str(value)[:40]}")
            return fallback
    return value


def rep_from_dict(d, problems: list[str] | None = None) -> RepResult:
    """A rep, each field checked; RecordError only when its number or set is unusable.
    A value that cannot be read is reported in ``problems`` and read as missing (NaN) or
    the field's default; an unknown verdict reads as ``unknown`` and keeps the written
    value in ``quality_flags``, so the rep is never lost."""
    if not isinstance(d, dict):
        raise RecordError(f"{_show(d)} is not a rep object")
    found: list[str] = []
    flags: list[str] = []
    kwargs = {}
    missing = []
    for f in fields(RepResult):
        if f.name not in d:
            if f.name in _REP_IDENTITY:
                raise RecordError(f"the rep has no {f.name}")
            if f.default is MISSING and f.default_factory is MISSING:
                missing.append(f.name)
                kwargs[f.name] = _rep_value(f, None, [], [])
            continue                      # newer/older writers: defaults fill the gap
        kwargs[f.name] = _rep_value(f, d[f.name], found, flags)
    if missing:
        found.append(f"{', '.join(missing)} missing (read as missing)")
    if flags:
        kwargs["quality_flags"] = tuple(kwargs.get("quality_flags", ())) + tuple(flags)
    if problems is not None:
        problems.extend(found)
    return RepResult(**kwargs)


def event_to_dict(event: SourceEvent, sample_rate_hz: float | None) -> dict:
    t_s = event.sample_index / sample_rate_hz if sample_rate_hz else None
    return {"type": "event", "kind": event.kind.value, "sample_index": event.sample_index,
            "t_s": t_s, "detail": event.detail, "duration_s": event.duration_s}


def event_from_dict(d, problems: list[str] | None = None) -> SourceEvent:
    """A source event; RecordError when its kind or position is unusable."""
    if not isinstance(d, dict):
        raise RecordError(f"{_show(d)} is not an event object")
    duration = as_float(d.get("duration_s"), "duration_s", problems, 0.0)
    return SourceEvent(kind=_enum(EventKind, d.get("kind"), "kind", problems, False),
                       sample_index=as_int(d.get("sample_index"), "sample_index", minimum=0),
                       host_time_s=0.0, detail=as_str(d.get("detail"), "detail", problems),
                       duration_s=duration if math.isfinite(duration) and duration >= 0 else 0.0)


def mark_from_dict(d, problems: list[str] | None = None) -> dict:
    """A mark (set start/stop, calibration, note): its kind and stream position must be usable;
    the other fields are kept as written (readers of a mark check what they use)."""
    if not isinstance(d, dict):
        raise RecordError(f"{_show(d)} is not a mark object")
    if not isinstance(d.get("kind"), str):
        raise RecordError(f"mark kind {_show(d.get('kind'))} is not text")
    out = dict(d)
    out["sample_index"] = as_int(d.get("sample_index"), "sample_index", minimum=0)
    t = d.get("t_s")
    if t is not None and not (is_number(t) and math.isfinite(t)):
        _report(problems, f"t_s {_show(t)} is not a number (read as missing)")
        out["t_s"] = None
    return out
