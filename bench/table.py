"""Reads the JSON lines of bench/run.sh and prints the Markdown table:
steady epoch seconds (median of epochs 2..N; epoch 1 when only one ran) per
peer, the speed-up of signlang (peer seconds / signlang seconds), and each
peer's training throughput as a share of the CPU's FP32 peak (signlang's
FLOP count per image and the peak it measured in the same run).

With several rounds (`ROUNDS=N bench/run.sh`), each peer's steady epochs are
pooled over the rounds, and a last column gives the lowest and highest
per-round speed-ups, so one slow moment of a shared machine shows as such."""
import json
import statistics
import sys
from collections import defaultdict

PEERS = ("signlang", "keras", "pytorch")
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
multi_epoch = {r["model"] for r in rows if r["epoch"] > 1}


def is_steady(r):
    """Epochs 2..N count; epoch 1 only when no run of the model had more."""
    return r["epoch"] > 1 or r["model"] not in multi_epoch


secs = defaultdict(list)  # (model, peer) -> steady epoch seconds, all rounds
round_secs = defaultdict(list)  # (model, peer, round) -> steady epoch seconds
first = defaultdict(list)
rates = defaultdict(list)
params = {}
for r in rows:
    key = (r["model"], r["peer"])
    if r["epoch"] == 1:
        first[key].append(r["seconds"])
    if is_steady(r):
        secs[key].append(r["seconds"])
        round_secs[key + (r.get("round", 1),)].append(r["seconds"])
        rates[key].append(r["images_per_sec"])
    if "params" in r:
        params[key] = r.get("params_with_buffers", r["params"])
rounds = sorted({r.get("round", 1) for r in rows})


def median(xs):
    return statistics.median(xs) if xs else float("nan")


sig = [r for r in rows if r["peer"] == "signlang"]
if sig:
    r = sig[0]
    cap = f", capped at {r['isa_cap']}" if r.get("isa_cap") else ""
    peak = r.get("peak_gflops")
    policies = sorted({x.get("omp_wait_policy", "not recorded") for x in sig})
    print(f"CPU: {r.get('cpu', '?')} ({r.get('simd', '?')}{cap}), {r.get('threads', '?')} threads; "
          f"measured FP32 peak {peak:.0f} GFLOP/s; signlang's OpenMP wait policy: {', '.join(policies)}; "
          f"{len(rounds)} round(s)\n" if peak else "")
flops = {r["model"]: r["train_flops_per_image"] for r in sig if "train_flops_per_image" in r}
peaks = [r["peak_gflops"] for r in sig if r.get("peak_gflops")]
peak = statistics.median(peaks) if peaks else None


def share(model, peer):
    """Training GFLOP/s (images per second of the steady epochs × FLOPs per image) / peak."""
    if model not in flops or not peak or not rates.get((model, peer)):
        return "?"
    return f"{flops[model] * statistics.median(rates[(model, peer)]) / 1e9 / peak:.0%}"


def round_range(model, peer):
    """Lowest–highest speed-up over the rounds (peer / signlang, per round)."""
    ratios = [median(round_secs[(model, peer, k)]) / median(round_secs[(model, "signlang", k)])
              for k in rounds if round_secs[(model, peer, k)] and round_secs[(model, "signlang", k)]]
    return f"{min(ratios):.2f}–{max(ratios):.2f}×" if ratios else "?"


header = ("| model | signlang s/epoch | Keras s/epoch | PyTorch s/epoch | speed-up vs Keras | speed-up vs PyTorch "
          "| share of FP32 peak (signlang / Keras / PyTorch) | epoch 1 s (signlang / Keras / PyTorch) "
          "| params (Keras / PyTorch incl. BN stats) |")
if len(rounds) > 1:
    header += " per-round speed-up (vs Keras / vs PyTorch) |"
print(header)
print("|---" * (header.count("|") - 1) + "|")
for model in dict.fromkeys(r["model"] for r in rows):
    ours, keras, torch = (median(secs[(model, p)]) for p in PEERS)
    f1 = " / ".join(f"{median(first[(model, p)]):.2f}" for p in PEERS)
    pc = f"{params.get((model, 'keras'), '?'):,} / {params.get((model, 'pytorch'), '?'):,}"
    sh = " / ".join(share(model, p) for p in PEERS)
    line = (f"| {model} | {ours:.2f} | {keras:.2f} | {torch:.2f} | {keras / ours:.2f}× | {torch / ours:.2f}× "
            f"| {sh} | {f1} | {pc} |")
    if len(rounds) > 1:
        line += f" {round_range(model, 'keras')} / {round_range(model, 'pytorch')} |"
    print(line)
