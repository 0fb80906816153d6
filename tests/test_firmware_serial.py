"""The simulated board on a pseudo-terminal, read by the real SerialSource:
firmware (simavr, paced at real time) -> pty -> pyserial -> BoardLink handshake ->
decoded values. The harness resets the MCU when the port is opened, as DTR does
on a real Uno, so the handshake sees a fresh HELLO."""
from __future__ import annotations

import subprocess
import threading

import numpy as np

from emg_monitor.model import DeviceConfig, SampleBlock
from emg_monitor.protocol import Hello
from emg_monitor.sources.base import Listener
from emg_monitor.device import counts_to_units
from emg_monitor.sources.notifier import Notifier
from emg_monitor.sources.serial_source import SerialSource

from test_firmware_sim import ELF, HARNESS, firmware, mv_to_counts  # noqa: F401 (fixture)

INPUTS_MV = (1000, 2000, 3000, 4000, 1650, 2310)


class Collect(Listener):
    def __init__(self) -> None:
        self.blocks: list[SampleBlock] = []
        self.errors: list[BaseException] = []
        self.enough = threading.Event()

    def on_block(self, block) -> None:
        self.blocks.append(block)
        if sum(b.n for b in self.blocks) >= 1000:
            self.enough.set()

    def on_error(self, exc) -> None:
        self.errors.append(exc)
        self.enough.set()


def read_board(harness_args, config: DeviceConfig):
    """Start the harness on a pty, read it with the real SerialSource until 1000 samples."""
    proc = subprocess.Popen([str(HARNESS), str(ELF), "--pty", "--duration", "0", *harness_args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("pty: "), (line, proc.stderr.read() if proc.poll() else "")
        port = line.split(" ", 1)[1].strip()
        source = SerialSource(port=port, config=config, hello_timeout_s=5.0, reconnect=False)
        sink = Collect()
        rd = Notifier(source)
        rd.add_listener(sink)
        rd.start()
        try:
            assert sink.enough.wait(20.0), "no samples from the simulated board within 20 s"
        finally:
            rd.stop()
        assert not sink.errors, sink.errors
        assert sum(b.lost_before for b in sink.blocks) == 0
        firsts = [b.first_index for b in sink.blocks]
        assert firsts[0] == 0 and all(b.first_index + b.n == n.first_index
                                      for b, n in zip(sink.blocks, sink.blocks[1:]))
        return source.info, np.concatenate([b.data for b in sink.blocks])
    finally:
        proc.terminate()
        proc.wait(10)


def test_serial_source_reads_two_simulated_imus(firmware):  # noqa: F811
    """Firmware + two MPU-6050 models in simavr -> pty -> SerialSource: the IMUs are in
    the DeviceInfo by name and their channels carry the models' still reading (z = 1 g)."""
    waves = [a for ch, mv in enumerate(INPUTS_MV[:4]) for a in ("--wave", f"{ch}=const:{mv}")]
    config = DeviceConfig(sample_rate_hz=2000, n_emg=4, n_motion=0,
                          imu_segments=("pelvis", "thigh", "thorax"))
    info, data = read_board(waves + ["--imu", "pelvis", "--imu", "thigh"], config)
    assert info.imu_segments == ("pelvis", "thigh") and info.imu_missing == ("thorax",)
    assert info.imu_rate_hz == 100.0
    assert data.shape[1] == 4 + 12
    still = np.array([0, 0, 1.0, 0, 0, 0] * 2)
    assert np.array_equal(data[:, 4:], np.broadcast_to(still, (len(data), 12)))
    assert [c.name for c in info.channels[4:7]] == ["pelvis_acc_x", "pelvis_acc_y", "pelvis_acc_z"]


def test_serial_source_reads_the_simulated_board(firmware):  # noqa: F811
    waves = [a for ch, mv in enumerate(INPUTS_MV) for a in ("--wave", f"{ch}=const:{mv}")]
    config = DeviceConfig(sample_rate_hz=1000, n_emg=4, n_motion=2)
    info, data = read_board(waves, config)
    assert info is not None and info.sample_rate_hz == 1000
    assert data.shape[1] == 6 and len(data) >= 1000
    hello = Hello(2, "2.0.0", 1000, 4, 2, 10, 128, True, 5000, (0, 1, 2, 3, 4, 5))
    expected = counts_to_units(mv_to_counts(INPUTS_MV)[None, :], hello, config)[0]
    assert np.allclose(data, expected[None, :], rtol=0, atol=1e-9)
