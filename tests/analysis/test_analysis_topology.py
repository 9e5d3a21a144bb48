"""Topology metrics against networkx and analytic lattices (soen.analysis.topology)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from soen.analysis import (
    as_adjacency,
    average_clustering,
    characteristic_path_length,
    clustering,
    degree_distribution,
    degrees,
    modularity,
    modularity_score,
    rent_exponent,
)
from soen.generators import erdos_renyi, grid_2d, modular_hierarchical

N = 250


@pytest.fixture(scope="module")
def directed_er():
    return erdos_renyi(N, 0.04, directed=True, seed=5)


def _nx_digraph(nx, pre, post, n):
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(pre.tolist(), post.tolist()))
    return g


def test_sparse_and_edge_inputs_agree(directed_er):
    pre, post = directed_er
    a = sparse.coo_matrix((np.full(pre.size, 2.5), (pre, post)), shape=(N, N))
    assert (as_adjacency(a) != as_adjacency((pre, post), N)).nnz == 0
    np.testing.assert_array_equal(clustering(a), clustering((pre, post), N))


def test_degrees_match_networkx(directed_er):
    nx = pytest.importorskip("networkx")
    pre, post = directed_er
    g = _nx_digraph(nx, pre, post, N)
    d = degrees((pre, post), N)
    np.testing.assert_array_equal(d.in_degree, [g.in_degree(i) for i in range(N)])
    np.testing.assert_array_equal(d.out_degree, [g.out_degree(i) for i in range(N)])
    np.testing.assert_array_equal(d.total, [g.degree(i) for i in range(N)])
    k, pk = degree_distribution(d.total)
    assert pk.sum() == pytest.approx(1.0) and np.all(np.diff(k) > 0)


def test_clustering_matches_networkx(directed_er):
    nx = pytest.importorskip("networkx")
    pre, post = directed_er
    g = _nx_digraph(nx, pre, post, N)
    cd = nx.clustering(g)
    np.testing.assert_allclose(
        clustering((pre, post), N, directed=True), [cd[i] for i in range(N)], atol=1e-12
    )
    u = g.to_undirected()
    cu = nx.clustering(u)
    np.testing.assert_allclose(clustering((pre, post), N), [cu[i] for i in range(N)], atol=1e-12)
    assert average_clustering((pre, post), N) == pytest.approx(nx.average_clustering(u))
    # a denser undirected graph, where clustering is larger
    p2, q2 = erdos_renyi(120, 0.2, seed=6)
    h = nx.Graph(list(zip(p2.tolist(), q2.tolist())))
    assert average_clustering((p2, q2)) == pytest.approx(nx.average_clustering(h))


def test_path_length_matches_networkx(directed_er):
    nx = pytest.importorskip("networkx")
    pre, post = directed_er
    g = _nx_digraph(nx, pre, post, N)
    assert nx.is_strongly_connected(g)
    assert characteristic_path_length((pre, post), N, directed=True) == pytest.approx(
        nx.average_shortest_path_length(g)
    )
    assert characteristic_path_length((pre, post), N) == pytest.approx(
        nx.average_shortest_path_length(g.to_undirected())
    )
    est = characteristic_path_length((pre, post), N, max_sources=60, seed=1)
    assert est == pytest.approx(nx.average_shortest_path_length(g.to_undirected()), rel=0.05)


def test_path_length_analytic_ring():
    n = 11  # undirected ring: mean distance = (n + 1) / 4 for odd n
    pre = np.arange(n)
    post = (pre + 1) % n
    assert characteristic_path_length((pre, post)) == pytest.approx((n + 1) / 4)


def test_modularity_score_matches_networkx():
    nx = pytest.importorskip("networkx")
    pre, post = modular_hierarchical(20, 3, 1, [0.4, 0.02], directed=False, seed=3)
    labels = np.arange(60) // 20
    g = nx.Graph()
    g.add_nodes_from(range(60))
    g.add_edges_from(zip(pre.tolist(), post.tolist()))
    comms = [set(range(20 * c, 20 * c + 20)) for c in range(3)]
    assert modularity_score((pre, post), labels, 60) == pytest.approx(nx.community.modularity(g, comms))


def test_modularity_detects_planted_modules():
    pytest.importorskip("networkx")
    pre, post = modular_hierarchical(32, 4, 1, [0.4, 0.01], directed=False, seed=4)
    for method in ("louvain", "greedy"):
        q, labels = modularity((pre, post), 128, method=method, seed=1)
        assert q > 0.6
        assert len(np.unique(labels)) == 4
        majority = [np.bincount(labels[32 * c : 32 * c + 32]).argmax() for c in range(4)]
        assert sorted(majority) == [0, 1, 2, 3]  # one community per planted module
        agree = sum(np.sum(labels[32 * c : 32 * c + 32] == majority[c]) for c in range(4))
        assert agree >= 124  # ≥ 97 % of nodes in their module's community


def test_rent_exponent_grid():
    # torus (no boundary): T = 4 sqrt(N) for square partitions → p = 0.5
    pre, post, pos = grid_2d(32, 32, periodic=True)
    r = rent_exponent((pre, post), positions=pos)
    assert r.p == pytest.approx(0.5, abs=0.02)
    assert r.k == pytest.approx(4.0, rel=0.2)
    r = rent_exponent((pre, post))  # spectral bisection (Fiedler vector)
    assert r.p == pytest.approx(0.5, abs=0.08)
    # open boundaries lower T for partitions on the edge; fitting small partitions keeps p ≈ 0.5
    pre, post, pos = grid_2d(64, 64)
    r = rent_exponent((pre, post), positions=pos, max_fraction=1 / 64)
    assert r.p == pytest.approx(0.5, abs=0.08)


def test_rent_exponent_random_graph_is_high():
    pre, post = erdos_renyi(512, 8 / 511, seed=2)  # no spatial structure: p close to 1
    assert rent_exponent((pre, post)).p > 0.75


def test_bad_graph_input():
    with pytest.raises(ValueError, match=r"graph must be a square adjacency matrix; got shape \(2, 3\)"):
        degrees(sparse.csr_matrix((2, 3)))
    with pytest.raises(ValueError, match=r"node ids must be < n_nodes=3; got 5"):
        degrees((np.array([0, 5]), np.array([1, 2])), 3)
    with pytest.raises(ValueError, match=r"pre must hold node ids >= 0; got -1"):
        degrees((np.array([-1]), np.array([1])))
    with pytest.raises(TypeError, match=r"graph must be a scipy.sparse matrix or a \(pre, post\) tuple"):
        degrees([[0, 1], [1, 0]])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"labels must have one entry per node \(3\)"):
        modularity_score((np.array([0, 1]), np.array([1, 2])), np.zeros(2))
    with pytest.raises(ValueError, match=r"path length undefined"):
        characteristic_path_length(sparse.csr_matrix((4, 4)))


def test_core_works_without_networkx(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "networkx", None)  # makes `import networkx` fail
    pre, post = erdos_renyi(30, 0.2, seed=1)
    assert modularity_score((pre, post), np.arange(30) % 2) < 0.2  # core path needs no networkx
    with pytest.raises(ImportError, match=r"pip install soen\[analysis\]"):
        modularity((pre, post))
