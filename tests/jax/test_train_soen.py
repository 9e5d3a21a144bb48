"""A small SOEN network (tree neurons, spiking somas) trained briefly on four classes of scikit-learn's
8×8 digits: it must beat chance clearly, and the CPU engine, run on the trained network, must give the
JAX engine's predictions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("jax", reason="soen.train needs jax (pip install 'soen[jax]')")
pytest.importorskip("optax", reason="soen.train needs optax (pip install 'soen[jax]')")
pytest.importorskip("sklearn", reason="the digits data come with scikit-learn (pip install 'soen[train]')")

import jax
import jax.numpy as jnp
import optax

import soen
import soen.train as st
from soen.train import encoders, losses

DT, T, CLASSES = 0.2, 60, 4


def _net(times=None):
    net = soen.Network()
    neuron = soen.tree_neuron((2, 4), coupling=0.25, dendrite=soen.Dendrite(tau_ns=10.0, phi_offset=0.2),
                              soma=soen.Soma(tau_ns=10.0, phi_offset=0.2, threshold=0.3, refractory_ns=2.0,
                                             refractory_tau_ns=10.0),
                              synapse=soen.Synapse(tau_fall_ns=10.0, dead_time_ns=2.0))
    net.add_population("out", CLASSES, neuron)
    net.add_source(soen.SpikeSource("pix", times if times is not None else tuple([] for _ in range(64))))
    for leaf in range(4):
        net.connect("pix", "out", soen.AllToAll(), weight=soen.Normal(0.0, 0.05), delay_ns=0.0, target=f"L2_{leaf}")
    return net


def _compile(times=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", soen.FanInWarning)
        return soen.compile(_net(times), dt_ns=DT, seed=0)


def test_soen_digits_training_beats_chance_and_the_cpu_engine_agrees():
    from sklearn.datasets import load_digits

    d = load_digits()
    keep = d.target < CLASSES
    x, y = d.data[keep] / 16.0, d.target[keep].astype(np.int64)
    order = np.random.default_rng(0).permutation(len(y))
    x, y = x[order], y[order]
    x_tr, y_tr, x_te, y_te = x[:384], y[:384], x[600:660], y[600:660]
    X_tr = encoders.rate(x_tr, T, max_per_step=0.1)
    X_te = encoders.rate(x_te, T, max_per_step=0.1)
    c = _compile()
    o, n = c.populations["out"]
    ids = np.arange(o, o + n)
    trainable = ("sy_w", "d_offset", "cp_J", "nr_thresh")
    model = st.Model(c, trainable=trainable, dtype="float32", slope=10.0, rate_grad="smooth")

    def loss(out, yb):
        return (losses.count_cross_entropy(out, yb, neurons=ids)
                + losses.first_spike_cross_entropy(out, yb, neurons=ids, scale=5.0))

    res = st.fit(model, loss, X_tr, y_tr, epochs=4, batch_size=64, seed=0, progress=False,
                 optimizer=optax.chain(optax.clip_by_global_norm(1.0), optax.adam(1e-3)))
    m64 = st.Model(c, trainable=trainable, dtype="float64")
    with m64.context():
        z = np.asarray(jax.jit(lambda p, xb: m64.forward(p, xb)["spikes"][..., jnp.asarray(ids)])(res.params, X_te))
    first = np.where(z.any(axis=1), np.argmax(z > 0, axis=1), T)
    pred_jax = losses.predict(z.sum(axis=1), first)
    acc = float(np.mean(pred_jax == y_te))
    assert acc >= 0.6, acc  # chance: 0.25
    pred_cpu = []
    for k in range(len(X_te)):
        ck = st.Model(_compile(encoders.to_spike_times(X_te[k], DT)), trainable=trainable).to_compiled(res.params)
        r = soen.simulate(ck, T * DT, progress=False)
        counts = np.bincount(r.spike_ids - o, minlength=n)[:n].astype(float)
        fs = np.full(n, np.inf)
        for t, i in zip(r.spike_times_ns, r.spike_ids, strict=True):
            fs[i - o] = min(fs[i - o], round(t / DT) - 1)
        pred_cpu.append(losses.predict(counts[None], fs[None])[0])
    assert np.mean(np.asarray(pred_cpu) == pred_jax) >= 0.95
