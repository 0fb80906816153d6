"""The hip gap on the dashboard, as the lifter reads it: beside the ratio, the same number as
the rep's, coloured by the rule, hidden without hip IMUs."""
import math

import pytest
from PyQt6.QtWidgets import QLabel

from emg_monitor.dsp.calibration import Calibration
from emg_monitor.hip.neutral import HipNeutral
from emg_monitor.model import DeviceConfig
from emg_monitor.profiles import AthleteProfile, save_profile
from emg_monitor.sim.athlete import AthleteConfig
from emg_monitor.sim.segments import RELAXED_HIP_DEG
from emg_monitor.sources.simulated import SimulatedSource
from emg_monitor.ui import theme
from emg_monitor.ui.app import DashboardOptions, make_session
from emg_monitor.ui.main_window import DashboardWindow

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("propagateSizeHints", "QFont::setPointSize")]


def _window(qtbot, tmp_path, imus, size=(1560, 960)):
    opts = DashboardOptions(sessions_root=str(tmp_path / "s"), home=str(tmp_path / "h"),
                            athlete="Ana")
    cfg = AthleteConfig()
    mvc = {n: cfg.glute_mvc_uv if "glute" in n else cfg.erector_mvc_uv
           for n in ("left_glute", "left_erector", "right_glute", "right_erector")}
    cal = Calibration("2026-12-01T00:00:00+00:00", "uV", {n: 3.0 for n in mvc}, mvc)
    neutral = HipNeutral("2026-12-01T00:00:00+00:00", RELAXED_HIP_DEG)
    save_profile(AthleteProfile("Ana", [cal], hip_neutrals=[neutral]), opts.home)
    dev = DeviceConfig(n_motion=0, imu_segments=imus) if imus else DeviceConfig()
    src = SimulatedSource(AthleteConfig(sets=1, reps_per_set=4, setup_s=2.0, seed=1061,
                                        lumbar_pattern=(False, True)), dev,
                          realtime=True, speed=8.0)
    w = DashboardWindow(make_session(src, opts, record=False), exercises=("deadlift",))
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    return w


def test_hip_gap_beside_the_ratio_follows_every_rep(qtbot, tmp_path):
    w = _window(qtbot, tmp_path, ("pelvis", "thigh", "thorax"))
    try:
        qtbot.waitUntil(lambda: w.hip_gap.isVisible(), timeout=15000)
        # beside the last rep's ratio, in the same row, digits readable from 3 m
        assert w.hip_gap.parentWidget() is w.last_rep.parentWidget()
        assert w.hip_gap.value.font().pixelSize() >= 64
        w.toggle_set()
        for k in (1, 2):
            qtbot.waitUntil(lambda: len(w.reps) >= k, timeout=40000)
            rep = w.reps[-1]
            assert math.isfinite(rep.hip_short_of_neutral_deg)
            assert w.hip_gap.value.text() == f"{rep.hip_short_of_neutral_deg:.0f}°"
            short = rep.hip_short_of_neutral_deg > 3.0
            colour = theme.VERDICT_COLOUR[rep.verdict]
            assert colour in w.hip_gap.styleSheet()
            assert ("short of neutral" in w.hip_gap.words.text()) == short
            assert ("FINISH WITH YOUR HIPS" in w.last_rep.words.text()) == short
        assert "from neutral" in w.hip_gap.live.text()
        # the cue the lifter reads is the hips' one on the compensated rep (the second)
        assert w.reps[1].cue == "finish with your hips"
    finally:
        w.close()


def test_no_hip_card_without_imus(qtbot, tmp_path):
    w = _window(qtbot, tmp_path, ())
    try:
        qtbot.waitUntil(lambda: bool(w.traces.names), timeout=15000)
        qtbot.wait(300)
        assert not w.hip_gap.isVisible()
        assert w.traces.angle_title == "trunk"
        assert all(lbl is not w.hip_gap.value for lbl in w.findChildren(QLabel)
                   if lbl.isVisible())
    finally:
        w.close()


@pytest.mark.parametrize("deg, shown", [(-0.3, "now 0°"), (0.4, "now 0°"), (-0.6, "now -1°"),
                                        (2.5, "now 2°"), (7.6, "now 8°")])
def test_the_live_hip_line_never_reads_minus_zero(qtbot, deg, shown):
    from emg_monitor.ui.hip_gap import HipGapCard
    card = HipGapCard()
    qtbot.addWidget(card)
    card.set_live(deg)
    assert card.live.text().startswith(shown + " from neutral"), card.live.text()
