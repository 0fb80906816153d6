"""The streaming rep detector: tops (motion or EMG) + scoring -> RepResult and TopCue.

``update(first_index, envelope, angle_deg)`` returns the reps whose lockout ended in
this chunk; ``take_cues()`` afterwards returns the tops reached in it (the live cue,
while the lifter can still squeeze), each before its rep. The state machines run on
every ``step``-th absolute sample (~100 Hz), so the result does not depend on how the
stream is chunked.
"""
from __future__ import annotations

import math

import numpy as np

from ..exercises import Exercise
from ..model import DeviceInfo, RepResult, RepStatus, TopCue
from .emg_tops import EmgTops
from .history import History
from .motion_tops import Arrival, Cycle, MotionTops
from .params import DECISION_RATE_HZ, RepParams
from .scoring import RepScorer, assign_roles

MAX_HISTORY_S = 40.0


class RepDetector:
    """Streaming rep detector.

    ``info``/``emg_names`` say which envelope column is which muscle and side (the
    pipeline's ``emg_names`` order); ``amplitude_unit``/``calibrated`` come from the
    pipeline. ``use_motion`` chooses the angle method (``angle_deg`` must then be given
    to ``update``); ``top_at`` "min" for trunk inclination, "max" when the top is the
    largest angle. ``target_ratio``, ``min_rom_deg``, ``min_rep_s``, ``lockout_window_s``,
    ``lockout_max_s`` override the exercise's; ``params`` replaces all constants.
    ``upright_deg``: the athlete's upright angle when known (else learned, see
    motion_tops.py). Numbering: ``rep``/``set_index`` are provisional (the set records
    own them); ``new_set`` restarts the provisional count.
    """

    def __init__(self, info: DeviceInfo, emg_names: tuple[str, ...], amplitude_unit: str,
                 calibrated: bool, exercise: Exercise, sample_rate_hz: float, use_motion: bool,
                 top_at: str = "min", target_ratio: float | None = None, *,
                 min_rom_deg: float | None = None, min_rep_s: float | None = None,
                 lockout_window_s: float | None = None, lockout_max_s: float | None = None,
                 quality_flags: tuple[str, ...] = (), params: RepParams | None = None,
                 upright_deg: float | None = None) -> None:
        if top_at not in ("min", "max"):
            raise ValueError(f"top-at must be 'min' or 'max' (got {top_at!r})")
        if not (isinstance(sample_rate_hz, (int, float)) and math.isfinite(sample_rate_hz)
                and sample_rate_hz > 0):
            raise ValueError("the repetition detector needs a positive, finite sampling rate")
        if upright_deg is not None and not math.isfinite(upright_deg):
            raise ValueError("upright_deg must be a finite angle")
        self.params = params or RepParams.for_exercise(
            exercise, target_ratio=target_ratio, min_rom_deg=min_rom_deg, min_rep_s=min_rep_s,
            lockout_window_s=lockout_window_s, lockout_max_s=lockout_max_s)
        self.fs = float(sample_rate_hz)
        self.exercise = exercise
        self.emg_names = tuple(emg_names)
        self.use_motion = bool(use_motion)
        self.sign = 1.0 if top_at == "min" else -1.0
        self.target_ratio = self.params.target_ratio
        self.scorer = RepScorer(assign_roles(info, self.emg_names), self.params, amplitude_unit,
                                calibrated, quality_flags, self.emg_names)
        self._n_emg = len(self.emg_names)
        self._hist = History(self._n_emg + 1, max_gap_rows=int(MAX_HISTORY_S * self.fs))
        self.step = max(1, int(round(self.fs / DECISION_RATE_HZ)))
        self.set_index = 1
        self.rep_count = 0
        self._cues: list[TopCue] = []
        if self.use_motion:
            upright = None if upright_deg is None else self.sign * float(upright_deg)
            self.tops: MotionTops | EmgTops = MotionTops(self.params, self.fs, self._hist,
                                                         self._activity, upright,
                                                         self.scorer.calibrated)
        else:
            self.tops = EmgTops(self.params, self.fs, self._hist, self.scorer.good_columns,
                                self.scorer.calibrated)

    @property
    def amplitude_unit(self) -> str:
        return self.scorer.amplitude_unit

    @property
    def calibrated(self) -> bool:
        return self.scorer.calibrated

    # --- settings that change on a live stream ---------------------------------------------
    def new_set(self, set_index: int | None = None) -> None:
        """A new set begins: the provisional rep counter restarts at 1."""
        self.set_index = self.set_index + 1 if set_index is None else int(set_index)
        self.rep_count = 0

    def set_channel_faults(self, faults: dict[str, str]) -> None:
        """{EMG channel name: reason} of the channels unfit to judge (electrode off,
        clipping), e.g. from ``scoring.faults_from_issues(QualityMonitor.update(...))``.
        Reps emitted from now on leave them out (docs/reps-and-ratio.md)."""
        self.scorer.set_channel_faults(faults)

    def take_cues(self) -> list[TopCue]:
        """The tops reached since the last call (oldest first), each before its RepResult."""
        out, self._cues = self._cues, []
        return out

    # --- streaming ---------------------------------------------------------------------------
    def update(self, first_index: int, envelope: np.ndarray,
               angle_deg: np.ndarray | None = None) -> list[RepResult]:
        env = np.asarray(envelope, dtype=float)
        n = env.shape[0] if env.ndim else 0
        if n == 0:
            return []
        if env.ndim != 2 or env.shape[1] != self._n_emg:
            raise ValueError(f"envelope must be (n, {self._n_emg}), got {env.shape}")
        if self.use_motion and angle_deg is None:
            raise ValueError("this detector uses motion: pass angle_deg")
        p = (self.sign * np.asarray(angle_deg, dtype=float) if angle_deg is not None
             else np.full(n, np.nan))
        if p.shape != (n,):
            raise ValueError(f"angle_deg must be ({n},), got {p.shape}")
        first = int(first_index)
        self._hist.append(first, np.column_stack([env, p]))
        out: list[RepResult] = []
        i0 = first + (-first) % self.step
        for i in range(i0, first + n, self.step):
            for event in self.tops.step(i):
                self._handle(event, out)
        self._trim(first + n)
        return out

    def flush(self) -> list[RepResult]:
        """End of a recording: a rep still in its lockout is complete (offline use)."""
        out: list[RepResult] = []
        for event in self.tops.flush():
            self._handle(event, out)
        return out

    def _handle(self, event: Arrival | Cycle, out: list[RepResult]) -> None:
        if isinstance(event, Arrival):
            self._cues.append(self._cue(event))
        else:
            out.append(self._result(event))

    def _trim(self, end: int) -> None:
        keep = end - int(MAX_HISTORY_S * self.fs)
        if keep - self._hist.start > 4 * int(self.fs):       # compact in big steps only
            self._hist.drop_before(keep)

    def _activity(self, i0: int, i1: int) -> np.ndarray:
        """Mean envelope of the channels fit to judge, per row (NaN without any)."""
        cols = self.scorer.good_columns()
        rows = self._hist.rows(i0, i1)
        if not cols or rows.shape[0] == 0:
            return np.full(rows.shape[0], np.nan)
        with np.errstate(invalid="ignore"):
            x = rows[:, cols]
            ok = np.isfinite(x)
            cnt = ok.sum(axis=1)
            tot = np.where(ok, x, 0.0).sum(axis=1)
            return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)

    # --- records --------------------------------------------------------------------------------
    def _cue(self, a: Arrival) -> TopCue:
        n = max(1, int(round(self.params.cue_window_s * self.fs)))
        rows = self._hist.rows(max(a.lock0, a.i - n + 1), a.i + 1)[:, :self._n_emg]
        f = self.scorer.score(rows, complete=True, remember=False)
        return TopCue(t_top_s=a.top_i / self.fs, glute=f["glute"], erector=f["erector"],
                      ratio=f["ratio"], verdict=f["verdict"], amplitude_unit=f["amplitude_unit"],
                      calibrated=f["calibrated"], no_verdict_reason=f["no_verdict_reason"],
                      t_detected_s=a.i / self.fs, ratio_relative=f["ratio_relative"],
                      verdict_basis=f["verdict_basis"])

    def _result(self, c: Cycle) -> RepResult:
        self.rep_count += 1
        fs = self.fs
        window = self._hist.rows(c.win0, c.win1 + 1)[:, :self._n_emg]
        f = self.scorer.score(window, complete=c.complete)
        if not c.complete:
            f["no_verdict_reason"] = (f"partial rep: never came within "
                                      f"{self.params.partial_deg:g} deg of upright")
        rows = self._hist.rows(c.bottom_i, c.lock0 + 1)[:, :self._n_emg]
        lag = self.scorer.onset_lag(rows, fs, c.conc_start_i - c.bottom_i + int(0.1 * fs))
        return RepResult(
            rep=self.rep_count, set_index=self.set_index,
            t_start_s=c.start_i / fs, t_top_s=c.top_i / fs, t_end_s=c.end_i / fs,
            window_start_s=c.win0 / fs, window_end_s=c.win1 / fs,
            lockout_s=(c.lock1 - c.lock0) / fs, onset_lag_s=lag, exercise=self.exercise.name,
            status=RepStatus.COMPLETE if c.complete else RepStatus.PARTIAL, **f)
