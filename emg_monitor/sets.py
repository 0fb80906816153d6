"""Sets as closed records: which reps belong together, and their numbers.

A lifter holding a bar cannot reach the keyboard, so sets are found from the
reps themselves: a set begins at its first rep and ends when no rep follows for
``idle_s`` (default 15 s), or when the bar is put down (the muscles fall to rest,
below ``put_down_fraction`` of the set's own lockout activity, for ``put_down_s``).
The space bar / button overrides both: a manual start opens a set at once (a
set left open by the detector is closed first), a manual stop closes it. A rep
never exists outside a set: one that arrives with no set open opens one.

:class:`SetTracker` is pure and streaming (reps and stream time in, numbered reps
and set records out) and is the only place that numbers reps: ``set_index``,
``rep`` (within the set) and ``session_rep`` (unique in the session). It is never
rebuilt during a session, so the numbers survive calibration and exercise
changes, reconnects and replay seeks. A rep is keyed by the time of its top: a
rep whose top lies within ``same_rep_s`` of one already numbered (a stretch
replayed after a seek) is that rep again and keeps its numbers.

Everything that shows a set (the dashboard counter and summary, the CSV
exports, the report, ``analyze``) reads these records and :func:`summarize`; a
session on disk keeps them (``sets.jsonl``) and :func:`records_from_reps`
rebuilds them identically, also for sessions written before the records existed.
"""
from __future__ import annotations

import enum
import math
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Iterable, Union

import numpy as np

from .hip.scoring import CUE_FINISH_WITH_HIPS
from .model import RepResult, RepStatus, Verdict


class SetEnd(str, enum.Enum):
    """Why a set was closed (kept in the record, shown in exports)."""

    IDLE = "idle"                    # no rep for idle_s
    BAR_DOWN = "bar_down"            # the muscles went to rest after the last rep
    MANUAL = "manual"                # the space bar / button
    NEW_SET = "new_set"              # a manual start while this set was open
    EXERCISE = "exercise_changed"    # a set is one exercise
    END = "end"                      # the source or the recording ended
    OPEN = "open"                    # not closed (a recording cut by a crash)


@dataclass(frozen=True)
class SetRules:
    """When a set ends automatically. Times in stream seconds."""

    idle_s: float = 15.0             # no rep for this long: the set is over
    put_down_s: float = 5.0          # muscles at rest this long after the last rep: bar down
    #: "at rest": mean envelope below this fraction of the set's mean lockout activity
    #: (holding a bar at the top or at the bottom keeps the muscles far above it)
    put_down_fraction: float = 0.25
    #: the rep detector reports a rep at most this long after its top (the lockout is
    #: up to 3 s): an idle end is decided only after it, so a rep in flight still counts
    pending_s: float = 5.0
    #: two tops closer than this are the same rep (replayed after a seek); below the
    #: shortest rep any exercise allows (0.8 s)
    same_rep_s: float = 0.4

    def __post_init__(self) -> None:
        for name in ("idle_s", "put_down_s", "put_down_fraction", "pending_s", "same_rep_s"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"set rule {name} must be a positive number (got {value!r})")


@dataclass(frozen=True)
class SetRecord:
    """One set: its reps (numbered) and how it began and ended."""

    set_index: int                   # 1-based, unique in the session
    t_start_s: float                 # the manual start, else the first rep's start
    t_end_s: float                   # the last rep's end (manual: the press); open: so far
    reps: tuple[RepResult, ...] = ()
    exercise: str = ""
    manual: bool = False             # started with the space bar / button
    closed: bool = False
    end_reason: SetEnd = SetEnd.OPEN
    interruptions: int = 0           # signal gaps and disconnections while it was open
    interrupted_s: float = 0.0

    @property
    def complete_reps(self) -> tuple[RepResult, ...]:
        return tuple(r for r in self.reps if r.status == RepStatus.COMPLETE)

    @property
    def count(self) -> int:
        """The number the counter shows: complete reps (partials have their own rows)."""
        return len(self.complete_reps)

    @property
    def session_reps(self) -> tuple[int, ...]:
        return tuple(r.session_rep for r in self.reps)


SetOutput = Union[RepResult, SetRecord]
_PRESSED = (SetEnd.MANUAL, SetEnd.NEW_SET, SetEnd.EXERCISE)


class SetTracker:
    """``rep(r)``, ``advance(first_index, activity, unit)``, ``start/stop(t)``, ``change_exercise``,
    ``interrupt``, ``seek``, ``finish`` -> lists of numbered reps and set-record snapshots, in
    the order listeners should hear them (a set's record before the rep that joins it)."""

    def __init__(self, sample_rate_hz: float, rules: SetRules = SetRules()) -> None:
        if not (math.isfinite(sample_rate_hz) and sample_rate_hz > 0):
            raise ValueError("the set tracker needs a positive sampling rate")
        self.fs = float(sample_rate_hz)
        self.rules = rules
        self.records: list[SetRecord] = []          # every set with a rep, by set_index
        self.open: SetRecord | None = None
        self.n_reps = 0
        self._tops: list[tuple[float, int, int]] = []   # (t_top_s, set_index, position in set)
        self._frontier_i = -1                       # furthest stream sample seen
        self._replay_until_s = -math.inf            # after a seek back: ground already covered
        self._act = np.empty(0)                     # activity since the open set's last rep
        self._act_start = 0                         # its first sample index
        self._unit = ""

    # --- numbering -------------------------------------------------------------
    @property
    def next_set_index(self) -> int:
        return len(self.records) + 1

    def record(self, set_index: int) -> SetRecord:
        if self.open is not None and self.open.set_index == set_index:
            return self.open
        return self.records[set_index - 1]

    def _known(self, t_top_s: float) -> RepResult | None:
        best = None
        for t, set_index, k in self._tops:
            if abs(t - t_top_s) < self.rules.same_rep_s and (
                    best is None or abs(t - t_top_s) < abs(best[0] - t_top_s)):
                best = (t, set_index, k)
        return None if best is None else self.record(best[1]).reps[best[2]]

    def _append(self, rec: SetRecord, rep: RepResult) -> tuple[SetRecord, RepResult]:
        self.n_reps += 1
        numbered = replace(rep, set_index=rec.set_index, rep=len(rec.reps) + 1,
                           session_rep=self.n_reps)
        self._tops.append((rep.t_top_s, rec.set_index, len(rec.reps)))
        rec = replace(rec, reps=rec.reps + (numbered,),
                      t_start_s=rec.t_start_s if rec.reps or rec.manual else rep.t_start_s,
                      t_end_s=max(rec.t_end_s, rep.t_end_s))
        self._store(rec)
        return rec, numbered

    def _store(self, rec: SetRecord) -> None:
        if rec.closed:
            if self.open is not None and self.open.set_index == rec.set_index:
                self.open = None
            if rec.set_index <= len(self.records):
                self.records[rec.set_index - 1] = rec
            elif rec.reps:
                self.records.append(rec)
        else:
            self.open = rec
            if rec.reps and rec.set_index == len(self.records) + 1:
                self.records.append(rec)
            elif rec.set_index <= len(self.records):
                self.records[rec.set_index - 1] = rec

    def _drop_activity_before(self, index: int) -> None:
        k = min(self._act.shape[0], max(0, index - self._act_start))
        self._act, self._act_start = self._act[k:], self._act_start + k

    def _close(self, reason: SetEnd, t_end_s: float | None = None) -> list[SetOutput]:
        rec = self.open
        if rec is None:
            return []
        self.open = None
        end = rec.t_end_s if t_end_s is None else t_end_s
        closed = replace(rec, closed=True, end_reason=reason, t_end_s=end)
        if rec.reps:
            self._store(closed)
        return [closed]             # an empty manual set is reported closed, never kept

    def _open_set(self, t_s: float, exercise: str, manual: bool) -> SetRecord:
        rec = SetRecord(self.next_set_index, t_s, t_s, exercise=exercise, manual=manual)
        self.open = rec
        return rec

    def preload(self, records: Iterable[SetRecord]) -> None:
        """Start from a recording's set records (a replay): every rep the recording holds is
        known, so a replay shows the recorded numbers whatever it is sought to first."""
        for rec in records:
            if not rec.reps or rec.set_index != self.next_set_index:
                raise ValueError("set records must be numbered 1, 2, ... and hold reps")
            rec = replace(rec, closed=True,
                          end_reason=SetEnd.END if rec.end_reason == SetEnd.OPEN else rec.end_reason)
            self.records.append(rec)
            self._tops += [(r.t_top_s, rec.set_index, k) for k, r in enumerate(rec.reps)]
            self.n_reps = max([self.n_reps, *(r.session_rep for r in rec.reps)])
            self._replay_until_s = max(self._replay_until_s, rec.t_end_s + self.rules.idle_s
                                       + self.rules.pending_s)

    # --- inputs ----------------------------------------------------------------
    def rep(self, rep: RepResult) -> list[SetOutput]:
        """A rep from the detector (its numbers are ignored and assigned here)."""
        known = self._known(rep.t_top_s)
        if known is not None:                       # seen before (a replayed stretch)
            rec = self.record(known.set_index)
            # its set's record follows its last rep, as when the set was first seen to end
            return [known] + ([rec] if rec.closed and known is rec.reps[-1] else [])
        if rep.t_top_s < self._replay_until_s - self.rules.pending_s:
            return self._place_past(rep)
        late = self._pressed_during(rep)
        if late is not None:                        # topped out before STOP, reported after
            rec, numbered = self._append(late, rep)
            return [rec, numbered]
        out: list[SetOutput] = []
        open_rec = self.open
        if open_rec is not None and open_rec.reps:
            run = self._rest_run(open_rec, int(math.floor(rep.t_top_s * self.fs)))
            if run is not None:                     # the bar went down before this rep
                out += self._close(SetEnd.BAR_DOWN, max(open_rec.t_end_s, run / self.fs))
            elif rep.t_top_s - open_rec.reps[-1].t_top_s > self.rules.idle_s:
                out += self._close(SetEnd.IDLE)
            open_rec = self.open
        rec = open_rec if open_rec is not None else self._open_set(
            rep.t_start_s, rep.exercise, manual=False)
        rec, numbered = self._append(rec, rep)
        self._drop_activity_before(int(math.ceil(rep.t_end_s * self.fs)))
        return out + [rec, numbered]

    def _pressed_during(self, rep: RepResult) -> SetRecord | None:
        """The set closed by a press (STOP, START, exercise) after this rep's top: the rep was
        still in its lockout when the button was pressed, so it belongs to that set."""
        for rec in reversed(self.records):
            if rec.closed and rec.end_reason in _PRESSED and rec.reps:
                last = rec.reps[-1].t_top_s
                if last < rep.t_top_s < rec.t_end_s and rep.t_top_s - last <= self.rules.idle_s:
                    return rec
                return None
        return None

    def _place_past(self, rep: RepResult) -> list[SetOutput]:
        """A new rep behind a seek (the stretch was skipped the first time): into the set
        whose reps it lies among (within idle_s), else a set of its own; never renumbering."""
        near = [r for r in self.records
                if r.reps and min(x.t_top_s for x in r.reps) - self.rules.idle_s <= rep.t_top_s
                <= max(x.t_top_s for x in r.reps) + self.rules.idle_s]
        if near:
            rec = min(near, key=lambda r: min(abs(x.t_top_s - rep.t_top_s) for x in r.reps))
        else:
            rec = SetRecord(self.next_set_index, rep.t_start_s, rep.t_end_s,
                            exercise=rep.exercise, closed=True, end_reason=SetEnd.IDLE)
        rec, numbered = self._append(rec, rep)
        out: list[SetOutput] = [rec, numbered]
        if self.open is not None and not self.open.reps and self.open.set_index <= len(self.records):
            self.open = replace(self.open, set_index=self.next_set_index)   # an unused manual start
            out.append(self.open)
        return out

    def observe(self, first_index: int, activity: np.ndarray, unit: str = "") -> None:
        """The block's activity (:func:`set_activity` of its envelopes, in ``unit``), before
        its reps: kept while a set with reps is open, for the bar-down rule."""
        a = np.asarray(activity, dtype=float).reshape(-1)
        last_i = first_index + a.shape[0] - 1
        new_from = max(first_index, self._frontier_i + 1)   # replayed samples decide nothing
        self._frontier_i = max(self._frontier_i, last_i)
        self._unit = unit
        if new_from > last_i:
            return
        part = a[new_from - first_index:]
        if self._act_start + self._act.shape[0] != new_from:   # a jump: start afresh
            self._act, self._act_start = part.copy(), new_from
        else:
            self._act = np.concatenate((self._act, part))
        if self.open is None or not self.open.reps:
            # no set to end: keep only what a rep still in flight may need (from its end on)
            keep = int(round((self.rules.pending_s + 1.0) * self.fs))
            self._drop_activity_before(self._act_start + self._act.shape[0] - keep)

    def advance(self, first_index: int, activity: np.ndarray, unit: str = "") -> list[SetOutput]:
        """Stream time moves on (``observe`` + ``decide``): for a block without reps."""
        self.observe(first_index, activity, unit)
        return self.decide()

    def decide(self) -> list[SetOutput]:
        """End the open set if it is over. Decided ``pending_s`` behind the newest sample, when
        every rep whose top lies before that point has arrived, so the outcome does not depend
        on how the stream was chunked or when the detector reported a rep."""
        rec = self.open
        if rec is None or not rec.reps:
            return []
        horizon_i = self._frontier_i - int(round(self.rules.pending_s * self.fs))
        run = self._rest_run(rec, horizon_i)
        if run is not None:
            return self._close(SetEnd.BAR_DOWN, max(rec.t_end_s, run / self.fs))
        if horizon_i / self.fs >= rec.reps[-1].t_top_s + self.rules.idle_s:
            return self._close(SetEnd.IDLE)
        return []

    def _rest_run(self, rec: SetRecord, up_to_i: int) -> int | None:
        """First sample of the first run at rest of ``put_down_s`` after the set's last rep
        that is complete by ``up_to_i``; None if there is none. At rest: below
        ``put_down_fraction`` of the set's mean lockout activity (reps in the same unit)."""
        levels = [0.5 * (r.glute + r.erector) for r in rec.reps
                  if r.amplitude_unit == self._unit and math.isfinite(r.glute)
                  and math.isfinite(r.erector)]
        if not levels or self._act.shape[0] == 0:
            return None
        threshold = self.rules.put_down_fraction * float(np.mean(levels))
        k0 = max(0, int(math.ceil(rec.reps[-1].t_end_s * self.fs)) - self._act_start)
        k1 = min(self._act.shape[0], up_to_i - self._act_start + 1)
        need = max(1, int(round(self.rules.put_down_s * self.fs)))
        if k1 - k0 < need:
            return None
        below = np.zeros(k1 - k0 + 2, dtype=bool)
        with np.errstate(invalid="ignore"):
            below[1:-1] = self._act[k0:k1] < threshold       # NaN (a dead stretch) is not rest
        edges = np.flatnonzero(np.diff(below.astype(np.int8)))
        starts, ends = edges[0::2], edges[1::2]
        long = np.flatnonzero(ends - starts >= need)
        return None if long.size == 0 else self._act_start + k0 + int(starts[long[0]])

    def start(self, t_s: float, exercise: str = "") -> list[SetOutput]:
        """The space bar / button: a new set begins now (an open one ends here first)."""
        rec = self.open
        out = self._close(SetEnd.NEW_SET, max(rec.t_end_s, t_s)) if rec is not None else []
        return out + [self._open_set(t_s, exercise, manual=True)]

    def stop(self, t_s: float) -> list[SetOutput]:
        """The space bar / button: the open set ends now."""
        rec = self.open
        if rec is None:
            return []
        return self._close(SetEnd.MANUAL, max(rec.t_end_s, t_s) if rec.reps else t_s)

    def change_exercise(self, exercise: str, t_s: float) -> list[SetOutput]:
        """A set is one exercise: an open set of another one ends (at ``t_s``)."""
        rec = self.open
        if rec is None or rec.exercise == exercise:
            return []
        if not rec.reps:                           # a manual start not used yet: keep it
            self.open = replace(rec, exercise=exercise)
            return [self.open]
        return self._close(SetEnd.EXERCISE, max(rec.t_end_s, t_s))

    def interrupt(self, duration_s: float) -> list[SetOutput]:
        """Signal lost (a gap or a disconnection): noted on the open set, which goes on
        (an interruption longer than idle_s ends it by the idle rule when data resumes)."""
        rec = self.open
        if rec is None:
            return []
        d = float(duration_s) if math.isfinite(duration_s) and duration_s > 0 else 0.0
        rec = replace(rec, interruptions=rec.interruptions + 1,
                      interrupted_s=rec.interrupted_s + d)
        self._store(rec)
        return [rec]

    def seek(self, t_s: float) -> None:
        """A replay jumped to ``t_s``: what lies behind the furthest point already seen is
        replayed ground (its reps keep their numbers); nothing is closed or renumbered."""
        self._replay_until_s = max(self._replay_until_s, self._frontier_i / self.fs)

    def finish(self) -> list[SetOutput]:
        """The source or recording ended: the open set is complete."""
        return self._close(SetEnd.END)


def set_activity(envelope: np.ndarray) -> np.ndarray:
    """(n, n_emg) envelopes -> (n,) mean over the channels: the put-down signal."""
    env = np.asarray(envelope, dtype=float)
    if env.ndim != 2 or env.shape[1] == 0:
        return np.full(env.shape[0] if env.ndim else 0, np.nan)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(env)
        n = ok.sum(axis=1)
        s = np.where(ok, env, 0.0).sum(axis=1)
        return np.where(n > 0, s / np.maximum(n, 1), np.nan)


# --- records from what a session keeps ---------------------------------------------------
def records_from_reps(reps: Iterable[RepResult], set_lines: Iterable[dict] = ()) -> list[SetRecord]:
    """Set records from a session's reps and its set lines (``sets.jsonl``; the last line
    of a set wins). Reps of a set that has no line (the recording was cut while it was
    open) form an open record. Sessions from before the records existed carry only
    ``set_index`` on each rep, sometimes with a rep number restarted mid-set or reps
    from before the set was started: their reps are numbered again by top time, so
    every reader still sees each rep once, with a unique number."""
    reps = list(reps)
    lines: dict[int, dict] = {}
    for d in set_lines:
        try:
            lines[int(d["set_index"])] = d
        except (KeyError, TypeError, ValueError):
            continue
    if not any(r.session_rep > 0 for r in reps):
        reps = _renumber_legacy(reps)
    else:
        reps = _number_the_unnumbered(reps)
    by_set: dict[int, list[RepResult]] = {}
    for r in reps:
        by_set.setdefault(r.set_index, []).append(r)
    out = []
    for set_index in sorted(by_set):
        mine = sorted(by_set[set_index], key=lambda r: r.rep)
        d = lines.get(set_index, {})
        exercise = str(d.get("exercise", mine[0].exercise))
        closed = bool(d) and bool(d.get("closed", True))
        try:
            reason = SetEnd(d.get("end_reason", SetEnd.END if closed else SetEnd.OPEN))
        except ValueError:
            reason = SetEnd.END
        out.append(SetRecord(
            set_index=set_index,
            t_start_s=_num(d.get("t_start_s"), min(r.t_start_s for r in mine)),
            t_end_s=_num(d.get("t_end_s"), max(r.t_end_s for r in mine)),
            reps=tuple(mine), exercise=exercise, manual=bool(d.get("manual", False)),
            closed=closed, end_reason=reason if closed else SetEnd.OPEN,
            interruptions=int(_num(d.get("interruptions"), 0)),
            interrupted_s=_num(d.get("interrupted_s"), 0.0)))
    return out


def _num(value, default):
    try:
        x = float(value)
    except (TypeError, ValueError):
        return default
    return x if math.isfinite(x) else default


def _number_the_unnumbered(reps: list[RepResult]) -> list[RepResult]:
    """A rep whose number was damaged (missing, or a duplicate) gets a new one after the
    last; every other rep keeps its own, so one bad line never changes the rest."""
    seen: set[int] = set()
    last = max(r.session_rep for r in reps)
    out = []
    for r in reps:
        if r.session_rep > 0 and r.session_rep not in seen:
            seen.add(r.session_rep)
        else:
            last += 1
            r = replace(r, session_rep=last)
        out.append(r)
    return out


def _renumber_legacy(reps: list[RepResult]) -> list[RepResult]:
    order = sorted(reps, key=lambda r: (r.t_top_s, r.set_index))
    out: list[RepResult] = []
    in_set: Counter[int] = Counter()
    for k, r in enumerate(order, start=1):
        s = max(1, r.set_index)
        in_set[s] += 1
        out.append(replace(r, set_index=s, rep=in_set[s], session_rep=k))
    return out


def set_to_dict(rec: SetRecord) -> dict:
    """A record's line in ``sets.jsonl`` (its reps are in ``reps.jsonl``, by session_rep)."""
    return {"set_index": rec.set_index, "t_start_s": rec.t_start_s, "t_end_s": rec.t_end_s,
            "exercise": rec.exercise, "manual": rec.manual, "closed": rec.closed,
            "end_reason": rec.end_reason.value, "interruptions": rec.interruptions,
            "interrupted_s": rec.interrupted_s, "session_reps": list(rec.session_reps)}


# --- what a set amounted to: the one summary every screen, export and report shows -----------
@dataclass(frozen=True)
class SetSummary:
    set_index: int
    exercise: str
    reps: int                        # complete reps (the counter's number)
    partial_reps: int                # partial or failed reps: own rows, never judged
    mean_ratio: float                # mean of the judged reps' ratios; NaN if none
    min_ratio: float
    worst_rep: int | None            # the rep with the lowest ratio: the one to look at first
    verdicts: dict = field(default_factory=dict)   # Verdict -> count over complete reps
    glute_first_reps: int = 0        # onset_lag_s > 0: glutes fired before the erectors
    erector_first_reps: int = 0      # onset_lag_s < 0 (a lag of exactly 0 is neither)
    onset_order: str = "unknown"     # "glute_first" | "erector_first" | "mixed" | "unknown"
    mean_onset_lag_s: float = float("nan")
    mean_symmetry_index_pct: float = float("nan")
    t_start_s: float = float("nan")
    t_end_s: float = float("nan")
    end_reason: str = ""
    manual: bool = False
    interruptions: int = 0
    mean_hip_short_of_neutral_deg: float = float("nan")   # hip gap at the tops (docs/hip.md)
    max_hip_short_of_neutral_deg: float = float("nan")
    hips_short_reps: int = 0         # reps told "finish with your hips" (hip/scoring.py)

    @property
    def onset_text(self) -> str:
        known = self.glute_first_reps + self.erector_first_reps
        if known == 0:
            return "onset order unknown"
        if self.glute_first_reps >= self.erector_first_reps:
            return f"glutes first in {self.glute_first_reps} of {known} reps"
        return f"erectors first in {self.erector_first_reps} of {known} reps"

    def verdict_count(self, verdict: Verdict) -> int:
        return int(self.verdicts.get(verdict, 0))


def _nanmean(values) -> float:
    vals = [float(v) for v in values if v is not None and math.isfinite(v)]
    return sum(vals) / len(vals) if vals else float("nan")


def summarize(rec: SetRecord) -> SetSummary:
    done = rec.complete_reps
    judged = [(r.ratio, r.rep) for r in done
              if math.isfinite(r.ratio) and r.verdict != Verdict.UNKNOWN]
    lags = [r.onset_lag_s for r in done if math.isfinite(r.onset_lag_s)]
    g_first = sum(1 for x in lags if x > 0)
    e_first = sum(1 for x in lags if x < 0)
    if not g_first and not e_first:
        order = "unknown"
    elif g_first == len(lags):
        order = "glute_first"
    elif e_first == len(lags):
        order = "erector_first"
    else:
        order = "mixed"
    counts = Counter(r.verdict for r in done)
    worst = min(judged) if judged else (float("nan"), None)
    gaps = [r.hip_short_of_neutral_deg for r in done if math.isfinite(r.hip_short_of_neutral_deg)]
    return SetSummary(
        set_index=rec.set_index, exercise=rec.exercise, reps=len(done),
        partial_reps=len(rec.reps) - len(done),
        mean_ratio=_nanmean(x for x, _ in judged), min_ratio=worst[0], worst_rep=worst[1],
        verdicts={v: counts.get(v, 0) for v in Verdict},
        glute_first_reps=g_first, erector_first_reps=e_first, onset_order=order,
        mean_onset_lag_s=_nanmean(lags),
        mean_symmetry_index_pct=_nanmean(r.symmetry_index_pct for r in done),
        t_start_s=rec.t_start_s, t_end_s=rec.t_end_s, end_reason=rec.end_reason.value,
        manual=rec.manual, interruptions=rec.interruptions,
        mean_hip_short_of_neutral_deg=_nanmean(gaps),
        max_hip_short_of_neutral_deg=max(gaps) if gaps else float("nan"),
        hips_short_reps=sum(1 for r in done if r.cue == CUE_FINISH_WITH_HIPS))
