"""Reads the JSON lines of bench/run.sh and prints the Markdown table:
steady epoch seconds (median of epochs 2..N; epoch 1 when only one ran) per
peer, the speed-up of signlang (peer seconds / signlang seconds), and each
peer's training throughput as a share of the CPU's FP32 peak (signlang's
FLOP count per image and the peak it measured in the same run)."""
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


sig = [r for r in rows if r["peer"] == "signlang"]
if sig:
    r = sig[0]
    cap = f", capped at {r['isa_cap']}" if r.get("isa_cap") else ""
    peak = r.get("peak_gflops")
    print(f"CPU: {r.get('cpu', '?')} ({r.get('simd', '?')}{cap}), {r.get('threads', '?')} threads; "
          f"measured FP32 peak {peak:.0f} GFLOP/s\n" if peak else "")
flops = {r["model"]: r["train_flops_per_image"] for r in sig if "train_flops_per_image" in r}
peaks = [r["peak_gflops"] for r in sig if r.get("peak_gflops")]
peak = statistics.median(peaks) if peaks else None
rates = defaultdict(list)
for r in rows:
    if r["epoch"] > 1 or not any(x["epoch"] > 1 for x in rows if x["model"] == r["model"]):
        rates[(r["model"], r["peer"])].append(r["images_per_sec"])


def share(model, peer):
    """Training GFLOP/s (images per second of the steady epochs × FLOPs per image) / peak."""
    if model not in flops or not peak or not rates.get((model, peer)):
        return "?"
    return f"{flops[model] * statistics.median(rates[(model, peer)]) / 1e9 / peak:.0%}"


print("| model | signlang s/epoch | Keras s/epoch | PyTorch s/epoch | speed-up vs Keras | speed-up vs PyTorch | share of FP32 peak (signlang / Keras / PyTorch) | epoch 1 s (signlang / Keras / PyTorch) | params (Keras / PyTorch incl. BN stats) |")
print("|---|---|---|---|---|---|---|---|---|")
for model in dict.fromkeys(r["model"] for r in rows):
    ours, keras, torch = (steady(model, p) for p in ("signlang", "keras", "pytorch"))
    f1 = " / ".join(f"{first.get((model, p), float('nan')):.2f}" for p in ("signlang", "keras", "pytorch"))
    pc = f"{params.get((model, 'keras'), '?'):,} / {params.get((model, 'pytorch'), '?'):,}"
    sh = " / ".join(share(model, p) for p in ("signlang", "keras", "pytorch"))
    print(f"| {model} | {ours:.2f} | {keras:.2f} | {torch:.2f} | {keras / ours:.2f}× | {torch / ours:.2f}× | {sh} | {f1} | {pc} |")
