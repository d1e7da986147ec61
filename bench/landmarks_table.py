"""Reads the JSON lines of bench/landmarks.sh and prints the Markdown table: per peer and way of
looking, photos, hands found, CPU and wall milliseconds per photo (median over the rounds), and
MediaPipe's CPU time over each row's (above 1: faster than MediaPipe's Python package)."""
import json
import statistics
import sys
from collections import defaultdict

rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
groups = defaultdict(list)
for r in rows:
    groups[(r["peer"], r["find"])].append(r)


def median(key, rs):
    """The median of a field over the rounds (None when a round lacks it)."""
    values = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(values) if values else None


def label(peer, find, rs):
    """The row's name."""
    if peer == "mediapipe":
        return f"MediaPipe {rs[0].get('version', '')} (Python, legacy Hands): {find}"
    if find == "default":
        return f"signlang: default ({rs[0]['attempts']} attempts, second look)"
    return f"signlang: {find} only (no second look)"


mediapipe = [rs for (peer, _), rs in groups.items() if peer == "mediapipe"]
mp_cpu = median("cpu_ms_per_photo", mediapipe[0]) if mediapipe else None
cpu = next((r["cpu"] for r in rows if r.get("cpu")), "unknown CPU")
first = rows[0]
print(f"CPU: {cpu}; {first['photos']} photos of {first['folder']}"
      f"{'' if first.get('side') is None else ', longer side ' + str(first['side']) + ' px'}; "
      f"{len({r['round'] for r in rows})} round(s)\n")
print("| front end | photos | hands found | CPU ms / photo | wall ms / photo | MediaPipe CPU ÷ this CPU |")
print("|---|---|---|---|---|---|")
for (peer, find), rs in groups.items():
    c, w = median("cpu_ms_per_photo", rs), median("wall_ms_per_photo", rs)
    ratio = f"{mp_cpu / c:.2f}×" if mp_cpu and c else "n/a"
    found = "/".join(sorted({str(r["found"]) for r in rs}))
    print(f"| {label(peer, find, rs)} | {rs[0]['photos']} | {found} | "
          f"{c:.1f} | {w:.1f} | {ratio} |")
