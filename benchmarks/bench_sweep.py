"""soen.sweep on standard executors: one 4 × 4 grid of small SOEN simulations, run serially, on a
2-process pool, on a local Dask cluster (2 workers) and, when started under MPI, on an
``mpi4py.futures.MPIPoolExecutor``. Prints the wall time of each, the speed-up over serial, and whether
every executor gave the identical table (spike counts per grid point).

    python benchmarks/bench_sweep.py                                  # serial, process pool, Dask
    mpiexec -n 3 python -m mpi4py.futures benchmarks/bench_sweep.py --mpi   # also MPIPoolExecutor (2 workers)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import soen

GRID = {"weight": [0.4, 0.6, 0.8, 1.0], "rate_mhz": [10.0, 20.0, 30.0, 40.0]}


def point(weight, rate_mhz, seed):
    """One grid point: a 200-neuron SOEN network driven by Poisson inputs, 4 µs (about 2 s)."""
    net = soen.Network()
    net.add_population("a", 200, soen.tree_neuron((2, 4), coupling=0.4))
    net.add_source(soen.PoissonSource("d", 200, rate_hz=rate_mhz * 1e6))
    net.connect("d", "a", soen.FixedInDegree(3), weight=weight)
    net.connect("a", "a", soen.FixedInDegree(5), weight=0.1, delay_ns=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = soen.simulate(net, 4000.0, seed=seed, threads=1)
    return {"spikes": int(r.spike_ids.size), "events": int(r.counts["events"])}


def table(rows):
    return [(r["weight"], r["rate_mhz"], r["seed"], r["spikes"], r["events"]) for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mpi", action="store_true", help="also an MPIPoolExecutor (run under mpi4py.futures)")
    a = ap.parse_args()
    point(0.5, 10.0, 1)  # warm the Numba cache
    out, ref = {}, None
    runs = [("serial", lambda: "serial", None)]
    runs.append(("process_pool_2", lambda: ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")),
                 "close"))
    try:
        from distributed import Client, LocalCluster

        def dask_executor():
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
            ex = client.get_executor()
            ex._soen_close = (client, cluster)
            return ex

        runs.append(("dask_local_2", dask_executor, "dask"))
    except ImportError:
        print("# dask.distributed not installed: skipped")
    if a.mpi:
        from mpi4py.futures import MPIPoolExecutor

        runs.append(("mpi_pool", lambda: MPIPoolExecutor(), "close"))
    for name, make, close in runs:
        ex = make()
        t0 = time.perf_counter()
        rows = soen.sweep(point, GRID, executor=ex, seed=3, progress=False)
        wall = time.perf_counter() - t0
        if close == "close":
            ex.shutdown()
        elif close == "dask":
            client, cluster = ex._soen_close
            client.close()
            cluster.close()
        t = table(rows)
        ref = t if ref is None else ref
        out[name] = dict(wall_s=round(wall, 2), identical_to_serial=t == ref)
    base = out["serial"]["wall_s"]
    for v in out.values():
        v["speedup_over_serial"] = round(base / v["wall_s"], 2)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
