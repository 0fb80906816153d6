"""sources.board: units, channel naming, handshake and block building over the emulator."""
import numpy as np
import pytest

from emg_monitor import protocol
from emg_monitor.model import DeviceConfig, Kind, Muscle, Side
from emg_monitor.protocol import Hello
from emg_monitor.sim.athlete import Athlete, AthleteConfig
from emg_monitor.sim.device import DeviceEmulator, EmulatorPort
from emg_monitor.sources.base import SourceError
from emg_monitor.device import counts_to_units, info_from_hello, lsb_units, units_to_counts
from emg_monitor.sources.board import BoardLink

HELLO = Hello(2, "2.0.0", 1000, 4, 2, 10, 64, False, 5000, (0, 1, 2, 3, 4, 5))


def test_counts_to_units_formulas():
    cfg = DeviceConfig(emg_gain=200.0, accel_zero_g_mv=1650.0, accel_mv_per_g=330.0)
    counts = np.array([[512, 0, 1023, 612, 338, 405]])
    out = counts_to_units(counts, HELLO, cfg)
    mv = counts * 5000 / 1024
    assert out[0, 0] == pytest.approx(0.0)                       # mid-supply = 0 uV
    assert out[0, 1] == pytest.approx(-2500 * 1000 / 200)        # bottom rail
    assert out[0, 3] == pytest.approx((mv[0, 3] - 2500) * 5)
    assert out[0, 4] == pytest.approx((mv[0, 4] - 1650) / 330)   # ~0 g
    assert out[0, 5] == pytest.approx((mv[0, 5] - 1650) / 330)   # ~1 g
    env = counts_to_units(counts, HELLO, DeviceConfig(emg_kind=Kind.ENVELOPE))
    assert env[0, 2] == pytest.approx(1023 * 5000 / 1024)


def test_units_counts_round_trip_within_half_lsb_and_clipped():
    rng = np.random.default_rng(1)
    for kind in (Kind.RAW_EMG, Kind.ENVELOPE):
        cfg = DeviceConfig(emg_kind=kind)
        counts = rng.integers(0, 1024, (500, 6))
        units = counts_to_units(counts, HELLO, cfg)
        assert np.array_equal(units_to_counts(units, HELLO, cfg), counts)
        jitter = units + (rng.random(units.shape) - 0.5) * 0.98 * lsb_units(HELLO, cfg)
        assert np.array_equal(units_to_counts(jitter, HELLO, cfg), counts)
    huge = np.array([[1e6, -1e6, 0, 0, 20.0, -20.0]])
    assert units_to_counts(huge, HELLO, DeviceConfig()).tolist() == [[1023, 0, 512, 512, 1023, 0]]


def test_info_names_channels_by_pin():
    info = info_from_hello(HELLO, DeviceConfig(), "x")
    assert info.names == ("left_glute", "left_erector", "right_glute", "right_erector",
                          "accel_x", "accel_y")
    assert info.channels[2].muscle == Muscle.GLUTE and info.channels[2].side == Side.RIGHT
    assert [c.unit for c in info.channels] == ["uV"] * 4 + ["g"] * 2
    assert info.sample_rate_hz == 1000.0
    # a subset, with pins reported as Arduino digital numbers (A0 = 14)
    sub = Hello(1, "1.0.0", 500, 2, 1, 10, 64, False, 5000, (14, 15, 18))
    info = info_from_hello(sub, DeviceConfig(emg_kind=Kind.ENVELOPE), "x")
    assert info.names == ("left_glute", "left_erector", "accel_x")
    assert info.channels[0].kind == Kind.ENVELOPE and info.channels[0].unit == "mV"
    assert info.channels[2].kind == Kind.MOTION


def _link(reset_on_open=True, **emu_kwargs):
    athlete = Athlete(AthleteConfig(seed=4, sets=1, reps_per_set=2))
    emu = DeviceEmulator(athlete, DeviceConfig(), **emu_kwargs)
    port = EmulatorPort(emu, reset_on_open=reset_on_open)
    return emu, port, BoardLink(port)


def _collect(port, link, n, chunk=97):
    blocks = []
    for _ in range(0, n, chunk):
        port.pump(chunk)
        blocks += link.read_blocks()
    return blocks


def test_handshake_configures_and_starts():
    emu, port, link = _link()
    hello = link.handshake(DeviceConfig(sample_rate_hz=2000, n_emg=2, n_motion=1), 2.0)
    assert emu.streaming and hello.sample_rate_hz == 2000
    assert (hello.n_emg, hello.n_motion, hello.pins) == (2, 1, (0, 1, 4))
    blocks = _collect(port, link, 300)
    assert all(b.data.shape[1] == 3 for b in blocks)
    assert blocks[0].first_index == 0


def test_handshake_asks_with_info_when_no_hello_at_open():
    emu, port, link = _link(reset_on_open=False)
    emu.streaming = True           # left streaming by a previous program, no reset
    link.handshake(DeviceConfig(), 3.0)
    assert emu.streaming and emu.seq == 0


def test_decoded_values_equal_signal_and_losses_are_indexed():
    emu, port, link = _link(drop_every=250)
    ref = Athlete(AthleteConfig(seed=4, sets=1, reps_per_set=2)).render(2000)
    link.handshake(DeviceConfig(), 2.0)
    blocks = _collect(port, link, 2000, chunk=100)
    got = np.full_like(ref, np.nan)
    for b in blocks:
        got[b.first_index:b.first_index + b.n] = b.data
    received = ~np.isnan(got[:, 0])
    assert received.sum() == 2000 - 8                       # frames 250, 500, ... dropped
    assert not received[249] and not received[1999] and received[250]
    err = np.abs(got[received] - ref[received]) / lsb_units(link.hello, DeviceConfig())
    assert err.max() <= 0.5 + 1e-9
    assert sum(b.lost_before for b in blocks) == 7          # the last drop is not seen yet
    assert all(b.lost_before == 1 for b in blocks if b.lost_before)
    assert link.decoder.stats.resyncs == 0


def test_corrupted_frames_are_skipped_and_counted():
    emu, port, link = _link(corrupt_every=100)
    link.handshake(DeviceConfig(), 2.0)
    blocks = _collect(port, link, 1000, chunk=100)
    assert sum(b.n for b in blocks) == 990
    assert link.decoder.stats.crc_errors >= 10
    assert blocks[-1].first_index + blocks[-1].n == 999     # frame 1000 corrupted


def test_refused_channels_raise_clear_error():
    _, _, link = _link()
    with pytest.raises(SourceError, match="refused"):
        link.handshake(DeviceConfig(n_emg=5), 2.0)


def test_unsupported_rate_is_rejected_before_asking():
    _, _, link = _link()
    with pytest.raises(SourceError, match="not supported"):
        link.handshake(DeviceConfig(sample_rate_hz=1234), 2.0)


class _FakePort:
    """A byte source that is not our firmware (silent, or chatty)."""

    def __init__(self, chatter: bytes = b""):
        self.chatter = chatter
        self.written = bytearray()

    def read(self, n):
        return self.chatter[:n]

    def write(self, b):
        self.written += b


def test_silent_port_says_flash_the_sketch():
    port = _FakePort()
    with pytest.raises(SourceError, match="no emg-monitor firmware.*make -C arduino upload"):
        BoardLink(port, name="p").handshake(DeviceConfig(), 0.7)
    assert protocol.encode_command(protocol.FrameType.INFO) in port.written


def test_unrelated_bytes_are_recognised():
    with pytest.raises(SourceError, match="not emg-monitor firmware"):
        BoardLink(_FakePort(b"temperature=21.5\r\n"), name="p").handshake(DeviceConfig(), 0.7)


def test_decoder_keeps_no_consumed_byte():
    """A frame whose CRC ends in 0xA5 must not leave that byte behind (spurious resync)."""
    frames = [protocol.encode_samples(s, [s % 1024, 7]) for s in range(3000)]
    assert any(f[-1] == 0xA5 for f in frames)
    dec = protocol.FrameDecoder()
    for f in frames:
        dec.feed(f)
    assert dec.stats.resyncs == 0 and dec.stats.frames == 3000
