"""The small protocol of the training-step benchmarks (plain Python; imported in every venv).

A worker builds its network and training step, runs ``warmup`` steps (the first compiles, where
the library compiles), prints ``READY {json}`` and then answers lines on stdin:

    RUN n   →  runs n training steps, each timed alone, and prints ``TIMES [[wall ms, cpu ms], ...]``
               (cpu: the process's CPU time of the step, all its threads: robust when other jobs
               share the cores, for one-thread runs the better measure of the work)
    QUIT    →  exits

so that a driver (benchmarks/bench_train_compare.py) can interleave several workers, A B A B …,
with every one of them compiled and warm. Without ``--serve`` a worker runs ``--repeats`` steps
after the warm-up and prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time


def add_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--serve", action="store_true", help="answer RUN n / QUIT on stdin (see module doc)")


def timed(step, n: int) -> list:
    """(wall ms, process CPU ms) of each of n calls of ``step()`` (which must return only when its work
    is done)."""
    out = []
    for _ in range(n):
        c0, t0 = time.process_time(), time.perf_counter()
        step()
        out.append((1e3 * (time.perf_counter() - t0), 1e3 * (time.process_time() - c0)))
    return out


def main(step, meta: dict, a) -> None:
    """Warm up ``step`` and either serve (``a.serve``) or measure ``a.repeats`` steps."""
    t0 = time.perf_counter()
    step()
    meta["first_call_s"] = round(time.perf_counter() - t0, 3)
    if a.warmup > 1:
        timed(step, a.warmup - 1)
    if not a.serve:
        ts = timed(step, a.repeats)
        wall, cpu = [t[0] for t in ts], [t[1] for t in ts]
        meta.update(step_ms_median=round(statistics.median(wall), 3), step_ms_min=round(min(wall), 3),
                    cpu_ms_median=round(statistics.median(cpu), 3), repeats=a.repeats)
        print("RESULT " + json.dumps(meta), flush=True)
        return
    print("READY " + json.dumps(meta), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "QUIT":
            break
        if cmd[0] == "RUN":
            print("TIMES " + json.dumps([[round(w, 4), round(c, 4)] for w, c in timed(step, int(cmd[1]))]), flush=True)
