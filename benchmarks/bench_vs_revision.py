"""Side-by-side speed of this tree against an earlier revision, in one run on this machine.

Each workload runs in a fresh subprocess, alternately with this tree's ``soen`` and with the baseline
revision's (checked out into a temporary folder with ``git worktree``), each with its own warm Numba
cache; the median of ``--reps`` runs is reported, with the ratio new / baseline (< 1: faster now).

Workloads: ``bench_engine.py`` a, b, c (SOEN engine, 1 µs at dt = 0.1 ns) and the point-model cases of
``compare/bench_soen.py`` (COBA and Brunel; the simulated time is ``--ms``).

    python benchmarks/bench_vs_revision.py c1ea8f4 [--reps 3] [--ms 200] [--new REV]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_one(src: Path, cache: Path, cmd: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src), NUMBA_CACHE_DIR=str(cache), SOEN_BENCH_THREADS="1",
               NUMBA_NUM_THREADS="1")
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=cmd[1].rsplit("/", 1)[0])
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed with {src}:\n{p.stderr[-3000:]}")
    line = [x for x in p.stdout.splitlines() if x.strip()][-1]
    return json.loads(line[len("RESULT "):] if line.startswith("RESULT ") else line)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("rev")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--ms", type=float, default=200.0)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--new", help="a revision to measure instead of this working tree (e.g. while it is being edited)")
    a = ap.parse_args()
    engine = str(ROOT / "benchmarks" / "bench_engine.py")
    point = str(ROOT / "benchmarks" / "compare" / "bench_soen.py")
    jobs = {
        "a1": ([sys.executable, engine, "--child", "a", "1"], "step_s", "setup_s"),
        "b1": ([sys.executable, engine, "--child", "b", "1"], "step_s", "setup_s"),
        "c1000": ([sys.executable, engine, "--child", "c", "1000"], "step_s", "setup_s"),
        "c10000": ([sys.executable, engine, "--child", "c", "10000"], "step_s", "setup_s"),
        "coba4000": ([sys.executable, point, "coba4000", "--duration-ms", str(a.ms)], "sim_s", "build_s"),
        "brunel10000": ([sys.executable, point, "brunel10000", "--duration-ms", str(a.ms)], "sim_s", "build_s"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), a.rev], check=True,
                       capture_output=True)
        new = Path(tmp) / "new"
        if a.new:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(new), a.new], check=True,
                           capture_output=True)
        try:
            trees = {"new": (new if a.new else ROOT) / "src", "base": base / "src"}
            caches = {k: Path(tmp) / f"cache-{k}" for k in trees}
            for name, (cmd, key, setup) in jobs.items():
                if a.only and name not in a.only:
                    continue
                times = {k: [] for k in trees}
                setups = {k: [] for k in trees}
                for k in trees:  # warm each tree's cache
                    run_one(trees[k], caches[k], cmd)
                for _ in range(a.reps):
                    for k in trees:
                        r = run_one(trees[k], caches[k], cmd)
                        times[k].append(r[key])
                        setups[k].append(r[setup])
                med = {k: statistics.median(v) for k, v in times.items()}
                smed = {k: statistics.median(v) for k, v in setups.items()}
                print(json.dumps(dict(workload=name, metric=key, new_s=med["new"], base_s=med["base"],
                                      ratio_new_over_base=round(med["new"] / med["base"], 3),
                                      setup_new_s=smed["new"], setup_base_s=smed["base"],
                                      setup_ratio=round(smed["new"] / max(smed["base"], 1e-9), 3),
                                      runs=dict(new=times["new"], base=times["base"]))), flush=True)
        finally:
            for w in (base, new) if a.new else (base,):
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(w)], capture_output=True)


if __name__ == "__main__":
    main()
