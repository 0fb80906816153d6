"""Replaying a recorded session in the live screens: its settings and its sets.

Pure (no Qt). A recorded session carries the calibration, filters, exercise and
target it was judged with, and the sample indices at which each set started and
stopped; replaying with the same settings and set marks gives the recorded reps
and verdicts again (tests/test_session_record.py proves it for the engine).
"""
from __future__ import annotations

from ..model import EventKind, SampleBlock, SourceEvent
from ..sources.base import Listener


def replay_settings(session, engine_settings_cls, filter_settings_cls):
    """Engine settings as recorded in ``session`` (a ``session.reader.Session``)."""
    from ..dsp.calibration import Calibration
    meta = session.meta
    cal = session.calibration
    filters = (filter_settings_cls.from_dict(meta.filter_settings) if meta.filter_settings
               else filter_settings_cls())
    kwargs = dict(filters=filters, calibration=Calibration.from_dict(cal) if cal else None,
                  target_ratio=meta.target_ratio)
    if meta.exercise:
        kwargs["exercise"] = meta.exercise
    return engine_settings_cls(**kwargs)


def set_marks(session) -> list[tuple[int, bool]]:
    """(sample index, set active) of every recorded set start/stop, in stream order."""
    out = []
    for m in session.marks:
        if m.get("kind") in ("set_start", "set_stop") and "sample_index" in m:
            out.append((int(m["sample_index"]), m["kind"] == "set_start"))
    out.sort(key=lambda x: x[0])
    return out


class ReplayDriver(Listener):
    """Starts and stops sets where the recording did; resets the engine after a seek.

    Added to the source *before* the engine, so a mark inside a block is queued
    before the engine processes that block (sets start within one block, 20 ms,
    as they did live). Runs on the acquisition thread.
    """

    def __init__(self, engine, marks: list[tuple[int, bool]], display=None) -> None:
        self.engine = engine
        self.display = display
        self.marks = list(marks)
        self._next = 0
        self.active = False

    def on_block(self, block: SampleBlock) -> None:
        end = block.first_index + block.n
        while self._next < len(self.marks) and self.marks[self._next][0] < end:
            self._apply(self.marks[self._next][1])
            self._next += 1

    def on_event(self, event: SourceEvent) -> None:
        if event.kind == EventKind.INFO and event.detail.startswith("seek"):
            self._seeked(event.sample_index)

    def _apply(self, active: bool) -> None:
        if active == self.active:
            return
        self.active = active
        (self.engine.start_set if active else self.engine.stop_set)()

    def _seeked(self, index: int) -> None:
        # filters, motion and rep state belong to the old position: rebuild them (the
        # engine's public way is a reconfigure), and show a fresh trace window
        self.engine.set_calibration(self.engine.settings.calibration)
        if self.display is not None:
            self.display.envelope = None
        before = [active for i, active in self.marks if i <= index]
        inside = bool(before) and before[-1]
        self._next = sum(1 for i, _ in self.marks if i <= index)
        if self.active:
            self._apply(False)
        if inside:
            self._apply(True)
