#!/usr/bin/env bash
# CSV loading: `signlang data bench` against pandas (bench/load_pandas.py) on
# both data files, in one session, best of REPEAT each; prints a Markdown table
# with the speed-up (pandas seconds / signlang seconds) and the CPU.
#
# Usage: bench/load.sh [REPEAT (default 5)]
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=${1:-5}
FILES="data/sign_mnist_train.csv.gz data/sign_mnist_test.csv.gz"
cargo build --release -q -p signlang-cli
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
echo "# $(date -u +%FT%TZ)  $(nproc) cores  load: $(uptime | sed 's/.*load average: //')" >&2
target/release/signlang data bench --repeat "$REPEAT" $FILES | tee -a "$OUT" >&2
.venv/bin/python bench/load_pandas.py $FILES | tee -a "$OUT" >&2
.venv/bin/python - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
t = {(r["tool"], r["file"]): r["seconds"] for r in rows}
cpu = next((r["cpu"] for r in rows if "cpu" in r), "unknown CPU")
print(f"CPU: {cpu}\n")
print("| file | rows | signlang s | pandas s | speed-up |")
print("|---|---|---|---|---|")
for (tool, f), s in t.items():
    if tool == "signlang":
        p = t[("pandas", f)]
        n = next(r["rows"] for r in rows if r["file"] == f)
        print(f"| {f.split('/')[-1]} | {n:,} | {s:.3f} | {p:.3f} | {p / s:.1f}× |")
PY
