"""Dry runs of the MPI engine and what they predict, next to NEST's published figures.

1. The communication model t_epoch = α₀ + α₁·log₂P + β·B (B: bytes each rank receives, 8 B per
   spike) is fitted to exchanges measured with the engine's wire format at P = 1 … 4 (``mpiexec``;
   the fit uses P ≤ the cores of this machine: more ranks than cores wait for each other).
2. ``soen.engines.MPI.dry_run`` builds rank 0's share of (a) the Potjans–Diesmann cortical
   microcircuit (77,169 neurons, 0.30·10⁹ synapses; ``soen.networks.cortical_microcircuit``) on
   16 ranks and (b) a 10⁹-neuron LIF network with 10⁴ synapses per neuron on 10⁴ ranks (a 2 %
   sample of its 10⁵ neurons: its 10⁹ synapses would need ~10 GB), steps it with a stand-in for
   the other ranks' spikes, and predicts memory per rank and the real-time factor (RTF = wall time /
   simulated time) for P ranks.

NEST, for comparison: Jordan et al. (2018) Front. Neuroinform. 12:2, doi:10.3389/fninf.2018.00002
(K computer: 1.73·10⁹ neurons, 10.4·10¹² synapses, about 2,400× slower than real time); Kurth et al.
(2022) Front. Neuroinform. 16:837549, doi:10.3389/fninf.2022.837549 (the microcircuit faster than
real time on one JURECA-DC node, 128 cores).

    python3 benchmarks/bench_dryrun.py                  # everything (about 4 minutes here)
    python3 benchmarks/bench_dryrun.py --skip-billion --micro-ranks 1 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time


HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = [0, 10, 100, 1000, 10000]  # spikes per rank per epoch
GiB = 2**30


def micro_worker(reps):
    sys.path.insert(0, HERE)
    from bench_mpi import micro
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    t = micro(comm, SIZES, reps, words_per_spike=1)  # the engine's format: one int64 per spike
    if comm.Get_rank() == 0:
        print(json.dumps(dict(ranks=comm.Get_size(), spikes_per_rank=SIZES, seconds=t)), flush=True)


def measure_comm(ranks, reps):
    mpiexec = shutil.which("mpiexec", path=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    if mpiexec is None:
        raise SystemExit("bench_dryrun: no mpiexec (pip install 'soen[mpi]')")
    rows = []
    for P in ranks:
        cmd = [mpiexec, "-n", str(P), sys.executable, __file__, "--micro-worker", "--reps", str(reps)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
        if p.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{p.stderr[-3000:]}")
        r = json.loads([x for x in p.stdout.splitlines() if x.startswith("{")][-1])
        for k, t in zip(r["spikes_per_rank"], r["seconds"]):
            rows.append((P, 8 * k * (P - 1), t))  # bytes each rank receives from the others
    return rows


def billion_network(n=10**9, k=10**4):
    """Brunel-type LIF network: 80 % excitatory, in-degree k (80 % from excitatory, 20 % inhibitory,
    g = 5), delays 1.5 ms, one Poisson channel per neuron (the external drive), as NEST's HPC
    benchmark (a balanced random network; here without plasticity)."""
    import soen
    from soen import models

    ms = 1e6
    lif = models.LIF(tau_ms=20.0, r_MOhm=40.0, v_leak_mV=0.0, v_threshold_mV=20.0, v_reset_mV=10.0, t_ref_ms=2.0,
                     v_init_mV=soen.Uniform(0.0, 20.0))
    ne = int(0.8 * n)
    net = soen.Network()
    net.add_population(soen.Population("e", ne, neuron=lif))
    net.add_population(soen.Population("i", n - ne, neuron=lif))
    w = 0.5  # nA over one 0.1 ms step: 0.1 mV
    for post in ("e", "i"):
        size = net.populations[post].n
        net.add_source(soen.PoissonSource(f"ext_{post}", n=size, rate_hz=20000.0))
        net.connect(f"ext_{post}", post, soen.OneToOne(), weight=w, delay_ns=1.5 * ms)
        net.connect("e", post, soen.FixedInDegree(int(0.8 * k)), weight=w, delay_ns=1.5 * ms)
        net.connect("i", post, soen.FixedInDegree(int(0.2 * k)), weight=-5 * w, delay_ns=1.5 * ms)
    return net


def show(d, preds, label):
    print(f"\n## {label}")
    print(f"dry run: rank {d.rank} of {d.n_ranks}: {d.neurons_share:,} neurons in the share, {d.neurons_built:,} "
          f"built ({d.synapses_built:,} synapses, {d.senders_built:,} senders, {d.channels_built:,} input channels); "
          f"build {d.build_s:.1f} s")
    print(f"  compiled arrays {d.compiled_bytes / 2**20:,.1f} MiB ({d.bytes_per_synapse:.1f} B per synapse), "
          f"run state {d.run_bytes / 2**20:,.1f} MiB; RSS before build {d.rss_before_build / 2**20:,.0f} MiB, "
          f"after {d.rss_after_build / 2**20:,.0f} MiB, peak {d.peak_rss / 2**20:,.0f} MiB")
    sim = d.simulated_ns * 1e-6
    print(f"  stepped {sim:g} ms (epoch {d.epoch_steps} steps, inputs pushed by: {d.delivery}): kernel "
          f"{d.kernel_s:.3f} s, pushes {d.push_s:.3f} s, look-up of {d.spikes_received:,} received spikes "
          f"{d.lookup_s:.3f} s (stand-in {d.stand_in_s:.3f} s, not counted)")
    print("  rates (Hz): " + ", ".join(f"{k} {v:.1f}" for k, v in d.rates_hz.items()))
    print(f"  {'ranks':>7} {'model':<28} {'memory/rank':>12} {'compute s/s':>12} {'comm s/s':>10} {'RTF':>9}")
    for P, name, p in preds:
        print(f"  {P:>7,} {name:<28} {p['memory_bytes'] / GiB:>10.2f} G {p['compute_s_per_s']:>12.3f} "
              f"{p['comm_s_per_s']:>10.3f} {p['rtf']:>9.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--micro-ranks", type=int, nargs="+", default=[1, 2, 3, 4])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--mc-ranks", type=int, default=16, help="the microcircuit's dry run: rank 0 of this many")
    ap.add_argument("--mc-ms", type=float, default=200.0, help="simulated ms of the microcircuit's dry run")
    ap.add_argument("--billion-ms", type=float, default=15.0, help="simulated ms of the 10^9-neuron dry run")
    ap.add_argument("--billion-sample", type=float, default=0.02)
    ap.add_argument("--skip-billion", action="store_true")
    ap.add_argument("--micro-worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.micro_worker:
        return micro_worker(a.reps)

    import soen
    from soen.engine.dryrun import CommModel

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    rows = measure_comm(a.micro_ranks, a.reps)
    print("## communication: one exchange (6 x int64 header Allgather + Allgatherv, 8 B per spike)")
    print(f"{'P':>2} " + " ".join(f"{k:>9}" for k in SIZES) + "   (µs per epoch, spikes per rank)")
    for P in a.micro_ranks:
        print(f"{P:>2} " + " ".join(f"{t * 1e6:>9.1f}" for q, _, t in rows if q == P))
    fit_rows = [r for r in rows if r[0] <= cores]
    here = CommModel.fit(*zip(*fit_rows), source=f"fitted, P <= {cores} (this machine, shared memory)")
    every = CommModel.fit(*zip(*rows), source="fitted, all P (oversubscribed above the cores)")
    # an interconnect assumption for many nodes (not measured here): 2 µs per log2 P round,
    # 10 GB/s, Alltoallv 2 µs per pair of ranks
    net_model = CommModel(1e-6, 2e-6, 1.0 / 10e9, alpha_pair_s=2e-6, source="assumed interconnect")
    for m in (here, every, net_model):
        print(f"  {m.source:<52}: α0 = {m.alpha0_s * 1e6:6.2f} µs, α1 = {m.alpha_log2_s * 1e6:6.2f} µs per log2 P, "
              f"β = {m.beta_s_per_byte * 1e9:6.3f} ns/B")
    for P, B, t in rows:
        if P > cores:
            print(f"  (P = {P} > {cores} cores: {t * 1e6:.1f} µs measured at {B} B, fit {here.epoch_s(P, B) * 1e6:.1f} µs)")

    t0 = time.perf_counter()
    mc = soen.networks.cortical_microcircuit()
    d = soen.engines.MPI.dry_run(mc, a.mc_ranks, 0, duration_ns=a.mc_ms * 1e6, warmup_ns=50e6, dt_ns=1e5, seed=1)
    preds = [(1, "one rank", d.predict(here, 1)), (2, here.source[:28], d.predict(here, 2)),
             (a.mc_ranks, here.source[:28], d.predict(here, a.mc_ranks)),
             (128, "log2 P extrapolated (1 node)", d.predict(here, 128)),
             (128, "directed (Alltoallv)", d.predict(here, 128, directed=True))]
    show(d, preds, f"cortical microcircuit (Potjans & Diesmann 2014): {d.n_neurons_total:,} neurons, "
                   f"{d.neuron_synapses_total:,.0f} synapses ({time.perf_counter() - t0:.0f} s)")
    print("  NEST (Kurth et al. 2022): faster than real time (RTF < 1) on one JURECA-DC node (128 cores)")
    print(json.dumps(dict(case="microcircuit", dry_run={k: v for k, v in d.__dict__.items()},
                          predictions={f"{P}-{n}": p for P, n, p in preds}), default=float))
    del mc, d

    if not a.skip_billion:
        t0 = time.perf_counter()
        big = billion_network()
        d = soen.engines.MPI.dry_run(big, 10**4, 0, duration_ns=a.billion_ms * 1e6, warmup_ns=4.5e6, dt_ns=1e5,
                                     seed=1, sample=a.billion_sample)
        preds = [(10**4, "assumed interconnect", d.predict(net_model, 10**4)),
                 (10**4, "directed, assumed interconn.", d.predict(net_model, 10**4, directed=True)),
                 (10**4, here.source[:28], d.predict(here, 10**4))]
        show(d, preds, f"10^9 LIF neurons, 10^4 synapses each ({time.perf_counter() - t0:.0f} s)")
        m = d.memory(10**4)
        print(f"  memory per rank: synapses {m['synapses'] / GiB:.2f} G + sender table {m['senders'] / GiB:.2f} G "
              f"({d.senders(10**4):,.0f} senders) + state {m['state'] / GiB:.3f} G + baseline {m['baseline'] / GiB:.2f} G")
        print("  NEST (Jordan et al. 2018, K computer): 1.73e9 neurons, 10.4e12 synapses, about 2,400x slower than "
              "real time (RTF ~ 2400)")
        print(json.dumps(dict(case="billion", dry_run={k: v for k, v in d.__dict__.items()},
                              predictions={f"{P}-{n}": p for P, n, p in preds}), default=float))


if __name__ == "__main__":
    main()
