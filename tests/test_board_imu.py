"""IMUs through the Python board emulator and the real BoardLink: Kind.IMU channels per
the TEAM contract, values held from their stamp, missing and silent IMUs by name."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from emg_monitor import protocol
from emg_monitor.device import imu_lsb_units
from emg_monitor.model import DeviceConfig, EventKind, Kind, SampleBlock, SourceEvent
from emg_monitor.sim.athlete import Athlete, AthleteConfig
from emg_monitor.sim.device import DeviceEmulator, EmulatorPort, ImuKinematics
from emg_monitor.sources.base import SourceError
from emg_monitor.sources.board import BoardLink

FS = 1000
CONFIG = DeviceConfig(sample_rate_hz=FS, n_emg=4, n_motion=0, imu_segments=("pelvis", "thigh"))


class Swings:
    """Deterministic segment kinematics at EMG sample indices (the test's own, until the
    simulated athlete provides ``Athlete.imu``)."""

    def __init__(self, fs_hz: float = FS) -> None:
        self.fs_hz = fs_hz

    def truth(self, index: np.ndarray, segment: int) -> np.ndarray:
        t = np.asarray(index, dtype=float)[:, None] / self.fs_hz
        k = np.arange(6)[None, :]
        amp = np.where(k < 3, 1.5, 300.0)
        return amp * np.sin(2 * np.pi * (0.5 + 0.3 * k + segment) * t + k)

    def imu(self, first_index: int, n: int):
        idx = np.arange(first_index, first_index + n)
        return {s: self.truth(idx, i) for i, s in enumerate(protocol.IMU_SEGMENTS)}


def flat(n, fs):
    return np.zeros((n, 6))


def _link(config=CONFIG, **kw):
    emu = DeviceEmulator(flat, config, kinematics=kw.pop("kinematics", Swings()), **kw)
    port = EmulatorPort(emu)
    link = BoardLink(port)
    link.handshake(config, timeout_s=1.0)
    return emu, port, link


def _collect(port, link, n, chunk=37):
    blocks = []
    for _ in range(n // chunk):
        port.pump(chunk)
        blocks += link.read_blocks()
    return blocks


def test_swings_is_an_imu_source_and_the_athlete_is_checked_explicitly():
    assert isinstance(Swings(), ImuKinematics)
    # whatever the athlete offers, the emulator asks through the protocol, not by name
    emu = DeviceEmulator(Athlete(AthleteConfig(seed=1)), CONFIG)
    assert (emu._imu_source() is not None) == isinstance(emu.source, ImuKinematics)


def test_the_simulated_source_delivers_the_athletes_imus_held_from_each_read():
    """SimulatedSource -> emulator -> bytes -> BoardLink: the IMU channels equal the
    athlete's own IMU readings (Athlete.imu) at the 100 Hz read ticks, within half an LSB."""
    from emg_monitor.device import imu_lsb_units
    from emg_monitor.sources.simulated import SimulatedSource
    cfg = DeviceConfig(sample_rate_hz=1000, n_emg=4, n_motion=0,
                       imu_segments=("pelvis", "thigh", "thorax"))
    src = SimulatedSource(AthleteConfig(seed=3, sets=1, reps_per_set=2), cfg, realtime=False,
                          duration_s=3.0)
    info = src.open()
    assert info.imu_segments == ("pelvis", "thigh", "thorax") and info.imu_rate_hz == 100.0
    blocks = []
    while True:
        items = src.read()
        blocks += [b for b in items if isinstance(b, SampleBlock)]
        if any(isinstance(e, SourceEvent) and e.kind == EventKind.END for e in items):
            break
    data = np.vstack([b.data for b in blocks])
    index = np.concatenate([b.first_index + np.arange(b.n) for b in blocks])
    assert np.array_equal(index, np.arange(3000))          # the last rows are not held back
    truth = Athlete(AthleteConfig(seed=3, sets=1, reps_per_set=2)).imu(0, int(index[-1]) + 1)
    lsb = imu_lsb_units(src._link.hello)
    held = (index // 10) * 10
    for i, seg in enumerate(info.imu_segments):
        got = data[:, 4 + 6 * i:10 + 6 * i]
        assert np.all(np.abs(got - truth[seg][held]) <= lsb / 2 + 1e-9), seg


def test_imu_channels_follow_the_contract_and_hold_each_read_until_the_next():
    emu, port, link = _link()
    from emg_monitor.device import info_from_hello
    info = info_from_hello(link.hello, CONFIG, "x")
    names = [f"{s}_{q}_{a}" for s in ("pelvis", "thigh") for q in ("acc", "gyr") for a in "xyz"]
    assert list(info.names[4:]) == names
    assert {c.kind for c in info.channels[4:]} == {Kind.IMU}
    assert [c.unit for c in info.channels[4:10]] == ["g"] * 3 + ["deg_s"] * 3
    assert (info.imu_rate_hz, info.imu_segments, info.imu_missing) == (100.0, ("pelvis", "thigh"), ())
    blocks = _collect(port, link, 3000)
    data = np.vstack([b.data for b in blocks])
    index = np.concatenate([b.first_index + np.arange(b.n) for b in blocks])
    assert np.array_equal(index, np.arange(len(index))) and len(index) >= 2990
    held = (index // 10) * 10                         # 100 Hz reads, stamped at their tick
    lsb = imu_lsb_units(link.hello)
    for i in range(2):
        truth = Swings().truth(held, i)
        assert np.all(np.abs(data[:, 4 + 6 * i:10 + 6 * i] - truth) <= lsb / 2 + 1e-12)


def test_a_missing_imu_is_named_and_emg_goes_on():
    emu, port, link = _link(imus_attached=("pelvis",))
    assert link.hello.imu_segments == ("pelvis",) and link.hello.imu_missing == ("thigh",)
    blocks = _collect(port, link, 1000)
    assert sum(b.n for b in blocks) >= 990 and blocks[0].data.shape[1] == 4 + 6


def test_without_kinematics_no_imu_answers():
    emu = DeviceEmulator(flat, CONFIG)
    port = EmulatorPort(emu)
    link = BoardLink(port)
    hello = link.handshake(CONFIG, timeout_s=1.0)
    assert hello.imu_segments == () and hello.imu_missing == ("pelvis", "thigh")


def test_an_imu_that_goes_silent_is_reported_and_its_channels_become_nan():
    emu, port, link = _link(imu_silent_from={"thigh": 1234})
    blocks = _collect(port, link, 3000)
    data = np.vstack([b.data for b in blocks])
    events = link.take_imu_events()
    assert [(e.segment, e.status, e.sample_index) for e in events] == [
        ("thigh", protocol.ImuStatusCode.LOST, 1240)]
    assert np.all(np.isfinite(data[:1240, 10:])) and np.all(np.isnan(data[1240:, 10:]))
    assert np.all(np.isfinite(data[:, :10]))           # EMG and the pelvis go on
    assert len(data) >= 2990


def test_imu_and_analog_motion_cannot_share_a4_a5():
    with pytest.raises(SourceError, match="A4/A5"):
        _link(DeviceConfig(n_motion=2, imu_segments=("pelvis",)))
    with pytest.raises(SourceError, match="unknown IMU segment"):
        _link(DeviceConfig(n_motion=0, imu_segments=("knee",)))


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([500, 1000, 2000]), st.lists(st.integers(1, 400), min_size=5, max_size=30),
       st.integers(0, 50))
def test_any_read_pattern_gives_exact_indices_and_held_values(rate, chunks, drop_every):
    """Whatever the read sizes and frame drops: indices stay exact, every IMU value equals
    the read stamped at the last IMU tick at or before the row."""
    config = DeviceConfig(sample_rate_hz=rate, n_emg=2, n_motion=0, imu_segments=("pelvis", "thigh"))
    kin = Swings(rate)
    emu, port, link = _link(config, kinematics=kin, drop_every=drop_every if drop_every > 1 else 0)
    blocks = []
    for c in chunks:
        port.pump(c)
        blocks += link.read_blocks()
    div = rate // 100
    lsb = imu_lsb_units(link.hello)
    seen = 0
    for b in blocks:
        seen += b.lost_before
        assert b.first_index == seen
        seen += b.n
        index = b.first_index + np.arange(b.n)
        for i in range(2):
            truth = kin.truth((index // div) * div, i)
            assert np.all(np.abs(b.data[:, 2 + 6 * i:8 + 6 * i] - truth) <= lsb / 2 + 1e-12)
    assert seen <= sum(chunks) and seen >= sum(chunks) - 2 * div - 2


def test_cli_reads_imus_instead_of_the_analog_accelerometer(capsys):
    """A user's way in: --imu on monitor prints which IMUs answered; a bad name is one line."""
    from emg_monitor.cli import main
    assert main(["monitor", "--simulate", "--imu", "thigh", "pelvis", "--seconds", "1.2",
                 "--sets", "1", "--reps", "1"]) == 0
    out = capsys.readouterr().out
    assert "IMUs at 100 Hz: pelvis, thigh" in out and "pelvis_acc_z" in out and "accel_x" not in out
    assert main(["monitor", "--simulate", "--imu", "knee", "--seconds", "1"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_board_with_the_old_protocol_is_told_to_flash_the_sketch():
    class OldBoard:
        in_waiting = 0

        def write(self, data):
            return len(data)

        def read(self, n):
            hello, self.read = protocol.encode_frame(
                protocol.FrameType.HELLO, bytes([1, 1, 0, 0, 0xE8, 0x03, 4, 2, 10, 128, 0, 0x88,
                                                 0x13]) + bytes(range(6))), lambda n: b""
            return hello

    with pytest.raises(SourceError, match="protocol v1.*make -C arduino upload"):
        BoardLink(OldBoard()).handshake(CONFIG, timeout_s=1.0)


def test_frames_in_the_same_read_as_the_start_ack_are_kept():
    """A busy host reads START's ACK together with the first samples and IMU reads: none
    of them may be dropped, or every index after them would be off."""
    class Eager(EmulatorPort):
        def write(self, data):
            n = super().write(data)
            if data == protocol.encode_command(protocol.FrameType.START):
                self.pump(150)                    # the board streams before we read the ACK
            return n

    emu = DeviceEmulator(flat, CONFIG, kinematics=Swings())
    port = Eager(emu)
    link = BoardLink(port)
    link.handshake(CONFIG, timeout_s=1.0)
    blocks = link.read_blocks()
    port.pump(50)
    blocks += link.read_blocks()
    data = np.vstack([b.data for b in blocks])
    assert blocks[0].first_index == 0 and sum(b.n for b in blocks) == 200
    assert np.all(np.isfinite(data))
    truth = Swings().truth((np.arange(200) // 10) * 10, 0)
    assert np.all(np.abs(data[:, 4:10] - truth) <= imu_lsb_units(link.hello) / 2 + 1e-12)
