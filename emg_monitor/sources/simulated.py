"""The simulated athlete as a live source, through the emulated board and the real decoder.

``realtime=True`` paces the stream at wall-clock time x ``speed`` in blocks of
~20 ms and runs forever (after the planned session the athlete stands quietly)
unless ``duration_s`` is given. ``realtime=False`` produces as fast as possible
and is finite: it ends after ``duration_s`` (default: the planned session,
``athlete.duration_s``) with an END event.
"""
from __future__ import annotations

import time
from dataclasses import replace

from ..model import DeviceConfig, DeviceInfo, EventKind, Kind, SampleBlock
from ..sim.athlete import Athlete, AthleteConfig
from ..sim.device import DeviceEmulator, EmulatorPort
from .base import BLOCK_S, Source
from ..device import info_from_hello
from .board import BoardLink, ImuEvent, copy_link_stats

#: most stream time produced per read: after a stall the stream catches up in
#: blocks of at most this length instead of one huge block
MAX_BLOCK_S = 0.25
#: stream time rendered, encoded and decoded at once when paced: the athlete's filters,
#: the frame encoder and the decoder cost about as much per call as per 100 ms of signal,
#: so the batch is made once and handed out in BLOCK_S slices at wall-clock pace, as
#: before. A task is always asked for seconds ahead (the wizard's countdowns), never
#: inside a batch already made.
AHEAD_S = 0.1


class SimulatedSource(Source):
    """Capabilities: ``Paced``, ``ScriptedCalibration``, ``GroundTruth`` (sources/base.py)."""

    def __init__(self, config: AthleteConfig | None = None,
                 device_config: DeviceConfig = DeviceConfig(), realtime: bool = True,
                 speed: float = 1.0, duration_s: float | None = None,
                 drop_every: int = 0, corrupt_every: int = 0) -> None:
        super().__init__()
        config = config or AthleteConfig()
        envelope = config.envelope_output or device_config.emg_kind == Kind.ENVELOPE
        # the athlete is sampled at the board's rate, in the units the board expects
        self.device_config = replace(device_config,
                                     emg_kind=Kind.ENVELOPE if envelope else Kind.RAW_EMG)
        self.athlete = Athlete(replace(config, envelope_output=envelope,
                                       sample_rate_hz=float(device_config.sample_rate_hz)))
        self.realtime = bool(realtime)
        self.speed = float(speed)
        if duration_s is None and not realtime:
            duration_s = self.athlete.duration_s
        self.duration_s = duration_s
        self.emulator = DeviceEmulator(self.athlete, self.device_config,
                                       drop_every=drop_every, corrupt_every=corrupt_every)
        self._port: EmulatorPort | None = None
        self._link: BoardLink | None = None
        self._produced = 0                   # samples through the board and the decoder
        self._delivered = 0                  # stream index handed out up to (paced)
        self._ready: list[SampleBlock] = []
        self._events: list[ImuEvent] = []    # the board's IMU messages, not said yet
        self._total: int | None = 0
        self._t0 = 0.0

    @property
    def truth(self) -> list:
        """``GroundTruth``: the reps the athlete really performed."""
        return self.athlete.truth

    def perform_task(self, kind: str, start_index: int, n_samples: int) -> None:
        """``PerformsTasks``: the simulated athlete does a calibration task when the wizard
        asks; stream index i is the athlete's sample i."""
        fs = float(self.athlete.fs)
        self.athlete.perform(kind, start_index / fs, n_samples / fs)

    @property
    def calibration_tasks(self) -> tuple:
        """``ScriptedCalibration``: the rest/MVC segments the athlete performs, () if none."""
        return tuple(self.athlete.tasks)

    def _open(self) -> DeviceInfo:
        self._port = EmulatorPort(self.emulator)
        self._link = BoardLink(self._port, name="the simulated board")
        hello = self._link.handshake(self.device_config, timeout_s=2.0)
        self.athlete = self.emulator.source if isinstance(self.emulator.source, Athlete) \
            else self.athlete
        rate = float(hello.sample_rate_hz)
        self._total = (int(round(self.duration_s * rate)) if self.duration_s is not None
                       else None)
        self._produced = self._delivered = 0
        self._ready, self._events = [], []
        self._t0 = time.monotonic()
        ex = self.athlete.config.exercise
        return info_from_hello(hello, self.device_config,
                               f"simulated athlete ({ex}, seed {self.athlete.config.seed})")

    def _read(self, timeout_s: float) -> list[SampleBlock]:
        assert self._port is not None and self._link is not None
        rate = float(self.emulator.sample_rate_hz)
        if self._total is not None and self._produced >= self._total and not self._ready:
            raise StopIteration
        if not self.realtime:
            blocks = self._produce(max(1, int(rate * 0.1)))
            self._say_events(self._produced)
            return blocks

        def due() -> int:
            return int((time.monotonic() - self._t0) * rate * self.speed) - self._delivered
        if due() < int(rate * BLOCK_S):
            time.sleep(min(BLOCK_S, max(0.0, (int(rate * BLOCK_S) - due()) / (rate * self.speed))))
        n = min(due(), int(rate * MAX_BLOCK_S))
        if self._total is not None:
            n = min(n, self._total - self._delivered)
        if n <= 0:
            return []
        until = self._delivered + n
        if self._produced < until:
            self._ready += self._produce(max(until - self._produced, int(rate * AHEAD_S)))
        return self._hand_out(until)

    def _produce(self, n: int) -> list[SampleBlock]:
        """n more samples through the emulated board and the decoder."""
        assert self._port is not None and self._link is not None
        if self._total is not None:
            n = min(n, self._total - self._produced)
        if n <= 0:
            return []
        self._port.pump(n)
        self._produced += n
        blocks = self._link.read_blocks(final=self._total is not None and
                                        self._produced >= self._total)
        copy_link_stats(self.stats, self._link)
        self._events += self._link.take_imu_events()
        return blocks

    def _say_events(self, until: int) -> None:
        """The board's IMU messages before ``until`` (the end of what this read hands out),
        said with that read, before its blocks: after the samples before them, before the
        samples at their index, not a batch ahead."""
        while self._events and self._events[0].sample_index < until:
            ev = self._events.pop(0)
            self._event(EventKind.INFO, ev.sample_index, ev.message)

    def _hand_out(self, until: int) -> list[SampleBlock]:
        """The decoded samples before stream index ``until``, received now (a block is cut
        where ``until`` falls)."""
        now = time.monotonic()
        out: list[SampleBlock] = []
        while self._ready and self._ready[0].first_index < until:
            block = self._ready.pop(0)
            k = until - block.first_index
            if block.n > k:
                self._ready.insert(0, replace(block, first_index=until, data=block.data[k:],
                                              lost_before=0))
                block = replace(block, data=block.data[:k])
            out.append(replace(block, host_time_s=now))
        self._delivered = until
        if out:
            self._say_events(out[-1].first_index + out[-1].n)
        return out

    def _end_index(self) -> int:
        return self._link.next_index if self._link is not None else 0

    def _close(self) -> None:
        if self._link is not None:
            self._link.stop_streaming()
