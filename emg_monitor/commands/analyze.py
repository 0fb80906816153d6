"""``emg-monitor analyze``: reps, lockout ratio and verdicts of a recorded file -> REPS.csv."""
from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..errors import UserError
from ..exercises import EXERCISES
from ..session.csvsafe import write_csv
from ..session.export import rep_table, unit_suffix
from ..session.outputs import check_output
from . import options


def add_parser(sub) -> None:
    p = sub.add_parser(
        "analyze", help="find reps in a recording and judge the glute:erector ratio at each top",
        description="Run the live chain (filters, envelope, reps) over a recorded CSV/text table "
                    "or a session folder and write one row per rep.")
    p.add_argument("recording", help="CSV/TSV table with a header row, a UCI .txt file, an "
                                     "XDF file (LabRecorder), or a session folder recorded by "
                                     "emg-monitor")
    p.add_argument("--stream", metavar="NAME",
                   help="XDF: the EMG stream to analyse (needed when the file has several)")
    p.add_argument("--map", nargs="+", default=[], metavar="LABEL=ROLE",
                   help="XDF: channel roles by label, as for an LSL source "
                        "(left_glute, left_erector, right_glute, right_erector, angle, accel_x, "
                        "accel_y, ignore); unlisted labels are guessed")
    p.add_argument("--set-marker", metavar="TEXT",
                   help="XDF: markers with this text start a new set")
    p.add_argument("--glute", nargs="+", default=[], metavar="COL",
                   help="glute column(s): left [right]")
    p.add_argument("--erector", nargs="+", default=[], metavar="COL",
                   help="lumbar erector column(s): left [right]")
    p.add_argument("--motion", nargs="+", metavar="COL",
                   help="an angle column (deg) or two accelerometer columns (g); without it reps "
                        "are found from the EMG alone")
    p.add_argument("--imu", action="store_true",
                   help="use the IMU columns named pelvis_acc_x ... thigh_gyr_z [thorax_...] "
                        "(accelerometer in g, gyro in deg/s): reps from the hip angle and the "
                        "hip angle at every top (docs/hip.md)")
    p.add_argument("--imu-rate", type=options.IMU_RATE_HZ, metavar="HZ",
                   help="the IMUs' own sampling rate when their values are held in a faster "
                        "table (default: the table's rate, at most 100 Hz)")
    p.add_argument("--top-at", choices=("min", "max"),
                   help="the top of a rep is the angle's minimum or maximum (default: the "
                        "exercise's: min for trunk inclination, max for the hip thrust)")
    p.add_argument("--mvc", nargs="+", default=[], metavar="COL=VALUE",
                   help="each EMG column's RMS at MVC in the file's units: amplitudes in %%MVC")
    p.add_argument("--mains", choices=("auto", "50", "60", "off"), default="auto")
    p.add_argument("--sample-rate", type=options.SAMPLE_RATE_HZ, metavar="HZ",
                   help="sampling rate when the table has no time column")
    p.add_argument("--exercise", default="deadlift", type=options.exercise,
                   help=f"one of {', '.join(EXERCISES)}")
    p.add_argument("--target", type=options.TARGET_RATIO, metavar="RATIO",
                   help="target glute:erector ratio")
    p.add_argument("--min-rom", type=options.MIN_ROM_DEG, metavar="DEG",
                   help="smallest range of motion that counts as a rep")
    p.add_argument("--min-rep-s", type=options.MIN_REP_S, metavar="S",
                   help="shortest time between two tops")
    p.add_argument("--out", required=True, metavar="REPS.csv", help="where to write the rep table")
    p.set_defaults(func=run)


def _parse_mvc(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UserError(f"--mvc {item!r}: write COLUMN=VALUE, e.g. glute_l=410")
        try:
            out[name] = options.MVC_AMPLITUDE(value)
        except argparse.ArgumentTypeError as exc:
            raise UserError(f"--mvc {item!r}: {exc}") from None
    return out


def run(args: argparse.Namespace) -> int:
    from ..analysis import analyze_session, analyze_table

    rec = Path(args.recording)
    out_path = check_output(Path(args.out), [rec])
    if out_path.parent and not out_path.parent.exists():
        raise UserError(f"the folder for --out does not exist: {out_path.parent}")
    limits = {}
    if args.min_rom is not None:
        limits["min_rom_deg"] = args.min_rom
    if args.min_rep_s is not None:
        limits["min_rep_s"] = args.min_rep_s
    xdf = rec.suffix.lower() in (".xdf", ".xdfz") or rec.name.lower().endswith(".xdf.gz")
    if not xdf and (args.stream or args.map or args.set_marker):
        raise UserError("--stream, --map and --set-marker are for XDF recordings")
    if xdf:
        from ..channel_map import parse_map
        from ..dsp.pipeline import FilterSettings
        from ..xdf import analyze_xdf
        result = analyze_xdf(rec, args.stream, parse_map(args.map), args.set_marker,
                             exercise=args.exercise, settings=FilterSettings(mains=args.mains),
                             top_at=args.top_at, target_ratio=args.target, **limits)
    elif rec.is_dir() and (rec / "session.json").exists():
        result = analyze_session(rec, exercise=args.exercise, top_at=args.top_at,
                                 target_ratio=args.target, mains=args.mains,
                                 use_motion=True if args.motion else None, **limits)
    else:
        result = analyze_table(rec, args.glute, args.erector, motion=args.motion,
                               mvc=_parse_mvc(args.mvc), sample_rate_hz=args.sample_rate,
                               mains=args.mains, exercise=args.exercise, top_at=args.top_at,
                               target_ratio=args.target, imu=args.imu, imu_rate_hz=args.imu_rate,
                               **limits)
    header, rows = rep_table(result.reps, exercise=result.exercise,
                             default_unit=unit_suffix(result.amplitude_unit))
    write_csv(out_path, header, rows)
    print(summary_text(result))
    if result.hip_message:
        print(result.hip_message)
    print(f"wrote {len(rows)} reps to {out_path}")
    return 0


def _fmt(v: float, spec: str = ".3f") -> str:
    return format(v, spec) if isinstance(v, (int, float)) and math.isfinite(v) else ""


def summary_text(result) -> str:
    head = (f"{len(result.reps)} reps, {result.exercise}, target ratio {result.target_ratio:g}, "
            f"{'motion' if result.use_motion else 'EMG-only'} detection, amplitudes in "
            f"{'%MVC' if result.calibrated else result.amplitude_unit}"
            + ("" if result.calibrated else " (uncalibrated: ratios relative to the recent reps; "
                                             "calibrate for a verdict)"))
    if result.on_hip:
        head += "; reps from the hip angle"
    partial = sum(1 for r in result.reps if r.status.value == "partial")
    if partial:
        head += f"; {partial} partial rep(s), not judged"
    lines = [head, f"{'set':>3} {'rep':>3} {'top s':>8} {'glute':>8} {'erector':>8} {'ratio':>6} "
                   f"{'rel.':>5} {'hip gap':>7}  verdict"]
    for r in result.reps:
        verdict = r.verdict.value if not r.no_verdict_reason else r.no_verdict_reason
        if r.verdict_basis not in ("both sides", "relative") and not r.no_verdict_reason:
            verdict += f" ({r.verdict_basis})"
        lines.append(f"{r.set_index:>3} {r.rep:>3} {r.t_top_s:>8.2f} {_fmt(r.glute, '.3g'):>8} "
                     f"{_fmt(r.erector, '.3g'):>8} {_fmt(r.ratio, '.2f'):>6} "
                     f"{_fmt(r.ratio_relative, '.2f'):>5} "
                     f"{_fmt(r.hip_short_of_neutral_deg, '.1f'):>7}  {verdict}"
                     + (f" ({r.cue})" if r.cue else ""))
    from ..sets import summarize
    for summary in (summarize(rec) for rec in result.sets):    # the dashboard's set summary
        partial_text = f" (+{summary.partial_reps} partial)" if summary.partial_reps else ""
        lines.append(f"set {summary.set_index}: {summary.reps} reps{partial_text}, mean ratio "
                     f"{_fmt(summary.mean_ratio, '.2f') or '-'}, {summary.onset_text}, "
                     f"ended: {summary.end_reason}")
    return "\n".join(lines)
