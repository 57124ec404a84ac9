"""Memory a long run costs: peak RSS of `ffviz train circle --steps 1000000` against the same command with 10,000
steps, each in a fresh interpreter, and what the run's timeline holds at the end.

Target (issue 9): at most 50 MB more for 10⁶ updates than for 10⁴ (the timeline keeps every recent update's
parameters and checkpoints, thinned as they age; the per-update batch-loss history grows 16 bytes an update).

    python benchmarks/timeline_memory.py [--preset circle] [--long 1000000] [--short 10000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

_CHILD = r"""
import json, os, resource, sys, time
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
from ffviz import cli
from ffviz.engine import Trainer
seen = {}
real_step = Trainer.step
def step(self, n=1):  # keep a handle on the run to report its timeline at the end
    seen["trainer"] = self
    return real_step(self, n)
Trainer.step = step
t0 = time.perf_counter()
code = cli.main(sys.argv[1:])
tr = seen["trainer"]
print(json.dumps({"code": code, "seconds": time.perf_counter() - t0,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "steps": tr.step_count, "timeline_bytes": tr.timeline.nbytes(),
                  "recorded": int(tr.timeline.recorded_steps().size),
                  "checkpoints": len(tr.timeline.checkpoints()),
                  "history_rows": tr.history().eval_step.size}))
"""


def run(preset: str, steps: int) -> dict:
    with tempfile.TemporaryDirectory() as out:
        res = subprocess.run([sys.executable, "-c", _CHILD, "train", preset, "--steps", str(steps), "--out", out],
                             capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="circle")
    p.add_argument("--long", type=int, default=1_000_000)
    p.add_argument("--short", type=int, default=10_000)
    args = p.parse_args()
    short, long = run(args.preset, args.short), run(args.preset, args.long)
    for name, r in (("short", short), ("long", long)):
        print(f"{name:5s} {r['steps']:>9,} updates in {r['seconds']:6.1f} s: peak RSS {r['peak_kib'] / 1024:7.1f} MiB; "
              f"timeline {r['timeline_bytes'] / 2**20:5.2f} MiB, {r['recorded']:,} points, "
              f"{r['checkpoints']} checkpoints; {r['history_rows']:,} history rows")
    growth = (long["peak_kib"] - short["peak_kib"]) / 1024
    print(f"growth {growth:.1f} MiB for {args.long / args.short:.0f}x the updates (target <= 50 MB = 47.7 MiB); "
          f"long/short peak = {long['peak_kib'] / short['peak_kib']:.2f}")
    return 0 if growth <= 50e6 / 2**20 else 1


if __name__ == "__main__":
    sys.exit(main())
