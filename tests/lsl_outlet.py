"""A real pylsl outlet in its own process, for tests/test_lsl_source.py (an amplifier's LSL app).

Channel 0 carries the sample counter, so the test can check every sample's place. Timestamps
are ``t_start + (counter + gap) / rate`` (``gap`` after the outlet came back), so the gap the
inlet must record is exact whatever the machine's load. Chunks are irregular and paced at
real time. With ``--vanish-at K`` the outlet is destroyed after sample K, stays away for
``--gap`` samples' worth of time, and returns under the same name (``--new-id``: another
source_id, as a restarted app without a fixed id).
"""
import argparse
import sys
import time
from typing import Any

import numpy as np

from emg_monitor.lsl_lib import pylsl

CHUNKS = (7, 31, 1, 64, 13, 2, 40)


def outlet(lsl, args, source_id):
    info = lsl.StreamInfo(args.name, args.type, len(args.labels), args.rate,
                          lsl.cf_string if args.markers else lsl.cf_float32, source_id)
    chans = info.desc().append_child("channels")
    for label, unit in zip(args.labels, args.units):
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", unit)
    o = lsl.StreamOutlet(info)
    print("ready", flush=True)
    if not o.wait_for_consumers(30.0):
        sys.exit("no consumer came")
    time.sleep(0.2)                 # the consumer's data connection follows its first contact
    return o


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--name", required=True)
    p.add_argument("--type", default="EMG")
    p.add_argument("--rate", type=float, default=500.0)
    p.add_argument("--labels", nargs="+", default=["GluteL", "ES_L"])
    p.add_argument("--units", nargs="+", default=["microvolts", "microvolts"])
    p.add_argument("--samples", type=int, default=1500)
    p.add_argument("--vanish-at", type=int, default=0)
    p.add_argument("--gap", type=int, default=0)
    p.add_argument("--new-id", action="store_true")
    p.add_argument("--markers", action="store_true")
    p.add_argument("--linger", type=float, default=1.0, help="s to stay after the last sample")
    p.add_argument("--athlete", type=int, default=None, metavar="SEED",
                   help="stream the simulated athlete's six channels instead of counters")
    p.add_argument("--speed", type=float, default=1.0, help="time speed-up (stamps too)")
    args = p.parse_args()
    lsl = pylsl()
    table = None
    if args.athlete is not None:
        from emg_monitor.sim.athlete import Athlete, AthleteConfig
        athlete = Athlete(AthleteConfig(sets=1, reps_per_set=4, setup_s=1.0, seed=args.athlete,
                                        lumbar_pattern=(False, True, False, False),
                                        sample_rate_hz=args.rate))
        table = np.vstack([athlete.render_all(), athlete.render(int(2 * args.rate))])
        args.samples = table.shape[0]
    o = outlet(lsl, args, "test-src")
    t_start = lsl.local_clock()
    gap = 0
    k = 0
    c = 0
    while k < args.samples:
        if args.vanish_at and k == args.vanish_at and gap == 0:
            time.sleep(0.3)                          # what was pushed is sent
            del o                                    # the app quits: the stream vanishes
            time.sleep(args.gap / args.rate)
            gap = args.gap
            o = outlet(lsl, args, "test-src-2" if args.new_id else "test-src")
        n = min(CHUNKS[c % len(CHUNKS)], args.samples - k,
                (args.vanish_at - k) if args.vanish_at and k < args.vanish_at else 1 << 30)
        c += 1
        rows: list[list[Any]] = [
            [float(k + i)] + [float((k + i) % 97) * (j + 1) for j in range(len(args.labels) - 1)]
            for i in range(n)]
        if args.markers:
            rows = [[str(r[0])] for r in rows]
        if table is not None:
            rows = table[k:k + n].tolist()
        stamps = [t_start + (k + i + gap) / (args.rate * args.speed) for i in range(n)]
        for r, t in zip(rows, stamps):
            o.push_sample(r, t)
        k += n
        due = t_start + (k + gap) / (args.rate * args.speed)
        time.sleep(max(0.0, due - lsl.local_clock()))
    time.sleep(args.linger)


if __name__ == "__main__":
    main()
