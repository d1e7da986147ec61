"""PyTorch peer of `signlang bench`: the three reference models, trained the
way PyTorch users do (pandas CSV -> tensors, TensorDataset + DataLoader with
shuffle, batch 32, the usual train loop), one JSON line per epoch on stdout:
peer, model, epoch, seconds, images_per_sec, loss, accuracy, params
(trainable parameters) and params_with_buffers (Keras's convention:
batch-norm running statistics counted too).

Usage: python torch_bench.py --model cnn2 --epochs 3 [--data PATH] [--threads 2]
"""
import json
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from peer_common import load, parse_args

args = parse_args(__doc__)

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

x, y = load(args.data, (1, 28, 28))
loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=32, shuffle=True)

if args.model == "baseline_cnn":
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(13 * 13 * 32, 100), nn.ReLU(), nn.Linear(100, 24),
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
elif args.model == "dense":
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 24),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
else:
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(7 * 7 * 64, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 24),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

params = sum(p.numel() for p in model.parameters())
buffers = sum(b.numel() for name, b in model.named_buffers() if not name.endswith("num_batches_tracked"))
loss_fn = nn.CrossEntropyLoss()

for epoch in range(1, args.epochs + 1):
    t0 = time.perf_counter()
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for xb, yb in loader:
        opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        total_loss += loss.item() * len(yb)
        correct += (out.argmax(1) == yb).sum().item()
        seen += len(yb)
    s = time.perf_counter() - t0
    print(json.dumps({
        "peer": "pytorch", "model": args.model, "epoch": epoch, "seconds": s,
        "images_per_sec": seen / s, "loss": total_loss / seen, "accuracy": correct / seen,
        "params": params, "params_with_buffers": params + buffers,
        "threads": args.threads, "version": torch.__version__,
    }), flush=True)
