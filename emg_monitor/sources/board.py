"""The handshake with the board's firmware, and sample decoding into blocks.

Shared by the serial source and the simulated one (which talks to the byte-exact
emulator in ``sim/device.py``), so the simulator exercises this exact code. What
the numbers mean (counts <-> units, channel names) lives in ``emg_monitor.device``.

The transport is anything with ``read(n) -> bytes`` (may wait briefly),
``write(bytes)`` and optionally ``in_waiting`` and ``reset_input_buffer()``:
a ``serial.Serial``, a pty wrapper or the emulator's in-memory port.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .. import protocol
from ..device import counts_to_units, imu_counts_to_units
from ..model import DeviceConfig, SampleBlock, SourceStats
from ..protocol import Ack, AckStatus, FrameType, Hello, ImuSample, ImuStatus, Samples
from .base import SourceError

#: How long to wait for the HELLO sent at reset before asking with INFO: a board
#: that was not reset by opening the port (pty, DTR disabled) never sends one.
INFO_AFTER_S = 0.5
ACK_TIMEOUT_S = 1.0
#: an IMU whose next read is this many IMU periods overdue no longer holds the samples
#: back (it is silent, or its frames were corrupted); its channels keep the last value
IMU_OVERDUE_PERIODS = 4


@dataclass
class _ImuTrack:
    """Recent reads of one IMU, stamped in host sample indices."""

    stamps: list[int] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)
    last_stamp: int | None = None
    lost_at: int | None = None       # the firmware reported it silent from this index


@dataclass(frozen=True)
class ImuEvent:
    """An IMU went silent mid-stream (the firmware's IMU_STATUS)."""

    sample_index: int
    segment: str
    status: protocol.ImuStatusCode

    @property
    def message(self) -> str:
        why = "stopped answering" if self.status == protocol.ImuStatusCode.LOST else "held the I2C bus"
        return f"the {self.segment} IMU {why}; its channels are empty from here, EMG goes on"


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
        self._early: list = []
        #: a HELLO seen while streaming: the board was reset (brown-out, watchdog)
        self.reset_seen = False
        #: IMUs that went silent since the last call of take_imu_events()
        self._imu_events: list[ImuEvent] = []
        self._imu: dict[int, _ImuTrack] = {}
        self._imu_div = 0
        #: rows decoded but held until every IMU's value for them is known
        self._rows: list[tuple[int, tuple[int, ...], int]] = []
        self._seq_offset = first_index     # host index - firmware seq

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
            frames = self._frames_until(deadline)
            for i, f in enumerate(frames):
                if isinstance(f, (Samples, ImuSample, ImuStatus)):
                    self._early.append(f)
                elif isinstance(f, Hello):
                    self.hello = f
                elif isinstance(f, Ack) and f.command == command:
                    if f.status != AckStatus.OK:
                        raise SourceError(f"{self.name} refused {what} ({f.status.name}); "
                                          "check the settings or update the firmware "
                                          "(make -C arduino upload)")
                    # what came after the ACK in the same read is the stream: keep it
                    self._early.extend(frames[i + 1:])
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
        unknown = [s for s in config.imu_segments if s not in protocol.IMU_SEGMENTS]
        if unknown:
            raise SourceError(f"unknown IMU segment {unknown[0]!r}; use "
                              f"{', '.join(protocol.IMU_SEGMENTS)}")
        if config.imu_segments and config.n_motion:
            raise SourceError("I2C IMUs use A4/A5 (SDA/SCL), which the analog accelerometer "
                              "also uses: choose n_motion = 0 with IMUs (docs/hardware.md)")
        imu_mask = protocol.mask_of(config.imu_segments)
        self._send(FrameType.SET_CHANNELS, int(config.n_emg), int(config.n_motion), imu_mask)
        what = f"{config.n_emg} EMG + {config.n_motion} motion channels"
        if imu_mask:
            what += " + IMUs " + ", ".join(config.imu_segments)
        self._await_ack(FrameType.SET_CHANNELS, what)
        # Ask again so that rate, channels and pins come from the board itself.
        self.hello = None
        self._send(FrameType.INFO)
        hello = self._await_hello(time.monotonic() + ACK_TIMEOUT_S, float("inf"))
        if hello is None:
            raise SourceError(f"{self.name} did not answer INFO; flash the sketch: "
                              "make -C arduino upload")
        self._early.clear()
        self.decoder.expect(protocol.StreamShape.of(hello))
        self._send(FrameType.START)
        self.decoder.reset_sequence(0)         # START restarts the firmware's counter
        self._await_ack(FrameType.START, "START")
        self.hello = hello
        self.config = config
        self.reset_seen = False
        self._rows.clear()
        self._seq_offset = self.next_index
        self._imu = {protocol.IMU_SEGMENTS.index(s): _ImuTrack() for s in hello.imu_segments}
        self._imu_div = (hello.sample_rate_hz // hello.imu_rate_hz
                         if hello.imu_present and hello.imu_rate_hz else 0)
        return hello

    def take_imu_events(self) -> list[ImuEvent]:
        events, self._imu_events = self._imu_events, []
        return events

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

    def read_blocks(self, final: bool = False) -> list[SampleBlock]:
        """Decode what has arrived; one block per run without loss.

        Lost samples (sequence gaps) are counted in ``first_index``, so block
        times stay exact, and reported as the next block's ``lost_before``.
        With IMUs, a row is released once every answering IMU's read for it has
        arrived (at most one read, ~1-2 ms, later), so each IMU value sits at
        exactly the sample index the firmware stamped it with. ``final``: the stream
        ends here, so the rows still waiting for an IMU read are released as they are.
        """
        assert self.hello is not None and self.config is not None, "handshake first"
        data = self._read_some()
        frames: list = list(self._early)
        self._early.clear()
        if data:
            frames += self.decoder.feed(data)
        width = self.hello.n_channels
        for f in frames:
            if isinstance(f, Samples):
                if len(f.counts) != width:
                    continue
                self.next_index += f.lost_before
                self._rows.append((self.next_index, f.counts, f.lost_before))
                self._seq_offset = self.next_index - f.seq
                self.next_index += 1
            elif isinstance(f, ImuSample):
                self._imu_sample(f)
            elif isinstance(f, ImuStatus):
                self._imu_status(f)
            elif isinstance(f, Hello):
                self.reset_seen = True
        return self._release(time.monotonic(), final)

    # --- IMUs ----------------------------------------------------------------
    def _imu_sample(self, f: ImuSample) -> None:
        track = self._imu.get(f.segment)
        if track is None:
            return
        stamp = f.index + self._seq_offset
        if track.last_stamp is not None and stamp <= track.last_stamp:
            return                                  # not after the last read: not believed
        assert self.hello is not None, "handshake first"
        values = imu_counts_to_units(np.asarray(f.values)[None, :], self.hello)[0]
        track.stamps.append(stamp)
        track.values.append(values)
        track.last_stamp = stamp

    def _imu_status(self, f: ImuStatus) -> None:
        track = self._imu.get(f.segment)
        if track is None or track.lost_at is not None:
            return
        stamp = f.index + self._seq_offset
        track.lost_at = stamp
        track.stamps.append(stamp)
        track.values.append(np.full(6, np.nan))    # silent from here: no value, not a held one
        track.last_stamp = stamp
        self._imu_events.append(ImuEvent(stamp, protocol.IMU_SEGMENTS[f.segment], f.status))

    def _horizon(self) -> int | None:
        """Last row index whose IMU values are all known (None: no limit)."""
        if not self._imu or not self._rows:
            return None
        newest = self._rows[-1][0]
        limit = None
        for track in self._imu.values():
            if track.lost_at is not None:
                continue
            known = (track.last_stamp + self._imu_div - 1 if track.last_stamp is not None
                     else self._rows[0][0] - 1)
            if newest - known > IMU_OVERDUE_PERIODS * self._imu_div:
                continue                               # overdue: stop waiting for it
            limit = known if limit is None else min(limit, known)
        return limit

    def _imu_columns(self, index: np.ndarray) -> np.ndarray:
        cols = []
        for seg in sorted(self._imu):
            track = self._imu[seg]
            out = np.full((len(index), 6), np.nan)
            if track.stamps:
                stamps = np.asarray(track.stamps)
                at = np.searchsorted(stamps, index, side="right") - 1
                ok = at >= 0
                out[ok] = np.asarray(track.values)[at[ok]]
                keep = max(int(at.max()), 0)          # the value the next rows start from
                del track.stamps[:keep], track.values[:keep]
            cols.append(out)
        return np.hstack(cols)

    # --- blocks ----------------------------------------------------------------
    def _release(self, now: float, final: bool = False) -> list[SampleBlock]:
        horizon = None if final else self._horizon()
        n = len(self._rows)
        if horizon is not None:
            n = 0
            while n < len(self._rows) and self._rows[n][0] <= horizon:
                n += 1
        ready, self._rows = self._rows[:n], self._rows[n:]
        blocks: list[SampleBlock] = []
        lost_acc = self._pending_lost
        run: list[tuple[int, tuple[int, ...], int]] = []

        def flush() -> None:
            if run:
                counts = np.asarray([r[1] for r in run], dtype=np.int64)
                assert self.hello is not None and self.config is not None, "handshake first"
                data = counts_to_units(counts, self.hello, self.config)
                if self._imu:
                    index = np.asarray([r[0] for r in run], dtype=np.int64)
                    data = np.hstack([data, self._imu_columns(index)])
                blocks.append(SampleBlock(run[0][0], data, lost_before=run_lost, host_time_s=now))
                run.clear()

        run_lost = 0
        for row in ready:
            if row[2]:
                flush()
                lost_acc += row[2]
            if not run:
                run_lost, lost_acc = lost_acc, 0
            run.append(row)
        flush()
        self._pending_lost = lost_acc
        return blocks
