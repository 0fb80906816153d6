"""The report's hip section: the hip angle at every top against neutral, and its trend."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

from emg_monitor.dsp.pipeline import FilterSettings
from emg_monitor.model import Verdict
from emg_monitor.session import Recorder, SessionMeta, load_session, new_session_folder
from emg_monitor.session.history import hip_trend
from emg_monitor.session.report import render_report

from session_support import block, device_info, rep


def record(root, started, gaps, neutral=True):
    meta = SessionMeta("Ana", "deadlift", filter_settings=FilterSettings(mains="off").to_dict(),
                       started=started)
    folder = new_session_folder(root, meta)
    with Recorder(folder, meta) as rec:
        rec.on_info(device_info())
        if neutral:
            rec.mark("hip_neutral", at_index=0, created_iso="2026-11-01T09:00:00+00:00",
                     relaxed_hip_deg=3.2, relaxed_lumbar_deg=None)
        for first in range(0, 6000, 200):
            rec.on_block(block(first, 200))
        for i, g in enumerate(gaps, 1):
            r = rep(1, i, 0.7 if g > 3 else 1.4,
                    Verdict.LUMBAR_DOMINANT if g > 3 else Verdict.GLUTES_FINISHED, 1.0 + i * 0.7)
            rec.on_rep(replace(r, hip_angle_at_top_deg=g, hip_short_of_neutral_deg=max(g, 0.0),
                               lumbar_angle_at_top_deg=-0.8 * g,
                               cue="finish with your hips" if g > 3 else ""))
    return folder


def test_hip_section_one_bar_per_top_and_the_trend(tmp_path):
    root = tmp_path / "sessions"
    record(root, "2026-11-06T10:00:00+01:00", [6.0, 7.0])
    folder = record(root, "2026-11-13T10:00:00+01:00", [0.5, 6.5, -1.0])
    html = render_report(load_session(folder))
    assert "Hip angle at the top" in html
    assert "the squeeze extends the hips 3.2° beyond the relaxed stand" in html
    svg = [s for s in re.findall(r"<svg.*?</svg>", html, flags=re.S) if "Hip angle at the top" in s][0]
    ET.fromstring(svg)
    tips = re.findall(r"<title>set 1 rep (\d): hips (-?[\d.]+)° from neutral", svg)
    assert list(dict.fromkeys(tips)) == [("1", "0.5"), ("2", "6.5"), ("3", "-1.0")]  # bar + lumbar mark
    assert "finish with your hips" in svg and "tolerance 3°" in svg
    trend = hip_trend("Ana", root)
    assert [round(p.mean_hip_short_deg, 2) for p in trend] == [6.5, round((0.5 + 6.5 + 0.0) / 3, 2)]
    assert "Mean hip gap per session" in html


def test_no_hip_section_without_hip_angles_and_a_note_without_neutral(tmp_path):
    root = tmp_path / "sessions"
    folder = record(root, "2026-11-06T10:00:00+01:00", [float("nan")], neutral=False)
    assert "Hip angle at the top" not in render_report(load_session(folder))
    folder = record(root, "2026-11-07T10:00:00+01:00", [5.0], neutral=False)
    html = render_report(load_session(folder))
    assert "No hip neutral was calibrated" in html


def test_hip_charts_use_the_dashboards_colour_blind_safe_palette(tmp_path):
    """Every data mark of the hip section (bars, lumbar diamonds, the trend's current
    session) and every legend swatch is a colour of palette.py (Okabe-Ito)."""
    from emg_monitor import palette
    root = tmp_path / "sessions"
    record(root, "2026-11-06T10:00:00+01:00", [6.0, 7.0])
    html = render_report(load_session(record(root, "2026-11-13T10:00:00+01:00", [0.5, 6.5])))
    start = html.index("<h2>Hip angle at the top</h2>")
    end = html.find("<h2", start + 4)
    section = html[start:end if end > 0 else len(html)]
    top, trend = re.findall(r"<svg.*?</svg>", section, flags=re.S)[:2]
    marks = [(el.tag.rsplit("}", 1)[-1], el.find("{*}title").text, el.get("fill"))
             for el in ET.fromstring(top).iter() if el.find("{*}title") is not None]
    bars = {tip.split(":")[0]: fill for tag, tip, fill in marks if tag == "rect"}
    assert bars == {"set 1 rep 1": palette.BLUISH_GREEN, "set 1 rep 2": palette.VERMILLION}
    assert {fill for tag, _, fill in marks if tag != "rect"} == {palette.PURPLE}   # lumbar
    swatches = set(re.findall(r'class="sw" style="background:(#[0-9a-fA-F]{6})"', section))
    assert swatches == {palette.BLUISH_GREEN, palette.VERMILLION, palette.PURPLE}
    assert palette.VERMILLION in trend                  # this session, in the trend
