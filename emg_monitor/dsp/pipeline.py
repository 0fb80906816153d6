"""The per-channel EMG chain, streaming and causal, identical offline.

RAW_EMG:  band-pass (high-pass by muscle, low-pass 450 Hz or 0.45*fs)
          -> mains notch (fundamental + harmonics, decided at a fixed sample)
          -> full-wave rectification + moving RMS (|x|^2 == x^2, so the rectifier
             is implicit in the square)
          -> noise floor removed in quadrature, / MVC * 100  (when calibrated)
ENVELOPE: a sensor's own envelope (MyoWare ENV, mV): baseline removed, smoothed,
          / MVC * 100 (when calibrated).
MOTION / OTHER channels are not touched here.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..model import DeviceInfo, Kind, Muscle
from .calibration import Calibration
from .envelope import MovingAverage
from .finite import FiniteGuard, all_plausible
from .filters import (StreamingSos, bandpass_sos, effective_lowpass_hz, notch_frequencies_hz,
                      notch_sos, sos_state_after)
from .mains import detect_mains_hz

MAINS_CHOICES = ("auto", "50", "60", "off")
_LONG = 4096   # inputs at least this long take the whole-recording path (outputs filled in place)
# outputs smaller than numpy's huge-page threshold (4 MiB) share one allocation (see _process_long)
_SHARE_BELOW_BYTES = 4 << 20
_SLAB = 16384  # samples per step of that path: a (4 channels x slab) float64 scratch (512 KiB) stays in L2


@dataclass(frozen=True)
class FilterSettings:
    highpass_glute_hz: float = 20.0      # 20 Hz: removes movement artefact (De Luca et al. 2010)
    highpass_erector_hz: float = 30.0    # 30 Hz on lumbar channels: rejects ECG (Drake & Callaghan 2006)
    highpass_other_hz: float = 20.0
    lowpass_hz: float = 450.0            # clipped to 0.45*fs (e.g. 225 Hz for 500 Hz data)
    order: int = 4                       # Butterworth order per edge
    mains: str = "auto"                  # "auto" | "50" | "60" | "off"
    notch_harmonics: int = 3             # notches: fundamental + 2 harmonics (those below the low-pass)
    notch_q: float = 30.0                # -3 dB width f0/Q: 1.7 Hz at 50 Hz, 2 Hz at 60 Hz
    mains_detect_s: float = 1.0          # "auto" decides after this much signal, at a fixed sample
    rms_window_s: float = 0.1            # 100 ms: tracks a 0.3-1 s lockout, 50 ms group delay
    envelope_smoothing_s: float = 0.1    # sensor envelopes: same time scale as the RMS window

    def __post_init__(self) -> None:
        numbers = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                   if f.name != "mains"}
        bad = [k for k, v in numbers.items()
               if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)]
        if bad:
            raise ValueError(f"filter settings: {', '.join(bad)} must be finite numbers")
        if min(self.highpass_glute_hz, self.highpass_erector_hz, self.highpass_other_hz,
               self.lowpass_hz, self.mains_detect_s) <= 0:
            raise ValueError("filter settings: the filter edges and mains_detect_s must be "
                            "positive")
        if self.order > 10 or self.notch_harmonics > 10:
            raise ValueError("filter settings: order and notch_harmonics are at most 10")
        if max(self.highpass_glute_hz, self.highpass_erector_hz, self.highpass_other_hz,
               self.lowpass_hz) > 1e5 or self.notch_q > 1e3 or max(
                self.mains_detect_s, self.rms_window_s, self.envelope_smoothing_s) > 60:
            raise ValueError("filter settings: edges above 100 kHz, a notch Q above 1000 or "
                            "windows longer than 60 s are not EMG settings")
        if self.mains not in MAINS_CHOICES:
            raise ValueError(f"mains must be one of {', '.join(MAINS_CHOICES)} (got {self.mains!r})")
        if self.rms_window_s <= 0 or self.envelope_smoothing_s <= 0:
            raise ValueError("rms_window_s and envelope_smoothing_s must be positive")
        if self.order < 1 or self.notch_harmonics < 0 or self.notch_q <= 0:
            raise ValueError("order must be >= 1, notch_harmonics >= 0 and notch_q > 0")

    def highpass_for(self, muscle: Muscle | None) -> float:
        if muscle == Muscle.GLUTE:
            return self.highpass_glute_hz
        if muscle == Muscle.ERECTOR:
            return self.highpass_erector_hz
        return self.highpass_other_hz

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "FilterSettings":
        """Unknown keys (from a newer version) are ignored; bad values raise ValueError."""
        names = {f.name: f.type for f in dataclasses.fields(cls)}
        if not isinstance(d, dict):
            raise ValueError("filter settings are not an object")
        kwargs: dict[str, object] = {}
        for k, v in d.items():
            if k not in names:
                continue
            if k == "mains":
                kwargs[k] = str(v)
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"filter setting {k} = {str(v)[:30]!r} is not a number")
            if k in ("order", "notch_harmonics"):
                if not (math.isfinite(v) and float(v).is_integer()):
                    raise ValueError(f"filter setting {k} = {v!r} is not a whole number")
                kwargs[k] = int(v)
            else:
                kwargs[k] = float(v)
        return cls(**kwargs)  # type: ignore[arg-type]  # each value checked above


@dataclass(slots=True)
class Processed:
    """One chunk's output (made per 20-sample chunk on the live path: slots, not frozen,
    cost a third of a frozen record's construction)."""

    filtered: np.ndarray     # (n, n_emg) band-passed + notched EMG (uV); envelope channels: baseline-removed
    envelope: np.ndarray     # (n, n_emg) RMS envelope in Pipeline.envelope_unit
    #: (n, n_emg) True where the input sample was NaN/inf/impossible (outputs there are NaN);
    #: None when every sample was good
    invalid: np.ndarray | None = None


class Pipeline:
    """Streaming, causal, state carried chunk to chunk (SOS + zi, mne-lsl style).

    ``process`` on a recording in one call and in chunks of any size gives the
    same output: the only data-dependent decision (mains "auto") is taken at
    sample index ``round(mains_detect_s * fs)`` whatever the chunking.
    """

    def __init__(self, info: DeviceInfo, settings: FilterSettings = FilterSettings(),
                 calibration: Calibration | None = None) -> None:
        self.info = info
        self.settings = settings
        self.calibration = calibration
        fs = float(info.sample_rate_hz)
        if fs <= 0:
            raise ValueError("the device reported no sampling rate")
        self.sample_rate_hz = fs
        self.emg_indices: list[int] = info.emg_indices()
        self.emg_names: tuple[str, ...] = tuple(info.channels[i].name for i in self.emg_indices)
        chans = [info.channels[i] for i in self.emg_indices]
        self._raw_pos = [k for k, ch in enumerate(chans) if ch.kind == Kind.RAW_EMG]
        self._env_pos = [k for k, ch in enumerate(chans) if ch.kind == Kind.ENVELOPE]
        self._raw_cols = [self.emg_indices[k] for k in self._raw_pos]
        self._env_cols = [self.emg_indices[k] for k in self._env_pos]
        self._all_raw = len(self._raw_pos) == len(chans)
        # long inputs keep raw rows first, then envelope rows; _out_order maps back to device order
        internal = self._raw_pos + self._env_pos
        self._row_order = np.array(internal, dtype=int)
        self._out_order = (None if internal == list(range(len(internal)))
                           else np.argsort(self._row_order))
        # a contiguous run of columns is taken as a view (no gather on the live path)
        rc = self._raw_cols
        self._raw_sel = (slice(rc[0], rc[-1] + 1) if rc and rc == list(range(rc[0], rc[-1] + 1))
                         else rc)
        self.lowpass_hz = effective_lowpass_hz(settings.lowpass_hz, fs)
        highest_hp = max((settings.highpass_for(chans[k].muscle) for k in self._raw_pos),
                         default=0.0)
        if self._raw_pos and highest_hp >= settings.lowpass_hz:
            raise ValueError(f"filter settings: the {highest_hp:g} Hz high-pass is not below "
                            f"the {settings.lowpass_hz:g} Hz low-pass")
        if self._raw_pos and not 0 < highest_hp < self.lowpass_hz:
            raise ValueError(
                f"a sampling rate of {fs:g} Hz is too low for raw EMG: its {highest_hp:g} Hz "
                f"high-pass needs more than {highest_hp / 0.45:.0f} Hz (sEMG is sampled at "
                "1000-2000 Hz); check --sample-rate or the time column")
        self._bp_sos = [bandpass_sos(fs, settings.highpass_for(chans[k].muscle), settings.lowpass_hz,
                                     settings.order) for k in self._raw_pos]
        # the sample at which "auto" decides (only read while undecided; 0: nothing to decide)
        self._decide_at: int = (int(round(settings.mains_detect_s * fs))
                                if settings.mains == "auto" and self._raw_pos else 0)
        self._chans = chans
        self._apply_calibration(chans, calibration)
        self._rms_win = max(1, int(round(settings.rms_window_s * fs)))
        self._smooth_win = max(1, int(round(settings.envelope_smoothing_s * fs)))
        self.reset()

    # --- set-up ----------------------------------------------------------------
    def set_calibration(self, calibration: Calibration | None) -> None:
        """Change the scaling stage in place (mne-lsl style): the filter state, the RMS
        window and the mains decision go on, so the envelope continues without a transient
        (the moving RMS holds unscaled squares; the scale applies after it). A sensor
        envelope's smoothing holds 0.1 s of samples with the old baseline removed."""
        try:
            self._apply_calibration(self._chans, calibration)
        except Exception:
            self._apply_calibration(self._chans, self.calibration)   # unusable: keep the old one
            raise
        self.calibration = calibration

    def _apply_calibration(self, chans, cal: Calibration | None) -> None:
        self.calibrated = False
        units = {ch.unit for ch in chans}
        self.envelope_unit: str = units.pop() if len(units) == 1 else "mixed"
        n_raw, n_env = len(self._raw_pos), len(self._env_pos)
        self._rest_sq = np.zeros(n_raw)
        self._raw_scale = np.ones(n_raw)
        self._env_base = np.zeros(n_env)
        self._env_scale = np.ones(n_env)
        if cal is None or not chans:
            return
        missing = [ch.name for ch in chans if ch.name not in cal.mvc_rms or cal.mvc_rms[ch.name] <= 0]
        if missing:
            raise ValueError(f"the calibration has no usable MVC for {', '.join(missing)}: "
                            "run the calibration again with these electrodes on")
        wrong_unit = [ch.name for ch in chans if ch.unit != cal.unit]
        if wrong_unit:
            raise ValueError(f"the calibration was made in {cal.unit} but {', '.join(wrong_unit)} "
                            f"deliver a different unit: calibrate again with this device")
        for j, k in enumerate(self._raw_pos):
            name = chans[k].name
            self._rest_sq[j] = cal.rest_rms.get(name, 0.0) ** 2
            self._raw_scale[j] = 100.0 / cal.mvc_rms[name]
        for j, k in enumerate(self._env_pos):
            name = chans[k].name
            self._env_base[j] = cal.rest_rms.get(name, 0.0)
            self._env_scale[j] = 100.0 / cal.mvc_rms[name]
        self.calibrated = True
        self.envelope_unit = "pct_mvc"

    def _notch(self, mains_hz: float) -> np.ndarray:
        freqs = notch_frequencies_hz(mains_hz, self.settings.notch_harmonics, self.lowpass_hz)
        return notch_sos(self.sample_rate_hz, freqs, self.settings.notch_q)

    def reset(self) -> None:
        """Forget all state: the next sample is treated as the first of a new stream."""
        s = self.settings
        self._n_seen = 0
        self._guard = FiniteGuard(len(self.emg_indices))
        self._last_good: np.ndarray | None = None    # the last chunk that was all plausible
        self._pre_buffer: list[np.ndarray] = []
        self.mains_hz: float | None = None
        self.mains_decided = s.mains != "auto" or not self._raw_pos
        designs = self._bp_sos
        if s.mains in ("50", "60") and self._raw_pos:
            self.mains_hz = float(s.mains)
            notch = self._notch(self.mains_hz)
            designs = [np.vstack([b, notch]) for b in self._bp_sos]
        self._filter = StreamingSos(designs) if self._raw_pos else None
        self._rms = MovingAverage(self._rms_win, len(self._raw_pos)) if self._raw_pos else None
        self._smooth = MovingAverage(self._smooth_win, len(self._env_pos)) if self._env_pos else None

    def clear_state(self) -> None:
        """A jump in the stream (a replay seek): forget the filter and window state, keep the
        mains decision (the same recording, the same mains line)."""
        if not self.mains_decided:
            self.reset()
            return
        if self._filter is not None:
            self._filter.reset()
        for avg in (self._rms, self._smooth):
            if avg is not None:
                avg.reset()

    # --- streaming -------------------------------------------------------------
    def _filter_raw(self, x: np.ndarray) -> np.ndarray:
        if self.mains_decided:
            return self._filter.process(x)
        n = x.shape[0]
        k = min(n, self._decide_at - self._n_seen)
        head = self._filter.process(x[:k])
        self._pre_buffer.append(head)
        if self._n_seen + k < self._decide_at:
            return head
        self._decide()
        if k == n:
            return head
        return np.concatenate((head, self._filter.process(x[k:])), axis=0)

    def _decide(self) -> None:
        """Choose the notch from the band-passed first second; warm its state on that second
        so the output from here on equals a notch that had been running from the start."""
        pre = np.concatenate(self._pre_buffer, axis=0)
        self._pre_buffer = []
        self.mains_decided = True
        self.mains_hz = detect_mains_hz(pre, self.sample_rate_hz)
        if self.mains_hz is None:
            return
        notch = self._notch(self.mains_hz)
        if notch.shape[0] == 0:
            return
        assert self._filter is not None and self._filter.state is not None   # decided on data
        state = np.concatenate((self._filter.state, sos_state_after(notch, pre)), axis=1)
        self._filter.set_designs([np.vstack([b, notch]) for b in self._bp_sos], state)

    def process(self, data: np.ndarray) -> Processed:
        """data: (n, n_channels), all channels of a SampleBlock -> Processed for the EMG channels."""
        data = np.asarray(data, dtype=float)
        bad = None
        if not all_plausible(data):             # rare: never let NaN/inf into the filter state
            if self._last_good is not None:     # the guard holds from the last good sample
                self._guard.hold(self._last_good[-1, self.emg_indices])
                self._last_good = None          # from here on the guard's own hold is newer
            held, bad = self._guard.process(data[:, self.emg_indices])
            if bad is not None:
                data = data.copy()
                data[:, self.emg_indices] = held
        elif data.shape[0]:
            # kept by reference (no per-chunk copy on the live path): read only if a bad
            # sample ever comes
            self._last_good = data
        out = self._process_long(data) if data.shape[0] >= _LONG else self._process_chunk(data)
        if bad is None:
            return out
        out.filtered[bad] = np.nan
        out.envelope[bad] = np.nan
        return Processed(out.filtered, out.envelope, bad)

    def _process_long(self, data: np.ndarray) -> Processed:
        """A long input (a whole recording): the same chain as ``_process_chunk`` (the same state
        updates, so calls of either kind can follow each other), but each output is allocated once,
        channel-major, and filled slab by slab in place. One sosfilt call per design group per slab;
        squares and running sums go to one scratch buffer that stays in cache. Fresh output memory
        costs a page fault per 4 KiB page (~1.5 us here), so nothing else of full length is
        allocated, and two outputs below 4 MiB each share ONE allocation: numpy asks for huge
        pages from 4 MiB on, and glibc keeps a freed block that large for reuse instead of
        trimming it (measured: 60 s x 4 channels, ~1900 faults per call -> 0 when warm). Larger
        outputs get huge pages on their own and stay separate, so keeping only ``envelope``
        does not keep a big ``filtered`` alive."""
        n = data.shape[0]
        n_raw, n_env = len(self._raw_pos), len(self._env_pos)
        # internal rows: raw channels first, then sensor envelopes; reordered at the end if needed
        if (n_raw + n_env) * n * 8 < _SHARE_BELOW_BYTES:
            filt_t, env_t = np.empty((2, n_raw + n_env, n))
        else:
            filt_t, env_t = np.empty((n_raw + n_env, n)), np.empty((n_raw + n_env, n))
        start = 0
        if not self.mains_decided:
            # up to the mains decision: the chunk path (buffers the band-passed first second)
            start = min(n, self._decide_at - self._n_seen)
            head = self._process_chunk(data[:start])
            filt_t[:, :start] = head.filtered.T[self._row_order]
            env_t[:, :start] = head.envelope.T[self._row_order]
        scratch = np.empty((max(n_raw, n_env), min(_SLAB, n - start)))
        for a in range(start, n, _SLAB):
            b = min(a + _SLAB, n)
            v = scratch[:, :b - a]
            if n_raw:
                ft, et = filt_t[:n_raw, a:b], env_t[:n_raw, a:b]
                self._filter.process_rows_into(data[a:b, self._raw_sel], ft)
                self._rms.process_rows_into(np.square(ft, out=v[:n_raw]), et)
                if self.calibrated:
                    et -= self._rest_sq[:, None]
                np.maximum(et, 0.0, out=et)
                np.sqrt(et, out=et)
                if self.calibrated:
                    et *= self._raw_scale[:, None]
            if n_env:
                ft, et = filt_t[n_raw:, a:b], env_t[n_raw:, a:b]
                np.subtract(data[a:b, self._env_cols].T, self._env_base[:, None], out=ft)
                v[:n_env] = ft
                self._smooth.process_rows_into(v[:n_env], et)
                if self.calibrated:
                    np.maximum(et, 0.0, out=et)
                    et *= self._env_scale[:, None]
        self._n_seen += n - start
        if self._out_order is not None:
            filt_t, env_t = filt_t[self._out_order], env_t[self._out_order]
        return Processed(filt_t.T, env_t.T)

    def _process_chunk(self, data: np.ndarray) -> Processed:
        n = data.shape[0]
        if self._all_raw:
            y = self._filter_raw(data[:, self._raw_sel])
            env = self._raw_envelope(y)
            self._n_seen += n
            return Processed(y, env)
        filtered = np.empty((n, len(self.emg_indices)))
        envelope = np.empty_like(filtered)
        if self._raw_pos:
            y = self._filter_raw(data[:, self._raw_cols])
            filtered[:, self._raw_pos] = y
            envelope[:, self._raw_pos] = self._raw_envelope(y)
        if self._env_pos:
            e = data[:, self._env_cols] - self._env_base
            filtered[:, self._env_pos] = e
            sm = self._smooth.process(e)
            if self.calibrated:
                np.maximum(sm, 0.0, out=sm)
                sm *= self._env_scale
            envelope[:, self._env_pos] = sm
        self._n_seen += n
        return Processed(filtered, envelope)

    def _raw_envelope(self, y: np.ndarray) -> np.ndarray:
        ms = self._rms.mean_of_squares(y)      # >= 0 exactly (see there): no clip needed
        if self.calibrated:
            ms -= self._rest_sq
            np.maximum(ms, 0.0, out=ms)
            np.sqrt(ms, out=ms)
            ms *= self._raw_scale
            return ms
        return np.sqrt(ms, out=ms)


def process_offline(data: np.ndarray, info: DeviceInfo, settings: FilterSettings = FilterSettings(),
                    calibration: Calibration | None = None) -> Processed:
    """A whole recording in one call: by construction identical to streaming it."""
    return Pipeline(info, settings, calibration).process(data)


def process_zero_phase_offline(data: np.ndarray, info: DeviceInfo, settings: FilterSettings = FilterSettings(),
                               calibration: Calibration | None = None) -> Processed:
    """For reports only (not causal, not the live numbers): forward-backward band-pass and
    notch (no phase lag), then a centred moving RMS. The mains frequency is detected
    from the first ``mains_detect_s`` like the streaming chain."""
    from scipy import signal

    pipe = Pipeline(info, settings, calibration)
    data = np.asarray(data, dtype=float)
    fs = pipe.sample_rate_hz
    n = data.shape[0]
    filtered = np.empty((n, len(pipe.emg_indices)))
    envelope = np.empty_like(filtered)
    if pipe._raw_pos:
        x = data[:, pipe._raw_cols]
        bp = np.empty_like(x)
        for j, sos in enumerate(pipe._bp_sos):
            bp[:, j] = signal.sosfiltfilt(sos, x[:, j])
        mains = pipe.mains_hz
        if settings.mains == "auto":
            n_det = min(n, pipe._decide_at)
            mains = detect_mains_hz(bp[:n_det], fs) if n_det >= pipe._decide_at else None
        if mains is not None:
            notch = pipe._notch(mains)
            if notch.shape[0]:
                bp = signal.sosfiltfilt(notch, bp, axis=0)
        w = pipe._rms_win
        kernel = np.ones(w) / w
        ms = np.column_stack([np.convolve(bp[:, j] ** 2, kernel, mode="same") for j in range(bp.shape[1])])
        if pipe.calibrated:
            ms = (ms - pipe._rest_sq)
        env = np.sqrt(np.maximum(ms, 0.0))
        if pipe.calibrated:
            env *= pipe._raw_scale
        filtered[:, pipe._raw_pos] = bp
        envelope[:, pipe._raw_pos] = env
    if pipe._env_pos:
        e = data[:, pipe._env_cols] - pipe._env_base
        w = pipe._smooth_win
        kernel = np.ones(w) / w
        sm = np.column_stack([np.convolve(e[:, j], kernel, mode="same") for j in range(e.shape[1])])
        if pipe.calibrated:
            sm = np.maximum(sm, 0.0) * pipe._env_scale
        filtered[:, pipe._env_pos] = e
        envelope[:, pipe._env_pos] = sm
    return Processed(filtered, envelope)
