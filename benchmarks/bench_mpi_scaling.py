"""Scaling on one machine: a 100,000-neuron SOEN network with 100 synapses per neuron (10^7 synapses),
run on 2 ranks × 1 thread (MPI engine) against 1 rank × 2 threads, in one run.

    python benchmarks/bench_mpi_scaling.py [--repeat 3]   # starts both configurations itself (mpiexec)

Each configuration runs ``--repeat`` times, alternating (timings on a shared machine are noisy); the
medians of the run times are compared. ``cpu_s``: the CPU time of the timed run, summed over ranks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings

N, K, DURATION_NS = 100_000, 100, 20.0


def network():
    import soen

    net = soen.Network()
    net.add_population("a", N, soen.point_neuron())
    net.add_source(soen.PoissonSource("d", N, rate_hz=40e6))
    net.connect("d", "a", soen.OneToOne(), weight=1.0)
    net.connect("a", "a", soen.FixedInDegree(K), weight=0.002, delay_ns=soen.Uniform(1.0, 3.0))
    return net


def child(threads: int) -> None:
    import soen

    eng = soen.engines.MPI(threads=threads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eng.simulate(network(), 2.0, seed=1)  # warm the kernels
        t0 = time.perf_counter()
        c0 = time.process_time()
        r = eng.simulate(network(), DURATION_NS, seed=1)
        wall = time.perf_counter() - t0
        cpu = eng.comm.allreduce(time.process_time() - c0)
    if r is not None:
        print("RESULT " + json.dumps(dict(ranks=eng.stats.get("ranks"), threads=threads, wall_s=round(wall, 2),
                                          run_s=round(r.timing["run_s"], 2), cpu_s=round(cpu, 2), spikes=int(r.spike_ids.size),
                                          events=int(r.counts["events"]))), flush=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(int(sys.argv[2]))
        return
    import argparse
    import statistics

    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    out: dict = {"1x2": [], "2x1": []}
    for _ in range(a.repeat):
        for ranks, threads in ((1, 2), (2, 1)):
            env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
            p = subprocess.run(["mpiexec", "-n", str(ranks), sys.executable, __file__, "--child", str(threads)],
                               capture_output=True, text=True, env=env, check=True)
            line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")][-1]
            out[f"{ranks}x{threads}"].append(json.loads(line[7:]))
            print(line, flush=True)
    med = {k: statistics.median(r["run_s"] for r in v) for k, v in out.items()}
    spikes = {r["spikes"] for v in out.values() for r in v}
    print(json.dumps(dict(median_run_s=med, speed_2ranks_over_2threads=round(med["1x2"] / med["2x1"], 3),
                          target=">= 0.9", identical_spikes=len(spikes) == 1)))


if __name__ == "__main__":
    main()
