"""Gradients of soen.train.Model: autodiff against central finite differences on smooth (sub-threshold)
configurations, and the surrogate gradient of a spike count against the change in spike count."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("jax", reason="soen.train needs jax (pip install 'soen[jax]')")
pytest.importorskip("optax", reason="soen.train needs optax (pip install 'soen[jax]')")

import jax
import jax.numpy as jnp

import soen
import soen.train as st
from soen import models
from soen.circuits import default_table
from soen.train import encoders

TABLE = default_table()


def _point_net(threshold_mV: float):
    net = soen.Network()
    net.add_population(soen.Population("h", 12, neuron=models.LIF(tau_ms=5e-6, r_MOhm=2.0,
                                                                    v_threshold_mV=threshold_mV)))
    net.add_population(soen.Population("o", 3, neuron=models.CubaLIF(2e-6, 4e-6, v_threshold_mV=threshold_mV)))
    net.add_source(soen.SpikeSource("x", tuple([] for _ in range(8))))
    net.connect("x", "h", soen.FixedProbability(0.6), weight=soen.Normal(0.5, 1.0), delay_ns=0.0)
    net.connect("h", "o", soen.AllToAll(), weight=soen.Normal(0.3, 1.0), delay_ns=2.0)
    net.connect("h", "h", soen.FixedProbability(0.2), weight=soen.Normal(0.0, 0.5), delay_ns=1.0)
    return net


def _central_fd(f, p, key, idx, eps):
    out = []
    for i in idx:
        hi = {k: np.array(v) for k, v in p.items()}
        lo = {k: np.array(v) for k, v in p.items()}
        hi[key][i] += eps
        lo[key][i] -= eps
        out.append((float(f(hi)) - float(f(lo))) / (2 * eps))
    return np.array(out)


def test_point_autodiff_matches_finite_differences_below_threshold():
    c = soen.compile(_point_net(1e6), dt_ns=1.0, seed=2)  # thresholds out of reach: a smooth map
    m = st.Model(c, trainable=("out_w", "bias"))
    x = encoders.rate(np.random.default_rng(0).uniform(0.3, 1.0, (1, 8)), 40, max_per_step=0.4)[0]
    with m.context():
        def f(p):
            o = m.forward(p, x)
            return jnp.mean(o["v"]) + jnp.mean(o["v"] ** 2)
        fj = jax.jit(f)
        p0 = {k: jnp.asarray(v) for k, v in m.init_params().items()}
        g = jax.grad(f)(p0)
        pn = m.init_params()
        w_in = m.low.in_e  # below threshold only the input-channel weights act (no neuron spikes)
        for key, idx in (("out_w", list(w_in[[0, 5, 17, len(w_in) // 2, -1]])), ("bias", [0, 7, 13])):
            # weights are float32 in the CPU engine (straight-through rounding): steps on the float32 grid
            eps = 2.0 ** -10 if key == "out_w" else 1e-6
            fd = _central_fd(fj, pn, key, idx, eps)
            ad = np.asarray(g[key])[idx]
            assert np.all(np.abs(ad) > 1e-8)
            np.testing.assert_allclose(ad, fd, rtol=1e-5)


def _soen_net():
    net = soen.Network()
    neuron = soen.tree_neuron((2, 4), coupling=0.3, dendrite=soen.Dendrite(tau_ns=5.0, phi_offset=0.2537),
                              soma=soen.Soma(tau_ns=5.0, threshold=5.0))
    net.add_population("n", 2, neuron)
    net.add_source(soen.SpikeSource("x", ([1.0, 30.0], [5.0], [12.0, 13.0], [2.0])))
    net.connect("x", "n", soen.AllToAll(), weight=soen.Uniform(0.1, 0.2), delay_ns=1.0)
    return net


def test_soen_autodiff_matches_finite_differences_below_threshold():
    """Short loop time constants (5 ns) and a small step (0.02 ns): the loops settle where the Euler map is
    contracting (g above (h/β)·k/4), so the map is smooth and the gradient does not explode. The flux
    offset lies off the table's φ grid (bilinear interpolation has a kink on every grid line, where
    autodiff takes one side); the central step (1e-8) is small against the table cells."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", soen.FanInWarning)
        c = soen.compile(_soen_net(), dt_ns=0.02, seed=1, table=TABLE)
    m = st.Model(c, trainable=("sy_w", "d_offset", "d_bias", "cp_J"),
                 readout=np.arange(c.meta["n_dendrites"]))
    from soen.engine._jax_lower import dense_inputs

    x = dense_inputs(c, 1000)  # 20 ns
    d0 = c.structure["dend_offset"]
    with m.context():
        def f(p):
            return jnp.mean(m.forward(p, x)["s_read"])
        fj = jax.jit(f)
        p0 = {k: jnp.asarray(v) for k, v in m.init_params().items()}
        g = jax.grad(f)(p0)
        pn = m.init_params()
        assert float(fj(pn)) > 1e-3  # dendrites are driven above their onset
        checks = (("sy_w", [0, 3, 5, 7]), ("d_offset", [int(d0[0]) + 1, int(d0[0]) + 4, int(d0[1]) + 6]),
                  ("d_bias", [int(d0[0]) + 2, int(d0[1]) + 5]), ("cp_J", [0, 3]))
        for key, idx in checks:
            fd = _central_fd(fj, pn, key, idx, 1e-8)
            ad = np.asarray(g[key])[idx]
            assert np.all(np.abs(ad) > 1e-9), (key, ad, fd)
            np.testing.assert_allclose(ad, fd, rtol=1e-5, err_msg=key)


def test_surrogate_gradient_of_spike_count_has_the_sign_of_the_count_change():
    """20 cases: a LIF neuron driven by regular input; the parameter is the input weight (10 cases) or the
    threshold (10 cases). The surrogate gradient of the spike count must have the sign of the central
    difference (±10 %) of the true spike count of the CPU engine wherever that count changes."""
    def build(w, thr):
        net = soen.Network()
        net.add_population(soen.Population("o", 1, neuron=models.LIF(tau_ms=5e-6, r_MOhm=1.0, v_threshold_mV=thr)))
        net.add_source(soen.SpikeSource("x", (np.unique(np.random.default_rng(4).integers(0, 200, 80)).astype(float),)))
        net.connect("x", "o", soen.AllToAll(), weight=w, delay_ns=0.0)
        return soen.compile(net, dt_ns=1.0, seed=0)

    cases = [("out_w", w, 1.0) for w in np.linspace(1.6, 5.0, 10)] + \
            [("v_threshold_mV", 3.0, t) for t in np.linspace(0.35, 1.6, 10)]
    agree = changed = 0
    for key, w, thr in cases:
        c = build(float(w), float(thr))
        m = st.Model(c, trainable=(key,), surrogate="fast_sigmoid", slope=2.0)
        from soen.engine._jax_lower import dense_inputs

        x = dense_inputs(c, 200)
        with m.context():
            def count(p, m=m, x=x):
                return jnp.sum(m.forward(p, x)["spikes"])
            p0 = {k: jnp.asarray(v) for k, v in m.init_params().items()}
            g = float(np.asarray(jax.grad(count)(p0)[key])[0])
        h = 0.1 * (w if key == "out_w" else thr)
        p_np = m.init_params()[key]
        up = soen.simulate(m.to_compiled({key: p_np + h}), 200.0)
        dn = soen.simulate(m.to_compiled({key: p_np - h}), 200.0)
        d_count = up.spike_ids.size - dn.spike_ids.size
        if d_count != 0:
            changed += 1
            agree += np.sign(g) == np.sign(d_count)
    assert changed >= 16  # the count changes in (nearly) every case
    assert agree == changed
