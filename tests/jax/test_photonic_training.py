"""soen.train.photonic: the photonic layer in the training loop against the CPU engine's photonic delivery."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import soen
from soen.train import encoders

pytest.importorskip("jax", reason="soen.train.photonic needs jax (pip install 'soen[jax]')")

import jax
import jax.numpy as jnp

from soen.train import photonic as ph

DT = 0.2
NO_SPREAD = dict(source_efficiency_spread=0.0, detector_efficiency_spread=0.0, split_ratio_error_db=0.0,
                 critical_current_spread=0.0)


def _compile(net, hw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", soen.FanInWarning)
        return soen.compile(net, dt_ns=DT, seed=0, hardware=hw)


def _tonic_fan_out(F):
    """One SOEN neuron that fires on its own (flux offset 0.4 Φ0 drives its loop above threshold) → F silent
    receivers (threshold 0.99 I_c, tiny weights)."""
    net = soen.Network()
    net.add_population("snd", 1, soen.point_neuron(soma=soen.Soma(tau_ns=10.0, phi_offset=0.4, threshold=0.2)))
    net.add_population("rcv", F, soen.point_neuron(soma=soen.Soma(tau_ns=10.0, threshold=0.99),
                                                   synapse=soen.Synapse(tau_fall_ns=10.0, dead_time_ns=0.2)))
    net.connect("snd", "rcv", soen.AllToAll(), weight=0.01, delay_ns=0.2)
    return net


def test_link_mu_and_delay_are_the_light_model_by_hand():
    F, N = 16, 5.0
    hw = soen.Hardware(photons_per_spike=N, **NO_SPREAD)
    links = ph.links_from_compiled(_compile(_tonic_fan_out(F), hw), "snd", "rcv")
    # μ = N η_c η_split T η_det, η_split = 10^(−ℓ_ex ⌈log2 F⌉/10)/F, T = 10^(−α L/10) (1 mm of SiN, 0.5 dB/cm)
    mu = N * 1.0 * 10 ** (-0.1 * math.ceil(math.log2(F)) / 10) / F * 10 ** (-0.5 * 0.1 / 10) * 0.95
    np.testing.assert_allclose(links.mu, mu, rtol=1e-12)
    np.testing.assert_allclose(links.detection_probability, 1 - math.exp(-mu), rtol=1e-12)
    # delay: the projection's step plus the link's t_emit + n_g L / c = 2 ns + 2 · 1 mm / c
    link_ns = 2.0 + 2.0 * 1e-3 / 299792458.0 * 1e9
    np.testing.assert_array_equal(links.delay_steps, 1 + round(link_ns / DT))
    assert links.n == F and np.array_equal(np.sort(links.pre), np.zeros(F))
    assert links.dark_per_step == pytest.approx(1.0 * 1e-9 * DT)
    assert links.jitter_steps[0] == pytest.approx(0.05 / DT) and links.emission_tau_steps == pytest.approx(1.0 / DT)


def _binomial_ok(k, n, p, z=5.0):
    return abs(k - n * p) <= z * math.sqrt(n * p * (1 - p)) + 1


def test_detection_in_the_loop_matches_the_cpu_engine():
    F = 16
    hw = soen.Hardware(photons_per_spike=12.0, **NO_SPREAD)  # μ ≈ 0.63 per link: p ≈ 0.47
    c = _compile(_tonic_fan_out(F), hw)
    links = ph.links_from_compiled(c, "snd", "rcv")
    p = float(links.detection_probability[0])
    assert 0.3 < p < 0.7
    # CPU engine: every (spike, link) either loses all its photons ("lost") or is delivered
    r = soen.simulate(c, 4000.0, progress=False)
    n_spk = int(r.spike_counts("snd").sum())
    assert n_spk > 40
    n = n_spk * F
    delivered_cpu = n - int(r.counts["lost"])
    assert _binomial_ok(delivered_cpu, n, p), (delivered_cpu / n, p)
    # the training-loop model: the realised fraction of delivered (spike, link) pairs
    T = 3000
    z = jnp.zeros((T, 1)).at[:T - 200:5, 0].set(1.0)  # 560 spikes; all arrivals within the T steps
    with jax.enable_x64(True):
        out = ph.transmit(z, links, jax.random.PRNGKey(0), photonic=True)
    got = float(jnp.round(out).sum())  # dark counts: ~1e-6 expected in all, rounded away
    n_j = 560 * F
    assert _binomial_ok(got, n_j, p, z=5.0), (got / n_j, p)
    # and both realised fractions agree with each other
    assert abs(delivered_cpu / n - got / n_j) < 5 * math.sqrt(p * (1 - p) * (1 / n + 1 / n_j))


def test_transmit_gradients_and_timing():
    F = 4
    hw = soen.Hardware(photons_per_spike=8.0, detector_jitter_ps=0.0, dark_count_rate_hz=0.0, **NO_SPREAD)
    links = ph.links_from_compiled(_compile(_tonic_fan_out(F), hw), "snd", "rcv")
    p = links.detection_probability
    T = 400
    z = jnp.zeros((T, 1)).at[10:300:20, 0].set(1.0)
    key = jax.random.PRNGKey(1)
    with jax.enable_x64(True):
        ideal = ph.transmit(z, links, photonic=False)
        # ideal: each spike at step n arrives at n + 1 + d on every link
        d = int(links.delay_steps[0])
        np.testing.assert_array_equal(np.flatnonzero(np.asarray(ideal[:, 0])), np.arange(10, 300, 20) + 1 + d)
        g_exp = jax.grad(lambda q: ph.transmit(q, links, key, grad="expected").sum())(z)
        g_st = jax.grad(lambda q: ph.transmit(q, links, key, grad="straight_through").sum())(z)
        got = ph.transmit(z, links, key)
    # expected-value gradient: p per link; straight-through: the sampled detections
    np.testing.assert_allclose(np.asarray(g_exp)[:T - 40, 0], p.sum(), rtol=1e-6)
    delivered = np.asarray(got).sum()
    spikes = np.asarray(z[:, 0]) > 0
    assert float(np.asarray(g_st)[spikes].sum()) == pytest.approx(delivered, abs=2)
    # emission-time spread (τ_rad = 1 ns = 5 steps): arrivals never earlier than the nominal step
    arr = np.flatnonzero(np.asarray(got).sum(axis=1))
    assert arr.min() >= 10 + 1 + d and arr.size > 0


def _two_layer(times=None):
    syn = soen.Synapse(tau_fall_ns=10.0, dead_time_ns=5.0)
    soma = soen.Soma(tau_ns=10.0, phi_offset=0.15, threshold=0.25)
    net = soen.Network()
    net.add_population("hid", 6, soen.point_neuron(soma=soma, synapse=syn))
    net.add_population("out", 3, soen.point_neuron(soma=soma, synapse=syn))
    net.add_source(soen.SpikeSource("x", times if times is not None else tuple([] for _ in range(8))))
    net.connect("x", "hid", soen.AllToAll(), weight=soen.Uniform(0.04, 0.08), delay_ns=0.0)
    net.connect("hid", "out", soen.AllToAll(), weight=soen.Uniform(0.04, 0.06), delay_ns=0.2)
    return net


def test_relay_model_reproduces_the_cpu_engine_and_trains():
    # deterministic links (no jitter, no emission spread, p = 1): the two-pass relay forward pass must give
    # the CPU engine's spikes of the network compiled with the same hardware (link delays included)
    hw = soen.Hardware(photons_per_spike=1e12, detector_jitter_ps=0.0, emission_tau_ns=0.0, dark_count_rate_hz=0.0,
                       **NO_SPREAD)
    m = ph.PhotonicModel(_two_layer(), pre="hid", post="out", hardware=hw, photonic=False, dt_ns=DT, seed=0,
                         trainable=("sy_w", "d_offset"))
    assert m.links.n == 18 and m.n_inputs == 8
    x = encoders.rate(np.random.default_rng(1).random((2, 8)), 150, max_per_step=0.5)
    p = m.init_params()
    with m.context():
        z = np.asarray(m.forward(p, x)["spikes"])
    n_out = 0
    for b in range(2):
        c = ph.with_inputs(m.to_compiled(p), [soen.SpikeSource("x", encoders.to_spike_times(x[b], DT))])
        r = soen.simulate(c, 150 * DT, progress=False)
        steps, ids = np.nonzero(z[b])
        assert sorted(zip(np.rint(steps + 1).astype(int), ids)) == \
            sorted(zip(np.rint(r.spike_times_ns / DT).astype(int), r.spike_ids))
        n_out += int((ids >= 6).sum())
    assert n_out > 0  # the photonic projection was exercised
    # the in-the-loop model runs through soen.train.fit (fresh photon draws per step) and writes back
    import soen.train as st
    from soen.train import losses

    m2 = ph.PhotonicModel(_two_layer(), pre="hid", post="out", hardware=soen.Hardware(photons_per_spike=20.0),
                          photonic=True, dt_ns=DT, seed=0, trainable=("sy_w",), dtype="float32",
                          train_pre=False)
    y = np.array([0, 1])
    res = st.fit(m2, lambda o, yb: losses.count_cross_entropy(o, yb, neurons=[6, 7, 8]), x, y, epochs=1,
                 batch_size=2, learning_rate=1e-3, progress=False)
    w0 = m2.init_params()["sy_w"]
    moved = ~np.isclose(res.params["sy_w"], w0, rtol=0, atol=1e-6)  # (float32 model: rounding 1e-8)
    assert moved.any() and not moved[~m2._post_syn].any()  # train_pre=False: only the synapses onto "out"
    c2 = m2.to_compiled(res.params, soen.Hardware(photons_per_spike=100.0))
    assert np.all(np.isfinite(c2.params["out_mu"][m2.links.conn]))
    np.testing.assert_allclose(np.asarray(c2.params["sy_w"])[m2._syn_map], res.params["sy_w"], rtol=1e-6)
    with pytest.raises(ValueError, match="photonic=True needs key"):
        m2.forward(res.params, x)
    with pytest.raises(ValueError, match="grad must be 'expected' or 'straight_through', got 'x'"):
        ph.PhotonicModel(_two_layer(), pre="hid", post="out", hardware=hw, dt_ns=DT, grad="x")


def test_ideal_hardware_delivers_at_the_trained_link_delay():
    # photonic=False trains with ideal delivery at the links' nominal delay; the CPU engine's ideal links
    # (Hardware(ideal=True)) add no link delay. ideal_hardware() must give the link delay by hand (2 ns +
    # n_g L / c, rounded to steps), certain delivery, and reproduce the relay forward pass spike for spike on
    # the CPU engine, while plain Hardware(ideal=True) times the "out" spikes differently.
    hw = soen.Hardware(photons_per_spike=10.0)  # registry defaults: spreads, dark counts, 2 ns light delay
    m = ph.PhotonicModel(_two_layer(), pre="hid", post="out", hardware=hw, photonic=False, dt_ns=DT, seed=0,
                         trainable=("sy_w",))
    ideal = m.ideal_hardware()
    links = ph.links_from_compiled(_compile(_two_layer(), ideal), "hid", "out")
    link_ns = 2.0 + 2.0 * 1e-3 / 299792458.0 * 1e9
    np.testing.assert_array_equal(links.delay_steps, 1 + round(link_ns / DT))
    np.testing.assert_array_equal(links.delay_steps, m.links.delay_steps)
    assert np.all(links.detection_probability == 1.0) and links.dark_per_step == 0.0
    assert np.all(links.jitter_steps == 0.0) and links.emission_tau_steps == 0.0
    x = encoders.rate(np.random.default_rng(1).random((2, 8)), 150, max_per_step=0.5)
    p = m.init_params()
    with m.context():
        z = np.asarray(m.forward(p, x)["spikes"])

    def cpu(h, b):
        c = ph.with_inputs(m.to_compiled(p, h), [soen.SpikeSource("x", encoders.to_spike_times(x[b], DT))])
        r = soen.simulate(c, 150 * DT, progress=False)
        return sorted(zip(np.rint(r.spike_times_ns / DT).astype(int), r.spike_ids))

    n_out, differs = 0, False
    for b in range(2):
        steps, ids = np.nonzero(z[b])
        want = sorted(zip(np.rint(steps + 1).astype(int), ids))
        n_out += int((ids >= 6).sum())
        assert cpu(ideal, b) == want
        differs |= cpu(soen.Hardware(ideal=True), b) != want
    assert n_out > 0 and differs  # the readouts spiked: the delay was exercised
