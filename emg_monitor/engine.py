"""The acquisition-thread glue: pipeline, quality, motion, reps and sets behind one Listener.

A source calls :class:`Engine` on its acquisition thread; the engine runs the
same streaming code the offline analysis runs (``analysis.py``) and fans the
results out to its own listeners: the display buffer for the GUI, the
recorder, rep tables. Requests from other threads (start/stop a set, a new
calibration, exercise or target, a replay seek) are queued and applied between
blocks, so the DSP state is only ever touched by one thread.

Settings change in place (mne-lsl style): a calibration rescales the envelope
without touching the filter state or the mains decision; an exercise or target
change gives the rep detector new limits while the filters run on; rep and set
numbers live in one :class:`~.sets.SetTracker` that is never rebuilt. A seek is
an explicit :meth:`Engine.reset`. A signal gap or a disconnection ends a rep's
lockout where the signal stopped (never a rep spanning the hole) and is noted
on the open set.
"""
from __future__ import annotations

import logging
import math
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
from .hip.neutral import HipNeutral
from .hip.step import HIP_TOP_AT, HipStep
from .model import DeviceInfo, EventKind, RepResult, SampleBlock, SourceEvent, TopCue
from .motion import MotionTracker
from .reps import RepDetector, faults_from_issues
from .ringbuffer import RingBuffer
from .sets import SetOutput, SetRecord, SetRules, SetTracker, set_activity
from .sources.base import Listener

log = logging.getLogger(__name__)

#: a hole in the stream at least this long ends the rep detector's cycle: a lockout
#: cannot be judged across it (shorter losses are NaN rows the detector skips)
GAP_RESET_S = 0.25
GAP_FLAG = "signal_gap"                        # the lockout was cut by lost signal
CALIBRATION_FLAG = "calibration_changed"       # ... by a new calibration (amplitudes before it)
SETTINGS_FLAG = "settings_changed"             # ... by an exercise or target change


@dataclass(frozen=True)
class ProcessedChunk:
    first_index: int
    sample_rate_hz: float
    emg_names: tuple[str, ...]
    filtered: np.ndarray             # (n, n_emg), channel units
    envelope: np.ndarray             # (n, n_emg), envelope_unit
    envelope_unit: str
    angle_deg: np.ndarray | None     # (n,) the detector's angle (hip angle when the IMUs give
                                     # one, else trunk), or None without a motion channel
    hip_deg: np.ndarray | None = None     # (n,) hip flexion from neutral (NaN: not yet known)
    lumbar_deg: np.ndarray | None = None  # (n,) with a thorax IMU
    hip_status: str = ""             # one line on the hip angle ("" = fine; docs/hip.md)


class EngineListener:
    """Receives the engine's output, on the acquisition thread."""

    def on_processed(self, chunk: ProcessedChunk) -> None: ...
    def on_top(self, cue: TopCue) -> None: ...
    def on_rep(self, rep: RepResult) -> None: ...
    def on_quality(self, issues: dict) -> None: ...
    def on_set(self, record: SetRecord) -> None: ...
    def on_listener_failed(self, failure: ListenerFailure) -> None: ...


@dataclass
class EngineSettings:
    filters: FilterSettings = field(default_factory=FilterSettings)
    calibration: Calibration | None = None
    exercise: str = "deadlift"
    top_at: str | None = None        # None: the exercise's own (trunk upright = min; hip thrust: max)
    target_ratio: float | None = None
    use_motion: bool | None = None   # None: use it when the device has motion channels
    set_rules: SetRules = field(default_factory=SetRules)
    rep_limits: dict = field(default_factory=dict)   # RepDetector overrides (min_rom_deg, ...)
    #: a replay's recorded set records: the replay shows their numbers (sets.SetTracker.preload)
    known_sets: tuple[SetRecord, ...] = ()
    hip_neutral: HipNeutral | None = None   # the athlete's own neutral (profile); None: relaxed stand


class Engine(Listener):
    def __init__(self, settings: EngineSettings | None = None) -> None:
        self.settings = settings or EngineSettings()
        get_exercise(self.settings.exercise)
        self._fanout: FanOut[object] = FanOut("engine")   # EngineListener-like objects
        self._requests: "queue.SimpleQueue[Callable[[], None]]" = queue.SimpleQueue()
        self.info: DeviceInfo | None = None
        self.pipeline: Pipeline | None = None
        self.motion: MotionTracker | None = None
        self.reps: RepDetector | None = None
        self.hip: HipStep | None = None
        self.hip_status = ""
        self._reps_on_hip = False
        self.reps_on_hip_seen = False                # reps came from the hip angle at some point
        self.quality: QualityMonitor | None = None
        self.sets: SetTracker | None = None
        self.latest_issues: dict = {}
        self.error: BaseException | None = None      # the last request that could not be applied
        self._next_index: int | None = None
        self._use_motion = False
        self._early: list[Callable[[], None]] = []   # requests made before the device announced itself

    # --- wiring ----------------------------------------------------------------
    def add_listener(self, listener: object) -> None:
        self._fanout.add(listener)

    def remove_listener(self, listener: object) -> None:
        self._fanout.remove(listener)

    @property
    def failures(self) -> list[ListenerFailure]:
        """Engine listeners (recorder, LSL outlet, display) that raised and were detached."""
        return list(self._fanout.failures)

    def _notify(self, method: str, *args) -> None:
        # a failing consumer is detached and reported; the others and acquisition go on
        self._fanout.notify(method, *args)

    # --- state read from other threads ---------------------------------------
    @property
    def use_motion(self) -> bool:
        return self._use_motion

    @property
    def set_active(self) -> bool:
        return self.sets is not None and self.sets.open is not None

    @property
    def set_index(self) -> int:
        """The open set's number, else the last set's (0: none yet)."""
        if self.sets is None:
            return 0
        if self.sets.open is not None:
            return self.sets.open.set_index
        return len(self.sets.records)

    # --- requests from other threads (applied between blocks) --------------------
    def start_set(self, at_index: int | None = None) -> None:
        """The space bar / button: a set begins (at ``at_index``, else the next block)."""
        self._requests.put(lambda: self._sets_out(
            self.sets.start(self._t(at_index), self.settings.exercise)))

    def stop_set(self, at_index: int | None = None) -> None:
        self._requests.put(lambda: self._sets_out(self.sets.stop(self._t(at_index))))

    def set_calibration(self, calibration: Calibration | None) -> None:
        if self.info is not None:          # an unusable calibration fails on the caller's thread
            Pipeline(self.info, self.settings.filters, calibration)
        self._requests.put(lambda: self._do_calibration(calibration))

    def set_exercise(self, exercise: str) -> None:
        get_exercise(exercise)                   # validate on the caller's thread
        self._requests.put(lambda: self._do_detector_change(exercise=exercise))

    def set_hip_neutral(self, neutral: HipNeutral | None) -> None:
        """The athlete's hip neutral (from the profile or the wizard) from the next block."""
        self._requests.put(lambda: self._do_hip_neutral(neutral))

    def set_target(self, target_ratio: float | None) -> None:
        if target_ratio is not None and not (math.isfinite(target_ratio) and target_ratio > 0):
            raise ValueError(f"the target ratio must be a positive number (got {target_ratio})")
        self._requests.put(lambda: self._do_detector_change(target_ratio=target_ratio))

    def reset(self, at_index: int) -> None:
        """A jump in the stream (a replay seek to ``at_index``): filter, motion and rep state
        belong to the old position and are dropped; the mains decision, the calibration and
        every rep and set number stay."""
        self._requests.put(lambda: self._do_reset(int(at_index)))

    def _apply_requests(self) -> None:
        while True:
            try:
                request = self._requests.get_nowait()
            except queue.Empty:
                return
            if self.sets is None:                 # before the device announced itself
                self._early.append(request)
                continue
            try:
                request()
            except Exception as exc:              # a bad request must not stop acquisition
                log.exception("engine request failed")
                self.error = exc

    def _t(self, index: int | None) -> float:
        i = self._next_index if index is None else index
        return (i or 0) / self.info.sample_rate_hz

    def _do_calibration(self, calibration: Calibration | None) -> None:
        self.pipeline.set_calibration(calibration)   # raises (nothing changed) if unusable
        self.settings = replace(self.settings, calibration=calibration)
        self._new_detector(CALIBRATION_FLAG)      # amplitudes from here on are in the new unit

    def _do_detector_change(self, **changes) -> None:
        old = self.settings.exercise
        self.settings = replace(self.settings, **changes)
        self._new_detector(SETTINGS_FLAG)
        if self.settings.exercise != old:
            self._sets_out(self.sets.change_exercise(get_exercise(self.settings.exercise).name,
                                                     self._t(None)))

    def _do_hip_neutral(self, neutral: HipNeutral | None) -> None:
        self.settings = replace(self.settings, hip_neutral=neutral)
        if self.hip is not None:
            self.hip.set_neutral(neutral)

    def _do_reset(self, at_index: int) -> None:
        self.pipeline.clear_state()
        self._build_trackers()
        self.sets.seek(at_index / self.info.sample_rate_hz)
        self._next_index = at_index

    # --- Listener (acquisition thread) -----------------------------------------
    def on_info(self, info: DeviceInfo) -> None:
        same = (self.info is not None and info.channels == self.info.channels
                and info.sample_rate_hz == self.info.sample_rate_hz)
        self.info = info
        if same:                                  # re-announced (a reconnect): nothing changes
            return
        self.pipeline = Pipeline(info, self.settings.filters, self.settings.calibration)
        self._build_trackers()
        if self.sets is None or self.sets.fs != info.sample_rate_hz:
            self.sets = SetTracker(info.sample_rate_hz, self.settings.set_rules)
            self.sets.preload(self.settings.known_sets)
        early, self._early = self._early, []
        for request in early:
            self._requests.put(request)

    def _build_trackers(self) -> None:
        info = self.info
        assert info is not None, "on_info first"
        has_motion = bool(info.motion_indices())
        s = self.settings
        self._use_motion = has_motion if s.use_motion is None else (s.use_motion and has_motion)
        self.motion = MotionTracker(info, top_at=self._top_at()) if self._use_motion else None
        self.hip = None
        if info.imu_indices():
            ex = get_exercise(s.exercise)
            self.hip = HipStep(info, ex, s.target_ratio or ex.target_ratio, s.hip_neutral)
        self._reps_on_hip = False
        self.reps = self._detector()
        self.quality = QualityMonitor(info, s.filters)

    def _top_at(self) -> str:
        return self.settings.top_at or get_exercise(self.settings.exercise).top_at

    def _detector(self) -> RepDetector:
        """Reps and tops from the hip angle once the IMUs are aligned (a still stand), else
        from the trunk angle or the EMG (docs/reps-and-ratio.md, "the hip angle")."""
        s, p = self.settings, self.pipeline
        assert self.info is not None, "on_info first"
        exercise: Exercise = get_exercise(s.exercise)
        if self.hip is not None:
            self.hip.set_exercise(exercise, s.target_ratio or exercise.target_ratio)
        on_hip = self._reps_on_hip
        det = RepDetector(self.info, p.emg_names, amplitude_unit=p.envelope_unit,
                          calibrated=p.calibrated, exercise=exercise,
                          sample_rate_hz=self.info.sample_rate_hz,
                          use_motion=self._use_motion or on_hip,
                          top_at=HIP_TOP_AT if on_hip else self._top_at(),
                          target_ratio=s.target_ratio, **s.rep_limits)
        faults = faults_from_issues(self.latest_issues)     # a rebuilt detector keeps them
        det.set_channel_faults({k: v for k, v in faults.items() if k in p.emg_names})
        return det

    def _hip_angles(self, block: SampleBlock):
        """The hip step's angles for this block; switches the detector to the hip angle when
        the IMUs become aligned (and back when they are lost)."""
        if self.hip is None:
            return None
        hip = self.hip.process(block.first_index, block.data)
        wanted = self.hip.tracker.aligned and self.settings.use_motion is not False
        if wanted != self._reps_on_hip:
            self._publish(self.reps.flush())      # a rep in its lockout ends on the old angle
            self._reps_on_hip = wanted
            self.reps_on_hip_seen |= wanted
            self.reps = self._detector()
        self.hip_status = self.hip.message
        return hip

    def on_block(self, block: SampleBlock) -> None:
        self._apply_requests()
        if self.pipeline is None or self.info is None:
            return
        fs = self.info.sample_rate_hz
        if self._next_index is not None and block.first_index != self._next_index:
            if block.first_index < self._next_index:          # went back: a seek not announced
                self._do_reset(block.first_index)
            elif block.first_index - self._next_index >= GAP_RESET_S * fs:
                self._cut_rep_cycle()
                self._sets_out(self.sets.interrupt((block.first_index - self._next_index) / fs))
        self._next_index = block.first_index + block.n
        processed = self.pipeline.process(block.data)
        angle = self.motion.process(block.data) if self.motion is not None else None
        hip = self._hip_angles(block)
        if hip is not None and self._reps_on_hip:
            angle = hip.hip_deg
        chunk = ProcessedChunk(block.first_index, fs, self.pipeline.emg_names,
                               processed.filtered, processed.envelope,
                               self.pipeline.envelope_unit, angle,
                               hip.hip_deg if hip is not None else None,
                               hip.lumbar_deg if hip is not None else None, self.hip_status)
        self._notify("on_processed", chunk)
        issues = self.quality.update(block.data)
        if issues != self.latest_issues:
            self.latest_issues = issues
            self.reps.set_channel_faults(faults_from_issues(issues))   # no verdict from them
            self._notify("on_quality", issues)
        self.sets.observe(block.first_index, set_activity(processed.envelope),
                          self.pipeline.envelope_unit)
        reps = self.reps.update(block.first_index, processed.envelope, angle)
        for cue in self.reps.take_cues():        # the top is reached: the lifter can still squeeze
            self._notify("on_top", self.hip.cue(cue) if self.hip is not None else cue)
        self._publish(reps)
        self._sets_out(self.sets.decide())

    def _publish(self, reps: list[RepResult], extra_flags: tuple[str, ...] = ()) -> None:
        flags = tuple(sorted({f"{name}:{issue.flag.value}"
                              for name, found in self.latest_issues.items() for issue in found}))
        for rep in reps:
            if self.hip is not None:
                rep = self.hip.score(rep)
            rep = replace(rep, quality_flags=tuple(rep.quality_flags) + flags + extra_flags)
            self._sets_out(self.sets.rep(rep))

    def _sets_out(self, outputs: list[SetOutput]) -> None:
        for item in outputs:
            if isinstance(item, RepResult):
                self._notify("on_rep", item)
            else:
                self._notify("on_set", item)

    def _new_detector(self, flag: str) -> None:
        """A new rep detector from here on. A rep still in its lockout is complete where the
        old one stopped (flagged ``flag``): a setting changed mid-set never costs a rep."""
        if self.reps is not None:
            self._publish(self.reps.flush(), (flag,))
        self.reps = self._detector()

    def _cut_rep_cycle(self) -> None:
        """The signal stopped: a rep in its lockout ends where the signal did, flagged; no
        cycle continues across the hole."""
        self._new_detector(GAP_FLAG)

    def on_event(self, event: SourceEvent) -> None:
        self._apply_requests()
        if self.sets is None:
            return
        if event.kind == EventKind.END:
            # a finite source (replay) ended: a rep still in its lockout is complete
            self._publish(self.reps.flush())
            self._sets_out(self.sets.finish())
        elif event.kind == EventKind.DISCONNECTED:
            self._cut_rep_cycle()
        elif event.kind == EventKind.GAP and event.duration_s >= GAP_RESET_S:
            self._cut_rep_cycle()

    def on_stop(self) -> None:
        """The source stopped (closed, failed or ended): the open set is complete."""
        self._apply_requests()
        if self.sets is not None:
            self._sets_out(self.sets.finish())


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
    """

    def __init__(self, seconds: float = 10.0, display_rate_hz: float = 100.0) -> None:
        self.seconds = seconds
        self.display_rate_hz = display_rate_hz
        self.envelope: RingBuffer | None = None       # columns: t_s, envelopes..., angle
        self.peak: RingBuffer | None = None           # columns: t_s, minima..., maxima...
        self.emg_names: tuple[str, ...] = ()
        self.envelope_unit = ""
        self._step = 1
        self._tail = np.empty((0, 0))                 # filtered rows of the unfinished bucket
        self._next_index = 0                          # stream index the next chunk continues at
        self.reps: list[RepResult] = []
        self.issues: dict = {}
        self.hip_available = False                    # the device has hip IMUs (pelvis + thigh)
        self.latest_hip_deg = float("nan")            # the hip angle now (NaN: none)
        self.angle_is_hip = False                     # the angle column is the hip angle
        self.hip_status = ""                          # the engine's hip message
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
            self._tail = np.empty((0, n_emg))
        n = chunk.envelope.shape[0]
        self.hip_available = chunk.hip_deg is not None
        if chunk.hip_deg is not None and n:
            self.latest_hip_deg = float(chunk.hip_deg[-1])
        self.angle_is_hip = chunk.hip_deg is not None and chunk.angle_deg is chunk.hip_deg
        self.hip_status = chunk.hip_status
        if chunk.first_index != self._next_index:     # a gap or a seek: start a new bucket
            self._tail = np.empty((0, n_emg))
        self._next_index = chunk.first_index + n
        t = (chunk.first_index + np.arange(n)) / chunk.sample_rate_hz
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
