"""EMG-only tops: without a motion channel the top is defined by activation.

The activity ``s`` (mean of the channels fit to judge, over ``emg_smooth_s``) is followed
as a zigzag. A rep's peak ends (its "release": the eccentric begins or the bar is racked)
when ``s`` falls ``emg_release_drop`` of the way from the peak down to the rep's own floor
(the median of ``s`` over the ``emg_floor_s`` before it first came within ``emg_near_peak``
of the peak). The peak counts as a rep when it is >= ``emg_rise`` x that floor, >=
``emg_peak_fraction`` of the recent maximum and (calibrated) >= ``emg_floor_pct_mvc``.
The lockout is the plateau before the release: walking back from where ``s`` stopped
falling while every channel stays near its level there; the top is its centre. The rep
is emitted at the release (0.3-0.5 s after the end of the top hold).

The live cue: once a candidate peak has held within the plateau tolerance for
``emg_cue_hold_s`` (every channel), the lifter is taken to be at the top.

What the EMG cannot tell (docs/reps-and-ratio.md): a held top from standing with the
bar, a partial rep from a full one (no angle, so no PARTIAL status), a pause at the
top from a rest at the top, or a slowdown under load from a lockout squeeze when both
hold the activity steady.
"""
from __future__ import annotations

import math
from collections import deque
from typing import Callable

import numpy as np

from .history import History
from .motion_tops import Arrival, Cycle
from .params import DECISION_RATE_HZ, RepParams


class EmgTops:
    """``step(i) -> list[Arrival | Cycle]``; ``good_columns()`` names the envelope columns
    fit to judge (faulted channels would fake a peak or a release)."""

    def __init__(self, params: RepParams, sample_rate_hz: float, hist: History,
                 good_columns: Callable[[], list[int]], calibrated: bool) -> None:
        self.p = params
        self.fs = float(sample_rate_hz)
        self.hist = hist
        self.good_columns = good_columns
        self.calibrated = bool(calibrated)
        self._smooth_n = max(1, int(round(params.emg_smooth_s * self.fs)))
        self._chan_n = max(1, int(round(params.emg_channel_smooth_s * self.fs)))
        self._first_i: int | None = None
        n_dec = int(params.emg_trace_s * DECISION_RATE_HZ)
        self._trace_i: deque[int] = deque(maxlen=n_dec)        # decision-rate trace: index,
        self._trace_s: deque[float] = deque(maxlen=n_dec)      # combined activity,
        self._trace_v: deque[np.ndarray] = deque(maxlen=n_dec)  # per-channel activity
        self._cols: tuple[int, ...] = ()
        self._s_high = 0.0
        self._rising = False           # False: in a valley (tracking its minimum)
        self._ext = math.inf           # the current extreme (valley minimum or peak maximum)
        self._ext_i = 0
        self._valley_i: int | None = None
        self._valley_s = 0.0
        self._peak_floor = 0.0
        self._last_rep_i: int | None = None
        self._last_top_i: int | None = None
        self._cue_ref: np.ndarray | None = None
        self._cue_since = 0
        self._cued = False

    def step(self, i: int) -> list:
        cols = tuple(self.good_columns())
        if cols != self._cols:         # a channel faulted or came back: start the trace afresh
            self._cols = cols
            self._trace_i.clear()
            self._trace_s.clear()
            self._trace_v.clear()
            self._rising, self._ext, self._valley_i = False, math.inf, None
        if not cols:
            return []
        rows = self.hist.rows(i - self._smooth_n + 1, i + 1)[:, list(cols)]
        if rows.shape[0] == 0 or not np.isfinite(rows[-1]).all():
            return []
        if self._first_i is None:
            self._first_i = i
        if i - self._first_i < 0.5 * self.fs:      # filters and RMS window still filling
            return []
        step = max(1, int(round(self.fs / DECISION_RATE_HZ)))
        decay = math.exp(-step / (30.0 * self.fs))
        # no per-channel normalisation: every test below is a ratio of activities or a
        # percentile, so the unit does not matter (uncalibrated channels share one unit)
        s = float(np.nanmean(rows))
        vec = np.nanmean(rows[-self._chan_n:], axis=0)
        self._trace_i.append(i)
        self._trace_s.append(s)
        self._trace_v.append(vec)
        self._s_high = max(self._s_high * decay, s)
        p = self.p
        if not self._rising:                        # valley: follow it down, re-arm on a rise
            if s < self._ext:
                self._ext, self._ext_i = s, i
            if s > self._ext * (1.0 + p.emg_rearm_rise):
                self._valley_i, self._valley_s = self._ext_i, self._ext
                self._rising = True
                self._ext, self._ext_i = s, i
                self._peak_floor = self._valley_s
                self._cued, self._cue_ref = False, None
            return []
        if s > self._ext:                           # rising: follow the peak
            self._ext, self._ext_i = s, i
            self._peak_floor = self._floor()
            return self._cue(i, vec)
        if s >= self._ext - p.emg_release_drop * (self._ext - self._peak_floor):
            return self._cue(i, vec)
        # released: the activity fell clearly below its peak (the eccentric or the rack)
        peak_s, peak_i = self._ext, self._ext_i
        self._rising = False
        self._ext, self._ext_i = s, i
        if not self._is_rep_peak(peak_s, i):
            return []
        cycle = self._cycle(peak_i, peak_s, i)
        return [cycle] if cycle is not None else []

    def flush(self) -> list:
        return []

    def _tolerance(self, ref: np.ndarray) -> np.ndarray:
        p = self.p
        return p.emg_plateau_tol * np.abs(ref) + (p.emg_plateau_abs_pct_mvc if self.calibrated
                                                  else p.emg_plateau_abs_fraction * self._s_high)

    def _cue(self, i: int, vec: np.ndarray) -> list:
        """A candidate rep peak whose every channel has held steady for emg_cue_hold_s."""
        if self._cued:
            return []
        if self._cue_ref is None or np.any(np.abs(vec - self._cue_ref) > self._tolerance(self._cue_ref)):
            self._cue_ref, self._cue_since = vec, i
            return []
        if (i - self._cue_since < self.p.emg_cue_hold_s * self.fs
                or not self._is_rep_peak(self._ext, i)):
            return []
        self._cued = True
        return [Arrival(self._cue_since + (i - self._cue_since) // 2, i, self._cue_since)]

    def _floor(self) -> float:
        """The low of the current rep: a percentile of the activity over ``emg_floor_s``
        before it first came near its peak since the valley (the eccentric and the bottom),
        so a long top hold does not push the window past the bottom."""
        s = np.fromiter(self._trace_s, float)
        k_valley = 0
        if self._valley_i is not None:
            idx = np.fromiter(self._trace_i, np.int64)
            k_valley = min(int(np.searchsorted(idx, self._valley_i)), s.size - 1)
        near = np.flatnonzero(s[k_valley:] >= self.p.emg_near_peak * self._ext)
        r = k_valley + int(near[0]) if near.size else s.size - 1
        n = int(self.p.emg_floor_s * DECISION_RATE_HZ)
        recent = s[max(0, r - n):r + 1]
        return float(np.percentile(recent, self.p.emg_floor_percentile))

    def _is_rep_peak(self, peak_s: float, i: int) -> bool:
        """A rep, not rest fluctuations (ECG, posture): an absolute floor when calibrated,
        else a clear contrast with the recent quiet level, and not small against recent reps."""
        p = self.p
        if peak_s < p.emg_peak_fraction * self._s_high or peak_s < p.emg_rise * self._peak_floor:
            return False
        if self.calibrated:
            return peak_s >= p.emg_floor_pct_mvc
        recent = self._last_rep_i is not None and i - self._last_rep_i < p.emg_trace_s * self.fs
        return recent or peak_s >= p.emg_contrast * min(self._trace_s)

    def _cycle(self, peak_i: int, peak_s: float, rel_i: int) -> Cycle | None:
        p = self.p
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
        ok = np.all(np.abs(v - ref) <= self._tolerance(ref), axis=1)
        k_min = max(0, k_end - int(p.lockout_max_s * DECISION_RATE_HZ))
        if self._valley_i is not None:
            k_min = max(k_min, int(np.searchsorted(idx, self._valley_i)))
        gap = max(1, int(round(p.emg_plateau_gap_s * DECISION_RATE_HZ)))
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
        if self._last_top_i is not None and top_i - self._last_top_i < p.min_rep_s * self.fs:
            return None
        self._last_top_i = top_i
        self._last_rep_i = rel_i
        # the concentric began where the activity last crossed half-way up to the peak
        valley_s = self._valley_s if self._valley_i is not None else float(np.min(s[:k_peak + 1]))
        half = valley_s + 0.5 * (peak_s - valley_s)
        below = np.flatnonzero(s[:k_peak + 1] <= half)
        up_i = int(idx[below[-1]]) if below.size else int(idx[0])
        max_pre = int(round((p.eccentric_s + p.concentric_s) * self.fs))
        start_i = self._valley_i if self._valley_i is not None else up_i
        start_i = self.hist.clamp(max(start_i, up_i - max_pre))
        hw = int(round(0.5 * p.lockout_window_s * self.fs))
        win0, win1 = max(lock0, top_i - hw), min(lock1, top_i + hw)
        if win1 < win0:
            win0 = win1 = top_i
        return Cycle(start_i, start_i, up_i, lock0, lock1, win0, win1, top_i, lock1, True,
                     float("nan"))
