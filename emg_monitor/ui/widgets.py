"""Glanceable widgets: readable from two metres, fed by the window's timer and signals.

None of these read from a source or a thread; they only display what they are given.
"""
from __future__ import annotations

import math

import pyqtgraph as pg
from PyQt6.QtCore import QSize, Qt, QTimer
from PyQt6.QtGui import QFont, QFontMetrics
from PyQt6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout,
                             QWidget)

from ..model import RepResult, RepStatus, TopCue, Verdict
from . import theme
from ..sets import SetSummary
from .present import bar_value, cue_look, format_ratio, rep_look, shows_relative
from .ticks import sparse_ticks


def big_font(px: int, bold: bool = True) -> QFont:
    font = QFont()
    font.setPixelSize(px)
    font.setBold(bold)
    return font


def panel() -> QFrame:
    frame = QFrame()
    frame.setObjectName("panel")
    return frame


class RepCounter(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        self.set_label = QLabel("NO SET")
        self.set_label.setObjectName("muted")
        self.set_label.setFont(big_font(18))
        self.set_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.count = QLabel("0")
        self.count.setFont(big_font(64))
        self.count.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFixedWidth(200)
        self.caption = caption = QLabel("REPS")
        caption.setObjectName("muted")
        caption.setFont(big_font(16))
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.set_label)
        layout.addWidget(self.count, 1)
        layout.addWidget(caption)
        self.reps = 0

    def show_set(self, set_index: int, active: bool) -> None:
        self.set_label.setText(f"SET {set_index}" + ("" if active else " — done"))
        if active:
            self.set_count(0)

    def set_count(self, n: int) -> None:
        self.reps = n
        self.count.setText(str(n))

    def set_compact(self, compact: bool) -> None:
        self.count.setFont(big_font(40 if compact else 64))
        self.set_label.setFont(big_font(14 if compact else 18))
        self.caption.setFont(big_font(12 if compact else 16))
        self.layout().setContentsMargins(*((8, 2, 8, 2) if compact else (12, 6, 12, 6)))
        self.setFixedWidth(150 if compact else 200)


class FitLabel(QLabel):
    """One line of bold text at ``max_px``, shrunk (down to ``min_px``) only when its
    width cannot hold the whole text: a cut-off number or cue is worse than a smaller one.
    Its minimum width is ``min_width_px``, so a layout may squeeze it and the text follows."""

    def __init__(self, text: str = "", max_px: int = 44, min_px: int = 12,
                 padding_px: int = 0, min_width_px: int = 40,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.max_px, self.min_px, self.padding_px = max_px, min_px, padding_px
        self.min_width_px = min_width_px
        self.setFont(big_font(max_px))
        self.setText(text)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self.min_width_px, max(self.minimumHeight(),
                                            QFontMetrics(self.font()).height()))

    def set_max_px(self, px: int) -> None:
        self.max_px = px
        self._fit()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        room = max(1, self.width() - self.padding_px)
        px = self.max_px
        while px > self.min_px and QFontMetrics(big_font(px)).horizontalAdvance(self.text()) > room:
            px -= 2
        if self.font().pixelSize() != px:
            self.setFont(big_font(px))


class ElidedLabel(QLabel):
    """Fixed lines of text, each cut with "…" to the label's width (the whole text on
    hover): its height never depends on its width, so a layout's minimum holds it."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full_text = ""
        self.setText(text)

    def text(self) -> str:  # noqa: D401 - Qt override
        """The whole text (what is drawn may end in "…")."""
        return self.full_text

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        self.full_text = text
        self.setToolTip(text)
        self._elide()

    def text_fits(self) -> bool:
        return super().text() == self.full_text

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        # QLabel's own hint for what is drawn, plus what the whole text needs beyond it
        # (its padding, style-sheet padding included, stays in)
        metrics, hint = QFontMetrics(self.font()), super().sizeHint()
        shown = max(metrics.horizontalAdvance(line) for line in super().text().split("\n"))
        whole = max(metrics.horizontalAdvance(line) for line in self.full_text.split("\n"))
        return QSize(hint.width() + max(0, whole - shown), hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(20, self.sizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics, room = QFontMetrics(self.font()), max(1, self.width())
        super().setText("\n".join(metrics.elidedText(line, Qt.TextElideMode.ElideRight, room)
                                  for line in self.full_text.split("\n")))


class CueBanner(FitLabel):
    """The big per-rep cue: colour, symbol and words (never colour alone).

    44-pixel text, shrunk (down to 16) only when the window is too narrow for the
    whole cue (the hip cue is 50 characters).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", max_px=44, min_px=16, padding_px=24, min_width_px=240,
                         parent=parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumHeight(84)
        self.verdict: Verdict | None = None
        self.top: TopCue | None = None         # the live lockout state shown, until the rep's verdict
        self.clear()

    def set_compact(self, compact: bool) -> None:
        self.setMinimumHeight(62 if compact else 84)
        self.set_max_px(34 if compact else 44)

    def clear(self, text: str = "Press SPACE to start a set") -> None:
        self.verdict = None
        self.top = None
        self.setText(text)
        self.setStyleSheet(f"background: {theme.PANEL}; color: {theme.MUTED}; border-radius: 8px;")

    def show_top(self, cue: TopCue) -> None:
        """At the top, before the verdict: outlined (the final verdict is filled)."""
        self.top = cue
        look = cue_look(cue)
        self.setText(f"{look.symbol}  {look.words}")
        self.setStyleSheet(f"background: {theme.PANEL}; color: {look.colour}; "
                           f"border: 6px solid {look.colour}; border-radius: 8px;")

    def show_rep(self, rep: RepResult) -> None:
        self.verdict = rep.verdict
        self.top = None
        look = rep_look(rep)
        self.setText(f"{look.symbol}  {look.words}")
        self.setStyleSheet(f"background: {look.colour}; color: black; border-radius: 8px;")


class MessageBanner(QLabel):
    """Errors stay until the problem goes away or the user clicks; notices fade."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("click to dismiss")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.history: list[str] = []
        self.details: list[str] = []        # the technical detail of each error, shown on hover
        self.hide()

    def show_error(self, text: str, detail: str = "") -> None:
        """``detail``: the technical wording (driver, errno), on hover only."""
        self._show(text, "banner", 0)
        self.details.append(detail)
        self.setToolTip(f"{detail}\n(click to dismiss)" if detail else "click to dismiss")

    def show_notice(self, text: str, seconds: float = 6.0, detail: str = "") -> None:
        self.setToolTip(f"{detail}\n(click to dismiss)" if detail else "click to dismiss")
        self._show(text, "bannerInfo", int(seconds * 1000))

    def _show(self, text: str, name: str, ms: int) -> None:
        self.history.append(text)
        self.setObjectName(name)
        self.style().unpolish(self)
        self.style().polish(self)
        self.setText(text)
        self._timer.stop()
        if ms:
            self._timer.start(ms)
        self.show()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.hide()


def short_channel_name(name: str) -> str:
    side, _, muscle = name.partition("_")
    if side in ("left", "right") and muscle:
        return f"{side[0].upper()} {muscle}"
    return name


class QualityBadges(QFrame):
    """One fixed-size badge per EMG channel (name, then OK or the flags), and the full
    reasons in a fixed-height box under them: a flag flipping never moves the layout."""

    BADGE_W, BADGE_H = 146, 52

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        outer.setSpacing(6)
        self._layout = QGridLayout()
        self._layout.setSpacing(6)
        outer.addLayout(self._layout)
        self.reasons = QLabel()
        self.reasons.setObjectName("muted")
        self.reasons.setWordWrap(True)
        self.reasons.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.reasons.setFont(big_font(12, bold=False))
        self.reasons.setFixedHeight(4 * QFontMetrics(self.reasons.font()).lineSpacing() + 4)
        outer.addWidget(self.reasons)
        self.badges: dict[str, QLabel] = {}
        self.issues: dict = {}

    def set_compact(self, compact: bool) -> None:
        self.BADGE_W, self.BADGE_H = (118, 44) if compact else (146, 52)
        for badge in self.badges.values():
            badge.setFixedSize(self.BADGE_W, self.BADGE_H)
        lines = 3 if compact else 4
        self.reasons.setFixedHeight(lines * QFontMetrics(self.reasons.font()).lineSpacing() + 4)

    def set_channels(self, names: tuple[str, ...]) -> None:
        for badge in self.badges.values():
            badge.deleteLater()
        self.badges = {}
        for i, name in enumerate(names):
            badge = QLabel()
            badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
            badge.setWordWrap(True)
            badge.setFont(big_font(13))
            badge.setFixedSize(self.BADGE_W, self.BADGE_H)
            self._layout.addWidget(badge, i // 2, i % 2)
            self.badges[name] = badge
        self.set_issues({})

    def set_issues(self, issues: dict) -> None:
        self.issues = dict(issues)
        reasons = []
        for name, badge in self.badges.items():
            found = tuple(issues.get(name, ()))
            label = short_channel_name(name)
            if not found:
                badge.setText(f"● {label}\nOK")
                badge.setToolTip(f"{name}: signal looks fine")
                badge.setStyleSheet(f"background: #243a30; color: {theme.TEXT}; border-radius: 6px;"
                                    f"border: 2px solid {theme.BLUISH_GREEN};")
            else:
                flags = ", ".join(_flag_name(i) for i in found)
                badge.setText(f"▲ {label}\n{flags}")
                why = [f"{label}: {getattr(i, 'reason', i)}" for i in found]
                reasons += why
                badge.setToolTip("\n".join(why))
                badge.setStyleSheet(f"background: #3f2a1a; color: {theme.TEXT}; border-radius: 6px;"
                                    f"border: 2px solid {theme.ORANGE};")
        self.reasons.setText("\n".join(reasons) if reasons else "all channels OK")
        self.reasons.setToolTip("\n".join(reasons))


def _flag_name(issue) -> str:
    flag = getattr(issue, "flag", issue)
    return str(getattr(flag, "value", flag)).replace("_", " ")


class RepBarChart(pg.PlotWidget):
    """Ratio of every rep in the set, bars coloured (and marked) by verdict, target line.

    Labels never collide: the verdict symbol sits on every bar; the ratio text is drawn
    on as many bars as fit at the current width (every k-th, always the newest), and
    the target is labelled on its own axis at the right, never over a bar.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        # no value label half cut at the top edge
        super().__init__(parent, background=theme.PANEL,
                         axisItems={"left": SparseAxis("left", gap_px=36)})
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        item = self.getPlotItem()
        item.setLabel("left", "glute : erector")
        item.setLabel("bottom", "rep")
        item.showGrid(y=True, alpha=theme.GRID_ALPHA)
        item.showAxis("right")
        right = item.getAxis("right")
        right.setLabel("target")
        right.setWidth(44)
        for axis in ("left", "bottom", "right"):
            item.getAxis(axis).setTickFont(big_font(14, bold=False))
        right.setTicks([[], []])
        self.target_line = pg.InfiniteLine(angle=0, movable=False,
                                           pen=pg.mkPen(theme.TEXT, width=2,
                                                        style=Qt.PenStyle.DashLine))
        self.target_line.hide()
        self.addItem(self.target_line)
        self.target: float | None = None
        self.relative = False                  # the bars are relative ratios (uncalibrated)
        self.compact = False
        self._items: list = []
        self.reps: list[RepResult] = []
        self.label_px = 15
        self.text_px = 15
        self.labelled: list[int] = []          # reps whose ratio text is drawn
        self.setMinimumHeight(120)
        self.setMinimumWidth(170)        # beside the hip card at 1024x600: still bars, not slivers
        self._update_range()

    def set_compact(self, compact: bool) -> None:
        """Laptop windows: smaller texts, and no axis titles (the card says what the ratio
        is): beside the hip card at 1024x600 that is a third of the chart's width."""
        self.label_px = 13 if compact else 15
        self.compact = compact
        self._show_titles()
        self._redraw()

    def _show_titles(self) -> None:
        for name in ("left", "right"):
            self.getPlotItem().getAxis(name).showLabel(not self.compact)

    def set_target(self, ratio: float | None) -> None:
        item = self.getPlotItem().getAxis("right")
        if self.relative:                      # kept for the next calibrated set
            self.target = None if ratio is None or not math.isfinite(ratio) else float(ratio)
            return
        if ratio is None or not math.isfinite(ratio):
            self.target = None
            self.target_line.hide()
            item.setTicks([[], []])
        else:
            self.target = float(ratio)
            self.target_line.setValue(ratio)
            self.target_line.show()
            item.setTicks([[(ratio, f"{ratio:.2f}")], []])
        self._update_range()

    def clear_reps(self) -> None:
        self.reps = []
        self._redraw()

    def add_rep(self, rep: RepResult) -> None:
        self.reps.append(rep)
        self._redraw()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        # pyqtgraph resizes during __init__ and after close (its view box gone by then)
        item = self.getPlotItem() if "reps" in self.__dict__ else None
        if item is not None and item.vb is not None and self.reps:
            self._redraw()

    def _slots(self) -> int:
        return max([r.rep for r in self.reps] + [8])

    def _per_rep_px(self) -> float:
        width_px = max(1.0, self.getPlotItem().vb.width() or self.width() * 0.8)
        return width_px / (self._slots() + 0.2)

    def _widest_text(self) -> str:
        return "×0.00" if any(shows_relative(r) for r in self.reps) else "0.00"

    def _half_text_units(self) -> float:
        text_px = QFontMetrics(big_font(self.text_px)).horizontalAdvance(self._widest_text()) + 12
        return 0.5 * text_px / self._per_rep_px()

    def label_stride(self) -> int:
        """Every k-th rep gets its ratio text, so the texts never overlap."""
        per_rep_px = self._per_rep_px()
        widest = self._widest_text()
        for px in range(self.label_px, 10, -1):     # a smaller text before fewer texts
            self.text_px = px
            text_px = QFontMetrics(big_font(px)).horizontalAdvance(widest) + 6
            if text_px <= per_rep_px:
                return 1
        return max(1, math.ceil(text_px / per_rep_px))

    def _redraw(self) -> None:
        for it in self._items:
            self.removeItem(it)
        self._items = []
        looks = [(r, rep_look(r)) for r in self.reps]
        # an uncalibrated set is drawn as its cards read: x your recent reps (1 = as usual)
        relative = bool(self.reps) and all(shows_relative(r) for r in self.reps)
        self._show_scale(relative)
        for colour in dict.fromkeys(look.colour for _, look in looks):
            mine = [(r, look) for r, look in looks if look.colour == colour]
            heights = [_height(r) for r, _ in mine]
            bars = pg.BarGraphItem(x=[r.rep for r, _ in mine], height=heights, width=0.7,
                                   brush=colour, pen=pg.mkPen("black", width=1))
            self.addItem(bars)
            self._items.append(bars)
        k = self.label_stride()
        newest = self.reps[-1].rep if self.reps else 0
        # the newest may be pushed left to stay inside the plot: keep one more slot free
        self.labelled = [r.rep for r in self.reps
                         if r.rep == newest or (r.rep % k == 0 and newest - r.rep >= k + 1)]
        half_text = self._half_text_units()
        symbol_px = max(10, min(self.text_px, int(self.text_px * 1.6 / k)))
        for r, look in looks:
            h = _height(r)
            text = f"{look.symbol}\n{look.number}" if r.rep in self.labelled else look.symbol
            label = pg.TextItem(text, color=look.colour, anchor=(0.5, 1.0))
            label.setFont(big_font(self.text_px if r.rep in self.labelled else symbol_px))
            half = half_text if r.rep in self.labelled else 0.0
            label.setPos(min(max(r.rep, 0.4 + half), self._slots() + 0.6 - half), h)
            self.addItem(label)
            self._items.append(label)
        self._update_range()

    def _show_scale(self, relative: bool) -> None:
        """The y axis in the unit the cards use; relative bars have no absolute target."""
        if relative == self.relative:
            return
        self.relative = relative
        item = self.getPlotItem()
        item.setLabel("left", "× your recent reps" if relative else "glute : erector")
        item.getAxis("right").setLabel("usual" if relative else "target")
        self._show_titles()                    # setLabel shows them again
        if relative:
            self.target_line.setValue(1.0)
            self.target_line.show()
            item.getAxis("right").setTicks([[(1.0, "1.00")], []])
        else:
            self.set_target(self.target)

    def _update_range(self) -> None:
        n = self._slots()
        top = max([_height(r) for r in self.reps] + [1.0])
        if self.target is not None:
            top = max(top, self.target)
        self.setXRange(0.4, n + 0.6, padding=0)
        self.setYRange(0, top * 1.45, padding=0)


class SetSummaryPanel(QFrame):
    """Shown when a set ends: reps, mean ratio, worst rep, onset order, verdict counts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(30, 20, 30, 20)
        self.title = QLabel("Set summary")
        self.title.setFont(big_font(34))
        self.captions: list[QLabel] = []
        layout.addWidget(self.title)
        self.grid = grid = QGridLayout()
        grid.setHorizontalSpacing(30)
        self.fields: dict[str, QLabel] = {}
        for row, (key, caption) in enumerate([("reps", "Reps"), ("mean", "Mean glute : erector"),
                                              ("worst", "Worst rep"), ("onset", "Onset order"),
                                              ("verdicts", "Verdicts")]):
            cap = QLabel(caption)
            cap.setObjectName("muted")
            cap.setFont(big_font(22, bold=False))
            value = QLabel("—")
            value.setFont(big_font(26))
            # only the sentences wrap; a number wrapped in a squeezed row would be cut
            value.setWordWrap(key in ("onset", "verdicts"))
            self.captions.append(cap)
            grid.addWidget(cap, row, 0)
            grid.addWidget(value, row, 1)
            self.fields[key] = value
        grid.setColumnStretch(1, 1)
        body = QHBoxLayout()
        body.setSpacing(24)
        left = QVBoxLayout()
        left.addLayout(grid)
        left.addStretch(1)
        body.addLayout(left, 6)
        trend_box = QVBoxLayout()
        self.trend_title = ElidedLabel("Mean ratio per session\n")
        self.trend_title.setObjectName("muted")
        self.trend_title.setFont(big_font(20, bold=False))
        self.trend = TrendChart()
        trend_box.addWidget(self.trend_title)
        trend_box.addWidget(self.trend, 1)
        body.addLayout(trend_box, 4)
        layout.addLayout(body, 1)
        self.hint = QLabel("Press SPACE for the next set")
        self.hint.setObjectName("muted")
        self.hint.setFont(big_font(20, bold=False))
        layout.addWidget(self.hint)
        self.compact = False
        self.summary: SetSummary | None = None

    def set_hint(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.setVisible(bool(text) and not self.compact)

    def show_summary(self, s: SetSummary, reps: tuple[RepResult, ...] = ()) -> None:
        """``reps``: the set's reps, to tell uncalibrated (relative) reps from unreadable ones."""
        self.summary = s
        relative = sum(1 for r in reps if r.status == RepStatus.COMPLETE and shows_relative(r))
        self.title.setText(f"Set {s.set_index} summary" + (f" — {s.exercise}" if s.exercise else ""))
        self.fields["reps"].setText(str(s.reps) + (f" (+{s.partial_reps} partial)"
                                                   if s.partial_reps else ""))
        no_ratio = "— uncalibrated" if relative and not math.isfinite(s.mean_ratio) else "—"
        self.fields["mean"].setText(format_ratio(s.mean_ratio).replace("—", no_ratio))
        self.fields["worst"].setText(no_ratio if s.worst_rep is None
                                     else f"rep {s.worst_rep} ({format_ratio(s.min_ratio)})")
        self.fields["onset"].setText(s.onset_text)
        counts = [(theme.VERDICT_COLOUR[v], theme.VERDICT_SYMBOL[v], n, theme.VERDICT_SHORT[v])
                  for v, n in s.verdicts.items() if v != Verdict.UNKNOWN]
        # an uncalibrated rep is not an unreadable one: it has a relative ratio, no verdict
        counts += [(theme.SKY_BLUE, "≈", relative, "relative (calibrate for verdicts)"),
                   (theme.VERDICT_COLOUR[Verdict.UNKNOWN], theme.VERDICT_SYMBOL[Verdict.UNKNOWN],
                    s.verdicts.get(Verdict.UNKNOWN, 0) - relative,
                    theme.VERDICT_SHORT[Verdict.UNKNOWN])]
        # symbol, count and word stay together on a line
        parts = [f"<span style='color:{colour}'>{symbol}&nbsp;{n}&nbsp;{words}</span>"
                 for colour, symbol, n, words in counts if n > 0]
        self.fields["verdicts"].setText("&nbsp;&nbsp; ".join(parts) or "no reps")
        self.trend.set_current(s.mean_ratio)

    def set_compact(self, compact: bool) -> None:
        self.title.setFont(big_font(22 if compact else 34))
        for cap in self.captions:
            cap.setFont(big_font(15 if compact else 22, bold=False))
        for value in self.fields.values():
            value.setFont(big_font(17 if compact else 26))
        self.trend_title.setFont(big_font(16 if compact else 20, bold=False))
        self.grid.setVerticalSpacing(4 if compact else 12)
        self.compact = compact
        self.hint.setVisible(bool(self.hint.text()) and not compact)
        self.layout().setContentsMargins(*((16, 10, 16, 10) if compact else (30, 20, 30, 20)))

    def show_trend(self, athlete: str, exercise: str, points: list) -> None:
        """Past sessions of ``athlete`` (``session.history.TrendPoint``), oldest first."""
        who = athlete or "no athlete selected"
        # two lines whatever the width: the summary's minimum height holds them; "no earlier
        # sessions" is said here, not in the chart, where it met the target line and the star
        self.trend_title.setText(f"Mean ratio per session{'' if points else ': none yet'}\n"
                                 f"{who}" + (f" · {exercise}" if exercise else ""))
        self.trend.set_points(points)


class SparseAxis(pg.AxisItem):
    """A chart's value axis whose labels never overlap (``ticks.sparse_ticks``)."""

    GAP_PX = 18

    def __init__(self, orientation: str, gap_px: int = GAP_PX, **kw) -> None:
        super().__init__(orientation, **kw)
        self.GAP_PX = gap_px

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802,N803
        step, values = sparse_ticks(*sorted((minVal, maxVal)), size, self.GAP_PX)
        return [(step, values)] if values else []


def _height(rep: RepResult) -> float:
    value = bar_value(rep)
    return value if math.isfinite(value) else 0.0


def hbox(*widgets, stretch: tuple[int, ...] = ()) -> QHBoxLayout:
    layout = QHBoxLayout()
    for i, w in enumerate(widgets):
        layout.addWidget(w, stretch[i] if i < len(stretch) else 0)
    return layout


class TrendChart(pg.PlotWidget):
    """Mean glute:erector ratio of each past session, the target line and this set's mean.

    One point per session (x = order, dates as tick labels) rather than a date axis:
    sessions are days or weeks apart, and equal spacing keeps every one readable.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background=theme.PANEL,
                         axisItems={"left": SparseAxis("left", gap_px=36)})
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        item = self.getPlotItem()
        item.setLabel("left", "mean ratio")
        item.showGrid(y=True, alpha=theme.GRID_ALPHA)
        for axis in ("left", "bottom"):
            item.getAxis(axis).setTickFont(big_font(13, bold=False))
        self.title = ""
        self.target_line = pg.InfiniteLine(angle=0, movable=False,
                                           pen=pg.mkPen(theme.TEXT, width=2,
                                                        style=Qt.PenStyle.DashLine))
        self.addItem(self.target_line)
        self.target_line.hide()
        self.past_curve = self.plot(pen=pg.mkPen(theme.SKY_BLUE, width=2), symbol="o",
                                    symbolSize=12, symbolBrush=theme.SKY_BLUE,
                                    symbolPen=pg.mkPen("black"))
        self.current_curve = self.plot(pen=None, symbol="star", symbolSize=26,
                                       symbolBrush=theme.YELLOW, symbolPen=pg.mkPen("black"))
        self.current_text = pg.TextItem("", color=theme.YELLOW, anchor=(1.0, 1.2))
        self.current_text.setFont(big_font(15))
        self.addItem(self.current_text)
        self.points: list = []
        self.current: float = math.nan
        self.target: float | None = None
        self.setMinimumHeight(120)          # 1024x600: the summary holds it under a banner
        self._redraw()

    def set_target(self, ratio: float | None) -> None:
        self.target = ratio if ratio is not None and math.isfinite(ratio) else None
        self._redraw()

    def set_points(self, points: list) -> None:
        """``points``: objects with ``started`` (datetime) and ``mean_ratio``, oldest first."""
        self.points = list(points)
        self._redraw()

    def set_current(self, mean_ratio: float) -> None:
        self.current = mean_ratio
        self._redraw()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if "points" in self.__dict__:        # pyqtgraph resizes during its own __init__
            self._redraw()

    def _redraw(self) -> None:
        n = len(self.points)
        xs = list(range(1, n + 1))
        ys = [p.mean_ratio for p in self.points]
        self.past_curve.setData(xs, ys)
        has_current = math.isfinite(self.current)
        x_now = n + 1
        if has_current:
            self.current_curve.setData([x_now], [self.current])
            self.current_text.setText(f"this set {format_ratio(self.current)}")
            self.current_text.setPos(x_now + 0.4, self.current)
        else:
            self.current_curve.setData([], [])
            self.current_text.setText("")
        if self.target is not None:
            self.target_line.setValue(self.target)
            self.target_line.show()
        else:
            self.target_line.hide()
        ticks = [(x, p.started.strftime("%d %b")) for x, p in zip(xs, self.points)]
        fit = max(2, int(self.width() / 85) - 1)          # a date label needs ~70 px
        step = max(1, math.ceil(len(ticks) / fit))
        ticks = ticks[::-1][::step][::-1]
        if has_current:
            ticks.append((x_now, "now"))
        self.getPlotItem().getAxis("bottom").setTicks([ticks, []])
        top = max([y for y in ys if math.isfinite(y)]
                  + ([self.current] if has_current else []) + [self.target or 0.0, 1.0])
        self.setXRange(0.5, x_now + 0.5, padding=0)
        self.setYRange(0, top * (1.6 if not n else 1.3), padding=0)

