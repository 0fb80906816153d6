"""One set, one count: the dashboard counter, its set summary, the CSV exports and the report
read the same set records, on a session with every event that used to split them.

The lifter (scripted, on the acquisition thread like the real controls) does reps before
pressing START, presses START, is calibrated mid-set, presses STOP and does one more rep,
changes the exercise, and the board is unplugged mid-set and comes back. The recording is
then replayed in the dashboard with a seek back: no rep is renumbered, no set is added.
"""
from __future__ import annotations

import csv
import re

import pytest

from emg_monitor.dsp.calibration import Calibration
from emg_monitor.engine import EngineSettings
from emg_monitor.model import DeviceInfo, EventKind, RepStatus, SampleBlock
from emg_monitor.session import load_session
from emg_monitor.session.export import export_session
from emg_monitor.session.meta import SessionMeta
from emg_monitor.session.recorder import Recorder
from emg_monitor.session.report import render_report
from emg_monitor.sets import SetEnd
from emg_monitor.sim.athlete import Athlete, AthleteConfig
from emg_monitor.sources.base import Listener, Source
from emg_monitor.ui.app import DashboardOptions, replay_session
from emg_monitor.ui.live import LiveSession
from emg_monitor.ui.main_window import DashboardWindow

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("propagateSizeHints", "QFont::setPointSize")]

BLOCK = 20
AWAY_S = 1.5


class UnpluggedOnce(Source):
    """The simulated athlete's samples in 20-sample blocks; unplugged once for AWAY_S
    (DISCONNECTED, samples lost, RECONNECTED + GAP), then finite (END)."""

    def __init__(self, athlete: Athlete, unplug_at: int) -> None:
        super().__init__()
        self.athlete = athlete
        self.data = athlete.render_all()
        self.unplug_at = unplug_at
        self.pos = 0

    def _open(self) -> DeviceInfo:
        return DeviceInfo(self.athlete.config.sample_rate_hz, self.athlete.channels,
                          device="scripted board")

    def _read(self, timeout_s: float):
        if self.pos >= len(self.data):
            raise StopIteration
        if self.pos == self.unplug_at:
            away = int(AWAY_S * self.info.sample_rate_hz)
            self._event(EventKind.DISCONNECTED, self.pos, "unplugged")
            self._event(EventKind.RECONNECTED, self.pos + away, "scripted")
            self._event(EventKind.GAP, self.pos, "disconnected", AWAY_S)
            self.pos += away
        a = self.pos
        self.pos = min(len(self.data), a + BLOCK)
        if a < self.unplug_at < self.pos:
            self.pos = self.unplug_at
        return [SampleBlock(a, self.data[a:self.pos].copy(), lost_before=0)]

    def _end_index(self) -> int:
        return len(self.data)


class Lifter(Listener):
    """Presses the buttons at stream samples, as the dashboard's controls would (they queue
    engine requests and mark the recording)."""

    def __init__(self, engine, recorder, script) -> None:
        self.engine, self.recorder, self.script = engine, recorder, sorted(script,
                                                                           key=lambda s: s[0])

    def on_block(self, block: SampleBlock) -> None:
        while self.script and self.script[0][0] <= block.first_index:
            _, what, value = self.script.pop(0)
            if what == "start":
                self.engine.start_set()
            elif what == "stop":
                self.engine.stop_set()
            elif what == "calibrate":
                self.engine.set_calibration(value)
                self.recorder.mark("calibration", at_index=block.first_index, **value.to_dict())
            elif what == "exercise":
                self.engine.set_exercise(value)
                self.recorder.mark("exercise", at_index=block.first_index, exercise=value)


def shown_at_each_close(window):
    """What the lifter saw when each set ended: (set, counter, summary 'reps' field)."""
    seen = []
    on_set = window.on_set

    def spy(record):
        on_set(record)
        if record.closed and record.reps:
            seen.append((record.set_index, int(window.counter.count.text()),
                         window.summary.fields["reps"].text(), record.end_reason))
    window.on_set = spy
    window.session.bridge.set_changed.disconnect()
    window.session.bridge.set_changed.connect(spy)
    return seen


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_counter_summary_export_and_report_agree_through_every_event(qtbot, tmp_path):
    cfg = AthleteConfig(sets=3, reps_per_set=4, rest_between_sets_s=22.0, setup_s=3.0,
                        seed=7, lumbar_pattern=(False, True, False, False))
    athlete = Athlete(cfg)
    fs = cfg.sample_rate_hz
    t = [(r.set_index, r.rep, r.t_start_s, r.t_end_s) for r in athlete.truth]

    def at(s, r, edge):                      # a sample between the athlete's reps
        start, end = next((a, b) for si, ri, a, b in t if (si, ri) == (s, r))
        return int(round((start if edge == "start" else end) * fs))

    # 0.3 s before a rep begins its descent the lifter is standing at the top: a safe moment
    script = [(at(2, 1, "start") - int(2.0 * fs), "start", None),
              (at(2, 3, "start") - int(0.3 * fs), "calibrate", None),
              (at(2, 4, "start") - int(0.3 * fs), "stop", None),
              (at(3, 1, "start") - int(2.5 * fs), "exercise", "squat")]
    names = [ch.name for ch in athlete.channels if ch.is_emg]
    cal = Calibration("2026-12-01T10:00:00+00:00", "uV", {n: 0.0 for n in names},
                      {n: cfg.glute_mvc_uv if "glute" in n else cfg.erector_mvc_uv
                       for n in names})
    script[1] = (script[1][0], "calibrate", cal)
    unplug = (at(3, 2, "end") + int(0.5 * fs)) // BLOCK * BLOCK
    source = UnpluggedOnce(athlete, unplug)
    folder = tmp_path / "session"
    recorder = Recorder(folder, SessionMeta(athlete="Ana", exercise="deadlift"))
    session = LiveSession(source, EngineSettings(exercise="deadlift"), recorder=recorder,
                          driver=lambda engine, display: Lifter(engine, recorder, script))
    window = DashboardWindow(None, exercises=("deadlift", "squat"))
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    source.open()
    window.attach(session)
    live_seen = shown_at_each_close(window)
    qtbot.waitUntil(lambda: session.reader.ended and not session.reader.running, timeout=120000)
    qtbot.waitUntil(lambda: {s for s, *_ in live_seen} == {r.set_index for r in
                                                           session.engine.sets.records},
                    timeout=10000)
    window.detach()                          # closes the recording (on a closer thread)
    assert all(closed.wait(20) for closed in window.closing)   # then read what it wrote

    records = session.engine.sets.records
    # the scripted story, as set records
    assert [(r.set_index, r.count, r.manual, r.end_reason) for r in records] == [
        (1, 4, False, SetEnd.BAR_DOWN),       # reps before START: a set of their own
        (2, 3, True, SetEnd.MANUAL),          # START .. (mid-set calibration) .. STOP
        (3, 1, False, SetEnd.BAR_DOWN),       # the rep after STOP: never in the stopped set
        (4, 4, False, SetEnd.END)]            # squat; unplugged mid-set, same set
    assert records[3].interruptions == 1 and records[3].exercise == "squat"
    assert [r.calibrated for r in records[1].reps] == [False, False, True]
    all_reps = [r for rec in records for r in rec.reps]
    assert [r.session_rep for r in all_reps] == list(range(1, 13))
    assert all(r.status == RepStatus.COMPLETE for r in all_reps)

    # the dashboard: counter == summary == record when each set ended
    # (a rep in its lockout when STOP was pressed joins the stopped set: its summary updates)
    last_shown = {s: (c, int(f), e) for s, c, f, e in live_seen}
    assert last_shown == {r.set_index: (r.count, r.count, r.end_reason) for r in records}

    # exports and the report read the recorded records: the same counts
    saved = load_session(folder)
    assert [(r.set_index, r.count) for r in saved.sets] == [(r.set_index, r.count)
                                                            for r in records]
    reps_csv, sets_csv, _ = export_session(saved, tmp_path / "out")
    sets_rows = read_csv(sets_csv)
    assert [(int(s["set"]), int(s["reps"])) for s in sets_rows] == [
        (r.set_index, r.count) for r in records]
    rep_rows = read_csv(reps_csv)
    assert [(int(r["set"]), int(r["rep"]), int(r["session_rep"])) for r in rep_rows] == [
        (r.set_index, r.rep, r.session_rep) for r in all_reps]
    html = render_report(saved)
    start = html.index("<th class='l'>onset order</th></tr>")
    table = html[start:html.index("</table>", start)]          # the sets table alone
    report_counts = re.findall(r"<tr><td>(\d+)</td><td>(\d+)", table)
    assert [(int(s), int(n)) for s, n in report_counts] == [(r.set_index, r.count)
                                                            for r in records]
    assert f"<b>{len(all_reps)}</b><span>reps in {len(records)} sets" in html
    stops = [m["sample_index"] for m in saved.marks if m["kind"] == "set_stop"]
    assert len(stops) == len(records)                                # one end mark per set
    titles = re.findall(r"Set (\d+) rep (\d+) · ratio", html)
    assert len(titles) == len(set(titles)) == len(all_reps)          # never "S1 R1" twice

    # the replay, with a seek back into set 2 once set 3 has been shown
    replay = replay_session(_replay_source(folder), DashboardOptions(athlete="Ana"))
    window.attach(replay)
    replay_seen = shown_at_each_close(window)
    qtbot.waitUntil(lambda: any(r.set_index == 3 for r in window.reps), timeout=60000)
    window.seek_to(records[1].reps[0].t_start_s - 1.0)
    qtbot.waitUntil(lambda: replay.reader.ended and not replay.reader.running, timeout=120000)
    window.seek_to(saved.duration_s + 30.0)                         # clicking past the end
    qtbot.waitUntil(lambda: not replay.reader.running, timeout=20000)
    qtbot.wait(200)
    got = replay.engine.sets.records
    assert [(r.set_index, r.count, r.end_reason) for r in got] == [
        (r.set_index, r.count, r.end_reason) for r in records]
    for a, b in zip([r for rec in got for r in rec.reps], all_reps):
        assert (a.set_index, a.rep, a.session_rep) == (b.set_index, b.rep, b.session_rep)
        assert a.t_top_s == pytest.approx(b.t_top_s, abs=0.002)
        assert a.ratio == pytest.approx(b.ratio, rel=1e-3)
    shown = {s: c for s, c, _, _ in replay_seen}
    assert shown == {r.set_index: r.count for r in records}          # no "SET 5", no 0-rep set
    assert max(r.set_index for r in window.reps) == len(records)
    window.close()


def _replay_source(folder):
    from emg_monitor.sources.replay import ReplaySource
    src = ReplaySource(folder, speed=25.0)
    src.open()
    return src
