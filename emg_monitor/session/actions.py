"""The lifter's recorded actions (manual set starts/stops, calibrations, exercise changes).

A session keeps them as marks in ``events.jsonl``; the replay and the offline
analysis apply them at the same samples, so both judge the reps as the
dashboard did. Automatic set boundaries are not actions: the set tracker finds
them again from the reps.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import UserError


@dataclass(frozen=True)
class Action:
    """Something the lifter did live, at its stream sample; a replay and ``analyze`` repeat it there."""

    sample_index: int
    kind: str                        # "set_start" | "set_stop" | "calibration" | "exercise"
                                     # | "hip_neutral"
    value: object = None             # the Calibration (or None: uncalibrated), the exercise,
                                     # the HipNeutral


def recorded_actions(session) -> list[Action]:
    """The manual set starts/stops, calibrations and exercise changes of a recording, in
    stream order. Automatic set boundaries are not marks: the engine finds them again."""
    from ..dsp.calibration import Calibration
    out = []
    for m in session.marks:
        kind = m.get("kind")
        if "sample_index" not in m:
            continue
        i = int(m["sample_index"])
        if kind in ("set_start", "set_stop") and m.get("manual", True):
            out.append(Action(i, kind))
        elif kind == "calibration" and m.get("mvc_rms"):
            fields = {k: v for k, v in m.items()
                      if k not in ("type", "kind", "sample_index", "t_s", "wall_time", "athlete")}
            try:
                out.append(Action(i, kind, Calibration.from_dict(fields)))
            except UserError:
                continue
        elif kind == "exercise" and m.get("exercise"):
            out.append(Action(i, kind, str(m["exercise"])))
        elif kind == "hip_neutral" and "relaxed_hip_deg" in m:
            from ..hip.neutral import HipNeutral
            try:
                out.append(Action(i, kind, HipNeutral.from_dict(m)))
            except ValueError:
                continue
    out.sort(key=lambda x: x.sample_index)
    return out
