"""Network generators: reproducibility, sizes and densities, structure, validation (soen.generators)."""

from __future__ import annotations

import numpy as np
import pytest

from soen.analysis import average_clustering, degrees, small_world
from soen.generators import (
    erdos_renyi,
    grid_2d,
    modular_hierarchical,
    ring_lattice,
    spatial_growth,
    watts_strogatz,
)


def _edge_set(pre, post):
    return set(zip(pre.tolist(), post.tolist()))


def _assert_simple(pre, post, *, symmetric):
    assert pre.dtype == np.int64 and post.dtype == np.int64
    assert not np.any(pre == post), "self-loop"
    e = _edge_set(pre, post)
    assert len(e) == pre.size, "duplicate edge"
    if symmetric:
        assert all((b, a) in e for a, b in e)


CASES = {
    "erdos_renyi": lambda s: erdos_renyi(200, 0.05, seed=s),
    "erdos_renyi_dir": lambda s: erdos_renyi(200, 0.05, directed=True, seed=s),
    "watts_strogatz": lambda s: watts_strogatz(200, 6, 0.2, seed=s),
    "watts_strogatz_dir": lambda s: watts_strogatz(200, 6, 0.2, directed=True, seed=s),
    "modular": lambda s: modular_hierarchical(8, 3, 2, [0.5, 0.1, 0.02], seed=s),
    "modular_undir": lambda s: modular_hierarchical(8, 3, 2, [0.5, 0.1, 0.02], directed=False, seed=s),
    "spatial": lambda s: spatial_growth(200, 600, length_scale=0.1, seed=s)[:2],
    "spatial_dir": lambda s: spatial_growth(200, 600, length_scale=0.1, directed=True, seed=s)[:2],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_reproducible_and_simple(name):
    a = CASES[name](7)
    b = CASES[name](7)
    c = CASES[name](8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[0].size != c[0].size or not np.array_equal(a[1], c[1])
    _assert_simple(*a, symmetric=not name.endswith("_dir") and name != "modular")


def test_erdos_renyi_density():
    # expected entries p n (n-1) = 0.05 * 400 * 399 = 7980; binomial sd ≈ 87 (directed), 2*62 (undirected)
    for directed, sd in ((True, 87.0), (False, 124.0)):
        counts = [erdos_renyi(400, 0.05, directed=directed, seed=s)[0].size for s in range(5)]
        assert abs(np.mean(counts) - 7980) < 4 * sd / np.sqrt(5)
        assert all(abs(c - 7980) < 5 * sd for c in counts)


def test_ring_lattice_and_grid():
    pre, post = ring_lattice(20, 4)
    assert pre.size == 80 and np.all(np.bincount(pre) == 4)
    assert average_clustering((pre, post)) == pytest.approx(0.5)  # 3(k-2)/(4(k-1)) for k = 4
    pre, post, pos = grid_2d(5, 7)
    assert pre.size == 2 * (5 * 6 + 4 * 7) and pos.shape == (35, 2)
    pre, post, _ = grid_2d(5, 7, periodic=True)
    assert np.all(np.bincount(pre) == 4)


def test_watts_strogatz_sizes_and_small_world():
    pre, post = watts_strogatz(400, 8, 0.05, seed=1)
    assert pre.size == 400 * 8  # n k / 2 undirected edges, both ways
    assert np.all(degrees((pre, post)).out_degree >= 1)
    pre_d, post_d = watts_strogatz(400, 8, 0.3, directed=True, seed=1)
    assert np.all(np.bincount(pre_d, minlength=400) == 8)  # out-degree k exactly
    sw = small_world((pre, post), n_random=3, seed=2)
    assert sw.sigma > 3.0  # C ≫ C_rand while L ≈ L_rand
    assert -0.5 < sw.omega < 0.5
    ring = small_world(watts_strogatz(400, 8, 0.0, seed=1), n_random=2)
    rand = small_world(watts_strogatz(400, 8, 1.0, seed=1), n_random=2)
    assert ring.omega < -0.5 and rand.omega > 0.5  # ω: lattice → −1, small world ≈ 0, random → +1
    assert rand.sigma == pytest.approx(1.0, abs=0.5)


def test_modular_hierarchical_level_densities():
    s, b, n_levels = 16, 4, 3
    ps = [0.5, 0.1, 0.02, 0.005]
    pre, post = modular_hierarchical(s, b, n_levels, ps, seed=3)
    n = s * b**n_levels
    lca = np.zeros(pre.size, dtype=int)
    for lev in range(n_levels):
        size = s * b**lev
        lca[pre // size != post // size] = lev + 1
    got = np.bincount(lca, minlength=n_levels + 1)
    pairs = [n * (s - 1)] + [n * s * b ** (lev - 1) * (b - 1) for lev in range(1, n_levels + 1)]
    for lev in range(n_levels + 1):
        mean = pairs[lev] * ps[lev]
        assert abs(got[lev] - mean) < 5 * np.sqrt(mean * (1 - ps[lev])), (lev, got[lev], mean)
    assert average_clustering((pre, post)) > 5 * pre.size / (n * (n - 1))


def test_spatial_growth_rule():
    n, m = 600, 2400
    pre, post, pos = spatial_growth(n, m, length_scale=0.05, degree_exponent=0.0, seed=4)
    assert pre.size == 2 * m and pos.shape == (n, 2)
    assert pos.min() >= 0 and pos.max() <= 1
    edge_len = np.linalg.norm(pos[pre] - pos[post], axis=1).mean()
    assert edge_len < 0.25  # random pairs in the unit square: mean 0.52
    # preferential attachment (beta > 0) broadens the degree distribution
    k0 = np.bincount(pre, minlength=n)
    pre2, _, _ = spatial_growth(n, m, length_scale=10.0, degree_exponent=1.5, seed=4)
    k2 = np.bincount(pre2, minlength=n)
    assert k2.max() > 3 * k0.max()
    pre3, post3, pos3 = spatial_growth(50, 60, length_scale=0.2, dim=3, box_size=100.0, directed=True, seed=1)
    assert pre3.size == 60 and pos3.shape == (50, 3) and pos3.max() <= 100.0


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: erdos_renyi(0, 0.1), ValueError, r"n_nodes must be an integer >= 1; got 0"),
        (lambda: erdos_renyi(10, 1.5), ValueError, r"p must be in \[0, 1\]; got 1\.5"),
        (lambda: erdos_renyi(10, 0.1, seed=-1), ValueError, r"seed must be a non-negative integer"),
        (lambda: erdos_renyi(10.5, 0.1), TypeError, r"n_nodes must be an integer >= 1; got 10\.5"),
        (lambda: watts_strogatz(10, 3, 0.1), ValueError, r"k must be even and < n_nodes - 1 = 9; got 3"),
        (lambda: ring_lattice(10, 12), ValueError, r"k must be even and < n_nodes=10; got 12"),
        (
            lambda: modular_hierarchical(4, 2, 2, [0.5, 0.1]),
            ValueError,
            r"p_levels must have n_levels \+ 1 = 3 entries; got 2",
        ),
        (
            lambda: modular_hierarchical(4, 2, 1, [0.5, -0.1]),
            ValueError,
            r"p_levels\[1\] must be in \[0, 1\]; got -0\.1",
        ),
        (
            lambda: spatial_growth(10, 100, length_scale=1.0),
            ValueError,
            r"n_edges must be <= n_nodes\*\(n_nodes-1\)/2 = 45; got 100",
        ),
        (
            lambda: spatial_growth(10, 10, length_scale=0.0),
            ValueError,
            r"length_scale must be a finite number > 0; got 0\.0",
        ),
        (
            lambda: spatial_growth(10, 10, length_scale=1.0, dim=4),
            ValueError,
            r"dim must be 1, 2 or 3; got 4",
        ),
        (lambda: grid_2d(2, 5, periodic=True), ValueError, r"n_rows and n_cols must be >= 3"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
