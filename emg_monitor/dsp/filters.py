"""Causal IIR filters in SOS form with state carried from chunk to chunk.

After mne-lsl's ``stream/_filters.py``: second-order sections (numerically safe
for a 20-450 Hz band-pass at 2 kHz) and the state ``zi`` kept between calls,
so a stream processed in chunks of any size gives the output of one call.

``scipy.signal.sosfilt`` costs ~30 µs per call whatever the chunk size, which
alone would cap a 20-sample, 2 kHz live path near 300x real time. Short chunks
therefore go through the same linear map written as one small matrix:
``[y; z'] = M_n @ [z; x]``, where ``M_n`` is built *by sosfilt itself* (its
responses to unit states and unit impulses), so both paths compute the same
filter with the same state layout and can be mixed freely.
"""
from __future__ import annotations

import functools

import numpy as np
from scipy import signal

#: chunks up to this length use the cached block matrix; longer ones use sosfilt.
BLOCK_MAX = 64
#: block matrices kept per filter bank, least recently used dropped first. A paced source
#: delivers chunks of a few neighbouring sizes (38-42 samples for 20 ms at 2 kHz, by
#: scheduling jitter); rebuilding one costs a sosfilt of (n, m + n), ~0.4 ms, so eight
#: entries cleared all at once rebuilt a third of all chunks. 24 at most ~4.6 MB for
#: four channels at n = 64.
_CACHE_MAX = 24


def effective_lowpass_hz(lowpass_hz: float, sample_rate_hz: float) -> float:
    """The requested low-pass, clipped to 0.45*fs so a 500 Hz stream still gets a valid design."""
    return float(min(lowpass_hz, 0.45 * sample_rate_hz))


@functools.lru_cache(maxsize=64)
def _cached_design(kind: str, *args) -> np.ndarray:
    """Designs cost ~1 ms each (zpk2sos); pipelines are built often (per recording, per calibration task)."""
    return _bandpass(*args) if kind == "bandpass" else _notch(*args)


def bandpass_sos(sample_rate_hz: float, highpass_hz: float, lowpass_hz: float, order: int) -> np.ndarray:
    """Butterworth band-pass (``order`` for each edge), SOS rows (order, 6); designed once, copied out."""
    return _cached_design("bandpass", float(sample_rate_hz), float(highpass_hz), float(lowpass_hz),
                          int(order)).copy()


def _bandpass(sample_rate_hz: float, highpass_hz: float, lowpass_hz: float, order: int) -> np.ndarray:
    lp = effective_lowpass_hz(lowpass_hz, sample_rate_hz)
    if not 0 < highpass_hz < lp:
        raise ValueError(
            f"high-pass {highpass_hz} Hz must lie between 0 and the low-pass {lp:g} Hz "
            f"(fs = {sample_rate_hz:g} Hz)")
    return signal.butter(order, [highpass_hz, lp], btype="bandpass", fs=sample_rate_hz, output="sos")


def notch_frequencies_hz(mains_hz: float, harmonics: int, below_hz: float) -> list[float]:
    """Mains fundamental and its harmonics (``harmonics`` in total) that lie below ``below_hz``."""
    return [k * mains_hz for k in range(1, harmonics + 1) if k * mains_hz < below_hz]


def notch_sos(sample_rate_hz: float, freqs_hz: list[float], q: float) -> np.ndarray:
    """One second-order IIR notch per frequency (scipy ``iirnotch``), stacked as SOS rows; designed once."""
    return _cached_design("notch", float(sample_rate_hz), tuple(float(f) for f in freqs_hz), float(q)).copy()


def _notch(sample_rate_hz: float, freqs_hz: tuple[float, ...], q: float) -> np.ndarray:
    rows = []
    for f in freqs_hz:
        b, a = signal.iirnotch(f, q, fs=sample_rate_hz)
        rows.append(np.concatenate([b, a]))
    return np.array(rows, dtype=float).reshape(-1, 6)


def _block_matrix(sos: np.ndarray, n: int) -> np.ndarray:
    """The map [state (m); input (n)] -> [output (n); new state (m)] of ``sos`` over n samples."""
    ns = sos.shape[0]
    m = 2 * ns
    x = np.zeros((n, m + n))
    zi = np.zeros((ns, 2, m + n))
    zi.reshape(m, m + n)[:, :m] = np.eye(m)
    x[:, m:] = np.eye(n)
    y, zf = signal.sosfilt(sos, x, axis=0, zi=zi)
    return np.vstack([y, zf.reshape(m, m + n)])


class StreamingSos:
    """A bank of causal SOS filters, one design per channel (channels with equal designs are grouped).

    Every design must have the same number of sections. The state starts at the
    step-response steady state for the first sample, so an electrode's DC offset
    does not ring through the band-pass.
    """

    def __init__(self, sos_per_channel: list[np.ndarray]) -> None:
        self.set_designs(sos_per_channel, state=None)

    def set_designs(self, sos_per_channel: list[np.ndarray], state: np.ndarray | None) -> None:
        """Switch designs (e.g. add the mains notch once it is known), keeping ``state`` (n_ch, m)."""
        self._groups: list[tuple[np.ndarray, np.ndarray]] = []   # (sos, channel indices)
        n_sections = {s.shape[0] for s in sos_per_channel}
        if len(n_sections) != 1:
            raise ValueError("all channel designs need the same number of sections")
        self.n_sections = n_sections.pop()
        self.n_channels = len(sos_per_channel)
        self._group_of: list[int] = []
        for sos in sos_per_channel:
            for gi, (g_sos, _) in enumerate(self._groups):
                if g_sos.shape == sos.shape and np.array_equal(g_sos, sos):
                    self._group_of.append(gi)
                    break
            else:
                self._groups.append((np.ascontiguousarray(sos, dtype=float), np.array([], dtype=int)))
                self._group_of.append(len(self._groups) - 1)
        self._groups = [
            (sos, np.array([c for c, g in enumerate(self._group_of) if g == gi], dtype=int))
            for gi, (sos, _) in enumerate(self._groups)
        ]
        self._single = len(self._groups) == 1
        self._cache: dict[int, np.ndarray] = {}
        self.state = None if state is None else np.array(state, dtype=float)

    def reset(self) -> None:
        self.state = None

    def _init_state(self, x0: np.ndarray) -> np.ndarray:
        m = 2 * self.n_sections
        state = np.empty((self.n_channels, m))
        for sos, chans in self._groups:
            zi = signal.sosfilt_zi(sos).reshape(m)
            state[chans] = x0[chans, None] * zi[None, :]
        return state

    def _matrices(self, n: int) -> np.ndarray:
        """The block matrices for chunks of n samples, kept least-recently-used last."""
        mats = self._cache.pop(n, None)
        if mats is None:
            if len(self._cache) >= _CACHE_MAX:
                del self._cache[next(iter(self._cache))]     # the least recently used
            per_group = [_block_matrix(sos, n) for sos, _ in self._groups]
            mats = np.stack([per_group[g] for g in self._group_of])
        self._cache[n] = mats
        return mats

    def process(self, x: np.ndarray) -> np.ndarray:
        """x: (n, n_channels) -> filtered (n, n_channels); the state carries over."""
        n = x.shape[0]
        if n == 0:
            return np.empty((0, self.n_channels))
        if self.state is None:
            self.state = self._init_state(x[0])
        if n <= BLOCK_MAX:
            mats = self._matrices(n)
            r = np.matmul(mats, np.concatenate((self.state, x.T), axis=1)[..., None])[..., 0]
            self.state = r[:, n:]
            return r[:, :n].T
        # long chunks: channel-major rows, so sosfilt runs along contiguous memory
        m = 2 * self.n_sections
        ns = self.n_sections
        xt = x.T
        if self._single:
            zi = self.state.reshape(self.n_channels, ns, 2).transpose(1, 0, 2)
            yt, zf = signal.sosfilt(self._groups[0][0], xt, axis=-1, zi=zi)
            self.state = zf.transpose(1, 0, 2).reshape(self.n_channels, m)
            return yt.T
        yt = np.empty((self.n_channels, n))
        for sos, chans in self._groups:
            zi = self.state[chans].reshape(len(chans), ns, 2).transpose(1, 0, 2)
            yt[chans], zf = signal.sosfilt(sos, xt[chans], axis=-1, zi=zi)
            self.state[chans] = zf.transpose(1, 0, 2).reshape(len(chans), m)
        return yt.T


    def process_rows_into(self, x: np.ndarray, out_t: np.ndarray) -> None:
        """Long inputs without the (n, ch) output: x (n, n_channels) -> out_t (n_channels, n), which may be
        a view into a caller's larger array. One sosfilt call per design group, along time; same state."""
        n = x.shape[0]
        if n == 0:
            return
        if self.state is None:
            self.state = self._init_state(x[0])
        ns = self.n_sections
        m = 2 * ns
        for sos, chans in self._groups:
            sel = slice(None) if self._single else chans
            g = self.n_channels if self._single else len(chans)
            zi = self.state[sel].reshape(g, ns, 2).transpose(1, 0, 2)
            # sosfilt copies its input into a C-ordered (g, n) array and filters that copy in place
            yt, zf = signal.sosfilt(sos, x[:, sel].T, axis=-1, zi=zi)
            out_t[sel] = yt
            self.state[sel] = zf.transpose(1, 0, 2).reshape(g, m)


def sos_state_after(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """State (n_ch, 2*sections) of ``sos`` after filtering x (n, n_ch) from rest: used to warm a filter added late."""
    ns = sos.shape[0]
    _, zf = signal.sosfilt(sos, x, axis=0, zi=np.zeros((ns, 2, x.shape[1])))
    return zf.reshape(2 * ns, x.shape[1]).T.copy()
