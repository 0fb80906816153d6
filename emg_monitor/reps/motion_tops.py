"""Motion tops: a rep is a full cycle of the angle, and its top is the cycle's extreme.

On the oriented angle ``p`` (the top is its minimum), at the decision rate:

* TOP: near the top or standing. The cycle begins when ``p`` leaves the lowest level
  seen here by ``max(leave_min_deg, leave_fraction x range)``.
* DOWN: follow the bottom (running maximum). Pauses anywhere on the way down or at the
  bottom change nothing. The ascent begins once ``p`` is back up by
  ``max(rise_min_fraction x min_rom_deg, rise_fraction x depth)``, depth = bottom -
  the level the cycle left from (or the upright reference) >= ``min_rom_deg``.
* UP: follow the cycle's extreme (running minimum). A slowdown or a full pause at any
  height is only a candidate top: the top is wherever the extreme ends up. The angle
  has ARRIVED at the top (live cue) when it holds within the plateau tolerance of the
  extreme, the extreme improved by less than the settle tolerance over ``settle_s``,
  and it is within ``partial_deg`` of upright. A hitch (a second push) moves the
  extreme on and gives a second arrival. The cycle ends when ``p`` goes back down by
  the leave threshold (the next descent, or a failed rep sinking back), when the
  muscles let go at the top (activity < ``release_fraction`` x its lockout maximum:
  the bar is racked or put down without the trunk moving), or ``lockout_max_s``
  after arrival.
* The lockout is the contiguous plateau within the tolerance of the extreme; the top
  its centre. A cycle whose extreme never came within ``partial_deg`` of the upright
  reference is PARTIAL. A cycle without load (concentric activity below
  ``loaded_fraction`` x recent lifts, or below ``loaded_contrast`` x the quiet level:
  standing up after putting the bar down, bending to pick something up) is no rep.

The upright reference is the most upright posture held still (``still_s`` within
``still_deg``), each such posture counting less upright by
``reference_drift_deg_per_min`` per minute of age: the standing zero of motion.py,
kept current so a drifting sensor zero does not turn full reps into partials, and
not lost during a set of failed reps that never comes back up.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .history import History
from .params import DECISION_RATE_HZ, RepParams


@dataclass(frozen=True)
class Cycle:
    """One rep (or partial rep) found from the angle, in absolute sample indices."""

    start_i: int          # the descent began
    bottom_i: int         # first deep sample (onset search starts here)
    conc_start_i: int     # last deep sample: the concentric begins
    lock0: int            # the top plateau (lockout)
    lock1: int
    win0: int             # the scoring window: centred on the top, on the plateau
    win1: int
    top_i: int
    end_i: int            # where the cycle ended (the rep is emitted here)
    complete: bool        # came back within partial_deg of upright
    range_deg: float


@dataclass(frozen=True)
class Arrival:
    """The angle has arrived at the extreme of the cycle and holds there (live cue)."""

    top_i: int            # the extreme so far
    i: int                # when it was recognised
    lock0: int            # where the plateau began


class MotionTops:
    """``step(i) -> list[Arrival | Cycle]`` on the detector's history (column -1: ``p``).

    ``activity(i0, i1)`` gives the mean envelope of the channels fit to judge per row
    (NaN where there are none), for the release and the load test."""

    def __init__(self, params: RepParams, sample_rate_hz: float, hist: History,
                 activity: Callable[[int, int], np.ndarray],
                 upright_deg: float | None = None, calibrated: bool = False) -> None:
        self.p = params
        self.fs = float(sample_rate_hz)
        self.hist = hist
        self.activity = activity
        self.upright = None if upright_deg is None else float(upright_deg)
        self.calibrated = bool(calibrated)
        self.state = "down"
        self._start_p: float | None = None     # the top level this cycle left from
        self._start_i: int | None = None
        self._top_min = math.inf
        self._top_min_i = 0
        self._top_max = -math.inf
        self._top_max_i = 0
        self._bot_p = -math.inf
        self._bot_i = 0
        self._asc_i = 0
        self._ext_p = math.inf
        self._ext_i = 0
        self._range = params.min_rom_deg
        self._arrived_p: float | None = None   # level of the last arrival in this cycle
        self._anchor_p = math.inf                # the extreme when it last moved on
        self._anchor_i = 0
        self._lock_act = 0.0
        self._ranges: deque[float] = deque(maxlen=5)
        self._typical = params.min_rom_deg                # median of the last ranges
        self._mins: deque[tuple[int, float]] = deque()   # (i, running extreme) over settle_s
        self._recent_p: deque[tuple[int, float]] = deque()  # (i, p) over still_s
        self._still_key = math.inf          # min of (still level - drift x index)
        self._drift_per_sample = params.reference_drift_deg_per_min / 60.0 / self.fs
        self._lifts: deque[tuple[int, float]] = deque()  # (i, concentric activity) of lifts
        self._last_top_i: int | None = None
        self._seen_min = math.inf

    # --- the upright reference ---------------------------------------------------------
    def reference(self, i: int) -> float | None:
        if self.upright is not None:
            return self.upright
        if math.isfinite(self._still_key):
            return self._still_key + self._drift_per_sample * i
        return None if not math.isfinite(self._seen_min) else self._seen_min

    def _track_still(self, i: int, p: float) -> None:
        """Each still posture claims "upright is at most here"; the claim weakens at the
        largest drift a sensor zero has (reference_drift_deg_per_min), so the reference is
        min over postures of level + drift x age: one running minimum of level - drift x i."""
        self._seen_min = min(self._seen_min, p)
        self._recent_p.append((i, p))
        span = self.p.still_s * self.fs
        while self._recent_p and self._recent_p[0][0] < i - span:
            self._recent_p.popleft()
        if (i // self._step_n) % 10 or len(self._recent_p) < 0.9 * span / self._step_n:
            return
        vals = [v for _, v in self._recent_p]
        if max(vals) - min(vals) <= self.p.still_deg:
            key = float(np.median(vals)) - self._drift_per_sample * i
            self._still_key = min(self._still_key, key)

    @property
    def _step_n(self) -> int:
        return max(1, int(round(self.fs / DECISION_RATE_HZ)))

    # --- thresholds relative to the rep's own range ----------------------------------------
    def _typical_range(self) -> float:
        return self._typical

    def _leave(self, rng: float) -> float:
        return max(self.p.leave_min_deg, self.p.leave_fraction * rng)

    def _tol(self, rng: float) -> float:
        return max(self.p.plateau_min_deg, self.p.plateau_fraction * rng)

    # --- the state machine ---------------------------------------------------------------------
    def step(self, i: int) -> list:
        row = self.hist.rows(i, i + 1)
        if row.shape[0] == 0 or not math.isfinite(row[0, -1]):
            return []
        p = float(row[0, -1])
        self._track_still(i, p)
        if self.state == "top":
            if p < self._top_min:
                self._top_min, self._top_min_i = p, i
            if p > self._top_max:
                self._top_max, self._top_max_i = p, i
            rise = self._top_max - p
            if self._top_max_i < self._top_min_i and rise >= self.p.min_rom_deg:
                # this was a bottom, not a top (a session that starts at the bottom, as
                # a hip thrust or a seated knee extension does): the ascent is under way
                self._start_p, self._start_i = None, None
                self._bot_p, self._bot_i = self._top_max, self._top_max_i
                self._begin_ascent(i, p, rise)
                return self._step_up(i, p)
            if p >= self._top_min + self._leave(self._typical_range()):
                self._begin_descent(i, p, self._top_min, self._top_min_i)
            return []
        if self.state == "down":
            if p > self._bot_p:
                self._bot_p, self._bot_i = p, i
            ref = self.reference(i)
            # depth below the level the cycle left from, or below upright when that level
            # was itself short of it (the stall of a failed rep)
            base = (ref if self._start_p is None
                    else self._start_p if ref is None else min(self._start_p, ref))
            rise = self._bot_p - p
            depth = self._bot_p - base if base is not None else rise
            need = max(self.p.rise_min_fraction * self.p.min_rom_deg, self.p.rise_fraction * depth)
            if rise >= need and max(depth, rise) >= self.p.min_rom_deg:
                self._begin_ascent(i, p, max(depth, rise))
            elif (base is not None and depth < self.p.min_rom_deg
                  and p - base <= 0.5 * self._leave(self._typical_range())):
                self._enter_top(i, p)                  # a shallow wiggle
            return []
        return self._step_up(i, p)

    def _enter_top(self, i: int, p: float) -> None:
        self.state = "top"
        self._top_min, self._top_min_i = p, i
        self._top_max, self._top_max_i = p, i

    def _begin_descent(self, i: int, p: float, top_p: float, top_i: int) -> None:
        self.state = "down"
        self._start_p, self._start_i = top_p, top_i
        self._bot_p, self._bot_i = p, i

    def _begin_ascent(self, i: int, p: float, rng: float) -> None:
        self.state = "up"
        self._range = rng
        self._asc_i = i
        self._ext_p, self._ext_i = p, i
        self._anchor_p, self._anchor_i = p, i
        self._arrived_p = None
        self._lock_act = 0.0
        self._mins.clear()

    def _step_up(self, i: int, p: float) -> list:
        prm = self.p
        out: list = []
        if p < self._ext_p:
            self._ext_p, self._ext_i = p, i
        if self._ext_p < self._anchor_p - max(prm.settle_min_deg, prm.settle_fraction * self._range):
            self._anchor_p, self._anchor_i = self._ext_p, i    # still moving towards the top
        tol = self._tol(self._range)
        self._mins.append((i, self._ext_p))
        while self._mins and self._mins[0][0] < i - prm.settle_s * self.fs:
            self._mins.popleft()
        ref = self.reference(i)
        near_upright = ref is None or self._ext_p - ref <= prm.partial_deg
        if self._arrived_p is not None and self._ext_p < self._arrived_p - tol:
            self._arrived_p = None                     # a hitch: the extreme moved on
        settled = (self._mins[0][1] - self._ext_p
                   <= max(prm.settle_min_deg, prm.settle_fraction * self._range))
        held = p - self._ext_p <= tol
        if (self._arrived_p is None and near_upright and settled and held
                and i - self._asc_i >= prm.settle_s * self.fs and self._loaded(self._asc_i, i)):
            self._arrived_p = self._ext_p
            lock0 = self._plateau(self._ext_p + tol, self._ext_i, self._asc_i, i)[0]
            out.append(Arrival(self._ext_i, i, lock0))
        # the lockout ends: back down, the muscles let go, or too long at the top
        released = False
        if self._arrived_p is not None:
            act = self.activity(i - int(0.1 * self.fs), i + 1)
            if np.isfinite(act).any():
                act_now = float(np.nanmean(act))
                released = act_now < prm.release_fraction * self._lock_act
                self._lock_act = max(self._lock_act, act_now)
        timed_out = (self._arrived_p is not None
                     and i - self._anchor_i >= prm.lockout_max_s * self.fs)
        left = p >= self._ext_p + self._leave(self._range)
        if left or released or timed_out:
            cycle = self._end_cycle(i)
            if cycle is not None:
                out.append(cycle)
            if left:
                self._begin_descent(i, p, self._ext_p, self._ext_i)
            else:
                self._enter_top(self._ext_i, self._ext_p)
        return out

    def flush(self) -> list:
        """End of a recording: a cycle still at its top ends here."""
        if self.state != "up" or self.hist.n == 0:
            return []
        cycle = self._end_cycle(self.hist.end - 1)
        self._enter_top(self._ext_i, self._ext_p)
        return [cycle] if cycle is not None else []

    # --- the finished cycle ------------------------------------------------------------------------
    def _p(self, i0: int, i1: int) -> np.ndarray:
        return self.hist.rows(i0, i1)[:, -1]

    def _plateau(self, limit: float, at: int, lo: int, hi: int,
                 centre: float | None = None) -> tuple[int, int]:
        """The contiguous run of samples around ``at`` inside [lo, hi] with p <= limit, or
        with |p - centre| <= limit when ``centre`` is given."""
        lo = self.hist.clamp(lo)
        seg = self._p(lo, hi + 1)
        k = at - lo
        if seg.size == 0 or not 0 <= k < seg.size:
            return at, at
        bad = ~(seg <= limit) if centre is None else ~(np.abs(seg - centre) <= limit)
        before = np.flatnonzero(bad[:k])
        after = np.flatnonzero(bad[k:])
        a = lo + (int(before[-1]) + 1 if before.size else 0)
        b = lo + (k + int(after[0]) - 1 if after.size else seg.size - 1)
        return a, b

    def _loaded(self, i0: int, i1: int) -> bool:
        """Was this cycle a lift? Its activity against recent lifts, else the quiet level."""
        act = self.activity(i0, i1 + 1)
        if act.size == 0 or not np.isfinite(act).any():
            return True                                # no EMG fit to judge: trust the angle
        level = float(np.nanmean(act))
        horizon = i1 - self.p.loaded_memory_s * self.fs
        recent = [a for j, a in self._lifts if j >= horizon]
        if recent:
            return level >= self.p.loaded_fraction * float(np.median(recent))
        if self.calibrated and level >= self.p.loaded_pct_mvc:
            return True
        quiet_rows = self.activity(i1 - int(30 * self.fs), i1 + 1)
        quiet_rows = quiet_rows[np.isfinite(quiet_rows)]
        n = max(1, int(self.fs))
        if quiet_rows.size < n:
            return True
        c = np.concatenate(([0.0], np.cumsum(quiet_rows)))
        quiet = float(np.min((c[n:] - c[:-n]) / n))
        return level >= self.p.loaded_contrast * quiet

    def _end_cycle(self, end_i: int) -> Cycle | None:
        prm = self.p
        rng = self._range
        ext_p, ext_i = self._ext_p, self._ext_i
        lock0, lock1 = self._plateau(ext_p + self._tol(rng), ext_i, self._asc_i, end_i)
        lock1 = max(min(lock1, lock0 + int(prm.lockout_max_s * self.fs)), lock0)
        top_i = (lock0 + lock1) // 2
        # the window stays on the held posture around the top (not on the approach, nor on a
        # drift after the hold); at its centre the angle is within the plateau tolerance
        top_row = self._p(top_i, top_i + 1)
        t0, t1 = (self._plateau(max(prm.window_tol_min_deg, prm.window_tol_fraction * rng),
                                top_i, lock0, lock1, centre=float(top_row[0]))
                  if top_row.size else (lock0, lock1))
        half = int(round(0.5 * prm.lockout_window_s * self.fs))
        win0, win1 = max(top_i - half, t0), min(top_i + half, t1)
        if win1 < win0:
            win0 = win1 = min(max(top_i, t0), t1)
        ref = self.reference(end_i)
        complete = ref is None or ext_p - ref <= prm.partial_deg
        if not self._loaded(self._bot_i, lock1):
            return None
        if complete:
            if self._last_top_i is not None and top_i - self._last_top_i < prm.min_rep_s * self.fs:
                return None
            self._last_top_i = top_i
            self._ranges.append(rng)
            self._typical = float(np.median(self._ranges))
        act = self.activity(self._bot_i, lock1 + 1)
        if np.isfinite(act).any():
            self._lifts.append((lock1, float(np.nanmean(act))))
            while len(self._lifts) > 10:
                self._lifts.popleft()
        start_i = self._start_i if self._start_i is not None else self.hist.start
        start_i = self.hist.clamp(start_i)
        seg = self._p(start_i, lock0 + 1)
        deep = (np.flatnonzero(seg >= self._bot_p - 0.1 * rng) if seg.size
                else np.array([], dtype=int))
        bottom_i = start_i + int(deep[0]) if deep.size else self._bot_i
        conc_start = start_i + int(deep[-1]) if deep.size else self._bot_i
        return Cycle(start_i, bottom_i, conc_start, lock0, lock1, win0, win1, top_i, end_i,
                     complete, rng)
