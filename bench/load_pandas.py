#!/usr/bin/env python3
"""Peer for `signlang data bench`: time pandas.read_csv on the same files (best of N).

    .venv/bin/python bench/load_pandas.py data/sign_mnist_train.csv.gz data/sign_mnist_test.csv.gz
"""
import json
import sys
import time

import pandas as pd

repeat = 3
for path in sys.argv[1:]:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        df = pd.read_csv(path)
        labels = df["label"].to_numpy()
        pixels = df.drop(columns="label").to_numpy(dtype="uint8")
        best = min(best, time.perf_counter() - t)
    print(json.dumps({"tool": "pandas", "file": path, "rows": len(labels), "seconds": best}))
