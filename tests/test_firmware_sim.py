"""Firmware in the loop: the real sketch (arduino/emg_monitor) runs in simavr
(arduino/sim/harness.c) with known waveforms on its analog pins; its UART bytes
go through emg_monitor.protocol.FrameDecoder. Needs the AVR toolchain and
simavr (scripts/setup.sh installs them); without them these tests FAIL."""
from __future__ import annotations

import fcntl
import re
import shutil
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from emg_monitor.protocol import (
    Ack, AckStatus, FrameDecoder, FrameType, Hello, Samples, encode_command, encode_frame,
)

ROOT = Path(__file__).resolve().parents[1]
ARDUINO = ROOT / "arduino"
ELF = ARDUINO / "build-uno" / "emg_monitor.elf"
HARNESS = ARDUINO / "sim" / "simavr_harness"
F_CPU_HZ = 16_000_000
VREF_MV = 5000


def mv_to_counts(mv) -> np.ndarray:
    """simavr's conversion (avr_adc.c): count = mV * 1023 / vref, truncated."""
    return np.floor(np.asarray(mv, dtype=float) * 1023 / VREF_MV)


@pytest.fixture(scope="session")
def firmware() -> dict[str, int]:
    """Build firmware + harness once; return the RAM addresses of the firmware's counters."""
    missing = [t for t in ("make", "avr-gcc", "avr-nm", "cc") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run scripts/setup.sh (AVR toolchain, simavr)")
    # one build at a time: each pytest-xdist worker builds (a no-op once it is up to date),
    # and two makes writing the same ELF in a fresh clone would race
    lock_path = Path(tempfile.gettempdir()) / f"emg-firmware-{zlib.crc32(bytes(ARDUINO)):08x}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        res = subprocess.run(["make", "-C", str(ARDUINO)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.fail("make -C arduino failed (AVR toolchain / simavr missing? run scripts/setup.sh):\n"
                    + res.stdout[-3000:] + res.stderr[-3000:])
    nm = subprocess.run(["avr-nm", str(ELF)], capture_output=True, text=True, check=True).stdout
    symbols = {}
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].startswith("emg_"):
            symbols[parts[2]] = int(parts[0], 16)
    return symbols


@dataclass
class Run:
    data: bytes
    cycles: np.ndarray          # CPU cycle of each output byte
    peeks: dict[str, int]

    def frames(self):
        """(frame, time_s of its last byte), in order. Each frame is decoded on its own:
        the tests check the sequence themselves, strictly (no decoder tolerance)."""
        out, pos = [], 0
        buf = self.data
        while pos + 4 <= len(buf):
            assert buf[pos:pos + 2] == b"\xA5\x5A", f"stream out of sync at byte {pos}"
            end = pos + 6 + buf[pos + 3]
            if end > len(buf):
                break                       # the run ended in the middle of a frame
            got = FrameDecoder().feed(buf[pos:end])
            assert len(got) == 1, f"bad frame at byte {pos}"
            out.append((got[0], self.cycles[end - 1] / F_CPU_HZ))
            pos = end
        return out


COUNTERS = ("emg_overruns", "emg_late_ticks", "emg_rx_overruns", "emg_imu_reads",
            "emg_imu_overruns")


def run_sim(firmware, tmp_path: Path, duration_s: float, commands=(), waves=(), signal=None,
            signal_rate_hz=None, extra=()) -> Run:
    out, times = tmp_path / "uart.bin", tmp_path / "uart.times"
    cmd = [str(HARNESS), str(ELF), "--duration", str(duration_s), "--out", str(out),
           "--out-times", str(times)]
    if commands:
        cmd_file = tmp_path / "commands.txt"
        cmd_file.write_text("".join(f"{t:.6f} {frame.hex()}\n" for t, frame in commands))
        cmd += ["--commands", str(cmd_file)]
    for w in waves:
        cmd += ["--wave", w]
    if signal is not None:
        sig_file = tmp_path / "signal.bin"
        np.asarray(signal, dtype="<u2").tofile(sig_file)
        cmd += ["--signal", str(sig_file), "--signal-rate", str(signal_rate_hz)]
    cmd += [str(a) for a in extra]
    for name in COUNTERS:
        cmd += ["--peek", hex(firmware[name])]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "conflicts" not in res.stderr, res.stderr
    peeks = {}
    for name in COUNTERS:
        m = re.search(rf"peek 0x{firmware[name] & 0xFFFF:04x} (\d+)", res.stderr)
        assert m, res.stderr
        peeks[name] = int(m.group(1))
    return Run(out.read_bytes(), np.fromfile(times, dtype="<u8"), peeks)


def samples_of(frames) -> list[tuple[Samples, float]]:
    return [(f, t) for f, t in frames if isinstance(f, Samples)]


def start_at(t_s: float, rate_hz: int | None = None, channels=None):
    """Commands before a START at t_s; channels = (n_emg, n_motion[, imu_mask])."""
    cmds = []
    if rate_hz is not None:
        cmds.append((t_s - 0.004, encode_command(FrameType.SET_RATE, rate_hz)))
    if channels is not None:
        cmds.append((t_s - 0.002, encode_command(FrameType.SET_CHANNELS, *channels)))
    cmds.append((t_s, encode_command(FrameType.START)))
    return cmds


# --- power-up --------------------------------------------------------------------

def test_power_up_sends_hello_and_does_not_stream(firmware, tmp_path):
    run = run_sim(firmware, tmp_path, 0.5)
    frames = [f for f, _ in run.frames()]
    assert frames == [Hello(2, "2.0.0", 1000, 4, 2, 10, 128, False, 5000, (0, 1, 2, 3, 4, 5))]


# --- values --------------------------------------------------------------------------

SINES = {  # channel: (offset_mv, amplitude_mv, frequency_hz), all different
    0: (2500, 2000, 7.0), 1: (2400, 1500, 3.0), 2: (2600, 1000, 11.0), 3: (2000, 1800, 5.0),
    4: (1650, 600, 2.0),
}
RAMP = (5, 100, 4900, 0.5)   # A5: sawtooth 100 -> 4900 mV every 0.5 s


@pytest.mark.parametrize("rate_hz", [1000, 2000])
def test_known_waveforms_come_back_within_one_lsb(firmware, tmp_path, rate_hz):
    waves = [f"{ch}=sine:{o}:{a}:{f}" for ch, (o, a, f) in SINES.items()]
    waves.append(f"{RAMP[0]}=ramp:{RAMP[1]}:{RAMP[2]}:{RAMP[3]}")
    run = run_sim(firmware, tmp_path, 2.0, start_at(0.1, rate_hz), waves)
    samples = samples_of(run.frames())
    counts = np.array([s.counts for s, _ in samples], dtype=float)
    assert counts.shape[1] == 6 and len(counts) > 1.5 * rate_hz
    k = np.arange(len(counts))
    t = k / rate_hz          # sample instants as the firmware's timer defines them
    for ch, (offset_mv, amp_mv, freq_hz) in SINES.items():
        basis = np.column_stack([np.sin(2 * np.pi * freq_hz * t), np.cos(2 * np.pi * freq_hz * t),
                                 np.ones_like(t)])
        coef, *_ = np.linalg.lstsq(basis, counts[:, ch], rcond=None)
        amplitude = np.hypot(coef[0], coef[1])
        residual = counts[:, ch] - basis @ coef
        assert amplitude == pytest.approx(amp_mv * 1023 / VREF_MV, abs=1.0), ch
        assert coef[2] == pytest.approx(offset_mv * 1023 / VREF_MV - 0.5, abs=1.0), ch
        assert np.max(np.abs(residual)) <= 1.0, ch       # quantisation only: within 1 LSB
    ramp = counts[:, RAMP[0]]
    step = np.diff(ramp)
    rising = step > -100                                  # drop the wrap-arounds
    expected_step = (RAMP[2] - RAMP[1]) / RAMP[3] / rate_hz * 1023 / VREF_MV
    # 1 LSB of ADC quantisation plus the harness feeding whole millivolts (0.2 LSB each end)
    bad = np.abs(step[rising] - expected_step) > 1.0 + 2 * 1023 / VREF_MV
    assert not bad.any(), step[rising][bad]
    assert np.count_nonzero(~rising) == pytest.approx(len(counts) / rate_hz / RAMP[3], abs=1)
    assert ramp.min() >= mv_to_counts(RAMP[1]) and ramp.max() <= mv_to_counts(RAMP[2])


def test_signal_file_values_are_delivered_exactly(firmware, tmp_path):
    """Piecewise-constant rows, slower than the sampling: every sample equals its row's count."""
    rng = np.random.default_rng(7)
    rows_mv = rng.integers(0, 5001, size=(40, 6))
    row_rate_hz = 20
    run = run_sim(firmware, tmp_path, 2.1, start_at(0.05), signal=rows_mv,
                  signal_rate_hz=row_rate_hz)
    counts = np.array([s.counts for s, _ in samples_of(run.frames())])
    expected = mv_to_counts(rows_mv).astype(int)
    # walk the rows in order: each sample must equal the current row or the next one
    row = int(np.argmin(np.abs(expected - counts[0]).sum(axis=1)))
    assert np.array_equal(counts[0], expected[row])
    for c in counts[1:]:
        if not np.array_equal(c, expected[row % len(expected)]):
            row += 1
            # a row change may fall between two channels of one frame
            mixed = np.array_equal(c[:1], expected[(row - 1) % len(expected)][:1])
            assert mixed or np.array_equal(c, expected[row % len(expected)])
    assert row >= 35      # ~2 s at 20 rows/s


# --- timing and loss -----------------------------------------------------------------

def test_frame_rate_equals_configured_rate_in_simulated_time(firmware, tmp_path):
    run = run_sim(firmware, tmp_path, 5.0, start_at(0.1, 2000, (4, 2)))
    samples = samples_of(run.frames())
    seqs = np.array([s.seq for s, _ in samples])
    times = np.array([t for _, t in samples])
    assert np.array_equal(seqs, np.arange(len(seqs)))
    rate = np.polyfit(times, seqs, 1)[0]
    assert rate == pytest.approx(2000, rel=1e-3)
    assert len(seqs) == pytest.approx(4.9 * 2000, rel=1e-3)
    hello_prescaler = run.peeks  # counters read from RAM at the end
    assert hello_prescaler["emg_overruns"] == 0 and hello_prescaler["emg_late_ticks"] == 0


def test_sixty_seconds_at_six_channels_2khz_lose_nothing(firmware, tmp_path):
    run = run_sim(firmware, tmp_path, 60.5, start_at(0.2, 2000, (4, 2)) +
                  [(60.3, encode_command(FrameType.INFO))])
    frames = [f for f, _ in run.frames()]
    samples = [f for f in frames if isinstance(f, Samples)]
    assert len(samples) >= 60 * 2000
    assert all(len(s.counts) == 6 for s in samples)
    assert [s.seq for s in samples] == list(range(len(samples)))
    assert run.peeks == {"emg_overruns": 0, "emg_late_ticks": 0, "emg_rx_overruns": 0,
                         "emg_imu_reads": 0, "emg_imu_overruns": 0}
    hello = [f for f in frames if isinstance(f, Hello)][-1]
    assert (hello.sample_rate_hz, hello.adc_prescaler, hello.streaming) == (2000, 64, True)


# --- commands ------------------------------------------------------------------------

def test_command_round_trip(firmware, tmp_path):
    cmds = [
        (0.05, encode_command(FrameType.START)),
        (1.00, encode_command(FrameType.SET_RATE, 500)),          # while streaming
        (1.50, encode_command(FrameType.SET_RATE, 1234)),         # bad argument
        (1.60, encode_command(FrameType.SET_CHANNELS, 5, 0)),     # bad argument
        (1.70, encode_frame(0x20)),                               # unknown command
        (2.00, encode_command(FrameType.SET_CHANNELS, 2, 1)),
        (2.50, encode_command(FrameType.INFO)),
        (3.00, encode_command(FrameType.STOP)),
    ]
    run = run_sim(firmware, tmp_path, 3.5, cmds)
    frames = run.frames()
    acks = [f for f, _ in frames if isinstance(f, Ack)]
    assert acks == [
        Ack(FrameType.START, AckStatus.OK), Ack(FrameType.SET_RATE, AckStatus.OK),
        Ack(FrameType.SET_RATE, AckStatus.BAD_ARGUMENT),
        Ack(FrameType.SET_CHANNELS, AckStatus.BAD_ARGUMENT),
        Ack(0x20, AckStatus.UNKNOWN_COMMAND), Ack(FrameType.SET_CHANNELS, AckStatus.OK),
        Ack(FrameType.INFO, AckStatus.OK), Ack(FrameType.STOP, AckStatus.OK),
    ]
    # INFO -> ACK then HELLO with the configuration in force
    i_info = next(i for i, (f, _) in enumerate(frames) if f == Ack(FrameType.INFO, AckStatus.OK))
    assert frames[i_info + 1][0] == Hello(2, "2.0.0", 500, 2, 1, 10, 128, True, 5000, (0, 1, 4))

    # split the sample stream at the ACKs: every frame after an ACK uses the new configuration
    segments, current = [], []
    for f, t in frames:
        if isinstance(f, Ack):
            segments.append(current)
            current = []
        elif isinstance(f, Samples):
            current.append((f, t))
    segments.append(current)
    at_1000, at_500 = segments[1], segments[2] + segments[3] + segments[4] + segments[5]
    three_channels, after_stop = segments[6] + segments[7], segments[8]
    assert after_stop == []
    seqs = [s.seq for s, _ in at_1000 + at_500 + three_channels]
    assert seqs == list(range(len(seqs)))             # seq continues through the changes

    def rate(seg):
        t = np.array([x for _, x in seg])
        return np.polyfit(t, np.arange(len(t)), 1)[0]

    assert rate(at_1000) == pytest.approx(1000, rel=1e-3)
    assert rate(at_500[5:]) == pytest.approx(500, rel=1e-3)
    assert {len(s.counts) for s, _ in at_1000 + at_500} == {6}
    assert {len(s.counts) for s, _ in three_channels} == {3}
    assert run.peeks["emg_overruns"] == 0


def test_start_restarts_the_sequence(firmware, tmp_path):
    cmds = [(0.05, encode_command(FrameType.START)), (0.30, encode_command(FrameType.START))]
    run = run_sim(firmware, tmp_path, 0.5, cmds)
    seqs = [f.seq for f, _ in run.frames() if isinstance(f, Samples)]
    restart = seqs.index(0, 1)
    assert seqs[:restart] == list(range(restart)) and restart > 200
    assert seqs[restart:] == list(range(len(seqs) - restart))
