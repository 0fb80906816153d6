"""A byte-exact Python model of the firmware (arduino/emg_monitor), for demos and tests.

Commands in (``feed_host``), frames out: HELLO at reset (not streaming), each
command ACKed, INFO answered with its ACK and then a HELLO, SAMPLES frames built
with the real ``protocol.encode_samples`` from ADC counts produced by
``device.units_to_counts`` (gain, 10-bit range, rails), and IMU frames at
``IMU_RATE_HZ`` from segment kinematics in g and deg/s (``device.imu_units_to_counts``).
Every demo thus runs the real decoder and the real counts -> units conversion.

The signal is sampled only while streaming (the firmware converts only then), so
stream sample k is the signal's sample k after START.
"""
from __future__ import annotations

import struct
from typing import Callable, Mapping, Protocol, Union, runtime_checkable

import numpy as np

from .. import protocol
from ..device import imu_units_to_counts, units_to_counts
from ..model import DeviceConfig
from ..protocol import AckStatus, FrameType, Hello, ImuStatusCode, Unknown
from .athlete import Athlete

FIRMWARE_VERSION = "2.0.0"
#: analog pins: EMG on A0..A3, motion on A4..A5 (model.EMG_PIN_ROLES)
EMG_PINS = (0, 1, 2, 3)
MOTION_PINS = (4, 5)
#: as the firmware: one read of every IMU per 10 ms, whatever the EMG rate
IMU_RATE_HZ = 100
ACCEL_RANGE_G = 4
GYRO_RANGE_DPS = 500

#: a signal function returns n samples (n, 6): 4 EMG then 2 motion, in channel units
SignalFn = Callable[[int, float], np.ndarray]


@runtime_checkable
class ImuKinematics(Protocol):
    """Segment IMU readings at EMG sample indices: {segment: (n, 6) acc_g xyz, gyr_deg_s xyz}.

    The simulated athlete provides it (``Athlete.imu``) once segment kinematics exist;
    a test may pass its own.
    """

    def imu(self, first_index: int, n: int) -> Mapping[str, np.ndarray]: ...


class DeviceEmulator:
    """The firmware's behaviour on the host side of a byte stream."""

    def __init__(self, source: Union[Athlete, SignalFn], config: DeviceConfig = DeviceConfig(),
                 vref_mv: int = 5000, adc_prescaler: int = 64,
                 firmware_version: str = FIRMWARE_VERSION,
                 drop_every: int = 0, corrupt_every: int = 0,
                 kinematics: ImuKinematics | None = None,
                 imus_attached: tuple[str, ...] = ("pelvis", "thigh", "thorax"),
                 imu_silent_from: Mapping[str, int] | None = None) -> None:
        """``config`` gives the analog front end (gain, accel scale, EMG kind) the
        counts are computed for; rate and channels start at the firmware defaults.

        drop_every=k: every k-th sample frame is not sent (its sequence number is
        still used, as when the UART buffer overflows). corrupt_every=k: one byte
        of every k-th frame is flipped (CRC fails).

        IMU readings come from ``kinematics``, else from the source when it provides
        them (:class:`ImuKinematics`); without either no IMU answers. Only the
        ``imus_attached`` answer WHO_AM_I; ``imu_silent_from`` = {segment: stream
        index} makes one stop answering mid-stream.
        """
        self.source = source
        self.config = config
        self.vref_mv = int(vref_mv)
        self.adc_prescaler = int(adc_prescaler)
        self.firmware_version = firmware_version
        self.drop_every = int(drop_every)
        self.corrupt_every = int(corrupt_every)
        self.kinematics = kinematics
        self.imus_attached = tuple(imus_attached)
        self.imu_silent_from = dict(imu_silent_from or {})
        self._decoder = protocol.FrameDecoder()
        self.frames_sent = 0
        self.samples_dropped = 0
        self.reset()

    # --- state -----------------------------------------------------------------
    def reset(self) -> bytes:
        """Power-on / DTR reset: firmware defaults, not streaming; returns the HELLO."""
        self.sample_rate_hz = 1000
        self.n_emg = protocol.MAX_EMG
        self.n_motion = protocol.MAX_MOTION
        self.imu_requested = 0
        self.imu_present = 0
        self.streaming = False
        self.seq = 0
        self._frame_count = 0
        self._decoder = protocol.FrameDecoder()
        return protocol.encode_hello(self.hello())

    def hello(self) -> Hello:
        pins = EMG_PINS[:self.n_emg] + MOTION_PINS[:self.n_motion]
        return Hello(protocol.PROTOCOL_VERSION, self.firmware_version, self.sample_rate_hz,
                     self.n_emg, self.n_motion, 10, self.adc_prescaler, self.streaming,
                     self.vref_mv, pins, self.imu_requested, self.imu_present,
                     IMU_RATE_HZ if self.imu_present else 0, ACCEL_RANGE_G, GYRO_RANGE_DPS)

    def _imu_source(self) -> ImuKinematics | None:
        if self.kinematics is not None:
            return self.kinematics
        return self.source if isinstance(self.source, ImuKinematics) else None

    def _probe(self, mask: int) -> int:
        """Which requested IMUs answer (WHO_AM_I), as the firmware's probe at SET_CHANNELS:
        those attached that the kinematics carry."""
        kin = self._imu_source()
        if kin is None:
            return 0
        carried = set(kin.imu(0, 1))
        return mask & protocol.mask_of(s for s in self.imus_attached
                                       if s in protocol.IMU_SEGMENTS and s in carried)

    # --- host -> device --------------------------------------------------------
    def feed_host(self, data: bytes) -> bytes:
        """Bytes written by the host; returns the board's answers."""
        out = bytearray()
        for frame in self._decoder.feed(bytes(data)):
            if isinstance(frame, Unknown):
                out += self._command(frame.frame_type, frame.payload)
            else:   # a device->host frame type sent by the host: not a command
                out += protocol.encode_ack(_frame_type(frame), AckStatus.UNKNOWN_COMMAND)
        return bytes(out)

    def _command(self, ftype: int, payload: bytes) -> bytes:
        ok = protocol.encode_ack(ftype, AckStatus.OK)
        bad = protocol.encode_ack(ftype, AckStatus.BAD_ARGUMENT)
        if ftype == FrameType.START and not payload:
            self.streaming = True
            self.seq = 0              # as the firmware: every START restarts the sequence
            return ok
        if ftype == FrameType.STOP and not payload:
            self.streaming = False
            return ok
        if ftype == FrameType.SET_RATE:
            if len(payload) != 2:
                return bad
            (rate,) = struct.unpack("<H", payload)
            if rate not in protocol.SUPPORTED_RATES_HZ:
                return bad
            self._set_rate(rate)
            return ok
        if ftype == FrameType.SET_CHANNELS:
            if len(payload) not in (2, 3):
                return bad
            n_emg, n_motion = payload[0], payload[1]
            mask = payload[2] if len(payload) == 3 else 0
            if (not 1 <= n_emg <= protocol.MAX_EMG or n_motion > protocol.MAX_MOTION
                    or mask >> len(protocol.IMU_SEGMENTS) or (mask and n_motion)):
                return bad
            self.n_emg, self.n_motion = n_emg, n_motion
            self.imu_requested, self.imu_present = mask, self._probe(mask)
            return ok
        if ftype == FrameType.INFO and not payload:
            return ok + protocol.encode_hello(self.hello())
        if ftype in (FrameType.START, FrameType.STOP, FrameType.INFO):
            return bad
        return protocol.encode_ack(ftype, AckStatus.UNKNOWN_COMMAND)

    def _set_rate(self, rate: int) -> None:
        self.sample_rate_hz = rate
        if isinstance(self.source, Athlete) and self.source.fs != rate:
            # same athlete, sampled at the new rate from the same point in time
            pos_s = self.source.position / self.source.fs
            new = self.source.with_rate(rate)
            new.render(int(round(pos_s * rate)))
            self.source = new

    # --- device -> host --------------------------------------------------------
    def _signal(self, n: int) -> tuple[int, np.ndarray]:
        """(index of the first sample in the source's own count, n samples)."""
        if isinstance(self.source, Athlete):
            first = self.source.position
            return first, self.source.render(n)
        first = self._frame_count
        return first, np.asarray(self.source(n, float(self.sample_rate_hz)), dtype=np.float64)

    def counts(self, n_samples: int) -> np.ndarray:
        """ADC counts of the next n samples for the active channels (advances the signal)."""
        return self._counts(n_samples)[1]

    def _counts(self, n_samples: int) -> tuple[int, np.ndarray]:
        first, values = self._signal(n_samples)
        cols = list(range(self.n_emg)) + [protocol.MAX_EMG + j for j in range(self.n_motion)]
        return first, units_to_counts(values[:, cols], self.hello(), self.config)

    def _imu_frames(self, first: int, n: int) -> dict[int, bytes]:
        """IMU frames keyed by the row (0..n-1) after whose SAMPLES frame they are sent."""
        present = [i for i in range(len(protocol.IMU_SEGMENTS)) if self.imu_present >> i & 1]
        kin = self._imu_source()
        if not present or kin is None:
            return {}
        div = self.sample_rate_hz // IMU_RATE_HZ
        rows = [r for r in range(n) if (self.seq + r) % div == 0]
        if not rows:
            return {}
        readings = kin.imu(first, n)
        hello = self.hello()
        out: dict[int, bytes] = {}
        for i in present:
            seg = protocol.IMU_SEGMENTS[i]
            counts = imu_units_to_counts(np.asarray(readings[seg])[rows], hello)
            silent_from = self.imu_silent_from.get(seg)
            for r, c in zip(rows, counts):
                seq = self.seq + r
                if silent_from is not None and seq >= silent_from:
                    # the firmware reports the first failed read, then leaves it alone
                    out[r] = out.get(r, b"") + protocol.encode_imu_status(
                        seq, i, ImuStatusCode.LOST)
                    self.imu_present &= ~(1 << i)
                    break
                out[r] = out.get(r, b"") + protocol.encode_imu(seq, i, c)
        return out

    def produce(self, n_samples: int) -> bytes:
        """The bytes the board sends during n sample periods ('' when not streaming)."""
        if not self.streaming or n_samples <= 0:
            return b""
        first, counts = self._counts(n_samples)
        imu = self._imu_frames(first, n_samples)
        if not (imu or self.drop_every or self.corrupt_every):   # the plain stream, at once
            out_run = protocol.encode_samples_run(self.seq, counts)
            self.seq = (self.seq + n_samples) % protocol.SEQ_MODULO
            self._frame_count += n_samples
            self.frames_sent += n_samples
            return out_run
        out = bytearray()
        for r, row in enumerate(counts):
            seq = self.seq
            self.seq = (self.seq + 1) % protocol.SEQ_MODULO
            self._frame_count += 1
            if self.drop_every and self._frame_count % self.drop_every == 0:
                self.samples_dropped += 1
            else:
                frame = bytearray(protocol.encode_samples(seq, row))
                if self.corrupt_every and self._frame_count % self.corrupt_every == 0:
                    frame[5] ^= 0x40
                out += frame
                self.frames_sent += 1
            out += imu.get(r, b"")
        return bytes(out)


def _frame_type(frame) -> int:
    return {protocol.Samples: FrameType.SAMPLES, protocol.Hello: FrameType.HELLO,
            protocol.Ack: FrameType.ACK, protocol.ImuSample: FrameType.IMU,
            protocol.ImuStatus: FrameType.IMU_STATUS}[type(frame)]


class EmulatorPort:
    """The emulator as an in-memory serial port (a BoardLink transport).

    ``pump(n)`` lets n sample periods pass; ``read`` never blocks.
    """

    def __init__(self, emulator: DeviceEmulator, reset_on_open: bool = True) -> None:
        self.emulator = emulator
        self._buf = bytearray(emulator.reset() if reset_on_open else b"")

    @property
    def in_waiting(self) -> int:
        return len(self._buf)

    def write(self, data: bytes) -> int:
        self._buf += self.emulator.feed_host(data)
        return len(data)

    def read(self, n: int) -> bytes:
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def pump(self, n_samples: int) -> None:
        self._buf += self.emulator.produce(n_samples)

    def reset_input_buffer(self) -> None:
        self._buf.clear()
