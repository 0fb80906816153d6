"""Sources and records for the dashboard's tests: a scheduled EMG source and made-up reps."""
import time

import numpy as np

from emg_monitor.model import (Channel, DeviceInfo, EventKind, Kind, Muscle, RepResult,
                               SampleBlock, Side)
from emg_monitor.sources.base import Source


def rep(n, ratio, verdict, calibrated=True, **kw):
    return RepResult(rep=n, set_index=1, t_start_s=n * 3.0, t_top_s=n * 3.0 + 1, t_end_s=n * 3.0 + 2,
                     window_start_s=0, window_end_s=0, lockout_s=0.4, glute_left=ratio,
                     glute_right=ratio, erector_left=1, erector_right=1, glute=ratio, erector=1.0,
                     ratio=ratio, verdict=verdict, amplitude_unit="pct_mvc" if calibrated else "uV",
                     calibrated=calibrated, exercise="deadlift", session_rep=n, **kw)


class ScheduledSource(Source):
    """Four raw EMG channels whose amplitude (µV RMS) follows ``level(t_s) -> (glute, erector)``;
    optionally a disconnection at ``disconnect_s``."""

    def __init__(self, level, seconds=30.0, disconnect_s=None):
        super().__init__()
        self.level, self.seconds, self.disconnect_s = level, seconds, disconnect_s
        self.i = 0
        self.rng = np.random.default_rng(0)

    def _open(self):
        ch = [Channel(f"{s.value}_{m.value}", Kind.RAW_EMG, "uV", m, s)
              for s in (Side.LEFT, Side.RIGHT) for m in (Muscle.GLUTE, Muscle.ERECTOR)]
        return DeviceInfo(1000.0, tuple(ch), device="scheduled")

    def _read(self, timeout_s):
        time.sleep(0.005)
        t = self.i / 1000.0
        if t >= self.seconds:
            raise StopIteration
        if self.disconnect_s is not None and abs(t - self.disconnect_s) < 0.01:
            self._event(EventKind.DISCONNECTED, self.i, "/dev/ttyUSB0: [Errno 5] Input/output error")
            self.disconnect_s = None
            time.sleep(0.3)
        g, e = self.level(t)
        data = self.rng.standard_normal((20, 4)) * np.array([g, e, g, e])
        block = SampleBlock(self.i, data)
        self.i += 20
        return [block]


def pixels_of(widget, rect, colour: str, tol: int = 40) -> int:
    """How many pixels of ``widget`` as it is painted now, inside ``rect`` (widget
    coordinates), have ``colour`` (#rrggbb) within ``tol`` per channel: what the user sees,
    not what a widget's attributes say."""
    image = widget.grab().toImage()
    scale = image.width() / max(widget.width(), 1)
    r = rect.toAlignedRect()
    x0, y0 = int(r.left() * scale), int(r.top() * scale)
    x1, y1 = int(r.right() * scale), int(r.bottom() * scale)
    ptr = image.convertToFormat(image.Format.Format_RGB32).constBits()
    ptr.setsize(image.sizeInBytes())
    px = np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    region = px[max(y0, 0):y1, max(x0, 0):x1, :3].astype(int)      # B, G, R
    want = np.array([int(colour[5:7], 16), int(colour[3:5], 16), int(colour[1:3], 16)])
    return int(np.all(np.abs(region - want) <= tol, axis=-1).sum())
