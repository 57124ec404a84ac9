"""Loss-surface speed of ffviz's engine (engine/surface.py) against a plain per-point loop in the same process.

Network 2-8-8-1, tanh everywhere, ½ squared error, 500 points (the network of benchmarks/engine_speed.py),
trained 200 updates so the surface has structure. The baseline: for each grid point build the flat parameters,
then one forward pass and the loss (Network.output and Network.mean_loss, float64). The issue's targets:

    101² over two first-layer weights      ≥ 6× the loop
    101² over two last-layer weights       ≥ 25×
    51² random plane                       ≥ 5×
    25² preview                            ≤ 1/10 of the full 101² surface's time
    extra memory                           ≤ 200 MB (tracemalloc's peak while a surface is computed)

Rounds are interleaved (A B C … A B C …) and the best round counts, so a noisy neighbour on a shared machine
slows every contender alike. `--chunks` also times the fast paths for several chunk sizes.

    python benchmarks/surface_speed.py [--rounds 5] [--chunks]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the app sets it (ffviz/cli.py); before NumPy loads

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_speed import _data, _spec  # noqa: E402

from ffviz.engine import Trainer, from_dict  # noqa: E402
from ffviz.engine.surface import (Landscape, SurfaceRequest, compute_surface, random_directions,  # noqa: E402
                                  surface_progress)


def loop_surface(landscape: Landscape, request: SurfaceRequest) -> np.ndarray:
    """The baseline: one forward pass and loss per grid point, on the same axes the engine uses."""
    res = compute_surface(replace(request, resolution=2), landscape)  # only for the axes' ranges and directions
    (a_lo, a_hi), (b_lo, b_hi) = (res.a[0], res.a[-1]), (res.b[0], res.b[-1])
    r = request.resolution
    a, b = np.linspace(a_lo, a_hi, r), np.linspace(b_lo, b_hi, r)
    net, x, y, lay = landscape.net, landscape.x, landscape.y, landscape.layout
    center, d = landscape.center, res.directions
    a0, b0 = res.center_ab
    out = np.empty((r, r))
    with np.errstate(all="ignore"):
        for i in range(r):
            for j in range(r):
                params = center + (a[i] - a0) * d[0] + (b[j] - b0) * d[1]
                kernels, biases = lay.views(params)
                out[i, j] = net.mean_loss(y, *net.output(x, kernels, biases))
    return out


def best_times(contenders: dict, rounds: int) -> dict:
    for fn in contenders.values():
        fn()  # warm up
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(rounds):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def peak_mb(fn) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2 ** 20


def longest_chunk(request, landscape) -> float:
    """The longest stretch of work between two progress reports (what a worker holds the CPU for)."""
    longest, t = 0.0, time.perf_counter()
    for _ in surface_progress(request, landscape):
        now = time.perf_counter()
        longest, t = max(longest, now - t), now
    return longest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--chunks", action="store_true", help="also time chunk sizes 8 … 256")
    args = ap.parse_args()
    x, y = _data()
    trainer = Trainer(from_dict(_spec(x, y)))
    trainer.step(200)
    ls = Landscape.of_trainer(trainer)
    lay = ls.layout
    first = SurfaceRequest.two_weights(lay.position("kernel1[0,0]"), lay.position("kernel1[1,0]"), resolution=101)
    last = SurfaceRequest.two_weights(lay.position("kernel3[0,0]"), lay.position("kernel3[1,0]"), resolution=101)
    plane = SurfaceRequest.random_plane(seed=0, resolution=51)
    random_directions(lay, ls.center, 0)  # the plane's directions are part of its time; warm them up too

    def run(req):
        return lambda: compute_surface(req, ls)

    contenders = {
        "loop first 101²": lambda: loop_surface(ls, first),
        "first 101²": run(first),
        "loop last 101²": lambda: loop_surface(ls, last),
        "last 101²": run(last),
        "loop plane 51²": lambda: loop_surface(ls, plane),
        "plane 51²": run(plane),
        "preview first 25²": run(first.preview()),
        "plain first 101²": run(replace(first, method="plain")),
        "plane 51² float64": run(replace(plane, dtype="float64")),
    }
    t = best_times(contenders, args.rounds)
    for name, v in t.items():
        print(f"{name:<22} {v * 1e3:9.1f} ms")
    print()
    print(f"first-layer weights 101²: {t['loop first 101²'] / t['first 101²']:6.1f}× the loop   (target ≥ 6×)")
    print(f"last-layer weights 101²:  {t['loop last 101²'] / t['last 101²']:6.1f}× the loop   (target ≥ 25×)")
    print(f"random plane 51²:         {t['loop plane 51²'] / t['plane 51²']:6.1f}× the loop   (target ≥ 5×)")
    print(f"preview 25² / full 101²:  {t['preview first 25²'] / t['first 101²']:6.3f}          (target ≤ 0.1)")
    print(f"plain path 101²:          {t['loop first 101²'] / t['plain first 101²']:6.1f}× the loop   (reference)")
    print(f"random plane 51², float64:{t['loop plane 51²'] / t['plane 51² float64']:6.1f}× the loop")
    mem = max(peak_mb(run(r)) for r in (first, last, plane, replace(first, resolution=401)))
    print(f"peak extra memory:        {mem:6.1f} MB        (target ≤ 200 MB; 401² included)")
    worst = max(longest_chunk(r, ls) for r in (first, plane, replace(plane, resolution=101)))
    print(f"longest chunk of work:    {worst * 1e3:6.1f} ms")
    if args.chunks:
        print()
        for size in (8, 16, 32, 64, 128, 256):
            reqs = {f"{k} chunk {size}": replace(r, chunk=size) for k, r in (("first", first), ("last", last),
                                                                           ("plane", plane))}
            tc = best_times({k: run(r) for k, r in reqs.items()}, args.rounds)
            print("  ".join(f"{k}: {v * 1e3:7.1f} ms" for k, v in tc.items()))


if __name__ == "__main__":
    main()
