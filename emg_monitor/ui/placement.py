"""Electrode placement guides after SENIAM, drawn by code (back view, one per muscle).

Sites (Hermens et al. 2000; seniam.org; docs/hardware.md):

* gluteus maximus: half way on the line from the sacral vertebrae to the greater
  trochanter, electrodes along the line from the posterior superior iliac spine
  (PSIS) to the middle of the back of the thigh;
* erector spinae (longissimus): two finger widths lateral to the spinous process
  of L1, electrodes vertical;
* reference: on bone, the iliac crest.

Bipolar pairs 20 mm centre to centre, drawn to scale with the body (~2.5 % of the
drawing's height per 20 mm on a 1.75 m adult).
"""
from __future__ import annotations

import math

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

from ..model import Muscle
from ..placement_text import PLACEMENT_TEXT, SKIN_PREP  # noqa: F401 - re-exported for the wizard
from . import theme

class PlacementDiagram(QWidget):
    """A back view of trunk and pelvis with the electrode sites of one muscle."""

    def __init__(self, muscle: Muscle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.muscle = muscle
        self.setMinimumSize(220, 260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(theme.PANEL))
        # a 100 x 120 unit drawing, centred and scaled to fit
        s = min(self.width() / 100.0, self.height() / 120.0)
        p.translate((self.width() - 100 * s) / 2, (self.height() - 120 * s) / 2)
        p.scale(s, s)
        self._body(p)
        if self.muscle == Muscle.GLUTE:
            self._glute_sites(p)
        else:
            self._erector_sites(p)
        self._reference(p)
        p.end()

    # --- the body (back view; the viewer's left is the athlete's left) --------------------
    def _body(self, p: QPainter) -> None:
        skin = QColor("#3a3f4a")
        outline = QPen(QColor(theme.MUTED), 0.6)
        p.setPen(outline)
        p.setBrush(QBrush(skin))
        trunk = QPainterPath()
        trunk.moveTo(28, 2)
        trunk.cubicTo(24, 20, 30, 40, 29, 58)       # left flank to the waist
        trunk.cubicTo(22, 66, 18, 78, 20, 92)       # hip and buttock
        trunk.cubicTo(22, 106, 30, 116, 40, 118)    # back of the thigh
        trunk.lineTo(60, 118)
        trunk.cubicTo(70, 116, 78, 106, 80, 92)
        trunk.cubicTo(82, 78, 78, 66, 71, 58)
        trunk.cubicTo(70, 40, 76, 20, 72, 2)
        trunk.closeSubpath()
        p.drawPath(trunk)
        # buttock cleft and gluteal folds
        p.setPen(QPen(QColor(theme.MUTED), 0.5))
        p.drawLine(QPointF(50, 80), QPointF(50, 104))
        p.drawArc(QRectF(24, 92, 26, 16), 200 * 16, 120 * 16)
        p.drawArc(QRectF(50, 92, 26, 16), 220 * 16, 120 * 16)
        # spine: spinous processes T10..L5, sacrum
        bone = QColor("#c9c2b0")
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(bone))
        self.vertebra_y = {}
        for k, name in enumerate(("T10", "T11", "T12", "L1", "L2", "L3", "L4", "L5")):
            y = 8 + k * 7.5
            self.vertebra_y[name] = y
            p.drawRoundedRect(QRectF(48.5, y - 1.6, 3, 3.2), 1, 1)
        sacrum = QPainterPath()
        sacrum.moveTo(44, 70)
        sacrum.lineTo(56, 70)
        sacrum.lineTo(50, 84)
        sacrum.closeSubpath()
        p.drawPath(sacrum)
        # iliac crests, PSIS dimples, greater trochanters
        p.setPen(QPen(bone, 1.2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawArc(QRectF(26, 52, 22, 22), 60 * 16, 90 * 16)
        p.drawArc(QRectF(52, 52, 22, 22), 30 * 16, 90 * 16)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(bone))
        for x in (44.5, 55.5):
            p.drawEllipse(QPointF(x, 70), 1.3, 1.3)                 # PSIS
        for x in (21.5, 78.5):
            p.drawEllipse(QPointF(x, 88), 2.2, 2.2)                 # greater trochanter
        self._label(p, 52.5, self.vertebra_y["L1"] + 1.2, "L1", anchor="left")
        self._label(p, 52.5, self.vertebra_y["L4"] + 1.2, "L4", anchor="left")
        self._label(p, 80.5, 86, "trochanter", anchor="left", size=3.0)
        self._label(p, 57, 73, "PSIS", anchor="left", size=3.0)

    def _label(self, p: QPainter, x: float, y: float, text: str, anchor: str = "left",
               size: float = 3.4, colour: str = theme.TEXT) -> None:
        font = QFont()
        font.setPixelSize(max(1, int(round(size * 4))))
        p.save()
        p.scale(0.25, 0.25)
        p.setFont(font)
        p.setPen(QColor(colour))
        w = p.fontMetrics().horizontalAdvance(text)
        x4 = x * 4 - (w if anchor == "right" else w / 2 if anchor == "centre" else 0)
        p.drawText(QPointF(x4, y * 4), text)
        p.restore()

    def _pair(self, p: QPainter, cx: float, cy: float, angle_deg: float) -> None:
        """A bipolar pair, 20 mm apart (~2.9 units at this scale), along ``angle_deg``."""
        dx = 1.45 * math.sin(math.radians(angle_deg))
        dy = 1.45 * math.cos(math.radians(angle_deg))
        p.setPen(QPen(QColor("black"), 0.4))
        p.setBrush(QBrush(QColor(theme.YELLOW)))
        for sgn in (-1, 1):
            p.drawEllipse(QPointF(cx + sgn * dx, cy + sgn * dy), 1.3, 1.3)

    def _glute_sites(self, p: QPainter) -> None:
        for side, x_tr, x_psis in ((-1, 21.5, 44.5), (1, 78.5, 55.5)):
            sx, sy = 50.0, 76.0                                  # sacral vertebrae (S2-S3)
            cx, cy = (sx + x_tr) / 2, (sy + 88) / 2              # half way to the trochanter
            # fibres: PSIS towards the middle of the back of the thigh
            tx, ty = 50 + side * 16, 116
            angle = math.degrees(math.atan2(tx - x_psis, ty - 70))
            p.setPen(QPen(QColor(theme.SKY_BLUE), 0.4, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(sx, sy), QPointF(x_tr, 88))
            p.setPen(QPen(QColor(theme.MUTED), 0.3, Qt.PenStyle.DotLine))
            p.drawLine(QPointF(x_psis, 70), QPointF(tx, ty))
            self._pair(p, cx, cy, angle)
        self._label(p, 50, 115, "half way sacrum → trochanter, along the fibres", "centre",
                    size=3.0, colour=theme.SKY_BLUE)

    def _erector_sites(self, p: QPainter) -> None:
        y = self.vertebra_y["L1"]
        for side in (-1, 1):
            cx = 50 + side * 6.0                                  # two finger widths (~3 cm)
            p.setPen(QPen(QColor(theme.SKY_BLUE), 0.4, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(50 + side * 2, y), QPointF(cx, y))
            self._pair(p, cx, y, 0.0)
        self._label(p, 50, y - 5, "2 finger widths beside L1, vertical", "centre",
                    size=3.0, colour=theme.SKY_BLUE)

    def _reference(self, p: QPainter) -> None:
        p.setPen(QPen(QColor("black"), 0.4))
        p.setBrush(QBrush(QColor(theme.PURPLE)))
        p.drawEllipse(QPointF(30, 59), 1.4, 1.4)
        self._label(p, 27.5, 60, "ref", anchor="right", size=3.0, colour=theme.PURPLE)
