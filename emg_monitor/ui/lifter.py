"""The two things a lifter reads from 3 m: the last rep's verdict, and the live lockout cue.

``LastRepCard`` is the biggest element on the screen: the last rep's ratio and
verdict, colour-filled, held until the next rep. ``LivePanel`` is secondary: the
live ratio (hidden at rest and when the data are stale) and, at the top of a
rep, the provisional lockout cue while there is still time to squeeze.
"""
from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..model import RepResult, TopCue
from . import theme
from .present import CUE_HOLD_S, LiveReading, cue_look, format_ratio, rep_look
from .widgets import FitLabel, big_font


class LastRepCard(QFrame):
    """The last rep: caption, symbol + ratio in the largest digits, the verdict in words."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 6, 14, 8)
        layout.setSpacing(0)
        self.caption = QLabel()
        # the digits shrink to the card's width rather than lose a digit ("≈ ×0.1")
        self.value = FitLabel(max_px=120, min_px=24, padding_px=4)
        self.words = QLabel()
        self.words.setWordWrap(True)
        for w in (self.caption, self.value, self.words):
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.caption)
        layout.addWidget(self.value, 1)
        layout.addWidget(self.words)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.rep: RepResult | None = None
        self.stale = False
        self.set_compact(False)
        self.clear()

    def set_compact(self, compact: bool) -> None:
        self.caption.setFont(big_font(15 if compact else 20))
        self.value.set_max_px(72 if compact else 120)
        self.words.setFont(big_font(15 if compact else 20))
        self.setMinimumWidth(200 if compact else 380)     # the digits fit their width

    def clear(self, text: str = "no rep yet") -> None:
        self.rep = None
        self.caption.setText("LAST REP")
        self.value.setText("—")
        self.words.setText(text)
        theme.fill_card(self, theme.PANEL, theme.MUTED)

    def show_rep(self, rep: RepResult) -> None:
        self.rep = rep
        self.stale = False
        look = rep_look(rep)
        self.caption.setText(look.caption)
        self.value.setText(f"{look.symbol} {look.number}")
        self.words.setText(look.words)
        theme.fill_card(self, look.colour, "black")

    def set_stale(self, stale: bool, why: str = "") -> None:
        """After a disconnect the last rep is history: shown greyed, said to be old."""
        if stale == self.stale or self.rep is None:
            return
        self.stale = stale
        if stale:
            self.words.setText(f"before the {why or 'interruption'} — not live")
            theme.fill_card(self, theme.PANEL, theme.MUTED)
        else:
            self.show_rep(self.rep)

    @property
    def colour_filled(self) -> bool:
        return self.rep is not None and not self.stale


class LivePanel(QFrame):
    """The live ratio, greyed or hidden unless the muscles work and the data are fresh;
    during a lockout, the provisional cue of that top."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 6)
        layout.setSpacing(0)
        self.title = QLabel("LIVE")
        self.value = QLabel("—")
        self.note = QLabel()
        self.note.setWordWrap(True)
        for w in (self.title, self.value, self.note):
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.title)
        layout.addWidget(self.value, 1)
        layout.addWidget(self.note)
        self.reading: LiveReading | None = None
        self.cue: TopCue | None = None
        self._shown: tuple | None = None
        self.set_compact(False)
        self._render()

    def set_compact(self, compact: bool) -> None:
        self.title.setFont(big_font(12 if compact else 16))
        self.value.setFont(big_font(28 if compact else 44))
        self.note.setFont(big_font(12 if compact else 14, bold=False))
        self.layout().setContentsMargins(*((8, 2, 8, 2) if compact else (10, 4, 10, 6)))
        self.setFixedWidth(150 if compact else 200)

    @property
    def showing_ratio(self) -> bool:
        return self.cue is None and self.reading is not None and self.reading.shown

    def set_reading(self, reading: LiveReading) -> None:
        self.reading = reading
        if reading.state == "stale":
            self.cue = None               # a cue of a top before the interruption is history
        elif self.cue is not None and (reading.state == "rest"
                                       or reading.t_s - self.cue.t_top_s > CUE_HOLD_S):
            self.cue = None               # the bar is down, or no rep came of that top
        self._render()

    def show_cue(self, cue: TopCue) -> None:
        self.cue = cue
        self._render()

    def end_cue(self) -> None:
        if self.cue is not None:
            self.cue = None
            self._render()

    def _render(self) -> None:
        r = self.reading
        if self.cue is not None:
            look = cue_look(self.cue)
            shown = ("cue", look.symbol, look.number, look.words, look.colour)
        elif r is None or r.state == "none":
            shown = ("none", "", "—", "waiting for data", None)
        elif r.state == "stale":
            shown = ("stale", "", "—", "no live data", None)
        elif r.state == "rest":
            shown = ("rest", "", "—", "at rest", None)
        else:
            shown = ("live", "", format_ratio(r.ratio), "glute : erector", None)
        if shown == self._shown:            # a new text means a relayout of the top row
            return
        self._shown = shown
        kind, symbol, number, note, colour = shown
        self.title.setText("AT THE TOP" if kind == "cue" else "LIVE")
        self.value.setText(f"{symbol} {number}".strip())
        self.note.setText(note)
        if colour is not None:
            theme.fill_card(self, colour, "black")
        elif kind == "live":
            theme.fill_card(self, theme.PANEL, theme.TEXT)
        else:
            theme.fill_card(self, theme.PANEL, theme.MUTED)
