"""The scrolling traces: one row per EMG channel and the trunk (or hip) angle, 0 = now.

A plain QWidget painted with QPainter, not a pyqtgraph scene. The picture is two
layers: everything that changes a few times a minute (background, row labels, value
axes, the time axis, "NO SIGNAL" marks) is drawn once into a pixmap, and each frame
blits it and draws one polyline per row. A scene of plot items cost the GUI thread
twice that per frame: Qt asked each of its ~40 items (plots, view boxes, axes, labels)
for its bounds and its paint in Python on every repaint (docs/dashboard.md).

Everything arrives already reduced to ~100 rows per second by the display buffer
(acquisition thread): envelopes and angle picked, the filtered EMG as per-bucket
min/max, drawn as a min-max zigzag (a dense band, as a full-rate trace looks at one
bucket per pixel).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPointF, QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QFontMetricsF, QPainter, QPaintEvent, QPen, QPixmap, QPolygonF
from PyQt6.QtWidgets import QSizePolicy, QWidget

from ..model import unit_label
from . import theme
from .ticks import nice_up, sparse_ticks
from .widgets import big_font, short_channel_name

#: the value axis's width (tick labels and ticks), between the label column and the plot
AXIS_W_PX = 44
#: space kept right of the plots and between rows (the lowest tick label of one row and
#: the highest of the next must not touch)
RIGHT_PX = 12
ROW_GAP_PX = 6
#: value labels of one row at least this far apart (the "0 ... 40" of a 35-pixel row)
GAP_PX = 18
#: time labels at least this far apart
TIME_GAP_PX = 56
NO_SIGNAL = "NO SIGNAL — electrode off or cable loose?"


@dataclass
class TraceRow:
    """One row: what it shows, where, on which scale, and what it drew last."""

    title: str
    unit_text: str
    colour: str
    is_emg: bool
    x_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    y: np.ndarray = field(default_factory=lambda: np.empty(0))
    y_range: tuple[float, float] | None = None           # None: not fitted yet
    dead: bool = False
    rect: QRectF = field(default_factory=QRectF)          # the plot area, widget pixels
    label_rect: QRectF = field(default_factory=QRectF)    # the name and unit, left of it


def next_y_range(y: np.ndarray, old: tuple[float, float] | None, *, symmetric: bool,
                 min_span: float | None, floor: tuple[float, float] | None = None
                 ) -> tuple[float, float] | None:
    """The y range for the data shown, or None to keep ``old``: it moves only when the data
    leave it or use less than half of it (a steady scale reads better). ``min_span``: a
    dead channel lies flat on a readable scale instead of autoscaling to its 1e-11 residue,
    which looks like signal."""
    finite = y[np.isfinite(y)]
    if finite.size == 0:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    if min_span is not None:
        if symmetric:
            hi, lo = max(hi, min_span / 2), min(lo, -min_span / 2)
        else:
            hi = max(hi, min_span)
    if symmetric:
        m = max(abs(lo), abs(hi), 1e-9)
        lo, hi = -m, m
    else:
        lo = min(lo, 0.0)
    if floor is not None:
        lo, hi = min(lo, floor[0]), max(hi, floor[1])
    if not hi > lo:
        hi = lo + 1.0
    hi = hi + 0.05 * (hi - lo)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    if old is not None:
        old_lo, old_hi = old
        if old_lo <= lo and hi <= old_hi and (hi - lo) >= 0.5 * (old_hi - old_lo):
            return None
    return lo, hi


def finite_runs(values: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of finite values: a gap (NaN) breaks the line."""
    ok = np.isfinite(values)
    if ok.all():
        return [(0, values.size)] if values.size else []
    edges = np.flatnonzero(np.diff(np.concatenate(([0], ok.view(np.int8), [0]))))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def _newest(rows: np.ndarray, t_from: float) -> np.ndarray:
    """The rows with t_s (column 0, ascending) after ``t_from``."""
    return rows[np.searchsorted(rows[:, 0], t_from, side="right"):]


class TracesView(QWidget):
    """The rows of traces, on one fixed time scale (x = t - t_newest, -window_s..0)."""

    #: smallest y span of an EMG row (µV, mV or %MVC): resting sEMG is 2-10 of these units,
    #: so a live channel fills it and a dead one lies flat at the bottom
    MIN_SPAN = 5.0
    #: an envelope never falls below this with electrodes on skin (noise alone is ~1-10 µV)
    DEAD_BELOW = 0.2
    #: the row-label column (full, compact): "µV uncalibrated" fits on one line
    LABEL_W_PX = {False: 120, True: 98}

    def __init__(self, parent: QWidget | None = None, window_s: float = 10.0) -> None:
        super().__init__(parent)
        # every pixel is painted (the cached layer first): nothing behind needs repainting
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.window_s = window_s
        self.rows: list[TraceRow] = []
        self.names: tuple[str, ...] = ()
        self.unit = ""
        self.angle_title = "trunk"
        self.show_filtered = False
        self.compact = False
        self.y_every = 10                  # frames between y-range checks
        self.time_axis_rect = QRectF()
        self._frame = 0
        self._static: QPixmap | None = None
        self._pens: list[QPen] = []
        self._polygons: list[_Polygons] = []

    # --- what is shown -------------------------------------------------------------------
    def configure(self, names: tuple[str, ...], unit: str, calibrated: bool,
                  has_angle: bool = True, angle_title: str = "trunk") -> None:
        """``angle_title``: what the angle row shows ("hip" once reps come from the IMUs)."""
        self.names, self.unit = tuple(names), unit
        self.angle_title = angle_title
        unit_text = "%MVC" if calibrated else f"{unit_label(unit)}, uncalibrated"
        self.rows = [TraceRow(short_channel_name(n), unit_text, theme.trace_colour(n, i), True)
                     for i, n in enumerate(self.names)]
        if has_angle:
            self.rows.append(TraceRow(f"{angle_title} angle", "deg", theme.ANGLE_COLOUR, False))
        self._frame = 0
        self._relayout()

    @property
    def emg_rows(self) -> list[TraceRow]:
        return [r for r in self.rows if r.is_emg]

    @property
    def angle_row(self) -> TraceRow | None:
        return self.rows[-1] if self.rows and not self.rows[-1].is_emg else None

    @property
    def titles(self) -> list[str]:
        return [f"{r.title}  ({r.unit_text})" for r in self.rows]

    @property
    def dead(self) -> dict[int, bool]:
        return {i: r.dead for i, r in enumerate(self.emg_rows)}

    def set_compact(self, compact: bool) -> None:
        """Short windows: smaller channel labels, a narrower label column."""
        if compact != self.compact:
            self.compact = compact
            self._relayout()

    def set_show_filtered(self, on: bool) -> None:
        if on != self.show_filtered:
            for r in self.emg_rows:            # the other view's y scale means nothing here
                r.y_range = None
            self._frame = 0
            self.show_filtered = on
            self._static = None
            self.update()

    # --- data ----------------------------------------------------------------------------
    def draw(self, envelope_rows: np.ndarray | None, peak_rows: np.ndarray | None) -> None:
        """envelope rows: t_s, envelope per channel, angle_deg (``DisplayBuffer.envelope``);
        peak rows: t_s, filtered minima..., filtered maxima... (``DisplayBuffer.peak``).

        Only the newest ``window_s`` seconds are drawn, at t - t_newest."""
        rescale = self._frame % self.y_every == 0
        self._frame += 1
        if envelope_rows is None or len(envelope_rows) == 0:
            return
        t_now = float(envelope_rows[-1, 0])
        env = _newest(envelope_rows, t_now - self.window_s)
        x_env = env[:, 0] - t_now
        emg = self.emg_rows
        if self.show_filtered and peak_rows is not None and len(peak_rows):
            peaks = _newest(peak_rows, t_now - self.window_s)
            n_ch = (peaks.shape[1] - 1) // 2
            x = np.repeat(peaks[:, 0] - t_now, 2)
            for i, row in enumerate(emg[:n_ch]):
                y = np.empty(x.size)
                y[0::2] = peaks[:, 1 + i]
                y[1::2] = peaks[:, 1 + n_ch + i]
                self._show(row, x, y, rescale, symmetric=True)
        elif not self.show_filtered:
            for i, row in enumerate(emg):
                if i + 1 < env.shape[1] - 1:
                    self._show(row, x_env, env[:, i + 1], rescale, symmetric=False)
        angle = self.angle_row
        if angle is not None:
            self._show(angle, x_env, env[:, -1], rescale, symmetric=False)
        if self._static is not None:
            # only the plots move: the label column and the time axis stay on screen as
            # they are, and Qt copies less to the window each frame
            self.update(self._plots_rect().toAlignedRect())

    def _show(self, row: TraceRow, x: np.ndarray, y: np.ndarray, rescale: bool,
              symmetric: bool) -> None:
        row.x_s, row.y = x, y
        if not rescale:
            return
        new = next_y_range(y, row.y_range, symmetric=symmetric,
                           min_span=self.MIN_SPAN if row.is_emg else None,
                           floor=None if row.is_emg else (-5.0, 90.0))
        dead = row.is_emg and _is_dead(y, self.DEAD_BELOW)
        if new is not None or dead != row.dead:
            row.y_range = new or row.y_range
            row.dead = dead
            self._static = None                # the axis (or the mark) changes
            self.update()

    # --- geometry ------------------------------------------------------------------------
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(800, 420)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(320, 160)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._relayout()

    def _fonts(self):
        px = 12 if self.compact else 14
        return big_font(px), big_font(px - 2, bold=False), big_font(11, bold=False)

    def _relayout(self) -> None:
        """Rows of equal height above a time axis of its own: no row is squashed by it."""
        _, _, axis_font = self._fonts()
        label_h = QFontMetricsF(axis_font).height()
        time_h = math.ceil(5 + label_h + 4 + label_h + 4)        # ticks, values, the title
        left = self.LABEL_W_PX[self.compact] + AXIS_W_PX
        right = max(left + 10.0, self.width() - RIGHT_PX)
        n = max(len(self.rows), 1)
        top = ROW_GAP_PX / 2
        row_h = max((self.height() - time_h - top) / n, 1.0)
        for k, row in enumerate(self.rows):
            y0 = top + k * row_h
            row.rect = QRectF(left, y0 + ROW_GAP_PX / 2, right - left,
                              max(row_h - ROW_GAP_PX, 1.0))
            row.label_rect = QRectF(8, y0, self.LABEL_W_PX[self.compact] - 10, row_h)
        self.time_axis_rect = QRectF(left, top + n * row_h, right - left, time_h)
        self._static = None
        self.update()

    def _plots_rect(self) -> QRectF:
        if not self.rows:
            return QRectF()
        return self.rows[0].rect.united(self.rows[-1].rect)

    def y_ticks(self, row: TraceRow) -> list[tuple[float, float]]:
        """(value, y in widget pixels) of each value label of a row."""
        lo, hi = row.y_range or (0.0, 1.0)
        r = row.rect
        return [(v, r.bottom() - (v - lo) / (hi - lo) * r.height())
                for v in sparse_ticks(lo, hi, r.height(), GAP_PX)[1]]

    def time_ticks(self) -> list[tuple[float, float]]:
        """(seconds, x in widget pixels) of each time label."""
        r = self.time_axis_rect
        step = nice_up(max(self.window_s * TIME_GAP_PX / max(r.width(), 1.0), 1e-3))
        values = np.arange(0.0, -self.window_s - 1e-9, -step)
        return [(float(v), r.left() + (v + self.window_s) / self.window_s * r.width())
                for v in values[::-1]]

    # --- painting ------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent | None) -> None:  # noqa: N802 - Qt override
        if self._static is None or self._static.size() != self.size() * self.devicePixelRatio():
            self._static = self._paint_static()
        p = QPainter(self)
        p.drawPixmap(0, 0, self._static)
        if len(self._polygons) != len(self.rows):
            self._polygons = [_Polygons() for _ in self.rows]
        for row, pen, polygons in zip(self.rows, self._pens, self._polygons):
            if row.x_s.size < 2:
                continue
            p.setClipRect(row.rect)
            p.setPen(pen)
            for polyline in polygons.of(row, self.window_s):
                p.drawPolyline(polyline)
        p.end()

    def _paint_static(self) -> QPixmap:
        dpr = self.devicePixelRatio()
        pix = QPixmap(self.size() * dpr)
        pix.setDevicePixelRatio(dpr)
        pix.fill(QColor(theme.PANEL))
        p = QPainter(pix)
        name_font, unit_font, axis_font = self._fonts()
        muted = QColor(theme.MUTED)
        axis_pen = QPen(muted)
        axis_pen.setCosmetic(True)
        self._pens = []
        fm = QFontMetricsF(axis_font)
        for row in self.rows:
            pen = QPen(QColor(row.colour))
            pen.setCosmetic(True)              # width-1 pens: wider ones are several times slower
            self._pens.append(pen)
            self._paint_label(p, row, name_font, unit_font)
            r = row.rect
            p.setPen(axis_pen)
            p.drawLine(QPointF(r.left(), r.top()), QPointF(r.left(), r.bottom()))
            p.setFont(axis_font)
            for value, y in self.y_ticks(row):
                p.drawLine(QPointF(r.left() - 5, y), QPointF(r.left(), y))
                box = QRectF(r.left() - AXIS_W_PX, y - fm.height() / 2, AXIS_W_PX - 8, fm.height())
                p.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                           f"{value:g}")
            if row.dead:
                p.setFont(big_font(14))
                p.setPen(QColor(theme.ORANGE))
                p.drawText(r, Qt.AlignmentFlag.AlignCenter, NO_SIGNAL)
        if self.rows:
            self._paint_time_axis(p, axis_pen, axis_font)
        p.end()
        return pix

    def _paint_label(self, p: QPainter, row: TraceRow, name_font, unit_font) -> None:
        unit = row.unit_text.replace(", ", " ")
        if self.show_filtered and row.is_emg:
            unit = f"filtered {unit}"
        r = row.label_rect
        name_h = QFontMetricsF(name_font).height()
        p.setFont(name_font)
        p.setPen(QColor(row.colour))
        p.drawText(QRectF(r.left(), r.top() + 4, r.width(), name_h),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, row.title)
        p.setFont(unit_font)
        p.setPen(QColor(theme.MUTED))
        p.drawText(QRectF(r.left(), r.top() + 4 + name_h, r.width(), r.height() - 4 - name_h),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
                   | Qt.TextFlag.TextWordWrap, unit)

    def _paint_time_axis(self, p: QPainter, pen: QPen, font) -> None:
        r = self.time_axis_rect
        fm = QFontMetricsF(font)
        p.setPen(pen)
        p.setFont(font)
        p.drawLine(QPointF(r.left(), r.top()), QPointF(r.right(), r.top()))
        for value, x in self.time_ticks():
            p.drawLine(QPointF(x, r.top()), QPointF(x, r.top() + 5))
            text = f"{value:g}"
            w = fm.horizontalAdvance(text)
            left = min(max(x - w / 2, r.left() - AXIS_W_PX / 2), self.width() - w - 2)
            p.drawText(QRectF(left, r.top() + 5, w + 1, fm.height()),
                       Qt.AlignmentFlag.AlignCenter, text)
        p.drawText(QRectF(r.left(), r.top() + 9 + fm.height(), r.width(), fm.height()),
                   Qt.AlignmentFlag.AlignCenter, "time (s, 0 = now)")


def _is_dead(y: np.ndarray, below: float) -> bool:
    finite = y[np.isfinite(y)]
    return finite.size == 0 or float(np.max(np.abs(finite))) < below


class _Polygons:
    """A row's data in widget pixels, one QPolygonF per run of finite values (a gap, NaN,
    breaks the line). The polygon of a whole row is kept between frames and refilled in
    place through a NumPy view of its points: a new one per row per frame was a third of
    the painting's Python time."""

    def __init__(self) -> None:
        self._poly: QPolygonF | None = None
        self._pts: np.ndarray = np.empty((0, 2))

    def _buffer(self, n: int) -> tuple[QPolygonF, np.ndarray]:
        if self._poly is None or self._pts.shape[0] != n:
            self._poly = pg.functions.create_qpolygonf(n)
            self._pts = pg.functions.ndarray_from_qpolygonf(self._poly)
        return self._poly, self._pts

    def of(self, row: TraceRow, window_s: float):
        """Values far outside the row are pinned a little outside it, where the clip hides
        them: Qt's raster engine overflows on coordinates near 1e9."""
        r = row.rect
        lo, hi = row.y_range or (0.0, 1.0)
        px = r.left() + (row.x_s + window_s) * (r.width() / window_s)
        py = r.bottom() - (row.y - lo) * (r.height() / (hi - lo))
        runs = finite_runs(py)                         # before the clip: inf is a gap too
        np.clip(py, r.top() - r.height(), r.bottom() + r.height(), out=py)
        if runs == [(0, py.size)]:                     # the usual case: one line, no gap
            poly, pts = self._buffer(py.size)
            pts[:, 0], pts[:, 1] = px, py
            yield poly
            return
        for a, b in runs:
            if b - a >= 2:
                poly = pg.functions.create_qpolygonf(b - a)
                pts = pg.functions.ndarray_from_qpolygonf(poly)
                pts[:, 0], pts[:, 1] = px[a:b], py[a:b]
                yield poly
