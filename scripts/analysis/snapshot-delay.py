#!/usr/bin/env python3
"""snapshot-delay.py RUNDIR: when did the real rounds of a run take their dirty set?

For every live round after the first of the real pre-copy and MiGrror migrations in
RUNDIR/records.jsonl, two estimates of the delay from the round's start to CRIU's freeze:
- from CRIU's statistics: half the round's time beyond the dump and the transfer (the
  request's way to the agent) plus the pre-dump's wall time less its frozen and
  memory-writing times;
- from the excess pages: what the round dumped beyond the last dirty measurement before
  it, as seconds of the workload's writes under the occupancy model (runtime hot pages
  from RUNDIR/calibration.json taken out).
Medians per (role, scenario, technique). See docs/fidelity.md, "When CRIU takes a round's
dirty set".
"""
import json, math, statistics as st, sys

run = sys.argv[1]
recs = [json.loads(l) for l in open(run + "/records.jsonl")]
hot = json.load(open(run + "/calibration.json"))["runtime_hot_bytes"] / 4096
rows = {}
for x in recs:
    if x["backend"] != "real" or x["technique"] == "cold" or x.get("error"):
        continue
    p = x["params"]
    wws = p["workload"]["wws_bytes"] / 4096
    rate = p["workload"]["dirty_rate_bytes_per_s"] / 4096
    extra = x["metrics"]["extra"]
    rounds = x["rounds"]

    def writes(pages):
        n = pages - hot
        if n <= 0:
            return 0.0
        if n >= wws:
            return float("nan")
        return -wws / rate * math.log(1 - n / wws)

    for i in range(1, len(rounds)):
        prev, cur = rounds[i - 1], rounds[i]
        if cur["frozen"] or "predicted_next_bytes" not in prev:
            continue
        k = "round%d_" % (i + 1)
        if k + "frozen_s" not in extra:
            continue
        way = max(0.0, cur["duration_s"] - cur["transfer_s"] - cur["dump_s"]) / 2
        stats = way + max(0.0, cur["dump_s"] - extra[k + "frozen_s"] - extra[k + "memwrite_s"])
        excess = writes(cur["pages"]) - writes(prev["predicted_next_bytes"] / 4096)
        rows.setdefault((x["role"], x["scenario"], x["technique"]), []).append((stats, excess, cur["pages"] - prev["predicted_next_bytes"] / 4096))

print("%-12s %-20s %-8s %4s %14s %14s %13s" % ("role", "scenario", "tech", "n", "stats (s)", "excess (s)", "excess pages"))
for key, v in sorted(rows.items()):
    ex = [a[1] for a in v if a[1] == a[1]]
    print("%-12s %-20s %-8s %4d %14.3f %14.3f %13.0f" % (*key, len(v), st.median(a[0] for a in v),
          st.median(ex) if ex else float("nan"), st.median(a[2] for a in v)))
