"""Speed of seed 003's pre-activation ConvNet on this CPU: seconds per 1000 training steps
(Adam lr 1e-4, batches of 32 CIFAR-sized images, the seed's defaults), for 1 and 2 threads.

Usage::

    python benchmarks/bench_preact.py [--steps 20] [--threads 1 2]

Times ``--steps`` steps after 3 warm-up steps (median of the step times, then x 1000), on
random inputs: the data does not change the cost. The full seed run is 5000 steps; its
accuracy comes from ``benchmarks/accuracy_torch.py --dataset cifar10 --model preact --steps
5000 --batch-size 32 --lr 1e-4 --no-cosine --eval-every 500``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from cs_nn.pytorch.device import seeded  # noqa: E402
from cs_nn.pytorch.loop import train_step  # noqa: E402
from cs_nn.pytorch.preact import PreActConvNet  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = p.parse_args()
    for threads in args.threads:
        torch.set_num_threads(threads)
        with seeded(0):
            net = PreActConvNet()
            X, y = torch.randn(32, 3, 32, 32), torch.randint(0, 10, (32,))
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        times = []
        for i in range(args.steps + 3):
            start = time.perf_counter()
            train_step(net, opt, X, y)
            if i >= 3:
                times.append(time.perf_counter() - start)
        med = statistics.median(times)
        print(f"{threads} thread(s): {med * 1000:.0f} ms per step (median of {args.steps}), "
              f"{med * 1000 / 60:.1f} min per 1000 steps, {med * 5000 / 3600:.2f} h for the "
              "seed's 5000 steps", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
