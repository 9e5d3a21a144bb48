"""Network-level engine behaviour: determinism, thread independence, connectors, recording, errors."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import soen
from soen.circuits import default_table

TABLE = default_table()
sim_module = importlib.import_module("soen.engine._soen_cpu")


def poisson_net(n=300, k=20):
    net = soen.Network()
    net.add_population("exc", n, soen.tree_neuron((2, 4), coupling=0.6))
    net.add_population("inh", n // 4, soen.point_neuron())
    net.add_source(soen.PoissonSource("drive", n, rate_hz=50e6))
    net.connect("drive", "exc", soen.FixedInDegree(4), weight=1.0)
    net.connect("exc", "exc", soen.FixedInDegree(k), weight=soen.Uniform(0.2, 0.8), delay_ns=soen.Uniform(1.0, 4.0))
    net.connect("exc", "inh", soen.FixedProbability(0.1), weight=0.5, delay_ns=2.0)
    net.connect("inh", "exc", soen.FixedProbability(0.1), weight=-0.5, delay_ns=2.0, target="soma")
    return net


def test_same_seed_identical_across_runs_and_thread_counts(monkeypatch):
    net = poisson_net()
    a = soen.simulate(net, 300.0, seed=7, table=TABLE, threads=1)
    monkeypatch.setattr(sim_module, "_PARALLEL_MIN_DENDRITES", 0)  # force the parallel kernel
    b = soen.simulate(net, 300.0, seed=7, table=TABLE, threads=2)
    c = soen.simulate(net, 300.0, seed=7, table=TABLE)
    assert b.metadata["parallel"] and not a.metadata["parallel"]
    assert a.spike_ids.size > 100
    for r in (b, c):
        np.testing.assert_array_equal(a.spike_times_ns, r.spike_times_ns)
        np.testing.assert_array_equal(a.spike_ids, r.spike_ids)
        np.testing.assert_array_equal(a.fluxons, r.fluxons)
    d = soen.simulate(net, 300.0, seed=8, table=TABLE)
    assert not np.array_equal(a.spike_ids, d.spike_ids)


def test_connectors_produce_the_requested_structure():
    net = soen.Network()
    net.add_population("a", 50, soen.point_neuron())
    net.add_population("b", 40, soen.tree_neuron((3, 9)))
    net.connect("a", "b", soen.FixedInDegree(7))
    net.connect("a", "a", soen.FixedProbability(0.2))
    net.connect("b", "a", soen.AllToAll())
    net.connect("a", "a", soen.FromList(np.array([0, 1]), np.array([2, 3])), weight=np.array([0.1, 0.2]))
    c = soen.compile(net, dt_ns=0.1, seed=1, table=TABLE)
    st = c.structure
    pre, post = np.repeat(np.arange(st["out_ptr"].size - 1), np.diff(st["out_ptr"])), st["conn_post"]
    a_to_b = (pre < 50) & (post >= 50)
    assert np.all(np.bincount(post[a_to_b] - 50, minlength=40) == 7)
    a_to_a = (pre < 50) & (post < 50)
    assert not np.any(pre[a_to_a] == post[a_to_a])  # no self connections by default
    n_prob = a_to_a.sum() - 2
    assert abs(n_prob - 0.2 * 50 * 49) < 4 * np.sqrt(0.2 * 0.8 * 50 * 49)
    assert ((pre >= 50) & (post < 50)).sum() == 40 * 50
    # the 7 synapses of each b neuron go round-robin to the first 7 of the 9 leaves of its 3-then-9 tree
    leaves = np.array(soen.tree_neuron((3, 9)).sites())
    assert leaves.size == 9
    ch_dend = np.searchsorted(st["ch_ptr"], np.arange(st["ch_type"].size), side="right") - 1
    syn_dend = ch_dend[st["sy_ch"][: pre.size]]
    local = syn_dend[a_to_b] - st["dend_offset"][post[a_to_b]]
    for j in range(50, 90):
        np.testing.assert_array_equal(np.sort(local[post[a_to_b] == j]), np.sort(leaves[:7]))


def test_recording_is_bounded_and_labelled():
    net = poisson_net(40, 5)
    res = soen.simulate(net, 100.0, seed=1, table=TABLE, record=[("exc", [0, 1], "all"), "inh"], record_every_ns=1.0)
    n_exc_dend = soen.tree_neuron((2, 4)).n_dendrites + 1  # + refractory
    assert res.traces_s.shape == (100, 2 * n_exc_dend + 10)
    assert res.trace_labels[0] == ("exc", 0, "soma")
    assert ("exc", 1, "refractory") in res.trace_labels
    np.testing.assert_allclose(res.trace_times_ns[:3], [0.0, 1.0, 2.0])


def test_spikes_reach_targets_after_the_delay():
    net = soen.Network()
    net.add_population("a", 1, soen.point_neuron())
    net.add_population("b", 1, soen.point_neuron(soma=soen.Soma(threshold=50.0)))
    net.add_source(soen.SpikeSource("kick", ([1.0],)))
    net.connect("kick", "a", soen.OneToOne(), weight=1.0)
    net.connect("a", "b", soen.OneToOne(), weight=0.3, delay_ns=7.3)
    res = soen.simulate(net, 40.0, record=("b", [0], "soma"), table=TABLE)
    t_spike = res.spikes("a")[0][0]
    t, phi = res.trace(0, "phi")
    first = t[np.flatnonzero(phi > 0)[0]]
    assert first == pytest.approx(t_spike + 7.3 + 0.1, abs=1e-9)  # flux is 0 at the arrival step, >0 next


def test_nan_during_run_stops_with_element_and_time():
    class NanTable:
        model = "broken"
        g = np.ones((2, 2))

        def kernel_arrays(self):
            # a broken table: the ohmic extrapolation above the grid (i > 1.2) is infinite
            return (np.zeros((4, 4)), 0.9, 0.1, 0.5 / 3, np.inf)

        def phi_th(self, i):
            return 0.2

    net = soen.Network()
    net.add_population("n", 2, soen.point_neuron(soma=soen.Soma(refractory_coupling=-0.5)))
    with pytest.raises(FloatingPointError, match=r"dendrite 0 \(n\[0\]\.soma\) at t = 0 ns") as err:
        soen.simulate(net, 10.0, table=NanTable())
    assert err.value.result.complete is False


def test_from_matrix_weights_and_progress_bar():
    import scipy.sparse as sp

    m = sp.csr_matrix(np.array([[0.0, 0.7], [0.0, 0.0]]))
    net = soen.Network()
    net.add_population("a", 2, soen.point_neuron())
    net.add_source(soen.SpikeSource("kick", ([1.0],)))
    net.connect("kick", "a", soen.FromList(np.array([0]), np.array([0])), weight=1.0)
    net.connect("a", "a", soen.FromMatrix(m), weight=None, delay_ns=3.0)
    res = soen.simulate(net, 60.0, table=TABLE, record=("a", [1], "soma"), progress=True)
    t, phi = res.trace(0, "phi")
    t0 = res.spikes("a")[0][0]
    k = int(round((t0 + 3.0) / res.dt_ns)) + 1
    np.testing.assert_allclose(phi[k], 0.7 * soen.Synapse().kernel(res.dt_ns), rtol=1e-12)
