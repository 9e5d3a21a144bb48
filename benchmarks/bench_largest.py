"""The largest networks on one machine: peak RSS and bytes per synapse for a run of 100 steps.

* point models: 1,000,000 LIF neurons × 1,000 recurrent synapses each (10^9 synapses) + a Poisson drive,
  dt = 0.1 ms (about 14 GiB, 6 min to compile on 2 cores);
* SOEN neurons: 50,000 tree neurons × 2,000 synapses each (10^8 synapses), dt = 0.1 ns (about 4.4 GiB).

    python benchmarks/bench_largest.py point [--neurons 1000000 --in-degree 1000]
    python benchmarks/bench_largest.py soen [--neurons 50000 --in-degree 2000]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import warnings

import soen
from soen import models

MS = 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["point", "soen"])
    ap.add_argument("--neurons", type=int)
    ap.add_argument("--in-degree", type=int)
    a = ap.parse_args()
    net = soen.Network()
    if a.kind == "point":
        n, k, dt = a.neurons or 1_000_000, a.in_degree or 1000, 0.1 * MS
        net.add_population(soen.Population("n", n, neuron=models.LIF(tau_ms=10.0)))
        net.add_source(soen.PoissonSource("drive", n, rate_hz=2000.0))
        net.connect("drive", "n", soen.OneToOne(), weight=12.0, delay_ns=0.1 * MS)
        net.connect("n", "n", soen.FixedInDegree(k), weight=0.01, delay_ns=1.0 * MS)
    else:
        n, k, dt = a.neurons or 50_000, a.in_degree or 2000, 0.1
        net.add_population("n", n, soen.tree_neuron((4,), coupling=0.3))
        net.add_source(soen.PoissonSource("drive", n, rate_hz=20e6))
        net.connect("drive", "n", soen.OneToOne(), weight=1.0)
        net.connect("n", "n", soen.FixedInDegree(k), weight=0.0002, delay_ns=soen.Uniform(1.0, 5.0))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = soen.compile(net, dt_ns=dt, seed=1)
        t1 = time.perf_counter()
        r = soen.simulate(c, 100 * dt, progress=False)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(kind=a.kind, neurons=n, synapses=c.n_synapses, compile_s=round(t1 - t0, 1),
                          steps=r.timing["steps"], run_s=round(r.timing["run_s"], 1), spikes=int(r.spike_ids.size),
                          events=int(r.counts["events"]), peak_rss_mib=round(peak),
                          peak_bytes_per_synapse=round(peak * 2**20 / c.n_synapses, 2))))


if __name__ == "__main__":
    main()
