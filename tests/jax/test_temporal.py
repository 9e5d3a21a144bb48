"""soen.train.tasks.randman (the random-manifold spike-timing task of Zenke & Vogels 2021,
doi:10.1162/neco_a_01367) and a short training run on it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from soen.train import tasks


def _nearest_mean_accuracy(x_tr, y_tr, x_te, y_te):
    """An independent, trivially simple classifier: the class whose mean vector is nearest."""
    classes = np.unique(y_tr)
    means = np.stack([x_tr[y_tr == c].mean(axis=0) for c in classes])
    d = ((x_te[:, None, :] - means[None]) ** 2).sum(axis=2)
    return float(np.mean(classes[np.argmin(d, axis=1)] == y_te))


def test_randman_one_spike_per_unit_and_class_only_in_timing():
    d = tasks.randman(n_classes=5, n_units=12, manifold_dim=1, alpha=2.0, n_samples=300, seed=3)
    assert d.times.shape == (1500, 12) and d.labels.shape == (1500,) and d.coords.shape == (1500, 1)
    assert d.chance == pytest.approx(0.2)
    assert d.n_frequencies == math.ceil(1e-3 ** (-1 / 2.0)) == 32
    # every unit spans the whole trial in every class (standardised per class)
    for c in range(5):
        t = d.times[d.labels == c]
        np.testing.assert_allclose(t.min(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(t.max(axis=0), 1.0, atol=1e-12)
    x = tasks.randman_spikes(d.times, 40)
    assert x.shape == (1500, 40, 12)
    # exactly one spike per unit and sample: the spike counts are the same for every class ...
    np.testing.assert_array_equal(x.sum(axis=1), 1.0)
    assert set(np.unique(x)) == {0.0, 1.0}
    # ... at the step of the spike time
    np.testing.assert_array_equal(np.argmax(x, axis=1), np.rint(d.times * 39).astype(int))
    # so counts classify at chance, while the spike times carry the class
    tr, te = tasks.train_test_split(d.labels, 0.3, seed=0)
    counts = x.sum(axis=1)
    assert _nearest_mean_accuracy(counts[tr], d.labels[tr], counts[te], d.labels[te]) == pytest.approx(0.2, abs=0.01)
    steps = np.argmax(x, axis=1).astype(float)
    assert _nearest_mean_accuracy(steps[tr], d.labels[tr], steps[te], d.labels[te]) > 0.5


def test_randman_is_determined_by_its_seed_and_smoothness_follows_alpha():
    a = tasks.randman(4, 8, 2, 1.5, 100, seed=11)
    b = tasks.randman(4, 8, 2, 1.5, 100, seed=11)
    c = tasks.randman(4, 8, 2, 1.5, 100, seed=12)
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(a.coords, b.coords)
    assert not np.allclose(a.times, c.times)

    # larger α: a smoother manifold, so neighbouring coordinates give closer spike times
    def roughness(alpha):
        d = tasks.randman(3, 30, 1, alpha, 2000, seed=5)
        r = []
        for k in range(3):
            m = d.labels == k
            o = np.argsort(d.coords[m, 0])
            r.append(np.abs(np.diff(d.times[m][o], axis=0)).mean())
        return float(np.mean(r))

    assert roughness(3.0) < roughness(1.0)


def test_randman_errors_name_the_parameter():
    with pytest.raises(ValueError, match="n_classes must be an integer ≥ 2, got 1"):
        tasks.randman(n_classes=1)
    with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
        tasks.randman(alpha=0.0)
    with pytest.raises(ValueError, match="manifold_dim must be an integer ≥ 1"):
        tasks.randman(manifold_dim=0)
    with pytest.raises(ValueError, match=r"times must be finite fractions of the trial in \[0, 1\]"):
        tasks.randman_spikes(np.array([[1.5]]), 10)
    with pytest.raises(ValueError, match="test_fraction must be in"):
        tasks.train_test_split(np.zeros(4), 1.0)


def test_short_training_on_randman_beats_chance():
    pytest.importorskip("jax", reason="training needs jax (pip install 'soen[jax]')")
    pytest.importorskip("optax", reason="soen.train.fit needs optax")
    import soen
    import soen.train as st
    from soen import models
    from soen.train import losses

    d = tasks.randman(n_classes=4, n_units=10, manifold_dim=1, alpha=2.0, n_samples=300, seed=0)
    tr, te = tasks.train_test_split(d.labels, 0.25, seed=0)
    x = tasks.randman_spikes(d.times, 30, last_step=23)
    net = soen.Network()
    net.add_population(soen.Population("hid", 32, neuron=models.CubaLIF(
        tau_syn_ms=5e-6, tau_mem_ms=10e-6, r_MOhm=10.0, v_threshold_mV=1.0, reset="subtract")))
    net.add_population(soen.Population("out", 4, neuron=models.LI(tau_ms=10e-6, r_MOhm=10.0)))
    net.add_source(soen.SpikeSource("in", tuple([] for _ in range(10))))
    net.connect("in", "hid", soen.AllToAll(), weight=soen.Normal(0.0, 0.4), delay_ns=0.0)
    net.connect("hid", "out", soen.AllToAll(), weight=soen.Normal(0.0, 0.1), delay_ns=0.0)
    c = soen.compile(net, dt_ns=1.0, seed=0)
    o, n = c.populations["out"]
    out = np.arange(o, o + n)
    model = st.Model(c, trainable=("out_w", "bias"))
    res = st.fit(model, lambda ou, y: losses.readout_cross_entropy(ou, y, neurons=out, key="v", scale=4.0),
                 x[tr], d.labels[tr], epochs=10, batch_size=32, learning_rate=5e-3, seed=0, progress=False)
    import jax.numpy as jnp

    scores = st.evaluate(model, res.params, x[te], lambda ou: ou["v"][..., jnp.asarray(out)].max(axis=1))
    acc = float(np.mean(np.argmax(scores, axis=1) == d.labels[te]))
    assert acc > 2.5 * d.chance, acc
