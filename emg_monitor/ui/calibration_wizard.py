"""Calibration wizard: rest, glute MVC, erector MVC, each recorded from the live stream.

Raw samples are kept by a :class:`RawHistory` listener on the acquisition
thread (no DSP there); the dialog polls it on a timer and cuts each trial out
by stream index.
Each MVC hold is checked with ``dsp.calibration.trial_quality`` (long enough,
steady, clearly above rest) and can be retried; the result is computed with
``dsp.mvc.calibrate`` and handed to ``on_done`` (save to the athlete's
profile, apply to the engine).

Timing: with a real athlete a trial starts after a spoken-style countdown. The
simulated athlete follows a script (``AthleteConfig(calibration=True)``: rest,
three glute holds, three erector holds), so :class:`ScriptedTiming` waits for the
next scripted segment of the requested kind and records exactly its plateau.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (QDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton,
                             QVBoxLayout)

from ..dsp.calibration import (ERECTOR_TASKS, GLUTE_TASKS, REST_TASK, Calibration,
                               CalibrationTask, rest_baseline, trial_quality)
from ..dsp.mvc import calibrate
from ..dsp.pipeline import FilterSettings, Pipeline
from ..model import DeviceInfo, Muscle, SampleBlock
from ..ringbuffer import RingBuffer
from ..sources.base import Listener, ScriptedCalibration, Source
from ..sources.notifier import Notifier
from . import theme
from .widgets import big_font


def task_kind(task: CalibrationTask) -> str:
    return {None: "rest", Muscle.GLUTE: "glute_mvc", Muscle.ERECTOR: "erector_mvc"}[task.muscle]


@dataclass(frozen=True)
class Step:
    task: CalibrationTask
    hold: int          # 1-based

    @property
    def kind(self) -> str:
        return task_kind(self.task)


def full_protocol() -> list[Step]:
    """Rest, every glute task and every erector task, each with its holds."""
    steps = [Step(REST_TASK, 1)]
    for task in (*GLUTE_TASKS, *ERECTOR_TASKS):
        steps += [Step(task, h + 1) for h in range(task.holds)]
    return steps


def scripted_protocol() -> list[Step]:
    """What the simulated athlete's script performs: rest, 3 glute holds, 3 erector holds."""
    return ([Step(REST_TASK, 1)] + [Step(GLUTE_TASKS[0], h + 1) for h in range(3)]
            + [Step(ERECTOR_TASKS[0], h + 1) for h in range(3)])


class RawHistory(Listener):
    """The last ``seconds`` of raw samples with their stream indices (acquisition thread).

    Trials are cut out of this history by stream index, so a trial is exact even
    when the GUI notices its start or end a little late.
    """

    def __init__(self, seconds: float = 90.0) -> None:
        self.seconds = seconds
        self._buf: RingBuffer | None = None
        self.latest_index = -1        # one past the newest sample

    def on_info(self, info: DeviceInfo) -> None:
        self._buf = RingBuffer(int(self.seconds * info.sample_rate_hz) + 1, 1 + len(info.channels))

    def on_block(self, block: SampleBlock) -> None:
        if self._buf is None:
            return
        index = block.first_index + np.arange(block.n)
        self._buf.append(np.column_stack([index, block.data]))
        self.latest_index = block.first_index + block.n

    @property
    def earliest_index(self) -> int:
        """The oldest sample still held."""
        if self._buf is None:
            return 0
        return max(0, self.latest_index - self._buf.capacity)

    def window(self, start: int, n: int) -> np.ndarray | None:
        """Raw rows [start, start + n), or None while the stream has not got there."""
        if self._buf is None or self.latest_index < start + n:
            return None
        rows = self._buf.latest()
        keep = (rows[:, 0] >= start) & (rows[:, 0] < start + n)
        return rows[keep, 1:]

    def progress(self, start: int, n: int) -> float:
        return float(np.clip((self.latest_index - start) / n, 0.0, 1.0)) if n else 1.0


class LiveTiming:
    """A real athlete: record ``hold_s`` seconds starting after the countdown."""

    scripted = False

    def __init__(self, countdown_s: float = 3.0, hold_s: float | None = None) -> None:
        self.countdown_s = countdown_s
        self.hold_s = hold_s

    def window(self, step: Step, earliest_index: int, fs: float) -> tuple[int | None, int]:
        hold_s = self.hold_s if self.hold_s is not None else step.task.hold_s
        return None, int(round(hold_s * fs))


class ScriptedTiming:
    """The simulated athlete: the next scripted segment of the step's kind.

    Segments that began before the wizard asked are still usable while the raw
    history holds them (``earliest_index``), so opening the wizard a little late
    does not skip the script's first rest.
    """

    scripted = True
    countdown_s = 0.0

    def __init__(self, tasks) -> None:
        self.tasks = list(tasks)
        self._last = -1              # script position: segments are used in order

    def window(self, step: Step, earliest_index: int, fs: float) -> tuple[int | None, int]:
        for i, seg in enumerate(self.tasks):
            start = int(np.ceil(seg.t_start_s * fs))
            if i <= self._last or seg.kind != step.kind or start < earliest_index:
                continue
            self._last = i
            return start, int((seg.t_end_s - seg.t_start_s) * fs)
        raise LookupError(f"the simulated athlete has no {step.kind.replace('_', ' ')} left in "
                          "its script: restart the simulator with calibration to try again")


def timing_for(source: Source, countdown_s: float = 3.0):
    """ScriptedTiming when the source performs a calibration script (the simulated athlete)."""
    if isinstance(source, ScriptedCalibration) and source.calibration_tasks:
        return ScriptedTiming(source.calibration_tasks)
    return LiveTiming(countdown_s)


class CalibrationWizard(QDialog):
    """``CalibrationWizard(reader, filters, on_done=callback(Calibration))``: ``reader`` is the
    session's :class:`Notifier` (the wizard listens to its raw blocks)."""

    finished_calibration = pyqtSignal(object)   # Calibration

    def __init__(self, source: Notifier, filters: FilterSettings | None = None, *,
                 on_done: Callable[[Calibration], object] | None = None,
                 steps: list[Step] | None = None, timing=None, auto_advance: bool | None = None,
                 athlete: str = "", parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Calibration — maximal voluntary contractions")
        self.setStyleSheet(theme.STYLE_SHEET)
        self.setFont(big_font(theme.BASE_FONT_PX, bold=False))
        self.setMinimumSize(820, 560)
        self.source = source
        self.filters = filters or FilterSettings()
        self.on_done = on_done
        self.timing = timing or timing_for(source.source)
        self.steps = steps or (scripted_protocol() if self.timing.scripted else full_protocol())
        self.auto_advance = self.timing.scripted if auto_advance is None else auto_advance
        self.athlete = athlete
        self.index = 0
        self.trials: list[np.ndarray | None] = [None] * len(self.steps)
        self.results: list[tuple[bool, str] | None] = [None] * len(self.steps)
        self.calibration: Calibration | None = None
        self.state = "ready"
        self.history = RawHistory()
        source.add_listener(self.history)
        self._window: tuple[int, int] | None = None     # (start index, n samples) of the trial
        self._countdown_end = 0.0
        self._rest_levels: np.ndarray | None = None
        self._build()
        self._poll = QTimer(self)
        self._poll.setInterval(50)
        self._poll.timeout.connect(self._tick)
        self._poll.start()
        self._show_step()

    # --- layout --------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        self.step_label = QLabel()
        self.step_label.setObjectName("muted")
        self.step_label.setFont(big_font(16, bold=False))
        self.title = QLabel()
        self.title.setFont(big_font(30))
        self.instructions = QLabel()
        self.instructions.setWordWrap(True)
        self.instructions.setFont(big_font(18, bold=False))
        self.big = QLabel()
        self.big.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.big.setFont(big_font(64))
        self.big.setMinimumHeight(110)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(18)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setFont(big_font(18))
        for w in (self.step_label, self.title, self.instructions):
            layout.addWidget(w)
        layout.addStretch(1)
        layout.addWidget(self.big)
        layout.addWidget(self.progress)
        layout.addWidget(self.result)
        buttons = QHBoxLayout()
        self.cancel_button = QPushButton("Cancel")
        self.start_button = QPushButton("Start")
        self.retry_button = QPushButton("Retry")
        self.next_button = QPushButton("Next")
        self.save_button = QPushButton("Save to profile && apply")
        for b in (self.start_button, self.retry_button, self.next_button, self.save_button):
            b.setMinimumHeight(56)
            b.setFont(big_font(20))
        self.cancel_button.setMinimumHeight(56)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        for b in (self.retry_button, self.start_button, self.next_button, self.save_button):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        self.cancel_button.clicked.connect(self.reject)
        self.start_button.clicked.connect(self.start_trial)
        self.retry_button.clicked.connect(self.start_trial)
        self.next_button.clicked.connect(self.next_step)
        self.save_button.clicked.connect(self.save)

    def _buttons(self, start=False, retry=False, next_=False, save=False) -> None:
        self.start_button.setVisible(start)
        self.retry_button.setVisible(retry)
        self.next_button.setVisible(next_)
        self.save_button.setVisible(save)

    @property
    def step(self) -> Step:
        return self.steps[self.index]

    def _show_step(self) -> None:
        s = self.step
        holds = f" — hold {s.hold} of {s.task.holds}" if s.task.holds > 1 else ""
        self.step_label.setText(f"Step {self.index + 1} of {len(self.steps)}{holds}")
        self.title.setText(s.task.name)
        self.instructions.setText(s.task.instructions)
        self.big.setText("Ready?")
        self.big.setStyleSheet(f"color: {theme.TEXT};")
        self.result.setText("")
        self.progress.setValue(0)
        self.state = "ready"
        self._buttons(start=True)
        if self.auto_advance:
            QTimer.singleShot(0, self.start_trial)

    # --- trial flow ---------------------------------------------------------------------
    def start_trial(self) -> None:
        if self.state in ("countdown", "waiting", "recording"):
            return
        info: DeviceInfo | None = self.source.info
        if info is None:
            self._fail_text("No device info yet: is the source running?")
            return
        self._buttons()
        self.result.setText("")
        self._countdown_end = time.monotonic() + float(self.timing.countdown_s)
        self.state = "countdown"
        self._tick()

    def _arm(self) -> None:
        fs = float(self.source.info.sample_rate_hz)
        now_index = max(self.history.latest_index, 0)
        try:
            start, n = self.timing.window(self.step, self.history.earliest_index, fs)
        except LookupError as exc:
            self._fail_text(str(exc))
            return
        self._window = (now_index if start is None else start, n)
        self.state = "waiting"

    def _tick(self) -> None:
        if self.state == "countdown":
            left = self._countdown_end - time.monotonic()
            if left > 0:
                self.big.setText(f"{int(np.ceil(left))}")
                self.big.setStyleSheet(f"color: {theme.ORANGE};")
            else:
                self._arm()
        if self.state == "waiting":
            start, _ = self._window
            wait_s = (start - self.history.latest_index) / float(self.source.info.sample_rate_hz)
            if wait_s > 0:
                self.big.setText(f"starts in {wait_s:.0f} s" if wait_s >= 1 else "get ready")
                self.big.setStyleSheet(f"color: {theme.ORANGE};")
            else:
                self.state = "recording"
        if self.state == "recording":
            start, n = self._window
            self.big.setText("RELAX" if self.step.kind == "rest" else "HOLD — MAXIMUM!")
            self.big.setStyleSheet(
                f"color: {theme.SKY_BLUE if self.step.kind == 'rest' else theme.BLUISH_GREEN};")
            self.progress.setValue(int(self.history.progress(start, n) * 1000))
            data = self.history.window(start, n)
            if data is not None:
                self._evaluate(data)
            elif self.source.error is not None or not self.source.running:
                self._fail_text(f"the source stopped: {self.source.error or 'no more data'}")

    def _evaluate(self, data: np.ndarray) -> None:
        info = self.source.info
        fs = float(info.sample_rate_hz)
        self.progress.setValue(1000)
        ok, reason = self.check_trial(self.step, data, info, fs)
        self.trials[self.index] = data
        self.results[self.index] = (ok, reason)
        self.state = "ok" if ok else "bad"
        if ok:
            self.big.setText("✔ GOOD")
            self.big.setStyleSheet(f"color: {theme.BLUISH_GREEN};")
            self.result.setText(reason)
            self.result.setStyleSheet(f"color: {theme.TEXT};")
            last = self.index == len(self.steps) - 1
            self._buttons(retry=not self.timing.scripted, next_=not last)
            if last:
                self._finish()
            elif self.auto_advance:
                QTimer.singleShot(0, self.next_step)
        else:
            self._fail_text(reason)

    def _fail_text(self, reason: str) -> None:
        self.state = "bad"
        self.big.setText("✖ RETRY")
        self.big.setStyleSheet(f"color: {theme.VERMILLION};")
        self.result.setText(reason)
        self.result.setStyleSheet(f"color: {theme.ORANGE};")
        self._buttons(retry=True, next_=False)

    def check_trial(self, step: Step, data: np.ndarray, info: DeviceInfo, fs: float) -> tuple[bool, str]:
        """Rest: long enough. MVC: ``trial_quality`` on each channel of the muscle being tested."""
        if data.shape[0] < int(fs):
            return False, f"recording too short ({data.shape[0] / fs:.1f} s)"
        env = Pipeline(info, self.filters).process(data).envelope
        emg = [info.channels[i] for i in info.emg_indices()]
        if step.kind == "rest":
            self._rest_levels = np.array([rest_baseline(env[:, j], fs, skip_s=1.0)
                                          for j in range(len(emg))])
            return True, "rest recorded: " + ", ".join(
                f"{ch.name} {lvl:.1f} {ch.unit}" for ch, lvl in zip(emg, self._rest_levels))
        skip = int(0.5 * fs) if env.shape[0] > 3 * fs else 0
        problems, notes = [], []
        for j, ch in enumerate(emg):
            if ch.muscle != step.task.muscle:
                continue
            rest = float(self._rest_levels[j]) if self._rest_levels is not None else None
            ok, reason = trial_quality(env[skip:, j], fs, rest_level=rest)
            (notes if ok else problems).append(f"{ch.name}: {reason}")
        if problems:
            return False, "; ".join(problems)
        return True, "; ".join(notes)

    def next_step(self) -> None:
        if self.index < len(self.steps) - 1 and self.state == "ok":
            self.index += 1
            self._show_step()

    def _finish(self) -> None:
        info = self.source.info
        rest = self.trials[0] if self.steps[0].kind == "rest" else np.zeros((0, len(info.channels)))
        glute = [(t, s) for t, s in zip(self.trials, self.steps) if s.kind == "glute_mvc" and t is not None]
        erector = [(t, s) for t, s in zip(self.trials, self.steps) if s.kind == "erector_mvc" and t is not None]
        try:
            self.calibration = calibrate(
                rest, [t for t, _ in glute], [t for t, _ in erector], info, self.filters,
                glute_task_names=[f"{s.task.name} #{s.hold}" for _, s in glute],
                erector_task_names=[f"{s.task.name} #{s.hold}" for _, s in erector])
        except Exception as exc:
            self._fail_text(f"calibration failed: {exc}")
            return
        self.state = "done"
        self.step_label.setText("Calibration complete")
        self.title.setText("MVC per channel" + (f" — {self.athlete}" if self.athlete else ""))
        c = self.calibration
        self.instructions.setText("<br>".join(
            f"<b>{name}</b>: MVC {c.mvc_rms[name]:.1f} {c.unit}, rest {c.rest_rms[name]:.1f} {c.unit}"
            f" <span style='color:{theme.MUTED}'>({c.tasks.get(name, '')})</span>"
            for name in c.mvc_rms))
        self.big.setText("✔ DONE")
        self.big.setStyleSheet(f"color: {theme.BLUISH_GREEN};")
        self.result.setText("Envelopes will be shown in %MVC once applied.")
        self._buttons(save=True)

    def save(self) -> None:
        if self.calibration is None:
            return
        if self.on_done is not None:
            try:
                self.on_done(self.calibration)
            except Exception as exc:
                self._fail_text(f"could not save the calibration: {exc}")
                return
        self.finished_calibration.emit(self.calibration)
        self.accept()

    def done(self, result: int) -> None:  # noqa: D401 - Qt override: stop listening on close
        self._poll.stop()
        self.source.remove_listener(self.history)
        super().done(result)
