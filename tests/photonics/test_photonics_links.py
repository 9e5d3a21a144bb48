"""compile_links: hand calculations, ideal mode, counter-based reproducibility, bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from soen.hardware import Hardware
from soen.photonics import LinkArrays, Layout, compile_links
from soen.units import C_M_PER_S

NO_SPREAD = dict(source_efficiency_spread=0.0, detector_efficiency_spread=0.0, split_ratio_error_db=0.0)


def _net(n=40, E=600, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, E), rng.integers(0, n, E)


def test_mu_and_delay_equal_hand_calculation_from_coordinates():
    hw = Hardware(**NO_SPREAD, coupling_loss_db=0.3, split_excess_loss_db=0.2, detector_efficiency=0.9,
                  source_coupling_efficiency=0.8)
    lay = Layout.from_coordinates([[0, 0], [3000, 4000], [1000, 0]], die_size_um=[[1e4, 1e4]],
                                  die_origin_um=[[0, 0]], metric="euclidean")
    pre, post = np.array([0, 0, 0, 2]), np.array([1, 2, 2, 1])
    L = compile_links(hw, lay, pre, post, seed=3)
    length = np.array([5000.0, 1000.0, 1000.0, np.hypot(2000, 4000)])
    np.testing.assert_allclose(L.length_um, length)
    np.testing.assert_allclose(L.fan_out, [3, 3, 3, 1])
    # crossings: Buffon estimate 2 l (Λ − Λ_own) / (π A), Λ from tree lengths: transmitter 0's tree is
    # clipped to its bounding-box diagonal 5000 µm (> 0.7124 sqrt(4 · 3000 · 4000) = 4936 µm);
    # transmitter 2 has a single 4472 µm branch.
    tree = np.array([5000.0, 5000.0, 5000.0, length[3]])
    lam = 5000.0 + length[3]
    cross = 2 * length * (lam - tree) / (np.pi * 1e8)
    np.testing.assert_allclose(L.n_crossings, cross)
    db = 0.5 * length * 1e-4 + cross * 0.02 + 0.3
    eta_split = np.array([10 ** (-0.2 * 2 / 10) / 3] * 3 + [1.0])
    mu = 1e4 * 0.8 * eta_split * 10 ** (-db / 10) * 0.9
    np.testing.assert_allclose(L.mu, mu, rtol=1e-12)
    np.testing.assert_allclose(L.delay_ns, 2.0 + 2.0 * length * 1e-6 / C_M_PER_S * 1e9, rtol=1e-12)
    np.testing.assert_allclose(L.jitter_ns, 0.05)
    assert L.emission_tau_ns == 1.0 and L.dark_rate_hz == 1.0 and L.detector_reset_ns == 50.0
    np.testing.assert_allclose(L.detection_probability, 1 - np.exp(-mu))


def test_inter_die_delay_includes_fibre_and_facet_loss():
    hw = Hardware(**NO_SPREAD)
    lay = Layout.grid(8, pitch_um=100.0, n_dies=2, die_gap_um=800.0)
    L = compile_links(hw, lay, [0], [7], seed=0)
    assert L.delay_ns[0] == pytest.approx(2.0 + 2.0 * 200e-6 / C_M_PER_S * 1e9 + 1.0 * 4.9e-3)
    assert L.transmission[0] == pytest.approx(10 ** (-(0.5 * 0.02 + 2 * 1.0) / 10))


def test_no_layout_uses_default_length():
    L = compile_links(Hardware(default_length_um=2500.0), None, [0, 1], [1, 0], seed=0)
    np.testing.assert_array_equal(L.length_um, [2500.0, 2500.0])
    np.testing.assert_array_equal(L.n_crossings, [0.0, 0.0])


def test_ideal():
    pre, post = _net()
    L = compile_links(Hardware(ideal=True, ideal_delay_ns=3.0), Layout.grid(40), pre, post, seed=1)
    assert np.all(np.isinf(L.mu)) and np.all(L.delay_ns == 3.0) and np.all(L.jitter_ns == 0)
    assert L.dark_rate_hz == 0.0 and L.emission_tau_ns == 0.0 and not L.dead.any()
    np.testing.assert_array_equal(L.detection_probability, 1.0)


def test_same_seed_identical_different_seed_differs():
    pre, post = _net()
    lay = Layout.grid(40)
    a = compile_links(Hardware(), lay, pre, post, seed=7)
    b = compile_links(Hardware(), lay, pre, post, seed=7)
    c = compile_links(Hardware(), lay, pre, post, seed=8)
    for f in dataclasses.fields(LinkArrays):
        np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name))
    assert not np.array_equal(a.mu, c.mu)
    np.testing.assert_array_equal(a.delay_ns, c.delay_ns)


def test_order_and_subset_independent_with_edge_ids():
    pre, post = _net()
    hw = Hardware(transmitter_yield=0.9, detector_yield=0.9)
    full = compile_links(hw, None, pre, post, seed=11)
    perm = np.random.default_rng(5).permutation(pre.size)
    shuf = compile_links(hw, None, pre[perm], post[perm], seed=11, edge_ids=perm)
    np.testing.assert_array_equal(shuf.mu, full.mu[perm])
    np.testing.assert_array_equal(shuf.dead, full.dead[perm])
    sub = np.arange(0, pre.size, 7)
    part = compile_links(hw, None, pre[sub], post[sub], seed=11, edge_ids=sub,
                         fan_out=full.fan_out[sub].astype(int))
    np.testing.assert_array_equal(part.mu, full.mu[sub])


def test_spreads_and_yield_statistics():
    """Seeded: 200 transmitters × 100 targets. Tolerances: 5σ of the sampling error."""
    n_tx, F = 200, 100
    pre = np.repeat(np.arange(n_tx), F)
    post = np.tile(np.arange(F), n_tx)
    base = compile_links(Hardware(**NO_SPREAD), None, pre, post, seed=2)
    hw = Hardware(source_efficiency_spread=0.0, detector_efficiency_spread=0.0, split_ratio_error_db=0.8,
                  transmitter_yield=0.8, detector_yield=0.95)
    L = compile_links(hw, None, pre, post, seed=2)
    alive = ~L.dead
    ratio_db = 10 * np.log10(L.mu[alive] / base.mu[alive])
    n = ratio_db.size
    assert np.std(ratio_db) == pytest.approx(0.8, abs=5 * 0.8 / np.sqrt(2 * n))
    ratio = L.mu[alive] / base.mu[alive]
    assert np.mean(ratio) == pytest.approx(1.0, abs=5 * np.std(ratio) / np.sqrt(n))  # mean-preserving
    dead_tx = L.dead.reshape(n_tx, F).all(axis=1)
    assert dead_tx.mean() == pytest.approx(0.2, abs=5 * np.sqrt(0.16 / n_tx))
    assert np.all(L.mu[L.dead] == 0.0)
    # per-transmitter source spread: one factor shared by all connections of a transmitter
    S = compile_links(Hardware(detector_efficiency_spread=0.0, split_ratio_error_db=0.0,
                               source_efficiency_spread=0.1), None, pre, post, seed=2)
    r = (S.mu / base.mu).reshape(n_tx, F)
    np.testing.assert_allclose(r, r[:, :1] * np.ones((1, F)))
    assert np.std(r[:, 0]) == pytest.approx(0.1, abs=5 * 0.1 / np.sqrt(2 * n_tx))


def test_arrays_read_only():
    L = compile_links(Hardware(), None, [0], [1], seed=0)
    with pytest.raises(ValueError):
        L.mu[0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        L.mu = np.zeros(1)  # type: ignore[misc]


def test_empty():
    L = compile_links(Hardware(), None, np.zeros(0, np.int64), np.zeros(0, np.int64), seed=0)
    assert L.n_connections == 0


@pytest.mark.parametrize(
    "kwargs, exc, pattern",
    [
        (dict(hardware="SiN"), TypeError, "hardware must be a soen.hardware.Hardware"),
        (dict(layout="grid"), TypeError, "layout must be"),
        (dict(pre=[0, 5]), ValueError, r"pre has neuron index 5 but the layout has only 4 neurons"),
        (dict(pre=[0, -1]), ValueError, "pre has entry -1 below"),
        (dict(pre=[0.5, 1]), TypeError, "pre must be an array of integers"),
        (dict(post=[1]), ValueError, "same shape"),
        (dict(seed=-3), ValueError, "seed"),
        (dict(seed="a"), TypeError, "seed"),
        (dict(edge_ids=[0]), ValueError, "edge_ids"),
    ],
)
def test_bad_input(kwargs, exc, pattern):
    args = dict(hardware=Hardware(), layout=Layout.grid(4), pre=[0, 1], post=[1, 2], seed=0)
    args.update(kwargs)
    seed = args.pop("seed")
    with pytest.raises(exc, match=pattern):
        compile_links(args["hardware"], args["layout"], args["pre"], args["post"], seed=seed,
                      **{k: v for k, v in args.items() if k == "edge_ids"})
