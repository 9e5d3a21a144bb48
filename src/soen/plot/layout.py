"""Figure of a spatial layout: neurons on dies/wafers, their connections and the fibre links.

Builds a :class:`matplotlib.figure.Figure` without pyplot (works under Agg); save with ``fig.savefig``.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from soen.photonics.layout import Layout

__all__ = ["plot_layout"]


def plot_layout(layout: Layout, pre=None, post=None, *, max_connections: int = 2000, seed: int = 0,
                title: str | None = None) -> Figure:
    """Neurons (coloured by die), die outlines, fibre ports, and up to ``max_connections`` connections.

    Intra-die connections are drawn as thin straight lines (the routing itself is not drawn);
    inter-die connections as dashed lines between the two dies' fibre ports. If there are more
    connections than ``max_connections``, an evenly spaced subset is drawn (deterministic; ``seed``
    is kept for API stability).
    """
    if not isinstance(layout, Layout):
        raise TypeError(f"layout must be a soen.photonics.Layout, got {type(layout).__name__}")
    fig = Figure(figsize=(7.0, 5.0), layout="constrained")
    ax = fig.add_subplot()
    cmap = matplotlib.colormaps["tab10"]
    for d in range(layout.n_dies):
        x0, y0 = layout.die_origin_um[d]
        w, h = layout.die_size_um[d]
        ax.add_patch(Rectangle((x0, y0), w, h, fill=False, ec=cmap(d % 10), lw=1.2))
        ax.plot(*layout.port_um[d], marker="s", ms=6, color=cmap(d % 10), mec="k")
    if pre is not None and post is not None:
        pre = np.asarray(pre, dtype=np.int64)
        post = np.asarray(post, dtype=np.int64)
        if pre.shape != post.shape:
            raise ValueError(f"pre and post must have the same shape, got {pre.shape} and {post.shape}")
        idx = np.arange(pre.size)
        if pre.size > max_connections:
            idx = np.linspace(0, pre.size - 1, max_connections).astype(np.int64)
        p, q = pre[idx], post[idx]
        inter = layout.die[p] != layout.die[q]
        segs = np.stack([layout.positions_um[p[~inter]], layout.positions_um[q[~inter]]], axis=1)
        ax.add_collection(LineCollection(segs, colors="0.5", linewidths=0.3, alpha=0.5))
        if inter.any():
            ports = np.stack([layout.port_um[layout.die[p[inter]]], layout.port_um[layout.die[q[inter]]]],
                             axis=1)
            ax.add_collection(LineCollection(np.unique(ports, axis=0), colors="tab:red", linewidths=1.0,
                                             linestyles="dashed", label="fibre"))
    colours = [cmap(int(d) % 10) for d in layout.die]
    ax.scatter(layout.positions_um[:, 0], layout.positions_um[:, 1], s=8, c=colours, zorder=3)
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y (µm)")
    ax.set_title(title or f"{layout.n_neurons} neurons on {layout.n_dies} die(s)")
    return fig
