"""Run a test network on the MPI engine once per exchange mode in one mpiexec (under mpiexec); rank 0
writes one .npz per mode (spikes, traces, counts, ``eng.stats`` and ``Result.metadata["mpi"]``).
Usage:

    mpiexec -n P python3 child_directed.py NET OUT_PREFIX MODE[,MODE] [--partition blocks] [--duration NS]

``NET``: a network of child.py, ``local`` (point_nets.local_blocks: connectivity within blocks) or
``blowup`` (``local`` plus a neuron of rank 1 whose state overflows at 20.1 ms: the run fails; rank 0 writes the
error message and the partial Result).
"""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np
from child import default_duration_ns, network, run_kwargs

import soen


def build(name):
    if name in ("local", "blowup"):
        from point_nets import local_blocks

        net = local_blocks()
        if name == "blowup":  # global ids 600 (rank 0 of 2 or 3, round robin) and 601 (rank 1)
            from soen import models

            net.add_population(soen.Population("x0", 1, neuron=models.LIF()))
            net.add_population(soen.Population("x", 1, neuron=models.I(r_mV_per_ms_nA=1e300)))
            net.add_source(soen.RegularSource("kick", 1, period_ns=1e9, start_ns=18.55e6))  # arrives at 20.05 ms
            net.connect("kick", "x", soen.OneToOne(), weight=1e38, delay_ns=1.5e6)
            net.connect("x", "e", soen.FixedInDegree(1), weight=0.1, delay_ns=1.5e6)
        return net
    return network(name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("net")
    ap.add_argument("out")
    ap.add_argument("modes")
    ap.add_argument("--partition", default="round_robin")
    ap.add_argument("--duration", type=float, default=None)
    a = ap.parse_args()
    warnings.simplefilter("ignore")  # (oversubscription on a small test machine)
    kw_name = "brunel" if a.net in ("local", "blowup") else a.net
    for mode in a.modes.split(","):
        eng = soen.engines.MPI(partition=a.partition, exchange=mode, parallel_min_dendrites=0, parallel_min_neurons=0)
        message = ""
        try:
            res = eng.simulate(build(a.net), a.duration or default_duration_ns(kw_name), **run_kwargs(kw_name))
        except FloatingPointError as exc:  # rank 0: the run stopped at a non-finite state
            res, message = exc.result, str(exc)
        except RuntimeError as exc:  # the other ranks: "the run failed on rank 0"
            assert eng.rank != 0 and "failed on rank 0" in str(exc), exc
            res = None
        if eng.rank != 0:
            assert res is None
            continue
        np.savez(f"{a.out}-{mode}.npz", t=res.spike_times_ns, i=res.spike_ids, s=res.traces_s, phi=res.traces_phi,
                 fluxons=res.fluxons, counts=json.dumps(res.counts),
                 inputs=json.dumps({k: v.tolist() for k, v in res.input_counts.items()}),
                 stats=json.dumps(eng.stats), parallel=bool(res.metadata["parallel"]),
                 mpi=json.dumps(res.metadata["mpi"]), message=message)


if __name__ == "__main__":
    main()
