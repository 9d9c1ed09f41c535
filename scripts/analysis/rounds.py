#!/usr/bin/env python3
"""rounds.py RECORDS [NAME]: what each live round of a run's real migrations sent, split into
the pages the container added and the rest, with the simulator's prediction beside it.

For every real validation and probe migration of a live technique in RECORDS (records.jsonl
of a demo, fidelity or replay run; .gz read as is) whose scenario contains NAME (all without
it), one line per migration: each round after the first as WINDOW s +ADDED/REST, where the
window runs from the previous round's start to this one's, ADDED is what the container grew
by (a round's pages written plus those its CRIU parent chain skipped are what the container
held: round{i}_pages_written + round{i}_pages_skipped_parent) and REST the round's pages less
ADDED; then the simulator's rounds of the same migration (window s/pages). A line ends with
the mean REST of its live rounds after the first. Migrations without parent-chain counts
(cold, or a record without them) print only their pages.

    python3 scripts/analysis/rounds.py out/holdout/records.jsonl redis
"""
import gzip
import json
import sys


def records(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return [json.loads(line) for line in f]


def held(rec):
    """The pages the container held at each round (None without parent-chain counts)."""
    x, rounds = rec["metrics"].get("extra", {}), rec["rounds"]
    out = []
    for i in range(1, len(rounds) + 1):
        k = "final" if i == len(rounds) else f"round{i}"
        if f"{k}_pages_written" not in x:
            return None
        out.append(x[f"{k}_pages_written"] + x[f"{k}_pages_skipped_parent"])
    return out


def windows(rec):
    rs = rec["rounds"]
    return [rs[i]["start_s"] - rs[i - 1]["start_s"] for i in range(1, len(rs))]


def line(real, sim):
    rs, h = real["rounds"], held(real)
    parts, rest = [], []
    for i, w in enumerate(windows(real), start=1):
        if h is None:
            parts.append(f"{w:.1f}s/{rs[i]['pages']}")
            continue
        added = h[i] - h[i - 1]
        parts.append(f"{w:.1f}s+{added}/{rs[i]['pages'] - added}")
        if rs[i]["kind"] == "delta" and i > 1:
            rest.append(rs[i]["pages"] - added)
    out = f"  real {' '.join(parts)}"
    if rest:
        out += f"  (rest {sum(rest) / len(rest):.0f})"
    if sim is not None:
        ps = sim["rounds"]
        out += "\n  sim  " + " ".join(f"{w:.1f}s/{ps[i]['pages']}" for i, w in enumerate(windows(sim), start=1))
    return out


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    name = argv[1] if len(argv) > 1 else ""
    recs = records(argv[0])
    sims = {(r["scenario"], r["technique"], r["repetition"], r.get("role")): r
            for r in recs if r["backend"] == "sim"}
    for r in recs:
        if (r["backend"] != "real" or r["technique"] == "cold" or name not in r["scenario"]
                or r.get("role") not in ("validation", "probe") or not r.get("rounds")):
            continue
        key = (r["scenario"], r["technique"], r["repetition"], r.get("role"))
        print(f"{r['scenario']} {r['technique']} {r.get('role')} rep {r['repetition']}: "
              f"full {r['rounds'][0]['pages']} pages")
        print(line(r, sims.get(key)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
