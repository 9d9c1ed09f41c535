#!/usr/bin/env python3
"""errors.py RECORDS [--per-run]: score a run's validation migrations offline.

Pairs every real validation migration in RECORDS (records.jsonl of a demo, fidelity or
replay run) with the simulator's prediction of it, and prints the MAPE, the mean signed
error and how many measurements fall inside the prediction interval, per group (all,
synthetic, app) x technique x metric. With --per-run, one line per migration too.
Migrations the run guard flagged (their "flags") are left out, as the report leaves them out.
"""
import json
import sys
from collections import defaultdict

METRICS = ("downtime_s", "total_time_s", "bytes_sent")


def load(path):
    recs = [json.loads(line) for line in open(path)]
    real, sim = {}, {}
    for r in recs:
        if r.get("role") != "validation":
            continue
        key = (r["scenario"], r["technique"], r["repetition"])
        if r["backend"] == "real":
            real[key] = r
        elif r["backend"] == "sim":
            sim[key] = r
    return [(k, real[k], sim[k]) for k in sorted(real) if k in sim]


def flagged(rec):
    return bool(rec.get("flags"))


def main():
    path = sys.argv[1]
    per_run = "--per-run" in sys.argv
    acc = defaultdict(list)
    for (scen, tech, rep), real, sim in load(path):
        if flagged(real):
            continue
        group = "app" if "-app-" in scen else "synth"
        iv = sim.get("interval") or {}
        cells = []
        for m in METRICS:
            meas, pred = real["metrics"][m], sim["metrics"][m]
            if not meas:
                continue
            err = (pred - meas) / meas
            lo, hi = iv.get(m, [None, None])
            inside = lo is not None and lo <= meas <= hi
            for g in ("all", group):
                acc[(g, tech, m)].append((err, inside))
            cells.append("%s %+6.1f%%%s" % (m.split("_")[0], 100 * err, "" if inside else "!"))
        if per_run:
            print("%-34s %-8s %d  %s" % (scen, tech, rep, "  ".join(cells)))
    print("%-6s %-8s %-13s %7s %7s %s" % ("group", "tech", "metric", "MAPE", "bias", "inside"))
    for key in sorted(acc):
        v = acc[key]
        mape = 100 * sum(abs(e) for e, _ in v) / len(v)
        bias = 100 * sum(e for e, _ in v) / len(v)
        print("%-6s %-8s %-13s %6.2f%% %+6.2f%% %d/%d" % (key + (mape, bias, sum(i for _, i in v), len(v))))


if __name__ == "__main__":
    main()
