"""Frozen device spread and yield: counter-based, requested statistics, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from soen.photonics import Spread, critical_current_factors, effective_bias, sample_dead, sample_device_spread

N = 100_000  # seeded; tolerances are 5 standard errors


def test_same_values_whatever_order_or_subset():
    full = sample_device_spread(Spread(50.0, 0.1, "lognormal"), 1000, seed=9, what="time_constant")
    ids = np.array([999, 3, 500, 3])
    np.testing.assert_array_equal(sample_device_spread(Spread(50.0, 0.1, "lognormal"), ids, seed=9,
                                                       what="time_constant"), full[ids])
    other = sample_device_spread(Spread(50.0, 0.1, "lognormal"), 1000, seed=9, what="inductance")
    assert not np.array_equal(full, other)  # kinds are independent
    d1 = sample_dead(0.7, 1000, seed=9, what="detector")
    np.testing.assert_array_equal(sample_dead(0.7, ids, seed=9, what="detector"), d1[ids])


@pytest.mark.parametrize("dist", ["normal", "lognormal"])
def test_statistics(dist):
    x = sample_device_spread(Spread(2.0, 0.05, dist), N, seed=1, what="bias")
    assert x.mean() == pytest.approx(2.0, abs=5 * 0.1 / np.sqrt(N))
    assert x.std() / 2.0 == pytest.approx(0.05, abs=5 * 0.05 / np.sqrt(2 * N))


def test_lognormal_db_statistics():
    x = sample_device_spread(Spread(1.0, 0.8, "lognormal_db"), N, seed=1, what="split_ratio")
    db = 10 * np.log10(x)
    assert db.std() == pytest.approx(0.8, abs=5 * 0.8 / np.sqrt(2 * N))
    assert x.mean() == pytest.approx(1.0, abs=5 * x.std() / np.sqrt(N))


def test_clip_and_zero_sigma():
    spec = Spread(0.95, 0.5, "lognormal", high=1.0)
    x = sample_device_spread(spec, 1000, seed=0, what="detector_efficiency")
    assert x.max() <= 1.0
    np.testing.assert_array_equal(sample_device_spread(Spread(3.0, 0.0), 5, seed=0, what="bias"), 3.0)


def test_yield_fraction():
    dead = sample_dead(0.9, N, seed=3, what="transmitter")
    assert dead.mean() == pytest.approx(0.1, abs=5 * np.sqrt(0.09 / N))
    assert not sample_dead(1.0, 10, seed=3, what="transmitter").any()
    assert sample_dead(0.0, 10, seed=3, what="transmitter").all()


def test_critical_current_and_effective_bias():
    f = critical_current_factors(N, seed=4, sigma_rel=0.03)
    assert f.std() == pytest.approx(0.03, abs=5 * 0.03 / np.sqrt(2 * N))
    np.testing.assert_allclose(effective_bias(1.8024, np.array([1.0, 1.03])), [1.8024, 1.8024 / 1.03])


@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (lambda: sample_device_spread(0.1, 5, seed=0, what="colour"), ValueError,
         "what = 'colour'.*critical_current"),
        (lambda: sample_device_spread(-0.1, 5, seed=0, what="bias"), ValueError, "spec"),
        (lambda: Spread(1.0, 0.1, "gamma"), ValueError, "distribution = 'gamma'"),
        (lambda: Spread(1.0, 0.1, low=2.0, high=1.0), ValueError, "low ≤ high"),
        (lambda: sample_dead(1.5, 5, seed=0, what="detector"), ValueError,
         r"yield_fraction = 1.5 .*\[0, 1\]"),
        (lambda: sample_dead(0.5, [1.5], seed=0, what="detector"), TypeError, "elements"),
        (lambda: sample_dead(0.5, 5, seed=0, what="bias"), ValueError, "yield kind"),
        (lambda: effective_bias(1.8, 0.0), ValueError, "ic_factor"),
    ],
)
def test_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()
