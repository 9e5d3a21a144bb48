"""Figures of a run: spike raster, traces of s and φ, population rates, and a neuron's dendritic tree.

Each function builds and returns a :class:`matplotlib.figure.Figure` without pyplot's global state
(works under Agg, opens no window); save it with ``fig.savefig(path)``. Rates use
:func:`soen.analysis.population_rate_hz`; the rate spectrum and ISI figures are in
:mod:`soen.plot.analysis`.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from soen.analysis.spikes import population_rate_hz
from soen.engine.result import Result
from soen.model.morphology import Neuron

__all__ = ["plot_raster", "plot_traces", "plot_rates", "plot_morphology"]


def _text(s) -> str:
    """A label from a file as plain text for matplotlib (``$`` would start mathtext)."""
    return str(s).replace("$", r"\$")


def _check_result(result) -> Result:
    if not isinstance(result, Result):
        raise TypeError(f"expected a soen.Result, got {type(result).__name__}")
    return result


def _span_ns(result: Result) -> float:
    span = result.t_end_ns if result.t_end_ns > 0 else result.duration_ns
    if result.spike_times_ns.size:
        span = max(span, float(result.spike_times_ns.max()))
    return float(span)


def plot_raster(
    result: Result,
    *,
    populations: list[str] | None = None,
    max_spikes: int = 200_000,
    marker_size: float | None = None,
    ax=None,
) -> Figure:
    """Spike raster: one dot per spike (time in ns against global neuron id), coloured by population.

    Parameters
    ----------
    result : the run.
    populations : names to show (default all, in order).
    max_spikes : at most this many spikes are drawn (an evenly spaced subset beyond it; noted in the title).
    marker_size : dot size in points² (default: larger for small networks).
    ax : draw into these matplotlib axes (default: a new figure).
    """
    result = _check_result(result)
    names = list(result.populations) if populations is None else list(populations)
    for nm in names:
        result._pop(nm)
    if ax is None:
        ax = Figure(figsize=(8.0, 3.6), layout="constrained").subplots()
    fig = ax.figure
    total = sum(result.spikes(nm)[0].size for nm in names)
    stride = max(1, int(np.ceil(total / max_spikes))) if max_spikes > 0 else 1
    if marker_size is None:
        marker_size = 12.0 if result.n_neurons <= 100 else (5.0 if result.n_neurons <= 1000 else 2.0)
    for k, nm in enumerate(names):
        off, n = result.populations[nm]
        t, ids = result.spikes(nm)
        ax.scatter(
            t[::stride],
            ids[::stride] + off,
            s=marker_size,
            color=f"C{k % 10}",
            marker="o",
            linewidths=0,
            label=_text(f"{nm} ({n})"),
            rasterized=True,
        )
        ax.axhspan(off - 0.5, off + n - 0.5, color=f"C{k % 10}", alpha=0.05, lw=0)
    ax.set_xlim(0, _span_ns(result))
    ax.set_ylim(-0.5, max(result.n_neurons, 1) - 0.5)
    ax.set_xlabel("time (ns)")
    ax.set_ylabel("neuron (global id)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    title = f"{total} spikes"
    if stride > 1:
        title += f" (every {stride}th shown)"
    ax.set_title(title, fontsize=9)
    if names:
        ax.legend(loc="upper right", fontsize=8, markerscale=1.5, frameon=True)
    return fig


def plot_traces(result: Result, which: list | None = None, *, max_traces: int = 12, axes=None) -> Figure:
    """Recorded loop currents s (units of I_c) and applied fluxes φ (units of Φ0) against time.

    Parameters
    ----------
    result : the run (with traces recorded).
    which : trace indices or labels ``(population, neuron, dendrite)`` (default: the first ``max_traces``).
    max_traces : cap on the number of traces drawn by default.
    axes : a pair of matplotlib axes (s, φ) to draw into (default: a new figure).
    """
    result = _check_result(result)
    n = len(result.trace_labels)
    if which is None:
        idx = list(range(min(n, max_traces)))
    else:
        idx = []
        for w in which:
            if isinstance(w, (int, np.integer)):
                if not 0 <= int(w) < n:
                    raise ValueError(f"trace index {w} out of range 0..{n - 1}")
                idx.append(int(w))
            else:
                if tuple(w) not in result.trace_labels:
                    raise ValueError(f"{w!r} was not recorded")
                idx.append(result.trace_labels.index(tuple(w)))
    if axes is None:
        axes = Figure(figsize=(8.0, 4.8), layout="constrained").subplots(2, 1, sharex=True)
    ax_s, ax_phi = axes
    fig = ax_s.figure
    t = result.trace_times_ns
    for k in idx:
        pop, i, d = result.trace_labels[k]
        label = _text(f"{pop}[{i}].{d}")
        ax_s.plot(t, result.traces_s[:, k], lw=0.8, label=label)
        ax_phi.plot(t, result.traces_phi[:, k], lw=0.8, label=label)
    if not idx:
        ax_s.text(0.5, 0.5, "no traces recorded", ha="center", va="center", transform=ax_s.transAxes)
    ax_s.set_ylabel("s (I_c)")
    ax_phi.set_ylabel("φ (Φ0)")
    ax_phi.set_xlabel("time (ns)")
    if idx:
        ax_s.legend(fontsize=7, ncol=min(4, len(idx)), frameon=False, loc="upper right")
    return fig


def plot_rates(result: Result, *, bin_ns: float | None = None, smooth_ns: float | None = None) -> Figure:
    """Population rate of each population (spikes per neuron per second, in MHz) against time.

    ``bin_ns`` defaults to 1/200 of the simulated time (at least dt); ``smooth_ns`` applies a Gaussian
    filter (:func:`soen.analysis.population_rate_hz`).
    """
    result = _check_result(result)
    span = _span_ns(result)
    if bin_ns is None:
        bin_ns = max(result.dt_ns, span / 200.0)
    fig = Figure(figsize=(8.0, 3.0), layout="constrained")
    ax = fig.subplots()
    for k, (nm, (_, n)) in enumerate(result.populations.items()):
        t, _ = result.spikes(nm)
        centres, rate = population_rate_hz(t, n, span, bin_ns=bin_ns, smooth_ns=smooth_ns)
        ax.plot(centres, rate / 1e6, lw=1.0, color=f"C{k % 10}", label=_text(nm))
    ax.set_xlabel("time (ns)")
    ax.set_ylabel("rate per neuron (MHz)")
    ax.set_xlim(0, span)
    ax.set_title(f"population rates, {bin_ns:.3g} ns bins", fontsize=9)
    if result.populations:
        ax.legend(fontsize=8, frameon=False)
    return fig


def _levels(neuron: Neuron) -> np.ndarray:
    """Distance (in couplings) from each dendrite to the soma; unreachable ones one level further out."""
    n = neuron.n_dendrites
    into: list[list[int]] = [[] for _ in range(n)]  # into[t] = sources feeding t
    for s, t, _ in neuron.couplings:
        if s != t:
            into[t].append(s)
    level = np.full(n, -1, dtype=np.int64)
    level[0] = 0
    queue = deque([0])
    while queue:
        t = queue.popleft()
        for s in into[t]:
            if level[s] < 0:
                level[s] = level[t] + 1
                queue.append(s)
    far = int(level.max()) + 1
    level[level < 0] = far
    return level


#: neurons with more dendrites than this are summarised (dendrites per level) instead of drawn node by node
MORPHOLOGY_MAX_DRAWN = 400


def plot_morphology(
    neuron: Neuron, *, title: str | None = None, max_drawn: int = MORPHOLOGY_MAX_DRAWN
) -> Figure:
    """The dendritic graph of a neuron: soma at the root (top), dendrites below by distance to it.

    Each coupling (source → target, J) is an arrow from the source dendrite towards the dendrite it
    feeds, red for J > 0 (excitatory), blue for J < 0 (inhibitory), width ∝ |J|; self-couplings are
    rings. Synaptic sites are drawn as filled squares. A neuron with more than ``max_drawn`` dendrites
    is summarised instead: dendrites, synaptic sites and excitatory/inhibitory couplings per level
    (cost linear in the size of the neuron).
    """
    if not isinstance(neuron, Neuron):
        raise TypeError(f"plot_morphology expects a soen.Neuron, got {type(neuron).__name__}")
    lev = _levels(neuron)
    if neuron.n_dendrites > max_drawn:
        return _morphology_summary(neuron, lev, title)
    return _morphology_graph(neuron, lev, title)


def _morphology_summary(neuron: Neuron, lev: np.ndarray, title: str | None) -> Figure:
    n = neuron.n_dendrites
    n_lev = int(lev.max()) + 1
    per_level = np.bincount(lev, minlength=n_lev)
    sites = np.bincount(lev[np.asarray(neuron.sites(), dtype=np.int64)], minlength=n_lev)
    if neuron.couplings:
        c = np.asarray([(s, J) for s, _, J in neuron.couplings], dtype=float)
        src_lev = lev[c[:, 0].astype(np.int64)]
        exc = np.bincount(src_lev, weights=c[:, 1] > 0, minlength=n_lev)
        inh = np.bincount(src_lev, weights=c[:, 1] < 0, minlength=n_lev)
    else:
        exc = inh = np.zeros(n_lev)
    fig = Figure(figsize=(6.0, 1.0 + 0.35 * min(n_lev, 40)), layout="constrained")
    ax = fig.subplots()
    y = np.arange(n_lev)
    h = 0.27
    ax.barh(y - h, per_level, height=h, color="0.55", label="dendrites")
    ax.barh(y, sites, height=h, color="0.25", label="synaptic sites")
    ax.barh(y + h, exc, height=h / 2, color="tab:red", label="couplings J > 0 (from this level)")
    ax.barh(y + 1.5 * h, inh, height=h / 2, color="tab:blue", label="couplings J < 0")
    ax.set_yticks(y, [f"level {k}" for k in range(n_lev)] if n_lev <= 40 else None)
    ax.invert_yaxis()
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlabel("count")
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    head = _text(title) + ": " if title else "neuron: "
    ax.set_title(
        f"{head}{n:,} dendrites, {len(neuron.couplings):,} couplings, {n_lev} levels "
        f"(summarised: too many to draw)",
        fontsize=9,
    )
    return fig


def _morphology_graph(neuron: Neuron, lev: np.ndarray, title: str | None) -> Figure:
    from matplotlib.collections import LineCollection

    names = neuron.dendrite_names()
    n = neuron.n_dendrites
    n_lev = int(lev.max()) + 1
    # x positions: level by level, children ordered by the mean x of the dendrites they feed
    x = np.zeros(n)
    feeds: list[list[int]] = [[] for _ in range(n)]
    for s, t, _ in neuron.couplings:
        if s != t:
            feeds[s].append(t)
    members_of = [np.flatnonzero(lev == L) for L in range(n_lev)]
    for L, members in enumerate(members_of):
        key = [
            np.mean([x[t] for t in feeds[k] if lev[t] < L]) if any(lev[t] < L for t in feeds[k]) else k
            for k in members
        ]
        ordered = [m for _, m in sorted(zip(key, members.tolist(), strict=True))]
        for j, k in enumerate(ordered):
            x[k] = (j + 0.5) / len(ordered)
    y = -lev.astype(float)
    fig = Figure(
        figsize=(max(4.0, min(12.0, 0.45 * max(np.bincount(lev)) + 2)), 1.4 * n_lev + 1.0),
        layout="constrained",
    )
    ax = fig.subplots()
    jmax = max([abs(J) for _, _, J in neuron.couplings] + [1e-12])
    segs, colors, widths = [], [], []
    for s, t, J in neuron.couplings:
        color = "tab:red" if J > 0 else ("tab:blue" if J < 0 else "0.5")
        width = 0.6 + 2.4 * abs(J) / jmax
        if s == t:
            ax.scatter([x[s]], [y[s]], s=500, facecolors="none", edgecolors=color, linewidths=width, zorder=1)
        elif len(neuron.couplings) <= 120:
            ax.annotate(
                "",
                xy=(x[t], y[t]),
                xytext=(x[s], y[s]),
                zorder=1,
                arrowprops=dict(arrowstyle="-|>", color=color, lw=width, shrinkA=7, shrinkB=7),
            )
        else:  # many edges: one collection of lines (no arrow heads), drawn at once
            segs.append([(x[s], y[s]), (x[t], y[t])])
            colors.append(color)
            widths.append(width)
    if segs:
        ax.add_collection(LineCollection(segs, colors=colors, linewidths=widths, zorder=1))
    sites = np.zeros(n, dtype=bool)
    sites[list(neuron.sites())] = True
    plain = np.flatnonzero(~sites)
    plain = plain[plain > 0]
    on = np.flatnonzero(sites)
    on = on[on > 0]
    ax.scatter(x[plain], y[plain], s=70, marker="o", c="w", edgecolors="k", zorder=3)
    ax.scatter(x[on], y[on], s=70, marker="s", c="0.35", edgecolors="k", zorder=3)
    ax.scatter([x[0]], [y[0]], s=160, marker="s" if sites[0] else "o", c="k", edgecolors="k", zorder=3)
    if n <= 40:
        for k in range(n):
            ax.annotate(
                _text(names[k]),
                (x[k], y[k]),
                xytext=(0, 8),
                textcoords="offset points",
                ha="center",
                fontsize=7,
                zorder=4,
            )
    ax.plot([], [], color="tab:red", label="J > 0")
    ax.plot([], [], color="tab:blue", label="J < 0")
    ax.scatter([], [], marker="s", c="0.35", edgecolors="k", label="synaptic site")
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-n_lev + 0.4, 0.6)
    ax.set_yticks(-np.arange(n_lev), [f"level {k}" for k in range(n_lev)])
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title(
        _text(title) if title else f"neuron: {n} dendrites, {len(neuron.couplings)} couplings", fontsize=9
    )
    return fig
