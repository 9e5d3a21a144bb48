"""Numba compilation helpers shared by the engines."""

from __future__ import annotations

import types

import numba as nb
import numpy as np

__all__ = ["twins", "grow_pair"]


def twins(f, **options):
    """Serial and parallel (``prange``) compilations of ``f``, cached on disk.

    Numba's cache keys an entry by function name, signature and bytecode, not by the compile options:
    two dispatchers of one function share one cache entry, each compilation overwrites the other's,
    and the serial path can load the parallel code (a gufunc launched through the threading layer,
    slower with one thread). The parallel twin is therefore a copy of ``f`` under its own name."""
    g = types.FunctionType(f.__code__, f.__globals__, f.__name__ + "_par", f.__defaults__, f.__closure__)
    g.__qualname__ = f.__qualname__ + "_par"
    g.__doc__ = f.__doc__
    return nb.njit(cache=True, **options)(f), nb.njit(cache=True, parallel=True, **options)(g)


@nb.njit(cache=True)
def grow_pair(a, b):
    """Double the capacity of two parallel 1-D arrays (spike steps and ids), keeping their contents."""
    c = a.shape[0]
    a2 = np.empty(2 * c, dtype=a.dtype)
    b2 = np.empty(2 * c, dtype=b.dtype)
    for k in range(c):  # an explicit loop: a slice assignment costs ~3 s of extra compilation
        a2[k] = a[k]
        b2[k] = b[k]
    return a2, b2
