"""The wire protocol between the board and the host (docs/protocol.md).

Pure code: bytes in, records out. The same framing and CRC are implemented in
``arduino/emg_monitor/emg_frame.h`` and checked against this module byte for
byte in the tests.

Frame::

    A5 5A | type | len | payload (len bytes) | crc16 (LE)

CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over type, len and payload.
"""
from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, replace

import numpy as np

SYNC = b"\xA5\x5A"
HEADER_LEN = 4
CRC_LEN = 2
MAX_PAYLOAD = 64
PROTOCOL_VERSION = 1
BAUD_RATE = 1_000_000
SUPPORTED_RATES_HZ = (500, 1000, 2000)
MAX_EMG = 4
MAX_MOTION = 2
SEQ_MODULO = 1 << 16


class FrameType(enum.IntEnum):
    # device -> host
    SAMPLES = 0x01
    HELLO = 0x02
    ACK = 0x03
    # host -> device
    START = 0x10
    STOP = 0x11
    SET_RATE = 0x12
    SET_CHANNELS = 0x13
    INFO = 0x14


class AckStatus(enum.IntEnum):
    OK = 0
    BAD_ARGUMENT = 1
    UNKNOWN_COMMAND = 2


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data: bytes | bytearray | memoryview, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE; check value of b"123456789" is 0x29B1."""
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[((crc >> 8) ^ b) & 0xFF]
    return crc


def encode_frame(frame_type: int, payload: bytes = b"") -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = bytes((frame_type, len(payload))) + payload
    return SYNC + body + struct.pack("<H", crc16(body))


# --- records -----------------------------------------------------------------

@dataclass(frozen=True)
class Samples:
    seq: int
    counts: tuple[int, ...]          # ADC counts, channel order as in the hello
    lost_before: int = 0             # filled by the decoder from the sequence gap; not on the wire


@dataclass(frozen=True)
class Hello:
    protocol_version: int
    firmware_version: str
    sample_rate_hz: int
    n_emg: int
    n_motion: int
    adc_bits: int
    adc_prescaler: int
    streaming: bool
    vref_mv: int
    pins: tuple[int, ...]            # analog pin of each channel, in frame order

    @property
    def n_channels(self) -> int:
        return self.n_emg + self.n_motion


@dataclass(frozen=True)
class Ack:
    command: int
    status: AckStatus


@dataclass(frozen=True)
class Unknown:
    frame_type: int
    payload: bytes


Frame = Samples | Hello | Ack | Unknown

_HELLO_FIXED = struct.Struct("<BBBBHBBBBBH")   # 13 bytes, then one byte per channel pin


def encode_samples(seq: int, counts) -> bytes:
    counts = [int(c) for c in counts]
    return encode_frame(FrameType.SAMPLES,
                        struct.pack(f"<H{len(counts)}H", seq % SEQ_MODULO, *counts))


def encode_hello(h: Hello) -> bytes:
    major, minor, patch = (int(x) for x in h.firmware_version.split("."))
    payload = _HELLO_FIXED.pack(h.protocol_version, major, minor, patch, h.sample_rate_hz,
                                h.n_emg, h.n_motion, h.adc_bits, h.adc_prescaler,
                                int(h.streaming), h.vref_mv) + bytes(h.pins)
    return encode_frame(FrameType.HELLO, payload)


def encode_ack(command: int, status: AckStatus = AckStatus.OK) -> bytes:
    return encode_frame(FrameType.ACK, bytes((command, status)))


def encode_command(command: FrameType, *args: int) -> bytes:
    """Host -> device command frames."""
    if command == FrameType.SET_RATE:
        (rate,) = args
        return encode_frame(command, struct.pack("<H", rate))
    if command == FrameType.SET_CHANNELS:
        n_emg, n_motion = args
        return encode_frame(command, bytes((n_emg, n_motion)))
    if args:
        raise ValueError(f"{command.name} takes no arguments")
    return encode_frame(command)


def parse_payload(frame_type: int, payload: bytes) -> Frame:
    try:
        if frame_type == FrameType.SAMPLES and len(payload) >= 2 and len(payload) % 2 == 0:
            values = struct.unpack(f"<{len(payload) // 2}H", payload)
            return Samples(values[0], values[1:])
        if frame_type == FrameType.HELLO and len(payload) >= _HELLO_FIXED.size:
            (proto, major, minor, patch, rate, n_emg, n_motion, bits, prescaler,
             streaming, vref) = _HELLO_FIXED.unpack_from(payload)
            pins = tuple(payload[_HELLO_FIXED.size:])
            if len(pins) == n_emg + n_motion:
                return Hello(proto, f"{major}.{minor}.{patch}", rate, n_emg, n_motion,
                             bits, prescaler, bool(streaming), vref, pins)
        if frame_type == FrameType.ACK and len(payload) == 2:
            try:
                status = AckStatus(payload[1])
            except ValueError:
                status = AckStatus.UNKNOWN_COMMAND
            return Ack(payload[0], status)
    except struct.error:
        pass
    return Unknown(frame_type, bytes(payload))


# --- decoding ----------------------------------------------------------------

@dataclass
class DecoderStats:
    bytes: int = 0
    frames: int = 0
    crc_errors: int = 0
    resyncs: int = 0               # times bytes were skipped to find the next sync word
    skipped_bytes: int = 0
    lost_samples: int = 0          # from sequence gaps, wrap-around included


class FrameDecoder:
    """Incremental, byte-stream decoder.

    ``feed`` accepts any split of the stream and returns the complete frames
    in it. A bad CRC or an impossible length drops one byte and resyncs on
    the next sync word, so a corrupted frame costs at most itself. Sample
    sequence gaps are counted in ``stats.lost_samples`` and reported per
    frame through :meth:`lost_before`.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.stats = DecoderStats()
        self._expected_seq: int | None = None

    def reset_sequence(self) -> None:
        """Forget the expected sequence number (the board restarted streaming)."""
        self._expected_seq = None

    def feed(self, data: bytes) -> list[Frame]:
        self.stats.bytes += len(data)
        buf = self._buf
        buf += data
        frames: list[Frame] = []
        pos = 0
        n = len(buf)
        while True:
            start = buf.find(SYNC, pos)
            if start < 0:
                # keep a trailing 0xA5 that may begin the next sync word
                keep_from = n - 1 if n > pos and buf[-1] == SYNC[0] else n
                self._skip(keep_from - pos)
                pos = keep_from
                break
            if start > pos:
                self._skip(start - pos)
            pos = start
            if n - pos < HEADER_LEN:
                break
            length = buf[pos + 3]
            if length > MAX_PAYLOAD:
                self._skip(1)
                pos += 1
                continue
            end = pos + HEADER_LEN + length + CRC_LEN
            if end > n:
                break
            body = bytes(buf[pos + 2:end - CRC_LEN])
            (crc,) = struct.unpack_from("<H", buf, end - CRC_LEN)
            if crc16(body) != crc:
                self.stats.crc_errors += 1
                self._skip(1)
                pos += 1
                continue
            frame = parse_payload(body[0], body[2:])
            self.stats.frames += 1
            if isinstance(frame, Samples):
                frame = replace(frame, lost_before=self._track_sequence(frame.seq))
            frames.append(frame)
            pos = end
        del buf[:pos]
        return frames

    def _skip(self, count: int) -> None:
        if count > 0:
            self.stats.resyncs += 1
            self.stats.skipped_bytes += count

    def _track_sequence(self, seq: int) -> int:
        gap = 0 if self._expected_seq is None else (seq - self._expected_seq) % SEQ_MODULO
        self.stats.lost_samples += gap
        self._expected_seq = (seq + 1) % SEQ_MODULO
        return gap



def sample_runs(frames: list[Frame]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Group consecutive sample frames of equal width into arrays.

    Returns ``(counts, lost_before)`` runs: counts of shape (n, channels) and
    the samples lost immediately before each row. A change of width (the
    channel set was changed) starts a new run.
    """
    runs: list[tuple[np.ndarray, np.ndarray]] = []
    rows: list[tuple[int, ...]] = []
    lost: list[int] = []

    def flush() -> None:
        if rows:
            runs.append((np.asarray(rows, dtype=np.int64), np.asarray(lost, dtype=np.int64)))
            rows.clear()
            lost.clear()

    for f in frames:
        if isinstance(f, Samples):
            if rows and len(f.counts) != len(rows[0]):
                flush()
            rows.append(f.counts)
            lost.append(f.lost_before)
    flush()
    return runs
