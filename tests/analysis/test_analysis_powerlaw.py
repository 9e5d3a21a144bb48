"""Discrete power-law MLE, KS x_min, bootstrap GoF and Vuong tests (soen.analysis.powerlaw)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from soen.analysis import compare_distributions, fit_power_law, power_law_gof, sample_power_law


def test_sampler_matches_pmf():
    x = sample_power_law(200_000, alpha=2.5, xmin=2, seed=1)
    assert x.min() == 2 and np.all(x == np.round(x))
    z = special.zeta(2.5, 2)
    for v in (2, 3, 5, 10):
        expected = v**-2.5 / z
        observed = np.mean(x == v)
        assert observed == pytest.approx(expected, abs=4 * np.sqrt(expected / x.size))


def test_sampler_reproducible():
    a = sample_power_law(100, alpha=1.7, seed=3)
    np.testing.assert_array_equal(a, sample_power_law(100, alpha=1.7, seed=3))
    assert not np.array_equal(a, sample_power_law(100, alpha=1.7, seed=4))


@pytest.mark.parametrize("alpha", [1.5, 2.0, 2.5])
def test_mle_recovers_exponent_fixed_xmin(alpha):
    x = sample_power_law(5000, alpha=alpha, xmin=1, seed=int(alpha * 10))
    fit = fit_power_law(x, xmin=1)
    # asymptotic error (alpha-1)/sqrt(n) ≤ 0.021; allow 3 sigma
    assert abs(fit.alpha - alpha) < 3 * fit.alpha_err + 1e-3
    assert fit.n_tail == 5000 and fit.xmin == 1


def test_xmin_found_above_a_non_power_law_body():
    rng = np.random.Generator(np.random.Philox(key=7))
    tail = sample_power_law(4000, alpha=2.2, xmin=20, seed=8)
    body = rng.integers(1, 20, size=4000).astype(float)  # uniform below xmin
    fit = fit_power_law(np.concatenate((body, tail)))
    assert 12 <= fit.xmin <= 30
    assert abs(fit.alpha - 2.2) < 0.1


def test_gof_accepts_power_law_and_rejects_exponential():
    x = sample_power_law(2000, alpha=2.0, xmin=1, seed=9)
    fit = fit_power_law(x, n_boot=30, seed=1)
    assert fit.p_value > 0.1 and fit.n_boot == 30
    # reproducible with the same seed
    assert power_law_gof(x, fit, n_boot=30, seed=1) == fit.p_value
    rng = np.random.Generator(np.random.Philox(key=10))
    e = np.floor(rng.exponential(10.0, 2000)) + 1
    efit = fit_power_law(e, xmin=1, n_boot=30, seed=2)
    assert efit.p_value == 0.0


def test_likelihood_ratio_directions():
    x = sample_power_law(3000, alpha=2.0, xmin=1, seed=11)
    fit = fit_power_law(x, xmin=1)
    lr = compare_distributions(x, fit, "exponential")
    assert lr.log_ratio > 0 and lr.p_value < 1e-3 and lr.favours == "power_law"
    rng = np.random.Generator(np.random.Philox(key=12))
    e = np.floor(rng.exponential(10.0, 3000)) + 1
    efit = fit_power_law(e, xmin=1)
    lr = compare_distributions(e, efit, "exponential")
    assert lr.log_ratio < 0 and lr.p_value < 1e-3 and lr.favours == "exponential"
    assert lr.params[0] == pytest.approx(np.log1p(1 / np.mean(e - 1)))
    lrn = compare_distributions(e, efit, "lognormal")
    assert lrn.log_ratio < 0 and lrn.favours == "lognormal"


def test_lognormal_alternative_identifies_lognormal_data():
    rng = np.random.Generator(np.random.Philox(key=13))
    x = np.round(rng.lognormal(3.0, 0.6, 4000)) + 1
    fit = fit_power_law(x, xmin=1)
    lr = compare_distributions(x, fit, "lognormal")
    assert lr.favours == "lognormal"
    mu, sigma = lr.params
    assert mu == pytest.approx(3.0, abs=0.1) and sigma == pytest.approx(0.6, abs=0.1)


@pytest.mark.parametrize(
    "data, kwargs, match",
    [
        ([0, 1, 2], {}, r"data must be >= 1; got 0\.0"),
        ([1.5, 2, 3], {}, r"data must hold integers \(discrete power law\); got 1\.5"),
        ([], {}, r"data must not be empty"),
        ([1, 2, 3], {"xmin": 3}, r"xmin must leave at least 2 samples in the tail; got xmin=3"),
        ([1, 2, 3], {"alpha_range": (0.5, 3.0)}, r"alpha_range must satisfy 1 < low < high"),
        ([1, 2, 3], {"n_boot": 20000}, r"n_boot must be in \[1, 10000\]; got 20000"),
    ],
)
def test_bad_input(data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_power_law(np.asarray(data, dtype=float), **kwargs)


def test_bad_alternative():
    x = sample_power_law(100, alpha=2.0, seed=1)
    with pytest.raises(ValueError, match=r"alternative must be 'exponential' or 'lognormal'; got 'gamma'"):
        compare_distributions(x, fit_power_law(x), "gamma")  # type: ignore[arg-type]


@pytest.mark.slow
def test_gof_p_value_calibration_slow():
    """Over 20 true power-law data sets, bootstrap p-values are spread over (0, 1), not piled at 0."""
    ps = []
    for seed in range(20):
        x = sample_power_law(1000, alpha=2.2, xmin=1, seed=100 + seed)
        ps.append(fit_power_law(x, n_boot=50, seed=seed).p_value)
    ps = np.array(ps)
    assert np.mean(ps < 0.1) <= 0.3  # nominal 10 % false rejections; generous for 20 draws
    assert 0.3 < np.mean(ps) < 0.7


@pytest.mark.slow
def test_exponential_rejected_with_free_xmin_given_enough_data_slow():
    """With free x_min the KS scan may retreat into the far tail; the LR test still sees curvature."""
    rng = np.random.Generator(np.random.Philox(key=30))
    e = np.floor(rng.exponential(30.0, 20000)) + 1
    fit = fit_power_law(e)
    assert compare_distributions(e, fit, "exponential").favours == "exponential"
