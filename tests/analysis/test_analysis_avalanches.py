"""Avalanches, exponents, branching ratio and crackling relation on synthetic branching processes.

Reference process: Galton–Watson trees with Poisson(m) offspring, one ancestor each (see conftest).
At m = 1 (mean-field criticality) P(S) ∝ S^-3/2, P(T) ∝ T^-2 and ⟨S⟩(T) ∝ T^2.
"""

from __future__ import annotations

import numpy as np
import pytest

from soen.analysis import (
    Avalanches,
    binned_activity,
    branching_ratio,
    branching_ratio_mr,
    compare_distributions,
    crackling_relation,
    find_avalanches,
    fit_power_law,
    mean_interevent_interval_ns,
)

# Tolerances (stated): size exponent ±0.05, duration exponent ±0.15 (20 000 avalanches; the duration
# law converges slowly, P(T) = 2/T^2 (1 + O(1/T))), branching ratio ±0.01.
TOL_TAU, TOL_ALPHA, TOL_M = 0.05, 0.15, 0.01


def test_find_avalanches_small_example():
    av = find_avalanches(np.array([0.0, 0.5, 1.2, 5.0, 9.0, 9.1]), bin_ns=1.0)
    assert av.sizes.tolist() == [3, 1, 2]
    assert av.durations.tolist() == [2, 1, 1]
    assert av.start_bins.tolist() == [0, 5, 9]
    assert len(av) == 3 and av.bin_ns == 1.0 and av.t0_ns == 0.0


def test_default_bin_is_mean_interevent_interval():
    t = np.array([10.0, 11.0, 13.0, 20.0])
    assert mean_interevent_interval_ns(t) == pytest.approx(10.0 / 3)
    assert find_avalanches(t).bin_ns == pytest.approx(10.0 / 3)


def test_pipeline_recovers_trees_from_spike_train(gw_tools):
    sizes, durations, profiles = gw_tools["galton_watson"](2000, 1.0, seed=21, max_generations=300)
    times = gw_tools["to_spike_train"](profiles, bin_ns=2.0)
    av = find_avalanches(times, bin_ns=2.0)
    np.testing.assert_array_equal(av.sizes, sizes)
    np.testing.assert_array_equal(av.durations, durations)
    act = binned_activity(times, bin_ns=2.0)
    assert act.sum() == sizes.sum()


def test_critical_exponents(critical_gw):
    sizes, durations, _ = critical_gw
    fs = fit_power_law(sizes)
    fd = fit_power_law(durations)
    assert abs(fs.alpha - 1.5) < TOL_TAU, fs
    assert abs(fd.alpha - 2.0) < TOL_ALPHA, fd
    assert compare_distributions(sizes, fs, "exponential").favours == "power_law"
    assert compare_distributions(durations, fd, "exponential").favours == "power_law"


def test_crackling_relation(critical_gw):
    sizes, durations, _ = critical_gw
    fs, fd = fit_power_law(sizes), fit_power_law(durations)
    av = Avalanches(sizes, durations, np.zeros_like(sizes), 1.0, 0.0)
    cr = crackling_relation(av, fs, fd, min_duration=20, min_count=3)
    assert abs(cr.gamma_fitted - 2.0) < 0.15
    assert abs(cr.gamma_predicted - 2.0) < 0.25
    assert abs(cr.gamma_fitted - cr.gamma_predicted) < 0.25


def test_branching_ratio_critical_and_subcritical(critical_gw, subcritical_gw, gw_tools):
    cat = gw_tools["concatenate_profiles"]
    assert branching_ratio(cat(critical_gw[2])) == pytest.approx(1.0, abs=TOL_M)
    assert branching_ratio(cat(subcritical_gw[2])) == pytest.approx(0.8, abs=TOL_M)


def _driven(m: float, h: float, n_bins: int, seed: int) -> np.ndarray:
    rng = np.random.Generator(np.random.Philox(key=seed))
    a = np.empty(n_bins, dtype=np.int64)
    a[0] = int(h / (1 - m))
    for t in range(1, n_bins):
        a[t] = rng.poisson(m * a[t - 1] + h)
    return a


@pytest.mark.parametrize("m", [0.8, 0.95])
def test_multistep_regression_under_subsampling(m):
    full = _driven(m, 10.0, 40_000, seed=int(100 * m))
    rng = np.random.Generator(np.random.Philox(key=5))
    sub = rng.binomial(full, 0.05)  # observe 5 % of events
    mr = branching_ratio_mr(sub, k_max=30)
    assert mr.m == pytest.approx(m, abs=0.03)
    assert mr.b < 0.6  # subsampling lowers the amplitude, not m
    assert mr.tau_bins == pytest.approx(-1 / np.log(mr.m))
    # the conventional estimator is biased under subsampling (here towards 1 by the drive)
    assert abs(branching_ratio(sub) - m) > 0.03


def test_avalanche_input_validation():
    with pytest.raises(ValueError, match=r"times_ns must hold at least one spike"):
        find_avalanches(np.empty(0))
    with pytest.raises(ValueError, match=r"times_ns must be >= 0 ns; got -2\.0"):
        find_avalanches(np.array([-2.0, 1.0]))
    with pytest.raises(ValueError, match=r"bin_ns must be a finite number > 0; got 0\.0"):
        find_avalanches(np.array([1.0, 2.0]), bin_ns=0.0)
    with pytest.raises(ValueError, match=r"times_ns must not all be equal"):
        find_avalanches(np.array([1.0, 1.0]))
    with pytest.raises(ValueError, match=r"activity must hold at least 3 bins; got 2"):
        branching_ratio(np.array([1, 2]))
    with pytest.raises(ValueError, match=r"k_max must be < len\(activity\) / 2 = 5; got 8"):
        branching_ratio_mr(np.arange(10), k_max=8)
