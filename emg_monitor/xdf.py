"""XDF recordings (LabRecorder) in: one EMG stream through the live chain, markers as sets.

pyxdf reads the file (clock offsets applied, timestamps de-jittered per segment); the EMG
stream's channels are mapped to roles exactly like a live LSL stream
(``channel_map``). Each sample's stream index comes from its timestamp at the
stream's nominal rate, so samples LabRecorder never received (a stream that
vanished for a while) are a gap, as in our own sessions, not a time shift.
Times in the rep table are seconds from the EMG stream's first sample.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .channel_map import ChannelMap, build_map, channels_from_desc
from .errors import UserError
from .model import DeviceInfo

#: pyxdf fits one clock line per segment; its default only cuts segments at breaks over 1 s,
#: so a stream that vanished for 0.8 s would be stretched over the hole. Cut at 50 ms.
BREAK_S = 0.05
BREAK_SAMPLES = 5


@dataclass(frozen=True)
class XdfStream:
    info: DeviceInfo
    data: np.ndarray                 # (n, n_channels) in our units
    sample_index: np.ndarray         # (n,) int64, from the timestamps; gaps skip numbers
    markers: list[tuple[float, str]]  # (s from the first EMG sample, text), all marker streams
    mapping: ChannelMap


def _field(info: dict, key: str, default: str = "") -> str:
    v = info.get(key, [default])
    v = v[0] if isinstance(v, list) and v else v
    return default if v is None else str(v)


def _pyxdf():
    try:
        import pyxdf
    except ImportError as exc:
        raise UserError("reading XDF needs pyxdf: pip install pyxdf") from exc
    logging.getLogger("pyxdf").setLevel(logging.ERROR)    # its own warnings are not ours to print
    return pyxdf


def _describe(streams: list[dict]) -> str:
    parts = [f"{_field(s['info'], 'name')!r} ({_field(s['info'], 'type') or 'no type'}, "
             f"{_field(s['info'], 'channel_count')} ch)" for s in streams]
    return ", ".join(parts) or "none"


def load_xdf_stream(path: str | Path, stream: str | None,
                    overrides: dict[str, str] | None = None) -> XdfStream:
    """The named numeric stream (the only one when ``stream`` is None) and every marker."""
    pyxdf = _pyxdf()
    path = Path(path)
    if not path.is_file():
        raise UserError(f"recording not found: {path}")
    try:
        streams, _ = pyxdf.load_xdf(str(path), jitter_break_threshold_seconds=BREAK_S,
                                    jitter_break_threshold_samples=BREAK_SAMPLES)
    except Exception as exc:  # noqa: BLE001 - pyxdf raises bare Exception for a bad file
        raise UserError(f"{path} is not a readable XDF file ({exc})") from None
    numeric = [s for s in streams if _field(s["info"], "channel_format") != "string"]
    if stream is None:
        if len(numeric) != 1:
            raise UserError(f"{path} holds {len(numeric)} signal streams; choose one with "
                            f"--stream NAME (streams: {_describe(streams)})")
        chosen = numeric[0]
    else:
        named = [s for s in streams if _field(s["info"], "name") == stream]
        if not named:
            raise UserError(f"{path} has no stream named {stream!r} "
                            f"(streams: {_describe(streams)})")
        chosen = named[0]
        if chosen not in numeric:
            raise UserError(f"stream {stream!r} carries text (markers), not signals; choose a "
                            f"signal stream (streams: {_describe(streams)})")
    info = chosen["info"]
    name = _field(info, "name")
    try:
        rate = float(_field(info, "nominal_srate", "0"))
    except ValueError:
        rate = 0.0
    if not rate > 0:
        raise UserError(f"stream {name!r} has no nominal sampling rate (irregular); the filters "
                        "need a regular stream")
    values = np.asarray(chosen["time_series"], dtype=np.float64)
    stamps = np.asarray(chosen["time_stamps"], dtype=np.float64)
    if values.ndim != 2 or values.shape[0] == 0:
        raise UserError(f"stream {name!r} in {path} holds no samples")
    desc = info.get("desc", [None])
    desc = desc[0] if isinstance(desc, list) and desc else desc
    channels = channels_from_desc(desc, values.shape[1])
    mapping = build_map(channels, overrides, stream=f"stream {name!r}")
    t0 = float(stamps[0])
    index = np.rint((stamps - t0) * rate).astype(np.int64)
    keep = np.concatenate([[True], np.diff(index) > 0])      # duplicates / jitter collapse
    data = mapping.apply(values[keep])
    if not np.isfinite(data).all():
        bad = int(np.count_nonzero(~np.isfinite(data).all(axis=1)))
        raise UserError(f"stream {name!r} has {bad} samples that are not finite numbers")
    markers = []
    for s in streams:
        if _field(s["info"], "channel_format") == "string":
            for t, sample in zip(s["time_stamps"], s["time_series"]):
                markers.append((float(t) - t0, str(sample[0]) if sample else ""))
    markers.sort()
    device = f"XDF {path.name} stream {name!r} ({mapping.describe()})"
    return XdfStream(mapping.info(rate, device), data, index[keep], markers, mapping)


def analyze_xdf(path: str | Path, stream: str | None, overrides: dict[str, str] | None = None,
                set_marker: str | None = None, **kwargs):
    """``analysis.analyze_recording`` over one XDF stream; markers equal to ``set_marker``
    start a new set."""
    from .analysis import analyze_recording

    rec = load_xdf_stream(path, stream, overrides)
    rate = rec.info.sample_rate_hz
    starts: tuple[int, ...] = ()
    if set_marker is not None:
        starts = tuple(int(round(t * rate)) for t, text in rec.markers if text == set_marker)
        if not starts:
            texts = sorted({text for _, text in rec.markers})
            raise UserError(f"no marker {set_marker!r} in {path} (markers: "
                            f"{', '.join(map(repr, texts[:10])) or 'none'})")
    return analyze_recording(rec.data, rec.info, first_index=rec.sample_index,
                             set_starts=starts, **kwargs)
