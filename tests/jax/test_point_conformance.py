"""The JAX engine against the CPU point engine: LIF-family networks with deterministic inputs give the
same spikes, and the same state traces to 1e-9, in float64."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax", reason="the JAX engine needs jax (pip install 'soen[jax]')")

import soen
from soen import models

DUR_NS, DT_NS = 1000.0, 0.1  # 1 µs, 10,000 steps


def _sources(net):
    net.add_source(soen.RegularSource("clk", 20, period_ns=7.3, start_ns=0.25))
    net.add_source(soen.SpikeSource("kick", ([1.0, 2.0, 2.04, 400.0], [3.3, 500.0, 500.01])))


def feed_forward():
    net = soen.Network()
    net.add_population(soen.Population("a", 60, neuron=models.LIF(tau_ms=2e-6, r_MOhm=2.0, v_threshold_mV=1.0,
                                                                    t_ref_ms=1.5e-6)))
    net.add_population(soen.Population("b", 50, neuron=models.CubaLIF(1e-6, 3e-6, v_threshold_mV=1.0,
                                                                        reset="subtract")))
    net.add_population(soen.Population("c", 40, neuron=models.IF(r_mV_per_ms_nA=2e5, v_threshold_mV=1.0,
                                                                   reset_timing="next_step", i_offset_nA=0.01)))
    net.add_population(soen.Population("d", 10, neuron=models.LI(tau_ms=5e-6, integration="euler")))
    _sources(net)
    net.connect("clk", "a", soen.FixedInDegree(5), weight=soen.Uniform(2.0, 6.0))
    net.connect("kick", "a", soen.AllToAll(), weight=3.0)
    net.connect("a", "b", soen.FixedProbability(0.3), weight=soen.Normal(12.0, 20.0), delay_ns=soen.Uniform(0.5, 2.0))
    net.connect("b", "c", soen.FixedInDegree(6), weight=soen.Uniform(-2.0, 8.0), delay_ns=1.0)
    net.connect("c", "d", soen.AllToAll(), weight=soen.Normal(0.0, 1.0), delay_ns=0.3)
    return net


def recurrent():
    net = soen.Network()
    net.add_population(soen.Population("r", 200, neuron=models.LIF(tau_ms=1e-6, v_threshold_mV=1.0, t_ref_ms=2e-6)))
    net.add_source(soen.RegularSource("clk", 20, period_ns=7.3, start_ns=0.25))
    net.connect("clk", "r", soen.FixedInDegree(5), weight=soen.Uniform(8.0, 20.0))
    net.connect("r", "r", soen.FixedProbability(0.05), weight=soen.Normal(2.0, 6.0), delay_ns=soen.Uniform(1.0, 3.0))
    return net


@pytest.mark.parametrize("build", [feed_forward, recurrent], ids=["feed_forward", "recurrent_200"])
def test_jax_point_engine_gives_the_cpu_spikes_and_traces(build):
    net = build()
    c = soen.compile(net, dt_ns=DT_NS, seed=5)
    rec = [(p, None) for p in c.populations]
    a = soen.simulate(c, DUR_NS, record=rec)
    b = soen.simulate(c, DUR_NS, engine=soen.engines.JAX(block_steps=512), record=rec)
    assert b.metadata["engine"] == "jax|float64"
    assert a.spike_ids.size > 500  # every population is active
    for name, (o, n) in c.populations.items():
        if name != "d":
            assert np.count_nonzero((a.spike_ids >= o) & (a.spike_ids < o + n)) > 20, name
    np.testing.assert_array_equal(a.spike_times_ns, b.spike_times_ns)
    np.testing.assert_array_equal(a.spike_ids, b.spike_ids)
    assert a.traces_s.shape == b.traces_s.shape == (int(DUR_NS / DT_NS), c.n_neurons)
    np.testing.assert_allclose(b.traces_s, a.traces_s, rtol=0, atol=1e-9)
    np.testing.assert_allclose(b.traces_phi, a.traces_phi, rtol=0, atol=1e-9)  # the second state (current / input)
    for s in c.inputs:
        np.testing.assert_array_equal(a.input_counts[s.name], b.input_counts[s.name])


def test_jax_engine_refuses_what_it_cannot_run():
    net = soen.Network()
    net.add_population(soen.Population("p", 3, neuron=models.LIF(tau_ms=1e-6)))
    net.add_source(soen.PoissonSource("drive", 3, rate_hz=1e7))
    net.connect("drive", "p", soen.OneToOne(), weight=1.0)
    with pytest.raises(ValueError, match="PoissonSource"):
        soen.simulate(net, 10.0, dt_ns=0.1, engine=soen.engines.JAX())
    net = soen.Network()
    net.add_population(soen.Population("p", 3, neuron=models.CondExpLIF()))
    with pytest.raises(ValueError, match="CondExpLIF"):
        soen.simulate(net, 10.0, dt_ns=0.1, engine=soen.engines.JAX())
    with pytest.raises(ValueError, match="dtype must be one of"):
        soen.engines.JAX(dtype="float16")
    with pytest.raises(ValueError, match="block_steps"):
        soen.engines.JAX(block_steps=0)
