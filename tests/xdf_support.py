"""A minimal XDF 1.0 writer for the tests (what LabRecorder writes, per the XDF specification:
FileHeader, StreamHeader, Samples in chunks, ClockOffset, StreamFooter chunks)."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import numpy as np

FILE_HEADER, STREAM_HEADER, SAMPLES, CLOCK_OFFSET, BOUNDARY, STREAM_FOOTER = 1, 2, 3, 4, 5, 6


@dataclass
class XdfStreamSpec:
    name: str
    type: str
    nominal_srate: float             # 0: irregular (markers)
    channel_format: str              # "float32" | "double64" | "string"
    stamps: np.ndarray               # (n,) seconds, the recording machine's LSL clock
    values: list | np.ndarray        # (n, channels) numbers, or n lists of strings
    labels: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    chunk_sizes: tuple[int, ...] = (1,)   # cycled: irregular chunks
    clock_offset_s: float = 0.0
    extra_desc: str = ""
    source_id: str = field(default="test")


def _varlen(n: int) -> bytes:
    if n < 256:
        return b"\x01" + struct.pack("<B", n)
    if n < 2 ** 32:
        return b"\x04" + struct.pack("<I", n)
    return b"\x08" + struct.pack("<Q", n)


def _chunk(tag: int, content: bytes) -> bytes:
    body = struct.pack("<H", tag) + content
    return _varlen(len(body)) + body


def _header_xml(s: XdfStreamSpec, n_channels: int) -> bytes:
    chans = "".join(f"<channel><label>{escape(lab)}</label><unit>{escape(u)}</unit>"
                    f"<type>{escape(s.type)}</type></channel>"
                    for lab, u in zip(s.labels, s.units or [""] * len(s.labels)))
    xml = (f'<?xml version="1.0"?><info><name>{escape(s.name)}</name>'
           f"<type>{escape(s.type)}</type><channel_count>{n_channels}</channel_count>"
           f"<nominal_srate>{s.nominal_srate:g}</nominal_srate>"
           f"<channel_format>{s.channel_format}</channel_format>"
           f"<source_id>{escape(s.source_id)}</source_id><version>1.1</version>"
           f"<created_at>{float(s.stamps[0]) if len(s.stamps) else 0.0}</created_at>"
           f"<uid>{escape(s.name)}-uid</uid><hostname>localhost</hostname>"
           f"<desc>{'<channels>' + chans + '</channels>' if chans else ''}{s.extra_desc}</desc>"
           "</info>")
    return xml.encode("utf-8")


def _sample(s: XdfStreamSpec, t: float, value) -> bytes:
    out = b"\x08" + struct.pack("<d", t)
    if s.channel_format == "string":
        for text in value:
            raw = str(text).encode("utf-8")
            out += _varlen(len(raw)) + raw
        return out
    dtype = {"float32": "<f4", "double64": "<f8", "int32": "<i4", "int16": "<i2"}[s.channel_format]
    return out + np.asarray(value, dtype=dtype).tobytes()


def write_xdf(path, streams: list[XdfStreamSpec]) -> None:
    """Chunks of the streams interleaved in time, as a recorder receives them."""
    out = bytearray(b"XDF:")
    out += _chunk(FILE_HEADER, b'<?xml version="1.0"?><info><version>1.0</version></info>')
    for sid, s in enumerate(streams, start=1):
        n_ch = 1 if s.channel_format == "string" else int(np.shape(s.values)[1])
        out += _chunk(STREAM_HEADER, struct.pack("<I", sid) + _header_xml(s, n_ch))
    pending = []                      # (time of the chunk's last sample, stream id, bytes)
    for sid, s in enumerate(streams, start=1):
        pos, k = 0, 0
        n = len(s.stamps)
        while pos < n:
            size = s.chunk_sizes[k % len(s.chunk_sizes)]
            k += 1
            end = min(n, pos + size)
            body = struct.pack("<I", sid) + _varlen(end - pos)
            for i in range(pos, end):
                body += _sample(s, float(s.stamps[i]), s.values[i])
            pending.append((float(s.stamps[end - 1]), sid, _chunk(SAMPLES, body)))
            pos = end
        for t in np.arange(float(s.stamps[0]) if n else 0.0, float(s.stamps[-1]) + 5 if n else 5, 5.0):
            pending.append((t, sid, _chunk(CLOCK_OFFSET, struct.pack("<I", sid) +
                                           struct.pack("<dd", t, s.clock_offset_s))))
    for _, _, chunk in sorted(pending, key=lambda p: (p[0], p[1])):
        out += chunk
    for sid, s in enumerate(streams, start=1):
        n = len(s.stamps)
        footer = (f'<?xml version="1.0"?><info><first_timestamp>{float(s.stamps[0]) if n else 0}'
                  f"</first_timestamp><last_timestamp>{float(s.stamps[-1]) if n else 0}"
                  f"</last_timestamp><sample_count>{n}</sample_count></info>")
        out += _chunk(STREAM_FOOTER, struct.pack("<I", sid) + footer.encode())
    with open(path, "wb") as f:
        f.write(bytes(out))
