#!/usr/bin/env bash
# Benchmarks `signlang bench` against its Keras and PyTorch peers on the three
# reference models, in one session on this machine, and prints the table for
# bench/README.md.
#
# Usage: bench/run.sh [EPOCHS (default 3)] [THREADS (default 2)]
# Env: DATA (default data/sign_mnist_train.csv.gz), MODELS (default all three),
#      TORCH_PYTHON (python with torch + pandas; default the project's .venv),
#      OUT (folder for the JSON lines; default bench/out).
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${1:-3}
THREADS=${2:-2}
DATA=${DATA:-data/sign_mnist_train.csv.gz}
MODELS=${MODELS:-"baseline_cnn dense cnn2"}
OUT=${OUT:-bench/out}
# The main checkout (this may be a git worktree below it).
MAIN=$(cd "$(git rev-parse --git-common-dir)/.." && pwd)
[ -f "$DATA" ] || DATA="$MAIN/$DATA"
TORCH_PYTHON=${TORCH_PYTHON:-}
if [ -z "$TORCH_PYTHON" ]; then
  for p in .venv/bin/python "$MAIN/.venv/bin/python"; do
    if [ -x "$p" ]; then TORCH_PYTHON=$p; break; fi
  done
fi
[ -n "$TORCH_PYTHON" ] || { echo "no python with torch: run scripts/setup.sh or set TORCH_PYTHON" >&2; exit 1; }

# Keras: TensorFlow (current stable, CPU build) in its own venv.
if [ ! -x .venv-bench/bin/python ]; then
  echo "creating .venv-bench (TensorFlow, pandas)..." >&2
  python3.11 -m venv .venv-bench
  .venv-bench/bin/pip install -q "tensorflow-cpu==2.21.0" pandas
fi

export PATH="$(dirname "$TORCH_PYTHON"):$PATH"
cargo build --release -q -p signlang-cli
BIN=${CARGO_TARGET_DIR:-target}/release/signlang

mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"
echo "# $(date -u +%FT%TZ)  $(nproc) cores  load: $(uptime | sed 's/.*load average: //')" | tee "$OUT/meta.txt" >&2
for m in $MODELS; do
  echo "== $m: signlang" >&2
  "$BIN" bench --model "$m" --epochs "$EPOCHS" --threads "$THREADS" --data "$DATA" --quiet \
    | sed 's/^{/{"peer":"signlang",/' | tee -a "$RESULTS" >&2
  echo "== $m: keras" >&2
  .venv-bench/bin/python bench/keras_bench.py --model "$m" --epochs "$EPOCHS" --threads "$THREADS" --data "$DATA" \
    | tee -a "$RESULTS" >&2
  echo "== $m: pytorch" >&2
  "$TORCH_PYTHON" bench/torch_bench.py --model "$m" --epochs "$EPOCHS" --threads "$THREADS" --data "$DATA" \
    | tee -a "$RESULTS" >&2
done
echo "# load after: $(uptime | sed 's/.*load average: //')" | tee -a "$OUT/meta.txt" >&2
"$TORCH_PYTHON" bench/table.py "$RESULTS"
