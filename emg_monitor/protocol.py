"""The wire protocol between the board and the host (docs/protocol.md).

Pure code: bytes in, records out. The same framing and CRC are implemented in
``arduino/emg_monitor/emg_frame.h`` and checked against this module byte for
byte in the tests.

Frame::

    A5 5A | type | len | payload (len bytes) | crc16 (LE)

CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over type, len and payload.

A CRC-16 lets about one corrupted frame in 65,536 through, so a frame is also
checked for plausibility (its width, counts inside the ADC range, an IMU stamp
near the stream) and a sample sequence that does not continue is believed only
when the next frame confirms it.
"""
from __future__ import annotations

import binascii
import enum
import struct
from dataclasses import dataclass, field, replace

import numpy as np

SYNC = b"\xA5\x5A"
HEADER_LEN = 4
CRC_LEN = 2
MAX_PAYLOAD = 64
PROTOCOL_VERSION = 2
BAUD_RATE = 1_000_000
SUPPORTED_RATES_HZ = (500, 1000, 2000)
MAX_EMG = 4
MAX_MOTION = 2
#: v2 widened the sample counter to 32 bits: 24 days at 2 kHz before it wraps, so a
#: long dropout is counted, never folded away as a 16-bit counter would fold 65,536 samples.
SEQ_MODULO = 1 << 32
#: I2C IMUs by bit of the HELLO's masks: MPU-6050 at 0x68 (pelvis), 0x69 (thigh), and a
#: third at 0x68 behind a TCA9548A multiplexer (thorax). docs/hardware.md has the wiring.
IMU_SEGMENTS = ("pelvis", "thigh", "thorax")
#: an IMU frame whose stamp is further than this from the sample stream is not believed
IMU_STAMP_WINDOW = 512
#: a sequence jump is believed when the next SAMPLES frame continues it within this many
#: samples (an overloaded board sends every other one); a phantom frame's random 32-bit
#: seq is followed so closely by a real one with odds of 2**-26
CONFIRM_WINDOW = 64


class FrameType(enum.IntEnum):
    # device -> host
    SAMPLES = 0x01
    HELLO = 0x02
    ACK = 0x03
    IMU = 0x04
    IMU_STATUS = 0x05
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


class ImuStatusCode(enum.IntEnum):
    LOST = 1            # stopped acknowledging its address mid-stream
    TIMEOUT = 2         # a transfer did not finish (bus held); the firmware reset the TWI


def crc16(data: bytes | bytearray | memoryview, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE; check value of b"123456789" is 0x29B1.

    binascii's CRC-CCITT is the same polynomial (0x1021, not reflected, no final
    xor) in C, so the init value 0xFFFF makes it CCITT-FALSE.
    """
    return binascii.crc_hqx(data, crc)


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
    imu_requested: int = 0           # bit i: IMU_SEGMENTS[i] asked for (SET_CHANNELS)
    imu_present: int = 0             # bit i: answered WHO_AM_I = 0x68 and was configured
    imu_rate_hz: int = 0             # per IMU; 0 without IMUs
    accel_range_g: int = 4           # MPU-6050 full scale: +-g
    gyro_range_dps: int = 500        # +-deg/s

    @property
    def n_channels(self) -> int:
        return self.n_emg + self.n_motion

    @property
    def imu_segments(self) -> tuple[str, ...]:
        return segments_of(self.imu_present)

    @property
    def imu_missing(self) -> tuple[str, ...]:
        return segments_of(self.imu_requested & ~self.imu_present)


@dataclass(frozen=True)
class Ack:
    command: int
    status: AckStatus


@dataclass(frozen=True)
class ImuSample:
    """One burst read of an MPU-6050: raw register values, accel xyz then gyro xyz."""

    index: int                       # EMG sample index of the tick that started the read
    segment: int                     # index into IMU_SEGMENTS
    values: tuple[int, ...]          # 6 signed 16-bit counts


@dataclass(frozen=True)
class ImuStatus:
    index: int                       # EMG sample index at which the IMU went silent
    segment: int
    status: ImuStatusCode


@dataclass(frozen=True)
class Unknown:
    frame_type: int
    payload: bytes


Frame = Samples | Hello | Ack | ImuSample | ImuStatus | Unknown

_HELLO_FIXED = struct.Struct("<BBBBHBBBBBHBBHBH")   # 20 bytes, then one byte per channel pin
_SEQ = struct.Struct("<I")
_IMU = struct.Struct("<IB6h")
_IMU_STATUS = struct.Struct("<IBB")
_CRC = struct.Struct("<H")


def segments_of(mask: int) -> tuple[str, ...]:
    return tuple(name for i, name in enumerate(IMU_SEGMENTS) if mask >> i & 1)


def mask_of(segments) -> int:
    return sum(1 << IMU_SEGMENTS.index(s) for s in segments)


def encode_samples(seq: int, counts) -> bytes:
    counts = [int(c) for c in counts]
    return encode_frame(FrameType.SAMPLES,
                        struct.pack(f"<I{len(counts)}H", seq % SEQ_MODULO, *counts))


def encode_samples_run(first_seq: int, counts: np.ndarray) -> bytes:
    """Consecutive SAMPLES frames in one go: the bytes of ``encode_samples(first_seq + i,
    counts[i])`` for every row, laid out by NumPy (the emulated board streams 2,000 frames
    a second; frame by frame in Python that was a third of its acquisition thread)."""
    counts = np.asarray(counts)
    k, n_ch = counts.shape
    if k and (counts.min() < 0 or counts.max() > 0xFFFF):
        raise ValueError("ADC counts must lie in 0..65535")
    rec = np.empty(k, np.dtype([("sync", "u1", (2,)), ("type", "u1"), ("len", "u1"),
                                ("seq", "<u4"), ("counts", "<u2", (n_ch,)), ("crc", "<u2")]))
    rec["sync"] = tuple(SYNC)
    rec["type"] = FrameType.SAMPLES
    rec["len"] = 4 + 2 * n_ch
    rec["seq"] = (int(first_seq) + np.arange(k, dtype=np.int64)) % SEQ_MODULO
    rec["counts"] = counts
    size = rec.itemsize
    raw = rec.view(np.uint8).data
    rec["crc"] = [crc16(raw[i + 2:i + size - CRC_LEN]) for i in range(0, k * size, size)]
    return rec.tobytes()


def encode_hello(h: Hello) -> bytes:
    major, minor, patch = (int(x) for x in h.firmware_version.split("."))
    payload = _HELLO_FIXED.pack(h.protocol_version, major, minor, patch, h.sample_rate_hz,
                                h.n_emg, h.n_motion, h.adc_bits, h.adc_prescaler,
                                int(h.streaming), h.vref_mv, h.imu_requested, h.imu_present,
                                h.imu_rate_hz, h.accel_range_g, h.gyro_range_dps) + bytes(h.pins)
    return encode_frame(FrameType.HELLO, payload)


def encode_ack(command: int, status: AckStatus = AckStatus.OK) -> bytes:
    return encode_frame(FrameType.ACK, bytes((command, status)))


def encode_imu(index: int, segment: int, values) -> bytes:
    return encode_frame(FrameType.IMU, _IMU.pack(index % SEQ_MODULO, segment,
                                                 *(int(v) for v in values)))


def encode_imu_status(index: int, segment: int, status: ImuStatusCode) -> bytes:
    return encode_frame(FrameType.IMU_STATUS,
                        _IMU_STATUS.pack(index % SEQ_MODULO, segment, int(status)))


def encode_command(command: FrameType, *args: int) -> bytes:
    """Host -> device command frames.

    SET_CHANNELS takes (n_emg, n_motion) or (n_emg, n_motion, imu_mask); IMUs use
    A4/A5 as I2C, so a non-zero mask needs n_motion = 0.
    """
    if command == FrameType.SET_RATE:
        (rate,) = args
        return encode_frame(command, struct.pack("<H", rate))
    if command == FrameType.SET_CHANNELS:
        if len(args) not in (2, 3):
            raise ValueError("SET_CHANNELS takes n_emg, n_motion[, imu_mask]")
        return encode_frame(command, bytes(args))
    if args:
        raise ValueError(f"{command.name} takes no arguments")
    return encode_frame(command)


def parse_payload(frame_type: int, payload: bytes) -> Frame:
    try:
        if frame_type == FrameType.SAMPLES and len(payload) >= 4 and len(payload) % 2 == 0:
            (seq,) = _SEQ.unpack_from(payload)
            return Samples(seq, struct.unpack_from(f"<{(len(payload) - 4) // 2}H", payload, 4))
        if frame_type == FrameType.HELLO and payload and payload[0] != PROTOCOL_VERSION:
            # another protocol's layout: only its version is read, so the host can say so
            return Hello(payload[0], "", 0, 0, 0, 0, 0, False, 0, ())
        if frame_type == FrameType.HELLO and len(payload) >= _HELLO_FIXED.size:
            (proto, major, minor, patch, rate, n_emg, n_motion, bits, prescaler, streaming,
             vref, imu_req, imu_present, imu_rate, acc_g, gyr_dps) = _HELLO_FIXED.unpack_from(payload)
            pins = tuple(payload[_HELLO_FIXED.size:])
            if len(pins) == n_emg + n_motion:
                return Hello(proto, f"{major}.{minor}.{patch}", rate, n_emg, n_motion,
                             bits, prescaler, bool(streaming), vref, pins, imu_req,
                             imu_present, imu_rate, acc_g, gyr_dps)
        if frame_type == FrameType.ACK and len(payload) == 2:
            try:
                status = AckStatus(payload[1])
            except ValueError:
                status = AckStatus.UNKNOWN_COMMAND
            return Ack(payload[0], status)
        if frame_type == FrameType.IMU and len(payload) == _IMU.size:
            index, segment, *values = _IMU.unpack(payload)
            if segment < len(IMU_SEGMENTS):
                return ImuSample(index, segment, tuple(values))
        if frame_type == FrameType.IMU_STATUS and len(payload) == _IMU_STATUS.size:
            index, segment, code = _IMU_STATUS.unpack(payload)
            if segment < len(IMU_SEGMENTS) and code in ImuStatusCode._value2member_map_:
                return ImuStatus(index, segment, ImuStatusCode(code))
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
    lost_samples: int = 0          # from confirmed sequence gaps
    implausible: int = 0           # good CRC, impossible content (width, range, stamp)
    unconfirmed: int = 0           # a sequence jump the next frame did not confirm
    restarts: int = 0              # confirmed backward jumps (the board restarted)


@dataclass(frozen=True)
class StreamShape:
    """What a believable SAMPLES frame looks like once the HELLO is known."""

    n_channels: int
    max_count: int                 # 2**adc_bits - 1

    @classmethod
    def of(cls, hello: Hello) -> "StreamShape":
        return cls(hello.n_channels, (1 << (hello.adc_bits or 10)) - 1)


@dataclass
class _Sequence:
    expected: int | None = None    # next seq; None: believe the first frame as it comes
    candidate: Samples | None = None
    held: list = field(default_factory=list)   # frames after the candidate, in order


class FrameDecoder:
    """Incremental, byte-stream decoder.

    ``feed`` accepts any split of the stream and returns the complete frames
    in it. A bad CRC, an impossible length or implausible content drops one
    byte and resyncs on the next sync word, so a corrupted frame costs at most
    itself. A SAMPLES frame whose ``seq`` does not continue the stream is held
    until the next one continues from it (``seq + 1`` .. ``seq + CONFIRM_WINDOW``);
    unconfirmed, it is dropped.
    Confirmed gaps are counted in ``stats.lost_samples`` and in the frame's
    ``lost_before``. Output order is stream order.
    """

    def __init__(self, shape: StreamShape | None = None) -> None:
        self._buf = bytearray()
        self.stats = DecoderStats()
        self.shape = shape
        self._seq = _Sequence()

    def reset_sequence(self, next_seq: int | None = None) -> None:
        """The board restarted streaming: its next frame carries ``next_seq`` (START: 0)."""
        self._seq = _Sequence(expected=next_seq)

    def expect(self, shape: StreamShape | None) -> None:
        """Believe only SAMPLES frames of this shape (None: any width)."""
        self.shape = shape

    @property
    def pending(self) -> int:
        """Frames held back until a sequence jump is confirmed or refuted."""
        s = self._seq
        return (s.candidate is not None) + len(s.held)

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
            if self.shape is not None and self._seq.candidate is None \
                    and self._seq.expected is not None and buf[pos + 2] == FrameType.SAMPLES:
                taken = self._samples_run(buf, pos, n, frames)
                if taken:
                    pos += taken
                    continue
            length = buf[pos + 3]
            if length > MAX_PAYLOAD:
                self._skip(1)
                pos += 1
                continue
            end = pos + HEADER_LEN + length + CRC_LEN
            if end > n:
                break
            body = bytes(buf[pos + 2:end - CRC_LEN])
            if crc16(body) != _CRC.unpack_from(buf, end - CRC_LEN)[0]:
                self.stats.crc_errors += 1
                self._skip(1)
                pos += 1
                continue
            frame = parse_payload(body[0], body[2:])
            if not self._plausible(frame):
                self.stats.implausible += 1
                self._skip(1)
                pos += 1
                continue
            self.stats.frames += 1
            self._sequence(frame, frames)
            pos = end
        del buf[:pos]
        return frames

    def _samples_run(self, buf: bytearray, pos: int, n: int, out: list[Frame]) -> int:
        """The common case in one NumPy pass: consecutive SAMPLES frames of the known
        width, each with a good CRC, plausible counts and the next sequence number. Takes
        the longest such run from ``pos`` and returns the bytes it took (0: the general
        path decides, frame by frame, whatever breaks the run)."""
        shape, expected = self.shape, self._seq.expected
        assert shape is not None and expected is not None
        width = 4 + 2 * shape.n_channels
        size = HEADER_LEN + width + CRC_LEN
        k = (n - pos) // size
        if k < 2:
            return 0
        raw = bytes(buf[pos:pos + k * size])          # a copy: buf must stay resizable
        rows = np.frombuffer(raw, dtype=np.uint8).reshape(k, size)
        good = (rows[:, :HEADER_LEN] == (SYNC[0], SYNC[1], FrameType.SAMPLES, width)).all(axis=1)
        seq = rows[:, 4:8].copy().view("<u4")[:, 0].astype(np.int64)
        good &= seq == (expected + np.arange(k)) % SEQ_MODULO
        counts = rows[:, 8:8 + 2 * shape.n_channels].copy().view("<u2")
        good &= counts.max(axis=1) <= shape.max_count
        m = int(np.argmin(good)) if not good.all() else k
        if m == 0:
            return 0
        view = memoryview(raw)
        crcs = rows[:m, size - CRC_LEN:].copy().view("<u2")[:, 0]
        for i in range(m):           # binascii in C, frame by frame (a run stops at a bad one)
            if crc16(view[i * size + 2:(i + 1) * size - CRC_LEN]) != crcs[i]:
                m = i
                break
        if m == 0:
            return 0
        values = counts[:m].tolist()
        first = int(seq[0])
        out.extend(Samples((first + i) % SEQ_MODULO, tuple(values[i])) for i in range(m))
        self._seq.expected = (first + m) % SEQ_MODULO
        self.stats.frames += m
        return m * size

    def _plausible(self, frame: Frame) -> bool:
        shape = self.shape
        if isinstance(frame, Samples):
            if shape is None:
                return True
            return len(frame.counts) == shape.n_channels and max(frame.counts, default=0) <= shape.max_count
        if isinstance(frame, Hello):
            if frame.protocol_version != PROTOCOL_VERSION:   # believed only outside a stream
                return self._seq.expected is None and self._seq.candidate is None
            return (frame.sample_rate_hz in SUPPORTED_RATES_HZ and 1 <= frame.n_emg <= MAX_EMG
                    and frame.n_motion <= MAX_MOTION and frame.imu_requested >> len(IMU_SEGMENTS) == 0
                    and frame.imu_present & ~frame.imu_requested == 0)
        if isinstance(frame, (ImuSample, ImuStatus)):
            ref = self._seq.expected
            if ref is None and self._seq.candidate is not None:
                ref = self._seq.candidate.seq
            return ref is None or _distance(frame.index, ref) <= IMU_STAMP_WINDOW
        return True

    def _sequence(self, frame: Frame, out: list[Frame]) -> None:
        s = self._seq
        if not isinstance(frame, Samples):
            (s.held if s.candidate is not None else out).append(frame)
            return
        if s.candidate is not None:
            c = s.candidate
            if 0 < (frame.seq - c.seq) % SEQ_MODULO <= CONFIRM_WINDOW:   # confirmed
                out.append(self._accept(c))
                out.extend(s.held)
                s.candidate, s.held = None, []
                out.append(self._accept(frame))
                return
            self.stats.unconfirmed += 1                          # refuted: drop the candidate
            out.extend(s.held)
            s.candidate, s.held = None, []
        if s.expected is None or frame.seq == s.expected:
            out.append(self._accept(frame))
        else:
            s.candidate = frame

    def _accept(self, frame: Samples) -> Samples:
        s = self._seq
        gap = 0
        if s.expected is not None:
            gap = (frame.seq - s.expected) % SEQ_MODULO
            if gap >= SEQ_MODULO // 2:          # backwards: the board restarted its counter
                self.stats.restarts += 1
                gap = 0
        self.stats.lost_samples += gap
        s.expected = (frame.seq + 1) % SEQ_MODULO
        return replace(frame, lost_before=gap) if gap else frame

    def _skip(self, count: int) -> None:
        if count > 0:
            self.stats.resyncs += 1
            self.stats.skipped_bytes += count


def _distance(a: int, b: int) -> int:
    d = (a - b) % SEQ_MODULO
    return min(d, SEQ_MODULO - d)


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
