"""The reference runs of the MPI tests on the CPU engine, in the test process."""

from __future__ import annotations

import json

import numpy as np
from child import default_duration_ns, network, run_kwargs

import soen


def run_cpu(net: str, duration_ns: float | None = None, threads: int = 1) -> dict:
    res = soen.simulate(network(net), duration_ns or default_duration_ns(net), engine=soen.engines.CPU(threads=threads), **run_kwargs(net))
    return dict(t=res.spike_times_ns, i=res.spike_ids, s=res.traces_s, phi=res.traces_phi, fluxons=res.fluxons,
                counts=json.loads(json.dumps(res.counts)),
                inputs={k: v.tolist() for k, v in res.input_counts.items()}, stats={}, parallel=False)


__all__ = ["np", "run_cpu"]
