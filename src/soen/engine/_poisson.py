"""Poisson counts of input channels by table inversion, bit-identical to :func:`soen._rng.poisson`.

Shared by the engines' step loops (:mod:`soen.engine.cpu`, :mod:`soen.engine._point_kernel`): the
count of a channel in step n is the inversion of u = hash(seed, poisson_input, key, n), finished from
the channel's precomputed hash prefix.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from soen._rng import STREAMS, hash64_finish, hash64_prefix_array

_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0
STREAM_POISSON = STREAMS["poisson_input"]


GUIDE_BITS = 8
GUIDE_M = 1 << GUIDE_BITS  # guide-table entries per Poisson table
_GUIDE_SHIFT = 53 - GUIDE_BITS


def poisson_tables(lams):
    """Inversion tables of the Poisson channels: one per distinct mean λ (≤ 500) in ``lams``.

    Returns (table index per λ, cdf offsets, flat cdf, flat guide). Table t holds cdf_k = Σ_{j≤k} p_j
    with p_0 = e^{-λ}, p_k = p_{k-1}·(λ/k) (the recurrence of sequential-search inversion, evaluated
    in the same order, so a draw is bit-identical to that search), up to the k where p_k underflows,
    and a last entry 2 that ends every search. Its guide table (``GUIDE_M`` entries, Devroye 1986,
    §III.2.4) holds for j = 0..M-1 the smallest k with cdf_k ≥ j/M, where the search for u starts."""
    uniq = sorted({float(x) for x in lams if x <= 500.0})
    index = {lam: t for t, lam in enumerate(uniq)}
    offs, cdfs, guides, o = [], [], [], 0
    for lam in uniq:
        p = float(np.exp(-lam))
        cdf = [p]
        k = 0
        while k < 100000:
            k += 1
            p *= lam / k
            if p < 1e-300 and k > lam:
                break
            cdf.append(cdf[-1] + p)
        cdf.append(2.0)
        c = np.asarray(cdf)
        guides.append(np.searchsorted(c, np.arange(GUIDE_M) / GUIDE_M, side="left").astype(np.int32))
        offs.append(o)
        cdfs.append(c)
        o += c.size
    if not uniq:
        return index, np.zeros(1, np.int64), np.ones(1), np.zeros(GUIDE_M, np.int32)
    return index, np.asarray(offs, np.int64), np.concatenate(cdfs), np.concatenate(guides)


@nb.njit(inline="always", cache=True)
def _poisson_count(tab, pre, n, tab_off, tab_cdf, tab_guide):
    """Counter-based Poisson count of a channel with table ``tab`` (:func:`poisson_tables`) at step
    ``n``: inversion of u = hash(seed, poisson_input, key, n), finished from the channel's hash prefix
    ``pre`` (soen._rng.hash64_prefix). Channels with λ > 500 are drawn by :func:`_draw_big` instead
    (a call to the general sampler inside this loop made every draw ~10× slower)."""
    h = np.int64(hash64_finish(pre, n) >> _S11)  # 53 bits; int64 → float is one instruction
    u = (float(h) + 0.5) * _INV53
    o = tab_off[tab]
    k = tab_guide[tab * GUIDE_M + (h >> _GUIDE_SHIFT)]  # the guide entry of floor(u·M): ≤ the answer
    while u > tab_cdf[o + k]:
        k += 1
    return k


def channel_tables(lam: np.ndarray, seed: int, key: np.ndarray) -> dict:
    """Everything a step loop needs to draw the channels (λ per step ``lam``, stable ``key``s): the
    inversion tables, each channel's table (−1: λ > 500, drawn by :func:`soen._rng.poisson`) and the
    hash prefix of (seed, poisson_input, key)."""
    index, off, cdf, guide = poisson_tables(lam)
    uniq = np.asarray(sorted(index), dtype=float)
    tab = np.where(lam <= 500.0, np.searchsorted(uniq, lam), -1).astype(np.int32)
    pre = hash64_prefix_array(int(seed), STREAM_POISSON, key) if key.size else np.empty(0, dtype=np.uint64)
    return dict(tab=tab, big=np.flatnonzero(tab < 0), off=off, cdf=cdf, guide=guide, pre=pre)
