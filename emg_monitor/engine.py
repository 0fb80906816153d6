"""The acquisition-thread glue: pipeline, quality, motion and reps behind one Listener.

A source calls :class:`Engine` on its acquisition thread; the engine runs the
same streaming code the offline analysis runs (``analysis.py``) and fans the
results out to its own listeners: the display buffer for the GUI, the
recorder, rep tables. Requests from other threads (new set, new
calibration, new exercise) are queued and applied between blocks, so the
DSP state is only ever touched by one thread.
"""
from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from .dsp.calibration import Calibration
from .dsp.pipeline import FilterSettings, Pipeline
from .dsp.quality import QualityMonitor
from .exercises import Exercise, get_exercise
from .fanout import FanOut, ListenerFailure
from .model import DeviceInfo, EventKind, RepResult, SampleBlock, SourceEvent
from .motion import MotionTracker
from .reps import RepDetector
from .ringbuffer import RingBuffer
from .sources.base import Listener

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProcessedChunk:
    first_index: int
    sample_rate_hz: float
    emg_names: tuple[str, ...]
    filtered: np.ndarray             # (n, n_emg), channel units
    envelope: np.ndarray             # (n, n_emg), envelope_unit
    envelope_unit: str
    angle_deg: np.ndarray | None     # (n,) or None without a motion channel


class EngineListener:
    """Receives the engine's output, on the acquisition thread."""

    def on_processed(self, chunk: ProcessedChunk) -> None: ...
    def on_rep(self, rep: RepResult) -> None: ...
    def on_quality(self, issues: dict) -> None: ...
    def on_set(self, set_index: int, active: bool) -> None: ...
    def on_listener_failed(self, failure: ListenerFailure) -> None: ...


@dataclass
class EngineSettings:
    filters: FilterSettings = field(default_factory=FilterSettings)
    calibration: Calibration | None = None
    exercise: str = "deadlift"
    top_at: str | None = None        # None: the exercise's own (trunk upright = min; hip thrust: max)
    target_ratio: float | None = None
    use_motion: bool | None = None   # None: use it when the device has motion channels


class Engine(Listener):
    def __init__(self, settings: EngineSettings | None = None) -> None:
        self.settings = settings or EngineSettings()
        self._fanout: FanOut[EngineListener] = FanOut("engine")
        self._requests: "queue.SimpleQueue[Callable[[], None]]" = queue.SimpleQueue()
        self.info: DeviceInfo | None = None
        self.pipeline: Pipeline | None = None
        self.motion: MotionTracker | None = None
        self.reps: RepDetector | None = None
        self.quality: QualityMonitor | None = None
        self.set_index = 0
        self.set_active = False
        self.latest_issues: dict = {}

    # --- wiring ----------------------------------------------------------------
    def add_listener(self, listener: EngineListener) -> None:
        self._fanout.add(listener)

    def remove_listener(self, listener: EngineListener) -> None:
        self._fanout.remove(listener)

    @property
    def failures(self) -> list[ListenerFailure]:
        """Engine listeners (recorder, LSL outlet, display) that raised and were detached."""
        return list(self._fanout.failures)

    def _notify(self, method: str, *args) -> None:
        # a failing consumer is detached and reported; the others and acquisition go on
        self._fanout.notify(method, *args)

    # --- requests from other threads (applied between blocks) --------------------
    def start_set(self) -> None:
        self._requests.put(self._do_start_set)

    def stop_set(self) -> None:
        self._requests.put(self._do_stop_set)

    def set_calibration(self, calibration: Calibration | None) -> None:
        self._requests.put(lambda: self._reconfigure(calibration=calibration))

    def set_exercise(self, exercise: str) -> None:
        get_exercise(exercise)                   # validate on the caller's thread
        self._requests.put(lambda: self._reconfigure(exercise=exercise))

    def _apply_requests(self) -> None:
        while True:
            try:
                request = self._requests.get_nowait()
            except queue.Empty:
                return
            request()

    def _do_start_set(self) -> None:
        self.set_index += 1
        self.set_active = True
        if self.reps is not None:
            self.reps.new_set(self.set_index)
        self._notify("on_set", self.set_index, True)

    def _do_stop_set(self) -> None:
        if self.set_active:
            self.set_active = False
            self._notify("on_set", self.set_index, False)

    def _reconfigure(self, **changes) -> None:
        self.settings = replace(self.settings, **changes)
        if self.info is not None:
            self._build(self.info)

    # --- Listener (acquisition thread) -----------------------------------------
    def on_info(self, info: DeviceInfo) -> None:
        self._build(info)

    def _build(self, info: DeviceInfo) -> None:
        s = self.settings
        self.info = info
        exercise: Exercise = get_exercise(s.exercise)
        self.pipeline = Pipeline(info, s.filters, s.calibration)
        has_motion = bool(info.motion_indices())
        use_motion = has_motion if s.use_motion is None else (s.use_motion and has_motion)
        top_at = s.top_at or exercise.top_at
        self.motion = MotionTracker(info, top_at=top_at) if use_motion else None
        self.reps = RepDetector(info, self.pipeline.emg_names,
                                amplitude_unit=self.pipeline.envelope_unit,
                                calibrated=self.pipeline.calibrated, exercise=exercise,
                                sample_rate_hz=info.sample_rate_hz, use_motion=use_motion,
                                top_at=top_at, target_ratio=s.target_ratio)
        if self.set_index:
            self.reps.new_set(self.set_index)
        self.quality = QualityMonitor(info, s.filters)

    def on_block(self, block: SampleBlock) -> None:
        self._apply_requests()
        if self.pipeline is None or self.info is None:
            return
        processed = self.pipeline.process(block.data)
        angle = self.motion.process(block.data) if self.motion is not None else None
        chunk = ProcessedChunk(block.first_index, self.info.sample_rate_hz,
                               self.pipeline.emg_names, processed.filtered, processed.envelope,
                               self.pipeline.envelope_unit, angle)
        self._notify("on_processed", chunk)
        issues = self.quality.update(block.data)
        if issues != self.latest_issues:
            self.latest_issues = issues
            self._notify("on_quality", issues)
        self._publish(self.reps.update(block.first_index, processed.envelope, angle))

    def _publish(self, reps: list[RepResult]) -> None:
        flags = tuple(sorted({f"{name}:{issue.flag.value}"
                              for name, found in self.latest_issues.items() for issue in found}))
        for rep in reps:
            self._notify("on_rep", replace(rep, quality_flags=tuple(rep.quality_flags) + flags))

    def on_event(self, event: SourceEvent) -> None:
        if event.kind == EventKind.END and self.reps is not None:
            # a finite source (replay) ended: a rep still in its lockout is complete
            self._publish(self.reps.flush())


class DisplayBuffer(EngineListener):
    """What the GUI draws, reduced once here on the acquisition thread so the GUI timer
    only copies ~pixel-width arrays.

    Every ``step`` samples (``sample_rate_hz / display_rate_hz``, 20 at 2 kHz) close one
    bucket; each bucket adds one row to

    - ``envelope`` — t_s, envelope per EMG channel, angle_deg: the values at the bucket's
      last sample (envelopes are smooth at ~100 Hz, so picking loses nothing visible);
    - ``peak`` — t_s, filtered minimum per EMG channel, filtered maximum per channel: the
      band-passed EMG's extremes within the bucket. Drawn as min/max pairs this is what a
      full-rate trace looks like at one bucket per pixel (a dense band whose edges are the
      true peaks), while plain decimation of 20-450 Hz EMG would alias.

    ``filtered`` keeps the full-rate filtered EMG (t_s, filtered...) for consumers that
    need every sample; the dashboard draws ``peak``.
    """

    def __init__(self, seconds: float = 10.0, display_rate_hz: float = 100.0) -> None:
        self.seconds = seconds
        self.display_rate_hz = display_rate_hz
        self.envelope: RingBuffer | None = None       # columns: t_s, envelopes..., angle
        self.filtered: RingBuffer | None = None       # columns: t_s, filtered...
        self.peak: RingBuffer | None = None           # columns: t_s, minima..., maxima...
        self.emg_names: tuple[str, ...] = ()
        self.envelope_unit = ""
        self._step = 1
        self._tail = np.empty((0, 0))                 # filtered rows of the unfinished bucket
        self._next_index = 0                          # stream index the next chunk continues at
        self.reps: list[RepResult] = []
        self.issues: dict = {}
        self._lock = threading.Lock()

    @property
    def step(self) -> int:
        """Samples per display bucket."""
        return self._step

    def on_processed(self, chunk: ProcessedChunk) -> None:
        n_emg = len(chunk.emg_names)
        if (self.envelope is None or chunk.emg_names != self.emg_names
                or chunk.envelope_unit != self.envelope_unit):   # e.g. calibration applied
            fs = chunk.sample_rate_hz
            self.emg_names = chunk.emg_names
            self.envelope_unit = chunk.envelope_unit
            self._step = max(1, int(round(fs / self.display_rate_hz)))
            rows = int(self.seconds * fs / self._step) + 1
            self.envelope = RingBuffer(rows, n_emg + 2)
            self.peak = RingBuffer(rows, 2 * n_emg + 1)
            self.filtered = RingBuffer(int(self.seconds * fs) + 1, n_emg + 1)
            self._tail = np.empty((0, n_emg))
        n = chunk.envelope.shape[0]
        if chunk.first_index != self._next_index:     # a gap or a seek: start a new bucket
            self._tail = np.empty((0, n_emg))
        self._next_index = chunk.first_index + n
        t = (chunk.first_index + np.arange(n)) / chunk.sample_rate_hz
        self.filtered.append(np.column_stack([t, chunk.filtered]))
        k, held = self._step, self._tail.shape[0]
        pick = np.arange(k - 1 - held, n, k)          # the last sample of each finished bucket
        joined = np.concatenate([self._tail, chunk.filtered]) if held else chunk.filtered
        m = pick.size
        self._tail = joined[m * k:].copy()
        if m == 0:
            return
        buckets = joined[:m * k].reshape(m, k, n_emg)
        angle = chunk.angle_deg[pick] if chunk.angle_deg is not None else np.full(m, np.nan)
        self.envelope.append(np.column_stack([t[pick], chunk.envelope[pick], angle]))
        self.peak.append(np.column_stack([t[pick], buckets.min(axis=1), buckets.max(axis=1)]))

    def on_rep(self, rep: RepResult) -> None:
        with self._lock:
            self.reps.append(rep)

    def on_quality(self, issues: dict) -> None:
        with self._lock:
            self.issues = issues

    def reps_snapshot(self) -> list[RepResult]:
        with self._lock:
            return list(self.reps)
