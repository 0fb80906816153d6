"""The first calibration, done by a lifter alone in front of the screen.

Steps (``default_steps``; each is a :class:`WizardStep`, so one more is one more
class in the list, as the hip-neutral step is):

1. athlete name (the calibration is saved to that profile; nothing fails at the end);
2. a placement guide per muscle (SENIAM diagram, skin preparation);
3. a live signal check per channel (contact, noise, mains) that must pass;
4. quiet standing rest (no movement, no dead channel);
5. MVC holds the lifter can do alone (standing glute squeeze; standing back extension
   against a strap, or the Biering-Sørensen hold), partner tasks as alternatives,
   with a live level bar during every hold;
6. with hip IMUs on the device: the athlete's hip neutral (``HipNeutralStep``): a relaxed
   stand, then "stand tall and squeeze your glutes as hard as you can" (hip 0); optional;
7. the result: MVC per channel (and the neutral), saved and applied.

Every step keeps its own result: "Retry this step" records only that step again.
Raw samples come from a :class:`RawHistory` listener on the acquisition thread; the
checks and ``calibrate()`` run on a worker thread, never on the GUI thread; the
live level bar copies the engine's display buffer (already computed there).
A source that can perform a task (``PerformsTasks``: the simulated athlete) is asked
to do each one when the lifter presses Start, so it is calibrated as a person would be.
Nothing starts a new recording: the running session (if any) goes on, and says so.
"""
from __future__ import annotations

import math
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (QComboBox, QDialog, QFrame, QGridLayout, QHBoxLayout, QLabel,
                             QLineEdit, QListWidget, QListWidgetItem, QProgressBar, QPushButton,
                             QScrollArea, QStackedWidget, QVBoxLayout, QWidget)

from ..dsp.calibration import ERECTOR_TASKS, GLUTE_TASKS, REST_TASK, Calibration, CalibrationTask
from ..dsp.mvc import calibrate
from ..dsp.calibration_checks import (ChannelCheck, hold_check, hold_level, rest_check,
                                      short_name, signal_check)
from ..dsp.pipeline import FilterSettings
from ..hip.neutral import HIP_SQUEEZE, RELAXED_STAND, HipNeutral, measure_neutral, missing_imus
from ..model import DeviceInfo, Muscle, SampleBlock, unit_label
from ..ringbuffer import RingBuffer
from ..sources.base import Listener, PerformsTasks
from . import theme
from .placement import PLACEMENT_TEXT, SKIN_PREP, PlacementDiagram
from .widgets import big_font

COUNTDOWN_S = 3.0
SIGNAL_CHECK_S = 2.0
REST_LEAD_S = 2.0          # from "stand relaxed" to standing still (the bottom of a lift: ~1.5 s)


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

    def window(self, start: int, n: int) -> np.ndarray | None:
        """Raw rows [start, start + n), or None while the stream has not got there."""
        if self._buf is None or self.latest_index < start + n:
            return None
        rows = self._buf.latest()
        keep = (rows[:, 0] >= start) & (rows[:, 0] < start + n)
        return rows[keep, 1:]

    def last(self, n: int) -> np.ndarray | None:
        if self._buf is None or self.latest_index < n:
            return None
        return self._buf.latest(n)[:, 1:]

    def progress(self, start: int, n: int) -> float:
        return float(np.clip((self.latest_index - start) / n, 0.0, 1.0)) if n else 1.0


@dataclass
class StepResult:
    ok: bool
    reason: str
    data: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


class WizardStep:
    """One page of the wizard. Subclasses build their page and say when they are done.

    ``result`` is kept when the lifter moves on, so retrying one step never costs the
    others. ``tick`` runs at 20 Hz on the GUI thread: copy and draw only.
    """

    title = ""
    short = ""                       # the step list's caption
    optional = False                 # Next works without it (the step list marks it "–")
    retryable = False                # "Retry this step" once it has a result

    def __init__(self, wizard: "CalibrationWizard") -> None:
        self.wizard = wizard
        self.result: StepResult | None = None
        self.page = QWidget()
        self.layout = QVBoxLayout(self.page)
        self.layout.setContentsMargins(0, 0, 0, 0)
        self.layout.setSpacing(10)
        #: below the page, never scrolled away: the step's own action (Start), which a
        #: lifter standing back must see on a 1024x600 screen without scrolling
        self.footer = QVBoxLayout()
        self.footer.setContentsMargins(0, 0, 0, 0)
        self.build()

    def build(self) -> None: ...
    def enter(self) -> None: ...
    def tick(self) -> None: ...
    def leave(self) -> None: ...

    @property
    def done(self) -> bool:
        return self.result is not None and self.result.ok

    def retry(self) -> None:
        self.result = None
        self.enter()

    # helpers
    def text(self, text: str, px: int = 17, bold: bool = False, muted: bool = False) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setFont(big_font(px, bold=bold))
        if muted:
            label.setObjectName("muted")
        self.layout.addWidget(label)
        return label


class NameStep(WizardStep):
    title = "Who is calibrating?"
    short = "Athlete"

    def build(self) -> None:
        self.text("The calibration is saved to this athlete's profile and used for every "
                  "session after this one.")
        self.name = QLineEdit(self.wizard.athlete)
        self.name.setPlaceholderText("athlete name")
        self.name.setFont(big_font(24))
        self.name.textChanged.connect(lambda _t: self.wizard.refresh())
        self.layout.addWidget(self.name)
        self.layout.addStretch(1)

    def enter(self) -> None:
        self.name.setFocus()

    @property
    def done(self) -> bool:
        return bool(self.name.text().strip())

    def leave(self) -> None:
        self.wizard.athlete = self.name.text().strip()
        self.result = StepResult(True, self.wizard.athlete)


class PlacementStep(WizardStep):
    short = "Placement"

    def __init__(self, wizard, muscle: Muscle) -> None:
        self.muscle = muscle
        self.title, _ = PLACEMENT_TEXT[muscle]
        self.short = f"Place: {'glutes' if muscle == Muscle.GLUTE else 'erectors'}"
        super().__init__(wizard)

    def build(self) -> None:
        row = QHBoxLayout()
        self.diagram = PlacementDiagram(self.muscle)
        row.addWidget(self.diagram, 1)
        words = QVBoxLayout()
        _, text = PLACEMENT_TEXT[self.muscle]
        for t, muted in ((text, False), (SKIN_PREP, True)):
            label = QLabel(t)
            label.setWordWrap(True)
            label.setFont(big_font(16, bold=False))
            if muted:
                label.setObjectName("muted")
            words.addWidget(label)
        words.addStretch(1)
        row.addLayout(words, 1)
        self.layout.addLayout(row, 1)

    def enter(self) -> None:
        self.result = StepResult(True, "read")      # done once the lifter has seen it


class SignalCheckStep(WizardStep):
    """Contact, noise and mains per channel, checked live every second; must pass."""

    title = "Signal check"
    short = "Signal check"

    def build(self) -> None:
        self.text("Stand relaxed. Every channel must pass before the recording can start.")
        self.grid = QGridLayout()
        self.layout.addLayout(self.grid)
        self.rows: dict[str, QLabel] = {}
        self.layout.addStretch(1)
        self._next_check_index = 0
        self._rest_until = 0
        self.checks: list[ChannelCheck] = []

    def enter(self) -> None:
        self._next_check_index = 0
        self._rest_until = 0

    def _ask_for_rest(self, fs: float) -> None:
        """A source that performs tasks (the simulated athlete) stands relaxed while this
        step is open, asked a few seconds at a time so it goes back to its plan after."""
        w = self.wizard
        latest = max(w.history.latest_index, 0)
        if latest + int(2 * fs) < self._rest_until:
            return
        begin = max(latest, self._rest_until)
        if self._rest_until == 0:            # judge only what follows the request, and give
            begin = latest + int(REST_LEAD_S * fs)   # the athlete a moment to stand still
            self._next_check_index = begin + int((SIGNAL_CHECK_S + 0.5) * fs)
        self._rest_until = begin + int(3 * fs)
        w.source.perform_task("rest", begin, self._rest_until - begin)

    def tick(self) -> None:
        w = self.wizard
        info = w.info
        if info is None:
            return
        fs = float(info.sample_rate_hz)
        if isinstance(w.source, PerformsTasks):
            self._ask_for_rest(fs)
        if w.busy:
            return
        n = int(SIGNAL_CHECK_S * fs)
        if w.history.latest_index < self._next_check_index:
            return
        raw = w.history.last(n)
        if raw is None:
            return
        self._next_check_index = w.history.latest_index + int(fs)       # about once a second
        w.run(signal_check, raw, info, w.filters, on_done=self._show)

    def _show(self, checks: list[ChannelCheck]) -> None:
        self.checks = checks
        for k, c in enumerate(checks):
            label = self.rows.get(c.channel)
            if label is None:
                label = QLabel()
                label.setWordWrap(True)
                label.setFont(big_font(17, bold=False))
                self.grid.addWidget(label, k, 0)
                self.rows[c.channel] = label
            colour = theme.BLUISH_GREEN if c.ok else theme.ORANGE
            label.setText(f"<span style='color:{colour}'>{'✔' if c.ok else '✖'}</span> "
                          f"{c.reason}")
        ok = bool(checks) and all(c.ok for c in checks)
        self.result = StepResult(ok, "all channels pass" if ok else "a channel fails the check")
        self.wizard.refresh()


class RecordStep(WizardStep):
    """One recording: the rest, or one MVC hold of a chosen task (with alternatives)."""

    retryable = True

    def __init__(self, wizard, tasks: tuple[CalibrationTask, ...], hold: int = 1,
                 chooser: "RecordStep | None" = None) -> None:
        self.tasks = tasks
        self.task = tasks[0]
        self.hold = hold
        self.chooser = chooser          # the first hold owns the task choice
        self.state = "ready"
        self.window: tuple[int, int] | None = None
        super().__init__(wizard)

    @property
    def muscle(self) -> Muscle | None:
        return self.task.muscle

    @property
    def kind(self) -> str:
        return {None: "rest", Muscle.GLUTE: "glute_mvc", Muscle.ERECTOR: "erector_mvc"}[self.muscle]

    @property
    def short(self) -> str:  # type: ignore[override]
        if self.muscle is None:
            return "Rest"
        return f"{'Glutes' if self.muscle == Muscle.GLUTE else 'Erectors'} hold {self.hold}"

    @property
    def title(self) -> str:  # type: ignore[override]
        holds = f" — hold {self.hold} of {self.task.holds}" if self.task.holds > 1 else ""
        return self.task.name + holds

    def build(self) -> None:
        if self.chooser is None and len(self.tasks) > 1:
            self.choice = QComboBox()
            for t in self.tasks:
                self.choice.addItem(t.name + (" — needs a partner" if t.needs_partner else ""))
            self.choice.currentIndexChanged.connect(self._chosen)
            self.layout.addWidget(self.choice)
        self.instructions = self.text(self.task.instructions)
        self.source_note = self.text(self._source_text(), px=13, muted=True)
        self.big = QLabel("Ready?")
        self.big.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.big.setFont(big_font(54))
        self.layout.addStretch(1)
        self.layout.addWidget(self.big)
        self.level = QProgressBar()
        self.level.setRange(0, 1000)
        self.level.setTextVisible(False)
        self.level.setFixedHeight(34)
        self.level_text = QLabel("")
        self.level_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.level_text.setFont(big_font(15, bold=False))
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(10)
        for w in (self.level, self.level_text, self.progress):
            self.layout.addWidget(w)
        self.outcome = self.text("", px=17, bold=True)
        self.start_button = QPushButton("Start")
        self.start_button.setMinimumHeight(52)
        self.start_button.setFont(big_font(20))
        self.start_button.clicked.connect(self.start)
        self.footer.addWidget(self.start_button)

    def _source_text(self) -> str:
        t = self.task
        bits = [b for b in (t.equipment and f"needs: {t.equipment}", t.source and f"source: {t.source}") if b]
        return " · ".join(bits)

    def _chosen(self, index: int) -> None:
        self.task = self.tasks[index]
        for step in self.wizard.steps:          # the later holds follow the choice
            if isinstance(step, RecordStep) and step.chooser is self:
                step.task = self.task
                step.result = None
                step.instructions.setText(self.task.instructions)
                step.source_note.setText(step._source_text())
        self.result = None
        self.instructions.setText(self.task.instructions)
        self.source_note.setText(self._source_text())
        self.wizard.refresh()

    def enter(self) -> None:
        if self.chooser is not None:
            self.task = self.chooser.task
        self.instructions.setText(self.task.instructions)
        if self.result is None:
            self.state = "ready"
            self.big.setText("Ready?")
            self.big.setStyleSheet(f"color: {theme.TEXT};")
            self.outcome.setText("")
            self.progress.setValue(0)
            self.level.setValue(0)
            self.level_text.setText("")
        self.level.setVisible(self.level_muscle is not None)
        self.level_text.setVisible(self.level_muscle is not None)
        self.start_button.setText("Start" if self.result is None else "Record again")
        self.start_button.setEnabled(self.state in ("ready", "bad", "ok")
                                     and self.wizard.history.latest_index >= 0)

    def rest_left_s(self) -> float:
        """Stream seconds still to rest after the previous hold of the same task."""
        prev = self.wizard.previous_hold(self)
        if prev is None or prev.window is None or self.wizard.info is None:
            return 0.0
        fs = float(self.wizard.info.sample_rate_hz)
        end = prev.window[0] + prev.window[1]
        return max(0.0, self.task.rest_between_s - (self.wizard.history.latest_index - end) / fs)

    @property
    def level_muscle(self) -> Muscle | None:
        """The muscle of the live level bar (none for a rest)."""
        return self.muscle

    def cue(self, elapsed_s: float) -> tuple[str, str]:
        """The big word and its colour ``elapsed_s`` into the recording."""
        if self.muscle is None:
            return "RELAX — stand still", theme.SKY_BLUE
        return "HOLD — MAXIMUM!", theme.BLUISH_GREEN

    def ask_source(self, begin: int, n: int) -> None:
        """A source that performs tasks (the simulated athlete) is asked to do this one."""
        self.wizard.source.perform_task(self.kind, begin, n)

    def start(self) -> None:
        w = self.wizard
        if w.info is None or self.state in ("countdown", "recording", "evaluating"):
            return
        if w.history.latest_index < 0:      # no block seen yet: "now" is not known
            return
        fs = float(w.info.sample_rate_hz)
        begin = w.history.latest_index + int(COUNTDOWN_S * fs)
        n = int(round(self.task.hold_s * fs))
        self.window = (begin, n)
        self.result = None
        self.state = "countdown"
        self.start_button.setEnabled(False)
        self.outcome.setText("")
        if isinstance(w.source, PerformsTasks):
            self.ask_source(begin, n)
        w.refresh()

    def tick(self) -> None:
        w = self.wizard
        if self.state == "ready":
            left = self.rest_left_s()
            self.start_button.setEnabled(left <= 0 and w.history.latest_index >= 0)
            self.big.setText(f"rest {left:.0f} s" if left > 0 else "Ready?")
            return
        if self.window is None or w.info is None:
            return
        fs = float(w.info.sample_rate_hz)
        start, n = self.window
        if self.state == "countdown":
            left = (start - w.history.latest_index) / fs
            if left > 0:
                self.big.setText(f"{math.ceil(left)}")
                self.big.setStyleSheet(f"color: {theme.ORANGE};")
                return
            self.state = "recording"
        if self.state == "recording":
            word, colour = self.cue((w.history.latest_index - start) / fs)
            self.big.setText(word)
            self.big.setStyleSheet(f"color: {colour};")
            self.progress.setValue(int(w.history.progress(start, n) * 1000))
            self._level()
            data = w.history.window(start, n)
            if data is not None and not w.busy:
                self.state = "evaluating"
                self.big.setText("checking…")
                w.run(self.evaluate, data, w.info, w.rest_levels(), w.filters,
                      on_done=self._evaluated, on_error=self._failed)
            elif w.source_stopped():
                self._failed(RuntimeError("the signal stopped (source disconnected or ended)"))

    def _level(self) -> None:
        rows = self.wizard.display_rows()
        muscle = self.level_muscle
        if rows is None or muscle is None:
            return
        names = self.wizard.display_names()
        level = hold_level(rows, names, muscle)
        if not math.isfinite(level):
            return
        best = self.wizard.best_level.get(muscle, 0.0)
        best = max(best, level)
        self.wizard.best_level[muscle] = best
        self.level.setValue(int(1000 * level / (1.1 * best)) if best > 0 else 0)
        unit = self.wizard.display_unit()
        self.level_text.setText(f"{level:.0f} {unit} now · best so far {best:.0f} {unit} — "
                                "push to the top and hold it")

    def evaluate(self, data: np.ndarray, info: DeviceInfo, rest_levels: dict[str, float],
                 filters: FilterSettings) -> StepResult:
        """Worker thread: the rest check or the hold check of this recording."""
        if self.muscle is None:
            r = rest_check(data, info, filters)
            return StepResult(r.ok, r.reason, data, {"levels": r.levels})
        ok, reason = hold_check(data, info, self.muscle, rest_levels, filters)
        return StepResult(ok, reason, data)

    def _evaluated(self, result: StepResult) -> None:
        self.result = result
        self.state = "ok" if result.ok else "bad"
        self.progress.setValue(1000)
        self.big.setText("✔ GOOD" if result.ok else "✖ TRY AGAIN")
        self.big.setStyleSheet(f"color: {theme.BLUISH_GREEN if result.ok else theme.VERMILLION};")
        self.outcome.setText(result.reason)
        self.outcome.setStyleSheet(f"color: {theme.TEXT if result.ok else theme.ORANGE};")
        self.start_button.setText("Record again")
        self.start_button.setEnabled(True)
        self.wizard.trials_changed()
        self.wizard.refresh()

    def _failed(self, exc: BaseException) -> None:
        self._evaluated(StepResult(False, f"could not record: {exc}"))


#: the neutral step's timeline (s from its start): the relaxed stand is judged over
#: [0, RELAXED_S); "squeeze" shows at RELAXED_S and the squeeze is judged over
#: [SQUEEZE_FROM_S, SQUEEZE_FROM_S + SQUEEZE_S), 1.5 s later, once it is reached
RELAXED_S = 4.0
SQUEEZE_FROM_S = 5.5
SQUEEZE_S = 4.0
SQUEEZE_REACTION_S = 0.5       # the simulated athlete starts squeezing this long after the cue
HIP_NEUTRAL_TASK = CalibrationTask(
    "hip_neutral", "Your hip neutral: stand tall, then squeeze your glutes", None,
    f"1. {RELAXED_STAND[2]}\n2. At SQUEEZE: {HIP_SQUEEZE[2][0].lower()}{HIP_SQUEEZE[2][1:]}",
    holds=1, hold_s=SQUEEZE_FROM_S + SQUEEZE_S, rest_between_s=0.0,
    source="the coach's test: squeeze the glutes at the top (seeds/README.md); docs/hip.md")


class HipNeutralStep(RecordStep):
    """The athlete's own hip neutral (hip/neutral.py): a relaxed stand, then the maximal
    standing glute squeeze, in one recording so the sensors cannot shift on the skin
    between the two. Optional: without it the hip angles are measured from the relaxed
    stand (a few degrees too small), as the dashboard says."""

    optional = True
    title = HIP_NEUTRAL_TASK.name
    short = "Hip neutral"           # type: ignore[assignment]
    kind = "hip_neutral"            # type: ignore[assignment]

    def __init__(self, wizard) -> None:
        self.neutral: HipNeutral | None = None
        self._elapsed_s = 0.0
        super().__init__(wizard, (HIP_NEUTRAL_TASK,))

    @property
    def level_muscle(self) -> Muscle | None:
        return Muscle.GLUTE

    def build(self) -> None:
        super().build()
        self.missing = QLabel("")
        self.missing.setWordWrap(True)
        self.missing.setFont(big_font(17))
        self.missing.setStyleSheet(f"color: {theme.ORANGE};")
        self.layout.insertWidget(self.layout.indexOf(self.source_note) + 1, self.missing)

    @property
    def problem(self) -> str:
        """Why the neutral cannot be recorded on this device ('' when it can)."""
        info = self.wizard.info
        return missing_imus(info) if info is not None else "no signal yet"

    def enter(self) -> None:
        super().enter()
        problem = self.problem
        self.missing.setVisible(bool(problem))
        if problem:
            self.missing.setText(f"{problem[0].upper()}{problem[1:]}. Press Next to skip this "
                                 "step: the hip angles are then measured from the relaxed stand.")
            self.start_button.setEnabled(False)

    def tick(self) -> None:
        if self.state == "ready" and self.problem:
            return
        super().tick()

    @property
    def done(self) -> bool:
        return self.state not in ("countdown", "recording", "evaluating")

    def retry(self) -> None:
        self.neutral = None
        super().retry()

    def cue(self, elapsed_s: float) -> tuple[str, str]:
        self._elapsed_s = elapsed_s
        if elapsed_s < RELAXED_S:
            return RELAXED_STAND[1], theme.SKY_BLUE
        return HIP_SQUEEZE[1], theme.BLUISH_GREEN

    def _level(self) -> None:
        if self._elapsed_s >= RELAXED_S:
            super()._level()

    def ask_source(self, begin: int, n: int) -> None:
        fs = float(self.wizard.info.sample_rate_hz)
        squeeze = begin + int((RELAXED_S + SQUEEZE_REACTION_S) * fs)
        self.wizard.source.perform_task(RELAXED_STAND[0], begin, n)
        self.wizard.source.perform_task(HIP_SQUEEZE[0], squeeze, begin + n - squeeze)

    def evaluate(self, data: np.ndarray, info: DeviceInfo, rest_levels: dict[str, float],
                 filters: FilterSettings) -> StepResult:
        """Worker thread: the neutral from the two still windows (one sentence if not)."""
        fs = float(info.sample_rate_hz)
        relaxed = data[:int(RELAXED_S * fs)]
        squeeze = data[int(SQUEEZE_FROM_S * fs):]
        try:
            neutral = measure_neutral(info, relaxed, squeeze)
        except ValueError as exc:
            return StepResult(False, str(exc), data)
        # the same maximal standing squeeze as the first glute MVC task: one more glute hold
        glute_ok, _ = hold_check(squeeze, info, Muscle.GLUTE, rest_levels, filters)
        return StepResult(True, f"Neutral: {neutral_text(neutral)}", data,
                          {"neutral": neutral, "glute_hold": squeeze if glute_ok else None})

    def _evaluated(self, result: StepResult) -> None:
        self.neutral = result.extra.get("neutral")
        super()._evaluated(result)


def neutral_text(n: HipNeutral) -> str:
    """What the athlete reads about a measured neutral."""
    text = f"hip 0° = your squeeze; your relaxed stand is {n.relaxed_hip_deg:.1f}° short of it."
    if math.isfinite(n.relaxed_lumbar_deg):
        text += f" The squeeze flattens your lower back by {-n.relaxed_lumbar_deg:.1f}°."
    return text


class ResultStep(WizardStep):
    title = "Calibration"
    short = "Result"

    def build(self) -> None:
        self.summary = self.text("")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.layout.addStretch(1)
        self.status = self.text("", px=17, bold=True)
        self.calibration: Calibration | None = None
        self._computing = False

    def tick(self) -> None:
        if self.calibration is None and not self._computing and self.result is None \
                and not self.wizard.busy:
            self.compute()

    def compute(self) -> None:
        w = self.wizard
        rest = w.trial("rest")
        glute, erector = w.trials(Muscle.GLUTE), w.trials(Muscle.ERECTOR)
        self._computing = True
        self.status.setText("computing…")
        w.run(calibrate, rest, [d for d, _ in glute], [d for d, _ in erector], w.info, w.filters,
              on_done=self._done, on_error=self._error,
              kwargs=dict(glute_task_names=[n for _, n in glute],
                          erector_task_names=[n for _, n in erector]))

    def _done(self, cal: Calibration) -> None:
        self._computing = False
        self.calibration = cal
        self.result = StepResult(True, "computed")
        unit = unit_label(cal.unit)
        self.summary.setText("<br>".join(
            f"<b>{short_name(name)}</b>: MVC {cal.mvc_rms[name]:.1f} {unit}, rest "
            f"{cal.rest_rms[name]:.1f} {unit} <span style='color:{theme.MUTED}'>"
            f"({cal.tasks.get(name, '')})</span>" for name in cal.mvc_rms))
        neutral_step = self.wizard.neutral_step
        if neutral_step is not None:
            n = neutral_step.neutral
            self.summary.setText(self.summary.text() + "<br><br>" + (
                f"<b>Hip neutral</b>: {neutral_text(n)}" if n is not None else
                "<b>Hip neutral</b>: not measured — the hip angles stay measured from the "
                f"relaxed stand <span style='color:{theme.MUTED}'>(go back to the Hip neutral "
                "step to record it)</span>"))
        self.status.setText(f"Save to {self.wizard.athlete}'s profile and apply: the traces and "
                            "ratios switch to %MVC"
                            + (" and the hip gap is measured from your squeeze."
                               if self.wizard.neutral is not None else "."))
        self.status.setStyleSheet(f"color: {theme.TEXT};")
        self.wizard.refresh()

    def _error(self, exc: BaseException) -> None:
        self._computing = False
        self.result = StepResult(False, str(exc))
        self.status.setText(f"calibration failed: {exc}")
        self.status.setStyleSheet(f"color: {theme.ORANGE};")
        self.wizard.refresh()

    def invalidate(self) -> None:
        self.calibration = None
        self.result = None


def _step_frame(step: WizardStep) -> QWidget:
    """A step's page that scrolls when the dialog is shorter than the page (a 1024x600
    screen) instead of squeezing its wrapped instructions into cut-off lines, with the
    step's footer (its Start button) fixed below it."""
    area = QScrollArea()
    area.setWidget(step.page)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    frame = QWidget()
    column = QVBoxLayout(frame)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(10)
    column.addWidget(area, 1)
    column.addLayout(step.footer)
    return frame


def default_steps(wizard: "CalibrationWizard") -> list[WizardStep]:
    """The protocol, in order; another step is one more :class:`WizardStep` inserted here.
    The hip neutral only on a device with IMUs configured (missing ones are said there)."""
    steps: list[WizardStep] = [NameStep(wizard), PlacementStep(wizard, Muscle.GLUTE),
                               PlacementStep(wizard, Muscle.ERECTOR), SignalCheckStep(wizard),
                               RecordStep(wizard, (REST_TASK,))]
    for tasks in (GLUTE_TASKS, ERECTOR_TASKS):
        first = RecordStep(wizard, tasks, 1)
        steps.append(first)
        steps += [RecordStep(wizard, tasks, h, chooser=first) for h in range(2, tasks[0].holds + 1)]
    if wizard.info is not None and (wizard.info.imu_segments or wizard.info.imu_missing):
        steps.append(HipNeutralStep(wizard))
    steps.append(ResultStep(wizard))
    return steps


class CalibrationWizard(QDialog):
    """``CalibrationWizard(source, filters, on_done=callback(athlete, Calibration),
    on_neutral=callback(athlete, HipNeutral))`` (the neutral only when it was measured).

    ``reader``: where the raw blocks are listened to (the session's fan-out; default the
    source); ``display``: the engine's display buffer for the live level bar;
    ``recording``: the folder being recorded, said on screen (no silent recording).
    """

    finished_calibration = pyqtSignal(object)   # Calibration

    def __init__(self, source, filters: FilterSettings | None = None, *,
                 on_done: Callable[[str, Calibration], object] | None = None,
                 on_neutral: Callable[[str, HipNeutral], object] | None = None,
                 athlete: str = "", reader=None, display=None, recording: str = "",
                 steps: Callable[["CalibrationWizard"], list[WizardStep]] | None = None,
                 parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Calibration — maximal voluntary contractions")
        self.setStyleSheet(theme.STYLE_SHEET)
        self.setFont(big_font(theme.BASE_FONT_PX, bold=False))
        self.setMinimumSize(760, 520)
        self.source = source
        self.reader = reader if reader is not None else source
        self.display = display
        self.filters = filters or FilterSettings()
        self.on_done = on_done
        self.on_neutral = on_neutral
        self.athlete = athlete.strip()
        self.recording = recording
        self.best_level: dict[Muscle, float] = {}
        self.history = RawHistory()
        self.reader.add_listener(self.history)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="calibration")
        self._job: tuple[Future, Callable | None, Callable | None] | None = None
        self._build()
        self.steps = (steps or default_steps)(self)
        for step in self.steps:
            self.pages.addWidget(_step_frame(step))
            self.step_list.addItem(QListWidgetItem(step.short))
        self.index = 0
        self._poll = QTimer(self)
        self._poll.setInterval(50)
        self._poll.timeout.connect(self._tick)
        self._poll.start()
        self.go(0)

    # --- layout --------------------------------------------------------------------
    def _build(self) -> None:
        outer = QHBoxLayout(self)
        outer.setContentsMargins(16, 14, 16, 14)
        outer.setSpacing(14)
        self.step_list = QListWidget()
        self.step_list.setFixedWidth(190)
        self.step_list.setFont(big_font(14, bold=False))
        self.step_list.itemClicked.connect(lambda item: self.go(self.step_list.row(item)))
        outer.addWidget(self.step_list)
        right = QVBoxLayout()
        self.step_label = QLabel()
        self.step_label.setObjectName("muted")
        self.step_label.setFont(big_font(14, bold=False))
        self.title = QLabel()
        self.title.setFont(big_font(26))
        self.title.setWordWrap(True)
        self.pages = QStackedWidget()
        self.recording_note = QLabel()
        self.recording_note.setObjectName("muted")
        self.recording_note.setFont(big_font(13, bold=False))
        self.recording_note.setWordWrap(True)
        right.addWidget(self.step_label)
        right.addWidget(self.title)
        right.addWidget(self.pages, 1)
        right.addWidget(self.recording_note)
        buttons = QHBoxLayout()
        self.cancel_button = QPushButton("Cancel")
        self.back_button = QPushButton("◀ Back")
        self.retry_button = QPushButton("Retry this step")
        self.next_button = QPushButton("Next ▶")
        self.save_button = QPushButton("Save to profile && apply")
        for b in (self.cancel_button, self.back_button, self.retry_button, self.next_button,
                  self.save_button):
            b.setMinimumHeight(50)
            b.setFont(big_font(17))
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        for b in (self.back_button, self.retry_button, self.next_button, self.save_button):
            buttons.addWidget(b)
        right.addLayout(buttons)
        outer.addLayout(right, 1)
        self.cancel_button.clicked.connect(self.reject)
        self.back_button.clicked.connect(lambda: self.go(self.index - 1))
        self.next_button.clicked.connect(self.next_step)
        self.retry_button.clicked.connect(self.retry_step)
        self.save_button.clicked.connect(self.save)
        self.recording_note.setText(
            f"The session being recorded ({self.recording}) goes on and keeps these holds; "
            "nothing new is started." if self.recording else
            "Nothing is being recorded: the calibration is saved to the profile only.")

    # --- navigation ------------------------------------------------------------------
    @property
    def step(self) -> WizardStep:
        return self.steps[self.index]

    def go(self, index: int) -> None:
        if not 0 <= index < len(self.steps):
            return
        # no skipping ahead past a step that is not done
        first_open = next((k for k, s in enumerate(self.steps) if not s.done), len(self.steps))
        if index > first_open:
            index = first_open
        if index != self.index:
            self.step.leave()
        self.index = index
        self.pages.setCurrentIndex(self.index)
        self.step.enter()
        self.refresh()

    def next_step(self) -> None:
        if self.step.done:
            self.step.leave()
            self.go(self.index + 1)

    def retry_step(self) -> None:
        self.step.retry()
        self.trials_changed()
        self.refresh()

    def refresh(self) -> None:
        s = self.step
        self.step_label.setText(f"Step {self.index + 1} of {len(self.steps)}")
        self.title.setText(s.title)
        last = self.index == len(self.steps) - 1
        self.back_button.setEnabled(self.index > 0)
        self.next_button.setVisible(not last)
        self.next_button.setEnabled(s.done)
        self.save_button.setVisible(last)
        self.save_button.setEnabled(last and s.done and bool(self.athlete))
        self.retry_button.setVisible(s.retryable and s.result is not None)
        for k, step in enumerate(self.steps):
            item = self.step_list.item(k)
            if step.optional:
                mark = ("– " if step.result is None else "✔ " if step.result.ok else "✖ ")
            else:
                mark = "✔ " if step.done else ("✖ " if step.result is not None else "   ")
            item.setText(f"{mark}{k + 1}. {step.short}")
            item.setForeground(Qt.GlobalColor.white if k == self.index else
                               Qt.GlobalColor.gray)
        self.step_list.setCurrentRow(self.index)

    # --- data for the steps --------------------------------------------------------------
    @property
    def info(self) -> DeviceInfo | None:
        return self.source.info

    def source_stopped(self) -> bool:
        return self.reader.error is not None or not self.reader.running

    def display_rows(self) -> np.ndarray | None:
        buf = getattr(self.display, "envelope", None) if self.display is not None else None
        return buf.latest(int(0.5 * self.display.display_rate_hz) + 1) if buf is not None else None

    def display_names(self) -> tuple[str, ...]:
        return self.display.emg_names if self.display is not None else ()

    def display_unit(self) -> str:
        unit = self.display.envelope_unit if self.display is not None else ""
        return unit_label(unit)

    def previous_hold(self, step: RecordStep) -> RecordStep | None:
        k = self.steps.index(step)
        for prev in reversed(self.steps[:k]):
            if isinstance(prev, RecordStep) and prev.muscle == step.muscle and prev.done:
                return prev
        return None

    def trial(self, kind: str) -> np.ndarray:
        for s in self.steps:
            if isinstance(s, RecordStep) and s.kind == kind and s.done:
                return s.result.data
        raise ValueError(f"no {kind} recorded")

    def trials(self, muscle: Muscle) -> list[tuple[np.ndarray, str]]:
        """The MVC holds of ``muscle``; for the glutes also the neutral step's squeeze (the
        standing maximal glute squeeze again) when it passed as a hold."""
        out = [(s.result.data, f"{s.task.name} #{s.hold}") for s in self.steps
               if isinstance(s, RecordStep) and s.muscle == muscle and s.done]
        step = self.neutral_step
        if muscle == Muscle.GLUTE and step is not None and step.result is not None \
                and step.result.ok and step.result.extra.get("glute_hold") is not None:
            out.append((step.result.extra["glute_hold"], "hip neutral squeeze"))
        return out

    def rest_levels(self) -> dict[str, float]:
        for s in self.steps:
            if isinstance(s, RecordStep) and s.kind == "rest" and s.done:
                return dict(s.result.extra.get("levels", {}))
        return {}

    def trials_changed(self) -> None:
        for s in self.steps:
            if isinstance(s, ResultStep):
                s.invalidate()

    @property
    def neutral_step(self) -> HipNeutralStep | None:
        return next((s for s in self.steps if isinstance(s, HipNeutralStep)), None)

    @property
    def neutral(self) -> HipNeutral | None:
        """The hip neutral measured in this wizard, if any."""
        step = self.neutral_step
        return step.neutral if step is not None else None

    @property
    def calibration(self) -> Calibration | None:
        last = self.steps[-1]
        return last.calibration if isinstance(last, ResultStep) else None

    # --- the worker ----------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._job is not None

    def run(self, fn: Callable, *args: Any, on_done: Callable | None = None,
            on_error: Callable | None = None, kwargs: dict | None = None) -> None:
        """``fn(*args)`` on the wizard's worker thread; ``on_done(result)`` (or
        ``on_error(exc)``) on the GUI thread, from the poll timer."""
        if self._job is not None:
            raise RuntimeError("the calibration worker is busy")
        self._job = (self._pool.submit(fn, *args, **(kwargs or {})), on_done, on_error)

    def _collect(self) -> None:
        future, on_done, on_error = self._job
        if not future.done():
            return
        self._job = None
        exc = future.exception()
        if exc is not None:
            if on_error is not None:
                on_error(exc)
        elif on_done is not None:
            on_done(future.result())

    def _tick(self) -> None:
        if self._job is not None:
            self._collect()
        self.step.tick()

    # --- the end ------------------------------------------------------------------------
    def save(self) -> None:
        cal = self.calibration
        if cal is None or not self.athlete:
            return
        if self.on_done is not None:
            try:
                self.on_done(self.athlete, cal)
                if self.neutral is not None and self.on_neutral is not None:
                    self.on_neutral(self.athlete, self.neutral)
            except Exception as exc:
                last = self.steps[-1]
                last.status.setText(f"could not save the calibration: {exc}")
                last.status.setStyleSheet(f"color: {theme.ORANGE};")
                return
        self.finished_calibration.emit(cal)
        self.accept()

    def done(self, result: int) -> None:  # noqa: D401 - Qt override: stop listening on close
        self._poll.stop()
        self.reader.remove_listener(self.history)
        self._pool.shutdown(wait=False, cancel_futures=True)
        super().done(result)
