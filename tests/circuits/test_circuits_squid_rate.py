"""Direct RCSJ SQUID rate (soen.circuits.squid_rate) against PHYSICS.md §2 and numerical references."""

import math

import numba
import numpy as np
import pytest

from soen.circuits import squid_rate
from soen.circuits.rcsj import squid_static_ic

# (i_sq, phi, g) validation points of PHYSICS.md §2 (beta_c = 0.3, beta_1 = beta_2 = pi/2)
VALIDATION = [
    (1.415, 0.50, 0.3537),
    (1.725, 0.50, 0.5148),
    (2.035, 0.25, 0.5529),
    (2.345, 0.00, 0.6359),
    (2.500, 0.50, 0.8874),
]


def _tol(g):
    return max(0.01 * g, 0.003)


def test_validation_points_direct():
    i = np.array([v[0] for v in VALIDATION])
    phi = np.array([v[1] for v in VALIDATION])
    ref = np.array([v[2] for v in VALIDATION])
    g = squid_rate(phi, i)
    for gi, ri in zip(g, ref):
        assert abs(gi - ri) <= _tol(ri)
    # in fact much closer than the 1 % requirement
    assert np.max(np.abs(g - ref)) < 2e-4


def test_critical_current_static_and_dynamic():
    ic = squid_static_ic(np.array([0.0, 0.5]), math.pi / 2, math.pi / 2, 1.0, 1.0)
    assert ic[0] == pytest.approx(2.00, abs=0.01)
    assert ic[1] == pytest.approx(1.047, abs=0.005)
    # the dynamic onset agrees with the static critical current
    phi = np.array([0.0, 0.25, 0.5])
    icp = squid_static_ic(phi, math.pi / 2, math.pi / 2, 1.0, 1.0)
    assert np.all(squid_rate(phi, icp - 1e-3) == 0.0)
    assert np.all(squid_rate(phi, icp + 1e-3) > 0.0)


def test_threshold_flux_at_default_bias():
    from scipy.optimize import brentq

    f = lambda p: squid_static_ic(np.array([p]), math.pi / 2, math.pi / 2, 1.0, 1.0)[0] - 1.8024  # noqa: E731
    phi_th = brentq(f, 0.0, 0.5, xtol=1e-10)
    assert phi_th == pytest.approx(0.1675, abs=0.005)
    assert squid_rate(phi_th - 0.002, 1.8024) == 0.0
    assert squid_rate(phi_th + 0.002, 1.8024) > 0.0


def test_onset_is_square_root():
    # g^2 proportional to (i - i_c) near onset (saddle-node), checked at phi = 0.25
    ic = squid_static_ic(np.array([0.25]), math.pi / 2, math.pi / 2, 1.0, 1.0)[0]
    eps = np.array([1e-4, 4e-4, 1.6e-3])
    g = squid_rate(0.25, ic + eps)
    k = g**2 / eps
    assert np.ptp(k) / k.mean() < 0.05


def _random_points(n, seed, i_lo=0.95, i_hi=2.5):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.5, 1.5, n), rng.uniform(i_lo, i_hi, n)


def test_periodicity_and_mirror_symmetry():
    phi, i = _random_points(24, 1)
    g = squid_rate(phi, i)
    assert np.max(np.abs(squid_rate(phi + 1.0, i) - g)) <= 1e-3
    assert np.max(np.abs(squid_rate(1.0 - phi, i) - g)) <= 1e-3
    assert np.max(np.abs(squid_rate(-phi, i) - g)) <= 1e-3


def test_monotone_in_current_and_flux():
    rng = np.random.default_rng(2)
    phi = rng.uniform(0.0, 0.5, 24)
    i = rng.uniform(0.95, 2.45, 24)
    g = squid_rate(phi, i)
    assert np.all(squid_rate(phi, i + 0.05) >= g - 2e-3)
    phi2 = np.minimum(phi + 0.03, 0.5)
    assert np.all(squid_rate(phi2, i) >= g - 2e-3)


def test_zero_below_threshold_and_never_negative():
    phi, i = _random_points(40, 3, 0.0, 2.5)
    g = squid_rate(phi, i)
    assert np.all(g >= 0.0)
    x = np.mod(phi, 1.0)
    ic = squid_static_ic(np.minimum(x, 1 - x), math.pi / 2, math.pi / 2, 1.0, 1.0)
    below = i < ic - 1e-3
    assert below.sum() > 5
    assert np.all(g[below] == 0.0)
    assert np.all(g[i > ic + 1e-2] > 0.0)
    assert squid_rate(0.3, 0.0) == 0.0


def test_convergence_in_step_and_window():
    rng = np.random.default_rng(4)
    phi = rng.uniform(0.0, 0.5, 12)
    i = rng.uniform(1.9, 2.5, 12)  # above threshold for every phi
    g = squid_rate(phi, i)
    assert np.all(g > 0.05)
    g_half = squid_rate(phi, i, dt=0.05)
    assert np.max(np.abs(g_half - g)) < 1e-4
    g_long = squid_rate(phi, i, n_slips=100, t_window=1000.0)
    assert np.max(np.abs(g_long - g)) < 1e-3


def test_independent_of_thread_count():
    phi, i = _random_points(16, 5)
    n0 = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        g1 = squid_rate(phi, i)
    finally:
        numba.set_num_threads(n0)
    g2 = squid_rate(phi, i)
    assert np.array_equal(g1, g2)


def test_broadcasting_and_shapes():
    g = squid_rate(np.array([[0.0], [0.5]]), np.array([2.3, 2.4, 2.5]))
    assert g.shape == (2, 3)
    assert squid_rate(0.25, 2.0).shape == ()
    assert squid_rate(np.zeros(0), 2.0).shape == (0,)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"phi": 0.1, "i_sq": -0.5}, ValueError, "i_sq"),
        ({"phi": 0.1, "i_sq": float("nan")}, ValueError, "i_sq"),
        ({"phi": float("inf"), "i_sq": 1.5}, ValueError, "phi"),
        ({"phi": "a", "i_sq": 1.5}, TypeError, "phi"),
        ({"phi": np.zeros(3), "i_sq": np.ones(2)}, ValueError, "broadcastable"),
        ({"phi": 0.1, "i_sq": 1.5, "beta_c": 0.0}, ValueError, "beta_c"),
        ({"phi": 0.1, "i_sq": 1.5, "beta_c": -1.0}, ValueError, "beta_c"),
        ({"phi": 0.1, "i_sq": 1.5, "beta_1": float("nan")}, ValueError, "beta_1"),
        ({"phi": 0.1, "i_sq": 1.5, "beta_x": 1.0}, TypeError, "beta_x"),
        ({"phi": 0.1, "i_sq": 1.5, "dt": 0.5}, ValueError, "dt"),
        ({"phi": 0.1, "i_sq": 1.5, "n_slips": 0}, ValueError, "n_slips"),
    ],
)
def test_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        squid_rate(**kwargs)


def test_asymmetric_junctions_supported():
    # a SQUID with unequal critical currents: the rate differs from the symmetric one and is finite
    g_sym = squid_rate(0.3, 2.0)
    g_asym = squid_rate(0.3, 2.0, ic_1=0.8, ic_2=1.2)
    assert np.isfinite(g_asym) and g_asym > 0 and abs(g_asym - g_sym) > 1e-3
    ic = squid_static_ic(np.array([0.0]), math.pi / 2, math.pi / 2, 0.8, 1.2)[0]
    assert squid_rate(0.0, ic - 2e-3, ic_1=0.8, ic_2=1.2) == 0.0
    assert squid_rate(0.0, ic + 2e-3, ic_1=0.8, ic_2=1.2) > 0.0
