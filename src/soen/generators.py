r"""Network generators for SOEN studies: random, lattice, small-world, modular-hierarchical, spatial growth.

Every generator returns directed edge arrays ``(pre, post)`` (int64, an edge pre → post), plus node
positions for spatial ones. "Undirected" graphs are returned with both directions of each edge, so that
the adjacency is symmetric. No self-loops and no duplicate edges are produced. All draws come from
``numpy.random.Generator(numpy.random.Philox(key=[seed, STREAMS["connectivity"]]))``: the same seed
gives the same graph on every machine. Sizes are bounded: at most ``MAX_NODES`` (5e7) nodes and
``MAX_EDGES`` (2**31 − 1) returned (expected) edge entries; larger requests are refused with a ValueError.

Examples
--------
>>> pre, post = watts_strogatz(100, 6, 0.1, seed=1)
>>> pre.size  # 100 * 6 directed entries = 300 undirected edges
600
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from soen._rng import STREAMS
from soen._validate import check_bool, check_real, check_sequence
from soen.analysis._validate import (
    check_positive_float,
    check_positive_int,
    check_probability,
    check_seed,
)

__all__ = [
    "erdos_renyi",
    "ring_lattice",
    "grid_2d",
    "watts_strogatz",
    "modular_hierarchical",
    "spatial_growth",
]


#: Largest graph a generator builds: nodes, and (expected) directed edge entries returned.
MAX_NODES = 50_000_000
MAX_EDGES = 2**31 - 1


def _check_size(name: str, value: int, limit: int, what: str) -> int:
    if value > limit:
        raise ValueError(f"{name} must be <= {limit:.3g} {what}; got {value}")
    return value


def _rng(seed: int, stream: str = "connectivity") -> np.random.Generator:
    key = np.array([check_seed(seed), STREAMS[stream]], dtype=np.uint64)
    return np.random.Generator(np.random.Philox(key=key))


def _bernoulli_indices(rng: np.random.Generator, total: int, p: float) -> np.ndarray:
    """Sorted indices in [0, total) each selected independently with probability p."""
    if total == 0 or p == 0.0:
        return np.empty(0, dtype=np.int64)
    if p == 1.0:
        return np.arange(total, dtype=np.int64)
    if p > 0.02:  # dense: direct Bernoulli trials in chunks (memory O(chunk + result))
        chunk = 1 << 22
        parts = [
            np.flatnonzero(rng.random(min(chunk, total - s)) < p).astype(np.int64) + s
            for s in range(0, total, chunk)
        ]
        return np.concatenate(parts)
    k = int(rng.binomial(total, p))  # sparse: draw the count, then distinct positions
    return np.sort(rng.choice(total, size=k, replace=False)).astype(np.int64)


def _symmetrize(pre: np.ndarray, post: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both directions of undirected edges given once each (pre != post), sorted by (pre, post)."""
    p = np.concatenate((pre, post)).astype(np.int64)
    q = np.concatenate((post, pre)).astype(np.int64)
    order = np.lexsort((q, p))
    return p[order], q[order]


def erdos_renyi(
    n_nodes: int, p: float, *, directed: bool = False, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Erdős–Rényi G(n, p): every pair (ordered if ``directed``) is an edge with probability ``p``.

    Expected number of returned entries: p·n(n−1) (directed edges, or undirected edges both ways).
    """
    n = _check_size("n_nodes", check_positive_int("n_nodes", n_nodes), MAX_NODES, "nodes")
    p = check_probability("p", p)
    directed = check_bool("directed", directed)
    _check_size("p * n_nodes * (n_nodes - 1)", round(p * n * (n - 1)), MAX_EDGES, "expected edge entries")
    rng = _rng(seed)
    if n == 1:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    f = _bernoulli_indices(rng, n * (n - 1), p)
    pre, r = f // (n - 1), f % (n - 1)
    post = r + (r >= pre)
    if directed:
        return pre.astype(np.int64), post.astype(np.int64)
    keep = pre < post  # each unordered pair once, with probability p
    return _symmetrize(pre[keep], post[keep])


def ring_lattice(n_nodes: int, k: int, *, directed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Ring of ``n_nodes`` each joined to its ``k/2`` nearest neighbours on either side (k even).

    ``directed=True`` gives each node out-edges to those k neighbours (the same edge set, both ways).
    """
    n = _check_size("n_nodes", check_positive_int("n_nodes", n_nodes, minimum=3), MAX_NODES, "nodes")
    k = check_positive_int("k", k, minimum=2)
    check_bool("directed", directed)
    if k % 2 or k >= n:
        raise ValueError(f"k must be even and < n_nodes={n}; got {k}")
    _check_size("n_nodes * k", n * k, MAX_EDGES, "edge entries")
    i = np.repeat(np.arange(n, dtype=np.int64), k // 2)
    j = (i + np.tile(np.arange(1, k // 2 + 1), n)) % n
    return _symmetrize(i, j)


def grid_2d(
    n_rows: int, n_cols: int, *, spacing_um: float = 1.0, periodic: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Square nearest-neighbour lattice (4-neighbourhood), undirected.

    Node ``r * n_cols + c`` sits at ``(c * spacing_um, r * spacing_um)``. Boundaries are open, or
    wrap around (a torus, every node of degree 4) with ``periodic=True`` (needs n_rows, n_cols ≥ 3).

    Returns
    -------
    (pre, post, positions_um)
        Edges (both directions) and positions of shape ``(n_rows * n_cols, 2)``.
    """
    nr = check_positive_int("n_rows", n_rows)
    nc = check_positive_int("n_cols", n_cols)
    _check_size("n_rows * n_cols", nr * nc, MAX_NODES, "nodes")
    sp = check_positive_float("spacing_um", spacing_um)
    periodic = check_bool("periodic", periodic)
    idx = np.arange(nr * nc).reshape(nr, nc)
    if periodic:
        if nr < 3 or nc < 3:
            raise ValueError(f"n_rows and n_cols must be >= 3 for periodic=True; got {nr}, {nc}")
        a = np.concatenate((idx.ravel(), idx.ravel()))
        b = np.concatenate((np.roll(idx, -1, axis=1).ravel(), np.roll(idx, -1, axis=0).ravel()))
    else:
        a = np.concatenate((idx[:, :-1].ravel(), idx[:-1, :].ravel()))
        b = np.concatenate((idx[:, 1:].ravel(), idx[1:, :].ravel()))
    rr, cc = np.divmod(np.arange(nr * nc), nc)
    pos = np.column_stack((cc * sp, rr * sp)).astype(np.float64)
    pre, post = _symmetrize(a, b)
    return pre, post, pos


def watts_strogatz(
    n_nodes: int, k: int, p: float, *, directed: bool = False, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    r"""Watts–Strogatz small-world graph (Watts & Strogatz 1998, Nature 393, 440).

    Start from :func:`ring_lattice` (each node linked to its k/2 clockwise neighbours). Each such
    lattice edge (i, i + j) is rewired with probability ``p``: its far end is replaced by a node drawn
    uniformly among those that are neither i nor already linked to i. The number of edges is preserved
    exactly: n·k/2 undirected edges (returned both ways, n·k entries).

    With ``directed=True`` each node has k out-edges to its k nearest ring neighbours, and each
    out-edge's target is rewired with probability ``p`` (avoiding self-loops and duplicates): n·k
    directed edges, every node out-degree k.
    """
    n = _check_size("n_nodes", check_positive_int("n_nodes", n_nodes, minimum=3), MAX_NODES, "nodes")
    k = check_positive_int("k", k, minimum=2)
    if k % 2 or k >= n - 1:
        raise ValueError(f"k must be even and < n_nodes - 1 = {n - 1}; got {k}")
    _check_size("n_nodes * k", n * k, MAX_EDGES, "edge entries")
    p = check_probability("p", p)
    directed = check_bool("directed", directed)
    rng = _rng(seed)
    if directed:
        offs = np.concatenate((np.arange(1, k // 2 + 1), -np.arange(1, k // 2 + 1)))
        src = np.repeat(np.arange(n, dtype=np.int64), k)
        dst = (src + np.tile(offs, n)) % n
    else:
        src = np.repeat(np.arange(n, dtype=np.int64), k // 2)
        dst = (src + np.tile(np.arange(1, k // 2 + 1), n)) % n
    rewire = rng.random(src.size) < p
    if rewire.any():
        if directed:
            edges = set(zip(src.tolist(), dst.tolist()))
        else:
            edges = {(min(a, b), max(a, b)) for a, b in zip(src.tolist(), dst.tolist())}
        for e in np.flatnonzero(rewire).tolist():
            a, b = int(src[e]), int(dst[e])
            key_old = (a, b) if directed else (min(a, b), max(a, b))
            # degree of a bounded by n - 1 in practice; draw until a free target is found
            for _ in range(10 * n):
                c = int(rng.integers(n))
                key_new = (a, c) if directed else (min(a, c), max(a, c))
                if c != a and key_new not in edges:
                    edges.discard(key_old)
                    edges.add(key_new)
                    dst[e] = c
                    break
    if directed:
        order = np.lexsort((dst, src))
        return src[order], dst[order]
    return _symmetrize(src, dst)


def modular_hierarchical(
    module_size: int,
    branching: int,
    n_levels: int,
    p_levels: Sequence[float],
    *,
    directed: bool = True,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Nested modular (hierarchical) random graph.

    ``n = module_size · branching**n_levels`` nodes are grouped into base modules of ``module_size``
    consecutive ids; ``branching`` modules of level ℓ form one module of level ℓ + 1, up to a single
    top module at level ``n_levels``. A pair (i, j), i ≠ j, whose smallest common module is at level ℓ
    (ℓ = 0: same base module) is an edge independently with probability ``p_levels[ℓ]``, so
    ``len(p_levels) == n_levels + 1``; typically the p decrease with ℓ (e.g. p_ℓ = p₀·q^ℓ) (cf. Kaiser
    & Hilgetag 2010, Front. Neuroinform. 4, 8; Sporns 2011).

    Expected number of edges from one node at level ℓ ≥ 1: ``p_levels[ℓ] · module_size ·
    branching**(ℓ−1) · (branching − 1)``; at ℓ = 0: ``p_levels[0] · (module_size − 1)``.
    With ``directed=False`` each unordered pair is drawn once and returned both ways.
    """
    s = check_positive_int("module_size", module_size)
    b = check_positive_int("branching", branching, minimum=2)
    n_levels = check_positive_int("n_levels", n_levels, minimum=0)
    levels = check_sequence("p_levels", p_levels, "a sequence of probabilities, one per level")
    ps = [check_probability(f"p_levels[{i}]", v) for i, v in enumerate(levels)]
    directed = check_bool("directed", directed)
    if len(ps) != n_levels + 1:
        raise ValueError(f"p_levels must have n_levels + 1 = {n_levels + 1} entries; got {len(ps)}")
    n = s * b**n_levels
    if n > MAX_NODES:
        raise ValueError(f"module_size * branching**n_levels must be <= 5e7 nodes; got {n}")
    rng = _rng(seed)
    pres, posts = [], []
    for lev, p in enumerate(ps):
        if lev == 0:
            c = s - 1
        else:
            c = s * b ** (lev - 1) * (b - 1)
        f = _bernoulli_indices(rng, n * c, p)
        i, r = f // max(c, 1), f % max(c, 1)
        if lev == 0:
            j = (i // s) * s + r
            j = j + (j >= i)
        else:
            big = s * b**lev
            small = s * b ** (lev - 1)
            j = (i // big) * big + r
            child_start = (i // small) * small
            j = j + small * (j >= child_start)
        if not directed:
            keep = i < j
            i, j = i[keep], j[keep]
        pres.append(i)
        posts.append(j)
    pre = np.concatenate(pres).astype(np.int64)
    post = np.concatenate(posts).astype(np.int64)
    if not directed:
        return _symmetrize(pre, post)
    order = np.lexsort((post, pre))
    return pre[order], post[order]


def spatial_growth(
    n_nodes: int,
    n_edges: int,
    *,
    length_scale: float,
    degree_exponent: float = 1.0,
    dim: int = 2,
    box_size: float = 1.0,
    directed: bool = False,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Grow a network by spatial distance and node degree (a SOEN-V-style growth model).

    The exact rule implemented here:

    1. Positions :math:`x_0 … x_{n-1}` are drawn uniformly in the box :math:`[0, L]^{d}`
       (``box_size`` L, ``dim`` d).
    2. Nodes arrive in id order. Node *t* ≥ 1 makes :math:`m_t` edges to *distinct* earlier nodes,
       :math:`m_t \le t`, with :math:`\sum_t m_t` = ``n_edges`` spread as evenly as possible
       (:math:`m_t = \lfloor qt\rfloor - \lfloor q(t-1)\rfloor`, q = n_edges/(n−1), any excess over
       *t* carried to later nodes).
    3. Each of node *t*'s edges goes to earlier node *j* with probability

       .. math:: P(t \to j) \propto e^{-d_{tj}/\lambda}\,(k_j + 1)^{\beta},

       where :math:`d_{tj}` is the Euclidean distance, λ = ``length_scale``, :math:`k_j` the total
       degree of *j* before node *t* arrived, and β = ``degree_exponent`` (β = 0: purely spatial;
       β > 0: preferential attachment, heavy-tailed degrees; small λ: local, clustered, modular).
       The :math:`m_t` targets are drawn without replacement.
    4. Undirected (default): each edge is returned both ways. ``directed=True``: each edge points
       t → j or j → t with probability ½ each.

    This follows the idea of the SOEN-V network model (Shainline et al. 2018, arXiv:1805.01942):
    spatially embedded growth favouring near and well-connected nodes, which yields modular,
    small-world, heavy-tailed graphs. The functional forms above (exponential distance kernel,
    power of degree + 1, growth in id order) are this implementation's choice, not copied from that
    paper. Cost O(n²) time, O(n) memory per step.

    Returns
    -------
    (pre, post, positions)
        Edges and node positions (shape ``(n_nodes, dim)``, same length unit as ``box_size``).
    """
    n = _check_size("n_nodes", check_positive_int("n_nodes", n_nodes, minimum=2), MAX_NODES, "nodes")
    m_total = check_positive_int("n_edges", n_edges)
    if m_total > n * (n - 1) // 2:
        raise ValueError(f"n_edges must be <= n_nodes*(n_nodes-1)/2 = {n * (n - 1) // 2}; got {m_total}")
    lam = check_positive_float("length_scale", length_scale)
    beta = check_real("degree_exponent", degree_exponent)
    dim = check_positive_int("dim", dim)
    if dim > 3:
        raise ValueError(f"dim must be 1, 2 or 3; got {dim}")
    box = check_positive_float("box_size", box_size)
    directed = check_bool("directed", directed)
    rng = _rng(seed)
    pos = rng.random((n, dim)) * box
    q = m_total / (n - 1)
    t_idx = np.arange(1, n)
    want = (np.floor(q * t_idx + 1e-9) - np.floor(q * (t_idx - 1) + 1e-9)).astype(np.int64)
    want[-1] += m_total - want.sum()
    deg = np.zeros(n, dtype=np.float64)
    pres, posts = [], []
    carry = 0
    for t in range(1, n):
        m_t = want[t - 1] + carry
        carry = max(0, m_t - t)
        m_t = min(m_t, t)
        if m_t == 0:
            continue
        d = np.sqrt(((pos[:t] - pos[t]) ** 2).sum(axis=1))
        logw = -d / lam + beta * np.log1p(deg[:t])
        w = np.exp(logw - logw.max())
        w /= w.sum()
        nz = np.count_nonzero(w)
        if nz < m_t:  # underflowed weights: fall back to the m_t largest-weight nodes
            targets = np.argsort(-logw)[:m_t]
        else:
            targets = rng.choice(t, size=m_t, replace=False, p=w)
        deg[targets] += 1.0
        deg[t] += m_t
        pres.append(np.full(m_t, t, dtype=np.int64))
        posts.append(targets.astype(np.int64))
    if carry:
        raise ValueError(f"n_edges={m_total} could not be placed (internal allocation error)")
    a = np.concatenate(pres)
    b = np.concatenate(posts)
    if directed:
        flip = rng.random(a.size) < 0.5
        a, b = np.where(flip, b, a), np.where(flip, a, b)
        order = np.lexsort((b, a))
        return a[order], b[order], pos
    pre, post = _symmetrize(a, b)
    return pre, post, pos
