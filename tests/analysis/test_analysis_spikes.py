"""Spike statistics against analytic answers (soen.analysis.spikes)."""

from __future__ import annotations

import numpy as np
import pytest

from soen.analysis import (
    band_powers,
    firing_rates_hz,
    isi_cv,
    mean_pairwise_correlation,
    population_rate_hz,
    population_spectrum,
    spike_counts,
    synchrony_chi,
)


def _merge(trains: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    t = np.concatenate(trains)
    ids = np.concatenate([np.full(tr.size, i, dtype=np.int64) for i, tr in enumerate(trains)])
    order = np.argsort(t, kind="stable")
    return t[order], ids[order]


def _poisson_trains(n: int, rate_hz: float, duration_ns: float, seed: int) -> list[np.ndarray]:
    rng = np.random.Generator(np.random.Philox(key=seed))
    out = []
    for _ in range(n):
        k = rng.poisson(rate_hz * duration_ns * 1e-9)
        out.append(np.sort(rng.uniform(0.0, duration_ns, k)))
    return out


@pytest.fixture(scope="module")
def poisson():
    dur = 1e5  # ns
    t, ids = _merge(_poisson_trains(40, 5e7, dur, seed=1))  # 50 MHz → ~5000 spikes per neuron
    return t, ids, 40, dur


def test_rates_poisson(poisson):
    t, ids, n, dur = poisson
    r = firing_rates_hz(t, ids, n, dur)
    assert r.shape == (n,)
    # each rate: 5000 ± 71 spikes → 1.4 % standard error; mean over 40: 0.22 %
    assert np.all(np.abs(r / 5e7 - 1) < 0.06)
    assert abs(r.mean() / 5e7 - 1) < 0.01


def test_rate_units_exact():
    r = firing_rates_hz(np.array([1.0, 2.0, 3.0]), np.array([0, 0, 1]), 3, 1000.0)
    np.testing.assert_allclose(r, [2e6, 1e6, 0.0])  # 2 spikes in 1 µs = 2 MHz


def test_cv_poisson_is_one(poisson):
    t, ids, n, _ = poisson
    cv = isi_cv(t, ids, n)
    assert np.all(np.abs(cv - 1) < 0.06)
    assert abs(np.mean(cv) - 1) < 0.01


def test_cv_regular_is_zero_and_undefined_is_nan():
    reg = np.arange(0.0, 1000.0, 10.0)
    t, ids = _merge([reg, reg + 3.0, np.array([5.0, 50.0])])
    cv = isi_cv(t, ids, 4)
    np.testing.assert_allclose(cv[:2], 0.0, atol=1e-12)
    assert np.isnan(cv[2]) and np.isnan(cv[3])  # 2 spikes (<3) and silent


def test_spike_counts_and_population_rate():
    t = np.array([0.0, 0.5, 1.0, 2.5, 3.999, 4.0])
    ids = np.array([0, 1, 0, 1, 0, 1])
    c = spike_counts(t, ids, 2, 4.0, bin_ns=1.0)
    np.testing.assert_array_equal(c, [[1, 1, 0, 1], [1, 0, 1, 1]])  # spike at t = duration → last bin
    tc, rate = population_rate_hz(t, 2, 4.0, bin_ns=1.0)
    np.testing.assert_allclose(tc, [0.5, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(rate, np.array([2, 1, 1, 2]) / (2 * 1e-9))
    _, smooth = population_rate_hz(t, 2, 4.0, bin_ns=1.0, smooth_ns=1.0)
    assert smooth.sum() == pytest.approx(rate.sum())  # reflecting Gaussian keeps the total


def test_synchrony_identical_vs_independent(poisson):
    t, ids, n, dur = poisson
    chi_ind = synchrony_chi(t, ids, n, dur, bin_ns=20.0)
    assert chi_ind < 3.0 / np.sqrt(n)  # ~1/sqrt(N) for independent trains
    train = _poisson_trains(1, 5e7, dur, seed=3)[0]
    ts, idss = _merge([train] * 10)
    assert synchrony_chi(ts, idss, 10, dur, bin_ns=20.0) == pytest.approx(1.0)
    assert mean_pairwise_correlation(ts, idss, 10, dur, bin_ns=20.0) == pytest.approx(1.0)
    assert abs(mean_pairwise_correlation(t, ids, n, dur, bin_ns=20.0)) < 0.02
    sub = mean_pairwise_correlation(t, ids, n, dur, bin_ns=20.0, max_neurons=10, seed=4)
    assert abs(sub) < 0.05


def test_spectrum_peak_of_periodic_population():
    rng = np.random.Generator(np.random.Philox(key=5))
    period_ns, dur, n = 10.0, 20000.0, 30  # 100 MHz population rhythm
    trains = []
    for _ in range(n):
        base = np.arange(period_ns / 2, dur - 1.0, period_ns)
        keep = rng.random(base.size) < 0.7  # each neuron skips 30 % of cycles
        trains.append(np.sort(base[keep] + rng.normal(0.0, 0.5, keep.sum())))
    t, ids = _merge(trains)
    freq, psd = population_spectrum(t, n, dur, bin_ns=1.0, nperseg=1000)
    assert freq[np.argmax(psd[1:]) + 1] == pytest.approx(1e8, rel=0.01)
    # Parseval: integrated PSD ≈ variance of the binned rate
    _, rate = population_rate_hz(t, n, dur, bin_ns=1.0)
    assert np.sum(psd) * (freq[1] - freq[0]) == pytest.approx(rate.var(), rel=0.1)
    edges, power = band_powers(freq, psd, f_min_hz=1e6, f_max_hz=5e8, n_bands=9)
    assert edges.size == 10 and np.allclose(edges[1:] / edges[:-1], edges[1] / edges[0])
    peak_band = np.searchsorted(edges, 1e8) - 1
    assert np.argmax(power) == peak_band


def test_band_powers_flat_spectrum():
    f = np.linspace(0.0, 1000.0, 1001)
    edges, p = band_powers(f, np.ones_like(f), f_min_hz=1.0, f_max_hz=1000.0, n_bands=3)
    np.testing.assert_allclose(edges, [1, 10, 100, 1000])
    np.testing.assert_allclose(p, [9, 90, 900])  # white noise: power ∝ band width


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"times_ns": [-1.0, 2.0]}, r"times_ns must be >= 0 ns; got -1\.0"),
        ({"neuron_ids": [0, 5]}, r"neuron_ids must be in \[0, n_neurons=3\); got 5"),
        ({"neuron_ids": [0, -1]}, r"neuron_ids must be in \[0, n_neurons=3\); got -1"),
        ({"neuron_ids": [0]}, r"neuron_ids must have the same length as times_ns \(2\); got length 1"),
        ({"duration_ns": 1.0}, r"duration_ns must be >= the last spike time \(2\.0 ns\); got 1\.0"),
        ({"duration_ns": 0.0}, r"duration_ns must be a finite number > 0; got 0\.0"),
        ({"n_neurons": 0}, r"n_neurons must be an integer >= 1; got 0"),
        ({"times_ns": [np.nan, 2.0]}, r"times_ns must be finite; got nan"),
    ],
)
def test_bad_spike_data(kwargs, match):
    args = {"times_ns": [1.0, 2.0], "neuron_ids": [0, 1], "n_neurons": 3, "duration_ns": 10.0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        firing_rates_hz(**args)


def test_bad_bins_and_bands():
    with pytest.raises(ValueError, match=r"bin_ns must be a finite number > 0; got -1\.0"):
        population_rate_hz([1.0], 1, 10.0, bin_ns=-1.0)
    with pytest.raises(ValueError, match=r"nperseg must be <= the number of bins \(10\); got 20"):
        population_spectrum([1.0], 1, 10.0, bin_ns=1.0, nperseg=20)
    with pytest.raises(ValueError, match=r"f_max_hz must be > f_min_hz"):
        band_powers(np.arange(4.0), np.ones(4), f_min_hz=2.0, f_max_hz=1.0)


def test_empty_trains_allowed_for_rates():
    r = firing_rates_hz(np.empty(0), np.empty(0, dtype=np.int64), 4, 10.0)
    np.testing.assert_array_equal(r, 0.0)
    assert np.isnan(synchrony_chi(np.empty(0), np.empty(0, dtype=np.int64), 4, 10.0, bin_ns=1.0))
