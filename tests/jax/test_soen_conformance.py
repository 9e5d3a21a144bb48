"""The JAX engine against the CPU SOEN engine (ideal delivery, deterministic inputs).

Spikes must be equal. State traces must agree to 1e-9 over the first half of the run's rounding
horizon: the time at which the CPU run itself, with every dendrite bias moved by one ulp, departs from
the unperturbed run by more than 1e-9. Saturated dendrites sit where the forward-Euler map is unstable
(|1 − (h/β)·∂g/∂i| > 1, since ∂g/∂i ∝ 1/g diverges at the SQUID's onset: the loop current zigzags
step by step), so rounding differences (the CPU kernel's fused multiply-adds under fast-math, XLA's
own) grow by orders of magnitude there; past the horizon the traces are compared to 1e-2.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("jax", reason="the JAX engine needs jax (pip install 'soen[jax]')")

import soen
from soen.circuits import default_table

TABLE = default_table()


def _syn():
    return soen.Synapse(tau_fall_ns=50.0)


def tree_feed_forward():
    net = soen.Network()
    neuron = soen.tree_neuron((2, 4), coupling=0.5, dendrite=soen.Dendrite(tau_ns=50.0), soma=soen.Soma(tau_ns=20.0),
                              synapse=_syn())
    net.add_population("t", 6, neuron)
    net.add_population("o", 4, soen.point_neuron(soma=soen.Soma(tau_ns=20.0), synapse=_syn()))
    net.add_source(soen.RegularSource("clk", 8, period_ns=23.0, start_ns=1.0))
    net.add_source(soen.SpikeSource("kick", ([1.0, 2.0, 2.04, 80.0], [3.3, 300.0])))
    net.connect("clk", "t", soen.FixedInDegree(4), weight=soen.Uniform(0.4, 1.0))
    net.connect("kick", "t", soen.AllToAll(), weight=0.5)
    net.connect("t", "o", soen.FixedInDegree(3), weight=soen.Uniform(0.3, 0.9), delay_ns=2.0)
    return net


def recurrent():
    net = soen.Network()
    neuron = soen.tree_neuron((2, 4), coupling=0.5, dendrite=soen.Dendrite(tau_ns=50.0), soma=soen.Soma(tau_ns=20.0),
                              synapse=_syn())
    net.add_population("t", 6, neuron)
    net.add_population("r", 8, soen.point_neuron(soma=soen.Soma(tau_ns=20.0), synapse=_syn()))
    net.add_source(soen.RegularSource("clk", 8, period_ns=23.0, start_ns=1.0))
    net.add_source(soen.SpikeSource("kick", ([1.0, 2.0, 2.04, 80.0], [3.3, 300.0])))
    net.connect("clk", "t", soen.FixedInDegree(4), weight=soen.Uniform(0.4, 1.0))
    net.connect("kick", "t", soen.AllToAll(), weight=0.5)
    net.connect("t", "r", soen.FixedInDegree(3), weight=soen.Uniform(0.3, 0.9), delay_ns=2.0)
    net.connect("r", "r", soen.FixedProbability(0.3), weight=soen.Uniform(0.2, 0.5), delay_ns=1.5)
    net.connect("r", "t", soen.FixedProbability(0.2), weight=soen.Uniform(0.1, 0.3), delay_ns=3.0)
    return net


@pytest.mark.parametrize("build", [tree_feed_forward, recurrent], ids=["tree_feed_forward", "recurrent"])
def test_jax_soen_engine_gives_the_cpu_spikes_and_traces(build):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", soen.FanInWarning)
        c = soen.compile(build(), dt_ns=0.1, seed=3, table=TABLE)
    rec = [(p, None, "all") for p in c.populations]
    a = soen.simulate(c, 1000.0, record=rec)
    b = soen.simulate(c, 1000.0, engine=soen.engines.JAX(), record=rec)
    assert a.spike_ids.size > 40
    for name, (o, n) in c.populations.items():
        assert np.count_nonzero((a.spike_ids >= o) & (a.spike_ids < o + n)) > 5, name
    np.testing.assert_array_equal(a.spike_times_ns, b.spike_times_ns)
    np.testing.assert_array_equal(a.spike_ids, b.spike_ids)
    c2 = c.with_params(d_bias=np.nextafter(c.params["d_bias"], np.inf))
    a2 = soen.simulate(c2, 1000.0, record=rec)
    off = np.abs(a2.traces_s - a.traces_s).max(axis=1) > 1e-9
    k = (int(np.argmax(off)) if off.any() else off.size) // 2
    # the comparison window holds spikes, refractory drives and saturating dendrites
    assert k * 0.1 > 20.0
    assert np.count_nonzero(a.spike_times_ns < k * 0.1) >= 5
    np.testing.assert_allclose(b.traces_s[:k], a.traces_s[:k], rtol=0, atol=1e-9)
    np.testing.assert_allclose(b.traces_phi[:k], a.traces_phi[:k], rtol=0, atol=1e-9)
    np.testing.assert_allclose(b.traces_s, a.traces_s, rtol=0, atol=1e-2)
    np.testing.assert_allclose(b.fluxons, a.fluxons, rtol=1e-3, atol=1e-6)


def point_layers(input_delay_ns=None):
    """Sources onto the somas of a population of point neurons (evenly spaced dendrites: the input flux
    product runs over those columns only), then a second layer."""
    net = soen.Network()
    neuron = soen.point_neuron(soma=soen.Soma(tau_ns=20.0), synapse=_syn())
    net.add_population("h", 12, neuron)
    net.add_population("o", 3, neuron)
    net.add_source(soen.RegularSource("clk", 8, period_ns=17.0, start_ns=1.0))
    net.add_source(soen.SpikeSource("kick", ([1.0, 2.0, 2.04, 80.0], [3.3, 300.0])))
    d = {} if input_delay_ns is None else {"delay_ns": input_delay_ns}
    net.connect("clk", "h", soen.FixedInDegree(4), weight=soen.Uniform(0.3, 0.9), **d)
    net.connect("kick", "h", soen.AllToAll(), weight=0.4, **d)
    net.connect("h", "o", soen.FixedInDegree(5), weight=soen.Uniform(0.3, 0.9), delay_ns=0.0)
    return net


@pytest.mark.parametrize("build, dt_ns, lag_steps, strided", [(tree_feed_forward, 0.1, 1, False),
                                                               (tree_feed_forward, 0.02, 3, False),
                                                               (point_layers, 0.1, 1, True),
                                                               (point_layers, 0.02, 3, True)],
                         ids=["tree-dt0.1", "tree-dt0.02", "point-dt0.1", "point-dt0.02"])
def test_hoisted_training_pass_gives_the_cpu_spikes(build, dt_ns, lag_steps, strided):
    """soen.train.Model.forward (a run from rest: the input synapses' flux as unit traces times the weights,
    one matrix product outside the time loop) against the CPU engine: with a hotspot lag of one step
    (applied within the step) and of several (a ring of pending flux), with the input dendrites spread
    over the tree or evenly spaced (the product over those columns only, padded into place)."""
    import soen.train as st
    from soen.engine import _jax_core as core
    from soen.engine._jax_lower import dense_inputs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", soen.FanInWarning)
        c = soen.compile(build(), dt_ns=dt_ns, seed=3, table=TABLE)
    n_steps = int(round(400.0 / dt_ns))
    a = soen.simulate(c, n_steps * dt_ns)
    m = st.Model(c, trainable=("sy_w",))
    syn, _, _ = core.input_groups(m.low)
    assert np.unique(m.low.sy_hs).tolist() == [lag_steps]
    assert (core._strided_place(m.low.ch_dend[m.low.sy_ch[syn]], m.low.nd) is not None) == strided
    with m.context():
        out = m.forward(m.init_params(), dense_inputs(c, n_steps))
        step, ids = np.nonzero(np.asarray(out["spikes"]) > 0)
    assert a.spike_ids.size > 20
    o = np.lexsort((ids, step))
    np.testing.assert_array_equal(np.rint(a.spike_times_ns / dt_ns).astype(np.int64), step[o] + 1)
    np.testing.assert_array_equal(a.spike_ids, ids[o])


@pytest.mark.parametrize("dt_ns, input_delay_ns", [(0.1, None), (0.02, None), (0.1, 0.0)],
                         ids=["lag1", "lag3", "lag1-no-delay"])
def test_batched_input_traces_equal_the_per_sample_pass(dt_ns, input_delay_ns):
    """A batch through soen.train.Model.forward (the input traces of the whole batch in one time-major
    scan) against each sample alone (its own scan): the same spikes, soma currents and weight gradient."""
    import jax
    import jax.numpy as jnp

    import soen.train as st
    from soen.engine import _jax_core as core
    from soen.train import encoders

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", soen.FanInWarning)
        c = soen.compile(point_layers(input_delay_ns), dt_ns=dt_ns, seed=3, table=TABLE)
    m = st.Model(c, trainable=("sy_w",))
    assert core.batched_traces(m.low)
    assert (int(m.low.sy_d[core.input_groups(m.low)[0]].max()) == 0) == (input_delay_ns == 0.0)
    x = encoders.rate(np.random.default_rng(2).random((3, m.n_inputs)), 600, max_per_step=0.05)
    loss = lambda p, xx: (m.forward(p, xx)["s_soma"] ** 2).sum()
    with m.context():
        p = {k: jnp.asarray(v) for k, v in m.init_params().items()}
        batch = m.forward(p, x)
        g_batch = jax.grad(loss)(p, x)["sy_w"]
        alone = [m.forward(p, x[b]) for b in range(3)]
        g_alone = sum(jax.grad(loss)(p, x[b])["sy_w"] for b in range(3))
    assert float(np.asarray(batch["spikes"]).sum()) > 10
    for b in range(3):
        np.testing.assert_array_equal(np.asarray(batch["spikes"][b]), np.asarray(alone[b]["spikes"]))
        np.testing.assert_allclose(np.asarray(batch["s_soma"][b]), np.asarray(alone[b]["s_soma"]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(g_batch), np.asarray(g_alone), rtol=1e-9, atol=1e-12)
