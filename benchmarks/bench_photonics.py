"""Cost of photonic realism: the same large network, ideal vs physical links, in one process.

N point neurons (default 10,000), fan-out 100 (FixedInDegree(100) recurrent, delays 1–5 ns), an
external regular train per neuron, 1 µs at dt = 0.1 ns. Runs: core (hardware=None), ideal hardware
(photonic code path, μ = ∞) and default hardware (Poisson photons, emission time, jitter, dark
counts, spreads) on a grid layout. Prints one JSON line per run and the ratios to the core run.

    python benchmarks/bench_photonics.py [--n 10000] [--fan-out 100]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def build(n: int, k: int):
    import soen

    net = soen.Network()
    net.add_population("n", n, soen.point_neuron())
    net.add_source(soen.RegularSource("inp", n, period_ns=50.0))
    net.connect("inp", "n", soen.OneToOne(), weight=1.0, delay_ns=0.0)
    net.connect("n", "n", soen.FixedInDegree(k), weight=soen.Uniform(0.0, 2.0 / k), delay_ns=soen.Uniform(1.0, 5.0))
    return net


def main() -> None:
    import soen

    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--fan-out", type=int, default=100)
    ap.add_argument("--duration-ns", type=float, default=1000.0)
    args = ap.parse_args()
    net = build(args.n, args.fan_out)
    layout = soen.Layout.grid(args.n, pitch_um=111.1)
    # warm the JIT caches of both code paths on a tiny run
    small = build(50, 5)
    soen.simulate(small, 20.0, progress=False)
    soen.simulate(small, 20.0, progress=False, hardware=soen.Hardware(), layout=soen.Layout.grid(50))
    # Random global wiring of 10^6 links in one plane would cross ~10^4 waveguides (see docs/photonics.md);
    # for a cost benchmark we zero the crossing loss and choose photons per spike so that the median link
    # delivers with P = 95 % (μ = 3): most events survive and the photonic path does all its per-event work
    # (Poisson draw, emission time, jitter).
    from soen.circuits import default_table
    from soen.engine._links import make_links
    from soen.engine.compile import compile_network

    probe = soen.Hardware(crossing_loss_db=0.0)
    c = compile_network(net, duration_ns=1.0, dt_ns=0.1, seed=1, table=default_table(),
                        links=make_links(net, probe, layout, 1))
    mu = c.out_mu[np.isfinite(c.out_mu)]
    photons = float(3.0 / np.median(mu) * probe.photons_per_spike)
    del c
    runs = {}
    for name, kw in (("core", {}), ("ideal", dict(hardware=soen.Hardware(ideal=True))),
                     ("physical", dict(hardware=soen.Hardware(photons_per_spike=photons, crossing_loss_db=0.0), layout=layout))):
        t0 = time.perf_counter()
        res = soen.simulate(net, args.duration_ns, seed=1, progress=False, **kw)
        total = time.perf_counter() - t0
        runs[name] = dict(run=name, n_neurons=args.n, connections=res.metadata["n_connections"],
                          setup_s=round(res.timing["compile_s"], 3), step_s=round(res.timing["run_s"], 3),
                          total_s=round(total, 3), spikes=int(res.spike_ids.size),
                          mean_rate_mhz=round(float(res.rates_hz().mean()) / 1e6, 3),
                          events=res.counts["events"], lost=res.counts["lost"],
                          dark_counts=res.counts.get("dark_counts", 0),
                          photons_per_spike=photons if name == "physical" else None)
    for name, r in runs.items():
        r["step_ratio_vs_core"] = round(r["step_s"] / runs["core"]["step_s"], 3)
        r["total_ratio_vs_core"] = round(r["total_s"] / runs["core"]["total_s"], 3)
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
