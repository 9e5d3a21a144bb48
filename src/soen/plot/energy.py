"""Figure of an energy ledger: energy by component and power at 4 K versus at the wall.

Builds a :class:`matplotlib.figure.Figure` without pyplot (works under Agg); save with ``fig.savefig``.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from soen.energy import Ledger

__all__ = ["plot_energy_breakdown"]


def plot_energy_breakdown(ledger: Ledger, *, title: str | None = None) -> Figure:
    """Two panels: energy per component (J, log scale) and power at 4 K and at the wall (W)."""
    if not isinstance(ledger, Ledger):
        raise TypeError(f"ledger must be a soen.energy.Ledger, got {type(ledger).__name__}")
    fig = Figure(figsize=(8.0, 3.6), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[2, 1])
    names = list(ledger.energy_by_component_J)
    vals = [ledger.energy_by_component_J[k] for k in names]
    bars = ax1.bar(names, vals, color="tab:blue")
    positive = [v for v in vals if v > 0]
    if positive:
        ax1.set_yscale("log")
        ax1.set_ylim(min(positive) / 3.0, max(positive) * 3.0)
    tot = ledger.total_energy_J
    for b, v in zip(bars, vals, strict=True):
        if v > 0:
            ax1.annotate(f"{100 * v / tot:.1f} %", (b.get_x() + b.get_width() / 2, v), ha="center",
                         va="bottom", fontsize=8)
    ax1.set_ylabel("energy (J)")
    ax1.tick_params(axis="x", labelrotation=30)
    ax1.set_title(title or f"energy by component (total {tot:.3g} J)")
    ax2.bar(["4 K", "wall"], [ledger.power_4K_W, ledger.power_wall_W], color=["tab:cyan", "tab:red"])
    if ledger.power_4K_W > 0:
        ax2.set_yscale("log")
    ax2.set_ylabel("power (W)")
    ax2.set_title(f"{ledger.cooling_W_per_W:.3g} W/W cooling")
    return fig
