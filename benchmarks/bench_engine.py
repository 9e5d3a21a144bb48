"""Core-engine benchmark (issue #3 workloads), one JSON line per workload.

Workloads at dt = 0.1 ns, 1 µs:
  a  one neuron, one dendrite (the soma), one synapse, regular input every 50 ns
  b  one neuron with a 3-then-9 dendrite tree and 9 synapses (regular inputs)
  c  N point neurons with 10 synapses each: one from an external regular train, 9 from random others
  big  N = 100,000 point neurons with 100 synapses each (1 external + 99 recurrent)

Each workload runs in a fresh subprocess twice: first with an empty Numba cache (cold JIT), then
with the cache it left (warm). Reported: set-up (compile the network) time, JIT time (compiling the
kernel, or loading it from the cache), stepping time, µs per neuron-step, peak RSS, and the totals of
the cold and warm starts. Ratios are against the
published sim_soens figure measured on this machine class (≈160–225 µs per neuron-step).

    python benchmarks/bench_engine.py            # a, b, c for N = 10 … 10,000
    python benchmarks/bench_engine.py --big      # also N = 100,000 × 100 synapses
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

SIM_SOENS_US_PER_NEURON_STEP = 160.0  # lower end of the measured 160–225 µs (issue #3)


def build(workload: str, n: int):
    import soen

    net = soen.Network()
    if workload == "a":
        net.add_population("n", 1, soen.point_neuron())
        net.add_source(soen.RegularSource("inp", 1, period_ns=50.0))
        net.connect("inp", "n", soen.OneToOne(), weight=1.0, delay_ns=0.0)
    elif workload == "b":
        net.add_population("n", 1, soen.tree_neuron((3, 9), coupling=0.5))
        net.add_source(soen.RegularSource("inp", 9, period_ns=50.0))
        net.connect("inp", "n", soen.AllToAll(), weight=1.0, delay_ns=0.0)
    elif workload in ("c", "big"):
        k_in = 10 if workload == "c" else 100
        net.add_population("n", n, soen.point_neuron())
        net.add_source(soen.RegularSource("inp", n, period_ns=50.0))
        net.connect("inp", "n", soen.OneToOne(), weight=1.0, delay_ns=0.0)
        net.connect("n", "n", soen.FixedInDegree(k_in - 1), weight=soen.Uniform(0.0, 2.0 / (k_in - 1)),
                    delay_ns=soen.Uniform(1.0, 5.0))
    else:
        raise ValueError(workload)
    return net


def child(workload: str, n: int) -> dict:
    t0 = time.perf_counter()
    import soen  # noqa: F401  (import time is part of a cold start)

    t_import = time.perf_counter() - t0
    t1 = time.perf_counter()
    net = build(workload, n)
    t_build = time.perf_counter() - t1
    res = soen.simulate(net, 1000.0, dt_ns=0.1, seed=1, progress=False)
    total = time.perf_counter() - t0
    n_neu = res.n_neurons
    step_s = res.timing["run_s"]
    return dict(
        workload=workload, n_neurons=n_neu, synapses=res.metadata["n_synapses"],
        setup_s=round(t_build + res.timing["compile_s"], 4), jit_s=round(res.timing["jit_s"], 4),
        step_s=round(step_s, 4),
        us_per_neuron_step=round(1e6 * step_s / (n_neu * res.timing["steps"]), 5),
        speedup_vs_sim_soens=round(SIM_SOENS_US_PER_NEURON_STEP / (1e6 * step_s / (n_neu * res.timing["steps"])), 1),
        import_s=round(t_import, 3), total_s=round(total, 3),
        peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        spikes=int(res.spike_ids.size), mean_rate_mhz=round(float(res.rates_hz().mean()) / 1e6, 3),
    )


def run_pair(workload: str, n: int) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = []
        for _ in range(2):
            p = subprocess.run([sys.executable, __file__, "--child", workload, str(n)], env=env,
                               capture_output=True, text=True, check=True)
            out.append(json.loads(p.stdout.strip().splitlines()[-1]))
    cold, warm = out
    warm["cold_start_total_s"] = cold["total_s"]
    warm["warm_start_total_s"] = warm.pop("total_s")
    warm["cold_over_warm"] = round(cold["total_s"] / warm["warm_start_total_s"], 2)
    return warm


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", nargs=2)
    ap.add_argument("--big", action="store_true")
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return
    jobs = [("a", 1), ("b", 1), ("c", 10), ("c", 100), ("c", 1000), ("c", 10000)]
    if args.big:
        jobs.append(("big", 100_000))
    for w, n in jobs:
        if args.only and f"{w}{n}" not in args.only and w not in args.only:
            continue
        print(json.dumps(run_pair(w, n)), flush=True)


if __name__ == "__main__":
    main()
