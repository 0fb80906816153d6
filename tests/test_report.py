"""The HTML report: self-contained, escaped, one mark per rep, trend from history."""
from __future__ import annotations

import re

import numpy as np
import xml.etree.ElementTree as ET

import pytest

from emg_monitor.cli import main
from emg_monitor.dsp.calibration import Calibration
from emg_monitor.dsp.pipeline import FilterSettings
from emg_monitor.model import Verdict
from emg_monitor.session import Recorder, SessionMeta, load_session, new_session_folder
from emg_monitor.session.report import VERDICT_STYLE, render_report

from session_support import block, device_info, rep

HOSTILE = "<script>alert('x')</script> & Co"


def record(root, started, ratios, athlete=HOSTILE, calibrated=False):
    info = device_info()
    cal = (Calibration(created_iso="2026-11-01T09:00:00+01:00", unit="uV",
                       rest_rms={n: 2.0 for n in info.names[:4]},
                       mvc_rms={n: 321.5 for n in info.names[:4]}).to_dict()
           if calibrated else None)
    meta = SessionMeta(athlete, "deadlift", filter_settings=FilterSettings(mains="off").to_dict(),
                       calibration=cal, started=started, target_ratio=1.1)
    folder = new_session_folder(root, meta)
    with Recorder(folder, meta) as rec:
        rec.on_info(info)
        for first in range(0, 6000, 200):
            rec.on_block(block(first, 200))
        for i, r in enumerate(ratios, 1):
            verdict = (Verdict.UNKNOWN if r != r else Verdict.LUMBAR_DOMINANT if r < 0.9
                       else Verdict.BORDERLINE if r < 1.1 else Verdict.GLUTES_FINISHED)
            rec.on_rep(rep(1 + (i - 1) // 3, (i - 1) % 3 + 1, r, verdict, 1.0 + i * 0.7,
                           calibrated))
        rec.mark("note", text="left hip felt tight")
    return folder


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "sessions"
    record(root, "2026-11-06T10:00:00+01:00", [0.7, 0.8])
    record(root, "2026-11-13T10:00:00+01:00", [0.9, 1.0, 1.1])
    return root


def svgs(html):
    return re.findall(r"<svg.*?</svg>", html, flags=re.S)


def test_report_is_self_contained_and_escaped(root):
    folder = record(root, "2026-11-20T10:00:00+01:00", [1.5, 0.8, float("nan"), 1.0, 1.2])
    html = render_report(load_session(folder))
    assert "<script" not in html                  # the hostile name is escaped...
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co" in html
    assert not re.search(r"\b(src|href)\s*=", html)   # ...and nothing is fetched
    assert re.findall(r"https?://[^\s\"']+", html) == ["http://www.w3.org/2000/svg"] * len(svgs(html))
    for svg in svgs(html):                        # every chart is well-formed XML
        ET.fromstring(svg)
    assert "Uncalibrated." in html and "left hip felt tight" in html
    assert "target 1.10" in html


def test_one_mark_per_rep_coloured_by_verdict(root):
    ratios = [1.5, 0.8, float("nan"), 1.0, 1.2]
    folder = record(root, "2026-11-20T10:00:00+01:00", ratios)
    html = render_report(load_session(folder))
    ratio_svg = svgs(html)[0]
    for s, r, verdict in [(1, 1, Verdict.GLUTES_FINISHED), (1, 2, Verdict.LUMBAR_DOMINANT),
                          (2, 1, Verdict.BORDERLINE)]:
        color = VERDICT_STYLE[verdict][0]
        assert re.search(rf'fill="{color}"[^>]*><title>set {s} rep {r}: ratio', ratio_svg)
    # one small-multiple panel per rep
    assert len(re.findall(r"Set \d+ rep \d+ · ratio", html)) == len(ratios)


def test_calibrated_report_names_the_calibration(root):
    folder = record(root, "2026-11-20T10:00:00+01:00", [1.2, 1.3], calibrated=True)
    html = render_report(load_session(folder))
    assert "Uncalibrated" not in html and "%MVC" in html and "321.5" in html


def test_trend_across_sessions(root):
    folder = record(root, "2026-11-20T10:00:00+01:00", [1.2, 1.4])
    html = render_report(load_session(folder))
    trend = svgs(html)[-1]
    points = re.findall(r"<title>(\d{4}-\d\d-\d\d): mean ratio ([\d.]+) over (\d+) reps", trend)
    assert points == [("2026-11-06", "0.75", "2"), ("2026-11-13", "1.00", "3"),
                      ("2026-11-20", "1.30", "2")]
    other = record(root, "2026-11-21T10:00:00+01:00", [2.0], athlete="Somebody else")
    assert "Only this session is on record" in render_report(load_session(other))


def test_report_command_and_errors(root, tmp_path, capsys):
    folder = record(root, "2026-11-20T10:00:00+01:00", [1.2])
    out = tmp_path / "r" / "report.html"
    assert main(["report", str(folder), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "no such session" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["report", str(folder), "--out", str(blocker / "r.html")]) == 2
    assert "cannot write" in capsys.readouterr().err


# --- the physiotherapist's additions (issue 13) ------------------------------------------------
def test_report_has_sides_curves_mvc_table_fatigue_setup_and_pdf(tmp_path):
    import shutil
    from pathlib import Path as _P
    from emg_monitor.session.report import write_report
    demo = _P(__file__).resolve().parents[1] / "seeds" / "demo"
    folder = tmp_path / "demo"
    shutil.copytree(demo, folder)
    out = write_report(folder, tmp_path / "r.html", notes="re-test in two weeks")
    html = out.read_text(encoding="utf-8")
    for section in ("Each side across the session", "Average rep (time-normalised)",
                    "Peak and mean activation per rep", "Fatigue: median frequency",
                    "Electrodes, skin and filters", "clinician notes", "re-test in two weeks",
                    "High-pass, glutes", "alcohol"):
        assert section in html, section
    # the filters and the calibration as a clinician reads them, not as session.json spells them
    assert "<td class=\"l\">20 Hz</td>" in html and "highpass_glute_hz" not in html
    assert "left glute</td>" in html and "24 Nov 2026, 10:20 (UTC+01:00)" in html
    # the dashboard's colour-blind-safe palette, no red/green
    from emg_monitor import palette
    assert palette.BLUISH_GREEN in html and palette.VERMILLION in html
    assert "#2e7d32" not in html and "#c62828" not in html
    # set.rep labels that read as decimals are gone; the words match the colours
    assert ">1.1<" not in html and "borderline band" in html
    pdf = out.with_suffix(".pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000


def test_rep_features_do_not_depend_on_the_chunk_size():
    """Read in 4 096-row chunks or in one piece: the same per-rep numbers (bounded memory
    changes nothing)."""
    from pathlib import Path as _P
    from emg_monitor.session.reader import load_session
    from emg_monitor.session.rep_signals import session_signals
    s = load_session(_P(__file__).resolve().parents[1] / "seeds" / "demo")
    small = session_signals(s, s.reps, chunk_rows=4096)
    big = session_signals(s, s.reps, chunk_rows=1 << 20)
    assert len(small.reps) == len(big.reps) == len([r for r in s.reps if r.status.value == "complete"])
    for a, b in zip(small.reps, big.reps):
        assert np.allclose(a.curve, b.curve) and np.allclose(a.peak, b.peak)
        assert np.allclose(a.mdf_hz, b.mdf_hz, equal_nan=True)
    assert np.allclose(small.overview, big.overview, equal_nan=True)
    mdf = np.array([r.mdf_hz for r in small.reps])
    assert np.all((mdf > 30) & (mdf < 250))           # sEMG median frequencies


def test_median_frequency_of_a_known_spectrum():
    from emg_monitor.session.rep_signals import fatigue_slope, median_frequency_hz
    fs = 2000.0
    t = np.arange(int(2 * fs)) / fs
    x = np.sin(2 * np.pi * 100 * t) + np.sin(2 * np.pi * 140 * t)
    assert 95 <= median_frequency_hz(x, fs) <= 145
    slope, pct = fatigue_slope([100, 98, 96, 94])
    assert slope == pytest.approx(-2.0) and pct == pytest.approx(-6.0)
    assert np.isnan(fatigue_slope([100, 90])[0])


@pytest.mark.parametrize("damage", [dict(t_end_s=1e6), dict(t_start_s=-1e6),
                                    dict(t_start_s=float("nan")), dict(t_top_s=float("inf")),
                                    dict(t_start_s=5.0, t_end_s=1.0)], ids=str)
def test_a_rep_with_damaged_times_costs_only_its_own_features(damage):
    """A hand-edited reps.jsonl rep spanning the whole recording (or with NaN times) once
    held the whole recording in memory, or left the report with no per-rep features."""
    import tracemalloc
    from dataclasses import replace
    from pathlib import Path as _P
    from emg_monitor.session.reader import load_session
    from emg_monitor.session.rep_signals import session_signals
    s = load_session(_P(__file__).resolve().parents[1] / "seeds" / "demo")
    tracemalloc.start()
    clean = session_signals(s, s.reps, chunk_rows=4096)
    clean_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    complete = [k for k, r in enumerate(s.reps) if r.status.value == "complete"]
    reps = list(s.reps)
    reps[complete[1]] = replace(reps[complete[1]], **damage)
    got = session_signals(s, reps, chunk_rows=4096)
    damaged_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    bad = s.reps[complete[1]]
    want = [r for r in clean.reps if (r.rep.set_index, r.rep.rep) != (bad.set_index, bad.rep)]
    assert [(r.rep.set_index, r.rep.rep) for r in got.reps] == [
        (r.rep.set_index, r.rep.rep) for r in want]
    for a, b in zip(got.reps, want):
        assert np.array_equal(a.curve, b.curve, equal_nan=True)
    assert damaged_peak < 1.5 * clean_peak


def test_a_full_disk_during_the_pdf_says_so_and_keeps_the_html(tmp_path, monkeypatch):
    """The PDF's parts fill the disk: one line naming the PDF (the HTML is there), and no
    part file or half PDF is left behind."""
    import errno
    import shutil
    from pathlib import Path as _P

    import weasyprint

    from emg_monitor.errors import UserError
    from emg_monitor.session import report_pdf
    from emg_monitor.session.report import write_report
    folder = tmp_path / "demo"
    shutil.copytree(_P(__file__).resolve().parents[1] / "seeds" / "demo", folder)
    real, written = weasyprint.HTML, []

    class Filling:
        def __init__(self, *, string):
            self.doc = real(string=string)

        def write_pdf(self, target=None):
            if written:
                raise OSError(errno.ENOSPC, "No space left on device")
            written.append(target)
            return self.doc.write_pdf(target)
    monkeypatch.setattr(weasyprint, "HTML", Filling)
    monkeypatch.setattr(report_pdf.write_pdf, "__defaults__", (40_000,))   # several parts
    out = tmp_path / "out" / "r.html"
    with pytest.raises(UserError) as err:
        write_report(folder, out)
    assert "r.pdf" in str(err.value) and "HTML report is written" in str(err.value)
    assert out.exists() and sorted(p.name for p in out.parent.iterdir()) == ["r.html"]
