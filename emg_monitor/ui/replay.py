"""Replaying a recorded session in the live screens: its settings and its sets.

Pure (no Qt). A recorded session carries the calibration, filters, exercise and
target it was judged with, and the sample indices at which each set started and
stopped; replaying with the same settings and set marks gives the recorded reps
and verdicts again (tests/test_session_record.py proves it for the engine).
"""
from __future__ import annotations

from ..model import EventKind, SampleBlock, SourceEvent
from ..session.actions import Action
from ..sources.base import Listener


def replay_settings(session, engine_settings_cls, filter_settings_cls):
    """Engine settings as recorded in ``session`` (a ``session.reader.Session``): the
    calibration it started with (later ones are applied where they were made, by
    :class:`ReplayDriver`) and its set records (the replay shows their numbers)."""
    from ..dsp.calibration import Calibration
    meta = session.meta
    cal = meta.calibration
    filters = (filter_settings_cls.from_dict(meta.filter_settings) if meta.filter_settings
               else filter_settings_cls())
    kwargs = dict(filters=filters, calibration=Calibration.from_dict(cal) if cal else None,
                  target_ratio=meta.target_ratio, known_sets=tuple(session.sets))
    if meta.exercise:
        kwargs["exercise"] = meta.exercise
    return engine_settings_cls(**kwargs)


class ReplayDriver(Listener):
    """Repeats what the lifter did where the recording did; resets the engine on a seek.

    Added to the source *before* the engine, so a mark inside a block is queued
    before the engine processes that block (at the mark's own sample). Marks are
    applied once, on ground not played yet: a seek back replays the stretch with
    the numbers it already has (the engine's set records), never starting or
    stopping a set again. Runs on the acquisition thread.
    """

    def __init__(self, engine, marks: list[Action], display=None) -> None:
        self.engine = engine
        self.display = display
        self.marks = list(marks)
        # what was in force before the first mark: the settings the replay started with
        self._initial = {"calibration": engine.settings.calibration,
                         "exercise": engine.settings.exercise,
                         "hip_neutral": engine.settings.hip_neutral}
        self._next = 0
        self._frontier = -1            # furthest sample index played

    def on_block(self, block: SampleBlock) -> None:
        end = block.first_index + block.n
        while self._next < len(self.marks) and self.marks[self._next].sample_index < end:
            self._apply(self.marks[self._next], block.first_index)
            self._next += 1
        self._frontier = max(self._frontier, end - 1)

    def on_event(self, event: SourceEvent) -> None:
        if event.kind == EventKind.INFO and event.detail.startswith("seek"):
            self._seeked(event.sample_index)

    def _apply(self, mark: Action, block_start: int) -> None:
        at = max(mark.sample_index, block_start)
        if mark.kind == "calibration":
            self.engine.set_calibration(mark.value)
        elif mark.kind == "exercise":
            self.engine.set_exercise(mark.value)
        elif mark.kind == "hip_neutral":
            self.engine.set_hip_neutral(mark.value)
        elif mark.sample_index > self._frontier:     # set marks only on new ground
            (self.engine.start_set if mark.kind == "set_start" else self.engine.stop_set)(at)

    def _seeked(self, index: int) -> None:
        self.engine.reset(index)
        if self.display is not None:
            self.display.envelope = None             # a fresh trace window
        # the calibration and exercise in force at the new position
        for kind in ("calibration", "exercise", "hip_neutral"):
            before = [m for m in self.marks if m.kind == kind and m.sample_index <= index]
            self._apply(before[-1] if before else Action(index, kind, self._initial[kind]),
                        index)
        self._next = sum(1 for m in self.marks if m.sample_index <= index)
