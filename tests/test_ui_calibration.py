"""The calibration wizard flows through on the simulated athlete's calibration script."""
import numpy as np
import pytest

from emg_monitor.sim.athlete import AthleteConfig, Contamination
from emg_monitor.sources.notifier import Notifier
from emg_monitor.sources.simulated import SimulatedSource
from emg_monitor.ui.calibration_wizard import (CalibrationWizard, LiveTiming, RawHistory, Step,
                                               full_protocol)
from emg_monitor.dsp.calibration import REST_TASK, GLUTE_TASKS


@pytest.fixture
def fast_calibration_source():
    # finite and as fast as possible: the wizard cuts trials out of its raw history by index
    src = SimulatedSource(AthleteConfig(calibration=True, sets=1, reps_per_set=1, seed=3),
                          realtime=False, duration_s=60.0)
    rd = Notifier(src)
    yield rd
    rd.stop()


def test_wizard_records_every_step_and_hands_over_calibration(qtbot, fast_calibration_source):
    rd = fast_calibration_source
    saved = []
    rd.source.open()
    wizard = CalibrationWizard(rd, on_done=saved.append, athlete="test")
    qtbot.addWidget(wizard)
    wizard.show()
    rd.start()
    qtbot.waitUntil(lambda: wizard.state in ("done", "bad"), timeout=20000)
    assert wizard.state == "done", wizard.result.text()
    assert [s.kind for s in wizard.steps] == ["rest"] + ["glute_mvc"] * 3 + ["erector_mvc"] * 3
    assert all(ok for ok, _ in wizard.results)
    cal = wizard.calibration
    # the athlete's true MVC RMS is 400 uV (glute) and 350 uV (erector)
    assert 300 < cal.mvc_rms["left_glute"] < 520
    assert 250 < cal.mvc_rms["left_erector"] < 460
    assert cal.rest_rms["left_glute"] < 0.1 * cal.mvc_rms["left_glute"]
    assert wizard.save_button.isVisible()
    wizard.save_button.click()
    assert saved == [cal]


def test_wizard_rejects_a_bad_trial_with_a_reason_and_offers_retry(qtbot):
    # left glute electrode off: the glute hold cannot be told from rest
    cfg = AthleteConfig(calibration=True, sets=1, reps_per_set=1, seed=4,
                        contamination=Contamination(electrode_off=("left_glute",)))
    src = SimulatedSource(cfg, realtime=False, duration_s=30.0)
    rd = Notifier(src)
    try:
        src.open()
        wizard = CalibrationWizard(rd)
        qtbot.addWidget(wizard)
        wizard.show()
        rd.start()
        qtbot.waitUntil(lambda: wizard.state == "bad" or wizard.index > 1, timeout=20000)
        assert wizard.state == "bad"
        assert wizard.index == 1
        assert "left_glute" in wizard.result.text()
        assert wizard.retry_button.isVisible() and not wizard.next_button.isVisible()
    finally:
        rd.stop()


def test_raw_history_cuts_windows_by_stream_index():
    from emg_monitor.model import Channel, DeviceInfo, Kind, SampleBlock
    info = DeviceInfo(100.0, (Channel("a", Kind.RAW_EMG, "uV"),))
    h = RawHistory(seconds=5.0)
    h.on_info(info)
    for k in range(10):
        h.on_block(SampleBlock(k * 10, np.arange(k * 10, k * 10 + 10, dtype=float)[:, None]))
    assert h.window(95, 10) is None            # not there yet
    w = h.window(35, 20)
    assert w[:, 0].tolist() == list(range(35, 55))
    assert h.progress(90, 20) == pytest.approx(0.5)


def test_live_timing_uses_the_task_hold_and_a_countdown():
    t = LiveTiming(countdown_s=3.0)
    assert t.window(Step(REST_TASK, 1), 0, 1000.0) == (None, 10000)
    assert t.window(Step(GLUTE_TASKS[0], 1), 0, 1000.0) == (None, 5000)
    steps = full_protocol()
    assert steps[0].kind == "rest" and {s.kind for s in steps} == {"rest", "glute_mvc", "erector_mvc"}
