"""The simulated athlete: four sEMG channels and a trunk accelerometer, with ground truth.

Model (docs/simulator.md):

* raw sEMG = white Gaussian noise shaped to a Shwedyk-type spectrum
  (Shwedyk et al. 1977, IEEE TBME 24:417; fl = 60 Hz, fh = 120 Hz, plus a 20 Hz
  front-end high-pass: peak ~65 Hz, >95 % of the power in 20-450 Hz),
  normalised to unit RMS and amplitude-modulated by an activation profile in
  fractions of MVC, times the muscle's true MVC RMS amplitude. RMS over a window
  is therefore activation x MVC, which is what the ground truth reports.
* trunk inclination from a minimum-jerk hip hinge (Flash & Hogan 1985), seen by a
  2-axis accelerometer on the lower back: accel_x along the spine (head-ward),
  accel_y dorsal (out of the back): (cos, sin) of the inclination from vertical.
* activation patterns after deadlift/hip-extension EMG studies: the erectors work
  through the whole pull and peak early (largest trunk moment arm), the gluteus
  maximus mainly in the second half of the concentric and the lockout squeeze
  (Escamilla 2002, MSSE 34:682; McGill 2004). A lumbar-compensated rep finishes
  with the back instead: low glutes, high erectors, early erector onset and a late
  glute onset (delayed gluteus maximus onset in low-back pain: Hungerford 2003;
  Nelson-Wong 2008), and the hips stop a few degrees short of full extension.

Deterministic by seed; :meth:`Athlete.render` is a streaming continuation: calls
of any sizes concatenate to the same signal as one call. After the planned
session the athlete keeps standing quietly forever (so a live demo runs on).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import signal

from ..exercises import get_exercise
from ..model import EMG_PIN_ROLES, MOTION_PIN_NAMES, Channel, Kind, Muscle
from .movements import MOVEMENTS
from .segments import (COMPENSATION_LUMBAR, RELAXED_HIP_DEG, ImuConfig, SegmentModel, pose_ramps,
                       task_weight)
from .patterns import (UNLOADED_ERECTOR, UNLOADED_GLUTE, WALK_ERECTOR, WALK_GLUTE, Attempt,
                       MovementStyle, sway_deg, velocity_profile)

# activations (fraction of MVC) while standing still: erectors keep some
# postural tone, glutes are near silent.
REST_GLUTE = 0.02
REST_ERECTOR = 0.04


@dataclass(frozen=True)
class Contamination:
    """What a real recording adds on top of the muscle signal."""

    noise_uv: float = 3.0               # amplifier + electrode noise floor, RMS
    mains_hz: float = 0.0               # 0 (none), 50 or 60
    mains_uv: float = 20.0              # peak amplitude of the mains fundamental
    ecg: bool = False                   # heartbeat on the erector channels
    ecg_uv: float = 40.0                # R-peak amplitude at the left erector
    heart_rate_bpm: float = 75.0
    motion_artifacts: bool = False      # <10 Hz bursts at the bottom turn and at lockout
    motion_artifact_uv: float = 200.0
    electrode_off: tuple[str, ...] = ()  # channel names whose electrode is off
    electrode_off_mode: str = "railed"  # "railed" (input at the rail) or "flat" (zero)
    clipping: bool = False              # sensor gain far too high: EMG hits the ADC rails
    clipping_gain: float = 50.0


@dataclass(frozen=True)
class AthleteConfig:
    exercise: str = "deadlift"
    sets: int = 3
    reps_per_set: int = 5
    concentric_s: float = 1.2
    eccentric_s: float = 1.5
    top_hold_s: float = 1.0
    bottom_pause_s: float = 0.5
    setup_s: float = 3.0                # standing before the first rep of a set
    rest_between_sets_s: float = 20.0   # short for demos; real sets rest 2-3 min
    #: probability that a rep is lumbar-compensated, or an explicit pattern over
    #: the session's reps in order (repeated when shorter than the session)
    lumbar_pattern: float | tuple[bool, ...] = 0.3
    glute_mvc_uv: float = 400.0         # true MVC RMS amplitudes at the electrode
    erector_mvc_uv: float = 350.0
    asymmetry_pct: float = 8.0          # right side activates this much less than the left
    rep_variability: float = 0.08       # relative SD of the per-rep activation levels
    sample_rate_hz: float = 1000.0
    seed: int = 0
    calibration: bool = False
    envelope_output: bool = False       # MyoWare-ENV-like output in mV at the pin
    envelope_mv_per_uv: float = 4.0     # ENV gain: mV out per µV of mean rectified EMG
    envelope_cutoff_hz: float = 4.0
    accel_noise_g: float = 0.01
    contamination: Contamination = field(default_factory=Contamination)
    imu: ImuConfig = field(default_factory=ImuConfig)     # pelvis/thigh/thorax IMUs (segments.py)
    #: movement patterns (sim/patterns.py): explicit attempts, cycled over the session's
    #: reps, or a style that draws one per rep; neither: the plain tempo above
    attempts: tuple[Attempt, ...] = ()
    style: MovementStyle | None = None
    zero_drift_deg_per_min: float = 0.0   # the motion sensor's zero drifts (tape, sweat)
    #: standing relaxed, the hips rest this far short of the squeezed full extension (deg)
    relaxed_hip_deg: float = RELAXED_HIP_DEG


@dataclass(frozen=True)
class RepTruth:
    set_index: int           # 1-based
    rep: int                 # 1-based within the set
    t_start_s: float         # descent begins
    t_top_s: float           # centre of the top hold, where the ratio is judged
    t_end_s: float           # end of the top hold
    glute_pct_mvc: float     # true activation during the hold, sides averaged
    erector_pct_mvc: float
    ratio: float             # glute / erector
    compensated: bool
    glute_onset_s: float     # start of the concentric burst
    erector_onset_s: float
    t_lockout_s: float = 0.0  # end of the concentric (top reached): the true hold is
                              # t_lockout_s .. t_end_s
    top_deg: float = 0.0      # trunk inclination held at the top
    hip_short_deg: float = 0.0   # hip flexion left at the top, from the athlete's neutral
    lumbar_top_deg: float = 0.0  # lumbar flexion at the top (< 0: extended to finish the rep)
    partial: bool = False     # a failed rep: turned back before upright (its "hold" is the stall)


@dataclass(frozen=True)
class TaskTruth:
    """A calibration segment; for MVC holds the plateau (ramps excluded)."""

    kind: str                # "rest", "glute_mvc", "erector_mvc", "relaxed_stand", "hip_neutral"
    t_start_s: float
    t_end_s: float


class _Track:
    """Piecewise-linear breakpoints of one profile (evaluated with np.interp)."""

    def __init__(self, value: float) -> None:
        self.t = [0.0]
        self.v = [value]

    def to(self, t: float, value: float) -> None:
        t = max(t, self.t[-1] + 1e-6)
        self.t.append(t)
        self.v.append(value)

    def hold(self, t: float) -> None:
        self.to(t, self.v[-1])

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.t), np.asarray(self.v)


def _minimum_jerk(track: _Track, t0: float, t1: float, a: float, b: float, n: int = 12) -> None:
    for k in range(1, n + 1):
        s = k / n
        track.to(t0 + s * (t1 - t0), a + (b - a) * (10 * s**3 - 15 * s**4 + 6 * s**5))


def _semg_shaping_sos(fs: float) -> np.ndarray:
    """Shwedyk spectrum H(s) = s wh^2 / ((s + wl)(s + wh)^2) plus a 20 Hz high-pass."""
    wl, wh = 2 * math.pi * 60.0, 2 * math.pi * 120.0
    z, p, k = signal.bilinear_zpk([0.0], [-wl, -wh, -wh], wh**2, fs)
    sos = signal.zpk2sos(z, p, k)
    hp = signal.butter(2, 20.0, "highpass", fs=fs, output="sos")
    sos = np.vstack([sos, hp])
    impulse = np.zeros(int(fs * 4))
    impulse[0] = 1.0
    gain = math.sqrt(float(np.sum(signal.sosfilt(sos, impulse) ** 2)))
    sos[0, :3] /= gain
    return sos


class Athlete:
    """One simulated athlete and session; ``render`` streams its six channels."""

    def __init__(self, config: AthleteConfig | None = None) -> None:
        config = config or AthleteConfig()
        # the registry's canonical name ("rdl" -> "romanian_deadlift"); unknown: ValueError
        config = replace(config, exercise=get_exercise(config.exercise).name)
        if config.contamination.mains_hz not in (0, 50, 60):
            raise ValueError("mains_hz must be 0, 50 or 60")
        names = [r[0] for r in EMG_PIN_ROLES]
        for name in config.contamination.electrode_off:
            if name not in names:
                raise ValueError(f"electrode_off: no EMG channel {name!r} "
                                 f"(have: {', '.join(names)})")
        self.config = config
        self.fs = float(config.sample_rate_hz)
        emg_kind, emg_unit = ((Kind.ENVELOPE, "mV") if config.envelope_output
                              else (Kind.RAW_EMG, "uV"))
        self.channels: tuple[Channel, ...] = tuple(
            [Channel(n, emg_kind, emg_unit, m, s) for n, m, s in EMG_PIN_ROLES]
            + [Channel(n, Kind.MOTION, "g") for n in MOTION_PIN_NAMES])
        self.truth: list[RepTruth] = []
        self.tasks: list[TaskTruth] = []
        self.requested: tuple[tuple[float, float, str], ...] = ()   # (t0_s, t1_s, kind)
        seeds = np.random.SeedSequence(config.seed).spawn(7)
        self._rng_move = np.random.default_rng(seeds[6])
        self._sway: list[tuple[float, float, float]] = []    # (t0, t1, phase) of walking
        self._plan(np.random.default_rng(seeds[0]))
        self._rng_emg = np.random.default_rng(seeds[1])
        self._rng_noise = np.random.default_rng(seeds[2])
        self._rng_accel = np.random.default_rng(seeds[3])
        self._rng_ecg = np.random.default_rng(seeds[4])
        self._artifacts = self._plan_artifacts(np.random.default_rng(seeds[5]))
        self._beats: list[float] = []
        self._next_beat_s = 0.3
        self._sos = _semg_shaping_sos(self.fs)
        n_emg = len(EMG_PIN_ROLES)
        self._zi = np.zeros((self._sos.shape[0], 2, n_emg))
        # warm the shaping filter so the first samples already have full power
        warm = self._rng_emg.standard_normal((int(self.fs), n_emg))
        _, self._zi = signal.sosfilt(self._sos, warm, axis=0, zi=self._zi)
        self._env_sos = signal.butter(2, config.envelope_cutoff_hz, fs=self.fs, output="sos")
        self._env_zi = np.zeros((self._env_sos.shape[0], 2, n_emg))
        self._pos = 0
        self._mvc_uv = np.array([config.glute_mvc_uv if m == Muscle.GLUTE else config.erector_mvc_uv
                                 for _, m, _ in EMG_PIN_ROLES])

    # --- the plan --------------------------------------------------------------
    def _compensated(self, k: int, rng: np.random.Generator) -> bool:
        pattern = self.config.lumbar_pattern
        if isinstance(pattern, (tuple, list)):
            return bool(pattern[k % len(pattern)]) if pattern else False
        return bool(rng.random() < float(pattern))

    def _plan(self, rng: np.random.Generator) -> None:
        c = self.config
        ex = MOVEMENTS[c.exercise]
        asym = 1.0 - c.asymmetry_pct / 100.0
        ang = _Track(ex.top_deg)
        g = [_Track(REST_GLUTE), _Track(REST_GLUTE)]      # left, right
        e = [_Track(REST_ERECTOR), _Track(REST_ERECTOR)]

        def level(track_pair: list[_Track], t: float, value: float, right_scale: float = 1.0):
            track_pair[0].to(t, value)
            track_pair[1].to(t, value * right_scale)

        def hold_all(t: float) -> None:
            for tr in (*g, *e, ang):
                tr.hold(t)

        t = 0.0
        if c.calibration:
            ramp = 0.3
            self.tasks.append(TaskTruth("rest", 0.0, 5.0))
            t = 5.0
            hold_all(t)
            for kind, main, other, co in (("glute_mvc", g, e, 0.25), ("erector_mvc", e, g, 0.30)):
                for _ in range(3):
                    level(main, t + ramp, 1.0)
                    level(other, t + ramp, co)
                    self.tasks.append(TaskTruth(kind, t + ramp, t + ramp + 4.0))
                    t += ramp + 4.0
                    hold_all(t)
                    level(g, t + ramp, REST_GLUTE)
                    level(e, t + ramp, REST_ERECTOR)
                    t += ramp
                    hold_all(t + 4.0)
                    self.tasks.append(TaskTruth("rest", t, t + 4.0))
                    t += 4.0
            # the hip neutral: stand relaxed, then squeeze the glutes as hard as possible
            self.tasks.append(TaskTruth("relaxed_stand", t, t + 4.0))
            t += 4.0
            hold_all(t)
            level(g, t + ramp, 0.7)
            level(e, t + ramp, 0.15)
            self.tasks.append(TaskTruth("hip_neutral", t + ramp + 0.6, t + ramp + 4.0))
            t += ramp + 4.0
            hold_all(t)
            level(g, t + ramp, REST_GLUTE)
            level(e, t + ramp, REST_ERECTOR)
            t += ramp
            t += 1.0
            hold_all(t)
        k = 0
        toward_bottom = 1.0 if ex.bottom_deg > ex.top_deg else -1.0
        for s in range(1, c.sets + 1):
            t += c.setup_s
            hold_all(t)
            top_prev = ex.top_deg
            at_bottom = False           # the last attempt left the bar on the floor
            for r in range(1, c.reps_per_set + 1):
                comp = self._compensated(k, rng)
                at = self._attempt(k)
                k += 1
                jit = lambda x: float(x * np.clip(1 + c.rep_variability * rng.standard_normal(),
                                                  0.6, 1.4))
                short_deg = float(rng.uniform(4.0, 8.0)) if comp else float(rng.uniform(0, 1.5))
                # compensated: the lumbar spine extends to make up most of the hips'
                # shortfall, so the trunk still ends nearly upright
                lumbar_top = -COMPENSATION_LUMBAR * short_deg if comp else 0.0
                top_deg = ex.top_deg + toward_bottom * (short_deg + lumbar_top)
                failed = at.reach < 1.0
                height = lambda h, top=top_deg: ex.bottom_deg + (top - ex.bottom_deg) * h
                t0 = t
                # descent (with the bar), unless the bar is already on the floor
                g_ecc, e_ecc = jit(ex.glute_ecc), jit(ex.erector_ecc)
                if at_bottom:
                    tb0 = t0
                else:
                    level(g, t0 + 0.2, g_ecc, asym)
                    level(e, t0 + 0.2, e_ecc, asym)
                    if at.pause_down is not None:     # paused on the way down: isometric
                        hd, ps = at.pause_down
                        ta = t0 + at.eccentric_s * (1 - hd)
                        _minimum_jerk(ang, t0, ta, top_prev, height(hd, top_prev))
                        ang.hold(ta + ps)
                        level(e, ta + 0.1, 1.3 * e_ecc, asym)
                        level(e, ta + ps, 1.3 * e_ecc, asym)
                        tb0 = ta + ps + at.eccentric_s * hd
                        _minimum_jerk(ang, ta + ps, tb0, height(hd, top_prev), ex.bottom_deg)
                    else:
                        tb0 = t0 + at.eccentric_s
                        _minimum_jerk(ang, t0, tb0, top_prev, ex.bottom_deg)
                # bottom: a pause, a dead stop or a reset lets the muscles go
                tc0 = tb0 + at.bottom_pause_s + at.reset_s
                level(g, tb0 + 0.15, ex.glute_bottom, asym)
                level(e, tb0 + 0.15, ex.erector_bottom, asym)
                if (at.dead_stop or at.reset_s > 0 or at_bottom) and tc0 - tb0 > 0.5:
                    level(g, tb0 + 0.3, 2 * REST_GLUTE, asym)
                    level(e, tb0 + 0.3, 2 * REST_ERECTOR, asym)
                    level(g, tc0 - 0.15, 2 * REST_GLUTE, asym)
                    level(e, tc0 - 0.15, 2 * REST_ERECTOR, asym)
                    level(g, tc0, ex.glute_bottom, asym)
                    level(e, tc0, ex.erector_bottom, asym)
                if at.reset_s > 0:                    # re-grip: small trunk shuffles
                    n_w = max(1, int(at.reset_s / 0.8))
                    for j in range(n_w):
                        tw = tb0 + at.bottom_pause_s + (j + 0.5) * at.reset_s / n_w
                        ang.to(tw, ex.bottom_deg - toward_bottom * float(self._rng_move.uniform(1, 4)))
                    ang.to(tc0, ex.bottom_deg)
                ang.hold(tc0)
                # the concentric: sticking region, pause on the way up, hitch, or failure
                th0 = self._ascend(ang, at, tc0, height, failed)
                tc = th0 - tc0
                th1 = th0 + at.top_hold_s
                ang.hold(th1)
                if comp:
                    g_top, e_top, e_peak = (jit(ex.comp_glute_top), jit(ex.comp_erector_top),
                                            jit(ex.comp_erector_peak))
                    e_on = max(tb0 + 0.16, tc0 - 0.15)
                    g_on = tc0 + 0.45 * tc
                else:
                    g_top, e_top, e_peak = jit(ex.glute_top), jit(ex.erector_top), jit(ex.erector_peak)
                    g_on = tc0 + 0.02
                    e_on = tc0 + 0.12
                g_mid = 0.5 * (ex.glute_bottom + g_top)
                if failed:        # stuck: the erectors keep pulling, the glutes never finish
                    e_top, g_top = e_peak, g_mid
                # erectors: burst at onset, peak through the early pull, settle at the top
                level(e, e_on, ex.erector_bottom, asym)
                level(e, e_on + 0.15, e_peak, asym)
                level(e, max(e_on + 0.16, tc0 + 0.55 * tc), e_peak, asym)
                level(e, th0, e_top, asym)
                level(e, th1, e_top, asym)
                # glutes: onset, mostly the second half of the concentric, lockout squeeze
                level(g, g_on, ex.glute_bottom, asym)
                if not comp:
                    level(g, tc0 + 0.5 * tc, g_mid, asym)
                level(g, th0, g_top, asym)
                level(g, th1, g_top, asym)
                g_mean = 0.5 * g_top * (1 + asym)
                e_mean = 0.5 * e_top * (1 + asym)
                self.truth.append(RepTruth(
                    set_index=s, rep=r, t_start_s=t0, t_top_s=0.5 * (th0 + th1), t_end_s=th1,
                    glute_pct_mvc=100 * g_mean, erector_pct_mvc=100 * e_mean,
                    ratio=g_mean / e_mean, compensated=comp, glute_onset_s=g_on,
                    erector_onset_s=e_on, t_lockout_s=th0,
                    top_deg=height(at.reach) if failed else top_deg, partial=failed,
                    hip_short_deg=short_deg, lumbar_top_deg=lumbar_top))
                t = th1
                top_prev = top_deg
                at_bottom = False
                if failed:                            # lowered back to the floor
                    _minimum_jerk(ang, t, t + 1.0, height(at.reach), ex.bottom_deg)
                    level(g, t + 0.2, g_ecc, asym)
                    level(e, t + 0.2, e_ecc, asym)
                    level(g, t + 1.2, 2 * REST_GLUTE, asym)
                    level(e, t + 1.2, 2 * REST_ERECTOR, asym)
                    t += 1.5
                    ang.hold(t)
                    at_bottom = True
                elif at.after in ("set_down", "walk"):
                    t = self._set_down(ang, g, e, level, t, top_deg, at)
                    at_bottom = True
            if at_bottom:                             # stand up without the bar
                _minimum_jerk(ang, t, t + 1.2, ex.bottom_deg, ex.top_deg)
                level(g, t + 0.2, UNLOADED_GLUTE)
                level(e, t + 0.2, UNLOADED_ERECTOR)
                t += 1.2
            # set done: the load is put down, the athlete stands quietly
            level(g, t + 0.4, REST_GLUTE)
            level(e, t + 0.4, REST_ERECTOR)
            ang.to(t + 1.0, ex.top_deg)
            t += 1.0
            if s < c.sets:
                t += c.rest_between_sets_s
                hold_all(t)
        t += 3.0
        hold_all(t)
        self.duration_s = t
        self._ang = ang.arrays()
        self._act = [tr.arrays() for tr in (g[0], e[0], g[1], e[1])]  # EMG_PIN_ROLES order

    def _attempt(self, k: int) -> Attempt:
        c = self.config
        if c.attempts:
            return c.attempts[k % len(c.attempts)]
        if c.style is not None:
            return c.style.attempt(self._rng_move)
        return Attempt(eccentric_s=c.eccentric_s, bottom_pause_s=c.bottom_pause_s,
                       concentric_s=c.concentric_s, top_hold_s=c.top_hold_s)

    def _ascend(self, ang: _Track, at: Attempt, tc0: float, height, failed: bool) -> float:
        """The concentric from the bottom; returns when the top (or the stall) is reached."""
        T = at.concentric_s
        if at.hitch and not failed:       # stall near lockout, sink a little, push again
            t1 = tc0 + 0.85 * T
            self._profile(ang, tc0, t1, height(0.0), height(0.85), at)
            t2 = t1 + float(self._rng_move.uniform(0.3, 0.6))
            ang.hold(t2)
            _minimum_jerk(ang, t2, t2 + 0.25, height(0.85), height(0.8))
            _minimum_jerk(ang, t2 + 0.25, t2 + 0.85, height(0.8), height(1.0))
            return t2 + 0.85
        if at.pause_up is not None and not failed:   # a paused rep: stop, hold, go on
            hu, ps = at.pause_up
            t1 = tc0 + T * hu
            self._profile(ang, tc0, t1, height(0.0), height(hu), at)
            ang.hold(t1 + ps)
            _minimum_jerk(ang, t1 + ps, t1 + ps + T * (1 - hu), height(hu), height(1.0))
            return t1 + ps + T * (1 - hu)
        self._profile(ang, tc0, tc0 + T, height(0.0), height(at.reach if failed else 1.0), at)
        return tc0 + T

    @staticmethod
    def _profile(ang: _Track, t0: float, t1: float, a: float, b: float, at: Attempt) -> None:
        if at.sticking_dip <= 0:
            _minimum_jerk(ang, t0, t1, a, b)
            return
        n = max(12, int((t1 - t0) * 50))
        pos = velocity_profile(n, at.sticking_dip, at.sticking_at)
        for k in range(1, n + 1):
            ang.to(t0 + (t1 - t0) * k / n, a + (b - a) * pos[k])

    def _set_down(self, ang: _Track, g, e, level, t: float, top_deg: float, at: Attempt) -> float:
        """Put the bar down, stand up without it, stand or walk away, bend down, grip."""
        ex = MOVEMENTS[self.config.exercise]
        _minimum_jerk(ang, t, t + 1.2, top_deg, ex.bottom_deg)
        level(g, t + 0.2, ex.glute_ecc)
        level(e, t + 0.2, ex.erector_ecc)
        level(g, t + 1.4, 2 * REST_GLUTE)
        level(e, t + 1.4, 2 * REST_ERECTOR)
        t += 1.7
        ang.hold(t)
        _minimum_jerk(ang, t, t + 1.2, ex.bottom_deg, ex.top_deg)
        level(g, t + 0.2, UNLOADED_GLUTE)
        level(e, t + 0.2, UNLOADED_ERECTOR)
        walk = at.after == "walk"
        level(g, t + 1.4, WALK_GLUTE if walk else REST_GLUTE)
        level(e, t + 1.4, WALK_ERECTOR if walk else REST_ERECTOR)
        t += 1.2
        if walk:
            self._sway.append((t + 0.3, t + at.after_s - 0.3, float(self._rng_move.uniform(0, 6.3))))
        t += at.after_s
        ang.hold(t)
        level(g, t, REST_GLUTE)
        level(e, t, REST_ERECTOR)
        _minimum_jerk(ang, t, t + 1.2, ex.top_deg, ex.bottom_deg)
        level(g, t + 0.2, UNLOADED_GLUTE)
        level(e, t + 0.2, UNLOADED_ERECTOR)
        level(g, t + 1.4, 2 * REST_GLUTE)
        level(e, t + 1.4, 2 * REST_ERECTOR)
        t += 1.8
        ang.hold(t)
        return t

    def _plan_artifacts(self, rng: np.random.Generator) -> np.ndarray:
        """(t_centre_s, freq_hz, amp per EMG channel...) rows, at bottom turns and lockouts."""
        if not self.config.contamination.motion_artifacts:
            return np.zeros((0, 2 + len(EMG_PIN_ROLES)))
        rows = []
        for rt in self.truth:
            for tc in (rt.t_lockout_s - self.config.concentric_s, rt.t_lockout_s):
                amps = (self.config.contamination.motion_artifact_uv
                        * rng.uniform(0.4, 1.4, len(EMG_PIN_ROLES)) * rng.choice([-1, 1], 4))
                rows.append([tc, rng.uniform(2.0, 6.0), *amps])
        return np.asarray(rows)

    # --- tasks on request (the calibration wizard asks, the athlete does) ------------
    #: activation (fraction of MVC) of (glute, erector) during each requested task
    TASK_LEVELS = {"rest": (REST_GLUTE, REST_ERECTOR), "glute_mvc": (1.0, 0.25),
                   "erector_mvc": (0.30, 1.0), "relaxed_stand": (REST_GLUTE, REST_ERECTOR),
                   "hip_neutral": (1.0, 0.15)}
    TASK_RAMP_S = 0.3

    def perform(self, kind: str, t_start_s: float, hold_s: float) -> None:
        """Do ``kind`` (a key of ``TASK_LEVELS``: "rest", "glute_mvc", "erector_mvc",
        "relaxed_stand", "hip_neutral" = the standing maximal glute squeeze) from
        ``t_start_s`` for ``hold_s``, standing upright: a plateau over the window, ramps of
        ``TASK_RAMP_S`` outside it (the body: segments.POSE_RAMP_S); the pelvis, thigh and
        thorax take the task's posture
        (segments.SQUEEZE_TASKS: squeezing, else standing relaxed).
        Whatever the plan had there (a set) is replaced. Safe from another thread: the
        request list is swapped in one assignment."""
        if kind not in self.TASK_LEVELS:
            raise ValueError(f"unknown task {kind!r}; choose from {', '.join(self.TASK_LEVELS)}")
        if not (math.isfinite(t_start_s) and math.isfinite(hold_s) and hold_s > 0):
            raise ValueError("a task needs a finite start and a positive duration")
        self.requested = self.requested + ((float(t_start_s), float(t_start_s + hold_s), kind),)
        self.tasks.append(TaskTruth(kind, float(t_start_s), float(t_start_s + hold_s)))

    def _requested_overlay(self, t_s: np.ndarray, act: np.ndarray | None,
                           angle: np.ndarray | None) -> None:
        upright_deg = 0.0                    # every task is done standing
        for t0, t1, kind, pose_ramp in pose_ramps(self.requested, self.TASK_RAMP_S):
            if act is not None:
                w = task_weight(t_s, t0, t1, self.TASK_RAMP_S)
                g, e = self.TASK_LEVELS[kind]
                level = np.array([g if m == Muscle.GLUTE else e for _, m, _ in EMG_PIN_ROLES])
                act *= (1 - w)[:, None]
                act += w[:, None] * level[None, :]
            if angle is not None:            # the body at a lifter's pace (segments.POSE_RAMP_S)
                w = task_weight(t_s, t0, t1, pose_ramp)
                angle *= 1 - w
                angle += w * upright_deg

    # --- rendering -------------------------------------------------------------
    def activation(self, t_s: np.ndarray) -> np.ndarray:
        """True activation (fraction of MVC) per EMG channel at times t_s: (n, 4)."""
        act = np.stack([np.interp(t_s, tp, vp) for tp, vp in self._act], axis=1)
        if self.requested:
            self._requested_overlay(t_s, act, None)
        return act

    def inclination_deg(self, t_s: np.ndarray) -> np.ndarray:
        """The true trunk inclination (deg), walking sway included."""
        out = np.interp(t_s, *self._ang)
        for t0, t1, phase in self._sway:
            inside = (t_s >= t0) & (t_s < t1)
            if inside.any():
                ti = t_s[inside]
                fade = np.clip(np.minimum(ti - t0, t1 - ti) / 0.5, 0.0, 1.0)
                out[inside] += fade * sway_deg(ti, 3.0, 0.9, phase)
        if self.requested:
            self._requested_overlay(t_s, None, out)
        return out

    def plateau_s(self, t_s: float, tol_deg: float, reach_s: float = 10.0) -> tuple[float, float]:
        """The contiguous time around ``t_s`` over which the TRUE inclination stays within
        ``tol_deg`` of its value at ``t_s``: a rep's true plateau (or hold, at a tight
        tolerance) for scoring a detector against."""
        t = np.arange(t_s - reach_s, t_s + reach_s, 0.005)
        level = float(self.inclination_deg(np.array([t_s]))[0])
        ok = np.abs(self.inclination_deg(t) - level) <= tol_deg
        k = int(np.searchsorted(t, t_s))
        bad_before = np.flatnonzero(~ok[:k])
        bad_after = np.flatnonzero(~ok[k:])
        lo = int(bad_before[-1]) + 1 if bad_before.size else 0
        hi = k + int(bad_after[0]) - 1 if bad_after.size else t.size - 1
        return float(t[lo]), float(t[max(hi, lo)])

    def sensor_inclination_deg(self, t_s: np.ndarray) -> np.ndarray:
        """What the motion sensor reports: the true inclination plus the drifting zero."""
        return self.inclination_deg(t_s) + self.config.zero_drift_deg_per_min * np.asarray(t_s) / 60.0

    def _ecg_uv(self, t: np.ndarray) -> np.ndarray:
        """Synthetic ECG (sum of Gaussian P, Q, R, S, T waves; McSharry 2003 shape)."""
        c = self.config.contamination
        horizon = float(t[-1]) + 1.0
        while self._next_beat_s < horizon:
            self._beats.append(self._next_beat_s)
            rr = 60.0 / c.heart_rate_bpm * (1 + 0.04 * self._rng_ecg.standard_normal())
            self._next_beat_s += max(rr, 0.3)
        beats = np.asarray(self._beats)
        lo = np.searchsorted(beats, t[0] - 0.6)
        out = np.zeros_like(t)
        waves = ((0.12, -0.20, 0.025), (-0.15, -0.03, 0.010), (1.0, 0.0, 0.010),
                 (-0.25, 0.03, 0.010), (0.30, 0.25, 0.050))
        for b in beats[lo:]:
            if b > t[-1] + 0.6:
                break
            d = t - b
            for a, mu, sd in waves:
                out += a * np.exp(-0.5 * ((d - mu) / sd) ** 2)
        # drop beats that can no longer touch future chunks
        if lo > 0:
            del self._beats[:lo]
        return c.ecg_uv * out

    def _artifact_uv(self, t: np.ndarray) -> np.ndarray:
        out = np.zeros((t.size, len(EMG_PIN_ROLES)))
        a = self._artifacts
        if a.size == 0:
            return out
        lo, hi = np.searchsorted(a[:, 0], [t[0] - 0.6, t[-1] + 0.6])
        for row in a[lo:hi]:
            d = t - row[0]
            burst = np.exp(-0.5 * (d / 0.12) ** 2) * np.sin(2 * math.pi * row[1] * d)
            out += burst[:, None] * row[2:][None, :]
        return out

    def render(self, n_samples: int) -> np.ndarray:
        """The next n samples of all six channels (EMG in uV or mV, accel in g)."""
        n = int(n_samples)
        n_emg = len(EMG_PIN_ROLES)
        out = np.empty((n, n_emg + len(MOTION_PIN_NAMES)))
        if n == 0:
            return out
        c = self.config
        cont = c.contamination
        t = (self._pos + np.arange(n)) / self.fs
        self._pos += n
        white = self._rng_emg.standard_normal((n, n_emg))
        shaped, self._zi = signal.sosfilt(self._sos, white, axis=0, zi=self._zi)
        emg = shaped * self.activation(t) * self._mvc_uv
        emg += cont.noise_uv * self._rng_noise.standard_normal((n, n_emg))
        if cont.mains_hz:
            amp = np.array([1.0, 0.8, 1.1, 0.9])
            phase = np.array([0.0, 0.3, -0.2, 0.5])
            w = 2 * math.pi * cont.mains_hz * t[:, None]
            emg += cont.mains_uv * amp * (np.sin(w + phase) + 0.2 * np.sin(3 * w + 2 * phase))
        if cont.ecg:
            ecg = self._ecg_uv(t)
            for i, (_, muscle, side) in enumerate(EMG_PIN_ROLES):
                if muscle == Muscle.ERECTOR:
                    emg[:, i] += ecg * (1.0 if side.value == "left" else 0.6)
        if cont.motion_artifacts:
            emg += self._artifact_uv(t)
        if cont.clipping:
            emg *= cont.clipping_gain
        if c.envelope_output:
            env, self._env_zi = signal.sosfilt(self._env_sos, np.abs(emg), axis=0, zi=self._env_zi)
            emg = np.maximum(env, 0.0) * c.envelope_mv_per_uv
        for name in cont.electrode_off:
            i = [r[0] for r in EMG_PIN_ROLES].index(name)
            if cont.electrode_off_mode == "flat":
                emg[:, i] = 0.0
            else:  # input pulled to the supply: beyond any ADC rail
                emg[:, i] = 5000.0 if c.envelope_output else 50_000.0
        out[:, :n_emg] = emg
        theta = np.radians(self.sensor_inclination_deg(t))
        noise = c.accel_noise_g * self._rng_accel.standard_normal((n, 2))
        out[:, n_emg] = np.cos(theta) + noise[:, 0]
        out[:, n_emg + 1] = np.sin(theta) + noise[:, 1]
        return out

    @property
    def segments(self) -> SegmentModel:
        """Pelvis, thigh and thorax kinematics and their IMUs (built on first use)."""
        if getattr(self, "_segments", None) is None:
            self._segments = SegmentModel(self, self.config.imu)
        return self._segments

    def imu(self, first_index: int, n: int) -> dict[str, np.ndarray]:
        """Each configured IMU's (n, 6) readings (acc_g xyz, gyr_deg_s xyz) at EMG sample
        indices [first_index, first_index + n): deterministic, in any chunks and order."""
        return self.segments.imu(int(first_index), int(n))

    @property
    def position(self) -> int:
        """Samples rendered so far."""
        return self._pos

    def render_all(self) -> np.ndarray:
        """The whole planned session from its start (a fresh copy; streaming state untouched)."""
        return Athlete(self.config).render(int(round(self.duration_s * self.fs)))

    def with_rate(self, sample_rate_hz: float) -> "Athlete":
        """The same athlete and session sampled at another rate (from the start)."""
        return Athlete(replace(self.config, sample_rate_hz=float(sample_rate_hz)))
