"""The streaming chain: chunking invariance, band limits, notch, envelope, calibration scaling."""
import numpy as np
import pytest
from scipy import signal

from emg_monitor.dsp import FilterSettings, Pipeline, process_offline, process_zero_phase_offline
from emg_monitor.dsp.calibration import Calibration
from emg_monitor.dsp.envelope import MovingAverage, moving_rms
from emg_monitor.dsp.filters import BLOCK_MAX, StreamingSos, bandpass_sos
from emg_monitor.model import EMG_PIN_ROLES, MOTION_PIN_NAMES, Channel, DeviceInfo, Kind, Muscle

FS = 2000.0


def board_info(fs=FS, kind=Kind.RAW_EMG, unit="uV"):
    chans = tuple(Channel(n, kind, unit, m, s) for n, m, s in EMG_PIN_ROLES)
    chans += tuple(Channel(n, Kind.MOTION, "g") for n in MOTION_PIN_NAMES)
    return DeviceInfo(fs, chans)


def semg(n, fs, rms_uv, rng, n_ch=4):
    """Band-limited Gaussian noise: the classic model of interference-pattern sEMG."""
    sos = signal.butter(4, [20, min(300, 0.4 * fs)], "bandpass", fs=fs, output="sos")
    x = signal.sosfilt(sos, rng.normal(size=(n, n_ch)), axis=0)
    return x / x.std(axis=0) * rms_uv


def recording(fs=FS, seconds=6.0, mains_hz=50.0, mains_uv=40.0, seed=0):
    rng = np.random.default_rng(seed)
    n = int(fs * seconds)
    t = np.arange(n) / fs
    data = np.zeros((n, 6))
    data[:, :4] = semg(n, fs, 30.0, rng) + 800.0          # electrode DC offset
    if mains_hz:
        data[:, :4] += mains_uv * np.sin(2 * np.pi * mains_hz * t + 0.3)[:, None]
    data[:, 4:] = rng.normal(0, 0.1, (n, 2))
    return data


def run_chunked(pipe, data, chunk):
    outs = [pipe.process(data[i:i + chunk]) for i in range(0, len(data), chunk)]
    return np.vstack([o.filtered for o in outs]), np.vstack([o.envelope for o in outs])


@pytest.mark.parametrize("chunk", [1, 20, 997])
def test_streaming_equals_offline_with_mains_auto(chunk):
    info = board_info()
    data = recording(seconds=3.0)
    ref = process_offline(data, info)
    pipe = Pipeline(info)
    filt, env = run_chunked(pipe, data, chunk)
    assert pipe.mains_hz == 50.0
    scale = np.abs(ref.filtered).max()
    np.testing.assert_allclose(filt, ref.filtered, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(env, ref.envelope, rtol=0, atol=1e-9 * scale)


def test_mixed_chunk_sizes_equal_offline_and_decision_index_is_fixed():
    info = board_info()
    data = recording(seconds=2.5, mains_hz=60.0)
    ref = process_offline(data, info)
    rng = np.random.default_rng(3)
    sizes = rng.integers(1, 400, size=200)
    pipe = Pipeline(info)
    outs, i = [], 0
    for s in sizes:
        outs.append(pipe.process(data[i:i + s]))
        i += s
        if i >= len(data):
            break
    filt = np.vstack([o.filtered for o in outs])
    assert pipe.mains_hz == 60.0
    np.testing.assert_allclose(filt, ref.filtered[:len(filt)], atol=1e-9 * np.abs(ref.filtered).max())


def test_block_path_and_sosfilt_path_agree():
    sos = [bandpass_sos(FS, 20, 450, 4), bandpass_sos(FS, 30, 450, 4)]
    x = np.random.default_rng(1).normal(size=(500, 2))
    a = StreamingSos(sos)
    ya = np.vstack([a.process(x[i:i + 7]) for i in range(0, 500, 7)])      # block matrices
    b = StreamingSos(sos)
    yb = b.process(x)                                                      # sosfilt
    assert 7 <= BLOCK_MAX < 500
    np.testing.assert_allclose(ya, yb, atol=1e-12)
    ref = np.column_stack([signal.sosfilt(s, x[:, j], zi=signal.sosfilt_zi(s) * x[0, j])[0]
                           for j, s in enumerate(sos)])
    np.testing.assert_allclose(yb, ref, atol=1e-12)


def test_band_pass_removes_dc_and_slow_drift_and_keeps_emg_band():
    info = board_info()
    fs = FS
    n = int(6 * fs)
    t = np.arange(n) / fs
    data = np.zeros((n, 6))
    data[:, :4] = 2000.0 + 300.0 * np.sin(2 * np.pi * 2.0 * t)[:, None]    # offset + motion
    data[:, :4] += 20.0 * np.sin(2 * np.pi * 150.0 * t)[:, None]           # in-band tone
    out = process_offline(data, info, FilterSettings(mains="off")).filtered[int(fs):]
    f, p = signal.welch(out, fs=fs, nperseg=2000, axis=0)
    low = p[(f > 0) & (f < 10)].sum(axis=0)
    tone = p[np.abs(f - 150) < 2].sum(axis=0)
    assert np.all(low < 1e-4 * tone)
    assert np.allclose(out.std(axis=0), 20 / np.sqrt(2), rtol=0.05)


def test_erector_channels_get_the_higher_high_pass():
    info = board_info()
    n = int(4 * FS)
    t = np.arange(n) / FS
    data = np.zeros((n, 6))
    data[:, :4] = 50 * np.sin(2 * np.pi * 25 * t)[:, None]     # between the two cut-offs
    out = process_offline(data, info, FilterSettings(mains="off")).filtered[int(FS):]
    glute = [i for i, (_, m, _) in enumerate(EMG_PIN_ROLES) if m == Muscle.GLUTE]
    erector = [i for i, (_, m, _) in enumerate(EMG_PIN_ROLES) if m == Muscle.ERECTOR]
    assert out[:, glute].std(axis=0).min() > 1.5 * out[:, erector].std(axis=0).max()


def test_notch_removes_detected_mains_and_envelope_tracks_emg():
    info = board_info()
    clean = recording(seconds=6, mains_hz=None, seed=5)
    hum = recording(seconds=6, mains_hz=50.0, mains_uv=60.0, seed=5)
    a = process_offline(clean, info).envelope[int(2 * FS):]
    b = process_offline(hum, info).envelope[int(2 * FS):]
    off = process_offline(hum, info, FilterSettings(mains="off")).envelope[int(2 * FS):]
    assert np.mean(off) > 1.5 * np.mean(a)            # the hum inflates the raw envelope...
    assert abs(np.mean(b) / np.mean(a) - 1) < 0.03    # ...and the notch gives it back


def test_lowpass_clipped_below_nyquist_for_500_hz_data():
    info = board_info(fs=500.0)
    pipe = Pipeline(info)
    assert pipe.lowpass_hz == pytest.approx(225.0)
    data = recording(fs=500.0, seconds=3, mains_hz=60.0)
    out = pipe.process(data)
    assert np.all(np.isfinite(out.envelope))
    assert pipe.mains_hz == 60.0


def test_rms_envelope_of_a_sine_and_startup_has_no_ramp():
    fs = 1000.0
    n = 3000
    x = 10.0 * np.sin(2 * np.pi * 50 * np.arange(n) / fs)
    env = moving_rms(x, 100)
    np.testing.assert_allclose(env[200:], 10 / np.sqrt(2), rtol=1e-6)
    ma = MovingAverage(4, 1)
    out = ma.process(np.array([[2.0], [4.0], [6.0], [8.0], [10.0]]))[:, 0]
    np.testing.assert_allclose(out, [2.0, 3.0, 4.0, 5.0, 7.0])


def test_calibration_gives_pct_mvc_with_noise_removed_in_quadrature():
    info = board_info()
    names = [n for n, _, _ in EMG_PIN_ROLES]
    rng = np.random.default_rng(9)
    n = int(5 * FS)
    rest_uv = 3.0
    emg = semg(n, FS, 40.0, rng)
    noise = semg(n, FS, rest_uv, rng)
    data = np.zeros((n, 6))
    data[:, :4] = emg + noise
    uncal = process_offline(data, info, FilterSettings(mains="off"))
    # measure what the chain makes of the pure signal, to set MVC = 2x that
    sig_level = process_offline(np.column_stack([emg, np.zeros((n, 2))]), info,
                                FilterSettings(mains="off")).envelope[int(FS):].mean(axis=0)
    noise_level = np.sqrt((process_offline(np.column_stack([noise, np.zeros((n, 2))]), info,
                                           FilterSettings(mains="off")).envelope[int(FS):] ** 2).mean(axis=0))
    cal = Calibration("2026-01-01T00:00:00+00:00", "uV", dict(zip(names, noise_level)),
                      dict(zip(names, 2 * sig_level)), {})
    pipe = Pipeline(info, FilterSettings(mains="off"), cal)
    out = pipe.process(data)
    assert pipe.calibrated and pipe.envelope_unit == "pct_mvc"
    pct = out.envelope[int(FS):].mean(axis=0)
    np.testing.assert_allclose(pct, 50.0, rtol=0.06)
    raw_pct = uncal.envelope[int(FS):].mean(axis=0) / (2 * sig_level) * 100
    assert np.all(raw_pct > pct)      # without noise removal the %MVC reads high


def test_calibration_must_cover_every_channel_and_unit():
    info = board_info()
    cal = Calibration("x", "uV", {}, {"left_glute": 100.0}, {})
    with pytest.raises(ValueError, match="no usable MVC"):
        Pipeline(info, calibration=cal)
    names = [n for n, _, _ in EMG_PIN_ROLES]
    cal_mv = Calibration("x", "mV", {}, {n: 1.0 for n in names}, {})
    with pytest.raises(ValueError, match="calibrate again"):
        Pipeline(info, calibration=cal_mv)


def test_envelope_channels_baseline_and_smoothing():
    info = board_info(kind=Kind.ENVELOPE, unit="mV")
    names = [n for n, _, _ in EMG_PIN_ROLES]
    n = int(3 * FS)
    data = np.zeros((n, 6))
    data[:, :4] = 100.0          # resting sensor output
    data[n // 2:, :4] = 600.0    # contraction
    cal = Calibration("x", "mV", {k: 100.0 for k in names}, {k: 1000.0 for k in names}, {})
    out = process_offline(data, info, calibration=cal)
    assert np.allclose(out.envelope[: n // 2 - 1], 0.0)
    assert np.allclose(out.envelope[-10:], 50.0)
    assert np.allclose(out.filtered[-1], 500.0)
    mid = out.envelope[n // 2 + int(0.05 * FS), 0]
    assert 20.0 < mid < 30.0     # halfway through the 100 ms smoothing window


def test_settings_round_trip_and_validation():
    s = FilterSettings(mains="60", rms_window_s=0.15)
    d = s.to_dict()
    assert FilterSettings.from_dict(d) == s
    assert FilterSettings.from_dict({**d, "from_the_future": 1}) == s
    with pytest.raises(ValueError):
        FilterSettings(mains="55")


def test_zero_phase_offline_has_no_lag():
    info = board_info()
    n = int(4 * FS)
    rng = np.random.default_rng(2)
    data = np.zeros((n, 6))
    burst = np.zeros(n)
    burst[int(2 * FS):int(2.5 * FS)] = 1.0
    data[:, :4] = semg(n, FS, 50.0, rng) * burst[:, None]
    zp = process_zero_phase_offline(data, info, FilterSettings(mains="off")).envelope[:, 0]
    causal = process_offline(data, info, FilterSettings(mains="off")).envelope[:, 0]
    t = np.arange(n) / FS

    def centre(e):
        return float((e * t).sum() / e.sum())

    assert abs(centre(zp) - 2.25) < 0.01
    assert centre(causal) - 2.25 > 0.03     # the causal RMS window lags by ~half its length


def mixed_info():
    """Raw EMG and sensor-envelope channels interleaved, motion in between: every gather/reorder branch."""
    roles = EMG_PIN_ROLES
    chans = (Channel(roles[0][0], Kind.RAW_EMG, "mV", roles[0][1], roles[0][2]),
             Channel("accel_x", Kind.MOTION, "g"),
             Channel(roles[1][0], Kind.ENVELOPE, "mV", roles[1][1], roles[1][2]),
             Channel(roles[2][0], Kind.RAW_EMG, "mV", roles[2][1], roles[2][2]),
             Channel(roles[3][0], Kind.RAW_EMG, "mV", roles[3][1], roles[3][2]))
    return DeviceInfo(FS, chans)


@pytest.mark.parametrize("calibrated,shared_alloc", [(False, True), (True, True), (False, False)])
def test_long_calls_equal_20_sample_streaming_for_mixed_channel_kinds(calibrated, shared_alloc, monkeypatch):
    """A call long enough for the whole-recording path (several slabs, starting before the mains
    decision and mid-stream) gives what the live 20-sample path gives."""
    import emg_monitor.dsp.pipeline as pipeline_mod
    if not shared_alloc:     # the branch taken by outputs over 4 MiB, on a small input
        monkeypatch.setattr(pipeline_mod, "_SHARE_BELOW_BYTES", 0)
    info = mixed_info()
    base = recording(seconds=22.0, mains_hz=60.0, seed=11)
    data = np.column_stack([base[:, 0], base[:, 4], np.abs(base[:, 1]) * 1e-3 + 0.2, base[:, 2], base[:, 3]])
    names = [n for n, _, _ in EMG_PIN_ROLES]
    cal = (Calibration("x", "mV", {k: 0.05 for k in names}, {k: 40.0 for k in names}, {})
           if calibrated else None)
    live = Pipeline(info, calibration=cal)
    filt, env = run_chunked(live, data, 20)
    pipe = Pipeline(info, calibration=cal)
    parts = [pipe.process(data[:700]),            # chunk path, before the mains decision
             pipe.process(data[700:40000]),       # long path: rest of the first second, then slabs
             pipe.process(data[40000:40013]),     # block-matrix path in between
             pipe.process(data[40013:])]          # long path from a decided state
    assert pipe.mains_hz == live.mains_hz == 60.0
    assert live._n_seen == pipe._n_seen == len(data)
    got_f = np.vstack([p.filtered for p in parts])
    got_e = np.vstack([p.envelope for p in parts])
    assert got_f.shape == filt.shape == (len(data), 4)
    scale = np.abs(filt).max()
    np.testing.assert_allclose(got_f, filt, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(got_e, env, rtol=0, atol=1e-9 * max(scale, np.abs(env).max()))
    # the sensor-envelope channel (device order position 1) is not band-passed: baseline only
    np.testing.assert_allclose(got_f[:, 1], data[:, 2] - (0.05 if calibrated else 0.0), atol=1e-12)


def test_long_path_moving_average_equals_row_by_row_definition():
    rng = np.random.default_rng(4)
    v = rng.random((3, 50_000))
    ma = MovingAverage(200, 3)
    out = np.empty_like(v)
    ma.process_rows_into(v[:, :150].copy(), out[:, :150])          # inside the start-up ramp
    ma.process_rows_into(v[:, 150:30_000].copy(), out[:, 150:30_000])
    ma.process_rows_into(v[:, 30_000:].copy(), out[:, 30_000:])
    c = np.concatenate([np.zeros((3, 1)), np.cumsum(v, axis=1)], axis=1)
    idx = np.arange(1, v.shape[1] + 1)
    lo = np.maximum(idx - 200, 0)
    ref = (c[:, idx] - c[:, lo]) / (idx - lo)
    np.testing.assert_allclose(out, ref, rtol=1e-9)


def test_chunks_of_neighbouring_sizes_reuse_their_block_matrices(monkeypatch):
    """A paced source's chunks vary by a few samples (scheduling jitter): each size's
    block matrix is built once, not rebuilt whenever a ninth size shows up."""
    from emg_monitor.dsp import filters
    built = []
    real = filters._block_matrix
    monkeypatch.setattr(filters, "_block_matrix", lambda sos, n: built.append(n) or real(sos, n))
    bank = filters.StreamingSos([filters.bandpass_sos(2000.0, 20.0, 450.0, 4)] * 2)
    rng = np.random.default_rng(1)
    sizes = rng.integers(30, 50, 2000)                 # 20 neighbouring sizes
    for n in sizes:
        bank.process(rng.normal(size=(int(n), 2)))
    assert sorted(built) == sorted(set(int(n) for n in sizes))
