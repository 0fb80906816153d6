"""Tiny inline-SVG chart primitives for the self-contained HTML report.

No JavaScript and nothing fetched: the report is health data and must open
offline, be mailed as one file and print the same everywhere.
"""
from __future__ import annotations

import math
from html import escape

FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    ticks = []
    v = start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    return ticks


class Chart:
    """A plot area with linear axes; add shapes in data coordinates, then ``svg()``."""

    def __init__(self, width: int, height: int, x_range: tuple[float, float],
                 y_range: tuple[float, float], *, margin=(38, 12, 14, 30),
                 title: str = "", x_label: str = "", y_label: str = "",
                 x_ticks: bool = True, y_ticks: bool = True, font_px: int = 11) -> None:
        self.w, self.h = width, height
        self.left, self.right, self.top, self.bottom = margin
        if title:
            self.top += font_px + 6
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range
        if self.x1 == self.x0:
            self.x1 = self.x0 + 1
        if self.y1 == self.y0:
            self.y1 = self.y0 + 1
        self.font_px = font_px
        self.parts: list[str] = []
        self.title, self.x_label, self.y_label = title, x_label, y_label
        self.show_x_ticks, self.show_y_ticks = x_ticks, y_ticks

    def X(self, x: float) -> float:
        return self.left + (x - self.x0) / (self.x1 - self.x0) * (self.w - self.left - self.right)

    def Y(self, y: float) -> float:
        return self.h - self.bottom - (y - self.y0) / (self.y1 - self.y0) * (
            self.h - self.top - self.bottom)

    # --- shapes ----------------------------------------------------------------
    def line(self, xs, ys, color: str, width: float = 1.5, dash: str = "", opacity: float = 1.0,
             title: str = "") -> None:
        pts = [(self.X(x), self.Y(y)) for x, y in zip(xs, ys) if math.isfinite(y)]
        if len(pts) < 2:
            return
        d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        tip = f"<title>{escape(title)}</title>" if title else ""
        self.parts.append(f'<polyline points="{d}" fill="none" stroke="{color}" '
                          f'stroke-width="{width}" stroke-opacity="{opacity}"{dash_attr}>{tip}'
                          f'</polyline>')

    def band(self, xs, lo, hi, color: str, opacity: float = 0.2) -> None:
        """The area between two curves (a mean's spread)."""
        pts = [(x, a, b) for x, a, b in zip(xs, lo, hi) if math.isfinite(a) and math.isfinite(b)]
        if len(pts) < 2:
            return
        upper = " ".join(f"{self.X(x):.1f},{self.Y(min(b, self.y1)):.1f}" for x, _, b in pts)
        lower = " ".join(f"{self.X(x):.1f},{self.Y(max(a, self.y0)):.1f}" for x, a, _ in pts[::-1])
        self.parts.append(f'<polygon points="{upper} {lower}" fill="{color}" '
                          f'fill-opacity="{opacity}" stroke="none"/>')

    def hband(self, y0: float, y1: float, color: str, opacity: float = 0.15) -> None:
        ya, yb = max(y0, self.y0), min(y1, self.y1)
        if yb <= ya:
            return
        self.parts.append(f'<rect x="{self.left}" y="{self.Y(yb):.1f}" '
                          f'width="{self.w - self.left - self.right}" '
                          f'height="{self.Y(ya) - self.Y(yb):.1f}" fill="{color}" '
                          f'fill-opacity="{opacity}"/>')

    def hline(self, y: float, color: str, label: str = "", dash: str = "5,4") -> None:
        if not (self.y0 <= y <= self.y1):
            return
        self.parts.append(f'<line x1="{self.left}" x2="{self.w - self.right}" y1="{self.Y(y):.1f}" '
                          f'y2="{self.Y(y):.1f}" stroke="{color}" stroke-width="1.5" '
                          f'stroke-dasharray="{dash}"/>')
        if label:
            self.text(self.x1, y, label, color=color, anchor="end", dy=-4)

    def vspan(self, xa: float, xb: float, color: str, opacity: float = 0.15) -> None:
        xa, xb = max(xa, self.x0), min(xb, self.x1)
        if xb <= xa:
            return
        self.parts.append(f'<rect x="{self.X(xa):.1f}" y="{self.top}" width="{self.X(xb) - self.X(xa):.1f}" '
                          f'height="{self.h - self.top - self.bottom}" fill="{color}" '
                          f'fill-opacity="{opacity}"/>')

    def vline(self, x: float, color: str, dash: str = "3,3", width: float = 1.0) -> None:
        self.parts.append(f'<line x1="{self.X(x):.1f}" x2="{self.X(x):.1f}" y1="{self.top}" '
                          f'y2="{self.h - self.bottom}" stroke="{color}" stroke-width="{width}" '
                          f'stroke-dasharray="{dash}"/>')

    def bar(self, x: float, width: float, y: float, color: str, base: float = 0.0,
            title: str = "") -> None:
        if not math.isfinite(y):
            return
        ya, yb = sorted((self.Y(max(min(y, self.y1), self.y0)), self.Y(max(min(base, self.y1), self.y0))))
        xa = self.X(x - width / 2)
        tip = f"<title>{escape(title)}</title>" if title else ""
        self.parts.append(f'<rect x="{xa:.1f}" y="{ya:.1f}" width="{self.X(x + width / 2) - xa:.1f}" '
                          f'height="{max(yb - ya, 0.5):.1f}" fill="{color}">{tip}</rect>')

    def marker(self, x: float, y: float, color: str, shape: str = "circle", size: float = 5,
               title: str = "") -> None:
        if not math.isfinite(y):
            return
        cx, cy = self.X(x), self.Y(min(max(y, self.y0), self.y1))
        tip = f"<title>{escape(title)}</title>" if title else ""
        if shape == "square":
            s = f'<rect x="{cx - size:.1f}" y="{cy - size:.1f}" width="{2 * size}" height="{2 * size}"'
        elif shape == "triangle":
            s = (f'<polygon points="{cx:.1f},{cy + size * 1.2:.1f} {cx - size * 1.1:.1f},'
                 f'{cy - size * 0.8:.1f} {cx + size * 1.1:.1f},{cy - size * 0.8:.1f}"')
        elif shape == "diamond":
            s = (f'<polygon points="{cx:.1f},{cy - size * 1.2:.1f} {cx + size:.1f},{cy:.1f} '
                 f'{cx:.1f},{cy + size * 1.2:.1f} {cx - size:.1f},{cy:.1f}"')
        else:
            s = f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{size}"'
        self.parts.append(f'{s} fill="{color}" stroke="#222" stroke-width="0.6">{tip}'
                          f'</{s.split()[0][1:]}>')

    def text(self, x: float, y: float, text: str, color: str = "#333", anchor: str = "middle",
             dy: float = 0, size: int | None = None, weight: str = "normal") -> None:
        self.parts.append(f'<text x="{self.X(x):.1f}" y="{self.Y(y) + dy:.1f}" fill="{color}" '
                          f'text-anchor="{anchor}" font-size="{size or self.font_px}" '
                          f'font-weight="{weight}">{escape(text)}</text>')

    def x_category_labels(self, labels: list[tuple[float, str]]) -> None:
        for x, lab in labels:
            self.parts.append(f'<text x="{self.X(x):.1f}" y="{self.h - self.bottom + 13}" '
                              f'fill="#555" text-anchor="middle" font-size="{self.font_px - 1}">'
                              f'{escape(lab)}</text>')

    # --- frame -----------------------------------------------------------------
    def svg(self) -> str:
        f = self.font_px
        frame = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.w}" height="{self.h}" '
                 f'viewBox="0 0 {self.w} {self.h}" style="{FONT}" role="img">']
        if self.title:
            frame.append(f'<text x="{self.left}" y="{f + 2}" font-size="{f + 1}" font-weight="600" '
                         f'fill="#222">{escape(self.title)}</text>')
        if self.show_y_ticks:
            for t in nice_ticks(self.y0, self.y1, 4):
                y = self.Y(t)
                frame.append(f'<line x1="{self.left}" x2="{self.w - self.right}" y1="{y:.1f}" '
                             f'y2="{y:.1f}" stroke="#e4e4e4"/>')
                frame.append(f'<text x="{self.left - 4}" y="{y + 3.5:.1f}" font-size="{f - 1}" '
                             f'text-anchor="end" fill="#666">{t:g}</text>')
        if self.show_x_ticks:
            for t in nice_ticks(self.x0, self.x1, 5):
                x = self.X(t)
                frame.append(f'<text x="{x:.1f}" y="{self.h - self.bottom + 13}" font-size="{f - 1}" '
                             f'text-anchor="middle" fill="#666">{t:g}</text>')
        frame.append(f'<rect x="{self.left}" y="{self.top}" width="{self.w - self.left - self.right}" '
                     f'height="{self.h - self.top - self.bottom}" fill="none" stroke="#bbb"/>')
        if self.y_label:
            frame.append(f'<text transform="translate({11},{(self.top + self.h - self.bottom) / 2:.0f}) '
                         f'rotate(-90)" font-size="{f - 1}" text-anchor="middle" fill="#555">'
                         f'{escape(self.y_label)}</text>')
        if self.x_label:
            frame.append(f'<text x="{(self.left + self.w - self.right) / 2:.0f}" y="{self.h - 2}" '
                         f'font-size="{f - 1}" text-anchor="middle" fill="#555">'
                         f'{escape(self.x_label)}</text>')
        return "".join(frame + self.parts + ["</svg>"])


def dated_series(dates: list, values: list[float], tips: list[str], current, *, title: str,
                 y_label: str, y_hi: float, height: int = 220, highlight: str = "#1565c0"
                 ) -> Chart:
    """One value per dated session, joined, the ``current`` session's marker highlighted:
    the trend charts' shared layout (the caller adds reference lines, then ``svg()``)."""
    t0 = dates[0]
    days = [(d - t0).total_seconds() / 86400 for d in dates]
    span = max(days[-1], 1.0)
    c = Chart(800, height, (-span * 0.04, span * 1.04), (0.0, y_hi), margin=(44, 90, 22, 34),
              title=title, y_label=y_label, x_label="", x_ticks=False)
    c.line(days, values, "#37474f", 1.5)
    for x, d, v, tip in zip(days, dates, values, tips):
        now = current is not None and d == current
        c.marker(x, v, highlight if now else "#90a4ae", size=6 if now else 4.5, title=tip)
    step = max(1, len(dates) // 8)
    c.x_category_labels([(x, d.strftime("%d %b")) for x, d in list(zip(days, dates))[::step]])
    return c


def rep_axis(reps: list) -> tuple[list[float], list[tuple[float, str]],
                                             list[tuple[float, int]]]:
    """x of each rep (a gap between sets), rep-number labels, and where each set starts:
    "set 2" over its reps reads as a set, never as the decimal "2.1"."""
    xs, labels, set_marks = [], [], []
    x = 0.0
    last_set = None
    for r in reps:
        if last_set is not None and r.set_index != last_set:
            x += 1.0
        if r.set_index != last_set:
            set_marks.append((x, r.set_index))
        xs.append(x)
        labels.append((x, str(r.rep)))
        last_set = r.set_index
        x += 1.0
    return xs, labels, set_marks
