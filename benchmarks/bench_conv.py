"""Benchmark the convolutional layers against the naive loops and PyTorch CPU.

Usage::

    python benchmarks/bench_conv.py [--threads 1|2] [--quick] [--json PATH] [--unpaired] [--plain]

Times forward + backward in float32 (median of repeated runs after a warm-up) for:
conv (a) N=50 C=3 32x32 F=32 7x7 pad 3; conv (b) N=100 C=16 16x16 F=32 3x3 pad 1;
max-pool 2x2/2 on (50, 32, 32, 32); one ThreeLayerConvNet training step (loss + grads) on a
batch of 50. numpy's BLAS and PyTorch use the same number of threads. Ratios are numpy time /
PyTorch time in the same run (lower is better); numpy and PyTorch runs alternate so both
see the same load, but absolute times still drift with machine load. With 2 threads,
PyTorch's OpenMP workers keep spinning for a moment after each call and slow down the numpy
run that follows; ``--unpaired`` times all numpy runs, then all PyTorch runs, instead, each
block after half a second of idling (so neither library's spinning threads from the block
before still hold a core).

The header names OpenBLAS's kernel set (threadpoolctl's "architecture"). Where the machine's
environment pins ``OPENBLAS_CORETYPE`` (this workplace pins Haswell on some CPUs, for old
OpenBLAS builds), numpy runs AVX2 kernels while PyTorch's oneDNN still uses AVX-512; to
measure numpy with the kernels OpenBLAS picks itself, unset the pin for that command alone:
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_conv.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cs_nn._util import speed as _speed  # noqa: E402
from cs_nn.layers import (  # noqa: E402
    conv_backward,
    conv_backward_naive,
    conv_forward,
    conv_forward_naive,
    max_pool_backward,
    max_pool_backward_naive,
    max_pool_forward,
    max_pool_forward_naive,
)
from cs_nn.models.convnet import ThreeLayerConvNet  # noqa: E402

# Issue 14's targets (numpy / PyTorch time) per thread count; 1 thread keeps what was ahead.
TARGETS = {1: {"conv_a": 1.5, "conv_b": 1.5, "maxpool": 1.0, "convnet_step": 1.0},
           2: {"conv_a": 1.2, "conv_b": 2.0, "maxpool": 1.0, "convnet_step": 1.0}}


# Idle time before each timed block: long enough for OpenBLAS's and PyTorch's OpenMP worker
# threads, which spin for a while after their last call, to go to sleep and free the cores.
SETTLE_S = 0.5


def median_time(fn, reps: int, warmup: int = 2) -> float:
    """Median wall time of fn() in seconds over ``reps`` runs after ``warmup`` runs, started
    after SETTLE_S idle seconds (so the previous block's spinning threads are asleep)."""
    time.sleep(SETTLE_S)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def paired_times(fn_np, fn_torch, reps: int, warmup: int = 2,
                 unpaired: bool = False) -> tuple[float, float | None]:
    """Median times of two functions run ALTERNATELY, so both see the same machine load.

    The machine is shared: timing one function's runs and then the other's lets a burst of
    load land on only one of them. ``unpaired=True`` does exactly that instead (so neither
    library's idle-spinning threads overlap the other's runs). Returns (numpy seconds, torch
    seconds or None).
    """
    if fn_torch is None:
        return median_time(fn_np, reps, warmup), None
    if unpaired:
        return median_time(fn_np, reps, warmup), median_time(fn_torch, reps, warmup)
    time.sleep(SETTLE_S)
    for _ in range(warmup):
        fn_np()
        fn_torch()
    t_np, t_t = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn_np()
        t1 = time.perf_counter()
        fn_torch()
        t2 = time.perf_counter()
        t_np.append(t1 - t0)
        t_t.append(t2 - t1)
    return float(np.median(t_np)), float(np.median(t_t))


def conv_case(rng, n, c, hw, f, k, pad):
    x = rng.standard_normal((n, c, hw, hw)).astype(np.float32)
    w = (0.1 * rng.standard_normal((f, c, k, k))).astype(np.float32)
    b = np.zeros(f, np.float32)
    return x, w, b, {"stride": 1, "pad": pad}


def numpy_conv(x, w, b, param, need_dx=True):
    """forward + backward through cs_nn.layers (the speed path unless --plain); need_dx=False
    calls the speed path's backward directly (the learner-facing one always computes dx)."""
    if need_dx:
        backward = conv_backward
    else:
        from cs_nn._fast.conv import conv_backward as fast_backward

        def backward(dout, cache):
            return fast_backward(dout, cache, need_dx=False)

    def run():
        out, cache = conv_forward(x, w, b, param)
        backward(out, cache)
    return run


def naive_conv(x, w, b, param):
    def run():
        out, cache = conv_forward_naive(x, w, b, param)
        conv_backward_naive(out, cache)
    return run


def torch_conv(torch, x, w, b, param, need_dx=True):
    xt = torch.from_numpy(x).requires_grad_(need_dx)
    wt, bt = torch.from_numpy(w).requires_grad_(), torch.from_numpy(b).requires_grad_()

    def run():
        out = torch.nn.functional.conv2d(xt, wt, bt, stride=param["stride"], padding=param["pad"])
        out.backward(out.detach())
        wt.grad = bt.grad = xt.grad = None
    return run


def pool_runs(torch, x, naive_n):
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}

    def run_np():
        out, cache = max_pool_forward(x, param)
        max_pool_backward(out, cache)

    def run_naive():
        out, cache = max_pool_forward_naive(x[:naive_n], param)
        max_pool_backward_naive(out, cache)

    run_t = None
    if torch is not None:
        xt = torch.from_numpy(x).requires_grad_()

        def run_t():
            out = torch.nn.functional.max_pool2d(xt, 2, 2)
            out.backward(out.detach())
            xt.grad = None
    return run_np, run_naive, run_t


def step_runs(torch, rng, n=50):
    model = ThreeLayerConvNet(seed=0)  # defaults: (3, 32, 32), 32 7x7 filters, hidden 100
    X = rng.standard_normal((n, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, n)

    def run_np():
        model.loss(X, y)

    run_t = None
    if torch is not None:
        fn = torch.nn.functional
        p = {k: torch.from_numpy(v.copy()).requires_grad_() for k, v in model.params.items()}
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

        def run_t():
            h = fn.relu(fn.max_pool2d(fn.conv2d(Xt, p["W1"], p["b1"], padding=3), 2, 2))
            h = fn.relu(h.reshape(n, -1) @ p["W2"] + p["b2"])
            loss = fn.cross_entropy(h @ p["W3"] + p["b3"], yt)
            loss.backward()
            for v in p.values():
                v.grad = None
    return run_np, run_t


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, choices=[1, 2])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", type=Path, default=None, help="write results to this file")
    parser.add_argument("--unpaired", action="store_true",
                        help="time all numpy runs, then all PyTorch runs (not alternating)")
    parser.add_argument("--plain", action="store_true",
                        help="time the plain learner-facing code (as the student release runs "
                             "it), not the instructor's speed path in cs_nn/_fast/")
    args = parser.parse_args(argv)
    if args.plain:
        with _speed.plain():
            return run(args)
    return run(args)


def run(args: argparse.Namespace) -> dict:
    """The benchmark with parsed arguments (see main)."""
    unpaired = args.unpaired
    reps = 5 if args.quick else 20

    from threadpoolctl import threadpool_info, threadpool_limits
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None

    rng = np.random.default_rng(0)
    rows = []
    with threadpool_limits(limits=args.threads, user_api="blas"):
        blas = [(i["internal_api"], i["num_threads"], i.get("architecture"))
                for i in threadpool_info() if i["user_api"] == "blas"]
        specs = [("conv_a", "conv (a) 50x3x32x32, 32 7x7 pad 3", (50, 3, 32, 32, 7, 3), 1),
                 ("conv_b", "conv (b) 100x16x16x16, 32 3x3 pad 1", (100, 16, 16, 32, 3, 1), 2)]
        for key, label, (n, c, hw, f, k, pad), naive_n in specs:
            x, w, b, param = conv_case(rng, n, c, hw, f, k, pad)
            t_np, t_t = paired_times(numpy_conv(x, w, b, param),
                                     torch_conv(torch, x, w, b, param) if torch else None, reps,
                                     unpaired=unpaired)
            t_naive = median_time(naive_conv(x[:naive_n], w, b, param), 1, warmup=0) * n / naive_n
            rows.append((key, label, t_np, t_t, t_naive, f"naive on N={naive_n}, x{n // naive_n}"))
            if key == "conv_a" and not args.plain:  # a net's first layer needs no dx
                t_np, t_t = paired_times(
                    numpy_conv(x, w, b, param, need_dx=False),
                    torch_conv(torch, x, w, b, param, need_dx=False) if torch else None, reps,
                    unpaired=unpaired)
                rows.append(("conv_a_no_dx", label + ", no dx", t_np, t_t, None, ""))
        x = rng.standard_normal((50, 32, 32, 32)).astype(np.float32)
        run_np, run_naive, run_t = pool_runs(torch, x, naive_n=2)
        t_np, t_t = paired_times(run_np, run_t, reps, unpaired=unpaired)
        rows.append(("maxpool", "max-pool 2x2/2 on (50, 32, 32, 32)", t_np, t_t,
                     median_time(run_naive, 1, warmup=0) * 25, "naive on N=2, x25"))
        run_np, run_t = step_runs(torch, rng)
        t_np, t_t = paired_times(run_np, run_t, reps, unpaired=unpaired)
        rows.append(("convnet_step", "ThreeLayerConvNet step, batch 50", t_np, t_t, None, ""))

    mode = ("unpaired" if unpaired else "alternating") + (", plain code" if args.plain else "")
    print(f"threads={args.threads}  {mode}  numpy {np.__version__} BLAS {blas}  "
          f"torch {torch.__version__ if torch else 'not installed'}  reps={reps}  float32")
    print(f"{'case':<44}{'numpy ms':>10}{'torch ms':>10}{'ratio':>8}{'target':>8}"
          f"{'naive ms (scaled)':>20}")
    results = []
    for key, label, t_np, t_t, t_naive, note in rows:
        ratio = t_np / t_t if t_t else None
        target = TARGETS[args.threads].get(key)
        flag = "" if ratio is None or target is None else ("ok" if ratio <= target else "OVER")
        print(f"{label:<44}{1e3 * t_np:>10.1f}"
              f"{'-' if t_t is None else f'{1e3 * t_t:.1f}':>10}"
              f"{'-' if ratio is None else f'{ratio:.2f}x':>8}"
              f"{'-' if target is None else f'<={target}x':>8} {flag:<5}"
              f"{'' if t_naive is None else f'{1e3 * t_naive:.0f} ({note})'}")
        results.append({"case": key, "label": label, "numpy_s": t_np, "torch_s": t_t,
                        "ratio": ratio, "target": target, "naive_scaled_s": t_naive,
                        "naive_note": note})
    report = {"threads": args.threads, "quick": args.quick, "unpaired": unpaired,
              "plain": args.plain,
              "numpy": np.__version__,
              "torch": torch.__version__ if torch else None, "blas": blas,
              "machine": platform.machine(), "cpus": os.cpu_count(), "results": results}
    if args.json is not None:
        tmp = args.json.with_name(args.json.name + ".tmp")
        tmp.write_text(json.dumps(report, indent=2))
        os.replace(tmp, args.json)  # atomic: a reader never sees half a file
    return report


if __name__ == "__main__":
    main()
