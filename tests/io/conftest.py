"""Shared small networks and runs for the io tests (all seeded, a few hundred ns)."""

from __future__ import annotations

import numpy as np
import pytest

import soen


def small_network() -> soen.Network:
    """Two populations, every source kind, most connector kinds, distributions and explicit arrays."""
    net = soen.Network()
    net.add_population("exc", 24, soen.tree_neuron((2, 4), coupling=0.6))
    net.add_population("inh", 6, soen.exc_inh_neuron())
    net.add_source(soen.PoissonSource("drive", 24, rate_hz=50e6))
    net.add_source(soen.SpikeSource("cue", ([5.0, 40.0], [], [12.5])))
    net.add_source(soen.RegularSource("clock", 2, period_ns=25.0, start_ns=3.0))
    net.connect("drive", "exc", soen.FixedInDegree(4), weight=1.0)
    net.connect(
        "exc", "exc", soen.FixedInDegree(5), weight=soen.Uniform(0.2, 0.8), delay_ns=soen.Uniform(1.0, 4.0)
    )
    net.connect("exc", "inh", soen.FixedProbability(0.2), weight=soen.Normal(0.6, 0.1, low=0.0), delay_ns=2.0)
    net.connect(
        "inh",
        "exc",
        soen.AllToAll(),
        weight=-0.4,
        delay_ns=2.0,
        target="soma",
        synapse=soen.Synapse(tau_fall_ns=30.0),
    )
    net.connect(
        "cue",
        "inh",
        soen.FromList(np.array([0, 1, 2]), np.array([0, 1, 2])),
        weight=np.array([1.0, 0.5, 0.7]),
        target="exc0",
    )
    net.connect(
        "clock",
        "inh",
        soen.FromMatrix(np.array([[0.0, 0.9, 0, 0, 0, 0.3], [0.5, 0, 0, 0, 0, 0]])),
        weight=None,
    )
    return net


RUN = dict(dt_ns=0.1, seed=3, record=[("exc", [0, 1], "all"), ("inh", [2])], record_every_ns=0.5)


@pytest.fixture(scope="session")
def run_kwargs() -> dict:
    """Keyword arguments of soen.simulate for the shared runs."""
    return dict(RUN)


@pytest.fixture(scope="session")
def network() -> soen.Network:
    return small_network()


@pytest.fixture(scope="session")
def result(network) -> soen.Result:
    return soen.simulate(network, 300.0, **RUN)


@pytest.fixture(scope="session")
def results_file(tmp_path_factory, network, result):
    """A complete results file of ``result`` (written by soen.io.save_result)."""
    from soen.io import save_result

    path = tmp_path_factory.mktemp("res") / "run.h5"
    from soen.energy import energy_ledger

    energy = energy_ledger(
        n_spikes=result.spike_ids.size,
        n_synapse_events=result.counts["events"],
        n_fluxons=float(result.fluxons.sum()),
        duration_ns=result.duration_ns,
        n_neurons=result.n_neurons,
        n_synapses=500,
    ).to_dict()
    save_result(result, path, network=network, run=dict(record_every_ns=0.5), energy=energy)
    return path


@pytest.fixture(scope="session")
def report_html(tmp_path_factory, results_file):
    """The HTML report of ``results_file``."""
    from soen.io import write_report

    return write_report(results_file, tmp_path_factory.mktemp("report") / "report.html")
