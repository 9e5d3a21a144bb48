"""Layout and connection geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from soen.photonics import Layout


def _cross_layout(**routing):
    pos = [[10.0, 50.0], [90.0, 50.0], [50.0, 10.0], [50.0, 90.0]]
    return Layout.from_coordinates(pos, die_origin_um=[[0.0, 0.0]], die_size_um=[[100.0, 100.0]], **routing)


def test_grid_positions_and_lengths():
    lay = Layout.grid(6, pitch_um=100.0, columns=3)
    np.testing.assert_allclose(lay.positions_um[:4], [[50, 50], [150, 50], [250, 50], [50, 150]])
    geo = lay.connection_geometry([0, 0, 0], [1, 4, 5])
    np.testing.assert_allclose(geo.length_um, [100.0, 200.0, 300.0])  # Manhattan
    lay = Layout.grid(6, pitch_um=100.0, columns=3, metric="euclidean", routing_factor=1.5)
    geo = lay.connection_geometry([0, 0], [1, 5])
    np.testing.assert_allclose(geo.length_um, [150.0, 1.5 * math.hypot(200.0, 100.0)])
    assert np.all(geo.fibre_length_um == 0) and not geo.inter_die.any()


def test_multi_die_fibre_and_on_chip_pieces():
    lay = Layout.grid(8, pitch_um=100.0, n_dies=2, die_gap_um=800.0)  # 2×2 grid per die, die 200 µm wide
    assert lay.n_dies == 2 and lay.die.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    np.testing.assert_allclose(lay.die_origin_um, [[0, 0], [1000, 0]])
    np.testing.assert_allclose(lay.port_um, [[100, 100], [1100, 100]])
    geo = lay.connection_geometry([0], [7])
    # neuron 0 at (50,50) → port (100,100): 100 µm; port (1100,100) → neuron 7 at (1150,150): 100 µm
    assert geo.length_um[0] == pytest.approx(200.0)
    assert geo.fibre_length_um[0] == pytest.approx(1000.0)
    assert geo.n_fibre_facets[0] == 2 and geo.inter_die[0]
    slack = Layout.grid(8, pitch_um=100.0, n_dies=2, die_gap_um=800.0, fibre_slack_um=5e4)
    assert slack.connection_geometry([0], [7]).fibre_length_um[0] == pytest.approx(51000.0)


def test_crossing_estimate_hand_manhattan_and_euclidean():
    geo = _cross_layout().connection_geometry([0, 2], [1, 3])
    np.testing.assert_allclose(geo.n_crossings, [80 * 80 / 1e4] * 2)
    np.testing.assert_allclose(geo.n_plane_changes, [0.0, 0.0])
    geo = _cross_layout(metric="euclidean", n_routing_planes=2).connection_geometry([0, 2], [1, 3])
    np.testing.assert_allclose(geo.n_crossings, [2 * 80 * 80 / (math.pi * 1e4 * 2)] * 2)
    np.testing.assert_allclose(geo.n_plane_changes, [1.0, 1.0])  # P − 1
    # a lone connection crosses nothing
    assert _cross_layout().connection_geometry([0], [1]).n_crossings[0] == 0.0


def test_splitting_tree_shares_waveguide():
    # transmitter 0 at (0, 50) feeds 10 targets on a horizontal line: its tree is the 100 µm trunk,
    # not 10 separate wires (550 µm); a vertical wire of another transmitter crosses it once.
    pos = [[0.0, 50.0]] + [[10.0 * i, 50.0] for i in range(1, 11)] + [[50.0, 0.0], [50.0, 100.0]]
    lay = Layout.from_coordinates(pos, die_origin_um=[[0.0, 0.0]], die_size_um=[[100.0, 100.0]])
    pre = [0] * 10 + [11]
    post = list(range(1, 11)) + [12]
    geo = lay.connection_geometry(pre, post)
    assert geo.n_crossings[-1] == pytest.approx(100.0 * 100.0 / 1e4)  # exactly one crossing
    np.testing.assert_allclose(geo.n_crossings[:10], np.arange(10, 101, 10) * 100.0 / 1e4)


def test_random_uniform_counter_based():
    a = Layout.random_uniform(10, (500.0, 300.0), seed=4)
    b = Layout.random_uniform(25, (500.0, 300.0), seed=4)
    np.testing.assert_array_equal(a.positions_um, b.positions_um[:10])
    assert np.all((a.positions_um >= 0) & (a.positions_um <= [500.0, 300.0]))
    c = Layout.random_uniform(10, (500.0, 300.0), seed=5)
    assert not np.array_equal(a.positions_um, c.positions_um)


@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (lambda: Layout.grid(0), ValueError, "n must be an integer ≥ 1, got 0"),
        (lambda: Layout.grid(4, pitch_um=-1.0), ValueError, "pitch_um"),
        (lambda: Layout.grid(4, metric="taxicab"), ValueError, "metric = 'taxicab'"),
        (lambda: Layout.grid(4, routing_factor=0.5), ValueError, "routing_factor"),
        (lambda: Layout.grid(4, n_routing_planes=0), ValueError, "n_routing_planes"),
        (lambda: Layout.from_coordinates([[0.0, 1.0, 2.0]]), ValueError, r"shape \(N, 2\)"),
        (lambda: Layout.random_uniform(4, seed=-1), ValueError, "seed"),
        (lambda: Layout.random_uniform(4, seed=1.5), TypeError, "seed"),
        (lambda: Layout.grid(4).connection_geometry([0], [4]), ValueError, "post has entry 4 above"),
        (lambda: Layout.grid(4).connection_geometry([0, 1], [1]), ValueError, "same shape"),
        (lambda: Layout.grid(4).connection_geometry([0.5], [1]), TypeError,
         "pre must be an array of integers"),
    ],
)
def test_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_plot_layout_returns_figure():
    from matplotlib.figure import Figure

    from soen.plot.layout import plot_layout

    lay = Layout.random_uniform(30, (1000.0, 1000.0), seed=1, n_dies=2)
    rng = np.random.default_rng(0)
    fig = plot_layout(lay, rng.integers(0, 30, 100), rng.integers(0, 30, 100), max_connections=50)
    assert isinstance(fig, Figure)
    with pytest.raises(TypeError, match="layout"):
        plot_layout("not a layout")
