"""What the board's numbers mean, and the handshake with its firmware.

Shared by the serial source and the simulated one (which talks to the byte-exact
emulator in ``sim/device.py``), so the simulator exercises this exact code.

The transport is anything with ``read(n) -> bytes`` (may wait briefly),
``write(bytes)`` and optionally ``in_waiting`` and ``reset_input_buffer()``:
a ``serial.Serial``, a pty wrapper or the emulator's in-memory port.
"""
from __future__ import annotations

import time

import numpy as np

from .. import protocol
from ..model import (EMG_PIN_ROLES, MOTION_PIN_NAMES, Channel, DeviceConfig, DeviceInfo,
                     Kind, SampleBlock, SourceStats)
from ..protocol import Ack, AckStatus, FrameType, Hello, Samples
from .base import SourceError

#: Arduino Uno/Nano digital number of A0; some firmwares report pins this way.
_A0_DIGITAL = 14
#: How long to wait for the HELLO sent at reset before asking with INFO: a board
#: that was not reset by opening the port (pty, DTR disabled) never sends one.
INFO_AFTER_S = 0.5
ACK_TIMEOUT_S = 1.0


def _analog_index(pin: int) -> int:
    return pin - _A0_DIGITAL if pin >= _A0_DIGITAL else pin


def _full_scale(hello: Hello) -> float:
    return float(2 ** (hello.adc_bits or 10))


def info_from_hello(hello: Hello, config: DeviceConfig, device: str) -> DeviceInfo:
    """Channels named by the pin they come from (model.EMG_PIN_ROLES, MOTION_PIN_NAMES)."""
    emg_kind = Kind.ENVELOPE if config.emg_kind == Kind.ENVELOPE else Kind.RAW_EMG
    emg_unit = "mV" if emg_kind == Kind.ENVELOPE else "uV"
    channels: list[Channel] = []
    for i in range(hello.n_emg):
        pin = _analog_index(hello.pins[i]) if i < len(hello.pins) else i
        name, muscle, side = EMG_PIN_ROLES[pin if 0 <= pin < len(EMG_PIN_ROLES) else i]
        channels.append(Channel(name, emg_kind, emg_unit, muscle, side))
    for j in range(hello.n_motion):
        k = hello.n_emg + j
        pin = _analog_index(hello.pins[k]) - len(EMG_PIN_ROLES) if k < len(hello.pins) else j
        name = MOTION_PIN_NAMES[pin if 0 <= pin < len(MOTION_PIN_NAMES) else j]
        channels.append(Channel(name, Kind.MOTION, "g"))
    return DeviceInfo(sample_rate_hz=float(hello.sample_rate_hz), channels=tuple(channels),
                      device=device, firmware_version=hello.firmware_version,
                      protocol_version=hello.protocol_version, adc_bits=hello.adc_bits)


def _column_kinds(hello: Hello) -> np.ndarray:
    """True for EMG columns (the firmware sends the EMG pins first)."""
    return np.arange(hello.n_channels) < hello.n_emg


def counts_to_units(counts: np.ndarray, hello: Hello, config: DeviceConfig) -> np.ndarray:
    """ADC counts (n, channels) -> channel units (float64).

    Raw EMG: the MyoWare RAW output sits at mid-supply, so µV at the electrode =
    (pin mV - vref/2) * 1000 / gain. Envelope: mV at the pin. Accelerometer
    (ADXL335-like ratiometric output): g = (pin mV - zero-g mV) / (mV per g).
    """
    counts = np.asarray(counts, dtype=np.float64)
    mv = counts * (hello.vref_mv / _full_scale(hello))
    out = np.empty_like(mv)
    emg = _column_kinds(hello)
    if config.emg_kind == Kind.ENVELOPE:
        out[:, emg] = mv[:, emg]
    else:
        out[:, emg] = (mv[:, emg] - hello.vref_mv / 2.0) * 1000.0 / config.emg_gain
    out[:, ~emg] = (mv[:, ~emg] - config.accel_zero_g_mv) / config.accel_mv_per_g
    return out


def units_to_counts(values: np.ndarray, hello: Hello, config: DeviceConfig) -> np.ndarray:
    """Inverse of :func:`counts_to_units`, rounded and clipped to the ADC range (rails)."""
    values = np.asarray(values, dtype=np.float64)
    mv = np.empty_like(values)
    emg = _column_kinds(hello)
    if config.emg_kind == Kind.ENVELOPE:
        mv[:, emg] = values[:, emg]
    else:
        mv[:, emg] = values[:, emg] * config.emg_gain / 1000.0 + hello.vref_mv / 2.0
    mv[:, ~emg] = values[:, ~emg] * config.accel_mv_per_g + config.accel_zero_g_mv
    full = _full_scale(hello)
    counts = np.rint(mv * (full / hello.vref_mv))
    return np.clip(counts, 0, full - 1).astype(np.int64)


def lsb_units(hello: Hello, config: DeviceConfig) -> np.ndarray:
    """One ADC count in channel units, per column (the quantisation step)."""
    step_mv = hello.vref_mv / _full_scale(hello)
    emg = _column_kinds(hello)
    emg_step = step_mv if config.emg_kind == Kind.ENVELOPE else step_mv * 1000.0 / config.emg_gain
    return np.where(emg, emg_step, step_mv / config.accel_mv_per_g)


#: the decoder's counters a source reports as its own (model.SourceStats)
LINK_COUNTERS = ("bytes", "frames", "crc_errors", "resyncs")


def copy_link_stats(stats: SourceStats, link: "BoardLink",
                    base: SourceStats | None = None) -> None:
    """The link decoder's counters into ``stats``, on top of ``base`` (the counters of the
    links before a reconnection: each new link starts a new decoder)."""
    d = link.decoder.stats
    for name in LINK_COUNTERS:
        setattr(stats, name, (getattr(base, name) if base is not None else 0) + getattr(d, name))


class BoardLink:
    """Handshake and sample decoding over one connection to the firmware.

    ``first_index`` lets a reconnection continue the stream's sample index.
    """

    def __init__(self, transport, first_index: int = 0, name: str = "the board") -> None:
        self.transport = transport
        self.name = name
        self.decoder = protocol.FrameDecoder()
        self.hello: Hello | None = None
        self.config: DeviceConfig | None = None
        self.next_index = first_index
        self._pending_lost = 0
        self._early: list[Samples] = []
        #: a HELLO seen while streaming: the board was reset (brown-out, watchdog)
        self.reset_seen = False

    # --- bytes ---------------------------------------------------------------
    def _read_some(self) -> bytes:
        t = self.transport
        waiting = int(getattr(t, "in_waiting", 0) or 0)
        data = t.read(waiting if waiting > 0 else 1)
        if data and waiting == 0:
            more = int(getattr(t, "in_waiting", 0) or 0)
            if more:
                data += t.read(more)
        return bytes(data)

    def _send(self, command: FrameType, *args: int) -> None:
        self.transport.write(protocol.encode_command(command, *args))
        flush = getattr(self.transport, "flush", None)
        if flush is not None:
            flush()

    def _frames_until(self, deadline: float) -> list:
        data = self._read_some()
        frames = self.decoder.feed(data) if data else []
        if not data and time.monotonic() < deadline:
            time.sleep(0.001)
        return frames

    def _await_ack(self, command: FrameType, what: str) -> None:
        deadline = time.monotonic() + ACK_TIMEOUT_S
        while time.monotonic() < deadline:
            for f in self._frames_until(deadline):
                if isinstance(f, Samples):
                    self._early.append(f)
                elif isinstance(f, Hello):
                    self.hello = f
                elif isinstance(f, Ack) and f.command == command:
                    if f.status != AckStatus.OK:
                        raise SourceError(f"{self.name} refused {what} ({f.status.name}); "
                                          "check the settings or update the firmware "
                                          "(make -C arduino upload)")
                    return
        raise SourceError(f"{self.name} did not acknowledge {what} within {ACK_TIMEOUT_S:.0f} s; "
                          "unplug and replug it, or flash the sketch: make -C arduino upload")

    def _await_hello(self, deadline: float, first_info_at: float) -> Hello | None:
        next_info = first_info_at
        while True:
            now = time.monotonic()
            if now >= deadline:
                return None
            if now >= next_info:
                # A board that is streaming (host restarted without a reset) is
                # stopped first; INFO makes any running firmware announce itself.
                self._send(FrameType.STOP)
                self._send(FrameType.INFO)
                next_info = now + INFO_AFTER_S
            for f in self._frames_until(deadline):
                if isinstance(f, Hello):
                    return f

    def handshake(self, config: DeviceConfig, timeout_s: float = 3.0) -> Hello:
        """Wait for the firmware's HELLO, configure it and start streaming.

        Opening a port resets most Arduinos (DTR), and the bootloader takes
        0.5-2 s before the sketch says HELLO; we wait for that frame rather than
        sleeping a fixed time, and ask with INFO when none comes (no reset).
        """
        start = time.monotonic()
        deadline = start + timeout_s
        hello = self._await_hello(deadline, start + INFO_AFTER_S)
        if hello is None:
            st = self.decoder.stats
            if st.frames == 0 and st.bytes > 0:
                raise SourceError(
                    f"{self.name} sends data that is not emg-monitor firmware "
                    f"({st.bytes} bytes, no valid frame in {timeout_s:g} s); "
                    "wrong port, or flash the sketch: make -C arduino upload")
            raise SourceError(
                f"no emg-monitor firmware answered on {self.name} within {timeout_s:g} s; "
                "flash the sketch: make -C arduino upload")
        if hello.protocol_version != protocol.PROTOCOL_VERSION:
            raise SourceError(
                f"{self.name} speaks protocol v{hello.protocol_version}, this program "
                f"v{protocol.PROTOCOL_VERSION}; flash the matching sketch: make -C arduino upload")
        self.hello = hello
        if hello.streaming:
            self._send(FrameType.STOP)
            self._await_ack(FrameType.STOP, "STOP")
        if config.sample_rate_hz not in protocol.SUPPORTED_RATES_HZ:
            raise SourceError(f"sample rate {config.sample_rate_hz} Hz is not supported; "
                              f"use one of {', '.join(map(str, protocol.SUPPORTED_RATES_HZ))}")
        self._send(FrameType.SET_RATE, int(config.sample_rate_hz))
        self._await_ack(FrameType.SET_RATE, f"rate {config.sample_rate_hz} Hz")
        self._send(FrameType.SET_CHANNELS, int(config.n_emg), int(config.n_motion))
        self._await_ack(FrameType.SET_CHANNELS,
                        f"{config.n_emg} EMG + {config.n_motion} motion channels")
        # Ask again so that rate, channels and pins come from the board itself.
        self.hello = None
        self._send(FrameType.INFO)
        hello = self._await_hello(time.monotonic() + ACK_TIMEOUT_S, float("inf"))
        if hello is None:
            raise SourceError(f"{self.name} did not answer INFO; flash the sketch: "
                              "make -C arduino upload")
        self._early.clear()
        self._send(FrameType.START)
        self.decoder.reset_sequence()
        self._await_ack(FrameType.START, "START")
        self.hello = hello
        self.config = config
        self.reset_seen = False
        return hello

    def stop_streaming(self) -> None:
        """Best effort: ask the board to stop (leaves it quiet for the next program)."""
        try:
            self._send(FrameType.STOP)
        except Exception:  # noqa: BLE001 - the port may already be gone
            pass

    def skip(self, n_samples: int) -> None:
        """Advance the index over samples never received (a disconnection)."""
        self.next_index += int(n_samples)
        self._pending_lost += int(n_samples)

    def read_blocks(self) -> list[SampleBlock]:
        """Decode what has arrived; one block per run without loss.

        Lost samples (sequence gaps) are counted in ``first_index``, so block
        times stay exact, and reported as the next block's ``lost_before``.
        """
        assert self.hello is not None and self.config is not None, "handshake first"
        data = self._read_some()
        frames: list = list(self._early)
        self._early.clear()
        if data:
            frames += self.decoder.feed(data)
        now = time.monotonic()
        blocks: list[SampleBlock] = []
        rows: list[tuple[int, ...]] = []
        start = self.next_index
        block_lost = 0
        lost_acc = self._pending_lost
        width = self.hello.n_channels

        def flush() -> None:
            if rows:
                counts = np.asarray(rows, dtype=np.int64)
                blocks.append(SampleBlock(start, counts_to_units(counts, self.hello, self.config),
                                          lost_before=block_lost, host_time_s=now))
                rows.clear()

        for f in frames:
            if isinstance(f, Hello):
                self.reset_seen = True
                continue
            if not isinstance(f, Samples) or len(f.counts) != width:
                continue
            if f.lost_before:
                flush()
                self.next_index += f.lost_before
                lost_acc += f.lost_before
            if not rows:
                start = self.next_index
                block_lost, lost_acc = lost_acc, 0
            rows.append(f.counts)
            self.next_index += 1
        flush()
        self._pending_lost = lost_acc
        return blocks
