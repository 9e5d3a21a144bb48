"""Graph-topology metrics: degrees, clustering, path length, small-world index, modularity, Rent exponent.

Graphs are given as a ``scipy.sparse`` adjacency matrix (n × n, ``A[i, j] != 0`` for an edge i → j) or
as edge arrays ``(pre, post)`` together with ``n_nodes``. Edge weights and multiplicities are ignored
(the graph is binarised). "Undirected" measures use the symmetrised graph A ∨ Aᵀ without self-loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple, Union

import numpy as np
from scipy import linalg, sparse
from scipy.sparse import csgraph
from scipy.sparse import linalg as splinalg

from soen.analysis._validate import check_positive_int, check_seed

__all__ = [
    "as_adjacency",
    "Degrees",
    "degrees",
    "degree_distribution",
    "clustering",
    "average_clustering",
    "characteristic_path_length",
    "SmallWorld",
    "small_world",
    "modularity_score",
    "modularity",
    "RentResult",
    "rent_exponent",
]

Graph = Union[sparse.spmatrix, sparse.sparray, tuple[np.ndarray, np.ndarray]]


def as_adjacency(graph: Graph, n_nodes: int | None = None) -> sparse.csr_matrix:
    """Binary CSR adjacency (float64 ones) from a sparse matrix or ``(pre, post)`` edge arrays.

    ``n_nodes`` is required for edge arrays when isolated nodes with the highest ids exist; by default
    it is ``max(pre, post) + 1``. Duplicate edges collapse to one.
    """
    if sparse.issparse(graph):
        a = sparse.csr_matrix(graph)
        if a.shape[0] != a.shape[1]:
            raise ValueError(f"graph must be a square adjacency matrix; got shape {a.shape}")
        if n_nodes is not None and check_positive_int("n_nodes", n_nodes) != a.shape[0]:
            raise ValueError(f"n_nodes must equal the matrix size {a.shape[0]}; got {n_nodes}")
        a = a.copy()
        a.eliminate_zeros()
        a.data = np.ones_like(a.data, dtype=np.float64)
        return a.astype(np.float64)
    if not (isinstance(graph, tuple) and len(graph) == 2):
        raise TypeError(
            f"graph must be a scipy.sparse matrix or a (pre, post) tuple; got {type(graph).__name__}"
        )
    pre = np.asarray(graph[0])
    post = np.asarray(graph[1])
    if pre.ndim != 1 or pre.shape != post.shape:
        raise ValueError(f"pre and post must be 1-D arrays of equal length; got {pre.shape}, {post.shape}")
    for name, arr in (("pre", pre), ("post", post)):
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"{name} must hold integer node ids; got dtype {arr.dtype}")
        if arr.size and arr.min() < 0:
            raise ValueError(f"{name} must hold node ids >= 0; got {int(arr.min())}")
    hi = int(max(pre.max(initial=-1), post.max(initial=-1))) + 1
    if n_nodes is None:
        if hi == 0:
            raise ValueError("n_nodes must be given for a graph without edges")
        n = hi
    else:
        n = check_positive_int("n_nodes", n_nodes)
        if hi > n:
            raise ValueError(f"node ids must be < n_nodes={n}; got {hi - 1}")
    a = sparse.csr_matrix(
        (np.ones(pre.size), (pre.astype(np.int64), post.astype(np.int64))), shape=(n, n)
    )
    a.sum_duplicates()
    a.data[:] = 1.0
    return a


def _no_loops(a: sparse.csr_matrix) -> sparse.csr_matrix:
    out = (a - sparse.diags(a.diagonal())).tocsr()
    out.eliminate_zeros()
    return out


def _undirected(a: sparse.csr_matrix) -> sparse.csr_matrix:
    return _no_loops(((a + a.T) > 0).astype(np.float64).tocsr())


class Degrees(NamedTuple):
    """In-, out- and total degree per node (int64); ``total = in + out``."""

    in_degree: np.ndarray
    out_degree: np.ndarray
    total: np.ndarray


def degrees(graph: Graph, n_nodes: int | None = None) -> Degrees:
    """In-degree (column sums), out-degree (row sums) and total degree of each node.

    For a graph returned both ways (undirected), in = out = the undirected degree and total = 2×.
    """
    a = as_adjacency(graph, n_nodes)
    kin = np.asarray(a.sum(axis=0)).ravel().astype(np.int64)
    kout = np.asarray(a.sum(axis=1)).ravel().astype(np.int64)
    return Degrees(kin, kout, kin + kout)


def degree_distribution(degree: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empirical distribution P(k): the distinct degrees and the fraction of nodes with each."""
    k = np.asarray(degree)
    if k.ndim != 1 or k.size == 0:
        raise ValueError(f"degree must be a non-empty 1-D array; got shape {k.shape}")
    vals, cnt = np.unique(k, return_counts=True)
    return vals, cnt / k.size


def clustering(graph: Graph, n_nodes: int | None = None, *, directed: bool = False) -> np.ndarray:
    r"""Local clustering coefficient of each node.

    Undirected (Watts & Strogatz 1998): on the symmetrised graph without self-loops,

    .. math:: C_i = \frac{(A^3)_{ii}}{k_i(k_i - 1)},

    the fraction of pairs of neighbours that are linked (0 where :math:`k_i < 2`).

    Directed (Fagiolo 2007, Phys. Rev. E 76, 026107, Eq. 6): with :math:`S = A + A^\top`,

    .. math:: C_i = \frac{(S^3)_{ii}}{2\,[k_i^{tot}(k_i^{tot} - 1) - 2 k_i^{\leftrightarrow}]},

    :math:`k^{tot}` = in + out degree and :math:`k^{\leftrightarrow}_i = (A^2)_{ii}` the number of
    reciprocated links. Both match ``networkx.clustering``.
    """
    a = as_adjacency(graph, n_nodes)
    if not directed:
        u = _undirected(a)
        k = np.asarray(u.sum(axis=1)).ravel()
        tri2 = np.asarray((u @ u).multiply(u).sum(axis=1)).ravel()  # (A^3)_ii
        denom = k * (k - 1)
    else:
        a = _no_loops(a)
        s = (a + a.T).tocsr()
        tri2 = np.asarray((s @ s).multiply(s).sum(axis=1)).ravel()  # (S^3)_ii (S symmetric)
        ktot = np.asarray(a.sum(axis=0)).ravel() + np.asarray(a.sum(axis=1)).ravel()
        kbi = np.asarray(a.multiply(a.T).sum(axis=1)).ravel()
        denom = 2.0 * (ktot * (ktot - 1) - 2.0 * kbi)
    out = np.zeros(a.shape[0])
    ok = denom > 0
    out[ok] = tri2[ok] / denom[ok]
    return out


def average_clustering(graph: Graph, n_nodes: int | None = None, *, directed: bool = False) -> float:
    """Mean of :func:`clustering` over all nodes (nodes with degree < 2 count as 0, as in networkx)."""
    return float(clustering(graph, n_nodes, directed=directed).mean())


def characteristic_path_length(
    graph: Graph,
    n_nodes: int | None = None,
    *,
    directed: bool = False,
    max_sources: int | None = None,
    seed: int = 0,
) -> float:
    r"""Characteristic path length: mean shortest-path length (hops) between connected pairs.

    .. math:: L = \frac{1}{|P|}\sum_{(i,j) \in P} d_{ij},

    over ordered pairs :math:`i \ne j` with a path from *i* to *j* (Watts & Strogatz 1998). On a
    (strongly) connected graph this equals ``networkx.average_shortest_path_length``; unreachable pairs
    are left out rather than making L infinite. Breadth-first search from every node
    (``scipy.sparse.csgraph``), O(n·(n + E)) time and O(n²) memory in blocks; ``max_sources`` uses a
    seeded random subset of source nodes instead (an unbiased estimate).
    """
    a = as_adjacency(graph, n_nodes)
    g = a if directed else _undirected(a)
    n = g.shape[0]
    sources = np.arange(n)
    if max_sources is not None:
        max_sources = check_positive_int("max_sources", max_sources)
        if max_sources < n:
            rng = np.random.Generator(np.random.Philox(key=check_seed(seed)))
            sources = np.sort(rng.choice(n, size=max_sources, replace=False))
    total, count = 0.0, 0
    block = max(1, 2_000_000 // max(n, 1))
    for s0 in range(0, sources.size, block):
        src = sources[s0 : s0 + block]
        d = csgraph.shortest_path(g, method="D", directed=directed, unweighted=True, indices=src)
        fin = np.isfinite(d) & (d > 0)
        total += float(d[fin].sum())
        count += int(fin.sum())
    if count == 0:
        raise ValueError("graph has no connected pair of distinct nodes; path length undefined")
    return total / count


@dataclass(frozen=True)
class SmallWorld:
    """Small-world indices of a graph and its references (undirected measures).

    Attributes
    ----------
    sigma
        σ = (C/C_rand)/(L/L_rand) (Humphries & Gurney 2008); > 1 for a small world.
    omega
        ω = L_rand/L − C/C_latt (Telesford et al. 2011); ≈ 0 small world, → −1 lattice, → +1 random.
    clustering, path_length
        C and L of the graph.
    clustering_random, path_length_random
        Means over the Erdős–Rényi references with the same number of nodes and edges.
    clustering_lattice, path_length_lattice
        Of the ring lattice with the same mean degree (rounded to an even number).
    """

    sigma: float
    omega: float
    clustering: float
    path_length: float
    clustering_random: float
    path_length_random: float
    clustering_lattice: float
    path_length_lattice: float


def small_world(
    graph: Graph,
    n_nodes: int | None = None,
    *,
    n_random: int = 5,
    seed: int = 0,
    max_sources: int | None = None,
) -> SmallWorld:
    r"""Small-world coefficient σ (vs. random) and ω (vs. random and lattice references).

    .. math::
        \sigma = \frac{C / C_r}{L / L_r}, \qquad \omega = \frac{L_r}{L} - \frac{C}{C_\ell},

    with C the average clustering and L the characteristic path length of the undirected graph,
    :math:`C_r, L_r` the means over ``n_random`` seeded Erdős–Rényi graphs G(n, p) with
    p = 2E/(n(n−1)) (Humphries & Gurney 2008, PLoS ONE 3, e0002002), and :math:`C_\ell` that of a ring
    lattice of the same mean degree (Telesford et al. 2011, Brain Connect. 1, 367). Random references
    use seeds ``seed, seed + 1, …``.
    """
    from soen.generators import erdos_renyi, ring_lattice  # lazy: generators imports this package

    a = _undirected(as_adjacency(graph, n_nodes))
    n = a.shape[0]
    n_random = check_positive_int("n_random", n_random)
    seed = check_seed(seed)
    e = a.nnz / 2
    if n < 4 or e == 0:
        raise ValueError(
            f"graph must have >= 4 nodes and >= 1 edge for small-world indices; got n={n}, E={e}"
        )
    c = average_clustering(a)
    ell = characteristic_path_length(a, max_sources=max_sources, seed=seed)
    p = 2.0 * e / (n * (n - 1))
    cr, lr = [], []
    for r in range(n_random):
        g = as_adjacency(erdos_renyi(n, p, seed=seed + r), n)
        cr.append(average_clustering(g))
        lr.append(characteristic_path_length(g, max_sources=max_sources, seed=seed))
    k = int(round(2.0 * e / n / 2.0)) * 2
    k = min(max(k, 2), n - 2 if (n - 2) % 2 == 0 else n - 3)
    lat = as_adjacency(ring_lattice(n, k), n)
    cl = average_clustering(lat)
    ll = characteristic_path_length(lat, max_sources=max_sources, seed=seed)
    c_r, l_r = float(np.mean(cr)), float(np.mean(lr))
    sigma = (c / c_r) / (ell / l_r) if c_r > 0 else float("inf")
    omega = l_r / ell - (c / cl if cl > 0 else 0.0)
    return SmallWorld(sigma, omega, c, ell, c_r, l_r, cl, ll)


def modularity_score(
    graph: Graph, labels: np.ndarray, n_nodes: int | None = None, *, resolution: float = 1.0
) -> float:
    r"""Newman–Girvan modularity of a partition of the undirected graph.

    .. math:: Q = \sum_c \left[\frac{L_c}{E} - \gamma\left(\frac{d_c}{2E}\right)^2\right],

    with E the number of undirected edges, :math:`L_c` those inside community *c*, :math:`d_c` the sum
    of degrees in *c* and γ = ``resolution`` (Newman & Girvan 2004, Phys. Rev. E 69, 026113).
    Equals ``networkx.community.modularity`` on the same graph.
    """
    a = _undirected(as_adjacency(graph, n_nodes))
    lab = np.asarray(labels)
    if lab.shape != (a.shape[0],):
        raise ValueError(f"labels must have one entry per node ({a.shape[0]}); got shape {lab.shape}")
    _, lab = np.unique(lab, return_inverse=True)
    e = a.nnz / 2
    if e == 0:
        raise ValueError("graph must have at least one edge for modularity")
    k = np.asarray(a.sum(axis=1)).ravel()
    coo = a.tocoo()
    inside = lab[coo.row] == lab[coo.col]
    l_c = np.bincount(lab[coo.row[inside]], minlength=lab.max() + 1) / 2.0
    d_c = np.bincount(lab, weights=k)
    return float(np.sum(l_c / e - resolution * (d_c / (2 * e)) ** 2))


def modularity(
    graph: Graph,
    n_nodes: int | None = None,
    *,
    method: Literal["louvain", "greedy"] = "louvain",
    resolution: float = 1.0,
    seed: int = 0,
) -> tuple[float, np.ndarray]:
    """Detect communities of the undirected graph and return ``(Q, labels)``.

    ``method="louvain"`` (Blondel et al. 2008, J. Stat. Mech. P10008; seeded) or ``"greedy"``
    (Clauset, Newman & Moore 2004, Phys. Rev. E 70, 066111), both from networkx, which is an optional
    dependency (``pip install soen[analysis]``). Q is computed by :func:`modularity_score`; labels
    number communities from 0 in order of decreasing size.
    """
    try:
        import networkx as nx
    except ImportError as exc:  # pragma: no cover - exercised only without networkx
        raise ImportError(
            "soen.analysis.modularity needs networkx for community detection; "
            "install it with `pip install soen[analysis]` (or use modularity_score with your own labels)"
        ) from exc
    a = _undirected(as_adjacency(graph, n_nodes))
    g = nx.Graph()
    g.add_nodes_from(range(a.shape[0]))
    coo = sparse.triu(a, k=1).tocoo()
    g.add_edges_from(zip(coo.row.tolist(), coo.col.tolist()))
    if method == "louvain":
        comms = nx.community.louvain_communities(g, resolution=resolution, seed=check_seed(seed))
    elif method == "greedy":
        comms = nx.community.greedy_modularity_communities(g, resolution=resolution)
    else:
        raise ValueError(f"method must be 'louvain' or 'greedy'; got {method!r}")
    labels = np.empty(a.shape[0], dtype=np.int64)
    for c, members in enumerate(sorted(comms, key=lambda s: (-len(s), min(s)))):
        labels[list(members)] = c
    return modularity_score(a, labels, resolution=resolution), labels


@dataclass(frozen=True)
class RentResult:
    """Result of :func:`rent_exponent`.

    Attributes
    ----------
    p
        Rent exponent (slope of log T against log N).
    k
        Rent coefficient (T = k N^p).
    p_err
        Standard error of the slope.
    sizes, terminals
        Per-level mean partition size N and mean terminal count T used in the fit.
    all_sizes, all_terminals
        Every partition's (N, T), including levels outside the fit.
    """

    p: float
    k: float
    p_err: float
    sizes: np.ndarray
    terminals: np.ndarray
    all_sizes: np.ndarray
    all_terminals: np.ndarray


def _fiedler_split(u: sparse.csr_matrix, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sub = u[nodes][:, nodes]
    m = nodes.size
    lap = csgraph.laplacian(sub).astype(np.float64)
    if m <= 200:
        _, vecs = linalg.eigh(lap.toarray(), subset_by_index=[1, 1])
        v = vecs[:, 0]
    else:
        try:
            _, vecs = splinalg.eigsh(lap.tocsc(), k=2, sigma=-1e-3, which="LM", v0=np.ones(m))
            v = vecs[:, 1]
        except (RuntimeError, splinalg.ArpackNoConvergence):  # pragma: no cover - fallback
            _, vecs = linalg.eigh(lap.toarray(), subset_by_index=[1, 1])
            v = vecs[:, 0]
    order = np.argsort(v, kind="stable")
    half = m // 2
    return nodes[order[:half]], nodes[order[half:]]


def _coord_split(pos: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = pos[nodes]
    axis = int(np.argmax(p.max(axis=0) - p.min(axis=0)))
    order = np.lexsort(tuple(p[:, d] for d in range(p.shape[1]) if d != axis) + (p[:, axis],))
    half = nodes.size // 2
    return nodes[order[:half]], nodes[order[half:]]


def rent_exponent(
    graph: Graph,
    n_nodes: int | None = None,
    *,
    positions: np.ndarray | None = None,
    min_partition: int = 2,
    max_fraction: float = 0.25,
) -> RentResult:
    r"""Rent exponent by recursive bisection: terminals :math:`T = k N^p`.

    The undirected graph is bisected recursively into halves of equal size (±1) — along the axis of
    largest extent at the median coordinate when ``positions`` are given, else by the sign-balanced
    median split of the Fiedler vector (second-smallest Laplacian eigenvector; Fiedler 1973, Pothen,
    Simon & Liou 1990) — down to partitions of ``min_partition`` nodes. For every partition the
    terminal count T is the number of edges with exactly one end inside it. Per bisection level the
    mean N and mean T are computed, and p, k are the least-squares fit of log T = log k + p log N over
    levels with mean N ≤ ``max_fraction`` · n (region I, away from the large-partition bend) and
    T > 0 (Landman & Russo 1971, IEEE Trans. Comput. C-20, 1469; Christie & Stroobandt 2000; Bassett et
    al. 2010, PLoS Comput. Biol. 6, e1000748). A 2-D lattice gives p ≈ 0.5, a 3-D lattice ≈ 2/3.
    """
    a = _undirected(as_adjacency(graph, n_nodes))
    n = a.shape[0]
    min_partition = check_positive_int("min_partition", min_partition)
    if not (0.0 < float(max_fraction) <= 1.0):
        raise ValueError(f"max_fraction must be in (0, 1]; got {max_fraction!r}")
    pos = None
    if positions is not None:
        pos = np.asarray(positions, dtype=np.float64)
        if pos.ndim != 2 or pos.shape[0] != n or not np.all(np.isfinite(pos)):
            raise ValueError(f"positions must be a finite array of shape ({n}, dim); got {pos.shape}")
    deg = np.asarray(a.sum(axis=1)).ravel()
    levels: list[tuple[int, int, float]] = []  # (level, N, T)
    stack = [(np.arange(n), 0)]
    while stack:
        nodes, lev = stack.pop()
        internal = a[nodes][:, nodes].sum()
        levels.append((lev, nodes.size, float(deg[nodes].sum() - internal)))
        if nodes.size >= 2 * min_partition:
            left, right = _coord_split(pos, nodes) if pos is not None else _fiedler_split(a, nodes)
            stack.append((left, lev + 1))
            stack.append((right, lev + 1))
    arr = np.array(levels)
    lev_ids = arr[:, 0].astype(int)
    sizes, terms = [], []
    for lv in np.unique(lev_ids):
        sel = lev_ids == lv
        sizes.append(arr[sel, 1].mean())
        terms.append(arr[sel, 2].mean())
    sizes_a, terms_a = np.array(sizes), np.array(terms)
    fit = (sizes_a <= max_fraction * n) & (terms_a > 0)
    if fit.sum() < 2:
        raise ValueError(
            f"graph gives fewer than 2 bisection levels to fit (n={n}, min_partition={min_partition}, "
            f"max_fraction={max_fraction}); use a larger graph or smaller min_partition"
        )
    x, y = np.log(sizes_a[fit]), np.log(terms_a[fit])
    if fit.sum() >= 4:
        (p, logk), cov = np.polyfit(x, y, 1, cov=True)
        p_err = float(np.sqrt(cov[0, 0]))
    else:
        p, logk = np.polyfit(x, y, 1)
        p_err = float("nan")
    return RentResult(
        p=float(p),
        k=float(np.exp(logk)),
        p_err=p_err,
        sizes=sizes_a[fit],
        terminals=terms_a[fit],
        all_sizes=arr[:, 1].astype(np.int64),
        all_terminals=arr[:, 2],
    )
