"""Repetitions, their top (lockout) and the glute:erector ratio there, streaming.

Why the top: the hip has only ~10-15 deg of extension beyond neutral. A lifter whose
glutes do not finish the lift stops the hips just short of it and completes the motion
by extending the lumbar spine, so the erectors, not the glutes, carry the lockout. The
ratio of %MVC amplitudes averaged over a short window centred on the top shows which
muscle finished the rep.

One job per module (docs/reps-and-ratio.md has the method and its measured accuracy):

* ``params``: every constant, in one frozen :class:`RepParams`;
* ``motion_tops``: tops from the angle (a full cycle, the top at its extreme);
* ``emg_tops``: tops from the EMG alone;
* ``scoring``: window amplitudes, ratio, verdict (only from channels fit to judge),
  relative ratio, symmetry, onset;
* ``detector``: :class:`RepDetector`, the streaming glue -> RepResult and TopCue.
"""
from .detector import RepDetector
from .params import DECISION_RATE_HZ, RepParams
from .scoring import RepScorer, assign_roles, faults_from_issues, verdict_for

__all__ = ["DECISION_RATE_HZ", "RepDetector", "RepParams", "RepScorer", "assign_roles",
           "faults_from_issues", "verdict_for"]
