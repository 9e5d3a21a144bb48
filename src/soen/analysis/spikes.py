"""Spike-train statistics: rates, ISI variability, synchrony, population rate and its spectrum.

All functions take the simulator's spike convention: ``times_ns`` (float64, ns, sorted by time),
``neuron_ids`` (int64, same length), ``n_neurons`` and ``duration_ns``. Rates are in Hz (spikes per
second) and frequencies in Hz, although SOEN activity lives on ns time scales (1 GHz = 1e9 Hz).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, signal

from soen.analysis._validate import (
    check_positive_float,
    check_positive_int,
    check_seed,
    check_spikes,
)

__all__ = [
    "firing_rates_hz",
    "interspike_intervals_ns",
    "isi_cv",
    "spike_counts",
    "population_rate_hz",
    "synchrony_chi",
    "mean_pairwise_correlation",
    "population_spectrum",
    "band_powers",
]

_NS_PER_S = 1e9


def firing_rates_hz(
    times_ns: np.ndarray, neuron_ids: np.ndarray, n_neurons: int, duration_ns: float
) -> np.ndarray:
    r"""Mean firing rate of each neuron.

    .. math:: r_i = \frac{N_i}{D},

    with :math:`N_i` the number of spikes of neuron *i* and :math:`D` the recording duration in
    seconds (``duration_ns * 1e-9``).

    Parameters
    ----------
    times_ns, neuron_ids, n_neurons, duration_ns
        Spike data (see module docstring). ``duration_ns`` must be > 0 and ≥ the last spike.

    Returns
    -------
    numpy.ndarray
        ``rate_hz`` of shape ``(n_neurons,)``.

    Examples
    --------
    >>> firing_rates_hz(np.array([1.0, 2.0, 3.0]), np.array([0, 0, 1]), 2, 100.0)
    array([20000000., 10000000.])
    """
    t, ids, n, dur = check_spikes(times_ns, neuron_ids, n_neurons, duration_ns)
    counts = np.bincount(ids, minlength=n).astype(np.float64)
    return counts / (dur / _NS_PER_S)


def interspike_intervals_ns(
    times_ns: np.ndarray, neuron_ids: np.ndarray, n_neurons: int
) -> list[np.ndarray]:
    """Inter-spike intervals of each neuron (ns): a list of ``n_neurons`` 1-D arrays."""
    t, ids, n, _ = check_spikes(times_ns, neuron_ids, n_neurons)
    order = np.lexsort((t, ids))
    t_s, ids_s = t[order], ids[order]
    bounds = np.searchsorted(ids_s, np.arange(n + 1))
    return [np.diff(t_s[bounds[i] : bounds[i + 1]]) for i in range(n)]


def isi_cv(
    times_ns: np.ndarray, neuron_ids: np.ndarray, n_neurons: int, *, min_spikes: int = 3
) -> np.ndarray:
    r"""Coefficient of variation of the inter-spike intervals of each neuron.

    .. math:: \mathrm{CV}_i = \frac{\sigma(\mathrm{ISI}_i)}{\langle \mathrm{ISI}_i \rangle},

    with the population (ddof = 0) standard deviation. A Poisson process has CV = 1, a perfectly
    regular train CV = 0 (e.g. Softky & Koch 1993, J. Neurosci. 13, 334).

    Parameters
    ----------
    times_ns, neuron_ids, n_neurons
        Spike data.
    min_spikes
        Neurons with fewer spikes get ``nan`` (at least 3, i.e. two intervals).

    Returns
    -------
    numpy.ndarray
        CV per neuron, shape ``(n_neurons,)``, ``nan`` where undefined.
    """
    min_spikes = check_positive_int("min_spikes", min_spikes, minimum=3)
    t, ids, n, _ = check_spikes(times_ns, neuron_ids, n_neurons)
    order = np.lexsort((t, ids))
    t_s, ids_s = t[order], ids[order]
    same = ids_s[1:] == ids_s[:-1]
    isi, owner = np.diff(t_s)[same], ids_s[1:][same]
    count = np.bincount(owner, minlength=n).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(owner, weights=isi, minlength=n) / count
        var = np.bincount(owner, weights=(isi - mean[owner]) ** 2, minlength=n) / count
        cv = np.sqrt(var) / mean
    ok = (count + 1 >= min_spikes) & (mean > 0)
    return np.where(ok, cv, np.nan)


def _n_bins(duration_ns: float, bin_ns: float) -> int:
    return max(1, int(np.ceil(duration_ns / bin_ns - 1e-9)))


def spike_counts(
    times_ns: np.ndarray,
    neuron_ids: np.ndarray,
    n_neurons: int,
    duration_ns: float,
    *,
    bin_ns: float,
) -> np.ndarray:
    """Spike counts per neuron and time bin, shape ``(n_neurons, n_bins)``.

    Bins are ``[k * bin_ns, (k + 1) * bin_ns)`` for ``k = 0 … ceil(duration_ns / bin_ns) − 1``; a spike
    exactly at ``duration_ns`` goes into the last bin. Memory is ``n_neurons × n_bins`` integers.
    """
    t, ids, n, dur = check_spikes(times_ns, neuron_ids, n_neurons, duration_ns)
    bin_ns = check_positive_float("bin_ns", bin_ns)
    nb = _n_bins(dur, bin_ns)
    k = np.minimum((t // bin_ns).astype(np.int64), nb - 1)
    out = np.zeros((n, nb), dtype=np.int64)
    np.add.at(out, (ids, k), 1)
    return out


def population_rate_hz(
    times_ns: np.ndarray,
    n_neurons: int,
    duration_ns: float,
    *,
    bin_ns: float,
    smooth_ns: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Population rate: spikes per neuron per second in time bins, optionally Gaussian-smoothed.

    .. math:: R(t_k) = \frac{\#\{\text{spikes in bin } k\}}{N\,\Delta t},

    with :math:`N` = ``n_neurons`` and :math:`\Delta t` = ``bin_ns`` in seconds. With ``smooth_ns``
    the series is convolved with a Gaussian of that standard deviation (reflecting edges).

    Returns
    -------
    (t_ns, rate_hz)
        Bin centres (ns) and the rate (Hz) per bin.
    """
    n = check_positive_int("n_neurons", n_neurons)
    t, _, _, dur = check_spikes(times_ns, np.zeros(np.size(times_ns), dtype=np.int64), 1, duration_ns)
    bin_ns = check_positive_float("bin_ns", bin_ns)
    nb = _n_bins(dur, bin_ns)
    k = np.minimum((t // bin_ns).astype(np.int64), nb - 1)
    counts = np.bincount(k, minlength=nb).astype(np.float64)
    rate = counts / (n * bin_ns / _NS_PER_S)
    if smooth_ns is not None:
        sigma = check_positive_float("smooth_ns", smooth_ns) / bin_ns
        rate = ndimage.gaussian_filter1d(rate, sigma, mode="reflect")
    centres = (np.arange(nb) + 0.5) * bin_ns
    return centres, rate


def synchrony_chi(
    times_ns: np.ndarray,
    neuron_ids: np.ndarray,
    n_neurons: int,
    duration_ns: float,
    *,
    bin_ns: float,
    smooth_ns: float | None = None,
) -> float:
    r"""Golomb's synchrony measure χ on binned (optionally smoothed) spike counts.

    .. math::
        \chi^2 = \frac{\operatorname{Var}_t\!\left[V(t)\right]}
                      {\frac1N \sum_i \operatorname{Var}_t\!\left[V_i(t)\right]},
        \qquad V(t) = \frac1N\sum_i V_i(t),

    where :math:`V_i(t)` is neuron *i*'s spike count in bin *t* (Golomb & Hansel 2000, Neural Comput.
    12, 1095; Golomb 2007, Scholarpedia 2, 1347). χ = 1 for identical trains and χ ~ 1/√N for
    independent ones. Returns ``nan`` if no neuron's count varies.
    """
    counts = spike_counts(times_ns, neuron_ids, n_neurons, duration_ns, bin_ns=bin_ns).astype(float)
    if smooth_ns is not None:
        sigma = check_positive_float("smooth_ns", smooth_ns) / float(bin_ns)
        counts = ndimage.gaussian_filter1d(counts, sigma, axis=1, mode="reflect")
    denom = counts.var(axis=1).mean()
    if denom <= 0:
        return float("nan")
    return float(np.sqrt(counts.mean(axis=0).var() / denom))


def mean_pairwise_correlation(
    times_ns: np.ndarray,
    neuron_ids: np.ndarray,
    n_neurons: int,
    duration_ns: float,
    *,
    bin_ns: float,
    max_neurons: int | None = None,
    seed: int = 0,
) -> float:
    r"""Mean Pearson correlation of spike counts over all pairs of active neurons.

    .. math:: \bar\rho = \frac{2}{M(M-1)} \sum_{i<j} \operatorname{corr}(c_i, c_j),

    over the *M* neurons whose binned counts :math:`c_i` vary (e.g. Cohen & Kohn 2011, Nat. Neurosci.
    14, 811). With ``max_neurons`` a seeded random subset of active neurons is used (cost is
    :math:`O(M^2 n_\mathrm{bins})`). Returns ``nan`` with fewer than two active neurons.
    """
    counts = spike_counts(times_ns, neuron_ids, n_neurons, duration_ns, bin_ns=bin_ns).astype(float)
    active = np.flatnonzero(counts.var(axis=1) > 0)
    if max_neurons is not None:
        max_neurons = check_positive_int("max_neurons", max_neurons, minimum=2)
        if active.size > max_neurons:
            rng = np.random.Generator(np.random.Philox(key=check_seed(seed)))
            active = np.sort(rng.choice(active, size=max_neurons, replace=False))
    if active.size < 2:
        return float("nan")
    c = np.corrcoef(counts[active])
    m = active.size
    return float((c.sum() - np.trace(c)) / (m * (m - 1)))


def population_spectrum(
    times_ns: np.ndarray,
    n_neurons: int,
    duration_ns: float,
    *,
    bin_ns: float,
    nperseg: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Power spectral density of the population rate by Welch's method.

    The binned population rate :math:`R(t_k)` (Hz, see :func:`population_rate_hz`) is sampled at
    :math:`f_s = 1/\Delta t`; its mean is removed per segment and the one-sided PSD (Hz²/Hz) is
    estimated with a Hann window and 50 % overlap (Welch 1967, IEEE Trans. Audio Electroacoust. 15, 70;
    ``scipy.signal.welch``).

    Parameters
    ----------
    nperseg
        Segment length in bins (default: min(n_bins, 1024)).

    Returns
    -------
    (freq_hz, psd)
        Frequencies (Hz) and the PSD of the rate (Hz²/Hz).
    """
    _, rate = population_rate_hz(times_ns, n_neurons, duration_ns, bin_ns=bin_ns)
    if rate.size < 2:
        raise ValueError(
            f"duration_ns / bin_ns must give at least 2 bins for a spectrum; got {rate.size}"
        )
    if nperseg is None:
        nperseg = min(rate.size, 1024)
    nperseg = check_positive_int("nperseg", nperseg, minimum=2)
    if nperseg > rate.size:
        raise ValueError(f"nperseg must be <= the number of bins ({rate.size}); got {nperseg}")
    fs_hz = _NS_PER_S / float(bin_ns)
    freq, psd = signal.welch(rate, fs=fs_hz, nperseg=nperseg, detrend="constant")
    return freq, psd


def band_powers(
    freq_hz: np.ndarray,
    psd: np.ndarray,
    *,
    f_min_hz: float,
    f_max_hz: float,
    n_bands: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Power in logarithmically spaced frequency bands.

    Band edges are :math:`f_j = f_\min (f_\max/f_\min)^{j/n}`, :math:`j = 0 … n`, so each band spans
    the same ratio (as in the nested, log-spaced rhythms of Buzsáki & Draguhn 2004, Science 304,
    1926). The power of band *j* is :math:`\sum_{f_j \le f < f_{j+1}} S(f)\,\Delta f`.

    Returns
    -------
    (edges_hz, power)
        ``n_bands + 1`` edges and ``n_bands`` powers (units of ``psd`` × Hz).
    """
    f = np.asarray(freq_hz, dtype=np.float64)
    s = np.asarray(psd, dtype=np.float64)
    if f.ndim != 1 or f.shape != s.shape or f.size < 2:
        raise ValueError(
            f"freq_hz and psd must be 1-D arrays of equal length >= 2; got shapes {f.shape}, {s.shape}"
        )
    lo = check_positive_float("f_min_hz", f_min_hz)
    hi = check_positive_float("f_max_hz", f_max_hz)
    if hi <= lo:
        raise ValueError(f"f_max_hz must be > f_min_hz ({lo!r}); got {hi!r}")
    n_bands = check_positive_int("n_bands", n_bands)
    edges = np.geomspace(lo, hi, n_bands + 1)
    df = np.gradient(f)
    which = np.searchsorted(edges, f, side="right") - 1
    inside = (which >= 0) & (which < n_bands)
    power = np.bincount(which[inside], weights=(s * df)[inside], minlength=n_bands)
    return edges, power
