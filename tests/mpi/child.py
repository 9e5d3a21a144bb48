"""Run one of the test networks on the MPI engine (under mpiexec); rank 0 writes spikes, traces,
counts and fluxons to an .npz. Usage:

    mpiexec -n P python3 child.py NET OUT.npz [--threads T] [--partition blocks] [--heun]
                                              [--duration NS] [--checkpoint CK | --resume CK]
"""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np

import soen
from soen.circuits import default_table


def network(name):
    """Recurrent SOEN networks with drawn connections, drawn delays and several projections; the
    ``brunel*`` point-model networks of point_nets.py."""
    if name.startswith("brunel"):
        from point_nets import brunel

        return brunel(name)
    net = soen.Network()
    if name in ("rec", "photonic"):
        net.add_population("exc", 48, soen.tree_neuron((2, 3), coupling=0.6))
        net.add_population("inh", 13, soen.point_neuron())
        net.add_source(soen.PoissonSource("drive", 48, rate_hz=60e6))
        net.add_source(soen.RegularSource("clk", 4, period_ns=7.3, start_ns=0.25))
        net.connect("drive", "exc", soen.FixedInDegree(3))
        net.connect("clk", "inh", soen.FixedProbability(0.5), weight=0.3)
        net.connect("exc", "exc", soen.FixedInDegree(6), weight=soen.Uniform(0.2, 0.6),
                    delay_ns=soen.Uniform(1.0, 4.0))
        net.connect("exc", "inh", soen.FixedProbability(0.3), weight=0.08, delay_ns=1.5)
        net.connect("inh", "exc", soen.FixedProbability(0.2), weight=-0.3, delay_ns=1.2)
        return net
    if name == "sparse":  # one synapse per dendrite: event order within a step cannot matter
        net.add_population("a", 30, soen.point_neuron())
        net.add_source(soen.PoissonSource("drive", 30, rate_hz=80e6))
        net.connect("drive", "a", soen.OneToOne(), weight=1.0)
        net.connect("a", "a", soen.FromList(np.arange(30), (np.arange(30) + 7) % 30), weight=0.7, delay_ns=1.3)
        return net
    raise ValueError(f"unknown network {name!r}")


def default_duration_ns(name):
    return 3e8 if name.startswith("brunel") else 600.0  # 300 ms of a point network, 600 ns of a SOEN one


def hardware(name):
    if name == "photonic":  # photon counts, dark counts, thermal noise and frozen device spread
        return soen.Hardware(photons_per_spike=300.0, dark_count_rate_hz=2e5, thermal_noise=True,
                             critical_current_spread=0.03, time_constant_spread=0.05)
    return None


def run_kwargs(name, **extra):
    """The simulate() arguments of a test network (the same on every engine)."""
    if name.startswith("brunel"):  # dt 0.1 ms; V and the input current of some neurons every 0.5 ms
        return dict(dt_ns=1e5, seed=5, record=[("e", [0, 1, 2, 3, 5, 8]), ("i", [0, 7])], record_every_ns=5e5, **extra)
    return dict(dt_ns=0.1, seed=5, table=default_table(), hardware=hardware(name),
                record=("exc" if name != "sparse" else "a", [0, 1, 2, 3, 5, 8], "all"), record_every_ns=0.5,
                **extra)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("net")
    ap.add_argument("out")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--partition", default="round_robin")
    ap.add_argument("--heun", action="store_true")
    ap.add_argument("--duration", type=float, default=None)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--resume", default=None)
    ap.add_argument("--output", default=None)
    a = ap.parse_args()
    warnings.simplefilter("ignore")  # (fan-in; oversubscription on a small test machine)
    eng = soen.engines.MPI(threads=a.threads, partition=a.partition, integrator="heun" if a.heun else "euler",
                           parallel_min_dendrites=0, parallel_min_neurons=0)
    res = eng.simulate(network(a.net), a.duration or default_duration_ns(a.net), **run_kwargs(a.net, checkpoint=a.checkpoint, resume=a.resume,
                                                                 output=a.output))
    if eng.rank != 0:
        assert res is None
        return
    np.savez(a.out, t=res.spike_times_ns, i=res.spike_ids, s=res.traces_s, phi=res.traces_phi,
             fluxons=res.fluxons, counts=json.dumps(res.counts),
             inputs=json.dumps({k: v.tolist() for k, v in res.input_counts.items()}),
             stats=json.dumps(eng.stats), parallel=bool(res.metadata["parallel"]))


if __name__ == "__main__":
    main()
