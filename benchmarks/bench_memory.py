"""Peak memory (RSS) of the SOEN engine: constant in the simulated duration, and per synapse.

1. 1,000 SOEN neurons driven by 1,000 Poisson inputs at 20 MHz (plus sparse recurrence), streaming to a
   results file, for 10 µs, 100 µs and 1 ms of model time: the peak RSS of each run (a fresh process
   each) and their ratio to the shortest. Inputs are drawn per step and spikes leave memory every
   chunk, so the peak must not grow with the duration.
2. Peak RSS per synapse: a network of ``--synapses`` connections compiled and run for 20 steps, minus
   the peak of the same process shape with 1,000 connections, divided by the number of synapses.

    python benchmarks/bench_memory.py [--synapses 20000000] [--skip-duration]
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


def duration_child(duration_ns: float, path: str) -> dict:
    import soen

    net = soen.Network()
    net.add_population("exc", 1000, soen.point_neuron())
    net.add_source(soen.PoissonSource("drive", 1000, rate_hz=20e6))
    net.connect("drive", "exc", soen.OneToOne(), weight=1.0)
    net.connect("exc", "exc", soen.FixedProbability(0.01), weight=0.2, delay_ns=2.0)
    t0 = time.perf_counter()
    res = soen.simulate(net, duration_ns, seed=1, output=path, progress=False)
    return dict(duration_ns=duration_ns, wall_s=round(time.perf_counter() - t0, 2),
                spikes=int(res.counts["spikes"]), input_spikes=int(res.counts["input_spikes"]),
                peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))


def synapse_child(n_syn: int) -> dict:
    import soen

    n = max(10_000, n_syn // 2_000)  # at most 2,000 synapses per neuron (FixedInDegree needs k < n)
    k = max(1, n_syn // n)
    net = soen.Network()
    net.add_population("a", n, soen.tree_neuron((4,), coupling=0.3))
    net.add_source(soen.PoissonSource("drive", n, rate_hz=20e6))
    net.connect("drive", "a", soen.OneToOne(), weight=1.0)
    net.connect("a", "a", soen.FixedInDegree(k), weight=0.01, delay_ns=soen.Uniform(1.0, 5.0))
    t0 = time.perf_counter()
    c = soen.compile(net, dt_ns=0.1, seed=1)
    res = soen.simulate(c, 2.0, seed=1, progress=False)
    n_conn = int(res.metadata["n_connections"])
    # bytes per connection of every stored column that grows with the connections (static connectivity),
    # and the engine's per-synapse state (the last arrival step and the flux at the end of its hotspot)
    cols = {k: round(v.nbytes / n_conn, 2) for k, v in c.column_bytes().items() if v.size >= n_conn}
    state = {"sy_last": 8.0 * c.n_synapses / n_conn, "sy_phi_end": 8.0 * c.n_synapses / n_conn}
    return dict(synapses=n_conn, wall_s=round(time.perf_counter() - t0, 2),
                peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                connectivity=c.meta.get("connectivity"), static_bytes_per_synapse=round(sum(cols.values()), 2),
                static_columns=cols, state_bytes_per_synapse=round(sum(state.values()), 2))


def child(args) -> dict:
    kind, value = args
    return duration_child(float(value), os.environ["SOEN_BENCH_OUT"]) if kind == "duration" \
        else synapse_child(int(value))


def run(kind: str, value) -> dict:
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, SOEN_BENCH_OUT=os.path.join(d, "run.h5"))
        p = subprocess.run([sys.executable, __file__, "--child", kind, str(value)], env=env, capture_output=True,
                           text=True, check=True)
        return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", nargs=2)
    ap.add_argument("--synapses", type=int, default=20_000_000)
    ap.add_argument("--skip-duration", action="store_true")
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child)))
        return
    if not a.skip_duration:
        run("duration", 1000.0)  # warm the Numba cache
        rows = [run("duration", d) for d in (1e4, 1e5, 1e6)]
        for r in rows:
            r["peak_over_10us"] = round(r["peak_rss_mib"] / rows[0]["peak_rss_mib"], 3)
            print(json.dumps(r), flush=True)
    run("synapses", 1000)
    small = run("synapses", 10_000)
    big = run("synapses", a.synapses)
    per = (big["peak_rss_mib"] - small["peak_rss_mib"]) * 2**20 / (big["synapses"] - small["synapses"])
    print(json.dumps(dict(synapses=big["synapses"], peak_rss_mib=big["peak_rss_mib"],
                          baseline_peak_rss_mib=small["peak_rss_mib"], wall_s=big["wall_s"],
                          peak_bytes_per_synapse=round(per, 1), connectivity=big["connectivity"],
                          static_bytes_per_synapse=big["static_bytes_per_synapse"],
                          state_bytes_per_synapse=big["state_bytes_per_synapse"])), flush=True)
    print(json.dumps(dict(static_columns_bytes_per_synapse=big["static_columns"])), flush=True)


if __name__ == "__main__":
    main()
