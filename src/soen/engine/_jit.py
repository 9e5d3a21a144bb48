"""Numba compilation helpers shared by the engines."""

from __future__ import annotations

import types

import numba as nb
import numpy as np

__all__ = ["twins", "grow_pair", "specialise"]


def _copy(f, name: str, constants: dict | None = None):
    """``f`` under another name, with some module globals replaced by ``constants``."""
    glob = f.__globals__
    if constants:
        glob = dict(glob)
        glob.update(constants)
    g = types.FunctionType(f.__code__, glob, name, f.__defaults__, f.__closure__)
    g.__qualname__ = name
    g.__doc__ = f.__doc__
    return g


def twins(f, **options):
    """Serial and parallel (``prange``) compilations of ``f``, cached on disk.

    Numba's cache keys an entry by function name, signature and bytecode, not by the compile options:
    two dispatchers of one function share one cache entry, each compilation overwrites the other's,
    and the serial path can load the parallel code (a gufunc launched through the threading layer,
    slower with one thread). The parallel twin is therefore a copy of ``f`` under its own name."""
    g = _copy(f, f.__name__ + "_par")
    return nb.njit(cache=True, **options)(f), nb.njit(cache=True, parallel=True, **options)(g)


_SPECIALISED: dict = {}


def specialise(f, constants: dict, *, bind: dict | None = None, **options):
    """``f`` compiled with the module globals named in ``constants`` (booleans) fixed to those values.

    Numba reads globals as compile-time constants and prunes the branches they decide before typing,
    so a kernel written with ``if HAS_X:`` blocks compiles only the blocks its network needs (cold
    starts compile less; the serial kernel never compiles the parallel blocks). Each specialisation is
    a copy of ``f`` with a name that encodes the constants, hence its own entry in Numba's disk cache.
    ``options`` go to ``numba.njit`` (``parallel=True`` for a prange kernel). ``bind``: further
    globals of the copy (e.g. the callee variant to use) that must follow from ``constants``, since
    they are not part of the name."""
    key = (f, tuple(sorted(constants.items())), repr(sorted(options.items())))  # (options may hold sets)
    k = _SPECIALISED.get(key)
    if k is None:
        tag = "".join("1" if v else "0" for _, v in sorted(constants.items()))
        name = f"{f.__name__}_{tag}" + ("_par" if options.get("parallel") else "")
        k = _SPECIALISED[key] = nb.njit(cache=True, **options)(_copy(f, name, {**constants, **(bind or {})}))
    return k


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
