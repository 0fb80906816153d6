"""The first calibration as a lifter alone does it: name, placement, signal check, rest,
self-administered MVC holds with a live level bar, per-step retry, clear failures.

The simulated athlete performs each task when the wizard asks (``PerformsTasks``), so
these tests press the same buttons a user would."""
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtWidgets import QLabel

from emg_monitor.dsp.calibration import ERECTOR_TASKS, GLUTE_TASKS
from emg_monitor.dsp.calibration_checks import hold_check, rest_check, signal_check
from emg_monitor.model import Channel, DeviceInfo, Kind, Muscle, Side
from emg_monitor.sim.athlete import Athlete, AthleteConfig, Contamination
from emg_monitor.sources.base import PerformsTasks
from emg_monitor.sources.simulated import SimulatedSource
from emg_monitor.ui.app import DashboardOptions, build_window
from emg_monitor.ui.calibration_wizard import (NameStep, PlacementStep, RawHistory, RecordStep,
                                               ResultStep, SignalCheckStep)

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("propagateSizeHints", "QFont::setPointSize")]

SPEED = 20.0


@pytest.fixture
def opts(tmp_path):
    return DashboardOptions(simulate=True, athlete="", sessions_root=str(tmp_path / "sessions"),
                            home=str(tmp_path / "home"), speed=SPEED)


def open_wizard(qtbot, opts, **contamination):
    cfg = AthleteConfig(seed=5, sets=200, contamination=Contamination(**contamination))
    w = build_window(opts, SimulatedSource(cfg, realtime=True, speed=SPEED))
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    qtbot.waitUntil(lambda: bool(w.traces.names), timeout=15000)
    root = Path(opts.sessions_root)
    folders = sorted(root.iterdir())
    w.calibrate_button.click()
    return w, w.wizard, folders, root


def next_until(qtbot, wizard, kind):
    while not isinstance(wizard.step, kind):
        qtbot.waitUntil(lambda: wizard.next_button.isEnabled(), timeout=30000)
        wizard.next_button.click()


def record(qtbot, wizard):
    step = wizard.step
    qtbot.waitUntil(lambda: step.start_button.isEnabled(), timeout=30000)   # rest between holds
    step.start_button.click()
    qtbot.waitUntil(lambda: step.state in ("ok", "bad"), timeout=60000)
    return step


def test_a_lifter_alone_calibrates_the_simulated_athlete_end_to_end(qtbot, opts):
    w, wizard, folders_before, root = open_wizard(qtbot, opts)
    try:
        assert isinstance(w.session.source, PerformsTasks)
        # 1. the name comes first: nothing can go on without it
        assert isinstance(wizard.step, NameStep) and not wizard.next_button.isEnabled()
        wizard.step.name.setText("Ana")
        assert wizard.next_button.isEnabled()
        wizard.next_button.click()
        # 2. a placement guide per muscle, with the SENIAM diagram
        assert isinstance(wizard.step, PlacementStep) and wizard.step.muscle == Muscle.GLUTE
        words = " ".join(label.text() for label in wizard.step.page.findChildren(QLabel))
        assert "trochanter" in words and "alcohol" in words        # site and skin preparation
        wizard.next_button.click()
        assert wizard.step.muscle == Muscle.ERECTOR
        wizard.next_button.click()
        # 3. the signal check must pass before anything is recorded
        check = wizard.step
        assert isinstance(check, SignalCheckStep) and not wizard.next_button.isEnabled()
        qtbot.waitUntil(lambda: wizard.next_button.isEnabled(), timeout=30000)
        assert len(check.checks) == 4 and all(c.ok for c in check.checks)
        wizard.next_button.click()
        # 4. rest, then self-administered holds (no partner), a live level bar during each
        rest = record(qtbot, wizard)
        assert rest.state == "ok", rest.outcome.text()
        holds = []
        levels = []
        for _ in range(len([s for s in wizard.steps if isinstance(s, RecordStep)]) - 1):
            wizard.next_button.click()
            step = wizard.step
            assert not step.task.needs_partner
            qtbot.waitUntil(lambda step=step: step.start_button.isEnabled(), timeout=60000)
            step.start_button.click()
            qtbot.waitUntil(lambda step=step: step.state == "recording", timeout=30000)
            qtbot.waitUntil(lambda step=step: step.level.value() > 0, timeout=30000)
            levels.append(step.level.value())
            qtbot.waitUntil(lambda step=step: step.state in ("ok", "bad"), timeout=60000)
            assert step.state == "ok", step.outcome.text()
            holds.append(step)
        assert {s.task.key for s in holds} == {GLUTE_TASKS[0].key, ERECTOR_TASKS[0].key}
        wizard.next_button.click()
        result = wizard.step
        assert isinstance(result, ResultStep)
        qtbot.waitUntil(lambda: wizard.save_button.isEnabled(), timeout=30000)
        cal = wizard.calibration
        assert set(cal.mvc_rms) == {"left_glute", "left_erector", "right_glute", "right_erector"}
        # the simulated MVC is 400 µV (glutes) / 350 µV (erectors) RMS at the electrode
        assert cal.mvc_rms["left_glute"] == pytest.approx(400, rel=0.3)
        assert cal.mvc_rms["left_erector"] == pytest.approx(350, rel=0.3)
        wizard.save_button.click()
        from emg_monitor.profiles import load_profile
        assert load_profile("Ana", opts.home).latest_calibration() == cal
        qtbot.waitUntil(lambda: w.calibrated, timeout=15000)
        # 8. no silent new recording: the same session folder, and the wizard said so
        assert sorted(root.iterdir()) == folders_before
        assert "goes on" in wizard.recording_note.text()
    finally:
        w.close()


def test_retry_one_step_keeps_every_other_step(qtbot, opts):
    w, wizard, _, _ = open_wizard(qtbot, opts)
    try:
        wizard.step.name.setText("Bo")
        next_until(qtbot, wizard, RecordStep)
        record(qtbot, wizard)                                 # rest
        for _ in range(2):                                     # glute holds 1 and 2
            wizard.next_button.click()
            assert record(qtbot, wizard).state == "ok"
        kept = {id(s): s.result for s in wizard.steps if isinstance(s, RecordStep) and s.result}
        target = wizard.steps.index(wizard.step) - 1           # glute hold 1
        wizard.go(target)
        first = wizard.step
        old = first.result
        assert wizard.retry_button.isVisible()
        wizard.retry_button.click()
        assert first.result is None
        step = record(qtbot, wizard)
        assert step is first and step.state == "ok" and step.result is not old
        for s in wizard.steps:
            if isinstance(s, RecordStep) and id(s) in kept and s is not first:
                assert s.result is kept[id(s)]                 # untouched, same recording
    finally:
        w.close()


def test_a_dead_channel_stops_the_signal_check_with_a_clear_message(qtbot, opts):
    w, wizard, _, _ = open_wizard(qtbot, opts, electrode_off=("right_glute",),
                                  electrode_off_mode="flat")
    try:
        wizard.step.name.setText("Cy")
        next_until(qtbot, wizard, SignalCheckStep)
        check = wizard.step
        qtbot.waitUntil(lambda: bool(check.checks), timeout=30000)
        bad = [c for c in check.checks if not c.ok]
        assert [c.channel for c in bad] == ["right_glute"]
        assert "R glute: no contact" in bad[0].reason and "electrode" in bad[0].reason
        qtbot.wait(300)
        assert not wizard.next_button.isEnabled()              # cannot start with it
    finally:
        w.close()


# --- the checks themselves -----------------------------------------------------------------
INFO = DeviceInfo(1000.0, tuple(
    [Channel(f"{s.value}_{m.value}", Kind.RAW_EMG, "uV", m, s)
     for s in (Side.LEFT, Side.RIGHT) for m in (Muscle.GLUTE, Muscle.ERECTOR)]
    + [Channel("trunk", Kind.MOTION, "deg")]))


def rest_data(seconds=6.0, noise=5.0, tilt=None, seed=0):
    rng = np.random.default_rng(seed)
    n = int(seconds * 1000)
    emg = rng.standard_normal((n, 4)) * noise
    angle = np.zeros((n, 1)) if tilt is None else tilt(np.arange(n) / 1000.0)[:, None]
    return np.hstack([emg, angle])


def test_rest_check_says_movement_and_dead_channels_plainly():
    ok = rest_check(rest_data(), INFO)
    assert ok.ok and set(ok.levels) == {"left_glute", "left_erector", "right_glute", "right_erector"}
    moved = rest_check(rest_data(tilt=lambda t: 30 * np.sin(t)), INFO)
    assert not moved.ok and "moved" in moved.reason
    dead = rest_data()
    dead[:, 2] = 0.0
    r = rest_check(dead, INFO)
    assert not r.ok and "R glute: no signal" in r.reason
    burst = rest_data()
    burst[3000:3600, 1] *= 40                                    # the lifter tensed up
    r = rest_check(burst, INFO)
    assert not r.ok and "L erector was active during the rest" in r.reason


def test_a_dead_channel_in_a_hold_is_called_dead_not_too_short():
    data = rest_data(seconds=5.0, noise=200.0)
    data[:, 0] = 0.0
    ok, reason = hold_check(data, INFO, Muscle.GLUTE, {"left_glute": 5.0, "right_glute": 5.0})
    assert not ok and "L glute: no signal" in reason and "too short" not in reason


def test_signal_check_flags_mains_and_noise_and_passes_a_good_contact():
    t = np.arange(3000) / 1000.0
    data = rest_data(seconds=3.0)
    data[:, 1] += 200 * np.sin(2 * np.pi * 50 * t)
    data[:, 3] = np.random.default_rng(1).standard_normal(3000) * 80
    checks = {c.channel: c for c in signal_check(data, INFO)}
    assert checks["left_glute"].ok and checks["right_glute"].ok
    assert not checks["left_erector"].ok and "mains" in checks["left_erector"].reason
    assert not checks["right_erector"].ok and "noisy" in checks["right_erector"].reason


def test_the_simulated_athlete_performs_a_task_when_asked():
    a = Athlete(AthleteConfig(seed=1, sets=3))
    t = np.linspace(20.0, 26.0, 601)
    before = a.activation(t)
    a.perform("glute_mvc", 21.0, 4.0)
    act = a.activation(t)
    plateau = (t >= 21.0) & (t <= 25.0)
    assert np.allclose(act[plateau][:, [0, 2]], 1.0)             # both glutes at MVC
    assert np.allclose(act[plateau][:, [1, 3]], 0.25)            # erectors co-contracting
    assert np.allclose(act[t < 20.7], before[t < 20.7])          # before the ramp: the plan
    assert np.allclose(a.inclination_deg(t[plateau]), 0.0)       # standing upright
    with pytest.raises(ValueError):
        a.perform("sprint", 1.0, 2.0)


def test_raw_history_cuts_windows_by_stream_index():
    from emg_monitor.model import SampleBlock
    info = DeviceInfo(100.0, (Channel("a", Kind.RAW_EMG, "uV"),))
    h = RawHistory(seconds=5.0)
    h.on_info(info)
    for k in range(10):
        h.on_block(SampleBlock(k * 10, np.arange(k * 10, k * 10 + 10, dtype=float)[:, None]))
    assert h.window(95, 10) is None            # not there yet
    w = h.window(35, 20)
    assert w[:, 0].tolist() == list(range(35, 55))
    assert h.progress(90, 20) == pytest.approx(0.5)
