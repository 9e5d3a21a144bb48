"""Light model against hand calculations (PHYSICS.md §5)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from soen.photonics import light
from soen.units import C_M_PER_S


@pytest.mark.parametrize(
    "F, stages", [(1, 0), (2, 1), (3, 2), (4, 2), (700, 10), (1000, 10), (1024, 10), (1025, 11)]
)
def test_split_stages(F, stages):
    assert light.split_stages(F) == stages


def test_split_efficiency_hand():
    assert light.split_efficiency(1, 0.3) == 1.0
    assert light.split_efficiency(2, 0.1) == pytest.approx(10 ** (-0.01) / 2)
    assert light.split_efficiency(1000, 0.1) == pytest.approx(10 ** (-0.1 * 10 / 10) / 1000)
    np.testing.assert_allclose(light.split_efficiency(np.array([1, 8]), 0.0), [1.0, 0.125])


def test_transmission_hand():
    # 2 cm at 0.5 dB/cm (1 dB) + 10 crossings × 0.02 dB + 3 planes × 0.006 dB + 0.5 dB coupling
    db = 1.0 + 0.2 + 0.018 + 0.5
    assert light.loss_db(2e4, 0.5, 10, 0.02, 3, 0.006, 0.5) == pytest.approx(db)
    assert light.transmission(2e4, 0.5, 10, 0.02, 3, 0.006, 0.5) == pytest.approx(10 ** (-db / 10))
    assert light.transmission(0.0, 3.0) == 1.0


def test_mu_and_probability_hand():
    mu = light.mean_detected_photons(1e4, 0.8, light.split_efficiency(100, 0.1), 0.5, 0.95)
    hand = 1e4 * 0.8 * (10 ** (-0.1 * 7 / 10) / 100) * 0.5 * 0.95
    assert mu == pytest.approx(hand)
    assert light.detection_probability(mu) == pytest.approx(1 - math.exp(-hand))
    assert light.detection_probability(np.inf) == 1.0
    np.testing.assert_allclose(light.mu_for_probability([0.95, 0.99, 0.999]), [2.9957, 4.6052, 6.9078],
                               atol=1e-4)
    p = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(light.detection_probability(light.mu_for_probability(p)), p)


def test_photons_for_probability_hand():
    assert light.photons_for_probability(1 - math.exp(-3), 1000, 0.5) == pytest.approx(6000)


def test_delays_hand():
    # 1 mm of SiN (n_g = 2): 2 × 1e-3 m / c = 6.671 ps
    assert light.propagation_delay_ns(1000.0, 2.0) == pytest.approx(2e-3 / C_M_PER_S * 1e9)
    assert light.propagation_delay_ns(1000.0, 2.0) == pytest.approx(0.006671, rel=1e-3)
    assert light.fibre_delay_ns(1e4, 4.9) == pytest.approx(0.049)  # 10 mm × 4.9 ps/mm
    hand = 2.0 + 4.2e-3 / C_M_PER_S * 1e9 + 0.049
    assert light.link_delay_ns(1000.0, 4.2, 2.0, 1e4, 4.9) == pytest.approx(hand)


def test_first_photon_mean_delay_limits():
    tau = 10.0
    assert light.first_photon_mean_delay_ns(1e-6, tau) == pytest.approx(tau, rel=1e-5)  # k = 1 only
    assert light.first_photon_mean_delay_ns(200.0, tau) == pytest.approx(tau / 200.0, rel=0.02)
    assert light.first_photon_mean_delay_ns(np.inf, tau) == 0.0
    # Monte Carlo check at μ = 2 (seeded, 200k samples, tolerance 1 %)
    rng = np.random.default_rng(1)
    k = rng.poisson(2.0, 200_000)
    k = k[k > 0]
    assert np.mean(tau / k) == pytest.approx(light.first_photon_mean_delay_ns(2.0, tau), rel=0.01)


@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (lambda: light.split_efficiency(0, 0.1), ValueError, "fan_out"),
        (lambda: light.split_efficiency(2.5, 0.1), ValueError, "fan_out"),
        (lambda: light.transmission(-1.0, 0.5), ValueError, r"length_um = -1.0 .*\[0, inf\]"),
        (lambda: light.transmission(10.0, "x"), TypeError, "loss_db_per_cm"),
        (lambda: light.transmission(np.array([1.0, np.nan]), 0.5), ValueError, "length_um.*nan"),
        (lambda: light.mu_for_probability(1.0), ValueError, r"probability = 1.0 .*\[0, 1\)"),
        (lambda: light.propagation_delay_ns(1.0, 0.5), ValueError, "group_index"),
        (lambda: light.mean_detected_photons(1e4, 1.0, 0.1, 1.5, 0.9), ValueError, "path_transmission"),
    ],
)
def test_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()
