"""Connections drawn per target neuron, and every other random draw keyed by stable ids.

A random quantity of soen is a pure function of (seed, stream, stable element id, counter), never of an
array position (:mod:`soen._rng`). The stable ids are:

* a **name id** for every population, source and projection: 31 bits of BLAKE2b of its name
  (a projection's name is ``"pre->post"``, with ``"#k"`` appended for the k-th further projection
  between the same pair), so adding, removing or reordering an unrelated part changes nothing;
* a **row element** ``(name id << 32) | post`` for the draws of one target neuron of a projection
  (its connections, then their weights and delays, counters 0, 1, 2 …);
* a **connection key** ``hash(projection id, pre, post, k)`` (the k-th connection of the same pre and
  post in that projection), for photon counts, emission times, jitter, detector spread and dark counts;
* a **dendrite key** ``hash(population id, neuron, dendrite)`` for device spread and thermal noise.

Because connections are drawn row by row (one row = the inputs of one target neuron), a process that
builds only the connections onto its own neurons gets exactly its share of the whole network.
"""

from __future__ import annotations

import hashlib
import math

import numba as nb
import numpy as np

from soen._rng import STREAMS, hash64, normal, uniform

__all__ = ["name_id", "projection_names", "connections_onto", "values_onto", "connection_keys",
           "dendrite_keys"]

_MASK63 = np.uint64(0x7FFFFFFFFFFFFFFF)
STREAM_CONN = STREAMS["connectivity"]


def name_id(name: str) -> int:
    """31-bit stable id of a name (BLAKE2b; independent of Python's hash seed)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "little") & 0x7FFFFFFF


def projection_names(network) -> list[str]:
    """Stable names of the network's projections: ``pre->post`` (``#k`` for repeats of a pair)."""
    seen: dict = {}
    out = []
    for p in network.projections:
        k = seen.get((p.pre, p.post), 0)
        seen[(p.pre, p.post)] = k + 1
        out.append(f"{p.pre}->{p.post}" + (f"#{k}" if k else ""))
    return out


# ------------------------------------------------------------------------------------------------
# random connectors, row by row (numba)
# ------------------------------------------------------------------------------------------------
@nb.njit(cache=True)
def _prob_rows(posts, n_pre, p, no_self, seed, pid, count_only, out_pre, out_post):
    """Bernoulli(p) connections onto each post in ``posts`` by geometric skips: the i-th gap of row j
    is floor(ln u / ln(1 − p)), u = U(seed, connectivity, (pid << 32) | j, i). Returns the count."""
    m = 0
    lq = math.log1p(-p) if p < 1.0 else 0.0
    for r in range(posts.shape[0]):
        j = posts[r]
        el = (pid << 32) | j
        pos = -1
        i = 0
        while True:
            if p >= 1.0:
                pos += 1
            else:
                u = uniform(seed, STREAM_CONN, el, i)
                i += 1
                g = math.floor(math.log(u) / lq)
                if g > n_pre:
                    break
                pos += int(g) + 1
            if pos >= n_pre:
                break
            if no_self and pos == j:
                continue
            if not count_only:
                out_pre[m] = pos
                out_post[m] = j
            m += 1
    return m


@nb.njit(cache=True)
def _indegree_rows(posts, k, avail, no_self, seed, pid, out_pre, out_post, mark):
    """k distinct pre neurons per post (Floyd's algorithm, one counter per draw), sorted per row; with
    ``no_self`` indices ≥ j are shifted by one so that neuron j itself is skipped."""
    m = 0
    row = np.empty(k, dtype=np.int64)
    for r in range(posts.shape[0]):
        j = posts[r]
        el = (pid << 32) | j
        q = 0
        for t in range(avail - k, avail):
            c = int(uniform(seed, STREAM_CONN, el, q) * (t + 1))
            if c > t:
                c = t
            if mark[c]:
                c = t
            mark[c] = True
            row[q] = c
            q += 1
        if avail <= 16 * k:  # dense rows: read the marks in order (cheaper than sorting)
            q = 0
            for c in range(avail):
                if mark[c]:
                    mark[c] = False
                    row[q] = c
                    q += 1
        else:
            row.sort()
            for q in range(k):
                mark[row[q]] = False
        for q in range(k):
            c = row[q]
            if no_self and c >= j:
                c += 1
            out_pre[m] = c
            out_post[m] = j
            m += 1
    return m


def connections_onto(connector, n_pre: int, n_post: int, same: bool, seed: int, pid: int, posts=None):
    """(pre, post, index) of the connections onto the target neurons ``posts`` (default: all).

    ``index`` is each connection's position in the whole projection's connection order, to pick its
    entry from per-connection arrays: the connector's own order for deterministic connectors
    (AllToAll, OneToOne, FromList, FromMatrix), row by row (target-major) for random ones. With a
    subset of ``posts`` a random connector returns index −1 (per-connection arrays then need the
    whole projection).
    """
    from soen.model.network import FixedInDegree, FixedProbability

    all_posts = posts is None
    posts = np.arange(n_post, dtype=np.int64) if all_posts else np.unique(np.asarray(posts, dtype=np.int64))
    if isinstance(connector, FixedProbability):
        no_self = same and not connector.allow_self
        p = float(connector.p)
        if p <= 0.0:
            e = np.empty(0, dtype=np.int64)
            return e, e, e
        m = _prob_rows(posts, n_pre, p, no_self, seed, pid, True, np.empty(0, np.int64), np.empty(0, np.int64))
        pre = np.empty(m, dtype=np.int64)
        post = np.empty(m, dtype=np.int64)
        _prob_rows(posts, n_pre, p, no_self, seed, pid, False, pre, post)
        return pre, post, (np.arange(m) if all_posts else np.full(m, -1))
    if isinstance(connector, FixedInDegree):
        no_self = same and not connector.allow_self
        avail = n_pre - (1 if no_self else 0)
        k = int(connector.k)
        if k > avail:
            raise ValueError(f"FixedInDegree.k={k} exceeds the {avail} available pre neurons")
        m = posts.size * k
        pre = np.empty(m, dtype=np.int64)
        post = np.empty(m, dtype=np.int64)
        if k:
            _indegree_rows(posts, k, avail, no_self, seed, pid, pre, post, np.zeros(max(avail, 1), dtype=np.bool_))
        return pre, post, (np.arange(m) if all_posts else np.full(m, -1))
    # deterministic connectors: their own order (no random draws)
    pre, post = connector.pairs(n_pre, n_post, same, None)
    pre = np.asarray(pre, dtype=np.int64)
    post = np.asarray(post, dtype=np.int64)
    idx = np.arange(pre.size)
    if not all_posts:
        keep = np.isin(post, posts)
        pre, post, idx = pre[keep], post[keep], idx[keep]
    return pre, post, idx


def expected_connections(network) -> float:
    """Expected number of connections of the whole network (for the memory check before building)."""
    from soen.model.network import AllToAll, FixedInDegree, FixedProbability, FromList, FromMatrix, OneToOne

    total = 0.0
    for p in network.projections:
        n_pre = network.populations[p.pre].n if p.pre in network.populations else network.sources[p.pre].n
        n_post = network.populations[p.post].n
        c = p.connector
        if isinstance(c, AllToAll):
            total += float(n_pre) * n_post
        elif isinstance(c, FixedProbability):
            total += float(c.p) * n_pre * n_post
        elif isinstance(c, FixedInDegree):
            total += float(c.k) * n_post
        elif isinstance(c, OneToOne):
            total += n_post
        elif isinstance(c, FromList):
            total += np.size(c.pre)
        elif isinstance(c, FromMatrix):
            m = c.matrix
            total += float(m.nnz) if hasattr(m, "nnz") else float(np.count_nonzero(np.asarray(m)))
    return total


# ------------------------------------------------------------------------------------------------
# weights and delays per connection
# ------------------------------------------------------------------------------------------------
def _row_ranks(post: np.ndarray) -> np.ndarray:
    """Rank of each connection within its target's row (0, 1, 2 … in the given order)."""
    n = post.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if _non_decreasing(post):  # rows already contiguous (the random connectors): no sort needed
        return _runs_rank(post)
    o = np.argsort(post, kind="stable")
    sp = post[o]
    starts = np.r_[0, np.flatnonzero(np.diff(sp)) + 1]
    rank = np.empty(n, dtype=np.int64)
    rank[o] = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    return rank


@nb.njit(cache=True)
def _non_decreasing(a) -> bool:
    for e in range(1, a.shape[0]):
        if a[e] < a[e - 1]:
            return False
    return True


@nb.njit(cache=True)
def _runs_rank(a):
    """Rank of each entry within its run of equal values (``a`` non-decreasing)."""
    out = np.empty(a.shape[0], dtype=np.int64)
    r = 0
    for e in range(a.shape[0]):
        r = r + 1 if e > 0 and a[e] == a[e - 1] else 0
        out[e] = r
    return out


@nb.njit(cache=True)
def _uniform_rows(post, rank, seed, stream, pid, low, high, out):
    for e in range(post.shape[0]):
        out[e] = low + (high - low) * uniform(seed, stream, (pid << 32) | post[e], rank[e])


@nb.njit(cache=True)
def _normal_rows(post, rank, seed, stream, pid, mean, std, low, high, out):
    for e in range(post.shape[0]):
        x = mean + std * normal(seed, stream, (pid << 32) | post[e], rank[e])
        out[e] = min(max(x, low), high)


def values_onto(value, post, index, n_total, seed: int, stream: str, pid: int, what: str, compact=False,
                rank=None):
    """Weights or delays of the connections (``post``, ``index`` from :func:`connections_onto`).

    A scalar (a length-1 array with ``compact``), a per-connection array (picked by ``index``), or a
    distribution: :class:`~soen.Uniform` and :class:`~soen.Normal` are drawn per connection from
    U(seed, stream, (pid << 32) | post, rank in the row); any other object with ``sample(rng, n)`` is
    drawn row by row from a Philox generator keyed by the row element.
    """
    from soen._rng import philox
    from soen.model.network import Normal, Uniform

    n = post.shape[0]
    sid = STREAMS[stream]
    if rank is None and (isinstance(value, (Uniform, Normal)) or hasattr(value, "sample")):
        rank = _row_ranks(post) if n else np.empty(0, dtype=np.int64)  # only drawn values need it
    if isinstance(value, Uniform):
        out = np.empty(n)
        _uniform_rows(post, rank, seed, sid, pid, float(value.low), float(value.high), out)
    elif isinstance(value, Normal):
        out = np.empty(n)
        _normal_rows(post, rank, seed, sid, pid, float(value.mean), float(value.std), float(value.low),
                     float(value.high), out)
    elif hasattr(value, "sample"):
        out = np.empty(n)
        for j in np.unique(post):
            rows = np.flatnonzero(post == j)
            rows = rows[np.argsort(rank[rows], kind="stable")]
            out[rows] = np.asarray(value.sample(philox(seed, stream, (pid << 32) | int(j)), rows.size), float)
    else:
        arr = np.asarray(value, dtype=float)
        if arr.ndim == 0:
            out = np.full(1 if compact and n else n, float(arr))
        elif arr.shape == (n_total,):
            if n and index.min() < 0:
                raise ValueError(f"{what}: a per-connection array needs the whole projection compiled "
                                 f"(this build holds only part of its target neurons)")
            out = arr[index]
        else:
            raise ValueError(f"{what} must be a scalar, a distribution or an array of length {n_total} "
                             f"(one per connection), got shape {arr.shape}")
    if not np.isfinite(out).all():
        bad = int(np.flatnonzero(~np.isfinite(out))[0])
        raise ValueError(f"{what} must be finite; connection {bad} has {float(out[bad])!r}")
    return out


# ------------------------------------------------------------------------------------------------
# stable keys of connections and dendrites
# ------------------------------------------------------------------------------------------------
@nb.njit(cache=True)
def _keys(a, b, c, d, out):
    for e in range(a.shape[0]):
        out[e] = np.int64(hash64(a[e], b[e], c[e], d[e]) & _MASK63)


def connection_keys(pid: np.ndarray, pre: np.ndarray, post: np.ndarray) -> np.ndarray:
    """63-bit key of every connection: hash(projection id, pre, post, k), k counting repeats of the same
    (projection, pre, post) in order."""
    n = pre.shape[0]
    out = np.empty(n, dtype=np.int64)
    if n:
        trip = np.stack([pid, pre, post], axis=1)
        _, inv = np.unique(trip, axis=0, return_inverse=True)
        inv = np.asarray(inv).ravel()
        rep = _row_ranks(inv.astype(np.int64))
        _keys(pid.astype(np.int64), pre.astype(np.int64), post.astype(np.int64), rep, out)
    return out


def dendrite_keys(pop_id: int, n, n_dend: int) -> np.ndarray:
    """63-bit key of dendrite k of neuron i (k < n_dend) of a population: hash(pop id, i, k, 0), for
    i < ``n`` (an int) or for the neuron indices ``n`` (an array: a build holding part of the population
    gets the keys of exactly those neurons)."""
    ids = np.arange(n, dtype=np.int64) if np.ndim(n) == 0 else np.asarray(n, dtype=np.int64)
    i = np.repeat(ids, n_dend)
    k = np.tile(np.arange(n_dend, dtype=np.int64), ids.size)
    out = np.empty(i.size, dtype=np.int64)
    _keys(np.full(i.size, pop_id, dtype=np.int64), i, k, np.zeros(i.size, dtype=np.int64), out)
    return out
