r"""RCSJ model of the two-junction "ri" dendrite: SQUID + integration loop (Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976, PHENO/LOOP19).

Equations (normalised time τ in units of τ0, dots are d/dτ; junction k has relative critical current a_k)::

    a_k (β_c φ̈_k + φ̇_k + sin φ_k) = i_k                                  (k = 1, 2)
    i_1 = (θ_A − φ_1 + 2π φ_a)/β_1,   i_2 = (θ_A − φ_2)/β_2,   B = 1/β_1 + 1/β_2
    θ_A = [i_b − s + φ_1/β_1 + φ_2/β_2 − 2π φ_a/β_1] / B                   (KCL at the bias node A)
    ṡ   = [(φ̇_1/β_1 + φ̇_2/β_2)/B − α s] / (β_di + 1/B)                    (integration loop)

State (φ_1, φ_2, φ̇_1, φ̇_2, s), started from rest with bias and flux switched on at τ = 0, integrated with
fixed-step classical RK4. For the SQUID alone (the rate table) s is held fixed and the SQUID sees the bias
i_sq = i_b − s.

The fluxon rate g = ⟨φ̇_1⟩ (normalised mean voltage, 2π × fluxons per τ0) is measured by counting whole
2π slips of φ_1: the crossing times of the levels 2π n are located by cubic Hermite interpolation inside the
RK4 step (using φ and φ̇ at both ends), and g = 2π N / (t_N − t_0) over N whole slips after the transient.

All kernels are Numba-compiled; the vectorised kernels use ``prange`` over independent points, so results
do not depend on the number of threads.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = ["squid_rate_kernel", "fill_curve_kernel", "squid_static_ic"]

TWO_PI = 2.0 * math.pi


@njit(cache=True, inline="always")
def _acc(p1, p2, v1, v2, s, i_b, phi_a, beta_c, b1, b2, a1, a2):
    """Junction accelerations (φ̈_1, φ̈_2) for a given state; s enters as i_b − s."""
    inv_b1 = 1.0 / b1
    inv_b2 = 1.0 / b2
    bsum = inv_b1 + inv_b2
    flux = TWO_PI * phi_a
    theta = (i_b - s + p1 * inv_b1 + p2 * inv_b2 - flux * inv_b1) / bsum
    i1 = (theta - p1 + flux) * inv_b1
    i2 = (theta - p2) * inv_b2
    acc1 = (i1 / a1 - v1 - math.sin(p1)) / beta_c
    acc2 = (i2 / a2 - v2 - math.sin(p2)) / beta_c
    return acc1, acc2


@njit(cache=True, inline="always")
def _rk4_squid(p1, p2, v1, v2, i_sq, phi_a, beta_c, b1, b2, a1, a2, dt):
    """One RK4 step of the SQUID alone (s fixed; bias i_sq)."""
    k1a, k1b = _acc(p1, p2, v1, v2, 0.0, i_sq, phi_a, beta_c, b1, b2, a1, a2)
    h = 0.5 * dt
    k2a, k2b = _acc(
        p1 + h * v1, p2 + h * v2, v1 + h * k1a, v2 + h * k1b, 0.0, i_sq, phi_a, beta_c, b1, b2, a1, a2
    )
    k3a, k3b = _acc(
        p1 + h * (v1 + h * k1a),
        p2 + h * (v2 + h * k1b),
        v1 + h * k2a,
        v2 + h * k2b,
        0.0,
        i_sq,
        phi_a,
        beta_c,
        b1,
        b2,
        a1,
        a2,
    )
    k4a, k4b = _acc(
        p1 + dt * (v1 + h * k2a),
        p2 + dt * (v2 + h * k2b),
        v1 + dt * k3a,
        v2 + dt * k3b,
        0.0,
        i_sq,
        phi_a,
        beta_c,
        b1,
        b2,
        a1,
        a2,
    )
    # position derivatives are the velocities at the stages: v, v + h k1, v + h k2, v + dt k3
    np1 = p1 + dt / 6.0 * (v1 + 2.0 * (v1 + h * k1a) + 2.0 * (v1 + h * k2a) + (v1 + dt * k3a))
    np2 = p2 + dt / 6.0 * (v2 + 2.0 * (v2 + h * k1b) + 2.0 * (v2 + h * k2b) + (v2 + dt * k3b))
    nv1 = v1 + dt / 6.0 * (k1a + 2.0 * k2a + 2.0 * k3a + k4a)
    nv2 = v2 + dt / 6.0 * (k1b + 2.0 * k2b + 2.0 * k3b + k4b)
    return np1, np2, nv1, nv2


@njit(cache=True, inline="always")
def _crossing_fraction(pa, va, pb, vb, level, dt):
    """Fraction x ∈ [0, 1] of the step where the cubic Hermite interpolant of φ crosses ``level``."""
    x = (level - pa) / (pb - pa)  # linear guess (pb > level >= pa)
    for _ in range(3):
        x2 = x * x
        x3 = x2 * x
        p = (
            (2.0 * x3 - 3.0 * x2 + 1.0) * pa
            + (x3 - 2.0 * x2 + x) * dt * va
            + (-2.0 * x3 + 3.0 * x2) * pb
            + (x3 - x2) * dt * vb
        )
        dp = (6.0 * x2 - 6.0 * x) * pa + (3.0 * x2 - 4.0 * x + 1.0) * dt * va + (-6.0 * x2 + 6.0 * x) * pb
        dp += (3.0 * x2 - 2.0 * x) * dt * vb
        if dp <= 0.0:
            break
        xn = x - (p - level) / dp
        if xn < 0.0 or xn > 1.0:
            break
        x = xn
    return x


@njit(cache=True)
def _squid_point(phi_a, i_sq, beta_c, b1, b2, a1, a2, dt, t_transient, n_slips, t_window, t_max):
    """Mean normalised voltage ⟨φ̇_1⟩ of the SQUID at one (φ_a, i_sq) point (see module docstring)."""
    p1 = 0.0
    p2 = 0.0
    v1 = 0.0
    v2 = 0.0
    n_tr = int(math.ceil(t_transient / dt))
    for _ in range(n_tr):
        p1, p2, v1, v2 = _rk4_squid(p1, p2, v1, v2, i_sq, phi_a, beta_c, b1, b2, a1, a2, dt)
    t = n_tr * dt
    level = TWO_PI * (math.floor(p1 / TWO_PI) + 1.0)
    n_skip = 2  # a few slips after the transient are discarded as well
    n_seen = 0
    t_first = 0.0
    t_last = 0.0
    n_count = 0  # whole slips between t_first and t_last
    step = 0
    while t < t_max:
        q1, q2, w1, w2 = _rk4_squid(p1, p2, v1, v2, i_sq, phi_a, beta_c, b1, b2, a1, a2, dt)
        while q1 >= level:
            x = _crossing_fraction(p1, v1, q1, w1, level, dt)
            tc = t + x * dt
            n_seen += 1
            if n_seen == n_skip + 1:
                t_first = tc
            elif n_seen > n_skip + 1:
                t_last = tc
                n_count += 1
            level += TWO_PI
        p1, p2, v1, v2 = q1, q2, w1, w2
        t += dt
        step += 1
        if n_count >= n_slips and (t_last - t_first) >= t_window:
            break
        # static (zero-voltage) state reached: give up early
        if n_seen == 0 and (step & 63) == 0:
            if abs(v1) + abs(v2) < 1e-10:
                return 0.0
    if n_count == 0:
        return 0.0
    return TWO_PI * n_count / (t_last - t_first)


@njit(parallel=True, cache=True)
def squid_rate_kernel(phi, i_sq, beta_c, b1, b2, a1, a2, dt, t_transient, n_slips, t_window, t_max, out):
    """Fill ``out[k]`` with the SQUID rate g(phi[k], i_sq[k]) for all points (1-D float64 arrays)."""
    n = phi.shape[0]
    for k in prange(n):
        out[k] = _squid_point(
            phi[k], i_sq[k], beta_c, b1, b2, a1, a2, dt, t_transient, n_slips, t_window, t_max
        )


@njit(cache=True)
def _rk4_full(p1, p2, v1, v2, s, i_b, phi_a, beta_c, b1, b2, a1, a2, beta_di, alpha, dt):
    """One RK4 step of the full circuit (SQUID + integration loop)."""
    bsum = 1.0 / b1 + 1.0 / b2
    c = 1.0 / (beta_di + 1.0 / bsum)

    def sdot(v1, v2, s):
        return ((v1 / b1 + v2 / b2) / bsum - alpha * s) * c

    k1a, k1b = _acc(p1, p2, v1, v2, s, i_b, phi_a, beta_c, b1, b2, a1, a2)
    k1s = sdot(v1, v2, s)
    h = 0.5 * dt
    x1, x2, y1, y2, z = p1 + h * v1, p2 + h * v2, v1 + h * k1a, v2 + h * k1b, s + h * k1s
    k2a, k2b = _acc(x1, x2, y1, y2, z, i_b, phi_a, beta_c, b1, b2, a1, a2)
    k2s = sdot(y1, y2, z)
    u1, u2 = y1, y2
    x1, x2, y1, y2, z = p1 + h * u1, p2 + h * u2, v1 + h * k2a, v2 + h * k2b, s + h * k2s
    k3a, k3b = _acc(x1, x2, y1, y2, z, i_b, phi_a, beta_c, b1, b2, a1, a2)
    k3s = sdot(y1, y2, z)
    w1, w2 = y1, y2
    x1, x2, y1, y2, z = p1 + dt * w1, p2 + dt * w2, v1 + dt * k3a, v2 + dt * k3b, s + dt * k3s
    k4a, k4b = _acc(x1, x2, y1, y2, z, i_b, phi_a, beta_c, b1, b2, a1, a2)
    k4s = sdot(y1, y2, z)
    np1 = p1 + dt / 6.0 * (v1 + 2.0 * u1 + 2.0 * w1 + y1)
    np2 = p2 + dt / 6.0 * (v2 + 2.0 * u2 + 2.0 * w2 + y2)
    nv1 = v1 + dt / 6.0 * (k1a + 2.0 * k2a + 2.0 * k3a + k4a)
    nv2 = v2 + dt / 6.0 * (k1b + 2.0 * k2b + 2.0 * k3b + k4b)
    ns = s + dt / 6.0 * (k1s + 2.0 * k2s + 2.0 * k3s + k4s)
    return np1, np2, nv1, nv2, ns


@njit(cache=True)
def fill_curve_kernel(
    phi_a, i_b, beta_c, b1, b2, a1, a2, beta_di, alpha, dt, t_max, t_quiet, t_out, s_out, sint_out
):
    """Integrate the full circuit from rest; record the time and s of every 2π slip of φ_1.

    ``sint_out[n]`` is ∫ s dτ from the start to slip n (trapezoidal), so the time-averaged loop current
    between slips n and n+1 is (sint[n+1] − sint[n]) / (t[n+1] − t[n]). Stops at ``t_max``, when ``t_out`` is
    full, or after ``t_quiet`` without a slip. Returns (number of slips recorded, final time, final s).
    """
    p1 = 0.0
    p2 = 0.0
    v1 = 0.0
    v2 = 0.0
    s = 0.0
    t = 0.0
    level = TWO_PI
    n = 0
    n_max = t_out.shape[0]
    t_prev = 0.0
    sint = 0.0
    while t < t_max and n < n_max:
        q1, q2, w1, w2, sn = _rk4_full(
            p1, p2, v1, v2, s, i_b, phi_a, beta_c, b1, b2, a1, a2, beta_di, alpha, dt
        )
        while q1 >= level and n < n_max:
            x = _crossing_fraction(p1, v1, q1, w1, level, dt)
            t_out[n] = t + x * dt
            s_out[n] = s + x * (sn - s)
            sint_out[n] = sint + 0.5 * (s + s_out[n]) * x * dt
            t_prev = t_out[n]
            n += 1
            level += TWO_PI
        sint += 0.5 * (s + sn) * dt
        p1, p2, v1, v2, s = q1, q2, w1, w2, sn
        t += dt
        if t - t_prev > t_quiet:
            break
    return n, t, s


# --------------------------------------------------------------------------------------------------------
# Static critical current of the SQUID
# --------------------------------------------------------------------------------------------------------


def squid_static_ic(phi, beta_1: float, beta_2: float, ic_1: float, ic_2: float) -> np.ndarray:
    r"""Critical current i_c(φ_a) of the SQUID from its static (zero-voltage) equations.

    Static states satisfy sin φ_k = i_k / a_k with the fluxoid condition
    ``F = φ_2 − φ_1 + 2π φ_a − β_1 a_1 sin φ_1 + β_2 a_2 sin φ_2 = 0`` and carry
    i = a_1 sin φ_1 + a_2 sin φ_2.
    i_c(φ_a) is the maximum of i on the fluxoid branch that starts at φ_a = 0 (the n = 0 branch): the
    Lagrange condition a_1 cos φ_1 (1 + β_2 a_2 cos φ_2) + a_2 cos φ_2 (1 + β_1 a_1 cos φ_1) = 0 together with
    F = 0 is solved by Newton's method, continued in small steps of φ_a from φ_a = 0 (where φ_1 = φ_2 = π/2
    for a symmetric SQUID). Valid for φ_a ∈ [−1, 1]; vectorised over ``phi``.
    """
    phi = np.asarray(phi, dtype=np.float64)
    b1 = beta_1 * ic_1
    b2 = beta_2 * ic_2
    c12 = ic_1 * beta_2 * ic_2 + ic_2 * beta_1 * ic_1

    def newton(pa: float, x1: float, x2: float) -> tuple[float, float]:
        for _ in range(60):
            s1, c1, s2, c2 = math.sin(x1), math.cos(x1), math.sin(x2), math.cos(x2)
            e1 = x2 - x1 + TWO_PI * pa - b1 * s1 + b2 * s2
            e2 = ic_1 * c1 + ic_2 * c2 + c12 * c1 * c2
            j11, j12 = -1.0 - b1 * c1, 1.0 + b2 * c2
            j21, j22 = -s1 * (ic_1 + c12 * c2), -s2 * (ic_2 + c12 * c1)
            det = j11 * j22 - j12 * j21
            d1 = (e1 * j22 - j12 * e2) / det
            d2 = (j11 * e2 - j21 * e1) / det
            x1 -= d1
            x2 -= d2
            if abs(d1) + abs(d2) < 1e-14:
                break
        return x1, x2

    # start at φ_a = 0: fold at cos φ_1 = cos φ_2 = 0 is exact for a symmetric SQUID, refine in general
    x1, x2 = newton(0.0, math.pi / 2, math.pi / 2)
    targets = np.unique(np.abs(phi.ravel()))
    out_map: dict[float, float] = {}
    pa = 0.0
    for tgt in np.sort(targets):
        while pa < tgt:
            pa = min(tgt, pa + 0.002)
            x1, x2 = newton(pa, x1, x2)
        out_map[float(tgt)] = ic_1 * math.sin(x1) + ic_2 * math.sin(x2)
    res = np.array([out_map[abs(float(v))] for v in phi.ravel()], dtype=np.float64).reshape(phi.shape)
    if not (ic_1 == ic_2 and beta_1 == beta_2):
        # negative φ_a: continue separately (asymmetric SQUIDs are not even in φ_a)
        neg = phi.ravel() < 0
        if np.any(neg):
            x1, x2 = newton(0.0, math.pi / 2, math.pi / 2)
            vals = {}
            pa = 0.0
            for tgt in np.sort(np.unique(phi.ravel()[neg]))[::-1]:
                while pa > tgt:
                    pa = max(tgt, pa - 0.002)
                    x1, x2 = newton(pa, x1, x2)
                vals[float(tgt)] = ic_1 * math.sin(x1) + ic_2 * math.sin(x2)
            flat = res.ravel()
            for k in np.nonzero(neg)[0]:
                flat[k] = vals[float(phi.ravel()[k])]
            res = flat.reshape(phi.shape)
    return res
