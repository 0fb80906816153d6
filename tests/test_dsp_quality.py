"""Signal-quality flags on synthetic signals: each flag fires on its fault and not on clean sEMG."""
import numpy as np
import pytest
from scipy import signal

from emg_monitor.dsp import FilterSettings
from emg_monitor.dsp.quality import QualityFlag, QualityMonitor
from emg_monitor.model import EMG_PIN_ROLES, MOTION_PIN_NAMES, Channel, DeviceInfo, Kind

FS = 1000.0
NAMES = [n for n, _, _ in EMG_PIN_ROLES]


def board_info(kind=Kind.RAW_EMG, unit="uV"):
    chans = tuple(Channel(n, kind, unit, m, s) for n, m, s in EMG_PIN_ROLES)
    chans += tuple(Channel(n, Kind.MOTION, "g") for n in MOTION_PIN_NAMES)
    return DeviceInfo(FS, chans)


def clean(seconds=6.0, seed=0, rms=30.0):
    rng = np.random.default_rng(seed)
    n = int(seconds * FS)
    sos = signal.butter(4, [20, 350], "bandpass", fs=FS, output="sos")
    x = signal.sosfilt(sos, rng.normal(size=(n, 4)), axis=0)
    data = np.zeros((n, 6))
    data[:, :4] = x / x.std(axis=0) * rms + 500.0
    data[:, 4:] = rng.normal(0, 0.05, (n, 2))
    return data


def flags(out, name):
    return {i.flag for i in out[name]}


def run(data, chunk=37, **kw):
    mon = QualityMonitor(board_info(), FilterSettings(), **kw)
    out = None
    for i in range(0, len(data), chunk):
        out = mon.update(data[i:i + chunk])
    return out


def test_clean_semg_raises_no_flag():
    for seed in range(3):
        out = run(clean(seed=seed))
        assert set(out) == set(NAMES)
        assert all(out[n] == () for n in NAMES), out


def test_flat_line_is_electrode_off():
    data = clean()
    data[:, 0] = 512.0
    out = run(data)
    assert QualityFlag.ELECTRODE_OFF in flags(out, NAMES[0])
    assert "flat" in out[NAMES[0]][0].reason
    assert out[NAMES[1]] == ()


def test_clipping_detected_without_and_with_rails():
    data = clean(rms=60.0)
    data[:, 2] = np.clip(data[:, 2], 500 - 70, 500 + 70)
    out = run(data)
    assert QualityFlag.CLIPPING in flags(out, NAMES[2])
    assert out[NAMES[0]] == ()
    out = run(data, rails={NAMES[2]: (430.0, 570.0)})
    issue = [i for i in out[NAMES[2]] if i.flag == QualityFlag.CLIPPING][0]
    assert "ADC limits" in issue.reason


def test_mains_dominance():
    data = clean()
    t = np.arange(len(data)) / FS
    data[:, 3] += 200.0 * np.sin(2 * np.pi * 60 * t)
    out = run(data)
    assert flags(out, NAMES[3]) == {QualityFlag.MAINS}
    assert "60 Hz" in out[NAMES[3]][0].reason
    assert out[NAMES[0]] == ()


def test_motion_artefact():
    data = clean()
    t = np.arange(len(data)) / FS
    data[:, 0] += 300.0 * np.sin(2 * np.pi * 3.0 * t)
    out = run(data)
    assert QualityFlag.MOTION_ARTEFACT in flags(out, NAMES[0])


def ecg_train(n, bpm=72.0, amp=150.0):
    """QRS-like biphasic spikes (~80 ms, 10-30 Hz energy) repeating at the heart rate."""
    x = np.zeros(n)
    period = int(FS * 60.0 / bpm)
    tq = np.arange(int(0.08 * FS)) / FS
    qrs = amp * np.sin(2 * np.pi * 15 * tq) * np.hanning(len(tq))
    for start in range(int(0.3 * FS), n - len(qrs), period):
        x[start:start + len(qrs)] += qrs
    return x


def test_ecg_on_erector_channels_only():
    data = clean(seconds=8.0, rms=10.0)
    e = ecg_train(len(data))
    erector = [i for i, (_, m, _) in enumerate(EMG_PIN_ROLES) if m.value == "erector"]
    glute = [i for i, (_, m, _) in enumerate(EMG_PIN_ROLES) if m.value == "glute"]
    for j in erector + glute:
        data[:, j] += e
    out = run(data)
    for j in erector:
        assert QualityFlag.ECG in flags(out, NAMES[j])
        assert "bpm" in [i for i in out[NAMES[j]] if i.flag == QualityFlag.ECG][0].reason
    for j in glute:
        assert QualityFlag.ECG not in flags(out, NAMES[j])


def test_random_bursts_are_not_ecg():
    data = clean(seconds=8.0, rms=10.0)
    rng = np.random.default_rng(4)
    x = np.zeros(len(data))
    tq = np.arange(80) / FS
    for start in np.sort(rng.choice(len(data) - 100, 8, replace=False)):
        x[start:start + 80] += 150 * np.sin(2 * np.pi * 15 * tq) * np.hanning(80)
    data[:, 1] += x
    out = run(data)
    assert QualityFlag.ECG not in flags(out, NAMES[1])


@pytest.mark.parametrize("chunk", [1, 20, 333])
def test_flags_do_not_depend_on_chunking(chunk):
    data = clean(seconds=3.0)
    data[1500:, 0] = 512.0
    t = np.arange(len(data)) / FS
    data[:, 3] += 200.0 * np.sin(2 * np.pi * 50 * t)
    assert run(data, chunk=chunk) == run(data, chunk=len(data))


def test_flags_clear_when_the_fault_goes():
    data = clean(seconds=5.0)
    data[:2000, 0] = 512.0
    mon = QualityMonitor(board_info(), FilterSettings())
    seen = []
    for i in range(0, len(data), 50):
        out = mon.update(data[i:i + 50])
        seen.append(QualityFlag.ELECTRODE_OFF in flags(out, NAMES[0]))
    assert any(seen[:40]) and not seen[-1]


def test_sensor_envelope_channels_flat_and_rails():
    info = board_info(kind=Kind.ENVELOPE, unit="mV")
    n = 3000
    rng = np.random.default_rng(0)
    data = np.zeros((n, 6))
    data[:, :4] = 300 + 100 * np.abs(rng.normal(size=(n, 4)))
    data[:, 1] = 0.0
    data[:, 2] = np.minimum(data[:, 2], 330.0)
    mon = QualityMonitor(info, FilterSettings(), rails={NAMES[2]: (0.0, 330.0)})
    out = mon.update(data)
    assert QualityFlag.ELECTRODE_OFF in flags(out, NAMES[1])
    assert QualityFlag.CLIPPING in flags(out, NAMES[2])
    assert out[NAMES[0]] == ()
