"""The hip gap beside the ratio: how many degrees the hips stopped short of neutral.

Read from 3 m like the last rep's card: the last rep's gap in the same large
digits, coloured by the rule (hip/scoring.py: within the exercise's tolerance or
short of it), the words saying which; below it the hip angle now, so a lifter
holding the top can squeeze and watch the gap close. Hidden without hip IMUs.
"""
from __future__ import annotations

import math

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..exercises import get_exercise
from ..model import RepResult, Verdict
from . import theme
from .widgets import big_font


def format_gap(deg: float) -> str:
    return f"{max(deg, 0.0):.0f}°" if math.isfinite(deg) else "—"


class HipGapCard(QFrame):
    """``show_rep(rep)``: the last rep's gap; ``set_live(hip_deg)``: the angle now;
    ``set_status(message)``: why there is no angle, or what to calibrate."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 8)
        layout.setSpacing(0)
        self.caption = QLabel("HIP GAP")
        self.value = QLabel("—")
        self.words = QLabel("no rep yet")
        self.live = QLabel("")
        self.words.setWordWrap(True)
        self.live.setWordWrap(True)
        for w in (self.caption, self.value, self.words, self.live):
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(w, 1 if w is self.value else 0)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.rep: RepResult | None = None
        self.status = ""
        self._live_text = ""
        self.set_compact(False)
        theme.fill_card(self, theme.PANEL, theme.MUTED)

    def set_compact(self, compact: bool) -> None:
        """Digits as tall as the counter's (~2.5 cm on a laptop): readable from 3 m, while
        the last rep's ratio keeps the most room."""
        self.caption.setFont(big_font(15 if compact else 20))
        self.value.setFont(big_font(64 if compact else 100))
        self.words.setFont(big_font(14 if compact else 18))
        self.live.setFont(big_font(12 if compact else 15, bold=False))
        self.setMinimumWidth(150 if compact else 230)     # 1024x600: the bars keep 170 px
        self.setMaximumWidth(240 if compact else 320)

    def clear(self) -> None:
        self.rep = None
        self.value.setText("—")
        self.words.setText("no rep yet")
        theme.fill_card(self, theme.PANEL, theme.MUTED)

    def show_rep(self, rep: RepResult) -> None:
        self.rep = rep
        gap = rep.hip_short_of_neutral_deg
        self.value.setText(format_gap(gap))
        if not math.isfinite(gap):
            self.words.setText("no hip angle for this rep")
            theme.fill_card(self, theme.PANEL, theme.MUTED)
            return
        try:
            tol = get_exercise(rep.exercise or "deadlift").hip_tolerance_deg
        except ValueError:       # an exercise this build does not know (an old recording)
            tol = get_exercise("deadlift").hip_tolerance_deg
        if gap > tol:
            self.words.setText("short of neutral")
            self.setToolTip(f"more than {tol:g}° short of your neutral: the hips did not finish")
            theme.fill_card(self, theme.VERDICT_COLOUR[Verdict.LUMBAR_DOMINANT], "black")
        else:
            self.words.setText("hips at neutral")
            theme.fill_card(self, theme.VERDICT_COLOUR[Verdict.GLUTES_FINISHED], "black")

    def set_live(self, hip_deg: float) -> None:
        # rounded first, then + 0.0: -0.3° reads "0°", never "-0°"
        text = (f"now {round(hip_deg) + 0.0:.0f}° from neutral" if math.isfinite(hip_deg)
                else (self.status or "hip angle: waiting"))
        if text != self._live_text:
            self._live_text = text
            self.live.setText(text)

    def set_status(self, message: str) -> None:
        self.status = message
        if message and (self.rep is None):
            self.words.setText(message)
