r"""Maximum-likelihood fitting and testing of discrete power laws (Clauset, Shalizi & Newman 2009).

The discrete power law on :math:`x \ge x_\min` is

.. math:: p(x) = \frac{x^{-\alpha}}{\zeta(\alpha, x_\min)},
          \qquad \zeta(\alpha, x_\min) = \sum_{n=0}^\infty (n + x_\min)^{-\alpha}

(Hurwitz zeta, ``scipy.special.zeta``). Following Clauset, Shalizi & Newman (2009, SIAM Rev. 51, 661):

* α is the maximiser of :math:`\mathcal L(\alpha) = -n\ln\zeta(\alpha,x_\min) - \alpha\sum_i\ln x_i`
  (their Eq. 3.5), found by golden-section search (:math:`\mathcal L` is concave in α);
  its standard error is :math:`(\alpha-1)/\sqrt n` (Eq. 3.2, asymptotic);
* :math:`x_\min` minimises the Kolmogorov–Smirnov distance D between the tail's empirical CDF and the
  fitted model (§3.3);
* goodness of fit: p-value = fraction of semi-parametric bootstrap samples whose refitted D exceeds the
  data's (§4.1);
* alternatives: Vuong's normalised log-likelihood ratio against exponential and lognormal tails
  fitted on the same :math:`x \ge x_\min` (§5.1, Vuong 1989, Econometrica 57, 307).

Written from the equations; the ``powerlaw`` package is not used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize, special

from soen.analysis._validate import check_positive_int, check_samples, check_seed

__all__ = [
    "PowerLawFit",
    "fit_power_law",
    "power_law_gof",
    "sample_power_law",
    "LikelihoodRatio",
    "compare_distributions",
]

_GOLD = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True)
class PowerLawFit:
    """A fitted discrete power law.

    Attributes
    ----------
    alpha
        Exponent α of p(x) ∝ x^−α.
    alpha_err
        Asymptotic standard error (α − 1)/√n_tail.
    xmin
        Lower bound of the power-law tail.
    n_tail
        Number of samples ≥ xmin.
    n
        Total number of samples.
    ks_distance
        Kolmogorov–Smirnov distance D of the tail to the fitted model.
    p_value
        Bootstrap goodness-of-fit p-value (``nan`` if not computed). p < 0.1 rejects the power law
        (Clauset et al. 2009, §4.1).
    n_boot
        Bootstrap samples used for ``p_value`` (0 if not computed).
    """

    alpha: float
    alpha_err: float
    xmin: int
    n_tail: int
    n: int
    ks_distance: float
    p_value: float = float("nan")
    n_boot: int = 0

    def ccdf(self, x: np.ndarray) -> np.ndarray:
        """Model P(X ≥ x | X ≥ xmin) = ζ(α, x)/ζ(α, xmin) for integer x ≥ xmin (1 below)."""
        x = np.asarray(x, dtype=np.float64)
        out = special.zeta(self.alpha, np.maximum(x, self.xmin)) / special.zeta(self.alpha, self.xmin)
        return np.where(x < self.xmin, 1.0, out)

    def pmf(self, x: np.ndarray) -> np.ndarray:
        """Model p(x) = x^−α / ζ(α, xmin) for x ≥ xmin (0 below)."""
        x = np.asarray(x, dtype=np.float64)
        out = np.maximum(x, 1.0) ** (-self.alpha) / special.zeta(self.alpha, self.xmin)
        return np.where(x < self.xmin, 0.0, out)


def _golden_alpha(
    n: np.ndarray, slog: np.ndarray, xmin: np.ndarray, lo: float, hi: float, iters: int = 48
) -> np.ndarray:
    """Vectorised golden-section maximisation of L(α) = −n ln ζ(α, xmin) − α Σ ln x per candidate."""

    def loglik(a: np.ndarray) -> np.ndarray:
        return -n * np.log(special.zeta(a, xmin)) - a * slog

    a = np.full(n.shape, lo)
    b = np.full(n.shape, hi)
    for _ in range(iters):
        c = b - _GOLD * (b - a)
        d = a + _GOLD * (b - a)
        left = loglik(c) > loglik(d)  # the maximum lies in [a, d]
        b = np.where(left, d, b)
        a = np.where(left, a, c)
    return 0.5 * (a + b)


def _fit_all_xmin(
    x_sorted: np.ndarray,
    candidates: np.ndarray,
    alpha_range: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """α and KS distance D for every candidate xmin (x_sorted ascending)."""
    n_total = x_sorted.size
    logs = np.log(x_sorted)
    suffix_log = np.concatenate((np.cumsum(logs[::-1])[::-1], [0.0]))
    first = np.searchsorted(x_sorted, candidates, side="left")
    n_tail = n_total - first
    alphas = _golden_alpha(n_tail.astype(float), suffix_log[first], candidates, *alpha_range)

    uniq, counts = np.unique(x_sorted, return_counts=True)
    cum = np.cumsum(counts)  # number of samples <= uniq[j]
    below = first  # number of samples < candidate
    d_out = np.empty(candidates.size)
    for ci, (xm, al, nt, nb) in enumerate(zip(candidates, alphas, n_tail, below)):
        j0 = np.searchsorted(uniq, xm)
        u = uniq[j0:]
        emp = (cum[j0:] - nb) / nt
        z_min = special.zeta(al, xm)
        z_u = special.zeta(al, u)
        cdf_at_u = 1.0 - (z_u - u ** (-al)) / z_min  # P(X <= u)
        cdf_before_u = 1.0 - z_u / z_min  # P(X <= u - 1)
        emp_before = np.concatenate(([0.0], emp[:-1]))
        d_out[ci] = max(np.max(np.abs(emp - cdf_at_u)), np.max(np.abs(emp_before - cdf_before_u)))
    return alphas, d_out


def _fit(
    x: np.ndarray,
    xmin: int | None,
    min_tail: int,
    alpha_range: tuple[float, float],
    xmax_candidate: float | None,
) -> tuple[float, int, int, float]:
    xs = np.sort(x)
    if xmin is not None:
        cands = np.array([float(xmin)])
    else:
        uniq = np.unique(xs)
        tail_n = xs.size - np.searchsorted(xs, uniq, side="left")
        cands = uniq[tail_n >= min_tail]
        if xmax_candidate is not None:
            cands = cands[cands <= xmax_candidate]
        if cands.size == 0:
            cands = uniq[:1]
    alphas, ds = _fit_all_xmin(xs, cands, alpha_range)
    best = int(np.argmin(ds))
    n_tail = int(xs.size - np.searchsorted(xs, cands[best], side="left"))
    return float(alphas[best]), int(cands[best]), n_tail, float(ds[best])


def fit_power_law(
    data: np.ndarray,
    *,
    xmin: int | None = None,
    min_tail: int = 10,
    xmax_candidate: float | None = None,
    alpha_range: tuple[float, float] = (1.0001, 6.0),
    n_boot: int = 0,
    seed: int = 0,
) -> PowerLawFit:
    """Fit a discrete power law p(x) ∝ x^−α for x ≥ xmin by maximum likelihood.

    Parameters
    ----------
    data
        Positive integers (e.g. avalanche sizes or durations in bins).
    xmin
        Fixed lower bound; ``None`` chooses it by minimising the KS distance over all distinct data
        values with at least ``min_tail`` samples at or above them (and ≤ ``xmax_candidate``).
    min_tail
        Smallest tail considered when scanning xmin.
    xmax_candidate
        Largest xmin considered (``None``: no limit).
    alpha_range
        Search interval for α.
    n_boot
        If > 0, also compute the bootstrap goodness-of-fit p-value (:func:`power_law_gof`) with this
        many samples (at most 10000).
    seed
        Seed of the bootstrap generator.

    Examples
    --------
    >>> x = sample_power_law(5000, alpha=2.5, xmin=1, seed=1)
    >>> fit = fit_power_law(x)
    >>> abs(fit.alpha - 2.5) < 0.1
    True
    """
    x = check_samples("data", data)
    min_tail = check_positive_int("min_tail", min_tail, minimum=2)
    lo, hi = (float(v) for v in alpha_range)
    if not (1.0 < lo < hi):
        raise ValueError(f"alpha_range must satisfy 1 < low < high; got {alpha_range!r}")
    if xmin is not None:
        xmin = check_positive_int("xmin", xmin)
        if np.count_nonzero(x >= xmin) < 2:
            raise ValueError(f"xmin must leave at least 2 samples in the tail; got xmin={xmin}")
    if x.size < 2:
        raise ValueError(f"data must hold at least 2 samples; got {x.size}")
    alpha, xm, n_tail, d = _fit(x, xmin, min_tail, (lo, hi), xmax_candidate)
    fit = PowerLawFit(
        alpha=alpha,
        alpha_err=(alpha - 1.0) / math.sqrt(n_tail),
        xmin=xm,
        n_tail=n_tail,
        n=int(x.size),
        ks_distance=d,
    )
    if n_boot:
        p = power_law_gof(
            x,
            fit,
            n_boot=n_boot,
            seed=seed,
            fixed_xmin=xmin is not None,
            min_tail=min_tail,
            xmax_candidate=xmax_candidate,
            alpha_range=(lo, hi),
        )
        fit = PowerLawFit(**{**fit.__dict__, "p_value": p, "n_boot": int(n_boot)})
    return fit


def _rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.Philox(key=check_seed(seed)))


def _sample_pl(rng: np.random.Generator, size: int, alpha: float, xmin: int) -> np.ndarray:
    """Exact inverse-CDF sampling of the discrete power law by integer bisection."""
    u = 1.0 - rng.random(size)  # (0, 1]
    z0 = special.zeta(alpha, xmin)
    cap = 1e15
    guess = (xmin - 0.5) * u ** (-1.0 / (alpha - 1.0)) + 0.5
    hi = np.minimum(np.floor(2.0 * guess + 2.0), cap)
    for _ in range(60):
        bad = (special.zeta(alpha, hi) / z0 >= u) & (hi < cap)
        if not bad.any():
            break
        hi = np.where(bad, np.minimum(hi * 2.0, cap), hi)
    lo = np.full(size, float(xmin))
    hi = np.maximum(hi, lo + 1.0)
    for _ in range(64):
        active = hi - lo > 1.0
        if not active.any():
            break
        mid = np.floor(0.5 * (lo + hi))
        ok = special.zeta(alpha, mid) / z0 >= u  # S(mid) >= u: answer >= mid
        lo = np.where(active & ok, mid, lo)
        hi = np.where(active & ~ok, mid, hi)
    return lo


def sample_power_law(size: int, *, alpha: float, xmin: int = 1, seed: int = 0) -> np.ndarray:
    """Draw ``size`` samples of the discrete power law p(x) ∝ x^−α, x ≥ xmin (float64 integers).

    Exact inversion of the CDF P(X ≥ x) = ζ(α, x)/ζ(α, xmin) by bisection (values capped at 1e15).
    """
    size = check_positive_int("size", size)
    xmin = check_positive_int("xmin", xmin)
    if not (isinstance(alpha, (int, float)) and alpha > 1.0 and math.isfinite(alpha)):
        raise ValueError(f"alpha must be a finite number > 1; got {alpha!r}")
    return _sample_pl(_rng(seed), size, float(alpha), xmin)


def power_law_gof(
    data: np.ndarray,
    fit: PowerLawFit,
    *,
    n_boot: int = 100,
    seed: int = 0,
    fixed_xmin: bool = False,
    min_tail: int = 10,
    xmax_candidate: float | None = None,
    alpha_range: tuple[float, float] = (1.0001, 6.0),
) -> float:
    """Goodness-of-fit p-value of a power-law fit by semi-parametric bootstrap.

    Each synthetic data set has ``len(data)`` samples: with probability n_tail/n a sample is drawn from
    the fitted power law (≥ xmin), otherwise uniformly from the data below xmin. It is refitted the same
    way (xmin scan unless ``fixed_xmin``) and p = fraction of synthetic KS distances ≥ the data's
    (Clauset et al. 2009, §4.1). Resolution is 1/n_boot; n_boot ≈ 2500 gives ±0.01 precision.

    Parameters
    ----------
    n_boot
        Number of bootstrap samples, 1–10000 (cost grows linearly).
    seed
        Seed of the generator (``numpy.random.Philox``), so the p-value is reproducible.
    """
    x = check_samples("data", data)
    n_boot = check_positive_int("n_boot", n_boot)
    if n_boot > 10000:
        raise ValueError(f"n_boot must be in [1, 10000]; got {n_boot}")
    rng = _rng(seed)
    below = x[x < fit.xmin]
    n = x.size
    p_tail = fit.n_tail / n
    exceed = 0
    for _ in range(n_boot):
        k_tail = int(rng.binomial(n, p_tail)) if below.size else n
        k_tail = max(k_tail, 2)
        synth_tail = _sample_pl(rng, k_tail, fit.alpha, fit.xmin)
        if n - k_tail > 0 and below.size:
            synth = np.concatenate((synth_tail, rng.choice(below, size=n - k_tail, replace=True)))
        else:
            synth = synth_tail
        _, _, _, d = _fit(
            synth,
            fit.xmin if fixed_xmin else None,
            min_tail,
            alpha_range,
            xmax_candidate,
        )
        exceed += d >= fit.ks_distance
    return exceed / n_boot


@dataclass(frozen=True)
class LikelihoodRatio:
    """Vuong likelihood-ratio test of the power law against an alternative.

    Attributes
    ----------
    alternative
        ``"exponential"`` or ``"lognormal"``.
    log_ratio
        R = Σ [ln p_pl(x_i) − ln p_alt(x_i)] over the tail; R > 0 favours the power law.
    normalized_ratio
        R / (σ √n), asymptotically standard normal under "equally good".
    p_value
        Two-sided significance of the sign of R: erfc(|R| / (σ √(2n))). Small p: the sign is meaningful.
    params
        Fitted parameters of the alternative (λ; or μ, σ).
    """

    alternative: str
    log_ratio: float
    normalized_ratio: float
    p_value: float
    params: tuple[float, ...]

    @property
    def favours(self) -> str:
        """``"power_law"``, the alternative's name, or ``"neither"`` (p ≥ 0.1)."""
        if not self.p_value < 0.1:
            return "neither"
        return "power_law" if self.log_ratio > 0 else self.alternative


def _logdiff_ndtr(za: np.ndarray, zb: np.ndarray) -> np.ndarray:
    """log(Φ(zb) − Φ(za)) for za < zb, stable in both tails."""
    upper = za > 0
    out = np.empty_like(za)
    # upper tail: Φ(zb) − Φ(za) = Q(za) − Q(zb), with log Q(z) = log Φ(−z)
    la, lb = special.log_ndtr(-za[upper]), special.log_ndtr(-zb[upper])
    out[upper] = la + np.log1p(-np.exp(lb - la))
    la, lb = special.log_ndtr(za[~upper]), special.log_ndtr(zb[~upper])
    out[~upper] = lb + np.log1p(-np.exp(la - lb))
    return out


def _lognormal_logpmf(x: np.ndarray, xmin: int, mu: float, sigma: float) -> np.ndarray:
    za = (np.log(x - 0.5) - mu) / sigma
    zb = (np.log(x + 0.5) - mu) / sigma
    z0 = (math.log(xmin - 0.5) - mu) / sigma
    return _logdiff_ndtr(za, zb) - special.log_ndtr(-z0)


def compare_distributions(
    data: np.ndarray,
    fit: PowerLawFit,
    alternative: Literal["exponential", "lognormal"] = "exponential",
) -> LikelihoodRatio:
    r"""Vuong's likelihood-ratio test of the fitted power law against an alternative tail.

    Both models are fitted by maximum likelihood to the samples :math:`x_i \ge x_\min`, discretely:

    * exponential: :math:`p(x) = (1-e^{-\lambda}) e^{-\lambda (x - x_\min)}`, with
      :math:`\hat\lambda = \ln(1 + 1/\overline{(x - x_\min)})`;
    * lognormal: :math:`p(x) = [F(x+\tfrac12) - F(x-\tfrac12)] / [1 - F(x_\min - \tfrac12)]`, F the
      lognormal CDF with parameters (μ, σ), fitted numerically (Nelder–Mead).

    With :math:`\ell_i = \ln p_\mathrm{pl}(x_i) - \ln p_\mathrm{alt}(x_i)`, :math:`R = \sum \ell_i`,
    :math:`\sigma^2` the variance of :math:`\ell_i`, the p-value is
    :math:`\operatorname{erfc}(|R|/\sqrt{2n\sigma^2})` (Vuong 1989; Clauset et al. 2009, §5.1, Eq. 5.4).
    """
    x = check_samples("data", data)
    tail = x[x >= fit.xmin]
    if tail.size < 2:
        raise ValueError(f"fit.xmin={fit.xmin} leaves fewer than 2 samples of data in the tail")
    ll_pl = -fit.alpha * np.log(tail) - math.log(special.zeta(fit.alpha, fit.xmin))
    if alternative == "exponential":
        excess = float(np.mean(tail - fit.xmin))
        lam = math.log1p(1.0 / excess) if excess > 0 else 50.0
        ll_alt = math.log(-math.expm1(-lam)) - lam * (tail - fit.xmin)
        params: tuple[float, ...] = (lam,)
    elif alternative == "lognormal":
        logs = np.log(tail)
        start = np.array([logs.mean(), math.log(max(logs.std(), 0.1))])

        def nll(p: np.ndarray) -> float:
            mu, ls = float(np.clip(p[0], -100.0, 100.0)), float(np.clip(p[1], -5.0, 5.0))
            v = -_lognormal_logpmf(tail, fit.xmin, mu, math.exp(ls)).sum()
            return float(v) if np.isfinite(v) else 1e300

        res = optimize.minimize(nll, start, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-8})
        mu, sig = float(np.clip(res.x[0], -100.0, 100.0)), math.exp(float(np.clip(res.x[1], -5.0, 5.0)))
        ll_alt = _lognormal_logpmf(tail, fit.xmin, mu, sig)
        params = (mu, sig)
    else:
        raise ValueError(f"alternative must be 'exponential' or 'lognormal'; got {alternative!r}")
    ell = ll_pl - ll_alt
    r = float(ell.sum())
    sd = float(ell.std())
    n = tail.size
    if sd > 0:
        norm = r / (sd * math.sqrt(n))
        p = float(special.erfc(abs(r) / (sd * math.sqrt(2.0 * n))))
    else:
        norm, p = 0.0, 1.0
    return LikelihoodRatio(
        alternative=alternative, log_ratio=r, normalized_ratio=norm, p_value=p, params=params
    )
