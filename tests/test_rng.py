"""soen._rng and the samplers built on it: the split hash equals the one-call hash, draws are uniform,
the point engine's table-driven Poisson counts equal sequential-search inversion draw for draw and
follow the Poisson law, and the connectors' distinct-index rows are uniform random subsets."""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import pytest
from scipy import stats

from soen import _rng
from soen.engine import _point_kernel as K
from soen.model._sampling import distinct_rows


@nb.njit(cache=False)
def _split_vs_full(seed, stream, keys, counters):
    bad = 0
    for e in keys:
        pre = _rng.hash64_prefix(seed, stream, e)
        for c in counters:
            bad += _rng.hash64_finish(pre, c) != _rng.hash64(seed, stream, e, c)
    return bad


def test_hash_prefix_finish_equals_hash():
    keys = np.array([0, 1, 7, 2**32 + 5, 2**62], dtype=np.int64)
    counters = np.arange(0, 5000, 7, dtype=np.int64)
    assert _split_vs_full(3, 1, keys, counters) == 0
    pre = _rng.hash64_prefix_array(3, 1, keys)
    assert pre.dtype == np.uint64 and pre.shape == keys.shape


def test_uniform_is_uniform():
    u = _rng.uniform_array(11, 2, np.arange(200_000))
    assert 0.0 < u.min() and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3


@nb.njit(cache=False)
def _table_counts(lam, seed, keys, n_steps, tab_off, tab_cdf, tab_guide):
    out = np.empty((keys.shape[0], n_steps), dtype=np.int64)
    ref = np.empty((keys.shape[0], n_steps), dtype=np.int64)
    for j in range(keys.shape[0]):
        pre = _rng.hash64_prefix(seed, 1, keys[j])
        for n in range(n_steps):
            out[j, n] = K._poisson_count(0, pre, n, tab_off, tab_cdf, tab_guide)
            ref[j, n] = _rng.poisson(lam, seed, 1, keys[j], n)
    return out, ref


@pytest.mark.parametrize("lam", [0.0, 1e-4, 0.3, 2.0, 17.5, 120.0, 499.0])
def test_poisson_table_equals_sequential_inversion(lam):
    index, off, cdf, guide = K.poisson_tables([lam])
    assert index == {lam: 0}
    keys = np.arange(40, dtype=np.int64) + (3 << 32)
    got, ref = _table_counts(lam, 5, keys, 2500, off, cdf, guide)
    np.testing.assert_array_equal(got, ref)  # draw for draw: the same inversion of the same u
    if lam > 0:  # and the law: mean, variance and a chi-square test against the Poisson pmf
        x = got.ravel()
        assert abs(x.mean() - lam) < 5 * math.sqrt(lam / x.size)
        if lam >= 0.3:
            assert abs(x.var() / lam - 1.0) < 0.05
            ks = np.arange(max(0, int(lam - 4 * lam**0.5)), int(lam + 4 * lam**0.5) + 1)
            obs = np.array([(x == k).sum() for k in ks] + [((x < ks[0]) | (x > ks[-1])).sum()])
            pmf = stats.poisson.pmf(ks, lam)
            exp = np.append(pmf, 1.0 - pmf.sum()) * x.size
            keep = exp > 5
            chi = ((obs[keep] - exp[keep]) ** 2 / exp[keep]).sum()
            assert stats.chi2.sf(chi, keep.sum() - 1) > 1e-3
    else:
        assert not got.any()


def test_poisson_tables_guide_and_end():
    index, off, cdf, guide = K.poisson_tables([2.0, 600.0, 2.0, 0.5])
    assert sorted(index) == [0.5, 2.0]  # λ > 500 has no table (normal approximation)
    for lam, t in index.items():
        c = cdf[off[t] :]
        g = guide[t * K.GUIDE_M : (t + 1) * K.GUIDE_M]
        for j in range(K.GUIDE_M):  # guide[j] = the smallest k with cdf_k >= j/M
            assert c[g[j]] >= j / K.GUIDE_M and (g[j] == 0 or c[g[j] - 1] < j / K.GUIDE_M)
    end = cdf[off[index[2.0]] :][: np.argmax(cdf[off[index[2.0]] :] == 2.0) + 1]
    assert end[-1] == 2.0 and np.all(np.diff(end) >= 0)  # every search ends


def test_distinct_rows_are_uniform_subsets():
    rng = np.random.default_rng(4)
    a = distinct_rows(rng, 3000, 300, 400)  # k/n = 0.75: many rejections
    s = np.sort(a, axis=1)
    assert (s[:, 1:] != s[:, :-1]).all() and a.min() >= 0 and a.max() < 400
    counts = np.bincount(a.ravel(), minlength=400)  # each value in a row with probability k/n
    assert stats.chisquare(counts).pvalue > 1e-3
    # all 6 two-subsets of 4 equally likely, and the two orders of a pair too
    b = distinct_rows(rng, 60000, 2, 4)
    _, pairs = np.unique(np.sort(b, axis=1) @ [4, 1], return_counts=True)
    assert pairs.size == 6 and stats.chisquare(pairs).pvalue > 1e-3
    assert abs((b[:, 0] < b[:, 1]).mean() - 0.5) < 0.01
    with pytest.raises(ValueError, match="distinct"):
        distinct_rows(rng, 1, 5, 4)


def test_fixed_in_degree_rows():
    import soen

    pre, post = soen.FixedInDegree(50).pairs(200, 300, True, np.random.default_rng(1))
    assert np.array_equal(np.bincount(post), np.full(300, 50))
    assert not (pre == post).any()  # no autapses
    for j in range(0, 300, 37):
        assert np.unique(pre[post == j]).size == 50
    with pytest.raises(ValueError, match="exceeds"):
        soen.FixedInDegree(200).pairs(200, 10, True, np.random.default_rng(1))
