"""Differentiable forward passes of the JAX engine (one time step inside ``jax.lax.scan``).

Imports JAX: load this module only when the JAX engine or :mod:`soen.train` is used. The static
arrays come from :mod:`soen.engine._jax_lower`; the trainable values are a dict (pytree) of arrays.

Both passes follow the CPU engines step for step (same order of operations within a step, the same
propagators and the same table interpolation), so that with float64 their spikes agree with the CPU
engine's and their state traces agree to rounding:

* point models (:func:`point_forward`): at step n the input-channel spikes of step n are added to the
  delay ring, the ring slot of step n is read (u = ring + bias), every neuron advances with its exact
  propagator (or Euler), thresholds are tested and the neuron spikes (stamped t_{n+1}) are added to the
  slots n + d, d ≥ 1 (:mod:`soen.engine.point`);
* SOEN networks (:func:`soen_forward`): a history of emissions per node (neuron spikes at t_m, input
  spikes at step m) gives the photon arriving at synapse k at step n as the emission of its sender at
  step n − d_k; the SPD channel parts C, R, F and the pending hotspot ends are updated exactly as in
  ``soen.engine.cpu._deliver``; every dendrite advances by forward Euler of β ds/dτ = g(φ, i_b − s) − α s
  with g the bilinear table interpolation of :func:`rate` (the same formula as
  ``soen.circuits.rate_table.rate_nb``); somas at threshold spike, reset, hold and drive their
  refractory dendrite.

Spikes use a Heaviside step in the forward pass and a surrogate derivative in the backward pass
(Zenke & Ganguli 2018, Neural Comput. 30:1514, doi:10.1162/neco_a_01086; Neftci, Mostafa & Zenke 2019,
IEEE Signal Process. Mag. 36:51, doi:10.1109/MSP.2019.2931595). Batches: wrap the passes in ``jax.vmap``.
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["SURROGATES", "spike", "rate", "point_forward", "soen_forward", "point_state0", "soen_state0"]

from ._jax_lower import SURROGATE_NAMES as SURROGATES


def _surrogate_grad(x, kind: str, slope: float):
    """Derivative of the smooth stand-in of the Heaviside step at x (units of the state, e.g. mV or I_c).

    * ``fast_sigmoid``: 1/(1 + slope·|x|)² (SuperSpike, Zenke & Ganguli 2018);
    * ``arctan``: 1/(1 + (π·slope·x/2)²) (the derivative of (2/(π·slope))·arctan(π·slope·x/2), peak 1);
    * ``triangle``: max(0, 1 − slope·|x|) (piecewise linear, Esser et al. 2016 PNAS 113:11441, Bellec et al. 2018).

    Each has its peak 1 at x = 0; ``slope`` (1/unit of x) sets its width."""
    if kind == "fast_sigmoid":
        return 1.0 / (1.0 + slope * jnp.abs(x)) ** 2
    if kind == "arctan":
        return 1.0 / (1.0 + (0.5 * math.pi * slope * x) ** 2)
    return jnp.maximum(0.0, 1.0 - slope * jnp.abs(x))


@partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3))
def spike(x, kind: str = "fast_sigmoid", slope: float = 5.0, strict: bool = False):
    """Heaviside step of ``x`` = state − threshold (1.0 at x ≥ 0, or x > 0 with ``strict``) with a
    surrogate derivative (:func:`_surrogate_grad`)."""
    return jnp.where(x > 0 if strict else x >= 0, 1.0, 0.0).astype(x.dtype)


@spike.defjvp
def _spike_jvp(kind, slope, strict, primals, tangents):
    (x,), (dx,) = primals, tangents
    return spike(x, kind, slope, strict), _surrogate_grad(x, kind, slope).astype(x.dtype) * dx


def _safe_sqrt(q):
    pos = q > 0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, q, 1.0)), 0.0)


def rate(phi, i_sq, tab):
    """Interpolated fluxon rate g(φ, i_sq) ≥ 0: the formula of ``soen.circuits.rate_table.rate_nb``
    (φ folded, bilinear interpolation of the signed q = g² on the table grid, linear below the grid,
    ohmic asymptote above it, g = sqrt(max(q, 0))), written with jnp so that it is differentiable almost
    everywhere. ``tab`` = (q, i0, di, dphi, c_inf) as jnp arrays/floats."""
    q, i0, di, dphi, c_inf = tab
    n_i, n_p = q.shape
    ok = jnp.isfinite(phi) & jnp.isfinite(i_sq)
    phi = jnp.where(ok, phi, 0.0)
    i_sq = jnp.where(ok, i_sq, i0)
    x = phi - jnp.floor(phi)
    x = jnp.minimum(x, 1.0 - x)
    fj = x / dphi
    j = jnp.minimum(jnp.floor(fj).astype(jnp.int32), n_p - 2)
    u = fj - j
    fi = (i_sq - i0) / di
    above = fi > n_i - 1
    # above the grid: g² = g_top² + c_inf (i² − i_top²)
    top = n_i - 1
    i_top = i0 + di * top
    qt = q[top, j] + u * (q[top, j + 1] - q[top, j])
    ic = jnp.minimum(i_sq, 1e100)
    q_above = qt + c_inf * (ic * ic - i_top * i_top)
    fi_b = jnp.maximum(jnp.where(above, 0.0, fi), -1e9)
    k = jnp.clip(jnp.trunc(fi_b).astype(jnp.int32), 0, n_i - 2)
    t = fi_b - k
    a = q[k, j] + u * (q[k, j + 1] - q[k, j])
    b = q[k + 1, j] + u * (q[k + 1, j + 1] - q[k + 1, j])
    q_in = a + t * (b - a)
    return jnp.where(ok, _safe_sqrt(jnp.where(above, q_above, q_in)), 0.0)


def _masked(active, new, old):
    return jax.tree_util.tree_map(lambda a, b: jnp.where(active, a, b), new, old)


# ---------------------------------------------------------------------------------------------------
# point models (LIF family)
# ---------------------------------------------------------------------------------------------------


def point_state0(low, dtype):
    """Initial state of a point network (dict of arrays)."""
    n = low.n
    return dict(v=jnp.asarray(low.v0, dtype), x=jnp.asarray(low.x0, dtype), ref=jnp.zeros(n, jnp.int32),
                pend=jnp.zeros(n, bool), ring=jnp.zeros((low.ring, n), dtype))


def _delivery(pre, tgt, d, n_src, n_tgt, w, dense_limit):
    """A function (ring, n, x) → ring adding x[pre]·w into the slots n + d; dense per distinct delay
    (a matrix product) when small enough, else a gather/scatter over the edges."""
    if pre.size == 0:
        return lambda ring, n, x: ring
    du, di = np.unique(d, return_inverse=True)
    if du.size * n_src * n_tgt <= dense_limit:
        W = jnp.zeros((du.size, n_src, n_tgt), w.dtype).at[di, pre, tgt].add(w)
        dj = jnp.asarray(du)

        def go(ring, n, x):
            L = ring.shape[0]
            if du.size == 1:
                return ring.at[(n + int(du[0])) % L].add(x @ W[0])
            return ring.at[(n + dj) % L].add(jnp.einsum("i,kij->kj", x, W))
        return go
    pre_j, tgt_j, d_j = jnp.asarray(pre), jnp.asarray(tgt), jnp.asarray(d)

    def go_sparse(ring, n, x):
        L = ring.shape[0]
        return ring.at[(n + d_j) % L, tgt_j].add(x[pre_j] * w)
    return go_sparse


def point_forward(low, params, inputs, *, dtype=jnp.float64, surrogate="fast_sigmoid", slope=5.0,
                  detach_reset=True, state=None, n0=0, active=None, record=None, dense_limit=20_000_000):
    """Run a LIF-family network over the steps of ``inputs`` (T, input channels: spike counts per step).

    ``params``: dict with ``out_w`` (one weight per synapse, nA), ``bias`` (nA per neuron),
    ``v_threshold_mV`` (per population); ``slope`` in 1/mV. ``detach_reset``: the reset does not carry
    gradient (Zenke & Vogels 2021, Neural Comput. 33:899). Returns (outputs, final state); outputs:
    ``spikes`` (T, N) spikes stamped t_{n+1}, ``v`` (T, N) the potential at t_{n+1}, and with
    ``record`` (neuron ids) ``rec_v``/``rec_x`` at t_n."""
    P = jnp.asarray(low.rows, dtype)
    kind = jnp.asarray(low.kind)
    w = jnp.asarray(params["out_w"], dtype)
    bias = jnp.asarray(params["bias"], dtype)
    thr = jnp.where(P[:, 11] != 0.0, jnp.asarray(params["v_threshold_mV"], dtype)[low.pop_of], P[:, 2])
    send_in = _delivery(low.in_pre, low.in_tgt, low.in_d, low.n_in, low.n, w[low.in_e], dense_limit)
    send_nn = _delivery(low.nn_pre, low.nn_tgt, low.nn_d, low.n, low.n, w[low.nn_e], dense_limit)
    is_cuba, is_if = kind == 1, kind == 2
    exact = P[:, 7] == 0.0
    subtract = P[:, 8] != 0.0
    next_step = P[:, 9] != 0.0
    spiking = P[:, 11] != 0.0
    strict = bool(np.all(low.rows[:, 17] != 0.0)) if low.n else False
    if low.n and np.any(low.rows[:, 17] != 0.0) and not strict:
        raise ValueError("JAX engine: threshold_strict must be the same for every population")
    n_ref = P[:, 10].astype(jnp.int32)
    rec = None if record is None else jnp.asarray(np.asarray(record, dtype=np.int64))
    st0 = point_state0(low, dtype) if state is None else state
    T = inputs.shape[0]
    steps = n0 + jnp.arange(T, dtype=jnp.int32)
    act = jnp.ones(T, bool) if active is None else active

    def step(carry, xs):
        n, x_in, a = xs
        ring = send_in(carry["ring"], n, x_in)
        L = ring.shape[0]
        slot = n % L
        u = ring[slot] + bias
        ring = ring.at[slot].set(0.0)
        vo, xo, ref, pd = carry["v"], carry["x"], carry["ref"], carry["pend"]
        vo2 = jnp.where(pd & ~subtract, P[:, 3], vo)
        # CubaLIF
        iin = P[:, 16] * u
        jj = xo - iin
        x_c_ex = iin + jj * P[:, 13]
        vinf_c = P[:, 0] + P[:, 1] * iin
        v_c_ex = vinf_c + (vo2 - vinf_c) * P[:, 5] + P[:, 1] * jj * P[:, 15]
        x_c_eu = xo + P[:, 14] * (iin - xo)
        v_c_eu = vo2 + P[:, 6] * (P[:, 0] - vo2 + P[:, 1] * jnp.where(P[:, 18] != 0.0, x_c_eu, xo))
        # LIF / IF
        vinf = P[:, 0] + P[:, 1] * u
        v_l = jnp.where(exact, vinf + (vo2 - vinf) * P[:, 5], vo2 + P[:, 6] * (P[:, 0] - vo2 + P[:, 1] * u))
        v_i = vo2 + P[:, 1] * u * P[:, 12]
        xn = jnp.where(is_cuba, jnp.where(exact, x_c_ex, x_c_eu), u)
        vn = jnp.where(is_cuba, jnp.where(exact, v_c_ex, v_c_eu), jnp.where(is_if, v_i, v_l))
        refr = ref > 0
        vn = jnp.where(pd & ~refr & subtract, vn - (thr - P[:, 3]), vn)
        spk = spike(vn - thr, surrogate, slope, strict) * (spiking & ~refr)
        spk_b = spk > 0
        drop = jax.lax.stop_gradient(spk) if detach_reset else spk
        v_reset = jnp.where(subtract, vn - drop * (thr - P[:, 3]), vn * (1 - drop) + drop * P[:, 3])
        v_new = jnp.where(spk_b & ~next_step, v_reset, vn)
        v_new = jnp.where(refr, P[:, 3], v_new)
        pend_new = jnp.where(refr, False, jnp.where(spk_b, next_step, False))
        ref_new = jnp.where(refr, ref - 1, jnp.where(spk_b, n_ref, 0))
        ring = send_nn(ring, n, spk)
        new = dict(v=v_new, x=xn, ref=ref_new, pend=pend_new, ring=ring)
        if active is not None:
            new = _masked(a, new, carry)
        out = dict(spikes=spk, v=v_new)
        if rec is not None:
            out["rec_v"] = vo[rec]
            out["rec_x"] = xo[rec]
        return new, out

    final, outs = jax.lax.scan(step, st0, (steps, jnp.asarray(inputs, dtype), act))
    return outs, final


# ---------------------------------------------------------------------------------------------------
# SOEN networks
# ---------------------------------------------------------------------------------------------------


def soen_state0(low, dtype):
    """Initial state of a SOEN network (dict of arrays)."""
    return dict(s=jnp.zeros(low.nd, dtype), C=jnp.zeros(low.nch, dtype), R=jnp.zeros(low.nch, dtype),
                F=jnp.zeros(low.nch, dtype), pend=jnp.zeros((low.nch, low.pend, 3), dtype),
                last=jnp.full(low.nsyn, -1, jnp.int32), phi_end=jnp.zeros(low.nsyn, dtype),
                hist=jnp.zeros((low.ring, low.nn + low.n_in), dtype), emit=jnp.zeros(low.nn, dtype),
                ref_until=jnp.full(low.nn, -1, jnp.int32), fluxons=jnp.zeros(low.nd, dtype))


def soen_forward(low, params, inputs, *, dtype=jnp.float64, surrogate="fast_sigmoid", slope=20.0,
                 detach_reset=True, state=None, n0=0, active=None, record=None, readout=None,
                 dense_limit=4_000_000, fast=None, rate_grad="full", traces=None):
    """Run a SOEN network over the steps of ``inputs`` (T, input channels: spike counts per step).

    ``params``: ``sy_w`` (synapse weights), ``cp_J`` (couplings), ``d_offset`` (flux offsets, Φ0),
    ``d_bias`` (biases, I_c), ``nr_thresh`` (soma thresholds, I_c); ``slope`` in 1/I_c. Returns
    (outputs, final state); outputs: ``spikes`` (T, neurons) stamped t_{n+1}, ``s_soma`` (T, neurons)
    the soma loop currents at t_{n+1} (after reset), with ``readout`` (dendrite ids) ``s_read`` at
    t_{n+1} before the soma reset, and with ``record`` (dendrite ids) ``rec_s`` (at t_n) and ``rec_phi``.

    ``fast`` (default: for a run from rest, no ``state``/``active``/``n0``): the hoisted form
    :func:`_soen_forward_hoisted` (input synapses outside the time loop; same spikes, values equal to
    rounding); ``rate_grad`` (``"full"`` or ``"smooth"``, hoisted form only): the derivative of the rate;
    ``traces`` (hoisted form only): the input traces of :func:`input_traces` for ``inputs``, if computed
    already (for a batch, time-major, as :meth:`soen.train.Model.forward` does)."""
    f = lambda a: jnp.asarray(a, dtype)
    i32 = lambda a: jnp.asarray(a, jnp.int32)
    tab = (f(low.table[0]), low.table[1], low.table[2], low.table[3], low.table[4])
    w = f(params["sy_w"])
    J = f(params["cp_J"])
    off = f(params["d_offset"])
    bias = f(params["d_bias"])
    thr = f(params["nr_thresh"])
    hb, ahb = f(low.d_hb), f(low.d_ahb)
    ch_dr, ch_df = f(low.ch_dr), f(low.ch_df)
    cp_src = i32(low.cp_src)
    sy_ch, sy_pre, sy_d = i32(low.sy_ch), i32(low.sy_pre), i32(low.sy_d)
    A, ths, tf, dead = f(low.sy_A), f(low.sy_ths), f(low.sy_tf), f(low.sy_dead)
    hs = i32(low.sy_hs)
    e0, e1, e2 = f(low.sy_e[:, 0]), f(low.sy_e[:, 1]), f(low.sy_e[:, 2])
    has_hs = hs > 0
    soma = i32(low.nr_soma)
    ref_steps = i32(low.nr_ref_steps)
    nch = low.nch
    ch_rows, cp_rows = i32(low.ch_rows), i32(low.cp_rows)
    dt = low.dt_ns
    rec = None if record is None else i32(np.asarray(record, dtype=np.int64))
    rd = None if readout is None else i32(np.asarray(readout, dtype=np.int64))
    st0 = soen_state0(low, dtype) if state is None else state
    T = inputs.shape[0]
    steps = n0 + jnp.arange(T, dtype=jnp.int32)
    act = jnp.ones(T, bool) if active is None else active
    if fast is None:
        fast = state is None and active is None and n0 == 0
    if fast:
        return _soen_forward_hoisted(low, params, inputs, dtype=dtype, surrogate=surrogate, slope=slope,
                                     detach_reset=detach_reset, record=record, readout=readout,
                                     rate_grad=rate_grad, traces=traces)
    if rate_grad != "full":
        raise ValueError("rate_grad other than 'full' needs the hoisted pass (fast=True)")
    seg = jax.ops.segment_sum
    # photons → channels: a 0/1 matrix product when small (fast under vmap), else segment sums
    dense = low.nsyn * nch <= dense_limit
    if dense:
        M = jax.nn.one_hot(sy_ch, nch, dtype=dtype)  # (synapses, channels)
        hs_vals = [int(h) for h in np.unique(low.sy_hs) if h > 0]
        hs_mask = {h: jnp.asarray(low.sy_hs == h) for h in hs_vals}

    def to_ch(cols):
        X = jnp.stack(cols, axis=1)
        return M.T @ X if dense else seg(X, sy_ch, nch)

    def step(carry, xs):
        n, x_in, a_ = xs
        L = carry["hist"].shape[0]
        K = carry["pend"].shape[1]
        # emissions of step n: neuron spikes at t_n (found in step n − 1) and the input spikes of step n
        hist = carry["hist"].at[n % L].set(jnp.concatenate([carry["emit"], x_in]))
        ev = hist[(n - sy_d) % L, sy_pre]
        last, phi_end = carry["last"], carry["phi_end"]
        has = last >= 0
        gap = (n - last).astype(dtype) * dt
        blocked = has & (gap < dead - 1e-9)
        acc = (ev > 0) & ~blocked
        a = jnp.where(acc, 1.0 + ev - jax.lax.stop_gradient(ev), 0.0)  # one photon (several in a step: one)
        phi_m = jnp.where(has, phi_end * jnp.exp(-(gap - ths) / tf), 0.0)
        wa = a * w
        phi_p = A + (phi_m - A) * e0
        now = jnp.where(has_hs, 0.0, wa)  # zero hotspot lag: the end at once
        d6 = to_ch([wa * A, wa * (phi_m - A), wa * phi_m, now * A, now * (phi_m - A), now * phi_p])
        C = carry["C"] + d6[:, 0] - d6[:, 3]
        R = carry["R"] + d6[:, 1] - d6[:, 4]
        F = carry["F"] - d6[:, 2] + d6[:, 5]
        later = jnp.where(has_hs, wa, 0.0)
        pend = carry["pend"]
        cols = [-later * A, -later * (phi_m - A) * e1, later * phi_p * e2]
        if dense:
            for h in hs_vals:
                mk = hs_mask[h]
                pend = pend.at[:, (n + h) % K, :].add(to_ch([jnp.where(mk, v, 0.0) for v in cols]))
        else:
            s2 = (n + hs) % K
            for q, v in enumerate(cols):
                pend = pend.at[sy_ch, s2, q].add(v)
        phi_end = jnp.where(acc, phi_p, phi_end)
        last = jnp.where(acc, n, last)
        # dendrites (Jacobi: all read s at t_n)
        s = carry["s"]
        # in the CPU kernel's order: φ_offset, then each channel, then each coupling
        phi = off
        chv = jnp.concatenate([C + R + F, jnp.zeros(1, dtype)])
        for c in range(ch_rows.shape[1]):
            phi = phi + chv[ch_rows[:, c]]
        cpv = jnp.concatenate([J * s[cp_src], jnp.zeros(1, dtype)])
        for c in range(cp_rows.shape[1]):
            phi = phi + cpv[cp_rows[:, c]]
        nxt = (n + 1) % K
        C = C + pend[:, nxt, 0]
        R = R * ch_dr + pend[:, nxt, 1]
        F = F * ch_df + pend[:, nxt, 2]
        pend = pend.at[:, nxt, :].set(0.0)
        g = rate(phi, bias - s, tab)
        s_new = s + hb * g - ahb * s
        # somas
        m = n + 1
        ss = s_new[soma]
        ru = carry["ref_until"]
        refr = m <= ru
        spk = spike(ss - thr, surrogate, slope, False) * jnp.where(refr, 0.0, 1.0)
        drop = jax.lax.stop_gradient(spk) if detach_reset else spk
        ss_after = jnp.where(refr, 0.0, ss * (1.0 - drop))
        s_read = None if rd is None else s_new[rd]
        s_new = s_new.at[soma].set(ss_after)
        ru = jnp.where(spk > 0, m + ref_steps, ru)
        new = dict(s=s_new, C=C, R=R, F=F, pend=pend, last=last, phi_end=phi_end, hist=hist, emit=spk,
                   ref_until=ru, fluxons=carry["fluxons"] + g)
        if active is not None:
            new = _masked(a_, new, carry)
        out = dict(spikes=spk, s_soma=ss_after)
        if rd is not None:
            out["s_read"] = s_read
        if rec is not None:
            out["rec_s"] = s[rec]
            out["rec_phi"] = phi[rec]
        return new, out

    final, outs = jax.lax.scan(step, st0, (steps, jnp.asarray(inputs, dtype), act))
    return outs, final


# ---------------------------------------------------------------------------------------------------
# SOEN networks, hoisted form (training): input synapses as a matrix product outside the scan
# ---------------------------------------------------------------------------------------------------


@partial(jax.custom_jvp, nondiff_argnums=(1,))
def _sqrt_floor(q, g_floor):
    """sqrt(max(q, 0)); its derivative 1/(2·max(sqrt(q), g_floor)) for q > 0 (0 below): bounded near the
    SQUID's onset, where the exact 1/(2 sqrt q) diverges (``g_floor`` = 0: the exact derivative)."""
    return _safe_sqrt(q)


@_sqrt_floor.defjvp
def _sqrt_floor_jvp(g_floor, primals, tangents):
    (q,), (dq,) = primals, tangents
    g = _safe_sqrt(q)
    return g, jnp.where(q > 0, 0.5 / jnp.maximum(g, g_floor), 0.0) * dq


def _cell_table(tab_np):
    """(cells + 1, 6) coefficients of the bilinear interpolation of q on every table cell (k, j):
    q = c0 + c1·u + c2·t + c3·t·u (u along φ, t along the bias), and the top row's linear piece
    qt = c4 + c5·u, flattened as k·(n_φ − 1) + j: one gather per dendrite and step."""
    q = np.asarray(tab_np, dtype=np.float64)
    q00, q01, q10, q11 = q[:-1, :-1], q[:-1, 1:], q[1:, :-1], q[1:, 1:]
    top = q[-1]
    c = np.stack([q00, q01 - q00, q10 - q00, q11 - q10 - q01 + q00,
                  np.broadcast_to(top[:-1], q00.shape), np.broadcast_to(top[1:] - top[:-1], q00.shape)], axis=-1)
    return c.reshape(-1, 6)


def _rate_cells(phi, i_sq, cells, shape, i0, di, dphi, c_inf, g_floor):
    """:func:`rate` from the cell coefficients of :func:`_cell_table` (the same bilinear interpolation,
    linear below the grid, ohmic asymptote above it; summed in another order, so equal to rounding),
    with the derivative of its square root bounded by 1/(2·g_floor) (:func:`_sqrt_floor`)."""
    n_i, n_p = shape
    x = phi - jnp.floor(phi)
    x = jnp.minimum(x, 1.0 - x)
    fj = x / dphi
    j = jnp.minimum(jnp.floor(fj).astype(jnp.int32), n_p - 2)
    u = fj - j
    fi = (i_sq - i0) / di
    above = fi > n_i - 1
    fi_b = jnp.maximum(jnp.where(above, 0.0, fi), -1e9)
    k = jnp.clip(jnp.trunc(fi_b).astype(jnp.int32), 0, n_i - 2)
    t = fi_b - k
    c = cells[k * (n_p - 1) + j]
    q_in = c[..., 0] + c[..., 1] * u + t * (c[..., 2] + c[..., 3] * u)
    i_top = i0 + di * (n_i - 1)
    ic = jnp.minimum(i_sq, 1e15)
    q_above = c[..., 4] + c[..., 5] * u + c_inf * (ic * ic - i_top * i_top)
    return _sqrt_floor(jnp.where(above, q_above, q_in), g_floor)


def synapse_groups(low, syn):
    """Synapses ``syn`` grouped by what their unit photon trace depends on: sender, delay in steps and
    SPD type (rise/fall times, hotspot, dead time) and the decay factors of their channel. The flux a
    synapse adds to its channel is its weight times the unit trace u(t) of its group (the SPD update is
    linear in the weight; acceptance and dead time depend on the photon train only), so the flux of
    every dendrite is Σ_g W[g, d] u_g(t) with W the summed weights of group g onto dendrite d. Returns
    ``(grp, rep)``: the group of each synapse of ``syn`` and a representative synapse of every group."""
    syn = np.asarray(syn, dtype=np.int64)
    if not syn.size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    key = np.column_stack([low.sy_pre[syn].astype(float), low.sy_d[syn].astype(float), low.sy_A[syn],
                           low.sy_ths[syn], low.sy_tf[syn], low.sy_dead[syn], low.sy_hs[syn].astype(float),
                           low.sy_e[syn], low.ch_dr[low.sy_ch[syn]], low.ch_df[low.sy_ch[syn]]])
    _, first, grp = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return np.asarray(grp, np.int64).reshape(-1), syn[first]


def input_groups(low):
    """Input synapses of a lowered SOEN network grouped by :func:`synapse_groups`: an SPD synapse whose
    sender is an input channel receives a photon train that does not depend on any trainable parameter.
    Returns ``(syn, grp, rep)``: the ids of the input synapses, the group of each, and a representative
    synapse of every group."""
    cached = getattr(low, "_input_groups", None)
    if cached is not None:
        return cached
    syn = np.nonzero((low.sy_pre >= low.nn) & ~low.sy_fixed)[0]
    out = (syn, *synapse_groups(low, syn))
    object.__setattr__(low, "_input_groups", out)
    return out


class _UnitSPD:
    """The exact SPD update of ``soen.engine.cpu._deliver`` (dead time, hotspot lag) for unit-weight
    synapses ``rep`` of a lowered network, each alone in a channel of its own: state (C, R, F, pend,
    last, phi_end), ``pend`` as (K, groups, 3) updated by one-hot masks (no scatter: fast under vmap
    and in the backward pass)."""

    def __init__(self, low, rep, dtype):
        f = lambda a: jnp.asarray(a, dtype)
        self.dtype, self.G, self.dt = dtype, int(rep.size), low.dt_ns
        self.A, self.ths, self.tf, self.dead = (f(low.sy_A[rep]), f(low.sy_ths[rep]), f(low.sy_tf[rep]),
                                                f(low.sy_dead[rep]))
        self.hs = jnp.asarray(low.sy_hs[rep], jnp.int32)
        self.e0, self.e1, self.e2 = f(low.sy_e[rep, 0]), f(low.sy_e[rep, 1]), f(low.sy_e[rep, 2])
        self.dr, self.df = f(low.ch_dr[low.sy_ch[rep]]), f(low.ch_df[low.sy_ch[rep]])
        self.has_hs = self.hs > 0
        self.K = int(low.sy_hs[rep].max(initial=0)) + 1
        # one hotspot lag h for every synapse that has one (the usual case): the pending flux is a ring of
        # h − 1 slots read by dynamic slices (h = 1: applied within the step, no ring), not K one-hot masks
        lags = _hotspot_lags(low, rep)
        self.lag = int(lags[0]) if lags.size == 1 else None
        self.batchable = lags.size <= 1  # step takes a batch axis in front of the groups (not with mixed lags)

    def state0(self, batch=None):
        shape = (self.G,) if batch is None else (batch, self.G)
        z = jnp.zeros(shape, self.dtype)
        K = (max(self.lag - 1, 1) if self.lag is not None else self.K)
        return (z, z, z, jnp.zeros((K,) + shape + (3,), self.dtype), jnp.full(shape, -1, jnp.int32), z)

    def step(self, st, n, ev):
        """Photons ``ev`` (counts, groups) at step ``n``: (new state, u = C + R + F at the point where the
        dendrites read it, the photons of step n included). A detection weighs 1 + ev − stop_gradient(ev)
        (1 in value; the surrogate gradient of a sender's spike passes through)."""
        C, R, F, pend, last, phi_end = st
        A, e0 = self.A, self.e0
        has = last >= 0
        gap = (n - last).astype(self.dtype) * self.dt
        acc = (ev > 0) & ~(has & (gap < self.dead - 1e-9))
        a = jnp.where(acc, 1.0 + ev - jax.lax.stop_gradient(ev), 0.0)
        phi_m = jnp.where(has, phi_end * jnp.exp(-(gap - self.ths) / self.tf), 0.0)
        phi_p = A + (phi_m - A) * e0
        now = jnp.where(self.has_hs, 0.0, a)
        C = C + (a - now) * A
        R = R + (a - now) * (phi_m - A)
        F = F - a * phi_m + now * phi_p
        u = C + R + F
        K = self.K
        if K > 1 and self.lag is not None:
            # the flux of the detections of step n whose hotspot lags h steps: applied at step n + h − 1,
            # after its arrivals (as the K-slot ring below, which writes slot n + h and reads slot n + 1)
            later = jnp.where(self.has_hs, a, 0.0)
            vals = (-later * A, -later * (phi_m - A) * self.e1, later * phi_p * self.e2)
            if self.lag == 1:
                p0, p1, p2 = vals
            else:
                L = self.lag - 1
                p_n = jax.lax.dynamic_index_in_dim(pend, n % L, axis=0, keepdims=False)
                p0, p1, p2 = p_n[..., 0], p_n[..., 1], p_n[..., 2]
                pend = jax.lax.dynamic_update_index_in_dim(pend, jnp.stack(vals, axis=-1), n % L, axis=0)
            C = C + p0
            R = R * self.dr + p1
            F = F * self.df + p2
        elif K > 1:
            later = jnp.where(self.has_hs, a, 0.0)
            oh = (jnp.arange(K, dtype=jnp.int32)[:, None] == ((n + self.hs) % K)[None, :]).astype(self.dtype)
            pend = pend + oh[:, :, None] * jnp.stack([-later * A, -later * (phi_m - A) * self.e1,
                                                      later * phi_p * self.e2], axis=1)[None]
            nxt = (n + 1) % K
            p_n = jax.lax.dynamic_index_in_dim(pend, nxt, axis=0, keepdims=False)
            C = C + p_n[:, 0]
            R = R * self.dr + p_n[:, 1]
            F = F * self.df + p_n[:, 2]
            pend = jax.lax.dynamic_update_index_in_dim(pend, jnp.zeros_like(p_n), nxt, axis=0)
        else:
            R = R * self.dr
            F = F * self.df
        return (C, R, F, pend, jnp.where(acc, n, last), jnp.where(acc, phi_p, phi_end)), u


def _hotspot_lags(low, rep):
    """The distinct nonzero hotspot lags (steps) of synapses ``rep``."""
    hs = low.sy_hs[rep]
    return np.unique(hs[hs > 0])


def batched_traces(low) -> bool:
    """Whether :func:`input_traces` takes a batch of inputs (T, batch, channels) for this network."""
    return _hotspot_lags(low, input_groups(low)[2]).size <= 1


def input_traces(low, inputs, dtype=jnp.float64):
    """Unit flux traces (T, groups) of the input-synapse groups of :func:`input_groups` for ``inputs``
    (T, input channels), or (T, batch, groups) for a time-major batch (T, batch, channels) where
    :func:`batched_traces`: the value of C + R + F of a channel holding only that synapse with weight 1, at
    the point of every step where the dendrites read their flux (the photons of step n included), by the
    exact SPD update of ``soen.engine.cpu._deliver`` (:class:`_UnitSPD`). No trainable parameter
    enters: the traces of a data set can be computed once."""
    syn, grp, rep = input_groups(low)
    G = rep.size
    x = jnp.asarray(inputs, dtype)
    T = x.shape[0]
    B = x.shape[1] if x.ndim == 3 else None
    if G == 0:
        return jnp.zeros((T, 0) if B is None else (T, B, 0), dtype)
    pre = low.sy_pre[rep] - low.nn
    d = low.sy_d[rep]
    dmax = int(d.max(initial=0))
    xp = jnp.concatenate([jnp.zeros((dmax,) + x.shape[1:], dtype), x], axis=0)
    tidx = dmax + np.arange(T)[:, None] - d[None, :]
    if B is None:
        EV = xp[tidx, pre[None, :]]  # (T, G)
    elif dmax == 0:
        EV = xp[:, :, pre]  # (T, B, G)
    else:
        EV = jnp.moveaxis(jnp.moveaxis(xp, 1, -1)[tidx, pre[None, :]], -1, 1)
    spd = _UnitSPD(low, rep, dtype)
    if B is not None and not spd.batchable:
        raise ValueError("input_traces: a batch needs one hotspot lag for every synapse (see batched_traces)")
    _, U = jax.lax.scan(lambda st, xs: spd.step(st, *xs), spd.state0(B), (jnp.arange(T, dtype=jnp.int32), EV))
    return U


def _strided_place(dend, nd):
    """``(first, stride, count)`` when the dendrites ``dend`` fed by a set of synapses form an evenly
    spaced run first + stride·k (k < count) that leaves out at least half of the ``nd`` dendrites, else
    None: the flux product then runs over those columns only and is padded into place (``lax.pad``,
    whose transpose is a strided slice)."""
    cols = np.unique(np.asarray(dend, np.int64))
    if cols.size == 0 or 2 * cols.size > nd:
        return None
    stride = int(cols[1] - cols[0]) if cols.size > 1 else 1
    if stride < 1 or not np.array_equal(cols, cols[0] + stride * np.arange(cols.size)):
        return None
    return int(cols[0]), stride, int(cols.size)


def _soen_forward_hoisted(low, params, inputs, *, dtype, surrogate, slope, detach_reset, record, readout,
                          rate_grad="full", g_floor=0.05, traces=None):
    """:func:`soen_forward` for a run from rest (state 0, step 0), rearranged for speed: the flux of the
    input synapses is Σ_k w_k u_k(t) with the unit traces u of :func:`input_traces`, one matrix product
    (T, groups) × (groups, dendrites) outside the time loop; inside it only the dendrites, the somas and
    the synapses fed by neurons (refractory drives, neuron-to-neuron projections) advance. Same
    equations and order within a step as :func:`soen_forward`; sums run in another order, so values
    agree to rounding.

    ``rate_grad``: ``"full"`` (exact derivative) or ``"smooth"``, a surrogate for training: the loop
    current's feedback on its own SQUID bias (g(φ, i_b − s)) is left out of the backward pass and the
    derivative of g = sqrt(q) is bounded by 1/(2·g_floor). The forward values are unchanged. At dt of
    a few tenths of a ns the exact backward map of a saturating loop is not contracting,
    |1 − (h/β)·∂g/∂s| > 1, and gradients grow without bound through time; this keeps the per-step
    factor within (1 − h α/β) ≤ 1 for the loop's own term."""
    if rate_grad not in ("full", "smooth"):
        raise ValueError(f"rate_grad must be 'full' or 'smooth', got {rate_grad!r}")
    f = lambda a: jnp.asarray(a, dtype)
    i32 = lambda a: jnp.asarray(a, jnp.int32)
    cells = f(_cell_table(low.table[0]))
    tshape = low.table[0].shape
    _, i0, di, dphi, c_inf = low.table
    w = f(params["sy_w"])
    J = f(params["cp_J"])
    off = f(params["d_offset"])
    bias = f(params["d_bias"])
    thr = f(params["nr_thresh"])
    hb, ahb = f(low.d_hb), f(low.d_ahb)
    nd, nn = low.nd, low.nn
    # neurons of equal size with the soma first (one population of tree neurons, say): the couplings as
    # one small matrix per neuron, the somas as a slice
    D = nd // nn if nn else 0
    blocks = (nn > 0 and D * nn == nd and np.array_equal(low.nr_soma, np.arange(nn) * D)
              and np.array_equal(low.cp_src // D, low.cp_tgt // D))
    if blocks:
        Jb = jnp.zeros((nn, D, D), dtype).at[low.cp_tgt // D, low.cp_tgt % D, low.cp_src % D].add(J)
    x = jnp.asarray(inputs, dtype)
    T = x.shape[0]
    # 1. input synapses: unit traces (no parameters) times the weights, summed per dendrite
    syn, grp, rep = input_groups(low)
    G = rep.size
    if G:
        U = jax.lax.stop_gradient(input_traces(low, x, dtype) if traces is None else traces)
        dend = low.ch_dend[low.sy_ch[syn]]
        place = _strided_place(dend, nd)
        if place is None:
            Wg = jnp.zeros((G, nd), dtype).at[grp, dend].add(w[syn])
            phi_in = U @ Wg  # (T, nd)
        else:  # the input synapses feed an evenly spaced set of dendrites (the somas of a population, say)
            c0, stride, ncol = place
            Wg = jnp.zeros((G, ncol), dtype).at[grp, (dend - c0) // stride].add(w[syn])
            hi = nd - (c0 + (ncol - 1) * stride + 1)
            phi_in = jax.lax.pad(U @ Wg, jnp.zeros((), dtype), ((0, 0, 0), (c0, hi, stride - 1)))
    else:
        phi_in = jnp.zeros((T, nd), dtype)
    # 2. synapses fed by neurons (their senders' spikes come from the loop), in groups of one unit trace
    isyn = np.nonzero(low.sy_pre < nn)[0]
    i_grp, i_rep = synapse_groups(low, isyn)
    spd = _UnitSPD(low, i_rep, dtype)
    g_pre, g_d = low.sy_pre[i_rep], low.sy_d[i_rep]
    Li = int(g_d.max(initial=0)) + 1
    # the senders' spikes of each group: a 0/1 matrix product when every delay is 0, else a gather
    P_pre = jax.nn.one_hot(g_pre, nn, dtype=dtype).T if Li == 1 else None  # (nn, groups)
    Wn = jnp.zeros((i_rep.size, nd), dtype).at[i_grp, low.ch_dend[low.sy_ch[isyn]]].add(w[isyn])
    g_pre, g_d = i32(g_pre), i32(g_d)
    seg = jax.ops.segment_sum
    # couplings: gather the sources, sum per target
    cp_src, cp_tgt = i32(low.cp_src), i32(low.cp_tgt)
    soma = i32(low.nr_soma)
    ref_steps = i32(low.nr_ref_steps)
    dt = low.dt_ns
    rec = None if record is None else i32(np.asarray(record, dtype=np.int64))
    rd = None if readout is None else i32(np.asarray(readout, dtype=np.int64))
    smooth = rate_grad == "smooth"

    def step(carry, xs):
        n, ph_in = xs
        s = carry["s"]
        if Li == 1:
            hist = carry["hist"]
            ev = carry["emit"] @ P_pre
        else:
            hist = carry["hist"].at[n % Li].set(carry["emit"])
            ev = hist[(n - g_d) % Li, g_pre]
        syn_st, u = spd.step(carry["syn"], n, ev)
        if blocks:
            cp = jnp.einsum("nkd,nd->nk", Jb, s.reshape(nn, D)).reshape(nd)
        else:
            cp = seg(J * s[cp_src], cp_tgt, nd)
        phi = off + ph_in + u @ Wn + cp
        g = _rate_cells(phi, bias - (jax.lax.stop_gradient(s) if smooth else s), cells, tshape, i0, di, dphi,
                        c_inf, g_floor if smooth else 0.0)
        s_new = s + hb * g - ahb * s
        m = n + 1
        ss = s_new.reshape(nn, D)[:, 0] if blocks else s_new[soma]
        ru = carry["ref_until"]
        refr = m <= ru
        spk = spike(ss - thr, surrogate, slope, False) * jnp.where(refr, 0.0, 1.0)
        drop = jax.lax.stop_gradient(spk) if detach_reset else spk
        ss_after = jnp.where(refr, 0.0, ss * (1.0 - drop))
        out = dict(spikes=spk, s_soma=ss_after)
        if rd is not None:
            out["s_read"] = s_new[rd]
        if rec is not None:
            out["rec_s"] = s[rec]
            out["rec_phi"] = phi[rec]
        if blocks:
            s_new = jnp.concatenate([ss_after[:, None], s_new.reshape(nn, D)[:, 1:]], axis=1).reshape(nd)
        else:
            s_new = s_new.at[soma].set(ss_after)
        ru = jnp.where(spk > 0, m + ref_steps, ru)
        new = dict(s=s_new, syn=syn_st, hist=hist, emit=spk, ref_until=ru, fluxons=carry["fluxons"] + g)
        return new, out

    st0 = dict(s=jnp.zeros(nd, dtype), syn=spd.state0(), hist=jnp.zeros((Li, nn), dtype),
               emit=jnp.zeros(nn, dtype), ref_until=jnp.full(nn, -1, jnp.int32), fluxons=jnp.zeros(nd, dtype))
    # the backward pass recomputes each step from its carry instead of storing the step's intermediate
    # values (jax.checkpoint): ≈ 170 small stores per step were the larger part of the backward time
    final, outs = jax.lax.scan(jax.checkpoint(step), st0, (jnp.arange(T, dtype=jnp.int32), phi_in))
    return outs, final
