"""Neuronal avalanches and branching ratio.

An *avalanche* is a maximal run of consecutive non-empty time bins bounded by empty bins (Beggs & Plenz
2003, J. Neurosci. 23, 11167). Its *size* is the number of events in it and its *duration* the number
of bins. At criticality (mean-field branching, m = 1) sizes and durations are power-law distributed,
P(S) ∝ S^−τ with τ = 3/2 and P(T) ∝ T^−α with α = 2, and ⟨S⟩(T) ∝ T^γ with γ = (α − 1)/(τ − 1)
(Sethna, Dahmen & Myers 2001, Nature 410, 242). Power-law fitting lives in
:mod:`soen.analysis.powerlaw`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from soen.analysis._validate import check_positive_float, check_positive_int, check_times
from soen.analysis.powerlaw import (  # re-exported: the fits are part of the avalanche toolbox
    LikelihoodRatio,
    PowerLawFit,
    compare_distributions,
    fit_power_law,
    power_law_gof,
)

__all__ = [
    "Avalanches",
    "find_avalanches",
    "binned_activity",
    "mean_interevent_interval_ns",
    "branching_ratio",
    "MultistepRegression",
    "branching_ratio_mr",
    "CracklingResult",
    "crackling_relation",
    # re-exported from soen.analysis.powerlaw
    "PowerLawFit",
    "fit_power_law",
    "power_law_gof",
    "LikelihoodRatio",
    "compare_distributions",
]


@dataclass(frozen=True)
class Avalanches:
    """Avalanches found in a spike train.

    Attributes
    ----------
    sizes
        Number of events per avalanche (int64).
    durations
        Number of bins per avalanche (int64); multiply by ``bin_ns`` for ns.
    start_bins
        Index of each avalanche's first bin (int64), bins starting at ``t0_ns``.
    bin_ns
        Bin width used (ns).
    t0_ns
        Left edge of bin 0 (ns).
    """

    sizes: np.ndarray
    durations: np.ndarray
    start_bins: np.ndarray
    bin_ns: float
    t0_ns: float

    def __len__(self) -> int:
        return int(self.sizes.size)


def mean_interevent_interval_ns(times_ns: np.ndarray) -> float:
    """Mean interval between consecutive events of the pooled population (ns)."""
    t = check_times(times_ns, allow_empty=False)
    if t.size < 2:
        raise ValueError(f"times_ns must hold at least 2 events to define an interval; got {t.size}")
    span = float(t.max() - t.min())
    if span <= 0:
        raise ValueError("times_ns must not all be equal (mean inter-event interval would be 0)")
    return span / (t.size - 1)


def binned_activity(
    times_ns: np.ndarray, *, bin_ns: float, t0_ns: float = 0.0, duration_ns: float | None = None
) -> np.ndarray:
    """Number of events per bin ``[t0 + k·bin, t0 + (k+1)·bin)`` (int64).

    The series ends with the bin of the last event, or covers ``duration_ns`` when given.
    """
    t = check_times(times_ns)
    bin_ns = check_positive_float("bin_ns", bin_ns)
    if t.size and t.min() < t0_ns:
        raise ValueError(f"t0_ns must be <= the first event time ({float(t.min())!r}); got {t0_ns!r}")
    k = ((t - t0_ns) // bin_ns).astype(np.int64)
    nb = int(k.max()) + 1 if k.size else 0
    if duration_ns is not None:
        dur = check_positive_float("duration_ns", duration_ns)
        nb = max(nb, int(np.ceil((dur - t0_ns) / bin_ns - 1e-9)))
        k = np.minimum(k, nb - 1)
    return np.bincount(k, minlength=nb).astype(np.int64)


def find_avalanches(times_ns: np.ndarray, *, bin_ns: float | None = None) -> Avalanches:
    """Split a pooled event train into avalanches.

    Events are binned with width ``bin_ns`` (default: the mean inter-event interval of the pooled
    train, as in Beggs & Plenz 2003), starting at the first event. An avalanche is a maximal run of
    non-empty bins; size = events in it, duration = bins in it.

    Parameters
    ----------
    times_ns
        Event times in ns (all neurons pooled; ids are not needed).
    bin_ns
        Bin width (ns); ``None`` for the mean inter-event interval.

    Examples
    --------
    >>> av = find_avalanches(np.array([0.0, 0.5, 1.2, 5.0, 9.0, 9.1]), bin_ns=1.0)
    >>> av.sizes.tolist(), av.durations.tolist()
    ([3, 1, 2], [2, 1, 1])
    """
    t = check_times(times_ns, allow_empty=False)
    if bin_ns is None:
        bin_ns = mean_interevent_interval_ns(t)
    bin_ns = check_positive_float("bin_ns", bin_ns)
    t0 = float(t.min())
    counts = binned_activity(t, bin_ns=bin_ns, t0_ns=t0)
    active = counts > 0
    edges = np.diff(np.concatenate(([False], active, [False])).astype(np.int8))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    csum = np.concatenate(([0], np.cumsum(counts)))
    sizes = (csum[stops] - csum[starts]).astype(np.int64)
    return Avalanches(
        sizes=sizes,
        durations=(stops - starts).astype(np.int64),
        start_bins=starts.astype(np.int64),
        bin_ns=float(bin_ns),
        t0_ns=t0,
    )


def _check_activity(activity: np.ndarray) -> np.ndarray:
    a = np.asarray(activity, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"activity must be a 1-D array of counts per bin; got shape {a.shape}")
    if a.size < 3:
        raise ValueError(f"activity must hold at least 3 bins; got {a.size}")
    if not np.all(np.isfinite(a)) or a.min() < 0:
        raise ValueError("activity must hold finite, non-negative counts")
    return a


def branching_ratio(activity: np.ndarray) -> float:
    r"""Conventional branching-ratio estimate: descendants per ancestor in consecutive bins.

    .. math:: \hat m = \frac{\sum_{t:\,A_t>0} A_{t+1}}{\sum_{t:\,A_t>0} A_t},

    where :math:`A_t` is the number of events in bin *t*. This is Harris's maximum-likelihood estimator
    for a Galton–Watson process (Harris 1948, Ann. Math. Stat. 19, 474) and the ratio-of-sums form of
    Beggs & Plenz's σ (2003). It is biased towards 0 under subsampling; use
    :func:`branching_ratio_mr` then (Wilting & Priesemann 2018, Nat. Commun. 9, 2325).

    Parameters
    ----------
    activity
        Events per bin (e.g. :func:`binned_activity`).
    """
    a = _check_activity(activity)
    anc = a[:-1]
    mask = anc > 0
    total = anc[mask].sum()
    if total <= 0:
        raise ValueError("activity must contain events (all bins are empty)")
    return float(a[1:][mask].sum() / total)


@dataclass(frozen=True)
class MultistepRegression:
    """Result of :func:`branching_ratio_mr`.

    Attributes
    ----------
    m
        Branching ratio estimate.
    b
        Amplitude of the fit r_k = b·m^k (b < 1 reflects subsampling).
    k
        Time lags (bins) used.
    r_k
        Linear-regression slopes of A_{t+k} on A_t.
    tau_bins
        Intrinsic time scale −1/ln m in bins (``inf`` for m ≥ 1).
    """

    m: float
    b: float
    k: np.ndarray
    r_k: np.ndarray
    tau_bins: float


def branching_ratio_mr(activity: np.ndarray, *, k_max: int = 40) -> MultistepRegression:
    r"""Multistep-regression (MR) estimator of the branching ratio (Wilting & Priesemann 2018).

    For lags :math:`k = 1 … k_\max` the slope of the linear regression of :math:`A_{t+k}` on
    :math:`A_t` is

    .. math:: r_k = \frac{\operatorname{Cov}(A_t, A_{t+k})}{\operatorname{Var}(A_t)} = b\,m^k,

    and :math:`b, m` are fitted by least squares to the exponential (Wilting & Priesemann 2018,
    Nat. Commun. 9, 2325, Eqs. 2–4). Subsampling (observing each event with probability < 1) changes
    *b* but not *m*, so *m* is consistent where :func:`branching_ratio` is biased.

    Parameters
    ----------
    activity
        Events per bin of a (stationary, driven) process.
    k_max
        Largest lag (bins); must be < len(activity) / 2.
    """
    a = _check_activity(activity)
    k_max = check_positive_int("k_max", k_max, minimum=2)
    if k_max >= a.size // 2:
        raise ValueError(f"k_max must be < len(activity) / 2 = {a.size // 2}; got {k_max}")
    ks = np.arange(1, k_max + 1)
    r = np.empty(k_max)
    for j, k in enumerate(ks):
        x, y = a[:-k], a[k:]
        vx = x.var()
        if vx <= 0:
            raise ValueError("activity must vary in time for the regression (constant series)")
        r[j] = ((x - x.mean()) * (y - y.mean())).mean() / vx
    pos = r > 0
    if pos.sum() >= 2:
        n0 = max(2, min(5, int(pos.sum())))  # initial guess from the first few positive slopes
        slope, icpt = np.polyfit(ks[pos][:n0], np.log(r[pos][:n0]), 1)
        p0 = (float(np.exp(icpt)), float(np.clip(np.exp(slope), 1e-3, 1.5)))
    else:
        p0 = (max(r[0], 1e-3), 0.5)

    def model(k: np.ndarray, b: float, m: float) -> np.ndarray:
        return b * m**k

    try:
        with warnings.catch_warnings():  # an undetermined covariance is irrelevant here
            warnings.simplefilter("ignore", optimize.OptimizeWarning)
            (b, m), _ = optimize.curve_fit(model, ks, r, p0=p0, bounds=([-np.inf, 1e-6], [np.inf, 2.0]))
    except RuntimeError:  # pragma: no cover - fit failed to converge
        b, m = p0
    tau = float(-1.0 / np.log(m)) if m < 1 else float("inf")
    return MultistepRegression(m=float(m), b=float(b), k=ks, r_k=r, tau_bins=tau)


@dataclass(frozen=True)
class CracklingResult:
    """Result of :func:`crackling_relation`.

    Attributes
    ----------
    gamma_predicted
        (α − 1)/(τ − 1) from the duration (α) and size (τ) exponents.
    gamma_fitted
        Slope of log⟨S⟩ against log T.
    gamma_fitted_err
        Standard error of that slope.
    durations, mean_sizes
        The points used in the fit.
    """

    gamma_predicted: float
    gamma_fitted: float
    gamma_fitted_err: float
    durations: np.ndarray
    mean_sizes: np.ndarray


def crackling_relation(
    avalanches: Avalanches,
    size_fit: PowerLawFit,
    duration_fit: PowerLawFit,
    *,
    min_count: int = 5,
    min_duration: int = 2,
    max_duration: int | None = None,
) -> CracklingResult:
    r"""Compare the crackling-noise prediction γ = (α − 1)/(τ − 1) with ⟨S⟩(T) ∝ T^γ.

    ⟨S⟩(T) is the mean size of avalanches of duration *T*; γ is the least-squares slope of
    :math:`\log\langle S\rangle` against :math:`\log T` over durations in
    [``min_duration``, ``max_duration``] with at least ``min_count`` avalanches (Sethna et al. 2001,
    Nature 410, 242; Friedman et al. 2012, PRL 108, 208102). Mean-field: γ = 2.
    """
    min_count = check_positive_int("min_count", min_count)
    min_duration = check_positive_int("min_duration", min_duration)
    if size_fit.alpha <= 1:
        raise ValueError(f"size_fit.alpha must be > 1; got {size_fit.alpha!r}")
    d, s = avalanches.durations, avalanches.sizes.astype(np.float64)
    uniq, inv, cnt = np.unique(d, return_inverse=True, return_counts=True)
    mean_s = np.bincount(inv, weights=s) / cnt
    keep = (cnt >= min_count) & (uniq >= min_duration)
    if max_duration is not None:
        keep &= uniq <= check_positive_int("max_duration", max_duration)
    if keep.sum() < 3:
        raise ValueError(
            f"avalanches must have at least 3 durations with >= min_count={min_count} avalanches; "
            f"got {int(keep.sum())}"
        )
    x, y = np.log(uniq[keep].astype(np.float64)), np.log(mean_s[keep])
    if x.size >= 4:
        (slope, _), cov = np.polyfit(x, y, 1, cov=True)
        err = float(np.sqrt(cov[0, 0]))
    else:
        slope, _ = np.polyfit(x, y, 1)
        err = float("nan")
    return CracklingResult(
        gamma_predicted=float((duration_fit.alpha - 1.0) / (size_fit.alpha - 1.0)),
        gamma_fitted=float(slope),
        gamma_fitted_err=err,
        durations=uniq[keep],
        mean_sizes=mean_s[keep],
    )
