"""The real firmware with simulated MPU-6050s on simavr's TWI (arduino/sim/mpu6050.h).

The IMUs are driven by segment kinematics this test generates (accel in g, gyro in
deg/s, written as the harness's --imu-signal file). The harness logs the simulated
cycle at which each burst read latched its data, so every value the firmware sends
is checked against the kinematics at that instant, and every stamp against the EMG
tick it claims. Also here: the firmware under overload (issue 11), which must keep
each sample's index exact.
"""
from __future__ import annotations

import numpy as np
import pytest

from emg_monitor.device import imu_lsb_units
from emg_monitor.protocol import (
    FrameDecoder, FrameType, Hello, ImuSample, ImuStatus, ImuStatusCode, Samples, StreamShape,
    encode_command,
)

from test_firmware_sim import F_CPU_HZ, VREF_MV, firmware, run_sim, start_at  # noqa: F401

SEGMENTS = ("pelvis", "thigh", "thorax")
SIGNAL_RATE_HZ = 1000


def kinematics(duration_s: float, seed: int) -> np.ndarray:
    """(rows, 18): per segment accel xyz (g) and gyro xyz (deg/s), a lift-like motion:
    slow swings of a few Hz, inside +-4 g and +-500 deg/s, different on every axis."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration_s * SIGNAL_RATE_HZ)) / SIGNAL_RATE_HZ
    cols = []
    for _ in SEGMENTS:
        for axis in range(6):
            amp = rng.uniform(0.2, 1.8) if axis < 3 else rng.uniform(20, 400)
            f_hz = rng.uniform(0.3, 4.0)
            cols.append(amp * np.sin(2 * np.pi * f_hz * t + rng.uniform(0, 2 * np.pi)))
    return np.column_stack(cols).astype("<f4")


def imu_args(tmp_path, signal: np.ndarray, attach=("pelvis", "thigh"), mux=False):
    path = tmp_path / "imu.bin"
    signal.tofile(path)
    args = ["--imu-signal", path, "--imu-signal-rate", SIGNAL_RATE_HZ,
            "--imu-log", tmp_path / "imu.log"]
    for a in attach:
        args += ["--imu", a]
    return args + (["--mux"] if mux else [])


def latches(tmp_path) -> dict[str, np.ndarray]:
    """Simulated time (s) of every burst-read latch, per segment, in order."""
    out: dict[str, list[float]] = {s: [] for s in SEGMENTS}
    for line in (tmp_path / "imu.log").read_text().split("\n"):
        if line:
            seg, cycle = line.split()
            out[seg].append(int(cycle) / F_CPU_HZ)
    return {s: np.array(v) for s, v in out.items()}


def imu_frames(frames, segment: int) -> list[ImuSample]:
    return [f for f, _ in frames if isinstance(f, ImuSample) and f.segment == segment]


def hello_after_info(frames) -> Hello:
    return [f for f, _ in frames if isinstance(f, Hello)][-1]


def imu_start(t_s: float, rate_hz: int, mask: int):
    return start_at(t_s - 0.01, rate_hz, (4, 0, mask))[:-1] + [
        (t_s - 0.004, encode_command(FrameType.INFO)), (t_s, encode_command(FrameType.START))]


def check_values_and_stamps(run, tmp_path, signal, hello, segments, rate_hz):
    frames = run.frames()
    lsb = imu_lsb_units(hello)
    lat = latches(tmp_path)
    for seg in segments:
        i = SEGMENTS.index(seg)
        got = imu_frames(frames, i)
        t = lat[seg][-len(got):]                 # the probe's read-backs are not data reads
        assert len(t) == len(got)
        rows = np.floor(t * SIGNAL_RATE_HZ).astype(int) % len(signal)
        truth = signal[rows, 6 * i:6 * i + 6].astype(float)
        values = np.array([f.values for f in got]) * lsb
        assert np.all(np.abs(values - truth) <= lsb), seg          # within one LSB
        stamps = np.array([f.index for f in got])
        div = rate_hz // 100
        assert np.array_equal(stamps, np.arange(len(stamps)) * div), seg   # 100 Hz, no gaps
        # each read latched a fixed delay after the tick it is stamped with: the stamp is
        # exact (a stamp one EMG period off would move this by a whole period)
        delay = t - stamps / rate_hz
        assert np.ptp(delay) < 20e-6, (seg, np.ptp(delay))
    return frames


def test_two_imus_values_within_one_lsb_at_100_hz_with_exact_stamps(firmware, tmp_path):
    signal = kinematics(3.0, seed=1)
    run = run_sim(firmware, tmp_path, 2.6, imu_start(0.1, 1000, 0b011),
                  extra=imu_args(tmp_path, signal))
    hello = hello_after_info(run.frames())
    assert (hello.imu_requested, hello.imu_present, hello.imu_rate_hz) == (3, 3, 100)
    assert hello.imu_segments == ("pelvis", "thigh") and hello.imu_missing == ()
    frames = check_values_and_stamps(run, tmp_path, signal, hello, ("pelvis", "thigh"), 1000)
    n_imu = len(imu_frames(frames, 0))
    assert n_imu == pytest.approx(2.5 * 100, abs=2)                # the IMU rate
    seqs = [f.seq for f, _ in frames if isinstance(f, Samples)]
    assert seqs == list(range(len(seqs))) and len(seqs) == pytest.approx(2500, abs=3)
    assert run.peeks["emg_imu_overruns"] == 0 and run.peeks["emg_late_ticks"] == 0


def test_three_imus_through_the_multiplexer_lose_no_emg_at_the_largest_configuration(
        firmware, tmp_path):
    """4 EMG channels at 2 kHz (the most with IMUs: A4/A5 are the I2C pins) and three
    IMUs: every EMG frame arrives on time, the EMG values are undisturbed (a steep ramp
    shows sampling-instant jitter), and every IMU is read at 100 Hz."""
    signal = kinematics(11.0, seed=2)
    waves = ["0=ramp:100:4900:0.05", "1=sine:2500:2000:7", "2=const:1234", "3=const:4000"]
    run = run_sim(firmware, tmp_path, 10.2, imu_start(0.1, 2000, 0b111), waves,
                  extra=imu_args(tmp_path, signal, SEGMENTS, mux=True))
    hello = hello_after_info(run.frames())
    assert hello.imu_present == 0b111 and hello.adc_prescaler == 64
    frames = check_values_and_stamps(run, tmp_path, signal, hello, SEGMENTS, 2000)
    samples = [(f, t) for f, t in frames if isinstance(f, Samples)]
    seqs = [f.seq for f, _ in samples]
    assert seqs == list(range(len(seqs))) and len(seqs) >= 10 * 2000 - 5
    assert run.peeks["emg_overruns"] == 0 and run.peeks["emg_late_ticks"] == 0
    assert run.peeks["emg_imu_overruns"] == 0
    assert [len(imu_frames(frames, i)) for i in range(3)] == [pytest.approx(1010, abs=2)] * 3
    ramp = np.array([f.counts[0] for f, _ in samples], dtype=float)
    step = np.diff(ramp)
    rising = step > -100
    expected = 4800 / 0.05 / 2000 * 1023 / VREF_MV
    assert np.all(np.abs(step[rising] - expected) <= 1.0 + 2 * 1023 / VREF_MV)
    assert {f.counts[2] for f, _ in samples} == {int(1234 * 1023 / VREF_MV)}
    # frames leave the board in time: no frame waits in the ring for more than 2 ms
    times = np.array([t for _, t in samples])
    lag = times - np.arange(len(times)) / 2000
    assert np.ptp(lag) < 2e-3


def test_a_missing_imu_is_reported_by_name_and_emg_goes_on(firmware, tmp_path):
    signal = kinematics(2.0, seed=3)
    run = run_sim(firmware, tmp_path, 1.2, imu_start(0.1, 1000, 0b011),
                  extra=imu_args(tmp_path, signal, attach=("pelvis",)))
    frames = run.frames()
    hello = hello_after_info(frames)
    assert hello.imu_segments == ("pelvis",) and hello.imu_missing == ("thigh",)
    assert imu_frames(frames, 1) == [] and len(imu_frames(frames, 0)) == pytest.approx(110, abs=2)
    seqs = [f.seq for f, _ in frames if isinstance(f, Samples)]
    assert seqs == list(range(len(seqs))) and len(seqs) == pytest.approx(1100, abs=3)
    check_values_and_stamps(run, tmp_path, signal, hello, ("pelvis",), 1000)


def test_an_imu_that_stops_answering_mid_stream(firmware, tmp_path):
    signal = kinematics(2.0, seed=4)
    run = run_sim(firmware, tmp_path, 1.5, imu_start(0.1, 2000, 0b011),
                  extra=imu_args(tmp_path, signal, attach=("pelvis", "thigh:silent=0.8")))
    frames = run.frames()
    status = [f for f, _ in frames if isinstance(f, ImuStatus)]
    assert len(status) == 1 and status[0].segment == 1 and status[0].status == ImuStatusCode.LOST
    thigh = imu_frames(frames, 1)
    assert thigh and thigh[-1].index < status[0].index
    # silent from 0.8 s of simulated time = 0.7 s after START: the first failed read
    assert status[0].index / 2000 == pytest.approx(0.7, abs=0.011)
    assert len(imu_frames(frames, 0)) == pytest.approx(140, abs=2)      # pelvis goes on
    seqs = [f.seq for f, _ in frames if isinstance(f, Samples)]
    assert seqs == list(range(len(seqs))) and len(seqs) == pytest.approx(2800, abs=5)
    assert run.peeks["emg_overruns"] == 0 and run.peeks["emg_late_ticks"] == 0


def test_overload_keeps_every_sample_index_exact(firmware, tmp_path):
    """From 0.5 s the ADC clock is forced to F_CPU/128, so six conversions take 624 us of a
    500 us period: the firmware must skip ticks, count them, and label every sample it
    does send with its own tick (issue 11: the late-tick path labelled it one period late).
    A steep ramp on A0 turns a one-period label error into a 5-LSB error."""
    period_s, lo, hi, rate = 0.1, 100.0, 4900.0, 2000
    run = run_sim(firmware, tmp_path, 1.5, start_at(0.1, rate, (4, 2)),
                  [f"0=ramp:{lo:g}:{hi:g}:{period_s}"], extra=["--slow-adc-at", 0.5])
    samples = [f for f, _ in run.frames() if isinstance(f, Samples)]
    seqs = np.array([f.seq for f in samples])
    late = run.peeks["emg_late_ticks"]
    assert late > 500                                  # really overloaded
    assert run.peeks["emg_overruns"] == 0
    assert len(set(seqs)) == len(seqs) and np.all(np.diff(seqs) > 0)
    # every skipped tick is a counted loss (the last tick or two of the run may be late
    # after the last frame that left the board)
    assert 0 <= late - (seqs[-1] + 1 - len(seqs)) <= 2
    # the host's stream decoder believes the alternating stream and counts the same losses
    dec = FrameDecoder(StreamShape(6, 1023))
    streamed = [f for f in dec.feed(run.data) if isinstance(f, Samples)]
    assert [f.seq for f in streamed] == seqs[:len(streamed)].tolist() and len(streamed) >= len(seqs) - 1
    assert dec.stats.lost_samples == streamed[-1].seq + 1 - len(streamed)
    mv = np.array([f.counts[0] for f in samples]) * VREF_MV / 1023 + 0.5 * VREF_MV / 1023
    phase = (mv - lo) / (hi - lo)
    keep = (phase > 0.03) & (phase < 0.97)             # away from the sawtooth's jump
    # time of the sample from its value, minus the time its index claims, modulo the ramp
    offset = (phase[keep] * period_s - seqs[keep] / rate) % period_s
    ref = np.median(offset[: keep[: int(0.3 * rate)].sum()])
    err = (offset - ref + period_s / 2) % period_s - period_s / 2
    lsb_s = (VREF_MV / 1023) / ((hi - lo) / period_s)
    assert np.max(np.abs(err)) < 1.5 * lsb_s, np.max(np.abs(err)) / lsb_s
