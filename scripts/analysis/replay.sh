#!/usr/bin/env bash
# replay.sh BIN RUNDIR OUT: refit a fidelity or demo run's calibration from its recorded
# calibration migrations (and apps' probes) with migrlab binary BIN, re-predict its recorded validation
# migrations, and score them (OUT/cmp/report.md). No testbed: an offline replay, to try a
# model change on records already measured. RUNDIR holds records.jsonl and calibration.json
# (out/fidelity or out/demo of a run).
set -euo pipefail
B=$1; D=$2; O=$3; mkdir -p "$O"
python3 - "$D/records.jsonl" "$O" <<'P'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
# An app's probes and the check migrations go with the calibration: the refit takes the
# app's own costs and the model error from them.
for roles, name in ((("calibration", "probe", "check"), "cal.jsonl"), (("validation",), "val.jsonl")):
    with open(sys.argv[2] + "/" + name, "w") as f:
        for r in recs:
            if r["backend"] == "real" and r.get("role") in roles:
                f.write(json.dumps(r) + "\n")
P
"$B" calibrate --from-records "$O/cal.jsonl" --previous "$D/calibration.json" -o "$O/cal.json" >/dev/null 2>"$O/cal.log"
"$B" compare --replay "$O/val.jsonl" --calibration "$O/cal.json" -o "$O/cmp" >"$O/cmp.txt" 2>"$O/cmp.log" || true
echo "report: $O/cmp/report.md"
