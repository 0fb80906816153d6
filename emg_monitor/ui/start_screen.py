"""What the dashboard shows when no board was found: the simulated athlete or a board.

The port list comes from a callable (``serial_source.find_ports`` in the app) and
is only re-read when the user presses Rescan: listing ports is I/O.
"""
from __future__ import annotations

from typing import Callable

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                             QPushButton, QVBoxLayout, QWidget)

from .widgets import big_font


class StartScreen(QFrame):
    """Big choices: "Simulated athlete", "Connect board" (selected port), "Rescan ports"."""

    simulate_requested = pyqtSignal()
    connect_requested = pyqtSignal(str)      # port device; "" = auto-detect
    replay_requested = pyqtSignal()

    def __init__(self, list_ports: Callable[[], list] | None = None,
                 can_replay: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self._list_ports = list_ports or (lambda: [])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(14)
        self.title = QLabel("No board found")
        self.title.setFont(big_font(38))
        self.hint = QLabel("Train with the simulated athlete, or plug in the board "
                           "(USB) and press Rescan.")
        self.hint.setObjectName("muted")
        self.hint.setFont(big_font(20, bold=False))
        self.hint.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)

        row = QHBoxLayout()
        row.setSpacing(24)
        self.simulate_button = QPushButton("▶  Simulated athlete")
        self.simulate_button.setObjectName("bigStart")
        self.simulate_button.setFont(big_font(24))
        self.simulate_button.setMinimumHeight(80)
        self.simulate_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.simulate_button.clicked.connect(self.simulate_requested.emit)
        sim = QVBoxLayout()
        sim_caption = QLabel("No hardware needed")
        sim_caption.setObjectName("muted")
        sim_caption.setFont(big_font(16, bold=False))
        sim_text = QLabel("A virtual lifter: four EMG channels and a trunk accelerometer "
                          "through an emulated board, deadlift sets with some reps "
                          "finished by the lower back.")
        sim_text.setWordWrap(True)
        sim_text.setFont(big_font(17, bold=False))
        sim.addWidget(sim_caption)
        sim.addWidget(self.simulate_button)
        sim.addWidget(sim_text)
        sim.addStretch(1)
        row.addLayout(sim, 1)

        board = QVBoxLayout()
        caption = QLabel("Serial ports")
        caption.setObjectName("muted")
        caption.setFont(big_font(16, bold=False))
        self.ports = QListWidget()
        self.ports.setFont(big_font(16, bold=False))
        self.ports.setMinimumHeight(70)
        self.ports.itemDoubleClicked.connect(lambda _i: self._connect())
        buttons = QVBoxLayout()         # stacked: each button gets the column's whole width
        self.connect_button = QPushButton("Connect board")
        self.connect_button.setMinimumHeight(48)
        self.connect_button.setFont(big_font(18))
        self.connect_button.clicked.connect(self._connect)
        self.rescan_button = QPushButton("Rescan ports")
        self.rescan_button.setMinimumHeight(48)
        self.rescan_button.setFont(big_font(18))
        self.rescan_button.clicked.connect(self.rescan)
        for b in (self.connect_button, self.rescan_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            buttons.addWidget(b)
        board.addWidget(caption)
        board.addWidget(self.ports, 1)
        board.addLayout(buttons)
        row.addLayout(board, 1)
        layout.addLayout(row, 1)

        self.replay_button = QPushButton("Replay a recorded session…")
        self.replay_button.setMinimumHeight(44)
        self.replay_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.replay_button.clicked.connect(self.replay_requested.emit)
        self.replay_button.setVisible(can_replay)
        layout.addWidget(self.replay_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.rescan()

    def rescan(self) -> None:
        self.ports.clear()
        try:
            found = list(self._list_ports())
        except Exception as exc:          # listing ports can fail (permissions): say so
            found = []
            self.hint.setText(f"Could not list serial ports: {exc}")
        for p in found:
            text = f"{p.device} — {p.description or 'serial port'}"
            if getattr(p, "likely_board", False):
                text = "★ " + text + "  (board)"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, p.device)
            self.ports.addItem(item)
        if found:
            self.ports.setCurrentRow(0)
        else:
            item = QListWidgetItem("no serial ports — plug the board in, then Rescan")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.ports.addItem(item)
        self.connect_button.setEnabled(bool(found))

    def selected_port(self) -> str:
        item = self.ports.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) or "" if item is not None else ""

    def _connect(self) -> None:
        if self.connect_button.isEnabled():
            self.connect_requested.emit(self.selected_port())
