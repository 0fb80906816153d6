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

from .. import __version__, palette
from ..errors import UserError
from ..model import RepResult, Verdict, unit_label
from ..sets import SetRecord, summarize
from ..placement_text import ELECTRODES, PLACEMENT_TEXT, SKIN_PREP
from .export import rep_unit
from .rep_signals import SessionSignals, fatigue_slope, session_signals
from .history import TrendPoint, hip_trend, ratio_trend
from .report_hip import hip_section
from .reader import Session, load_session
from .report_pdf import GRID_CUT, write_pdf
from .svg import Chart, dated_series, rep_axis

#: used when the session does not say which target its verdicts were judged against:
#: glutes at least as active as the erectors at lockout.
DEFAULT_TARGET_RATIO = 1.0

#: the dashboard's colour-blind-safe palette (Okabe-Ito) + a marker shape per verdict, so the
#: verdict survives colour-blindness and greyscale printing
VERDICT_STYLE = {
    Verdict.GLUTES_FINISHED: (palette.BLUISH_GREEN, "circle", "glutes finished"),
    Verdict.BORDERLINE: (palette.ORANGE, "diamond", "borderline"),
    Verdict.LUMBAR_DOMINANT: (palette.VERMILLION, "triangle", "lumbar dominant"),
    Verdict.UNKNOWN: (palette.GREY, "square", "no verdict"),
}
GLUTE_COLOR = palette.BLUE
ERECTOR_COLOR = palette.VERMILLION

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
svg{max-width:100%;height:auto}
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


def borderline_pct(meta) -> float:
    from ..exercises import get_exercise
    try:
        return float(get_exercise(meta.exercise).borderline_pct)
    except ValueError:
        return 15.0


def ratio_chart(reps: list[RepResult], target: float, target_note: str,
                band_pct: float = 15.0) -> str:
    """Ratio of every rep, grouped by set, against the target line."""
    if not reps:
        return '<p class="note">No reps were detected in this session.</p>'
    xs, labels, set_marks = rep_axis(reps)
    ratios = [r.ratio for r in reps if math.isfinite(r.ratio)]
    y_hi = max([target * 1.5, *[v * 1.1 for v in ratios]])
    width = max(640, min(1060, 160 + 40 * len(xs)))
    c = Chart(width, 260, (-0.7, xs[-1] + 0.7), (0.0, y_hi), margin=(44, 70, 22, 34),
              title="Glute / erector ratio at the top of each rep", y_label="ratio",
              x_label="rep (grouped by set)", x_ticks=False)
    lo, hi = target * (1 - band_pct / 100), target * (1 + band_pct / 100)
    c.hband(lo, hi, palette.ORANGE, 0.12)
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
    c.text(c.x1, target, " target", anchor="start", dy=4, color="#555")   # fits the margin
    for xs0, s in set_marks:
        c.text(xs0 - 0.3, y_hi, f"set {s}", anchor="start", dy=12, weight="600", color="#444")
    key = (f'<p class="note">Dashed line: target {target:.2f}{escape(target_note)}; shaded: '
           f'the borderline band ({lo:.2f}–{hi:.2f}, ±{band_pct:.0f} %).</p>')
    return c.svg() + _legend() + key


def _side_lines(names: tuple[str, ...], muscle: str) -> list[tuple[int, str, str]]:
    """(column, label, colour) of each side of ``muscle``: the dashboard's trace colours."""
    return [(j, n.replace("_", " "), palette.trace_colour(n, j))
            for j, n in enumerate(names) if muscle in n]


def _trace_legend(names: tuple[str, ...], extra: str = "") -> str:
    items = "".join(f'<span><i class="sw" style="background:{palette.trace_colour(n, j)}"></i>'
                    f'{escape(n.replace("_", " "))}</span>' for j, n in enumerate(names))
    return f'<div class="legend">{items}<span>{escape(extra)}</span></div>'


def top_multiples(sig: SessionSignals) -> str:
    """Each side's envelope 1.5 s either side of each top, one small panel per rep."""
    if not sig.reps:
        return '<p class="note">No reps to show.</p>'
    y_hi = max([float(np.nanmax(r.panel)) for r in sig.reps if r.panel.size] + [1e-9]) * 1.1
    unit = unit_label(sig.unit)
    panels = []
    for rs in sig.reps:
        r = rs.rep
        color, _, name = VERDICT_STYLE[r.verdict]
        c = Chart(210, 130, (-1.5, 1.5), (0.0, y_hi), margin=(34, 6, 8, 18),
                  title=f"Set {r.set_index} rep {r.rep} · ratio {_fmt(r.ratio)}", font_px=10)
        c.vspan(r.window_start_s - r.t_top_s, r.window_end_s - r.t_top_s, color, 0.18)
        c.vline(0.0, "#777")
        for j, n in enumerate(sig.names):
            c.line(rs.panel_t_s, rs.panel[:, j], palette.trace_colour(n, j), 1.3,
                   dash="" if n.startswith("left") else "4,2")
        c.text(1.5, y_hi, name, color=color, anchor="end", dy=10, size=9, weight="600")
        panels.append(c.svg())
    return (f'<div class="grid">{GRID_CUT.join(panels)}</div>' + _trace_legend(
        sig.names, f"right side dashed · shaded: lockout window used for the ratio · x: s from "
        f"the top · y: envelope in {unit} (same scale in every panel)"))


def side_traces(sig: SessionSignals) -> str:
    """The whole recording, each side on its own line (the largest envelope value of every
    ~1/1500 of the recording, so no burst is lost to the drawing's resolution)."""
    if sig.overview.size == 0 or not np.isfinite(sig.overview).any():
        return '<p class="note">No signal to draw.</p>'
    unit = unit_label(sig.unit)
    t = sig.overview_t_s
    out = []
    for muscle, title in (("glute", "Glutes, left and right"), ("erector", "Lumbar erectors, "
                                                                           "left and right")):
        lines = _side_lines(sig.names, muscle)
        if not lines:
            continue
        y_hi = max(float(np.nanmax(sig.overview[:, [j for j, _, _ in lines]])), 1e-9) * 1.1
        c = Chart(1000, 170, (float(t[0]), float(t[-1]) if t[-1] > t[0] else float(t[0]) + 1),
                  (0.0, y_hi), margin=(44, 14, 16, 30), title=title, y_label=unit,
                  x_label="time (s)")
        for rs in sig.reps:
            c.vline(rs.rep.t_top_s, "#bbb", dash="2,3")
        for j, _, colour in lines:
            c.line(t, sig.overview[:, j], colour, 1.1)
        out.append(c.svg())
    return "".join(out) + _trace_legend(sig.names, "dotted: the top of each rep")


def average_curves(sig: SessionSignals) -> str:
    """Time-normalised envelope per side, mean ± SD over the complete reps of each set."""
    if not sig.reps:
        return '<p class="note">No complete reps to average.</p>'
    unit = unit_label(sig.unit)
    u = np.linspace(0, 100, sig.reps[0].curve.shape[0])
    out = []
    for set_index in sorted({rs.rep.set_index for rs in sig.reps}):
        curves = np.stack([rs.curve for rs in sig.reps if rs.rep.set_index == set_index])
        mean, sd = np.nanmean(curves, axis=0), np.nanstd(curves, axis=0)
        for muscle in ("glute", "erector"):
            lines = _side_lines(sig.names, muscle)
            if not lines:
                continue
            y_hi = max(float(np.nanmax(mean[:, [j for j, _, _ in lines]]
                                       + sd[:, [j for j, _, _ in lines]])), 1e-9) * 1.1
            c = Chart(330, 170, (0.0, 100.0), (0.0, y_hi), margin=(40, 8, 10, 30),
                      title=f"Set {set_index}: {muscle}s ({curves.shape[0]} reps)",
                      y_label=unit, x_label="% of the rep (start → end)", font_px=10)
            for j, _, colour in lines:
                c.band(u, mean[:, j] - sd[:, j], mean[:, j] + sd[:, j], colour, 0.18)
                c.line(u, mean[:, j], colour, 1.6)
            out.append(c.svg())
    return (f'<div class="grid">{GRID_CUT.join(out)}</div>'
            + _trace_legend(sig.names, "line: mean · band: ± 1 SD across the set's reps"))


def mvc_table(sig: SessionSignals) -> str:
    """Peak and mean envelope per muscle and side over each rep (start to end)."""
    if not sig.reps:
        return '<p class="note">No complete reps.</p>'
    unit = unit_label(sig.unit)
    head = "".join(f'<th colspan="2">{escape(n.replace("_", " "))}</th>' for n in sig.names)
    sub = "".join("<th>peak</th><th>mean</th>" for _ in sig.names)
    rows = []
    for rs in sig.reps:
        cells = "".join(f"<td>{_fmt(p, '.0f')}</td><td>{_fmt(m, '.0f')}</td>"
                        for p, m in zip(rs.peak, rs.mean))
        rows.append(f"<tr><td>{rs.rep.set_index}</td><td>{rs.rep.rep}</td>{cells}</tr>")
    return (f'<p class="note">Over each rep, from its start to its end, in {escape(unit)}.</p>'
            f'<table><tr><th rowspan="2">set</th><th rowspan="2">rep</th>{head}</tr>'
            f'<tr>{sub}</tr>{"".join(rows)}</table>')


def fatigue_block(sig: SessionSignals) -> str:
    """Median frequency of each channel per rep across each set, with its fitted trend."""
    if not sig.reps:
        return '<p class="note">No complete reps.</p>'
    out, rows = [], []
    for set_index in sorted({rs.rep.set_index for rs in sig.reps}):
        mine = [rs for rs in sig.reps if rs.rep.set_index == set_index]
        mdf = np.array([rs.mdf_hz for rs in mine])
        finite = mdf[np.isfinite(mdf)]
        if finite.size == 0:
            continue
        lo, hi = float(finite.min()) * 0.9, float(finite.max()) * 1.1
        c = Chart(480, 180, (0.5, len(mine) + 0.5), (lo, hi), margin=(44, 10, 10, 30),
                  title=f"Set {set_index}: median frequency per rep", y_label="Hz",
                  x_label="rep", x_ticks=False, font_px=10)
        c.x_category_labels([(k + 1, str(rs.rep.rep)) for k, rs in enumerate(mine)])
        for j, n in enumerate(sig.names):
            colour = palette.trace_colour(n, j)
            xs = list(range(1, len(mine) + 1))
            c.line(xs, mdf[:, j], colour, 1.4)
            for x, v in zip(xs, mdf[:, j]):
                c.marker(x, v, colour, size=3, title=f"{n} rep {x}: {_fmt(v, '.0f')} Hz")
            slope, pct = fatigue_slope(list(mdf[:, j]))
            rows.append(f'<tr><td>{set_index}</td><td class="l">{escape(n.replace("_", " "))}'
                        f'</td><td>{_fmt(float(np.nanmean(mdf[:, j])), ".0f")}</td>'
                        f'<td>{_fmt(slope, "+.1f")}</td><td>{_fmt(pct, "+.0f")}</td></tr>')
        out.append(c.svg())
    table = ('<table><tr><th>set</th><th class="l">channel</th><th>mean MDF (Hz)</th>'
             '<th>trend (Hz per rep)</th><th>change over the set (%)</th></tr>'
             f'{"".join(rows)}</table>')
    return (f'<div class="grid">{GRID_CUT.join(out)}</div>{_trace_legend(sig.names)}{table}'
            '<p class="note">Median frequency (MDF) of the raw EMG over each rep (Welch '
            'spectrum, 20–450 Hz). A falling MDF across a set is the usual surface-EMG sign of '
            'fatigue (Cifrek et al. 2009); in a dynamic lift it also moves with joint angle and '
            'force, so read the trend of the set, not single reps. Fewer than three reps: no '
            'trend.</p>')


def setup_block(session: Session) -> str:
    """Electrodes, skin preparation and the filters, as recorded."""
    m = session.meta
    sites = "".join(f"<li><b>{escape(title)}</b>: {escape(text)}</li>"
                    for title, text in PLACEMENT_TEXT.values())
    fs = m.filter_settings or {}
    filters = ("".join(f'<tr><td class="l">{escape(_filter_label(k))}</td>'
                       f'<td class="l">{escape(_filter_value(k, v))}</td></tr>'
                       for k, v in fs.items())
               or '<tr><td class="l" colspan="2">not recorded (defaults of this version)</td></tr>')
    return (f'<p class="note">{escape(ELECTRODES)}</p><ul class="note">{sites}</ul>'
            f'<p class="note">{escape(SKIN_PREP)}</p>'
            f'<table><tr><th class="l">filter (as recorded in session.json)</th>'
            f'<th class="l">setting</th></tr>{filters}</table>')


#: session.json's filter keys in a clinician's words (dsp.pipeline.FilterSettings)
FILTER_LABELS = {"highpass_glute_hz": "High-pass, glutes", "highpass_erector_hz":
                 "High-pass, lumbar erectors", "highpass_other_hz": "High-pass, other channels",
                 "lowpass_hz": "Low-pass", "order": "Butterworth order per edge",
                 "mains": "Mains notch", "notch_harmonics": "Notches (mains and its harmonics)",
                 "notch_q": "Notch quality factor Q", "mains_detect_s": "Mains detected over",
                 "rms_window_s": "RMS window", "envelope_smoothing_s": "Envelope smoothing"}


def _filter_label(key) -> str:
    return FILTER_LABELS.get(str(key), str(key).replace("_", " "))


def _filter_value(key, value) -> str:
    key = str(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if key.endswith("_hz"):
            return f"{value:g} Hz"
        if key.endswith("_s"):
            return f"{value * 1000:g} ms" if value < 1 else f"{value:g} s"
    if key == "mains" and str(value) in ("50", "60"):
        return f"{value} Hz"
    return {"auto": "auto (50 or 60 Hz, detected)", "off": "off"}.get(str(value), str(value))


def details_block(session: Session) -> str:
    m = session.meta
    load = f"{m.load_kg:g} kg" if m.load_kg is not None else "not recorded"
    rpe = f"{m.rpe:g} / 10" if m.rpe is not None else "not recorded"
    notes = escape(m.notes).replace("\n", "<br>") if m.notes else "none"
    return (f'<table><tr><th class="l">load</th><td class="l">{load}</td></tr>'
            f'<tr><th class="l">RPE</th><td class="l">{rpe}</td></tr>'
            f'<tr><th class="l">clinician notes</th><td class="l">{notes}</td></tr></table>')


def onset_chart(reps: list[RepResult]) -> str:
    lags = [r.onset_lag_s for r in reps]
    finite = [abs(v) for v in lags if math.isfinite(v)]
    if not finite:
        return '<p class="note">Onset order could not be measured (no clear bursts).</p>'
    lim = max(finite) * 1.2 or 0.1
    xs, labels, set_marks = rep_axis(reps)
    c = Chart(max(640, min(1060, 160 + 40 * len(xs))), 200, (-0.7, xs[-1] + 0.7), (-lim, lim),
              margin=(48, 14, 30, 34), title="Onset order: erector onset − glute onset",
              y_label="lag (s)", x_label="rep (grouped by set)", x_ticks=False)
    c.hline(0.0, "#555")
    for x, r in zip(xs, reps):
        v = r.onset_lag_s
        color = GLUTE_COLOR if v > 0 else ERECTOR_COLOR
        c.bar(x, 0.6, v, color, title=f"set {r.set_index} rep {r.rep}: {_fmt(v, '+.3f')} s")
    c.x_category_labels(labels)
    for x0, si in set_marks:
        c.text(x0 - 0.3, lim, f"set {si}", anchor="start", dy=-4, weight="600", color="#444")
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


def _when(iso) -> str:
    """'2026-11-24T10:20:00+01:00' as a clinician reads it: '24 Nov 2026, 10:20 (UTC+01:00)'."""
    try:
        t = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso) if iso else "an unknown date"
    zone = f" ({t.tzname()})" if t.tzinfo is not None else ""
    return f"{t.day} {t:%b %Y, %H:%M}{zone}"


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
    unit = unit_label(str(cal.get("unit", "")))
    rows = "".join(f'<tr><td class="l">{escape(str(ch).replace("_", " "))}</td>'
                   f'<td>{_fmt(v, ".1f")}</td>'
                   f'<td>{_fmt(rest.get(ch, float("nan")), ".1f")}</td>'
                   f'<td class="l">{escape(str(tasks.get(ch, "")))}</td></tr>'
                   for ch, v in mvc.items())
    return (f'<p>Calibrated to a maximal voluntary contraction (amplitudes in %MVC) on '
            f'{escape(_when(cal.get("created_iso")))}.</p>'
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
        n = len(lost)
        length = (f"{total:.2f} s in total" if total > 0 else "length not recorded")
        notes.append(f"{n} interruption{'s' if n != 1 else ''} in the signal ({length}): "
                     + ", ".join(f"{e.kind.value} at {e.sample_index / session.sample_rate_hz:.1f} s"
                                 for e in lost[:8]) + ("…" if len(lost) > 8 else ""))
    for err in session.errors:
        notes.append(f"Error at {_fmt(err.get('t_s'), '.1f')} s: {err.get('detail', '')}")
    for r in reps:
        why = [r.no_verdict_reason] if r.no_verdict_reason else []
        if why or r.quality_flags:
            notes.append(f"Set {r.set_index} rep {r.rep}: " + "; ".join([*why, *r.quality_flags]))
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
    vals = [p.mean_ratio for p in trend]
    c = dated_series([p.started for p in trend], vals,
                     [f"{p.started.date().isoformat()}: mean ratio {p.mean_ratio:.2f} over "
                      f"{p.reps} reps" for p in trend], current, title="Mean ratio per session",
                     y_label="mean ratio", y_hi=max([target * 1.3, *[v * 1.15 for v in vals]]))
    c.hline(target, "#555")
    c.text(c.x1, target, f" target {target:.2f}", anchor="start", dy=4, color="#555")
    return c.svg()


def _neutral_note(session: Session) -> str:
    marks = [m for m in session.marks if m.get("kind") == "hip_neutral"]
    if not marks:
        return ("No hip neutral was calibrated: angles are from the relaxed stand, so the "
                "gap is a few degrees larger than shown.")
    m = marks[-1]
    try:
        deg = float(m.get("relaxed_hip_deg"))
    except (TypeError, ValueError):
        deg = float("nan")
    return (f"Neutral calibrated {str(m.get('created_iso', ''))[:10]}: the squeeze extends the "
            f"hips {_fmt(deg, '.1f')}° beyond the relaxed stand.")


def render_report(session: Session, history_root: Path | str | None = None) -> str:
    """The whole report as one HTML string. History defaults to the session's parent folder."""
    m = session.meta
    reps = sorted(session.reps, key=lambda r: (r.set_index, r.rep))
    target, target_note = session_target(m)
    unit = rep_unit(reps[0]) if reps else ("pct_mvc" if session.calibration else "uv")
    shown_unit = unit_label(unit)
    try:
        sig = session_signals(session, reps)
    except (UserError, ValueError):
        sig = SessionSignals((), "", [], np.empty(0), np.empty((0, 0)))
    root = Path(history_root) if history_root is not None else session.path.parent
    try:
        trend = ratio_trend(m.athlete, root, exercise=m.exercise or None)
        trend_hip = hip_trend(m.athlete, root, exercise=m.exercise or None)
    except OSError:
        trend, trend_hip = [], []
    try:
        started = m.started_dt
    except ValueError:
        started = None
    bpct = borderline_pct(m)
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
<h2>Session</h2>
{details_block(session)}
<h2>Ratio at the top of every rep</h2>
<p class="note">The ratio compares glute to lumbar-erector activation during the lockout window.
At least {(1 + bpct / 100) * target:.2f} (the target {target:.2f} plus {bpct:.0f} %): the glutes
finished the rep (✔ bluish green). Within {bpct:.0f} % of the target either way: borderline
(▲ orange). Below {(1 - bpct / 100) * target:.2f}: the lower back did more of the work
(✖ vermillion). Reps without a verdict (a flagged channel, no calibration for an absolute
verdict) are grey.</p>
{ratio_chart(reps, target, target_note, bpct)}
{sets_table(session.sets) if session.sets else ''}
<h2>Each side across the session</h2>
{side_traces(sig)}
{hip_section(reps, trend_hip, started, _neutral_note(session))}
<h2>Envelopes around each top</h2>
{top_multiples(sig)}
<h2>Average rep (time-normalised)</h2>
{average_curves(sig)}
<h2>Peak and mean activation per rep</h2>
{mvc_table(sig)}
<h2>Fatigue: median frequency across the set</h2>
{fatigue_block(sig)}
<h2>Onset order</h2>
<p class="note">Positive: the glutes started firing before the erectors on the way up.</p>
{onset_chart(reps) if reps else ''}
<h2>Left / right symmetry (lockout amplitudes)</h2>
{symmetry_table(reps, shown_unit) if reps else '<p class="note">No reps.</p>'}
<h2>Electrodes, skin and filters</h2>
{setup_block(session)}
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
                 history_root: Path | str | None = None, *, pdf: bool = True,
                 notes: str = "") -> Path:
    """report.html (and report.pdf beside it); ``notes``: the clinician's, added to the
    session's own notes in this report."""
    session = load_session(session_path)
    if notes:
        from dataclasses import replace
        joined = "\n".join(x for x in (session.meta.notes, notes) if x)
        session.meta = replace(session.meta, notes=joined)
    out_path = Path(out) if out is not None else session.path / "report.html"
    html = render_report(session, history_root)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {out_path}: {exc.strerror or exc}; "
                        "choose a writable path with --out") from exc
    if pdf:
        pdf_path = out_path.with_suffix(".pdf")
        try:
            write_pdf(html, pdf_path)
        except OSError as exc:
            raise UserError(f"cannot write {pdf_path}: {exc.strerror or exc} (the HTML report "
                            f"is written: {out_path}); free some space or use --no-pdf") from exc
    return out_path
