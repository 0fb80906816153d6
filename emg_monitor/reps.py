"""Repetitions, their top (lockout) and the glute:erector ratio there, streaming.

Why the top: the hip has only ~10-15 deg of extension beyond neutral. A lifter
whose glutes do not finish the lift stops the hips just short of it and
completes the motion by extending the lumbar spine, so the erectors, not the
glutes, carry the lockout. The ratio of %MVC amplitudes averaged over a short
window centred on the top shows which muscle finished the rep.

Two ways to find reps (docs/reps-and-ratio.md has the measured accuracy):

* with a motion channel (trunk inclination or any joint angle), on the
  low-passed angle ``p`` oriented so the top is its minimum:
  SEEK the bottom (running maximum since the last top); a rep is under way
  once ``p`` has come back up by at least ``max(min_rom_deg, 0.5 * median of
  the last ranges)`` (partial reps and weight shifts never get there); the
  LOCKOUT starts when the angular speed falls below ``max(10, 0.15*range)``
  deg/s (the turning point at the top: robust to pauses at the top or the
  bottom and to drifting offsets) and ends when the angle leaves the top by
  ``max(3 deg, 5 % of the range)``, when the mean envelope falls below half
  its lockout maximum (the bar is put down after the last rep of a set), or
  after ``lockout_max_s``; the rep is emitted then. The top is the centre of the lockout.
* EMG only: the activity ``s`` (mean of the channels' envelopes over 0.2 s) is
  followed as a zigzag. A rep's peak ends (its "release": the eccentric begins
  or the bar is racked) when ``s`` falls 70 % of the way from the peak down to
  the rep's own floor (the median of ``s`` over the 2 s before it first came
  within 90 % of the peak: the eccentric and bottom). The peak counts as a rep
  when it is >= 1.2 x that floor, >= 35 % of the recent maximum and (calibrated)
  >= 8 %MVC. The lockout is the plateau before the release: walking back from
  where ``s`` stopped falling while every channel stays within 20 % of its level
  there; the top is its centre. The rep is emitted at the release (0.3-0.5 s
  after the end of the top hold).

The state machines run on every ``step``-th absolute sample (~100 Hz), so the
result does not depend on how the stream is chunked.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from .exercises import Exercise
from .model import DeviceInfo, Muscle, RepResult, Side, Verdict
from .onset import hodges_bui_onset, quietest_window

DECISION_RATE_HZ = 100.0
MAX_HISTORY_S = 30.0
# EMG-only detection (docs/reps-and-ratio.md)
EMG_SMOOTH_S = 0.2               # combined activity: mean over the channels and 0.2 s
EMG_CHANNEL_SMOOTH_S = 0.2       # per-channel activity for the lockout plateau
EMG_TRACE_S = 20.0               # decision-rate history kept for the lockout search
EMG_RELEASE_DROP = 0.7           # a peak ends when the activity falls 70 % of the way to the floor
EMG_FLOOR_PERCENTILE = 50        # the floor: median activity over
EMG_FLOOR_S = 2.0                # the 2 s before the activity came near its peak
EMG_NEAR_PEAK = 0.9              # near: 90 % of the peak
EMG_RISE = 1.2                   # a rep's peak is >= 1.2 x its floor
EMG_REARM_RISE = 0.15            # the next rep may begin once it rises 15 % above the valley
EMG_PEAK_FRACTION = 0.35         # peaks below 35 % of the recent maximum are not reps
EMG_FLOOR_PCT_MVC = 8.0          # calibrated: nor peaks below 8 %MVC (rest, ECG)
EMG_CONTRAST = 2.5               # uncalibrated, no recent rep: peak >= 2.5 x the quiet level
EMG_PLATEAU_TOL = 0.2            # lockout: every channel within 20 % of its final level ...
EMG_PLATEAU_ABS_PCT_MVC = 2.0    # ... + 2 %MVC (calibrated)
EMG_PLATEAU_ABS_FRACTION = 0.02  # ... + 2 % of the recent maximum (uncalibrated)
EMG_PLATEAU_GAP_S = 0.4          # ... allowing excursions up to 0.4 s (noise)


class _History:
    """Recent rows (envelopes + oriented angle) addressed by absolute sample index."""

    def __init__(self, n_cols: int) -> None:
        self.buf = np.empty((4096, n_cols))
        self.start = 0          # absolute index of row 0
        self.n = 0

    @property
    def end(self) -> int:
        return self.start + self.n

    def append(self, first_index: int, rows: np.ndarray) -> None:
        if self.n == 0:
            self.start = first_index
        elif first_index > self.end:                 # lost samples: NaN rows keep indices exact
            gap = first_index - self.end
            self._push(np.full((gap, self.buf.shape[1]), np.nan))
        elif first_index < self.end:                 # overlap (should not happen): keep the new
            self.n = max(0, first_index - self.start)
        self._push(rows)

    def _push(self, rows: np.ndarray) -> None:
        m = rows.shape[0]
        if self.n + m > self.buf.shape[0]:
            new = np.empty((max(2 * self.buf.shape[0], self.n + m), self.buf.shape[1]))
            new[:self.n] = self.buf[:self.n]
            self.buf = new
        self.buf[self.n:self.n + m] = rows
        self.n += m

    def drop_before(self, index: int) -> None:
        k = min(self.n, max(0, index - self.start))
        if k == 0:
            return
        self.buf[:self.n - k] = self.buf[k:self.n]
        self.n -= k
        self.start += k

    def rows(self, i0: int, i1: int) -> np.ndarray:
        a = min(max(i0 - self.start, 0), self.n)
        b = min(max(i1 - self.start, 0), self.n)
        return self.buf[a:b]

    def clamp(self, index: int) -> int:
        return min(max(index, self.start), max(self.end - 1, self.start))


class RepDetector:
    """Streaming rep detector: ``update(first_index, envelope, angle_deg) -> [RepResult]``.

    ``info``/``emg_names`` say which envelope column is which muscle and side (the
    pipeline's ``emg_names`` order); ``amplitude_unit``/``calibrated`` come from the
    pipeline. ``use_motion`` chooses the angle method (``angle_deg`` must then be
    given to ``update``); ``top_at`` "min" for trunk inclination, "max" when the top
    is the largest angle. ``target_ratio`` overrides the exercise's. ``min_rom_deg``,
    ``min_rep_s``, ``lockout_window_s``, ``lockout_max_s`` override the exercise's
    limits (e.g. for knee angles or gait).
    """

    def __init__(self, info: DeviceInfo, emg_names: tuple[str, ...], amplitude_unit: str,
                 calibrated: bool, exercise: Exercise, sample_rate_hz: float, use_motion: bool,
                 top_at: str = "min", target_ratio: float | None = None, *,
                 min_rom_deg: float | None = None, min_rep_s: float | None = None,
                 lockout_window_s: float | None = None, lockout_max_s: float | None = None,
                 quality_flags: tuple[str, ...] = ()) -> None:
        if top_at not in ("min", "max"):
            raise ValueError(f"top-at must be 'min' or 'max' (got {top_at!r})")
        if sample_rate_hz <= 0:
            raise ValueError("the repetition detector needs a positive sampling rate")
        self.fs = float(sample_rate_hz)
        self.exercise = exercise
        self.emg_names = tuple(emg_names)
        self.amplitude_unit = amplitude_unit
        self.calibrated = bool(calibrated)
        self.use_motion = bool(use_motion)
        self.sign = 1.0 if top_at == "min" else -1.0
        self.target_ratio = float(target_ratio if target_ratio is not None else exercise.target_ratio)
        if not self.target_ratio > 0:
            raise ValueError("the target ratio must be a positive number")
        self.min_rom_deg = float(min_rom_deg if min_rom_deg is not None else exercise.min_rom_deg)
        self.min_rep_s = float(min_rep_s if min_rep_s is not None else exercise.min_rep_s)
        self.lockout_window_s = float(lockout_window_s if lockout_window_s is not None
                                      else exercise.lockout_window_s)
        self.lockout_max_s = float(lockout_max_s if lockout_max_s is not None
                                   else exercise.lockout_max_s)
        self.quality_flags = tuple(quality_flags)
        self._roles = self._assign_roles(info, self.emg_names)
        n_emg = len(self.emg_names)
        self._n_emg = n_emg
        self._hist = _History(n_emg + 1)
        self.step = max(1, int(round(self.fs / DECISION_RATE_HZ)))
        self.set_index = 1
        self.rep_count = 0
        self._last_top_i: int | None = None
        # motion state
        self._state = "seek"
        self._region_i: int | None = None
        self._peak_p = -math.inf
        self._peak_i = 0
        self._entry_i = 0
        self._entry_p = 0.0
        self._lock_act = 0.0
        self._ranges: deque[float] = deque(maxlen=5)
        # EMG-only state (docs/reps-and-ratio.md, "EMG-only mode")
        self._smooth_n = max(1, int(round(EMG_SMOOTH_S * self.fs)))
        self._chan_n = max(1, int(round(EMG_CHANNEL_SMOOTH_S * self.fs)))
        self._first_i: int | None = None
        n_dec = int(EMG_TRACE_S * DECISION_RATE_HZ)
        self._trace_i: deque[int] = deque(maxlen=n_dec)     # decision-rate trace: index,
        self._trace_s: deque[float] = deque(maxlen=n_dec)   # combined activity,
        self._trace_v: deque[np.ndarray] = deque(maxlen=n_dec)  # per-channel activity
        self._s_high = 0.0
        self._rising = False           # False: in a valley (tracking its minimum)
        self._ext = math.inf           # the current extreme (valley minimum or peak maximum)
        self._ext_i = 0
        self._valley_i: int | None = None
        self._valley_s = 0.0
        self._peak_floor = 0.0
        self._last_emg_rep_i: int | None = None

    # --- set-up ------------------------------------------------------------------
    @staticmethod
    def _assign_roles(info: DeviceInfo, emg_names) -> dict[tuple[Muscle, Side], list[int]]:
        roles: dict[tuple[Muscle, Side], list[int]] = {}
        unsided: dict[Muscle, int] = {}
        for col, name in enumerate(emg_names):
            try:
                ch = info.channels[info.index(name)]
            except KeyError:
                continue
            if ch.muscle is None:
                continue
            side = ch.side
            if side is None:    # first unsided channel of a muscle is "left", the next "right"
                k = unsided.get(ch.muscle, 0)
                unsided[ch.muscle] = k + 1
                side = Side.LEFT if k % 2 == 0 else Side.RIGHT
            roles.setdefault((ch.muscle, side), []).append(col)
        return roles

    def new_set(self, set_index: int | None = None) -> None:
        """A new set begins: the rep counter restarts at 1."""
        self.set_index = self.set_index + 1 if set_index is None else int(set_index)
        self.rep_count = 0

    # --- streaming ------------------------------------------------------------------
    def update(self, first_index: int, envelope: np.ndarray,
               angle_deg: np.ndarray | None = None) -> list[RepResult]:
        env = np.asarray(envelope, dtype=float)
        n = env.shape[0]
        if n == 0:
            return []
        if env.ndim != 2 or env.shape[1] != self._n_emg:
            raise ValueError(f"envelope must be (n, {self._n_emg}), got {env.shape}")
        if self.use_motion and angle_deg is None:
            raise ValueError("this detector uses motion: pass angle_deg")
        p = (self.sign * np.asarray(angle_deg, dtype=float) if angle_deg is not None
             else np.full(n, np.nan))
        self._hist.append(int(first_index), np.column_stack([env, p]))
        out: list[RepResult] = []
        first = int(first_index)
        i0 = first + (-first) % self.step
        for i in range(i0, first + n, self.step):
            rep = self._step_motion(i) if self.use_motion else self._step_emg(i)
            if rep is not None:
                out.append(rep)
        self._trim(first + n)
        return out

    def flush(self) -> list[RepResult]:
        """End of a recording: a rep still in its lockout is complete (offline use)."""
        if not self.use_motion or self._state != "lockout" or self._hist.n == 0:
            return []
        last = self._hist.end - 1
        rep = self._emit_motion(last, self._peak_p - self._entry_p)
        self._state = "seek"
        self._region_i = self._entry_i
        return [rep] if rep is not None else []

    def _trim(self, end: int) -> None:
        keep = end - int(MAX_HISTORY_S * self.fs)
        if keep - self._hist.start > 4 * int(self.fs):       # compact in big steps only
            self._hist.drop_before(keep)

    def _p(self, i0: int, i1: int) -> np.ndarray:
        return self._hist.rows(i0, i1)[:, -1]

    # --- motion ---------------------------------------------------------------------------
    def _step_motion(self, i: int) -> RepResult | None:
        row = self._hist.rows(i, i + 1)
        if row.shape[0] == 0 or not math.isfinite(row[0, -1]):
            return None
        p = float(row[0, -1])
        if self._region_i is None:
            self._region_i = i
        if self._state == "seek":
            if p > self._peak_p:
                self._peak_p, self._peak_i = p, i
            need = self.min_rom_deg
            if self._ranges:
                need = max(need, 0.5 * float(np.median(self._ranges)))
            if self._peak_p - p >= need:
                self._state = "ascended"
            return None
        rng = max(self._peak_p - p, self.min_rom_deg)
        if self._state == "ascended":
            lag = max(1, int(round(0.1 * self.fs)))
            prev = self._p(i - lag, i - lag + 1)
            if prev.size == 0 or not math.isfinite(prev[0]):
                return None
            speed = abs(p - float(prev[0])) * self.fs / lag
            if speed < max(10.0, 0.15 * rng):
                self._state = "lockout"
                self._entry_i, self._entry_p = i, p
                self._lock_act = 0.0
            return None
        # lockout: ends when the angle leaves the top, when the muscles let go (the bar is
        # put down after the last rep: the angle may not move), or after lockout_max_s
        rep_range = self._peak_p - self._entry_p
        tol = max(3.0, 0.05 * rep_range)
        act_rows = self._hist.rows(i - int(0.1 * self.fs), i + 1)[:, :self._n_emg]
        act = float(np.nanmean(act_rows)) if np.isfinite(act_rows).any() else float("nan")
        released = math.isfinite(act) and act < 0.5 * self._lock_act
        if math.isfinite(act):
            self._lock_act = max(self._lock_act, act)
        if (abs(p - self._entry_p) > tol or released
                or (i - self._entry_i) >= self.lockout_max_s * self.fs):
            rep = self._emit_motion(i, rep_range)
            self._state = "seek"
            self._region_i = self._entry_i
            self._peak_p, self._peak_i = p, i
            return rep
        return None

    def _emit_motion(self, exit_i: int, rep_range: float) -> RepResult | None:
        entry_i, peak_i, peak_p = self._entry_i, self._peak_i, self._peak_p
        # the lockout began where the angle first came within the tolerance of the level
        # it held (found backwards, so the start and the end use the same criterion)
        held = self._p(entry_i, exit_i)
        ref = float(np.nanmedian(held)) if held.size and np.isfinite(held).any() else self._entry_p
        tol = max(3.0, 0.05 * rep_range)
        approach = self._p(peak_i, entry_i + 1)
        out = np.flatnonzero(~(np.abs(approach - ref) <= tol))
        lock0 = peak_i + int(out[-1]) + 1 if out.size else peak_i
        lock0 = min(lock0, entry_i)
        top_i = (lock0 + exit_i) // 2
        if self._last_top_i is not None and (top_i - self._last_top_i) < self.min_rep_s * self.fs:
            return None
        self._ranges.append(rep_range)
        region = self._hist.clamp(self._region_i if self._region_i is not None else self._hist.start)
        pre = self._p(region, peak_i + 1)
        start_i = region
        if pre.size and np.isfinite(pre).any():
            tol = max(1.0, 0.02 * rep_range)
            near = np.flatnonzero(pre <= np.nanmin(pre) + tol)
            start_i = region + int(near[-1])
        seg = self._p(start_i, lock0 + 1)
        deep = np.flatnonzero(seg >= peak_p - 0.1 * rep_range) if seg.size else np.array([], int)
        bottom_in = start_i + int(deep[0]) if deep.size else peak_i
        conc_start = start_i + int(deep[-1]) if deep.size else peak_i
        return self._result(start_i, top_i, exit_i, lock0, exit_i, bottom_in, conc_start)

    # --- EMG only ---------------------------------------------------------------------------
    def _step_emg(self, i: int) -> RepResult | None:
        rows = self._hist.rows(i - self._smooth_n + 1, i + 1)[:, :self._n_emg]
        if rows.shape[0] == 0:
            return None
        cur = rows[-1]
        if not np.isfinite(cur).all():
            return None
        if self._first_i is None:
            self._first_i = i
        if i - self._first_i < 0.5 * self.fs:      # filters and RMS window still filling
            return None
        decay = math.exp(-self.step / (30.0 * self.fs))
        # no per-channel normalisation: every test below is a ratio of activities or a
        # percentile, so the unit does not matter (uncalibrated channels share one unit)
        s = float(np.nanmean(rows))
        vec = np.nanmean(rows[-self._chan_n:], axis=0)
        self._trace_i.append(i)
        self._trace_s.append(s)
        self._trace_v.append(vec)
        self._s_high = max(self._s_high * decay, s)
        if not self._rising:                        # valley: follow it down, re-arm on a rise
            if s < self._ext:
                self._ext, self._ext_i = s, i
            if s > self._ext * (1.0 + EMG_REARM_RISE):
                self._valley_i, self._valley_s = self._ext_i, self._ext
                self._rising = True
                self._ext, self._ext_i = s, i
                self._peak_floor = self._valley_s
            return None
        if s > self._ext:                           # rising: follow the peak
            self._ext, self._ext_i = s, i
            self._peak_floor = self._floor()
            return None
        if s >= self._ext - EMG_RELEASE_DROP * (self._ext - self._peak_floor):
            return None
        # released: the activity fell clearly below its peak (the eccentric or the rack)
        peak_s, peak_i = self._ext, self._ext_i
        self._rising = False
        self._ext, self._ext_i = s, i
        if not self._is_rep_peak(peak_s, i):
            return None
        return self._emit_emg(peak_i, peak_s, i)

    def _floor(self) -> float:
        """The low of the current rep: a low percentile of the activity over the
        ``EMG_FLOOR_S`` before it came near its peak (the eccentric and the bottom, or a
        little rest before a set's first rep). Near: the first time since the valley at
        90 % of the peak, so a long top hold does not push the window past the bottom.
        A percentile, not the minimum: noise dips and a moment of rest do not count."""
        s = np.fromiter(self._trace_s, float)
        k_valley = 0
        if self._valley_i is not None:
            idx = np.fromiter(self._trace_i, np.int64)
            k_valley = min(int(np.searchsorted(idx, self._valley_i)), s.size - 1)
        near = np.flatnonzero(s[k_valley:] >= EMG_NEAR_PEAK * self._ext)
        r = k_valley + int(near[0]) if near.size else s.size - 1
        n = int(EMG_FLOOR_S * DECISION_RATE_HZ)
        recent = s[max(0, r - n):r + 1]
        return float(np.percentile(recent, EMG_FLOOR_PERCENTILE))

    def _is_rep_peak(self, peak_s: float, i: int) -> bool:
        """A rep, not rest fluctuations (ECG, posture): an absolute floor when calibrated,
        else a clear contrast with the recent quiet level, and not small against recent reps."""
        if peak_s < EMG_PEAK_FRACTION * self._s_high or peak_s < EMG_RISE * self._peak_floor:
            return False
        if self.calibrated:
            return peak_s >= EMG_FLOOR_PCT_MVC
        recent = (self._last_emg_rep_i is not None
                  and i - self._last_emg_rep_i < EMG_TRACE_S * self.fs)
        return recent or peak_s >= EMG_CONTRAST * min(self._trace_s)

    def _emit_emg(self, peak_i: int, peak_s: float, rel_i: int) -> RepResult | None:
        idx = np.fromiter(self._trace_i, dtype=np.int64)
        s = np.fromiter(self._trace_s, dtype=float)
        v = np.asarray(self._trace_v)
        k_peak = int(np.searchsorted(idx, peak_i))
        k = len(idx) - 1
        # the release began where the combined activity stops rising, walking back in time
        while k > k_peak and s[k - 1] >= s[k]:
            k -= 1
        k_end = k
        # the lockout: back from there while every channel stays near its level at the end
        n_ref = max(1, int(round(0.2 * DECISION_RATE_HZ)))
        ref = np.median(v[max(0, k_end - n_ref + 1):k_end + 1], axis=0)
        tol = EMG_PLATEAU_TOL * np.abs(ref) + (EMG_PLATEAU_ABS_PCT_MVC if self.calibrated
                                               else EMG_PLATEAU_ABS_FRACTION * self._s_high)
        ok = np.all(np.abs(v - ref) <= tol, axis=1)
        k_min = max(0, k_end - int(self.lockout_max_s * DECISION_RATE_HZ))
        if self._valley_i is not None:
            k_min = max(k_min, int(np.searchsorted(idx, self._valley_i)))
        gap = max(1, int(round(EMG_PLATEAU_GAP_S * DECISION_RATE_HZ)))
        k0, out_run = k_end, 0
        for kk in range(k_end, k_min - 1, -1):
            if ok[kk]:
                k0, out_run = kk, 0
            else:
                out_run += 1
                if out_run >= gap:
                    break
        lock0, lock1 = int(idx[k0]), int(idx[k_end])
        top_i = (lock0 + lock1) // 2
        if self._last_top_i is not None and (top_i - self._last_top_i) < self.min_rep_s * self.fs:
            return None
        self._last_emg_rep_i = rel_i
        # the concentric began where the activity last crossed half-way up to the peak
        valley_s = self._valley_s if self._valley_i is not None else float(np.min(s[:k_peak + 1]))
        half = valley_s + 0.5 * (peak_s - valley_s)
        below = np.flatnonzero(s[:k_peak + 1] <= half)
        up_i = int(idx[below[-1]]) if below.size else int(idx[0])
        max_pre = int(round((self.exercise.eccentric_s + self.exercise.concentric_s) * self.fs))
        start_i = self._valley_i if self._valley_i is not None else up_i
        start_i = self._hist.clamp(max(start_i, up_i - max_pre))
        return self._result(start_i, top_i, lock1, lock0, lock1, start_i, up_i)

    # --- the result ---------------------------------------------------------------------------
    def _result(self, start_i: int, top_i: int, end_i: int, lock0: int, lock1: int,
                onset_from: int, conc_start: int) -> RepResult:
        self._last_top_i = top_i
        self.rep_count += 1
        fs = self.fs
        half = int(round(0.5 * self.lockout_window_s * fs))
        w0, w1 = max(lock0, top_i - half), min(lock1, top_i + half)
        if w1 <= w0:
            w0, w1 = top_i, top_i + 1
        window = self._hist.rows(w0, w1 + 1)[:, :self._n_emg]

        def amp(muscle: Muscle, side: Side) -> float:
            cols = self._roles.get((muscle, side))
            if not cols or window.shape[0] == 0:
                return float("nan")
            vals = window[:, cols]
            vals = vals[np.isfinite(vals)]
            return float(vals.mean()) if vals.size else float("nan")

        gl, gr = amp(Muscle.GLUTE, Side.LEFT), amp(Muscle.GLUTE, Side.RIGHT)
        el, er = amp(Muscle.ERECTOR, Side.LEFT), amp(Muscle.ERECTOR, Side.RIGHT)
        glute, erector = _mean_present(gl, gr), _mean_present(el, er)
        flags = list(self.quality_flags)
        floor = 0.5 if self.calibrated else 1e-9
        if math.isfinite(glute) and math.isfinite(erector) and erector > floor:
            ratio = glute / erector
        else:
            ratio = float("nan")
            flags.append("no_erector_signal" if math.isfinite(glute) else "no_glute_signal")
        symmetry = (abs(gl - gr) / (0.5 * (gl + gr)) * 100.0
                    if math.isfinite(gl) and math.isfinite(gr) and gl + gr > 0 else float("nan"))
        return RepResult(
            rep=self.rep_count, set_index=self.set_index,
            t_start_s=start_i / fs, t_top_s=top_i / fs, t_end_s=end_i / fs,
            window_start_s=w0 / fs, window_end_s=w1 / fs, lockout_s=(lock1 - lock0) / fs,
            glute_left=gl, glute_right=gr, erector_left=el, erector_right=er,
            glute=glute, erector=erector, ratio=ratio,
            verdict=verdict_for(ratio, self.target_ratio, self.exercise.borderline_pct),
            amplitude_unit=self.amplitude_unit, calibrated=self.calibrated,
            onset_lag_s=self._onset_lag(onset_from, conc_start, lock0),
            symmetry_index_pct=symmetry, quality_flags=tuple(flags), exercise=self.exercise.name)

    def _onset_lag(self, seg0: int, conc_start: int, seg1: int) -> float:
        """Erector onset - glute onset (s) in the concentric: Hodges-Bui on the combined
        envelopes, baseline = the quietest 0.2 s between the bottom and the concentric."""
        g_cols = [c for (m, _), cols in self._roles.items() if m == Muscle.GLUTE for c in cols]
        e_cols = [c for (m, _), cols in self._roles.items() if m == Muscle.ERECTOR for c in cols]
        if not g_cols or not e_cols or seg1 - seg0 < int(0.3 * self.fs):
            return float("nan")
        rows = self._hist.rows(seg0, seg1 + 1)[:, :self._n_emg]
        base_end = min(rows.shape[0], max(conc_start - seg0 + int(0.1 * self.fs), int(0.2 * self.fs)))
        onsets = []
        for cols in (g_cols, e_cols):
            x = np.nanmean(rows[:, cols], axis=1)
            if not np.isfinite(x).all():
                return float("nan")
            b0, b1 = quietest_window(x[:base_end], self.fs, 0.2)
            onsets.append(hodges_bui_onset(x, self.fs, (b0, b1), k=3.0, min_duration_s=0.05,
                                           min_rise_fraction=0.3))
        if onsets[0] is None or onsets[1] is None:
            return float("nan")
        return (onsets[1] - onsets[0]) / self.fs


def _mean_present(a: float, b: float) -> float:
    vals = [v for v in (a, b) if math.isfinite(v)]
    return float(sum(vals) / len(vals)) if vals else float("nan")


def verdict_for(ratio: float, target: float, borderline_pct: float = 15.0) -> Verdict:
    """Above target*(1+band): glutes finished; below target*(1-band): lumbar dominant."""
    if not math.isfinite(ratio):
        return Verdict.UNKNOWN
    band = borderline_pct / 100.0
    if ratio >= target * (1 + band):
        return Verdict.GLUTES_FINISHED
    if ratio <= target * (1 - band):
        return Verdict.LUMBAR_DOMINANT
    return Verdict.BORDERLINE
