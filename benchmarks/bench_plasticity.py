"""Cost of plasticity: synaptic events per second with STDP against the same static network, in one run.

10,000 neurons with 100 recurrent synapses each (1 M synapses) plus a Poisson drive, run twice in the
same process: static weights, then the same projection with pair STDP (all-to-all traces). Reported:
events, wall time of the run loop, events per second and the ratio plastic / static (target ≥ 0.5).
Point models (LIF, dt = 0.1 ms) and SOEN neurons (dt = 0.1 ns).

    python benchmarks/bench_plasticity.py [--point-ms 200] [--soen-ns 200] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import soen
from soen import models

MS = 1e6


def point_net(plastic: bool) -> soen.Network:
    net = soen.Network()
    net.add_population(soen.Population("n", 10_000, neuron=models.LIF(tau_ms=10.0, v_threshold_mV=1.0)))
    net.add_source(soen.PoissonSource("drive", 10_000, rate_hz=2000.0))
    net.connect("drive", "n", soen.OneToOne(), weight=12.0, delay_ns=0.1 * MS)
    rule = soen.STDP(tau_plus_ns=20 * MS, tau_minus_ns=20 * MS, a_plus=0.01, a_minus=0.0105, w_max=2.0) if plastic else None
    net.connect("n", "n", soen.FixedInDegree(100), weight=soen.Uniform(0.0, 1.0), delay_ns=soen.Uniform(1 * MS, 3 * MS),
                plasticity=rule)
    return net


def soen_net(plastic: bool) -> soen.Network:
    net = soen.Network()
    net.add_population("n", 10_000, soen.point_neuron())
    net.add_source(soen.PoissonSource("drive", 10_000, rate_hz=20e6))
    net.connect("drive", "n", soen.OneToOne(), weight=1.0)
    rule = soen.STDP(tau_plus_ns=20.0, tau_minus_ns=20.0, a_plus=0.0005, a_minus=0.000525, w_max=0.005) if plastic else None
    net.connect("n", "n", soen.FixedInDegree(100), weight=soen.Uniform(0.0, 0.004), delay_ns=soen.Uniform(1.0, 3.0),
                plasticity=rule)
    return net


def measure(build, duration_ns, dt_ns, threads, reps=2) -> dict:
    """Static and plastic runs interleaved ``reps`` times; the best of each. ``cpu_s`` is the process
    CPU time of the run (robust when other jobs share the cores; with threads > 1 it sums the threads)."""
    compiled = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for plastic in (False, True):
            c = soen.compile(build(plastic), dt_ns=dt_ns, seed=1)
            soen.simulate(c, 100 * dt_ns, threads=threads)  # compile the kernels
            compiled[plastic] = c
        out = {}
        for _ in range(reps):
            for plastic, c in compiled.items():
                t0 = time.process_time()
                r = soen.simulate(c, duration_ns, threads=threads)
                cpu = time.process_time() - t0
                ev = int(r.counts["events"])
                key = "plastic" if plastic else "static"
                best = out.get(key)
                if best is None or r.timing["run_s"] < best["run_s"]:
                    out[key] = dict(events=ev, spikes=int(r.spike_ids.size), run_s=round(r.timing["run_s"], 3),
                                    events_per_s=round(ev / r.timing["run_s"]),
                                    cpu_s=round(min(cpu, best["cpu_s"]) if best else cpu, 3))
                elif cpu < best["cpu_s"]:
                    best["cpu_s"] = round(cpu, 3)
    out["ratio_plastic_over_static"] = round(out["plastic"]["events_per_s"] / out["static"]["events_per_s"], 3)
    out["ratio_by_cpu_time"] = round((out["plastic"]["events"] / out["plastic"]["cpu_s"])
                                     / (out["static"]["events"] / out["static"]["cpu_s"]), 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--point-ms", type=float, default=200.0)
    ap.add_argument("--soen-ns", type=float, default=200.0)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    print(json.dumps(dict(model="LIF", synapses="1M", **measure(point_net, a.point_ms * MS, 0.1 * MS, a.threads))),
          flush=True)
    print(json.dumps(dict(model="SOEN", synapses="1M", **measure(soen_net, a.soen_ns, 0.1, a.threads))), flush=True)


if __name__ == "__main__":
    main()
