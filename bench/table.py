"""Reads the JSON lines of bench/run.sh and prints the Markdown table:
steady epoch seconds (median of epochs 2..N; epoch 1 when only one ran) per
peer, and the speed-up of signlang (peer seconds / signlang seconds)."""
import json
import statistics
import sys
from collections import defaultdict

rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
secs = defaultdict(list)
first = {}
params = {}
for r in rows:
    key = (r["model"], r["peer"])
    if r["epoch"] == 1:
        first[key] = r["seconds"]
    else:
        secs[key].append(r["seconds"])
    if "params" in r:
        params[key] = r.get("params_with_buffers", r["params"])


def steady(model, peer):
    s = secs.get((model, peer)) or [first.get((model, peer), float("nan"))]
    return statistics.median(s)


print("| model | signlang s/epoch | Keras s/epoch | PyTorch s/epoch | speed-up vs Keras | speed-up vs PyTorch | epoch 1 s (signlang / Keras / PyTorch) | params (Keras / PyTorch incl. BN stats) |")
print("|---|---|---|---|---|---|---|---|")
for model in dict.fromkeys(r["model"] for r in rows):
    ours, keras, torch = (steady(model, p) for p in ("signlang", "keras", "pytorch"))
    f1 = " / ".join(f"{first.get((model, p), float('nan')):.2f}" for p in ("signlang", "keras", "pytorch"))
    pc = f"{params.get((model, 'keras'), '?'):,} / {params.get((model, 'pytorch'), '?'):,}"
    print(f"| {model} | {ours:.2f} | {keras:.2f} | {torch:.2f} | {keras / ours:.2f}× | {torch / ours:.2f}× | {f1} | {pc} |")
