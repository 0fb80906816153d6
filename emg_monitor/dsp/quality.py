"""Continuous signal-quality flags per EMG channel, each with a reason a lifter can act on.

Evaluated on sliding windows at fixed sample indices (every ``hop_s``), so the
flags do not depend on how the stream is chunked, and cheaply: one FFT and a
few reductions per channel per hop, nothing per sample.

Flags and why they matter for a glute/erector ratio:

* ELECTRODE_OFF: a flat line (lead off, cable out, amplifier saturated quiet).
* CLIPPING: samples sitting at the ADC rails; the RMS of a clipped burst is
  underestimated, so the ratio is biased toward the unclipped muscle.
* MAINS: 50/60 Hz pickup dominating the window: usually a lifted electrode or a
  dry reference (the notch removes the line, not a loose contact).
* ECG: the heartbeat in lumbar leads (QRS energy 10-30 Hz, repeating at
  0.8-2 Hz) inflates the erector amplitude at low effort (Drake & Callaghan 2006).
* MOTION_ARTEFACT: more power below 15 Hz than in the EMG band: cable or
  electrode movement, which the 20 Hz high-pass only partly removes (De Luca 2010).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
from scipy import signal

from ..model import DeviceInfo, Kind, Muscle, unit_label
from .pipeline import FilterSettings


class QualityFlag(str, enum.Enum):
    ELECTRODE_OFF = "electrode_off"
    CLIPPING = "clipping"
    MAINS = "mains"
    ECG = "ecg"
    MOTION_ARTEFACT = "motion_artefact"


@dataclass(frozen=True)
class QualityIssue:
    flag: QualityFlag
    channel: str
    reason: str


#: standard deviation below which a raw channel counts as a flat line, per unit
_FLAT_STD = {"uV": 0.5, "mV": 0.0005, "V": 5e-7}
_CLIP_MIN_FRACTION = 0.005      # >= 0.5 % of the window at a rail
_CLIP_MIN_RUN = 3               # real sEMG does not stay on its extreme for 3 samples
_CLIP_MIN_LEVELS = 20           # fewer distinct values: a quantised quiet signal, not clipping
_MAINS_FRACTION = 0.5           # mains lines carry over half the window's power
_MOTION_RATIO = 2.0             # 1-15 Hz power over EMG-band power
_ECG_MIN_CORR = 0.4             # autocorrelation of the 10-30 Hz energy at a heart-rate lag
_ECG_MIN_SPIKINESS = 4.0        # QRS spikes: 99th percentile over median of that energy


class QualityMonitor:
    """Per-channel flags over the last ``window_s`` (ECG over ``ecg_window_s``: a heartbeat
    needs several periods to be told from noise).

    rails: optional {channel: (lo, hi)} ADC limits in channel units; without them
    clipping is recognised as runs of identical samples at the window's extreme.
    """

    def __init__(self, info: DeviceInfo, settings: FilterSettings = FilterSettings(),
                 window_s: float = 1.0, rails: dict[str, tuple[float, float]] | None = None,
                 hop_s: float = 0.25, ecg_window_s: float = 4.0) -> None:
        self.info = info
        self.settings = settings
        fs = float(info.sample_rate_hz)
        self.sample_rate_hz = fs
        self.emg_indices = info.emg_indices()
        self.channels = [info.channels[i] for i in self.emg_indices]
        self.emg_names = tuple(ch.name for ch in self.channels)
        self.rails = dict(rails or {})
        self._win = max(16, int(round(window_s * fs)))
        self._ecg_win = max(self._win, int(round(ecg_window_s * fs)))
        self._hop = max(1, int(round(hop_s * fs)))
        self._hist_len = self._ecg_win
        f = np.fft.rfftfreq(self._win, 1.0 / fs)
        self._freqs = f
        self._taper = np.hanning(self._win)
        lp = min(settings.lowpass_hz, 0.45 * fs)
        self._low_band = (f >= 1.0) & (f <= 15.0)
        self._emg_band = (f >= 20.0) & (f <= lp)
        mains = [float(settings.mains)] if settings.mains in ("50", "60") else [50.0, 60.0]
        self._mains_masks = {}
        for f0 in mains:
            m = np.zeros_like(f, dtype=bool)
            for k in range(1, 4):
                if k * f0 < fs / 2:
                    m |= np.abs(f - k * f0) <= 1.0
            self._mains_masks[f0] = m
        self._ecg_sos = signal.butter(2, [10.0, min(30.0, 0.45 * fs)], "bandpass", fs=fs, output="sos") \
            if fs > 70 else None
        self.reset()

    def reset(self) -> None:
        self._buf = np.zeros((2 * self._hist_len, len(self.emg_indices)))
        self._pos = 0
        self._n_seen = 0
        self._next_eval = self._win
        self.current: dict[str, tuple[QualityIssue, ...]] = {n: () for n in self.emg_names}

    # --- streaming ---------------------------------------------------------------
    def update(self, data: np.ndarray) -> dict[str, tuple[QualityIssue, ...]]:
        """data: (n, n_channels) all channels -> latest issues per EMG channel (empty tuple = fine)."""
        x = np.asarray(data, dtype=float)[:, self.emg_indices]
        i = 0
        n = x.shape[0]
        while i < n:
            take = min(n - i, self._next_eval - self._n_seen)
            self._append(x[i:i + take])
            i += take
            self._n_seen += take
            if self._n_seen == self._next_eval:
                self.current = self._evaluate()
                self._next_eval += self._hop
        return self.current

    def _append(self, x: np.ndarray) -> None:
        n = x.shape[0]
        L = self._hist_len
        if n >= L:
            self._buf[:L] = x[-L:]
            self._pos = L
            return
        if self._pos + n > 2 * L:
            self._buf[:L] = self._buf[self._pos - L:self._pos]
            self._pos = L
        self._buf[self._pos:self._pos + n] = x
        self._pos += n

    def _recent(self, length: int) -> np.ndarray:
        length = min(length, self._pos)
        return self._buf[self._pos - length:self._pos]

    # --- checks ------------------------------------------------------------------
    def _evaluate(self) -> dict[str, tuple[QualityIssue, ...]]:
        win = self._recent(self._win)
        spectra = None
        raw_cols = [j for j, ch in enumerate(self.channels) if ch.kind == Kind.RAW_EMG]
        if raw_cols:
            w = win[:, raw_cols]
            w = (w - w.mean(axis=0)) * self._taper[:, None]
            spectra = dict(zip(raw_cols, (np.abs(np.fft.rfft(w, axis=0)) ** 2).T))
        ecg_hist = self._recent(self._ecg_win) if self._n_seen >= self._ecg_win else None
        out = {}
        for j, ch in enumerate(self.channels):
            issues: list[QualityIssue] = []
            x = win[:, j]
            issues += self._flat(ch, x)
            issues += self._clipping(ch, x)
            if spectra is not None and j in spectra:
                p = spectra[j]
                issues += self._mains(ch, p)
                ecg = []
                if ch.muscle == Muscle.ERECTOR and ecg_hist is not None and self._ecg_sos is not None:
                    ecg = self._ecg(ch, ecg_hist[:, j])
                issues += ecg
                if not ecg:
                    issues += self._motion(ch, p)
            out[ch.name] = tuple(issues)
        return out

    def _flat(self, ch, x) -> list[QualityIssue]:
        std = float(x.std())
        limit = _FLAT_STD.get(ch.unit, 0.0)
        if std <= limit:
            return [QualityIssue(QualityFlag.ELECTRODE_OFF, ch.name,
                                 f"flat line (SD {std:.3g} {unit_label(ch.unit)} over "
                                 f"{len(x) / self.sample_rate_hz:.0f} s): "
                                 "check the electrode and its cable")]
        return []

    def _clipping(self, ch, x) -> list[QualityIssue]:
        n = len(x)
        rails = self.rails.get(ch.name)
        if rails is not None:
            lo, hi = rails
            tol = 0.002 * (hi - lo)
            frac = float(np.count_nonzero((x <= lo + tol) | (x >= hi - tol))) / n
            if frac >= _CLIP_MIN_FRACTION:
                return [QualityIssue(QualityFlag.CLIPPING, ch.name,
                                     f"{frac:.1%} of samples at the ADC limits ({lo:g}/{hi:g} {unit_label(ch.unit)}): "
                                     "lower the gain or check the electrode")]
            return []
        for extreme, label in ((x.max(), "upper"), (x.min(), "lower")):
            at = x == extreme
            runs = int(np.count_nonzero(at[:-2] & at[1:-1] & at[2:]))
            if runs and float(np.count_nonzero(at)) / n >= _CLIP_MIN_FRACTION and \
                    len(np.unique(x)) >= _CLIP_MIN_LEVELS:
                return [QualityIssue(QualityFlag.CLIPPING, ch.name,
                                     f"signal stuck at its {label} extreme {extreme:g} {unit_label(ch.unit)} in "
                                     f"{np.count_nonzero(at)} samples: the amplifier is saturating")]
        return []

    def _mains(self, ch, p) -> list[QualityIssue]:
        total = float(p[1:].sum())
        if total <= 0:
            return []
        for f0, mask in self._mains_masks.items():
            frac = float(p[mask].sum()) / total
            if frac >= _MAINS_FRACTION:
                return [QualityIssue(QualityFlag.MAINS, ch.name,
                                     f"{f0:.0f} Hz mains carries {frac:.0%} of the power: press the electrode "
                                     "on, check the reference electrode and skin preparation")]
        return []

    def _motion(self, ch, p) -> list[QualityIssue]:
        low = float(p[self._low_band].sum())
        band = float(p[self._emg_band].sum())
        if low > _MOTION_RATIO * band and low > 0:
            ratio = low / band if band > 0 else np.inf
            return [QualityIssue(QualityFlag.MOTION_ARTEFACT, ch.name,
                                 f"{ratio:.1f}x more power below 15 Hz than in the EMG band: "
                                 "tape the cable down and check the electrode contact")]
        return []

    def _ecg(self, ch, x) -> list[QualityIssue]:
        fs = self.sample_rate_hz
        y = signal.sosfilt(self._ecg_sos, x - x.mean())
        step = max(1, int(fs // 50))                   # energy envelope at ~50 Hz
        e = y * y
        k = max(1, int(round(0.04 * fs)))
        c = np.concatenate(([0.0], np.cumsum(e)))
        env = ((c[k:] - c[:-k]) / k)[::step]
        env = env[int(0.5 * fs / step):]               # skip the band-pass settling
        if env.size < 20:
            return []
        med = float(np.median(env))
        spiky = float(np.percentile(env, 99)) / med if med > 0 else 0.0
        d = env - env.mean()
        denom = float(d @ d)
        if denom <= 0:
            return []
        fe = fs / step
        lag0, lag1 = int(0.5 * fe), min(int(1.25 * fe) + 1, d.size - 1)
        if lag1 <= lag0:
            return []
        # the autocorrelation at heart-rate lags (48-120 bpm), all lags in one pass
        acf = np.correlate(d, d, mode="full")[d.size - 1 + lag0:d.size - 1 + lag1]
        r = float(acf.max()) / denom
        if r >= _ECG_MIN_CORR and spiky >= _ECG_MIN_SPIKINESS:
            best = lag0 + int(np.argmax(acf))
            return [QualityIssue(QualityFlag.ECG, ch.name,
                                 f"heartbeat in the 10-30 Hz band (~{60 * fe / best:.0f} bpm): move the "
                                 "electrode away from the heart's axis; the 30 Hz high-pass reduces it")]
        return []
