"""soen.engine._fastexp.fexp: accuracy against numpy.exp, special values, and the exactness the COBA
kernel relies on (the same bits in vectorised and scalar code, for any loop split or thread count)."""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import pytest

from soen.engine import _point_kernel as K
from soen.engine._fastexp import fexp
from soen.engine._point_lower import lower


@nb.njit(cache=False)
def _vec(z, out):  # a plain loop: LLVM vectorises it (fexp has no calls and no branches)
    for i in range(z.shape[0]):
        out[i] = fexp(z[i])


@nb.njit(cache=False)
def _one(z):  # one scalar evaluation per call: no vectorisation possible
    return fexp(z)


def _ulp_err(a, ref):
    return np.abs(a - ref) / np.spacing(np.abs(ref))


@pytest.mark.parametrize(
    "lo, hi",
    [
        (-1.0, 0.0),  # COBA at dt = 0.1 ms: z = −g·dt/C_m, typically −0.005 … −0.5
        (-50.0, 0.0),
        (-708.0, 0.0),  # the full computed range
        (0.0, 709.7),
    ],
)
def test_max_error_vs_numpy(lo, hi):
    z = np.random.default_rng(7).uniform(lo, hi, 1_000_003)
    out = np.empty_like(z)
    _vec(z, out)
    ref = np.exp(z)
    rel = np.abs(out - ref) / ref
    # measured: max 2.2e-16 relative, 1 ulp (numpy.exp itself is not always correctly rounded)
    assert rel.max() <= 2.3e-16
    assert _ulp_err(out, ref).max() <= 1.0
    # and against libm's exp on a subset
    sub = z[:20000]
    ref2 = np.array([math.exp(t) for t in sub])
    assert _ulp_err(out[:20000], ref2).max() <= 1.0


def test_special_values():
    assert _one(0.0) == 1.0 and _one(-0.0) == 1.0
    assert _one(-708.0) == pytest.approx(math.exp(-708.0), rel=3e-16)
    assert _one(-708.0001) == 0.0 and _one(-1e4) == 0.0 and _one(-math.inf) == 0.0
    assert _one(709.78) == pytest.approx(math.exp(709.78), rel=3e-16)
    assert _one(709.79) == math.inf and _one(1e4) == math.inf and _one(math.inf) == math.inf
    assert math.isnan(_one(math.nan))
    # around the reduction boundaries z = (k ± 1/2) ln 2 and at z = k ln 2 (r = 0)
    for k in range(-40, 41):
        for z in (k * math.log(2.0), (k + 0.5) * math.log(2.0), np.nextafter((k + 0.5) * math.log(2.0), 0.0)):
            assert abs(_one(z) - math.exp(z)) <= np.spacing(math.exp(z))


def test_vector_equals_scalar_bitwise():
    """Every element gets the same bits whether it falls in a vector or a remainder iteration."""
    rng = np.random.default_rng(3)
    z = np.concatenate([rng.uniform(-2.0, 0.0, 5000), rng.uniform(-708.0, 709.0, 5000)])
    z = np.concatenate([z, [0.0, -0.0, -708.0, -708.5, 709.9, 800.0, math.nan, -math.inf, math.inf]])
    scalar = np.array([_one(t) for t in z])
    for start in range(8):  # shift the vector/remainder split
        for stop in (z.size, z.size - 3):
            out = np.empty(stop - start)
            _vec(z[start:stop], out)
            np.testing.assert_array_equal(out, scalar[start:stop])


def _cond_reference(off, nn, p, v, x, y, ref, fired, inbuf, slot):
    """The branchy per-neuron exponential-Euler update (the kernel before vectorisation), with fexp."""
    gl, el, vth, vr, cm, ee, ei, ie, pe, pi = p[1], p[0], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]
    nt = inbuf.shape[1] // 2
    for j in range(nn):
        i = off + j
        ge = x[i] + inbuf[slot, i]
        gi = y[i] + inbuf[slot, nt + i]
        inbuf[slot, i] = inbuf[slot, nt + i] = 0.0
        f = 0
        if ref[i] > 0:
            ref[i] -= 1
            vn = vr
        else:
            gt = gl + ge + gi
            vinf = (gl * el + ie + ge * ee + gi * ei) / gt
            vn = vinf + (v[i] - vinf) * _one(-gt * (p[12] / cm))
            if vn >= vth:
                vn, ref[i], f = vr, int(p[10]), 1
            elif not (-1e300 < vn < 1e300):
                f = 2
        if not (ge < 1e300 and gi < 1e300):
            f = 2
        fired[i], x[i], y[i], v[i] = f, ge * pe, gi * pi, vn


def test_cond_kernel_matches_reference_serial_and_parallel():
    from soen import models

    p = lower(models.CondExpLIF(), 0.1)[1]
    n, off, nn = 1203, 5, 1195  # odd sizes: vector and remainder iterations, an offset population
    rng = np.random.default_rng(11)
    v = rng.uniform(-70.0, -45.0, n)
    x = np.abs(rng.normal(40.0, 30.0, n))
    y = np.abs(rng.normal(200.0, 150.0, n))
    ref = rng.integers(0, 3, n).astype(np.int32)
    inbuf = np.zeros((3, 2 * n))
    inbuf[1] = rng.uniform(0.0, 20.0, 2 * n) * (rng.random(2 * n) < 0.2)
    x[off + 7], y[off + 8], v[off + 9], ref[off + 9] = math.inf, math.nan, math.nan, 0  # non-finite flags
    states = []
    nthreads = nb.get_num_threads()
    for fn in ("ref", K._cond_s, K._cond_p):
        a = [v.copy(), x.copy(), y.copy(), ref.copy(), np.zeros(n, np.int8), inbuf.copy()]
        vv, xx, yy, rr, ff, ib = a
        for step in range(3):
            if fn == "ref":
                with np.errstate(all="ignore"):
                    _cond_reference(off, nn, p, vv, xx, yy, rr, ff, ib, step)
            elif fn is K._cond_p:
                nb.set_num_threads(min(2, nb.config.NUMBA_NUM_THREADS))
                try:
                    fn(off, nn, p, vv, xx, yy, rr, ff, ib, step)
                finally:
                    nb.set_num_threads(nthreads)
            else:
                fn(off, nn, p, vv, xx, yy, rr, ff, ib, step)
        states.append(a)
    assert (states[0][4] == 1).sum() > 0 and (states[0][4] == 2).sum() >= 3
    for other in states[1:]:
        for a, b in zip(states[0], other):
            np.testing.assert_array_equal(a, b)


def test_cond_rk4_kernel_serial_equals_parallel_and_runs_the_method():
    """The RK4 block (its own twin pair since the blocks were split per method): serial and 2-thread
    parallel give the same bits, and it is the RK4 of the model's equation (checked against a
    fine-step reference in test_point_models; here: it differs from exponential Euler)."""
    from soen import models

    p = lower(models.CondExpLIF(method="rk4"), 0.1)[1]
    n = 1203
    rng = np.random.default_rng(5)
    init = [
        rng.uniform(-70.0, -45.0, n),
        np.abs(rng.normal(40.0, 30.0, n)),
        np.abs(rng.normal(200.0, 150.0, n)),
        rng.integers(0, 3, n).astype(np.int32),
        np.zeros(n, np.int8),
        np.zeros((2, 2 * n)),
    ]
    init[5][0] = rng.uniform(0.0, 20.0, 2 * n) * (rng.random(2 * n) < 0.2)
    out = []
    nthreads = nb.get_num_threads()
    for fn in (K._cond_rk4_s, K._cond_rk4_p, K._cond_s):
        a = [b.copy() for b in init]
        nb.set_num_threads(min(2, nb.config.NUMBA_NUM_THREADS))
        try:
            for step in range(4):
                fn(3, n - 3, p, *a[:5], a[5], step % 2)
        finally:
            nb.set_num_threads(nthreads)
        out.append(a)
    for a, b in zip(out[0], out[1]):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(out[0][0], out[2][0])  # not the exponential-Euler update
