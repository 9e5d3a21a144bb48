"""Compiled helper of the connectors: rows of distinct random indices (sampling without replacement)."""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def _fill_distinct(out, mark, draws, j0, i0):
    """Fill ``out[j, i]`` from (j0, i0) on with the next entries of ``draws`` that are not yet in row j
    (``mark[r] == j + 1`` flags r as taken in row j). Returns the (j, i) where the draws ran out, or
    (n_rows, 0) when done."""
    n_rows, k = out.shape
    pos = 0
    nd = draws.shape[0]
    i = i0
    for j in range(j0, n_rows):
        stamp = j + 1
        while i < k:
            if pos == nd:
                return j, i
            r = draws[pos]
            pos += 1
            if mark[r] != stamp:
                mark[r] = stamp
                out[j, i] = r
                i += 1
        i = 0
    return n_rows, 0


def distinct_rows(rng: np.random.Generator, n_rows: int, k: int, n: int) -> np.ndarray:
    """(n_rows, k) int64 array whose rows are uniformly random k-subsets of 0..n-1 (in draw order).

    Sequential rejection: draws uniform on 0..n-1 in order and skips a value already taken in its row.
    The procedure is symmetric under any relabelling of 0..n-1, so each row is a uniform random k-subset,
    rows are independent, and it costs k·(1 + O(k/n)) draws per row (a few ns each) instead of a
    permutation of n per row."""
    if k > n:
        raise ValueError(f"cannot draw {k} distinct values from {n}")
    out = np.empty((n_rows, k), dtype=np.int64)
    if n_rows == 0 or k == 0:
        return out
    mark = np.zeros(n, dtype=np.int64)
    j, i = 0, 0
    # expected draws per row: Σ_{m<k} n/(n-m) ≈ -n·ln(1 - k/n)
    per_row = -n * np.log1p(-(k - 0.5) / n) if k < n else n * (np.log(n) + 1.0)
    while j < n_rows:
        need = int((n_rows - j) * per_row * 1.02) + 64
        j, i = _fill_distinct(out, mark, rng.integers(0, n, size=need, dtype=np.int64), j, i)
    return out
