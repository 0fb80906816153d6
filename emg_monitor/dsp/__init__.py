"""Signal processing: causal filters with carried state, envelopes, mains detection,
the per-channel pipeline, MVC calibration and signal-quality flags."""
from .calibration import (ERECTOR_TASKS, GLUTE_TASKS, REST_TASK, Calibration, CalibrationTask,
                          best_window_rms, rest_baseline, trial_quality)
from .mains import detect_mains_hz
from .mvc import calibrate
from .pipeline import (FilterSettings, Pipeline, Processed, process_offline,
                       process_zero_phase_offline)

__all__ = [
    "Calibration", "CalibrationTask", "ERECTOR_TASKS", "GLUTE_TASKS", "REST_TASK",
    "FilterSettings", "Pipeline", "Processed", "best_window_rms", "calibrate",
    "detect_mains_hz", "process_offline", "process_zero_phase_offline", "rest_baseline",
    "trial_quality",
]
