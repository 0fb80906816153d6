"""The training dashboard window: live set view, set control, summary, replay controls.

The GUI thread only draws. A 30 Hz QTimer copies the newest rows from the
engine's display buffer (a copy under the buffer's lock, never held while
drawing); reps, quality, sets, disconnects and errors arrive as queued signals
from :class:`~.bridge.AcquisitionBridge` and are always shown.
"""
from __future__ import annotations

import logging
import math
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from PyQt6.QtCore import QSize, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QKeySequence, QShortcut
from PyQt6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDialog, QGridLayout,
                             QHBoxLayout, QLabel, QMainWindow, QPushButton, QSizePolicy, QSlider,
                             QStackedWidget, QVBoxLayout, QWidget)

from ..fanout import ListenerFailure
from ..model import EventKind, Muscle, RepResult, RepStatus, SourceEvent, TopCue, Verdict, unit_label
from ..sets import SetRecord, summarize
from ..sources.base import Paced, Pausable, Recording, Seekable
from . import theme
from .bridge import RateMeter
from .live import LiveSession
from .start_screen import StartScreen
from .worker import Worker
from .hip_gap import HipGapCard
from .lifter import LastRepCard, LivePanel
from .present import STALE_AFTER_S, LiveGate
from .widgets import (CueBanner, ElidedLabel, FitLabel, MessageBanner, QualityBadges, RepBarChart, RepCounter,
                      SetSummaryPanel, big_font, panel)
from .traces import TracesView

log = logging.getLogger(__name__)

DRAW_HZ = 30
#: the side panel's switch buttons (the full caption is the tooltip)
SHORT_SOURCE_CAPTIONS = {"Simulated athlete": "Simulator", "Connect board": "Board"}
CALIBRATED_UNITS = ("pct_mvc", "%mvc", "%MVC")


class DashboardWindow(QMainWindow):
    """``DashboardWindow(session=None, athletes=(), exercises=(...))``; ``attach(session)`` later.

    ``source_factories`` maps a button caption ("Simulated athlete", "Connect board")
    to a callable returning a new :class:`LiveSession` ("Connect board" is called with
    the port chosen on the start screen, "" for auto-detect); used when no source is
    attached or after one failed. It runs on a worker thread with the source's ``open``
    (a serial handshake takes seconds; the recorder creates its folder), and only the
    finished session comes back to the GUI thread. ``list_ports`` fills the start
    screen's port list.
    ``trend_source(athlete, exercise, exclude_folder)`` returns the athlete's past
    sessions (``session.history.TrendPoint``); it does file I/O, so it runs on a worker thread,
    only when the athlete, the exercise or the session changes and when a set ends.
    """

    frame_drawn = pyqtSignal()

    def __init__(self, session: LiveSession | None = None, *, athlete: str = "",
                 athletes: tuple[str, ...] = (), exercise: str = "deadlift",
                 exercises: tuple[str, ...] = ("deadlift",),
                 source_factories: dict[str, Callable[..., LiveSession]] | None = None,
                 on_athlete: Callable[[str], object] | None = None,
                 on_calibrate: Callable[["DashboardWindow"], object] | None = None,
                 target_ratio: Callable[[str], float | None] | None = None,
                 list_ports: Callable[[], list] | None = None,
                 trend_source: Callable[[str, str, Path | None], list] | None = None,
                 draw_hz: float = DRAW_HZ) -> None:
        super().__init__()
        self.setWindowTitle("emg-monitor — glute : erector at lockout")
        self.setStyleSheet(theme.STYLE_SHEET)
        self.setFont(big_font(theme.BASE_FONT_PX, bold=False))
        self.session: LiveSession | None = None
        self.source_factories = dict(source_factories or {})
        self.connector = Worker(self, name="connect")
        self.connecting = ""                  # caption of the source being opened, "" if none
        self.connect_choice = (athlete, exercise)   # (athlete, exercise) when it was asked for
        self.closing: list = []               # threading.Event per session still closing
        self._shown_recorder_error: BaseException | None = None
        self._muscles: dict[str, Muscle | None] = {}   # channel name -> Channel.muscle
        self.wizard: QDialog | None = None    # the calibration wizard, while it is open
        self._on_athlete = on_athlete
        self._on_calibrate = on_calibrate
        self._target_ratio = target_ratio or (lambda name: None)
        self._list_ports = list_ports
        self._trend_source = trend_source
        self._trend_pool: ThreadPoolExecutor | None = None
        self._trend_future: Future | None = None
        self._trend_key: tuple | None = None
        self.trend_points: list = []
        self.trend_loads = 0                  # how often history was read (tests: never per frame)
        self.replaying = False
        self._pausable = False
        self.compact = False
        self.reps: list[RepResult] = []       # every rep once (by session_rep), as numbered
        self.records: dict[int, SetRecord] = {}   # the engine's set records, newest snapshot
        self._beeped_top_s = float("-inf")        # the top whose live cue last beeped
        self.set_index = 0                    # the set on screen
        self.set_active = False               # a set is open (live)
        self.frames = 0
        self.calibrated = False
        self.audio_cues = False
        self._rate = RateMeter()
        self.gate = LiveGate()
        self.stale_reason = ""                # "disconnect", "stop"... while the data are not live
        self._rows_seen: tuple | None = None
        self._rows_wall_s = 0.0
        self._drawn: tuple | None = None      # what the traces show now
        self._status_every = max(1, int(draw_hz / 2))
        self._build(athlete, athletes, exercise, exercises)
        # start compact: the window's minimum then fits 1024x600 before the first resize,
        # and a big window switches to the full layout on its first resize event
        self.set_compact(True)
        self.timer = QTimer(self)
        self.timer.setInterval(int(round(1000 / draw_hz)))
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        if session is not None:
            self.attach(session)
        else:
            self._show_no_source()

    # --- layout ---------------------------------------------------------------------
    def _build(self, athlete, athletes, exercise, exercises) -> None:
        # the side panel runs the full height, so a 1280x720 laptop window still holds every
        # control; the left column shrinks its traces first
        central = QWidget()
        outer = QHBoxLayout(central)
        outer.setContentsMargins(10, 8, 10, 8)
        outer.setSpacing(8)
        root = QVBoxLayout()
        root.setSpacing(8)
        outer.addLayout(root, 1)
        self.banner = MessageBanner()
        self.banner.setFont(big_font(20))
        root.addWidget(self.banner)

        self.top_row = _StretchOnly()
        top = QHBoxLayout(self.top_row)
        top.setContentsMargins(0, 0, 0, 0)
        self.bars = RepBarChart()
        self.last_rep = LastRepCard()
        self.live = LivePanel()
        self.counter = RepCounter()
        side = QVBoxLayout()
        side.setSpacing(8)
        side.addWidget(self.counter, 1)
        side.addWidget(self.live, 1)
        top.addWidget(self.bars, 3)
        top.addWidget(self.last_rep, 3)
        self.hip_gap = HipGapCard()          # beside the ratio, shown when there are hip IMUs
        self.hip_gap.setVisible(False)
        top.addWidget(self.hip_gap, 0)
        top.addLayout(side, 0)
        root.addWidget(self.top_row, 3)

        self.cue = CueBanner()
        root.addWidget(self.cue)

        self.pages = _StretchOnlyPages()
        self.traces = TracesView()
        self.summary = SetSummaryPanel()
        self.start_screen = StartScreen(self._list_ports)
        self.start_screen.simulate_requested.connect(lambda: self.use_source("Simulated athlete"))
        self.start_screen.connect_requested.connect(
            lambda port: self.use_source("Connect board", port))
        self.pages.addWidget(self.traces)
        self.pages.addWidget(self.summary)
        # the start screen replaces the top row and the cue too: its height must not count
        # towards the window's minimum while the traces are shown (1024x600 must fit)
        self.start_screen.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.pages.addWidget(self.start_screen)
        self.pages.currentChanged.connect(self._page_changed)
        root.addWidget(self.pages, 5)
        self.side_panel = self._side_panel(athlete, athletes, exercise, exercises)
        outer.addWidget(self.side_panel, 0)
        self.setCentralWidget(central)

        status = self.statusBar()
        self.status_device = ElidedLabel("no source")    # the whole name on hover
        self.status_rate = QLabel("rate —")
        self.status_lost = QLabel("lost 0")
        self.status_calibration = QLabel("uncalibrated")
        self.status_recording = QLabel("not recording")
        for w in (self.status_device, self.status_rate, self.status_lost,
                  self.status_calibration):
            status.addWidget(w)
        status.addPermanentWidget(self.status_recording)

        self.space = QShortcut(QKeySequence(Qt.Key.Key_Space), self)
        self.space.setContext(Qt.ShortcutContext.WindowShortcut)
        self.space.activated.connect(self.toggle_set)

    def _side_panel(self, athlete, athletes, exercise, exercises) -> QWidget:
        box = panel()
        box.setFixedWidth(330)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(10)

        def caption(text: str) -> QLabel:
            label = QLabel(text)
            label.setObjectName("muted")
            return label

        form = QGridLayout()
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(8)
        self.athlete_box = QComboBox()
        self.athlete_box.setEditable(True)
        self.athlete_box.addItems(list(athletes))
        self.athlete_box.setCurrentText(athlete)
        self.athlete_box.lineEdit().editingFinished.connect(self._athlete_changed)
        self.athlete_box.activated.connect(lambda _i: self._athlete_changed())
        self.exercise_box = QComboBox()
        self.exercise_box.addItems(list(exercises))
        self.exercise_box.setCurrentText(exercise)
        self.exercise_box.currentTextChanged.connect(self._exercise_changed)
        form.addWidget(caption("Athlete"), 0, 0)
        form.addWidget(self.athlete_box, 0, 1)
        form.addWidget(caption("Exercise"), 1, 0)
        form.addWidget(self.exercise_box, 1, 1)
        form.setColumnStretch(1, 1)
        layout.addLayout(form)

        self.set_button = QPushButton("START SET\n(space)")
        self.set_button.setObjectName("bigStart")
        self.set_button.setFont(big_font(26))
        self.set_button.setMinimumHeight(80)
        self.set_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.set_button.clicked.connect(self.toggle_set)
        layout.addWidget(self.set_button)

        self.calibrate_button = QPushButton("Calibrate (MVC)…")
        self.calibrate_button.setMinimumHeight(48)
        self.calibrate_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.calibrate_button.clicked.connect(self._calibrate)
        layout.addWidget(self.calibrate_button)

        self.filtered_check = QCheckBox("Show filtered EMG")
        self.filtered_check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.filtered_check.toggled.connect(self.traces.set_show_filtered)
        layout.addWidget(self.filtered_check)
        self.audio_check = QCheckBox("Beep on lumbar-dominant rep")
        self.audio_check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.audio_check.toggled.connect(lambda on: setattr(self, "audio_cues", on))
        layout.addWidget(self.audio_check)

        layout.addWidget(caption("Signal quality"))        # the reasons are written under the badges
        self.badges = QualityBadges()
        layout.addWidget(self.badges)

        # replay controls (shown for seekable sources)
        self.replay_box = QWidget()
        replay = QVBoxLayout(self.replay_box)
        replay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.pause_button = QPushButton("Pause")
        self.pause_button.setMinimumHeight(44)
        self.pause_button.setCheckable(True)
        self.pause_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.position_label = FitLabel("0:00", max_px=20, min_px=12)
        self.position_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        row.addWidget(self.pause_button)
        row.addWidget(self.position_label, 1)
        replay.addLayout(row)
        self.seek_slider = QSlider(Qt.Orientation.Horizontal)
        self.seek_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.seek_slider.sliderReleased.connect(self._seek_released)
        # clicks and keys on the groove move the value after this signal: seek once it has
        self.seek_slider.actionTriggered.connect(
            lambda action: None if action == QSlider.SliderAction.SliderMove
            else QTimer.singleShot(0, self._seek_released))
        replay.addWidget(self.seek_slider)
        layout.addWidget(caption("Replay"))
        layout.addWidget(self.replay_box)
        self._replay_widgets = (layout.itemAt(layout.count() - 2).widget(), self.replay_box)
        for w in self._replay_widgets:
            w.hide()

        layout.addStretch(1)
        self.source_buttons: dict[str, QPushButton] = {}
        self.sources_box = QWidget()
        row = QHBoxLayout(self.sources_box)
        row.setContentsMargins(0, 0, 0, 0)
        for caption_text in self.source_factories:
            button = QPushButton(SHORT_SOURCE_CAPTIONS.get(caption_text, caption_text))
            button.setMinimumHeight(40)
            button.setToolTip(f"Switch to: {caption_text}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _c=False, name=caption_text: self.use_source(name))
            row.addWidget(button)
            self.source_buttons[caption_text] = button
        layout.addWidget(self.sources_box)
        return box

    def _page_changed(self, _index: int) -> None:
        # the start screen is the whole story when nothing is connected: no empty charts
        starting = self.pages.currentWidget() is self.start_screen
        for w in (self.top_row, self.cue, self.sources_box):
            w.setVisible(not starting)
        for w in (self.set_button, self.calibrate_button):
            w.setEnabled(not starting and not self.replaying)

    # --- sessions ------------------------------------------------------------------------
    def attach(self, session: LiveSession) -> None:
        """Show ``session``: connect its signals, then start its source (if not running)."""
        self.detach()
        self.session = session
        self.reps, self.records = [], {}          # a new session: its own reps and sets
        self.set_index, self.set_active = 0, False
        self.bars.clear_reps()
        self.counter.set_label.setText("NO SET")
        self.counter.set_count(0)
        b = session.bridge
        b.info_changed.connect(self._on_info)
        b.top_arrived.connect(self.on_top)
        b.rep_arrived.connect(self.on_rep)
        b.quality_changed.connect(self.badges.set_issues)
        b.set_changed.connect(self.on_set)
        b.source_event.connect(self.on_source_event)
        b.source_error.connect(self.on_source_error)
        b.source_stopped.connect(self._on_source_stopped)
        b.listener_failed.connect(self.on_listener_failed)
        seekable = isinstance(session.source, Seekable)
        self.replaying = seekable
        # asked once: a runtime-checkable Protocol's isinstance walks its members every call
        self._pausable = isinstance(session.source, Pausable)
        for w in self._replay_widgets:
            w.setVisible(seekable)
        self.pause_button.setChecked(False)
        # controls say only what they can do: a replay's sets are the recorded ones, and
        # nothing is calibrated or recorded from a replay
        self.set_button.setVisible(not seekable)
        self.calibrate_button.setVisible(not seekable)
        self.set_button.setText("START SET\n(space)")
        self.summary.set_hint("" if seekable else "Press SPACE for the next set")
        self._show_recording_state()
        self.pages.setCurrentWidget(self.traces)
        self.cue.clear("Replay — sets start and stop as recorded" if seekable else
                       "A set starts at your first rep — SPACE starts or stops one by hand")
        for text in session.warnings:
            self.banner.show_error(text)
        self.request_trend()
        if session.source.info is not None:
            self._on_info(session.source.info)
        if not session.reader.running:
            try:
                session.start()
            except Exception as exc:  # shown, and the user can choose another source
                self.on_source_error(exc)

    def detach(self) -> None:
        if self.session is None:
            return
        b = self.session.bridge
        for sig in (b.info_changed, b.top_arrived, b.rep_arrived, b.quality_changed,
                    b.set_changed, b.source_event, b.source_error, b.source_stopped,
                    b.listener_failed):
            try:
                sig.disconnect()
            except TypeError:
                pass
        # and the threads stop calling it: the source stops on a closer thread after the
        # window has gone, when Qt may already have deleted the bridge (at exit)
        self.session.reader.remove_listener(b)
        self.session.engine.remove_listener(b)
        # the join and the recorder's fsync run on a closer thread: the GUI never waits
        self.closing = [e for e in self.closing if not e.is_set()]
        self.closing.append(self.session.close(block=False))
        self.session = None

    def use_source(self, caption: str, *args) -> None:
        """Open the chosen source on a worker (handshakes take seconds), then attach it."""
        if self.connector.busy:
            self.banner.show_notice(f"Still connecting to {self.connecting}…", seconds=3)
            return
        self.connecting = caption
        # what the factory may read on the worker (widgets belong to the GUI thread)
        self.connect_choice = (self.athlete, self.exercise)
        self.banner.show_notice(f"{caption}: connecting…", seconds=30)

        def opened(session: LiveSession) -> None:
            self.connecting = ""
            self.banner.hide()
            self.attach(session)

        def failed(exc: BaseException) -> None:
            self.connecting = ""
            self.banner.show_error(f"{caption}: {exc}")
        self.connector.submit(_open_session, self.source_factories[caption], *args,
                              on_done=opened, on_error=failed)

    def _show_no_source(self) -> None:
        self.status_device.setText("no source")
        self.status_recording.setText("not recording")
        choices = " or ".join(f"'{c}'" for c in self.source_factories) or "a source"
        self.cue.clear(f"No board found — choose {choices}")
        self.start_screen.connect_button.setVisible("Connect board" in self.source_factories)
        self.start_screen.simulate_button.setVisible("Simulated athlete" in self.source_factories)
        self.pages.setCurrentWidget(self.start_screen)

    def _show_recording_state(self) -> None:
        s = self.session
        if s is None:
            return
        if self.replaying:
            path = s.source.path if isinstance(s.source, Recording) else None
            paused = isinstance(s.source, Pausable) and s.source.paused
            name = path.name if path is not None else "recording"
            self.status_recording.setText(f"replay {name}" + (" (paused)" if paused else ""))
            self.status_recording.setToolTip(str(path or ""))
        else:
            rec = s.recording_path
            self.status_recording.setText(f"● REC {Path(rec).name}" if rec else "not recording")
            self.status_recording.setToolTip(f"recording to {rec}" if rec else "")

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        compact = self.height() < 880 or self.width() < 1400
        if compact != self.compact:
            self.set_compact(compact)

    def set_compact(self, compact: bool) -> None:
        """Laptop-sized windows (e.g. 1280x720): smaller digits and cue, so the traces
        keep a readable height; the numbers stay the biggest things on screen."""
        self.compact = compact
        for w in (self.last_rep, self.hip_gap, self.live, self.counter, self.cue, self.summary,
                  self.traces, self.badges):
            w.set_compact(compact)
        self.side_panel.setFixedWidth(270 if compact else 330)
        self.side_panel.layout().setSpacing(6 if compact else 10)
        self.set_button.setFont(big_font(22 if compact else 26))
        self.set_button.setMinimumHeight(62 if compact else 80)
        self.calibrate_button.setMinimumHeight(38 if compact else 48)
        # laptop windows: the top row (the lifter's numbers) and the traces share the height
        self.centralWidget().layout().itemAt(0).layout().setStretchFactor(
            self.top_row, 3 if compact else 4)
        self.bars.set_compact(compact)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        # the space shortcut needs an active window; a key that reaches the window
        # itself (nothing focused, e.g. offscreen) must work the same way
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.toggle_set()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop drawing, stop the history worker, disconnect the bridge, stop the source and
        close the recorder — in that order, so no thread can reach a widget being deleted."""
        self.timer.stop()
        if self._trend_pool is not None:
            self._trend_pool.shutdown(wait=False, cancel_futures=True)   # never wait on I/O
            self._trend_pool = None
        self.detach()

    # --- set control ------------------------------------------------------------------------
    def toggle_set(self) -> None:
        if self.session is None:
            self.banner.show_error("No source connected: choose the board or the simulated athlete")
            return
        if self.replaying:
            self.banner.show_notice("A replay starts and stops its sets as recorded", seconds=3)
            return
        if self.set_active:
            self.session.engine.stop_set()
        else:
            self.session.engine.start_set()

    def on_set(self, record: SetRecord) -> None:
        """A set record from the engine: the counter, the label and the summary read it."""
        if record.reps:
            self.records[record.set_index] = record
        live = not self.replaying
        if not record.closed:
            if record.set_index != self.set_index or not self.set_active:
                self._show_set(record.set_index, upto=None)
                self.pages.setCurrentWidget(self.traces)
                if not record.reps:
                    self.cue.clear("Set running — lift!" if live else
                                   f"Replay: set {record.set_index}")
            self.set_active = True
            self.counter.set_count(record.count)
            if live:
                self.set_button.setText("STOP SET\n(space)")
                self.set_button.setObjectName("bigStop")
        else:
            self.set_active = False
            if live:
                self.set_button.setText("START SET\n(space)")
                self.set_button.setObjectName("bigStart")
            if record.reps:
                self.set_index = record.set_index
                self.counter.show_set(record.set_index, False)
                self.counter.set_count(record.count)
                self.summary.show_summary(summarize(record), record.reps)
                self.pages.setCurrentWidget(self.summary)
                self.cue.clear(f"Set {record.set_index} done — next set starts at its first rep"
                               if live else f"Replay: set {record.set_index} done")
                self.request_trend(force=True)      # this session's set joins the picture
            else:                                   # started and stopped without a rep
                self.counter.set_label.setText("NO SET")
                self.counter.set_count(0)
                self.cue.clear("No set running — sets start at the first rep")
        self.set_button.style().unpolish(self.set_button)
        self.set_button.style().polish(self.set_button)

    def _show_set(self, set_index: int, upto: RepResult | None) -> None:
        """Put set ``set_index`` on the counter and the bars: all its reps, or up to ``upto``
        (a replayed stretch shows the set as it stood at that rep)."""
        self.set_index = set_index
        rec = self.records.get(set_index)
        reps = (list(rec.reps) if rec is not None
                else sorted((r for r in self.reps if r.set_index == set_index), key=lambda r: r.rep))
        if upto is not None:
            reps = [r for r in reps if r.rep <= upto.rep]
        self.bars.clear_reps()
        for r in reps:
            self.bars.add_rep(r)
        self.counter.show_set(set_index, True)
        self.counter.set_count(sum(1 for r in reps if r.status == RepStatus.COMPLETE))

    def on_top(self, cue: TopCue) -> None:
        """The top is reached: the live lockout state, while the lifter can still squeeze.
        Never from a stream that is not live (after a disconnect)."""
        if self.stale_reason:
            return
        self.cue.show_top(cue)
        self.live.show_cue(cue)
        if self.audio_cues and cue.verdict == Verdict.LUMBAR_DOMINANT:
            QApplication.beep()
            self._beeped_top_s = cue.t_top_s      # this rep has had its sound

    def on_rep(self, rep: RepResult) -> None:
        seen = any(r.session_rep == rep.session_rep for r in self.reps)
        if not seen:
            self.reps.append(rep)
        if seen or rep.set_index != self.set_index:
            # a replayed stretch (after a seek) or another set: show it as it stood then
            self._show_set(rep.set_index, upto=rep)
            self.pages.setCurrentWidget(self.traces)
        elif not any(r.session_rep == rep.session_rep for r in self.bars.reps):
            self.bars.add_rep(rep)
            self.counter.set_count(sum(1 for r in self.bars.reps
                                       if r.status == RepStatus.COMPLETE))
        self.cue.show_rep(rep)
        self.last_rep.show_rep(rep)
        self.hip_gap.show_rep(rep)
        self.live.end_cue()
        beeped = abs(rep.t_top_s - self._beeped_top_s) < 1.0    # at its top, in time to squeeze
        if rep.verdict == Verdict.LUMBAR_DOMINANT and self.audio_cues and not beeped:
            QApplication.beep()

    # --- source events ------------------------------------------------------------------------
    def on_source_event(self, event: SourceEvent) -> None:
        if event.kind == EventKind.DISCONNECTED:
            # the driver's own words (errno, "device reports readiness...") mean nothing to
            # a lifter: say what happened and what to do; the raw detail is in the tooltip
            port = event.detail.partition(":")[0].strip() if ":" in event.detail else ""
            self.banner.show_error(f"BOARD DISCONNECTED{' from ' + port if port else ''} — "
                                   "check the USB cable; reconnecting automatically…",
                                   detail=event.detail)
            self._go_stale("disconnect")
        elif event.kind == EventKind.RECONNECTED:
            self.banner.show_notice("Board reconnected — the next rep is live again")
            self.stale_reason = ""
        elif event.kind == EventKind.GAP:
            self.banner.show_notice(f"Lost {event.duration_s * 1000:.0f} ms of signal "
                                    f"{event.detail}".strip())
        elif event.kind == EventKind.END:
            self.banner.show_notice("Replay finished — drag the slider to watch again",
                                    seconds=30)
            self.status_rate.setText("replay finished")

    def on_source_error(self, exc: BaseException) -> None:
        text = str(exc) or type(exc).__name__
        self.banner.show_error(f"SOURCE STOPPED: {text}")
        self.status_device.setText("source failed")
        self._go_stale("source stopped")

    def _go_stale(self, why: str) -> None:
        """No live data: no live ratio, no cue of a rep that is history, the card greyed."""
        self.stale_reason = why
        self.live.end_cue()
        self.last_rep.set_stale(True, why)
        self.cue.clear(f"No live data ({why}) — the last verdict is not current")

    def _on_source_stopped(self) -> None:
        if self.session is not None and self.session.reader.error is None:
            self.status_rate.setText("stopped")

    def on_listener_failed(self, failure: ListenerFailure) -> None:
        """A consumer (the engine, the recorder, an outlet) raised and was detached; the
        source and the others go on. Always shown: the lifter must know reps stopped."""
        what = {"Engine": "PROCESSING", "Recorder": "RECORDING"}.get(failure.name,
                                                                      failure.name.upper())
        self.banner.show_error(f"{what} FAILED: {failure.error or type(failure.error).__name__}"
                               " (the rest goes on)")
        if failure.name == "Recorder":
            self.status_recording.setText("recording stopped")

    def _on_info(self, info) -> None:
        self._muscles = {ch.name: ch.muscle for ch in info.channels}
        self.status_device.setText(f"{info.device or 'device'} · {info.sample_rate_hz:g} Hz nominal"
                                   f" · {len(info.channels)} ch")
        self.badges.set_channels(tuple(info.names[i] for i in info.emg_indices()))

    # --- athlete, exercise, calibration ------------------------------------------------------
    @property
    def athlete(self) -> str:
        return self.athlete_box.currentText().strip()

    @property
    def exercise(self) -> str:
        return self.exercise_box.currentText()

    def _athlete_changed(self) -> None:
        self.request_trend()
        if self._on_athlete is not None and self.athlete:
            try:
                self._on_athlete(self.athlete)
            except Exception as exc:
                self.banner.show_error(f"Athlete {self.athlete}: {exc}")

    def _exercise_changed(self, name: str) -> None:
        if self.session is not None:
            try:
                self.session.engine.set_exercise(name)
            except Exception as exc:
                self.banner.show_error(f"Exercise {name}: {exc}")
            else:
                if self.session.recorder is not None:    # a replay repeats it here
                    self.session.recorder.mark("exercise", exercise=name)
        self.bars.set_target(self._target_ratio(name))
        self.request_trend()

    # --- the athlete's trend across sessions (file I/O on a worker thread) -------------------
    def request_trend(self, force: bool = False) -> None:
        if self._trend_source is None:
            return
        exclude = None
        if self.session is not None:
            src = self.session.source
            exclude = self.session.recording_path or (
                src.path if self.replaying and isinstance(src, Recording) else None)
        key = (self.athlete, self.exercise, str(exclude) if exclude else None)
        if key == self._trend_key and not force:
            return
        self._trend_key = key
        if self._trend_pool is None:
            self._trend_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trend")
        self.trend_loads += 1
        self._trend_future = self._trend_pool.submit(self._trend_source, *key[:2], exclude)
        self._trend_future.key = key

    def _collect_trend(self) -> None:
        f = self._trend_future
        if f is None or not f.done():
            return
        self._trend_future = None
        if f.key != self._trend_key:              # the athlete changed meanwhile
            return
        try:
            self.trend_points = list(f.result())
        except Exception as exc:
            self.trend_points = []
            self.banner.show_error(f"Could not read the session history: {exc}")
        athlete, exercise, _ = f.key
        self.summary.show_trend(athlete, exercise, self.trend_points)

    def _calibrate(self) -> None:
        if self._on_calibrate is None or self.session is None:
            self.banner.show_error("Calibration needs a connected source")
            return
        self._on_calibrate(self)

    # --- replay ------------------------------------------------------------------------------
    def _pause_toggled(self, paused: bool) -> None:
        src = self.session.source if self.session else None
        self.pause_button.setText("▶ Resume" if paused else "Pause")
        if not isinstance(src, Pausable):
            return
        (src.pause if paused else src.resume)()
        self._show_recording_state()
        self._update_position()

    def _seek_released(self) -> None:
        self.seek_to(self.seek_slider.value() / 10.0)

    def seek_to(self, t_s: float) -> None:
        """Jump the replay to ``t_s`` (stream time); after the end, play again from there."""
        s = self.session
        if s is None or not isinstance(s.source, Seekable):
            return
        s.source.seek(t_s)
        if not s.reader.running and s.reader.error is None:
            self.banner.hide()
            s.reader.start()
        self._update_position()

    # --- the draw timer ------------------------------------------------------------------------
    def _tick(self) -> None:
        self.frames += 1
        if self._trend_future is not None:
            self._collect_trend()
        s = self.session
        if s is None:
            return
        d = s.display
        env_buf, peak_buf = d.envelope, d.peak
        if env_buf is not None:
            angle_title = "hip" if d.angle_is_hip else "trunk"
            if ((d.emg_names, d.envelope_unit, angle_title)
                    != (self.traces.names, self.traces.unit, self.traces.angle_title)):
                self.calibrated = d.envelope_unit in CALIBRATED_UNITS
                self.traces.configure(d.emg_names, d.envelope_unit, self.calibrated,
                                      angle_title=angle_title)
                self.status_calibration.setText("calibrated (%MVC)" if self.calibrated
                                                else f"uncalibrated ({unit_label(d.envelope_unit)})")
                self._drawn = None
            # nothing new (paused replay, a stalled source): leave the picture alone
            drawn = (env_buf, env_buf.total_written, self.traces.show_filtered)
            if drawn != self._drawn:
                self._drawn = drawn
                env = env_buf.latest()
                show_peaks = self.traces.show_filtered and peak_buf is not None
                peaks = peak_buf.latest() if show_peaks else None
                self.traces.draw(env, peaks)
                self._rows_wall_s = time.monotonic()
            self._update_live(s, env_buf)
        if d.hip_available != self.hip_gap.isVisible():
            self.hip_gap.setVisible(d.hip_available)
            # the hip card's room comes from the bar chart: the last rep's ratio keeps its own
            self.top_row.layout().setStretchFactor(self.bars, 2 if d.hip_available else 3)
        if d.hip_available:
            self.hip_gap.set_status(d.hip_status)
            self.hip_gap.set_live(d.latest_hip_deg)
        if self.frames % self._status_every == 0:
            self._update_status()
        self.frame_drawn.emit()

    def _update_live(self, session: LiveSession, env_buf) -> None:
        """The live ratio only while it means something: muscles active, data fresh."""
        src = session.source
        fresh = time.monotonic() - self._rows_wall_s < STALE_AFTER_S
        paused = self._pausable and src.paused
        stale = bool(self.stale_reason) or not fresh or paused or not session.reader.running
        rows = env_buf.latest(int(session.display.display_rate_hz * 0.6) + 1) \
            if env_buf is not None else None
        muscles = tuple(self._muscles.get(n) for n in self.traces.names)
        self.live.set_reading(self.gate.reading(rows, muscles, self.calibrated, stale))

    def _update_status(self) -> None:
        s = self.session
        samples, lost = s.bridge.counters()
        rate = self._rate.update(samples)
        speed = s.source.speed if isinstance(s.source, Paced) else 1.0
        pace = "" if speed == 1.0 else (" (as fast as possible)" if speed is None
                                        else f" ({speed:g}× speed)")
        if isinstance(s.source, Pausable) and s.source.paused:
            self.status_rate.setText("paused")
        elif self.replaying and not s.reader.running:
            self.status_rate.setText("replay finished")
        else:
            self.status_rate.setText((f"measured {rate:,.0f} Hz" if math.isfinite(rate)
                                      else "rate —") + pace)
        self.status_lost.setText(f"lost {max(lost, s.source.stats.lost_samples):,}")
        err = s.recorder.error if s.recorder is not None else None
        if err is not None and err is not self._shown_recorder_error:   # e.g. disk full
            self._shown_recorder_error = err
            self.banner.show_error(f"RECORDING FAILED: {err}")
            self.status_recording.setText("recording stopped")
        self._update_position()

    def _update_position(self) -> None:
        src = self.session.source if self.session is not None else None
        if not isinstance(src, Seekable) or self.seek_slider.isSliderDown():
            return
        pos = float(src.position_s)
        dur = float(src.duration_s or 0.0)
        if dur > 0:
            self.seek_slider.setRange(0, int(dur * 10))
        self.seek_slider.setValue(int(pos * 10))
        self.position_label.setText(f"{_clock(pos)} / {_clock(dur)}" if dur else _clock(pos))


class _StretchOnly(QWidget):
    """A part of the window's column sized by its stretch factor, never below its minimum:
    its size hint is its minimum, and it has no height-for-width. Otherwise the bar chart's
    large hint and the wrapped labels' height-for-width decided, and the set summary got
    less height than its rows need (the verdict row was cut at 1024x600)."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self.minimumSizeHint()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return False


class _StretchOnlyPages(QStackedWidget):
    __doc__ = _StretchOnly.__doc__

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self.minimumSizeHint()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return False


def _open_session(factory: Callable[..., LiveSession], *args) -> LiveSession:
    """On the connect worker: build the session and open its source (handshake included);
    its bridge moves to the GUI thread, whose slots receive its queued signals."""
    session = factory(*args)
    try:
        session.source.open()
    except BaseException:
        session.close()
        raise
    session.bridge.moveToThread(QApplication.instance().thread())
    return session


def _clock(t_s: float) -> str:
    return f"{int(t_s // 60)}:{t_s % 60:04.1f}"
