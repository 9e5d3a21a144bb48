"""Numba compilation helpers shared by the engines."""

from __future__ import annotations

import types

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types as nbt
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["twins", "grow_pair", "specialise", "prefetch"]


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


@intrinsic
def prefetch(typingctx, arr, idx):
    """Hint the CPU to bring in the cache line of ``arr[idx]`` (``idx``: an integer, or a tuple of one per
    dimension; LLVM's ``llvm.prefetch``, read, high locality); no effect on results. For loops whose
    loads are random and whose branches depend on them (a mispredicted branch discards the loads in
    flight): prefetching a few iterations ahead overlaps their cache misses. ``idx`` is not
    bounds-checked and must be valid."""
    if isinstance(idx, nbt.Integer) and isinstance(arr, nbt.Array) and arr.ndim == 1:
        n_idx = 0
    elif (isinstance(idx, nbt.UniTuple) and isinstance(idx.dtype, nbt.Integer) and isinstance(arr, nbt.Array)
          and idx.count == arr.ndim):
        n_idx = idx.count
    else:
        return None

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ity = signature.args[1] if n_idx == 0 else signature.args[1].dtype
        ind = [args[1]] if n_idx == 0 else cgutils.unpack_tuple(builder, args[1], n_idx)
        ind = [context.cast(builder, v, ity, nbt.intp) for v in ind]
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, ind, wraparound=False)
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                            "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return nbt.void(arr, idx), codegen
