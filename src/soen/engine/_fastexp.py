"""A deterministic, vectorisable exponential for the point-neuron kernels.

``fexp(z)`` is plain IEEE arithmetic (no calls, no tables, no FMA, no fast-math), so LLVM vectorises a
loop that uses it and every lane — vector body or scalar remainder, any thread — performs exactly the
same sequence of correctly rounded operations: the result of ``fexp(z)`` depends only on ``z``, never
on the position of the element in the loop or on the thread partition. (``math.exp`` calls libm and
blocks vectorisation; the vector math libraries reached with fast-math differ from the scalar libm in
the last bits, which would make results depend on the thread count.)

Algorithm (Cody–Waite range reduction, Taylor polynomial):

* k = round(z / ln 2) by the shifter trick t = z·log2(e) + 1.5·2^52 (round to nearest even; the bits of t
  minus those of the shifter are k); r = (z − k·ln2_hi) − k·ln2_lo with ln2_hi holding 32 significant
  bits, so k·ln2_hi is exact for |k| < 2^21 and |r| ≤ ln2/2 (+ a few ulp);
* e^r by the Taylor polynomial of degree 13 in Horner form (truncation < 2e-18 relative on
  |r| ≤ 0.3466), with the coefficients 1/n! rounded to double;
* e^z = (p + p) · 2^(k−1), with 2^(k−1) built from its bits (one rounding, correct overflow to +inf).

Range: z in [−708, 710] is computed as above (max relative error against ``numpy.exp`` ≈ 1 ulp, see
``tests/models/test_fastexp.py``); z < −708 returns 0.0 (exp(−708) ≈ 3.3e-308), z > 710 returns +inf,
NaN returns NaN.
"""

from __future__ import annotations

import numba as nb
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

_LOG2E = 1.4426950408889634
_SHIFT = 6755399441055744.0  # 1.5 * 2**52
_SHIFT_BITS = 0x4338000000000000
_LN2_HI = 6.93147180369123816490e-01  # fdlibm's ln2_hi: 32 significant bits
_LN2_LO = 1.90821492927058770002e-10  # ln 2 − ln2_hi
_ZMIN = -708.0
_ZMAX = 710.0

# 1/n!, n = 2..13
_C2 = 1.0 / 2.0
_C3 = 1.0 / 6.0
_C4 = 1.0 / 24.0
_C5 = 1.0 / 120.0
_C6 = 1.0 / 720.0
_C7 = 1.0 / 5040.0
_C8 = 1.0 / 40320.0
_C9 = 1.0 / 362880.0
_C10 = 1.0 / 3628800.0
_C11 = 1.0 / 39916800.0
_C12 = 1.0 / 479001600.0
_C13 = 1.0 / 6227020800.0


@intrinsic
def _f64_bits(typingctx, x):
    """The bits of a float64 as an int64 (an LLVM bitcast: vectorisable)."""
    if not isinstance(x, types.Float) or x.bitwidth != 64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _bits_f64(typingctx, k):
    """The float64 with the bits of an int64 (an LLVM bitcast: vectorisable)."""
    if not isinstance(k, types.Integer) or k.bitwidth != 64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@nb.njit(inline="always", cache=True)
def fexp(z):
    """e^z for a float64 z (module docstring); bit-identical in vector and scalar code."""
    # explicit selects, not min/max: a NaN z must pass the clamps unchanged (it is returned below)
    zc = _ZMIN if z < _ZMIN else z  # noqa: FURB136
    zc = _ZMAX if zc > _ZMAX else zc  # noqa: FURB136
    zc = zc if zc == zc else 0.0  # noqa: PLR0124 (NaN: compute on 0, return NaN below)
    t = zc * _LOG2E + _SHIFT
    kf = t - _SHIFT
    k = _f64_bits(t) - _SHIFT_BITS
    r = (zc - kf * _LN2_HI) - kf * _LN2_LO
    q = _C12 + r * _C13
    q = _C11 + r * q
    q = _C10 + r * q
    q = _C9 + r * q
    q = _C8 + r * q
    q = _C7 + r * q
    q = _C6 + r * q
    q = _C5 + r * q
    q = _C4 + r * q
    q = _C3 + r * q
    q = _C2 + r * q
    q = 1.0 + r * q
    p = 1.0 + r * q
    s = _bits_f64((k + 1022) << 52)
    e = (p + p) * s
    e = 0.0 if z < _ZMIN else e
    # NaN passes through; z > 710: zc = 710 and (p + p)·s overflows to +inf
    e = e if z == z else z  # noqa: PLR0124
    return e
