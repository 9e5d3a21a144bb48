"""Figures of plastic weights: histograms of a projection's weights over time and its weight matrix.

Both take a :class:`~soen.Result` of a run with plastic projections (``plasticity=`` on
:meth:`soen.Network.connect`; snapshot times with ``soen.simulate(..., weights_at_ns=...)``) and return
a :class:`matplotlib.figure.Figure`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

__all__ = ["plot_weight_histograms", "plot_weight_matrix"]


def _snapshots(result, projection: str) -> dict:
    from soen.engine.result import Result

    if not isinstance(result, Result):
        raise TypeError(f"result must be a soen.Result, got {type(result).__name__}")
    return result._snapshots(projection)


def plot_weight_histograms(result, projection: str, *, bins: int = 40, max_panels: int = 6) -> Figure:
    """The weight distribution of ``projection`` at up to ``max_panels`` snapshot times (evenly picked,
    the first and the last always), on one shared range."""
    d = _snapshots(result, projection)
    w, t = d["w"], d["times_ns"]
    if not isinstance(bins, int) or isinstance(bins, bool) or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    if not isinstance(max_panels, int) or isinstance(max_panels, bool) or max_panels < 1:
        raise ValueError(f"max_panels must be a positive integer, got {max_panels!r}")
    pick = np.unique(np.linspace(0, t.size - 1, min(max_panels, t.size)).round().astype(int))
    lo, hi = float(w.min()), float(w.max())
    if hi <= lo:
        hi = lo + 1.0
    fig = Figure(figsize=(2.6 * pick.size, 2.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, pick.size, sharey=True))
    for ax, k in zip(axes, pick):
        ax.hist(w[k], bins=bins, range=(lo, hi), color="C0")
        ax.set(title=f"t = {t[k] / 1e6:g} ms" if t[k] >= 1e6 else f"t = {t[k]:g} ns", xlabel="weight")
    axes[0].set_ylabel("synapses")
    fig.suptitle(f"{projection}: weights over time")
    return fig


def plot_weight_matrix(result, projection: str, t_ns: float | None = None) -> Figure:
    """The weights of ``projection`` at the snapshot at or before ``t_ns`` (default: the last) as a
    pre × post matrix (pre and post indices local to their population or source; absent
    connections blank)."""
    d = _snapshots(result, projection)
    w = result.weights(projection, t_ns)
    pre, post = d["pre"], d["post"]
    n_pre, n_post = int(pre.max(initial=-1)) + 1, int(post.max(initial=-1)) + 1
    m = np.full((max(n_pre, 1), max(n_post, 1)), np.nan)
    m[pre, post] = w
    fig = Figure(figsize=(5, 4), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(m, aspect="auto", interpolation="nearest", origin="lower", cmap="viridis")
    fig.colorbar(im, ax=ax, label="weight")
    ax.set(xlabel="post (local index)", ylabel="pre (local index)", title=f"{projection} weights")
    return fig
