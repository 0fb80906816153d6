"""The report's hip section: the hip angle at each top against the athlete's neutral, and
the hip gap across sessions (docs/hip.md). Only shown when the session had hip IMUs."""
from __future__ import annotations

import math
from datetime import datetime
from html import escape

from .. import palette
from ..exercises import get_exercise
from ..model import RepResult
from .history import HipTrendPoint
from .svg import Chart, dated_series, rep_axis

#: the dashboard's colour-blind-safe palette (Okabe-Ito), as the rest of the report: short of
#: neutral in the "lumbar dominant" vermillion, within tolerance in the "glutes" green
SHORT_COLOR = palette.VERMILLION
AT_NEUTRAL_COLOR = palette.BLUISH_GREEN
LUMBAR_COLOR = palette.PURPLE


def has_hip(reps: list[RepResult]) -> bool:
    return any(math.isfinite(r.hip_angle_at_top_deg) for r in reps)


def _tolerance(reps: list[RepResult]) -> float:
    try:
        return get_exercise(reps[0].exercise or "deadlift").hip_tolerance_deg
    except ValueError:
        return get_exercise("deadlift").hip_tolerance_deg


def hip_chart(reps: list[RepResult]) -> str:
    """Hip angle at each top (bars, 0 = neutral) with the tolerance line; the lumbar angle
    (diamonds) where a thorax IMU was worn."""
    tol = _tolerance(reps)
    xs, labels, marks = rep_axis(reps)
    vals = [v for r in reps for v in (r.hip_angle_at_top_deg, r.lumbar_angle_at_top_deg)
            if math.isfinite(v)]
    y_lo = min([-2.0, *[v * 1.15 for v in vals]])
    y_hi = max([tol * 2.5, *[v * 1.15 for v in vals]])
    c = Chart(max(640, min(1060, 160 + 40 * len(xs))), 240, (-0.7, xs[-1] + 0.7), (y_lo, y_hi),
              margin=(44, 130, 22, 34), title="Hip angle at the top of each rep (0 = your neutral)",
              y_label="deg short of neutral", x_label="rep (grouped by set)", x_ticks=False)
    c.hline(0.0, "#555")
    c.hline(tol, "#999")
    c.text(c.x1, tol, f" tolerance {tol:g}°", anchor="start", dy=4, color="#555")
    c.text(c.x1, 0.0, " neutral", anchor="start", dy=4, color="#555")
    for xi, r in zip(xs, reps):
        h = r.hip_angle_at_top_deg
        if not math.isfinite(h):
            c.text(xi, 0.0, "?", color="#777", dy=-4)
            continue
        color = SHORT_COLOR if h > tol else AT_NEUTRAL_COLOR
        tip = (f"set {r.set_index} rep {r.rep}: hips {h:.1f}° from neutral"
               + (f", lumbar {r.lumbar_angle_at_top_deg:.1f}°"
                  if math.isfinite(r.lumbar_angle_at_top_deg) else "")
               + (f" — {r.cue}" if r.cue else ""))
        c.bar(xi, 0.55, h, color, title=tip)
        if math.isfinite(r.lumbar_angle_at_top_deg):
            c.marker(xi, r.lumbar_angle_at_top_deg, LUMBAR_COLOR, shape="diamond", size=4.5,
                     title=tip)
    c.x_category_labels(labels)
    for x0, s in marks:
        c.text(x0 - 0.3, y_hi, f"set {s}", anchor="start", dy=12, weight="600", color="#444")
    legend = (f'<div class="legend"><span><i class="sw" style="background:{AT_NEUTRAL_COLOR}">'
              f'</i>hips within {tol:g}° of neutral</span><span><i class="sw" style="background:'
              f'{SHORT_COLOR}"></i>hips short</span>'
              + (f'<span><i class="sw" style="background:{LUMBAR_COLOR}"></i>lumbar angle '
                 '(&lt; 0: extended)</span>' if any(math.isfinite(r.lumbar_angle_at_top_deg)
                                                   for r in reps) else "") + "</div>")
    return c.svg() + legend


def hip_trend_chart(trend: list[HipTrendPoint], current: datetime | None) -> str:
    if len(trend) < 2:
        return ('<p class="note">The hip-gap trend appears from the second session with hip '
                'IMUs on.</p>')
    vals = [p.mean_hip_short_deg for p in trend]
    return dated_series([p.started for p in trend], vals,
                        [f"{p.started.date().isoformat()}: hips {p.mean_hip_short_deg:.1f}° short "
                         f"on average over {p.reps} reps" for p in trend], current,
                        title="Mean hip gap per session", y_label="deg",
                        y_hi=max(3.0, *[v * 1.2 for v in vals]), height=200,
                        highlight=SHORT_COLOR).svg()


def hip_section(reps: list[RepResult], trend: list[HipTrendPoint],
                current: datetime | None, neutral_note: str) -> str:
    """The whole section, or '' when no rep has a hip angle."""
    if not has_hip(reps):
        return ""
    return (f"<h2>Hip angle at the top</h2>\n<p class=\"note\">How far the hips stopped short "
            f"of the athlete's own full extension at each lockout (0 = the squeezed stand of "
            f"the calibration). {escape(neutral_note)}</p>\n{hip_chart(reps)}\n"
            f"{hip_trend_chart(trend, current)}")
