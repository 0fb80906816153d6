"""A self-contained HTML report of one session for the physiotherapist.

Inline SVG drawn here in Python, inline CSS, no scripts, nothing fetched: the
file opens offline, can be mailed or archived as one file, and prints.
"""
from __future__ import annotations

import math
from datetime import datetime
from html import escape
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import UserError
from ..model import Muscle, RepResult, Verdict
from ..sets import SetRecord, summarize
from .export import envelopes, rep_unit
from .history import TrendPoint, ratio_trend
from .reader import Session, load_session
from .svg import Chart

#: used when the session does not say which target its verdicts were judged against:
#: glutes at least as active as the erectors at lockout.
DEFAULT_TARGET_RATIO = 1.0

VERDICT_STYLE = {   # colour + marker shape, so the verdict survives colour-blindness and greyscale
    Verdict.GLUTES_FINISHED: ("#2e7d32", "circle", "glutes finished"),
    Verdict.BORDERLINE: ("#f2a900", "diamond", "borderline"),
    Verdict.LUMBAR_DOMINANT: ("#c62828", "triangle", "lumbar dominant"),
    Verdict.UNKNOWN: ("#9e9e9e", "square", "no usable amplitude"),
}
GLUTE_COLOR = "#1565c0"
ERECTOR_COLOR = "#e65100"

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;max-width:1100px;
margin:24px auto;padding:0 16px;line-height:1.4;font-size:14px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #ddd;
padding-bottom:3px} .sub{color:#555;font-size:13px}
.cards{display:flex;gap:10px;flex-wrap:wrap;margin:14px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:120px}
.card b{display:block;font-size:20px} .card span{font-size:12px;color:#555}
table{border-collapse:collapse;font-size:13px;margin:6px 0} td,th{border:1px solid #ddd;padding:3px 8px;
text-align:right} th{background:#f5f5f5} td.l,th.l{text-align:left}
.grid{display:flex;flex-wrap:wrap;gap:6px} .note{font-size:12.5px;color:#444}
.legend span{display:inline-block;margin-right:14px;font-size:12.5px}
.sw{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px;border:1px solid #444}
.warn{background:#fff4e5;border:1px solid #f2a900;padding:6px 10px;border-radius:5px;font-size:13px}
@media print{h2{break-after:avoid} svg{break-inside:avoid}}
"""


def _fmt(x: float, spec: str = ".2f", none: str = "–") -> str:
    return format(x, spec) if x is not None and math.isfinite(x) else none


def _legend() -> str:
    items = "".join(f'<span><i class="sw" style="background:{c}"></i>{escape(label)}</span>'
                    for c, _, label in VERDICT_STYLE.values())
    return f'<div class="legend">{items}</div>'


def session_target(meta) -> tuple[float, str]:
    """The target the verdicts were judged against: recorded, else the exercise's default."""
    if meta.target_ratio is not None:
        return float(meta.target_ratio), ""
    from ..exercises import get_exercise
    try:
        return float(get_exercise(meta.exercise).target_ratio), f" ({meta.exercise} default)"
    except ValueError:                   # an exercise this version does not know
        return DEFAULT_TARGET_RATIO, " (default)"


def ratio_chart(reps: list[RepResult], target: float, target_note: str) -> str:
    """Ratio of every rep, grouped by set, against the target line."""
    if not reps:
        return '<p class="note">No reps were detected in this session.</p>'
    xs, labels, set_marks = [], [], []
    x = 0.0
    last_set = None
    for r in reps:
        if last_set is not None and r.set_index != last_set:
            x += 1.0                         # a gap between sets
        if r.set_index != last_set:
            set_marks.append((x, r.set_index))
        xs.append(x)
        labels.append((x, str(r.rep)))
        last_set = r.set_index
        x += 1.0
    ratios = [r.ratio for r in reps if math.isfinite(r.ratio)]
    y_hi = max([target * 1.5, *[v * 1.1 for v in ratios]])
    width = max(640, min(1060, 160 + 40 * len(xs)))
    c = Chart(width, 260, (-0.7, xs[-1] + 0.7), (0.0, y_hi), margin=(44, 120, 22, 34),
              title="Glute / erector ratio at the top of each rep", y_label="ratio",
              x_label="rep (grouped by set)", x_ticks=False)
    label = f"target {target:.2f}{target_note}"
    c.hline(target, "#555")
    for xi, r in zip(xs, reps):
        color, shape, name = VERDICT_STYLE[r.verdict]
        tip = (f"set {r.set_index} rep {r.rep}: ratio {_fmt(r.ratio)} ({name}), "
               f"glute {_fmt(r.glute, '.1f')} / erector {_fmt(r.erector, '.1f')} {rep_unit(r)}")
        c.bar(xi, 0.55, r.ratio, color, title=tip)
        c.marker(xi, r.ratio, color, shape=shape, size=5, title=tip)
        if not math.isfinite(r.ratio):
            c.text(xi, 0.0, "?", color="#777", dy=-4)
    c.x_category_labels(labels)
    c.text(c.x1, target, " " + label, anchor="start", dy=4, color="#555")
    for xs0, s in set_marks:
        c.text(xs0 - 0.3, y_hi, f"set {s}", anchor="start", dy=12, weight="600", color="#444")
    return c.svg() + _legend()


def _muscle_mean(env: np.ndarray, session: Session, names: tuple[str, ...], muscle: Muscle):
    cols = [k for k, n in enumerate(names)
            if session.info.channels[session.info.index(n)].muscle == muscle]
    return env[:, cols].mean(axis=1) if cols else None


def top_multiples(session: Session, reps: list[RepResult], env_names, env, env_unit) -> str:
    """Glute and erector envelopes 1.5 s either side of each top, one small panel per rep."""
    if not reps or env is None:
        return '<p class="note">No reps to show.</p>'
    rate = session.sample_rate_hz
    glute = _muscle_mean(env, session, env_names, Muscle.GLUTE)
    erector = _muscle_mean(env, session, env_names, Muscle.ERECTOR)
    t = session.times_s
    half_s = 1.5
    windows = []
    y_hi = 0.0
    for r in reps:
        sel = (t >= r.t_top_s - half_s) & (t <= r.t_top_s + half_s)
        windows.append(sel)
        for trace in (glute, erector):
            if trace is not None and sel.any():
                y_hi = max(y_hi, float(np.nanmax(trace[sel])))
    y_hi = y_hi * 1.1 or 1.0
    unit = {"pct_mvc": "%MVC", "uV": "µV"}.get(env_unit, env_unit)
    panels = []
    step = max(1, int(rate / 100))                # ~100 points per second is plenty to see shape
    for r, sel in zip(reps, windows):
        color, _, name = VERDICT_STYLE[r.verdict]
        c = Chart(210, 130, (-half_s, half_s), (0.0, y_hi), margin=(34, 6, 8, 18),
                  title=f"S{r.set_index} R{r.rep} · ratio {_fmt(r.ratio)}", font_px=10)
        c.vspan(r.window_start_s - r.t_top_s, r.window_end_s - r.t_top_s, color, 0.18)
        c.vline(0.0, "#777")
        idx = np.nonzero(sel)[0][::step]
        if glute is not None:
            c.line(t[idx] - r.t_top_s, glute[idx], GLUTE_COLOR, 1.6)
        if erector is not None:
            c.line(t[idx] - r.t_top_s, erector[idx], ERECTOR_COLOR, 1.6)
        c.text(half_s, y_hi, name, color=color, anchor="end", dy=10, size=9, weight="600")
        panels.append(c.svg())
    legend = (f'<div class="legend"><span><i class="sw" style="background:{GLUTE_COLOR}"></i>'
              f'glutes (mean of sides)</span><span><i class="sw" style="background:{ERECTOR_COLOR}">'
              f'</i>lumbar erectors (mean of sides)</span><span>shaded: lockout window used for '
              f'the ratio · x: s from the top · y: envelope in {escape(unit)} (same scale in every '
              f'panel)</span></div>')
    return f'<div class="grid">{"".join(panels)}</div>{legend}'


def onset_chart(reps: list[RepResult]) -> str:
    lags = [r.onset_lag_s for r in reps]
    finite = [abs(v) for v in lags if math.isfinite(v)]
    if not finite:
        return '<p class="note">Onset order could not be measured (no clear bursts).</p>'
    lim = max(finite) * 1.2 or 0.1
    c = Chart(max(640, min(1060, 160 + 40 * len(reps))), 190, (-0.7, len(reps) - 0.3), (-lim, lim),
              margin=(48, 14, 20, 34), title="Onset order: erector onset − glute onset",
              y_label="lag (s)", x_label="rep", x_ticks=False)
    c.hline(0.0, "#555")
    for i, r in enumerate(reps):
        v = r.onset_lag_s
        color = GLUTE_COLOR if v > 0 else ERECTOR_COLOR
        c.bar(i, 0.6, v, color, title=f"set {r.set_index} rep {r.rep}: {_fmt(v, '+.3f')} s")
    c.x_category_labels([(i, f"{r.set_index}.{r.rep}") for i, r in enumerate(reps)])
    c.text(-0.6, lim, "glutes first ↑", anchor="start", dy=12, color=GLUTE_COLOR, size=10)
    c.text(-0.6, -lim, "erectors first ↓", anchor="start", dy=-4, color=ERECTOR_COLOR, size=10)
    return c.svg()


def symmetry_table(reps: list[RepResult], unit: str) -> str:
    def mean(attr):
        vals = [getattr(r, attr) for r in reps if math.isfinite(getattr(r, attr))]
        return sum(vals) / len(vals) if vals else float("nan")
    rows = []
    for muscle in ("glute", "erector"):
        left, right = mean(f"{muscle}_left"), mean(f"{muscle}_right")
        si = (abs(left - right) / ((left + right) / 2) * 100
              if math.isfinite(left) and math.isfinite(right) and left + right > 0 else float("nan"))
        rows.append(f'<tr><td class="l">{muscle}s</td><td>{_fmt(left, ".1f")}</td>'
                    f'<td>{_fmt(right, ".1f")}</td><td>{_fmt(si, ".0f")}</td></tr>')
    sis = [r.symmetry_index_pct for r in reps if math.isfinite(r.symmetry_index_pct)]
    extra = (f'<p class="note">Glute symmetry index per rep: mean {sum(sis) / len(sis):.0f} %, '
             f'worst {max(sis):.0f} % (0 % = both sides equally active).</p>' if sis else "")
    return (f'<table><tr><th class="l">muscle</th><th>left ({escape(unit)})</th>'
            f'<th>right ({escape(unit)})</th><th>symmetry index (%)</th></tr>{"".join(rows)}'
            f'</table>{extra}')


def sets_table(records: list[SetRecord]) -> str:
    rows = []
    for s in (summarize(rec) for rec in records):
        partial = f" (+{s.partial_reps} partial)" if s.partial_reps else ""
        rows.append(f"<tr><td>{s.set_index}</td><td>{s.reps}{partial}</td>"
                    f"<td>{_fmt(s.mean_ratio)}</td><td>{_fmt(s.min_ratio)}</td>"
                    f"<td>{s.worst_rep or '–'}</td>"
                    f"<td>{s.verdict_count(Verdict.GLUTES_FINISHED)}</td>"
                    f"<td>{s.verdict_count(Verdict.BORDERLINE)}</td>"
                    f"<td>{s.verdict_count(Verdict.LUMBAR_DOMINANT)}</td>"
                    f"<td class='l'>{s.onset_order.replace('_', ' ')}</td></tr>")
    return ("<table><tr><th>set</th><th>reps</th><th>mean ratio</th><th>min ratio</th>"
            "<th>worst rep</th><th>glutes finished</th><th>borderline</th><th>lumbar dominant</th>"
            f"<th class='l'>onset order</th></tr>{''.join(rows)}</table>")


def calibration_block(session: Session) -> str:
    cal = session.calibration
    if not cal:
        return ('<p><b>Uncalibrated.</b> Amplitudes are in the electrodes\' own units (µV), so the '
                'ratio compares raw amplitudes of two different muscles: it depends on electrode '
                'placement and skin, and is only comparable within this session. Record an MVC '
                'calibration to compare sessions in %MVC.</p>')
    mvc = cal.get("mvc_rms") or {}
    rest = cal.get("rest_rms") or {}
    tasks = cal.get("tasks") or {}
    unit = {"uV": "µV"}.get(cal.get("unit", ""), cal.get("unit", ""))
    rows = "".join(f'<tr><td class="l">{escape(str(ch))}</td><td>{_fmt(v, ".1f")}</td>'
                   f'<td>{_fmt(rest.get(ch, float("nan")), ".1f")}</td>'
                   f'<td class="l">{escape(str(tasks.get(ch, "")))}</td></tr>'
                   for ch, v in mvc.items())
    return (f'<p>Calibrated to a maximal voluntary contraction (amplitudes in %MVC) on '
            f'{escape(str(cal.get("created_iso", "an unknown date")))}.</p>'
            f'<table><tr><th class="l">channel</th><th>MVC RMS ({escape(unit)})</th>'
            f'<th>rest RMS ({escape(unit)})</th><th class="l">MVC task</th></tr>{rows}</table>')


def quality_block(session: Session, reps: list[RepResult]) -> str:
    notes = []
    if not session.closed:
        notes.append("The recording did not end cleanly (program killed, crash or disk "
                     "error): the last second may be missing.")
    lost = [e for e in session.events if e.kind.value in ("gap", "disconnected")]
    if lost:
        total = sum(e.duration_s for e in lost)
        notes.append(f"{len(lost)} interruption(s) in the signal ({total:.2f} s in total): "
                     + ", ".join(f"{e.kind.value} at {e.sample_index / session.sample_rate_hz:.1f} s"
                                 for e in lost[:8]) + ("…" if len(lost) > 8 else ""))
    for err in session.errors:
        notes.append(f"Error at {_fmt(err.get('t_s'), '.1f')} s: {err.get('detail', '')}")
    for r in reps:
        if r.quality_flags:
            notes.append(f"Set {r.set_index} rep {r.rep}: " + "; ".join(r.quality_flags))
    for m in session.marks:
        if m.get("kind") == "note" and m.get("text"):
            notes.append(f"Note at {_fmt(m.get('t_s'), '.1f')} s: {m['text']}")
    if not notes:
        return '<p class="note">No signal-quality problems were flagged.</p>'
    return "<ul class='note'>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>"


def trend_chart(trend: list[TrendPoint], current: datetime | None,
                target: float) -> str:
    if len(trend) < 2:
        return ('<p class="note">Only this session is on record for this athlete; the trend '
                'appears from the second session on.</p>')
    t0 = trend[0].started
    days = [(p.started - t0).total_seconds() / 86400 for p in trend]
    vals = [p.mean_ratio for p in trend]
    y_hi = max([target * 1.3, *[v * 1.15 for v in vals]])
    span = max(days[-1], 1.0)
    c = Chart(800, 220, (-span * 0.04, span * 1.04), (0.0, y_hi), margin=(44, 90, 22, 34),
              title="Mean ratio per session", y_label="mean ratio", x_label="", x_ticks=False)
    c.hline(target, "#555")
    c.text(c.x1, target, f" target {target:.2f}", anchor="start", dy=4, color="#555")
    c.line(days, vals, "#37474f", 1.5)
    for x, p in zip(days, trend):
        d, m, n = p.started, p.mean_ratio, p.reps
        is_current = current is not None and d == current
        c.marker(x, m, "#1565c0" if is_current else "#90a4ae", size=6 if is_current else 4.5,
                 title=f"{d.date().isoformat()}: mean ratio {m:.2f} over {n} reps")
    step = max(1, len(trend) // 8)
    c.x_category_labels([(x, p.started.strftime("%d %b")) for x, p in
                         list(zip(days, trend))[::step]])
    return c.svg()


def render_report(session: Session, history_root: Path | str | None = None) -> str:
    """The whole report as one HTML string. History defaults to the session's parent folder."""
    m = session.meta
    reps = sorted(session.reps, key=lambda r: (r.set_index, r.rep))
    target, target_note = session_target(m)
    unit = rep_unit(reps[0]) if reps else ("pct_mvc" if session.calibration else "uv")
    unit_label = {"pct_mvc": "%MVC", "uv": "µV", "mv": "mV"}.get(unit, unit)
    try:
        env_names, env, env_unit = envelopes(session)
    except (UserError, ValueError):
        env_names, env, env_unit = (), None, ""
    root = Path(history_root) if history_root is not None else session.path.parent
    try:
        trend = ratio_trend(m.athlete, root, exercise=m.exercise or None)
    except OSError:
        trend = []
    try:
        started = m.started_dt
    except ValueError:
        started = None
    summaries = [summarize(rec) for rec in session.sets]
    judged = [r.ratio for rec in session.sets for r in rec.complete_reps
              if math.isfinite(r.ratio) and r.verdict != Verdict.UNKNOWN]
    mean_ratio = sum(judged) / len(judged) if judged else float("nan")
    n_lumbar = sum(s.verdict_count(Verdict.LUMBAR_DOMINANT) for s in summaries)
    n_sets = len(summaries)
    n_reps = sum(s.reps for s in summaries)
    date = started.strftime("%d %B %Y, %H:%M") if started else escape(m.started)
    cards = [
        (f"{n_reps}", f"reps in {n_sets} set{'s' if n_sets != 1 else ''}"),
        (_fmt(mean_ratio), "mean glute / erector ratio"),
        (f"{n_lumbar}", "lumbar-dominant reps"),
        ("%MVC" if session.calibration else "uncalibrated", "amplitude scale"),
        (f"{session.duration_s:.0f} s", "recorded"),
    ]
    cards_html = "".join(f'<div class="card"><b>{escape(v)}</b><span>{escape(k)}</span></div>'
                         for v, k in cards)
    warn = ("" if session.closed else
            '<p class="warn">This recording ended abruptly; results cover what was saved.</p>')
    body = f"""
<h1>Lockout report: {escape(m.athlete or 'unnamed athlete')}</h1>
<div class="sub">{escape(m.exercise or 'exercise not recorded')} · {date} ·
{escape(session.info.device or 'device unknown')} · {session.sample_rate_hz:g} Hz ·
emg-monitor {escape(m.software_version)}</div>
{warn}<div class="cards">{cards_html}</div>
<h2>Ratio at the top of every rep</h2>
<p class="note">The ratio compares glute to lumbar-erector activation during the lockout window:
above the target line the glutes finished the rep; below it the lower back did more of the
work.</p>
{ratio_chart(reps, target, target_note)}
{sets_table(session.sets) if session.sets else ''}
<h2>Envelopes around each top</h2>
{top_multiples(session, reps, env_names, env, env_unit)}
<h2>Onset order</h2>
<p class="note">Positive: the glutes started firing before the erectors on the way up.</p>
{onset_chart(reps) if reps else ''}
<h2>Left / right symmetry (lockout amplitudes)</h2>
{symmetry_table(reps, unit_label) if reps else '<p class="note">No reps.</p>'}
<h2>Signal quality and notes</h2>
{quality_block(session, reps)}
<h2>Calibration</h2>
{calibration_block(session)}
<h2>Trend across sessions</h2>
{trend_chart(trend, started, target)}
<p class="sub" style="margin-top:30px">Surface-EMG amplitudes are a training cue, not a
diagnosis. Generated by emg-monitor {escape(__version__)} from {escape(session.path.name)};
this file contains health data: share it only with the athlete's consent.</p>
"""
    title = f"Lockout report – {m.athlete} – {m.started[:10]}"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>\n")


def write_report(session_path: Path | str, out: Path | str | None = None,
                 history_root: Path | str | None = None) -> Path:
    session = load_session(session_path)
    out_path = Path(out) if out is not None else session.path / "report.html"
    html = render_report(session, history_root)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {out_path}: {exc.strerror or exc}; "
                        "choose a writable path with --out") from exc
    return out_path
