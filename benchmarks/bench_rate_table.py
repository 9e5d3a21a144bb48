"""Benchmark of soen.circuits rate tables; prints JSON (times only, asserts nothing).

Run: ``python3 benchmarks/bench_rate_table.py [--build]``. ``--build`` also times a full default-grid build
from scratch (about 20 s on 2 cores; no cache is used).
"""

from __future__ import annotations

import argparse
import json
import time

import numba
import numpy as np
from numba import njit

from soen.circuits.rate_table import RateTable, default_path, rate_nb


@njit  # no cache: Numba's cache does not notice edits to the inlined rate_nb
def _sum_rates(phi, i_sq, q, i0, di, dphi, c_inf):
    acc = 0.0
    for n in range(phi.shape[0]):
        acc += rate_nb(phi[n], i_sq[n], q, i0, di, dphi, c_inf)
    return acc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", action="store_true", help="also time a full default-grid build")
    ap.add_argument("--n", type=int, default=1_000_000, help="interpolations to time (default 1e6)")
    args = ap.parse_args()
    res: dict[str, float | int | str] = {"threads": numba.get_num_threads()}

    t0 = time.perf_counter()
    table = RateTable.load(default_path())
    res["load_s"] = time.perf_counter() - t0

    rng = np.random.default_rng(0)
    phi = rng.uniform(-2.0, 2.0, args.n)
    i_sq = rng.uniform(0.8, 2.7, args.n)
    ka = table.kernel_arrays()
    _sum_rates(phi[:10], i_sq[:10], *ka)  # compile / load from cache
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        _sum_rates(phi, i_sq, *ka)
        best = min(best, time.perf_counter() - t0)
    res["n_interp"] = args.n
    res["rate_nb_loop_s"] = best
    res["rate_nb_ns_per_call"] = best / args.n * 1e9

    table(phi[:10], i_sq[:10])
    t0 = time.perf_counter()
    table(phi, i_sq)
    res["table_call_vectorised_s"] = time.perf_counter() - t0

    if args.build:
        t0 = time.perf_counter()
        RateTable.build(cache=False)
        res["full_build_s"] = time.perf_counter() - t0
        res["grid"] = f"{table.i_grid.size}x{table.phi_grid.size}"
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
