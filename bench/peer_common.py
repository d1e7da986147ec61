"""What the Python peers of `signlang bench` share: their command line and
loading the training CSV the way their users do (pandas -> NumPy)."""
import argparse

import numpy as np
import pandas as pd


def parse_args(doc):
    """--model, --epochs, --data, --threads, --seed, as `signlang bench` takes them."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--model", required=True, choices=["baseline_cnn", "dense", "cnn2"])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--data", default="data/sign_mnist_train.csv.gz")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def load(path, shape):
    """Images as float32 in [0, 1] reshaped to `shape` (per image), and the
    24 letter classes as int64 (labels above 9 shift down: no J, no Z)."""
    df = pd.read_csv(path)
    y = df["label"].values
    y = np.where(y > 9, y - 1, y).astype("int64")
    x = df.drop(columns=["label"]).values.reshape(-1, *shape).astype("float32") / 255.0
    return x, y
