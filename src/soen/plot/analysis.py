"""Figures for the analysis module: avalanches, degrees, population rate and spectrum, ISIs.

Each function builds and returns a :class:`matplotlib.figure.Figure` without touching pyplot's global
state (no window, works under the Agg backend); save it with ``fig.savefig(path)``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from soen.analysis.avalanches import Avalanches
from soen.analysis.powerlaw import PowerLawFit
from soen.analysis.spikes import band_powers, interspike_intervals_ns, population_rate_hz, population_spectrum
from soen.analysis.topology import Graph, degrees

__all__ = [
    "plot_avalanche_distributions",
    "plot_degree_distribution",
    "plot_population_rate",
    "plot_isi_histogram",
]


def _ccdf(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and the empirical P(X ≥ x)."""
    vals, cnt = np.unique(x, return_counts=True)
    surv = cnt[::-1].cumsum()[::-1] / x.size
    return vals, surv


def _ccdf_panel(ax, data: np.ndarray, fit: PowerLawFit | None, label: str, symbol: str) -> None:
    vals, surv = _ccdf(np.asarray(data))
    ax.loglog(vals, surv, ".", ms=3, color="0.3", label="data")
    if fit is not None:
        x = np.unique(np.geomspace(fit.xmin, max(vals.max(), fit.xmin + 1), 200).round())
        frac = fit.n_tail / fit.n
        ax.loglog(
            x,
            frac * fit.ccdf(x),
            "-",
            color="C3",
            label=f"{symbol} = {fit.alpha:.2f} ± {fit.alpha_err:.2f}, x_min = {fit.xmin}",
        )
    ax.set_xlabel(label)
    ax.set_ylabel("P(X ≥ x)")
    ax.legend(fontsize=8, frameon=False)


def plot_avalanche_distributions(
    avalanches: Avalanches,
    *,
    size_fit: PowerLawFit | None = None,
    duration_fit: PowerLawFit | None = None,
) -> Figure:
    """Complementary CDFs of avalanche sizes and durations, with fitted power laws if given.

    The fitted line is the model CCDF ζ(α, x)/ζ(α, x_min) scaled by the tail fraction n_tail/n, so it
    lies on the data where the power law holds. The CCDF of p(x) ∝ x^−α falls as x^(1−α).
    """
    fig = Figure(figsize=(8.0, 3.4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    _ccdf_panel(ax1, avalanches.sizes, size_fit, "size S (events)", "τ")
    t_label = f"duration T (bins of {avalanches.bin_ns:.3g} ns)"
    _ccdf_panel(ax2, avalanches.durations, duration_fit, t_label, "α")
    fig.suptitle(f"{len(avalanches)} avalanches")
    return fig


def plot_degree_distribution(graph: Graph, n_nodes: int | None = None) -> Figure:
    """Degree distributions P(k) (in, out, total) on log–log axes (zero degrees omitted)."""
    d = degrees(graph, n_nodes)
    fig = Figure(figsize=(4.5, 3.4), layout="constrained")
    ax = fig.subplots()
    for name, k, style in (("in", d.in_degree, "o"), ("out", d.out_degree, "s"), ("total", d.total, "^")):
        vals, cnt = np.unique(k[k > 0], return_counts=True)
        if vals.size:
            ax.loglog(vals, cnt / k.size, style, ms=3, label=name, alpha=0.8)
    ax.set_xlabel("degree k")
    ax.set_ylabel("P(k)")
    ax.legend(frameon=False)
    return fig


def plot_population_rate(
    times_ns: np.ndarray,
    n_neurons: int,
    duration_ns: float,
    *,
    bin_ns: float,
    smooth_ns: float | None = None,
    n_bands: int = 8,
) -> Figure:
    """Population rate against time, and its Welch spectrum with log-spaced band powers."""
    t, rate = population_rate_hz(times_ns, n_neurons, duration_ns, bin_ns=bin_ns, smooth_ns=smooth_ns)
    freq, psd = population_spectrum(times_ns, n_neurons, duration_ns, bin_ns=bin_ns)
    fig = Figure(figsize=(8.0, 3.4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(t, rate, lw=0.8)
    ax1.set_xlabel("time (ns)")
    ax1.set_ylabel("rate per neuron (Hz)")
    pos = freq > 0
    ax2.loglog(freq[pos], psd[pos] + np.finfo(float).tiny, lw=0.8, label="PSD")
    if pos.sum() >= 2:
        edges, power = band_powers(freq, psd, f_min_hz=freq[pos][0], f_max_hz=freq[-1], n_bands=n_bands)
        width = np.diff(edges)
        ax2.stairs(power / width + np.finfo(float).tiny, edges, color="C3", label="band mean")
    ax2.set_xlabel("frequency (Hz)")
    ax2.set_ylabel("PSD (Hz²/Hz)")
    ax2.legend(frameon=False, fontsize=8)
    return fig


def plot_isi_histogram(
    times_ns: np.ndarray,
    neuron_ids: np.ndarray,
    n_neurons: int,
    *,
    n_bins: int = 50,
    log: bool = True,
) -> Figure:
    """Histogram of all neurons' inter-spike intervals (log-spaced bins if ``log``)."""
    isis = interspike_intervals_ns(times_ns, neuron_ids, n_neurons)
    allisi = np.concatenate(isis) if isis else np.empty(0)
    fig = Figure(figsize=(4.5, 3.4), layout="constrained")
    ax = fig.subplots()
    allisi = allisi[allisi > 0] if log else allisi
    if allisi.size:
        if log and allisi.max() > allisi.min():
            bins = np.geomspace(allisi.min(), allisi.max(), n_bins + 1)
            ax.set_xscale("log")
        else:
            bins = n_bins
        ax.hist(allisi, bins=bins, color="0.4")
        cv = allisi.std() / allisi.mean()
        ax.set_title(f"pooled ISIs: n = {allisi.size}, CV = {cv:.2f}", fontsize=9)
    ax.set_xlabel("ISI (ns)")
    ax.set_ylabel("count")
    return fig
