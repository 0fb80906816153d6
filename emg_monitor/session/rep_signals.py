"""Per-rep signal features for the report, from one pass over the recording in bounded memory.

The session is read chunk by chunk through the live processing chain
(``export.iter_envelopes``); only the few seconds around reps that are still
being cut out are held, plus a fixed-size overview of the whole recording, so
a two-hour session costs what a two-minute one does. Per rep and EMG channel:

* the envelope time-normalised from the rep's start to its end (0-100 %, 101
  points), so reps of different durations can be averaged with their spread;
* peak and mean envelope over the rep (in %MVC once calibrated);
* the median frequency of the raw EMG over the rep (Welch spectrum restricted to
  20-450 Hz): its fall across a set is the usual sEMG fatigue index (Cifrek et al.
  2009, Clin Biomech 24:327) — in dynamic lifts it also moves with joint angle and
  force, so read the trend across the set, not single values;
* the envelope 1.5 s either side of the top, at 100 Hz, for the per-rep panels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

from ..model import RepResult, RepStatus
from .export import iter_envelopes
from .reader import CHUNK_ROWS, Session

CURVE_POINTS = 101
PANEL_HALF_S = 1.5
PANEL_RATE_HZ = 100.0
MDF_BAND_HZ = (20.0, 450.0)


@dataclass(frozen=True)
class RepSignals:
    rep: RepResult
    curve: np.ndarray          # (CURVE_POINTS, n_emg) envelope over 0..100 % of the rep
    peak: np.ndarray           # (n_emg,) over the rep
    mean: np.ndarray           # (n_emg,)
    mdf_hz: np.ndarray         # (n_emg,) median frequency of the raw EMG over the rep
    panel_t_s: np.ndarray      # (m,) seconds from the top
    panel: np.ndarray          # (m, n_emg) envelope around the top


@dataclass(frozen=True)
class SessionSignals:
    names: tuple[str, ...]     # EMG channels (envelope columns)
    unit: str                  # envelope unit ("pct_mvc" once calibrated)
    reps: list[RepSignals]
    overview_t_s: np.ndarray   # (k,) bucket start times
    overview: np.ndarray       # (k, n_emg) largest envelope value in each bucket


def median_frequency_hz(x: np.ndarray, fs: float, band=MDF_BAND_HZ) -> float:
    """The frequency that halves the EMG power in ``band`` (Welch, 0.25 s Hann segments)."""
    x = np.asarray(x, dtype=float)
    if x.size < int(0.25 * fs) or not np.isfinite(x).all():
        return math.nan
    f, p = signal.welch(x - x.mean(), fs=fs, nperseg=min(x.size, int(0.25 * fs)))
    keep = (f >= band[0]) & (f <= min(band[1], fs / 2))
    f, p = f[keep], p[keep]
    total = float(p.sum())
    if total <= 0:
        return math.nan
    c = np.cumsum(p)
    return float(f[int(np.searchsorted(c, 0.5 * total))])


#: longer than any rep the detector can cut (its look-back is 40 s): a rep spanning more
#: came from a damaged or hand-edited reps.jsonl, and cutting it out would hold the
#: whole recording in memory
MAX_REP_S = 60.0


def _usable(rep: RepResult) -> bool:
    """A complete rep whose times can be cut out of the recording."""
    t = (rep.t_start_s, rep.t_top_s, rep.t_end_s)
    return (rep.status == RepStatus.COMPLETE and all(map(math.isfinite, t))
            and rep.t_start_s <= rep.t_top_s <= rep.t_end_s
            and rep.t_end_s - rep.t_start_s <= MAX_REP_S)


def _span(rep: RepResult, fs: float) -> tuple[int, int]:
    """Samples [a, b) a rep needs: its own window and the panel around its top."""
    a = min(rep.t_start_s, rep.t_top_s - PANEL_HALF_S)
    b = max(rep.t_end_s, rep.t_top_s + PANEL_HALF_S)
    return int(math.floor(a * fs)), int(math.ceil(b * fs)) + 1


def _features(rep: RepResult, idx: np.ndarray, raw: np.ndarray, env: np.ndarray,
              emg_cols: list[int], fs: float) -> RepSignals | None:
    t = idx / fs
    inside = (t >= rep.t_start_s) & (t <= rep.t_end_s)
    n_emg = env.shape[1]
    if inside.sum() < 4:
        return None
    e = env[inside]
    u = np.linspace(0.0, 1.0, CURVE_POINTS)
    tr = (t[inside] - rep.t_start_s) / max(rep.t_end_s - rep.t_start_s, 1e-9)
    curve = np.column_stack([np.interp(u, tr, e[:, j]) for j in range(n_emg)])
    mdf = np.array([median_frequency_hz(raw[inside, c], fs) for c in emg_cols])
    step = max(1, int(round(fs / PANEL_RATE_HZ)))
    near = np.nonzero(np.abs(t - rep.t_top_s) <= PANEL_HALF_S)[0][::step]
    with np.errstate(all="ignore"):
        return RepSignals(rep, curve, np.nanmax(e, axis=0), np.nanmean(e, axis=0), mdf,
                          t[near] - rep.t_top_s, env[near])


def session_signals(session: Session, reps: list[RepResult], *, chunk_rows: int = CHUNK_ROWS,
                    overview_points: int = 1500) -> SessionSignals:
    """One streaming pass: features of every complete rep and the recording's overview (a
    rep whose times are damaged gets none; the others are untouched)."""
    fs = float(session.sample_rate_hz)
    pipe, chunks = iter_envelopes(session, chunk_rows)
    names, unit = tuple(pipe.emg_names), pipe.envelope_unit
    emg_cols = [session.info.index(n) for n in names]
    pending = sorted(filter(_usable, reps), key=lambda r: _span(r, fs)[0])
    spans = [_span(r, fs) for r in pending]
    first = session.first_index
    total = max(1, session.n_samples)
    bucket = max(1, math.ceil(total / overview_points))
    n_buckets = math.ceil(total / bucket)
    overview = np.full((n_buckets, len(names)), np.nan)
    held: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []    # (index, raw, envelope)
    out: list[RepSignals] = []
    k = 0

    def cut(a: int, b: int):
        parts = [(i, d, e) for i, d, e in held if i.size and i[-1] >= a and i[0] < b]
        idx = np.concatenate([p[0] for p in parts])
        keep = (idx >= a) & (idx < b)
        return (idx[keep], np.concatenate([p[1] for p in parts])[keep],
                np.concatenate([p[2] for p in parts])[keep])

    for c in chunks:
        if c.index.size == 0:
            continue
        slot = np.clip((c.index - first) // bucket, 0, n_buckets - 1)
        for j in range(len(names)):
            col = c.envelope[:, j]
            ok = np.isfinite(col)
            if ok.any():
                np.fmax.at(overview[:, j], slot[ok], col[ok])
        held.append((c.index, c.data, c.envelope))
        end = int(c.index[-1]) + 1
        while k < len(pending) and spans[k][1] <= end:
            idx, raw, env = cut(*spans[k])
            if idx.size:
                feat = _features(pending[k], idx, raw, env, emg_cols, fs)
                if feat is not None:
                    out.append(feat)
            k += 1
        # keep only what a rep still to come may need: memory stays bounded
        need = spans[k][0] if k < len(pending) else end
        held = [h for h in held if h[0][-1] >= need]
    while k < len(pending):                       # reps running past the recording's end
        if held:
            idx, raw, env = cut(*spans[k])
            feat = _features(pending[k], idx, raw, env, emg_cols, fs) if idx.size else None
            if feat is not None:
                out.append(feat)
        k += 1
    out.sort(key=lambda s: (s.rep.set_index, s.rep.rep))
    t_over = (first + np.arange(n_buckets) * bucket) / fs
    return SessionSignals(names, unit, out, t_over, overview)


def fatigue_slope(values: list[float]) -> tuple[float, float]:
    """(slope per rep, change first-to-last fitted, % of the first) of a least-squares line;
    NaN with fewer than 3 finite values."""
    y = np.asarray(values, dtype=float)
    x = np.arange(y.size, dtype=float)
    ok = np.isfinite(y)
    if ok.sum() < 3:
        return math.nan, math.nan
    slope, icpt = np.polyfit(x[ok], y[ok], 1)
    start = icpt
    change = slope * (y.size - 1)
    return float(slope), float(100.0 * change / start) if start > 0 else math.nan
