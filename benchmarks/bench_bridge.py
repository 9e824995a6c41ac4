"""Notebook 11's bridge at seed 003's defaults: the ELU MLP 3072-100-10 trained by plain SGD
(lr 2e-3, batch 200, 1500 steps) in numpy (cs_nn) and in PyTorch on the same batches, in one
run: test accuracy of each side, largest loss difference, and time per epoch of each side.

Usage::

    CS_NN_DATA=../shared/data python benchmarks/bench_bridge.py [--threads 1] [--dtype float32]

Inputs follow seed 003 (pixels 0..255 minus the training mean); weights start as
N(0, 1e-4) like the seed's numpy MLP and are copied into the PyTorch twin. CIFAR-10 here has
30,000 training images (the seed: 50,000); 1,000 are held out for validation.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from cs_nn.data import load_cifar10, train_val_split  # noqa: E402
from cs_nn.models import FullyConnectedNet  # noqa: E402
from cs_nn.pytorch.bridge import seed_003_inputs, train_side_by_side  # noqa: E402
from cs_nn.pytorch.loop import evaluate  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--steps", type=int, default=1500)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        data = seed_003_inputs(train_val_split(load_cifar10(), num_val=1000, seed=0))
        dtype = np.dtype(args.dtype)
        for k in ("X_train", "X_val", "X_test"):
            data[k] = data[k].astype(dtype)
        net = FullyConnectedNet([100], input_dim=3072, num_classes=10, weight_scale=1e-4,
                                dtype=dtype, seed=0, activation="elu")
        runs = train_side_by_side(net, data, lr=2e-3, batch_size=200, num_steps=args.steps,
                                  seed=0, eval_every=500)
    scores = np.concatenate([runs.numpy_model.loss(data["X_test"][i:i + 1000])
                             for i in range(0, len(data["X_test"]), 1000)])
    acc_np = float(np.mean(scores.argmax(1) == data["y_test"]))
    acc_t = evaluate(runs.torch_model, data["X_test"], data["y_test"])[1]
    gaps = np.abs(np.array(runs.numpy.train_loss) - np.array(runs.torch.train_loss))
    diff = float(gaps.max())
    apart = {tol: int(np.argmax(gaps > tol)) + 1 if (gaps > tol).any() else None
             for tol in (1e-10, 1e-6, 1e-2)}
    epochs = args.steps / runs.numpy.steps_per_epoch
    print(f"{len(data['y_train'])} training images, {args.steps} steps = {epochs:.2f} epochs, "
          f"{args.dtype}, {args.threads} thread(s)")
    print(f"test accuracy: numpy {acc_np:.4f}, PyTorch {acc_t:.4f}; largest loss difference "
          f"{diff:.2e}")
    for tol, step in apart.items():
        print(f"  losses first differ by more than {tol:g} at step "
              f"{step if step else 'never'}")
    t_np, t_t = runs.numpy.seconds / epochs, runs.torch.seconds / epochs
    print(f"time per epoch (training steps + evaluations): numpy {t_np:.2f} s, PyTorch "
          f"{t_t:.2f} s, ratio {t_np / t_t:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
