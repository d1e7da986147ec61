"""Keras peer of `signlang bench`: the three reference models, trained the way
Keras users do (pandas CSV -> NumPy, model.fit with batch 32), one JSON line
per epoch on stdout: peer, model, epoch, seconds, images_per_sec, loss,
accuracy, params (Keras's total, batch-norm statistics included).

Usage: python keras_bench.py --model cnn2 --epochs 3 [--data PATH] [--threads 2]
"""
import json
import os
import time

from peer_common import load, parse_args

args = parse_args(__doc__)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(args.threads)
tf.config.threading.set_inter_op_parallelism_threads(args.threads)
keras.utils.set_random_seed(args.seed)

x, y = load(args.data, (28, 28, 1))

if args.model == "baseline_cnn":
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, padding="valid", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(100, activation="relu"),
        layers.Dense(24),
    ])
    opt = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)
elif args.model == "dense":
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Flatten(),
        layers.Dense(512, activation="relu"),
        layers.Dense(256, activation="relu"),
        layers.Dense(24),
    ])
    opt = keras.optimizers.Adam(1e-3)
else:
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, padding="same"), layers.BatchNormalization(), layers.ReLU(),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same"), layers.BatchNormalization(), layers.ReLU(),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(24),
    ])
    opt = keras.optimizers.Adam(1e-3)

model.compile(
    optimizer=opt,
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)


class Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        s = time.perf_counter() - self.t0
        print(json.dumps({
            "peer": "keras", "model": args.model, "epoch": epoch + 1, "seconds": s,
            "images_per_sec": len(x) / s, "loss": float(logs["loss"]),
            "accuracy": float(logs["accuracy"]), "params": int(model.count_params()),
            "threads": args.threads, "version": tf.__version__,
        }), flush=True)


model.fit(x, y, batch_size=32, epochs=args.epochs, shuffle=True, verbose=0, callbacks=[Timer()])
