"""Building the dashboard: sources from options, engine settings from the athlete's
profile, a recorder per live session, and the calibration hand-over.

Everything here runs once on the GUI thread; the running pipeline lives on the
source's thread (see ``live.py``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import UserError
from ..exercises import EXERCISES, get_exercise
from ..model import DeviceConfig
from ..sources.base import Recording, Seekable, Source
from .live import LiveSession

log = logging.getLogger(__name__)


@dataclass
class DashboardOptions:
    simulate: bool = False
    port: str | None = None
    replay: str | None = None
    athlete: str = ""
    exercise: str = "deadlift"
    record: bool = True
    sessions_root: str | None = None
    home: str | None = None          # profiles live under <home>/profiles (default: paths.data_home)
    speed: float = 1.0               # simulator / replay speed
    seed: int = 0
    lumbar: float = 0.3              # simulated athlete: chance of a lumbar-dominant rep
    sim_calibration: bool = False    # simulated athlete starts with its calibration routine
    source: str | None = None        # a source URL (sources/registry.py): lsl://..., sim://...
    channel_map: dict = field(default_factory=dict)   # --map LABEL=ROLE for lab streams
    imu_segments: tuple[str, ...] = ()   # I2C IMUs to read (docs/hip.md); () = analog trunk sensor
    mains: str = "auto"              # FilterSettings.mains: auto, off, 50, 60
    sample_rate_hz: int = 1000       # asked of the board (and the simulated one)


def exercise_names() -> tuple[str, ...]:
    return tuple(EXERCISES)


def target_ratio_for(name: str) -> float | None:
    try:
        return get_exercise(name).target_ratio
    except ValueError:
        return None


def _stored_profile(athlete: str, home: str | None):
    """The athlete's profile, or None (no profile yet / no athlete / a damaged profile, which
    ``profiles.profile_problem`` names for the banner)."""
    from ..profiles import DamagedProfile, NoProfile, load_profile
    if not athlete:
        return None
    try:
        return load_profile(athlete, home)
    except (NoProfile, DamagedProfile):
        return None


def load_calibration(athlete: str, home: str | None):
    """The athlete's latest calibration, or None (no profile yet / no athlete)."""
    profile = _stored_profile(athlete, home)
    return profile.latest_calibration() if profile is not None else None


def load_hip_neutral(athlete: str, home: str | None):
    """The athlete's latest hip neutral (docs/hip.md), or None."""
    profile = _stored_profile(athlete, home)
    return profile.latest_hip_neutral() if profile is not None else None


def _save_to_profile(athlete: str, home: str | None, what: str, add) -> Path:
    from ..profiles import (AthleteProfile, DamagedProfile, NoProfile, load_profile,
                            save_profile, set_aside_damaged)
    if not athlete:
        raise UserError(f"enter the athlete's name before saving {what}")
    try:
        profile = load_profile(athlete, home)
    except NoProfile:
        profile = AthleteProfile(athlete)
    except DamagedProfile:
        set_aside_damaged(athlete, home)     # kept beside the new one, never overwritten
        profile = AthleteProfile(athlete)
    return save_profile(add(profile), home)


def save_calibration(athlete: str, calibration, home: str | None) -> Path:
    return _save_to_profile(athlete, home, "a calibration",
                            lambda p: p.with_calibration(calibration))


def save_hip_neutral(athlete: str, neutral, home: str | None) -> Path:
    return _save_to_profile(athlete, home, "a hip neutral", lambda p: p.with_hip_neutral(neutral))



def sim_defaults(opts: DashboardOptions, calibration_script: bool | None = None) -> dict:
    """The dashboard's simulated athlete (AthleteConfig fields): endless sets, short rests."""
    return dict(exercise=opts.exercise, sets=200, reps_per_set=5, seed=opts.seed,
                lumbar_pattern=opts.lumbar, rest_between_sets_s=12.0,
                calibration=opts.sim_calibration if calibration_script is None
                else calibration_script)


def simulated_source(opts: DashboardOptions, calibration_script: bool | None = None) -> Source:
    from ..sim.athlete import AthleteConfig
    from ..sources.simulated import SimulatedSource
    return SimulatedSource(AthleteConfig(**sim_defaults(opts, calibration_script)),
                           device_config(opts), realtime=True, speed=opts.speed)


def device_config(opts: DashboardOptions):
    """What to ask the board for: its IMUs instead of the analog trunk sensor when asked."""
    if opts.imu_segments:
        return DeviceConfig(sample_rate_hz=opts.sample_rate_hz, n_motion=0,
                            imu_segments=tuple(opts.imu_segments))
    return DeviceConfig(sample_rate_hz=opts.sample_rate_hz)


def list_ports() -> list:
    from ..sources.serial_source import find_ports
    return find_ports()


def trend_for(opts: DashboardOptions):
    """``(athlete, exercise, exclude) -> [TrendPoint]`` under the options' sessions root."""
    from ..paths import sessions_root
    from ..session.history import ratio_trend

    def load(athlete: str, exercise: str, exclude=None) -> list:
        return ratio_trend(athlete, sessions_root(opts.sessions_root), exercise or None,
                           exclude, last=20)
    return load


def board_source(port: str | None, opts: DashboardOptions | None = None) -> Source:
    from ..sources.serial_source import SerialSource, find_ports
    if port is None:
        boards = [p for p in find_ports() if p.likely_board]
        if not boards:
            raise UserError("no board found: plug it in, or use the simulated athlete "
                            "(emg-monitor dashboard --simulate)")
        port = boards[0].device
    return SerialSource(port, device_config(opts or DashboardOptions()))


def replay_source(path: str, speed: float = 1.0) -> Source:
    from ..sources.replay import ReplaySource
    return ReplaySource(path, speed=speed)


def replay_session(source: Source, opts: DashboardOptions) -> LiveSession:
    """A replay judged as it was recorded: the session's filters and target, its calibrations,
    exercise changes and manual set starts/stops at the recorded samples; never recorded again."""
    from ..dsp.pipeline import FilterSettings
    from ..engine import EngineSettings
    from ..session.actions import recorded_actions
    from .replay import ReplayDriver, replay_settings
    source.open()
    recorded = source.session if isinstance(source, Recording) else None
    if recorded is not None:
        settings = replay_settings(recorded, EngineSettings, FilterSettings)
        marks = recorded_actions(recorded)
        if recorded.sets:        # its set records are known: a press would only repeat them
            marks = [m for m in marks if m.kind not in ("set_start", "set_stop")]
    else:                  # a plain CSV: the athlete's profile; sets found from the reps
        settings = EngineSettings(calibration=load_calibration(opts.athlete, opts.home),
                                  exercise=opts.exercise)
        marks = []
    return LiveSession(source, settings, recorder=None,
                       driver=lambda engine, display: ReplayDriver(engine, marks, display))


def make_session(source: Source, opts: DashboardOptions, *, record: bool | None = None) -> LiveSession:
    """Engine settings from the athlete's profile; a Recorder unless replaying."""
    from ..dsp.pipeline import FilterSettings
    from ..engine import EngineSettings
    if isinstance(source, Seekable):
        return replay_session(source, opts)
    calibration = load_calibration(opts.athlete, opts.home)
    filters = FilterSettings(mains=opts.mains)
    settings = EngineSettings(filters=filters, calibration=calibration, exercise=opts.exercise,
                              hip_neutral=load_hip_neutral(opts.athlete, opts.home))
    recorder = None
    if (opts.record if record is None else record):
        from ..paths import sessions_root
        from ..session.meta import SessionMeta, new_session_folder
        from ..session.recorder import Recorder
        meta = SessionMeta(athlete=opts.athlete, exercise=opts.exercise,
                           filter_settings=filters.to_dict(),
                           calibration=calibration.to_dict() if calibration else None)
        root = sessions_root(opts.sessions_root)
        recorder = Recorder(new_session_folder(root, meta), meta)
        if settings.hip_neutral is not None:     # replays and analyze measure from it too
            recorder.mark("hip_neutral", at_index=0, athlete=opts.athlete,
                          **settings.hip_neutral.to_dict())
    session = LiveSession(source, settings, recorder=recorder)
    from ..profiles import profile_problem
    problem = profile_problem(opts.athlete, opts.home)
    if problem:                              # shown by the window when it attaches the session
        session.warnings.append(problem)
    return session


def url_source(opts: DashboardOptions) -> Source:
    """``--source URL``: the simulator with the dashboard's defaults, any other registered kind."""
    from ..sources.registry import SourceContext, make_source
    ctx = SourceContext(speed=opts.speed, athlete=opts.athlete, home=opts.home,
                        channel_map=dict(opts.channel_map), sim=sim_defaults(opts),
                        device_config=DeviceConfig(sample_rate_hz=opts.sample_rate_hz))
    if opts.source is None:
        raise UserError("no --source URL given")
    return make_source(opts.source, ctx)


def initial_source(opts: DashboardOptions) -> Source | None:
    """--source, --replay, --simulate, --port, else the first likely board, else None (offer the
    simulator)."""
    if opts.source:
        return url_source(opts)
    if opts.replay:
        return replay_source(opts.replay, opts.speed)
    if opts.simulate:
        return simulated_source(opts)
    if opts.port:
        return board_source(opts.port, opts)
    try:
        return board_source(None, opts)
    except UserError:
        return None


def build_window(opts: DashboardOptions, source: Source | None = None, **window_kwargs):
    """The dashboard window with its source (started), or offering choices when there is none."""
    from ..profiles import list_profiles, profile_problem
    from .main_window import DashboardWindow

    window: DashboardWindow | None = None

    def current_opts() -> DashboardOptions:
        return replace(opts, athlete=window.athlete if window else opts.athlete,
                       exercise=window.exercise if window else opts.exercise)

    # both run on the window's connect worker, which also opens the source (a busy or
    # missing port fails there, and is shown in the banner)
    def chosen_opts() -> DashboardOptions:
        athlete, exercise = window.connect_choice if window else (opts.athlete, opts.exercise)
        return replace(opts, athlete=athlete, exercise=exercise)

    def open_simulator() -> LiveSession:
        return make_session(simulated_source(chosen_opts()), chosen_opts())

    def open_board(port: str | None = None) -> LiveSession:
        return make_session(board_source(port or opts.port, chosen_opts()), chosen_opts())

    def on_athlete(name: str) -> None:
        if window.session is None:
            return
        cal = load_calibration(name, opts.home)
        window.session.engine.set_calibration(cal)
        window.session.engine.set_hip_neutral(load_hip_neutral(name, opts.home))
        if window.session.recorder is not None:
            window.session.recorder.mark("athlete", athlete=name)
        problem = profile_problem(name, opts.home)
        if problem:
            window.banner.show_error(problem)
            return
        window.banner.show_notice(f"{name}: calibration of {cal.created_iso} applied" if cal
                                  else f"{name}: no calibration yet — press Calibrate for %MVC")

    def on_calibrate(win) -> None:
        """Calibrate on the running session: no restart and no new recording (the session
        being recorded goes on and keeps the holds; the wizard says so)."""
        from .calibration_wizard import CalibrationWizard
        session = win.session
        rec = session.recording_path
        wizard = CalibrationWizard(session.source, session.engine.settings.filters,
                                   reader=session.reader, display=session.display,
                                   recording=rec.name if rec else "", athlete=win.athlete,
                                   on_done=lambda athlete, cal: apply_calibration(win, athlete, cal),
                                   on_neutral=lambda athlete, n: apply_hip_neutral(win, athlete, n),
                                   parent=win)
        win.wizard = wizard
        wizard.open()

    def apply_calibration(win, athlete: str, cal) -> None:
        path = save_calibration(athlete, cal, opts.home)
        if win.athlete != athlete:
            win.athlete_box.setCurrentText(athlete)
        if win.session is not None:
            win.session.engine.set_calibration(cal)
            if win.session.recorder is not None:
                win.session.recorder.mark("calibration", athlete=athlete, **cal.to_dict())
        # one line: a wrapped banner takes the height of the numbers under it; the path on hover
        win.banner.show_notice(f"Calibration saved to {athlete}'s profile — envelopes now in %MVC",
                               detail=str(path))

    def apply_hip_neutral(win, athlete: str, neutral) -> None:
        """The wizard's hip neutral: into the profile with its date, and measured from on
        the running session (and marked in its recording, so a replay measures from it)."""
        save_hip_neutral(athlete, neutral, opts.home)
        if win.session is not None:
            win.session.engine.set_hip_neutral(neutral)
            if win.session.recorder is not None:
                win.session.recorder.mark("hip_neutral", athlete=athlete, **neutral.to_dict())

    factories = {"Simulated athlete": open_simulator, "Connect board": open_board}
    if source is None and opts.replay:
        source = replay_source(opts.replay, opts.speed)
    session = None if source is None else make_session(source, opts)
    recorded = source.session if isinstance(source, Recording) else None
    if recorded is not None:                 # a replayed session: its athlete and exercise
        opts = replace(opts, athlete=recorded.meta.athlete or opts.athlete,
                       exercise=recorded.meta.exercise or opts.exercise)
    try:
        athletes = tuple(list_profiles(opts.home))
    except Exception:
        athletes = ()
    window = DashboardWindow(None, athlete=opts.athlete, athletes=athletes,
                             exercise=opts.exercise, exercises=exercise_names(),
                             source_factories=factories, on_athlete=on_athlete,
                             on_calibrate=on_calibrate, target_ratio=target_ratio_for,
                             list_ports=list_ports, trend_source=trend_for(opts),
                             **window_kwargs)
    target = (recorded.meta.target_ratio if recorded is not None and recorded.meta.target_ratio
              else target_ratio_for(opts.exercise))
    window.bars.set_target(target)
    window.summary.trend.set_target(target)
    if session is not None:
        window.attach(session)
    else:
        problem = profile_problem(opts.athlete, opts.home)
        if problem:                          # the start screen: a damaged profile is never silent
            window.banner.show_error(problem)
    return window


def run(opts: DashboardOptions, quit_after_s: float | None = None) -> int:
    """Open the window and run until it is closed, Ctrl-C or SIGTERM; 0 on a clean exit.

    Whichever way it ends, the same ordered shutdown runs (``DashboardWindow.shutdown``):
    draw timer, history worker, bridge signals, source thread, recorder — and the
    window is deleted while the QApplication still exists, so no pyqtgraph item or
    queued signal outlives it (that order is what kept Qt from crashing at exit).
    """
    import signal
    import sys

    from PyQt6.QtCore import QEvent, QTimer
    from PyQt6.QtWidgets import QApplication
    requested: list[int] = []
    window = None

    def on_signal(signum, _frame) -> None:
        requested.append(signum)
        if window is not None:
            window.close()                   # the user's own way out: same shutdown path

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        source = initial_source(opts)
        if source is not None:
            source.open()          # fail here with a clear line, before any window
        app = QApplication.instance() or QApplication(sys.argv[:1])
        app.setApplicationName("emg-monitor")
        window = build_window(opts, source)
        window.resize(1500, 950)
        window.show()
        # Python runs signal handlers only between bytecodes: wake it up while Qt waits
        wake = QTimer()
        wake.timeout.connect(lambda: None)
        wake.start(200)
        if requested:
            QTimer.singleShot(0, window.close)
        if quit_after_s is not None:
            QTimer.singleShot(int(quit_after_s * 1000), window.close)
        code = app.exec()
        wake.stop()
        window.shutdown()                    # idempotent: closeEvent normally did it already
        window.deleteLater()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        app.processEvents()
        window = None
        return code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
