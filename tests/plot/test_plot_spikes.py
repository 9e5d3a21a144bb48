"""Figures of a run: raster, traces, rates, morphology (Agg, no pyplot state)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

import soen
from soen.plot.spikes import plot_morphology, plot_raster, plot_rates, plot_traces


@pytest.fixture(scope="module")
def result():
    net = soen.Network()
    net.add_population("exc", 12, soen.tree_neuron((2, 4)))
    net.add_population("inh", 4, soen.point_neuron())
    net.add_source(soen.PoissonSource("inp", 12, rate_hz=40e6))
    net.connect("inp", "exc", soen.FixedInDegree(3))
    net.connect("exc", "inh", soen.FixedInDegree(3), weight=0.8)
    return soen.simulate(net, 200.0, seed=4, record=[("exc", [0], "all")], record_every_ns=1.0)


def test_figures_are_figures_without_pyplot(result, tmp_path):
    before = plt.get_fignums()
    figs = [
        plot_raster(result),
        plot_traces(result),
        plot_rates(result, smooth_ns=3.0),
        plot_morphology(soen.tree_neuron((3, 9))),
    ]
    assert plt.get_fignums() == before
    for k, fig in enumerate(figs):
        assert isinstance(fig, Figure)
        fig.savefig(tmp_path / f"f{k}.png")
        assert (tmp_path / f"f{k}.png").stat().st_size > 5_000


def test_raster_colours_populations(result):
    fig = plot_raster(result)
    ax = fig.axes[0]
    offsets = [c.get_offsets() for c in ax.collections if len(c.get_offsets())]
    assert sum(len(o) for o in offsets) == result.spike_ids.size
    colours = {tuple(c.get_facecolor()[0]) for c in ax.collections if len(c.get_offsets())}
    assert len(colours) == len([p for p in result.populations if result.spikes(p)[0].size])
    small = plot_raster(result, max_spikes=10)
    assert "shown" in small.axes[0].get_title()
    with pytest.raises(ValueError, match="unknown population"):
        plot_raster(result, populations=["nope"])


def test_traces_has_s_and_phi(result):
    fig = plot_traces(result, which=[0, ("exc", 0, "L1_1")])
    ax_s, ax_phi = fig.axes
    assert len(ax_s.lines) == 2 and len(ax_phi.lines) == 2
    np.testing.assert_array_equal(ax_phi.lines[0].get_ydata(), result.traces_phi[:, 0])
    assert "Φ0" in ax_phi.get_ylabel()
    with pytest.raises(ValueError, match="not recorded"):
        plot_traces(result, which=[("exc", 5, "soma")])


def test_rates_one_line_per_population(result):
    ax = plot_rates(result, bin_ns=5.0).axes[0]
    assert [line.get_label() for line in ax.lines] == ["exc", "inh"]


def test_morphology_soma_on_top_and_signs_coloured():
    neuron = soen.exc_inh_neuron(n_exc=2, n_inh=1)
    fig = plot_morphology(neuron)
    ax = fig.axes[0]
    arrows = [t.arrow_patch for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
    colours = [to_rgba(a.get_edgecolor()) for a in arrows]
    assert colours.count(to_rgba("tab:red")) == 2 and colours.count(to_rgba("tab:blue")) == 1
    ys = {tuple(c.get_offsets()[0]) for c in ax.collections if len(c.get_offsets())}
    assert max(y for _, y in ys) == 0.0  # the soma is the root, at the top
    with pytest.raises(TypeError, match="Neuron"):
        plot_morphology("not a neuron")


def test_morphology_of_a_graph_with_loops_and_unreachable_dendrites():
    n = soen.dag_neuron([soen.Dendrite()] * 4, [(1, 0, 0.5), (2, 1, -0.3), (2, 2, 0.1), (1, 2, 0.2)])
    fig = plot_morphology(n)  # dendrites 3 and 4 do not reach the soma: drawn one level further out
    assert isinstance(fig, Figure)
