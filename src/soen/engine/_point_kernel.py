"""Numba kernels of the point-neuron engine (see :mod:`soen.engine.point` for the scheme).

Layout (all flat arrays, structure of arrays):

* neurons 0..N-1 (populations contiguous); state ``v``, ``x``, ``y`` (float64), ``ref`` (int32
  refractory countdown), ``pend`` (uint8: reset pending for ``reset_timing="next_step"``);
* a dense input ring ``inbuf[L, 2N]``: slot ``(n + d) mod L`` column ``type·N + i`` accumulates the
  weights reaching neuron i at step n + d (type 0: current / excitatory conductance, 1: inhibitory
  conductance) — one float add per synaptic event, no event lists;
* outgoing connections of every sending node in CSR: ``out_ptr`` (int64), ``out_tgt`` (int32 column
  ``type·N + post``), ``out_w`` (float32), ``out_d`` (int16/int32 steps): 10 bytes per synapse.

Per step: record, input events, Poisson channels, then every population in phase order: update its
neurons (one loop per model kind; with ``par`` the loop is a Numba ``prange`` compiled in a parallel
twin of the block function; each neuron touches only its own state and ring column) and push its
spikes serially in ascending neuron id (``fired`` is scanned one 8-byte word at a time). The
CondExpLIF loop is branch-free and vectorised by LLVM without fast-math: its exponential is
:func:`soen.engine._fastexp.fexp` (plain arithmetic, the same bits in every lane). Additions into
the ring therefore happen in the same order for any thread count, and results are bit-identical.
"""

from __future__ import annotations

import math

import numba as nb

from ._jit import grow_pair
from ._jit import twins as _twins
import numpy as np

from soen._rng import hash64, poisson
from soen.engine._fastexp import fexp
from soen.models import KIND_COND, KIND_CUBA, KIND_DELTA, KIND_IF, KIND_THRESHOLD

STREAM_POISSON = 1  # soen._rng.STREAMS["poisson_input"]
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0


@nb.njit(cache=True)
def _poisson_count(lam, expm, seed, key, n):
    """Counter-based Poisson(λ) count of channel ``key`` at step ``n`` (inversion; normal approx. λ>500)."""
    if lam <= 0.0:
        return 0
    if lam > 500.0:
        return poisson(lam, seed, STREAM_POISSON, key, n)
    u = (float(hash64(seed, STREAM_POISSON, key, n) >> _S11) + 0.5) * _INV53
    p = expm
    cdf = p
    k = 0
    while u > cdf and k < 100000:
        k += 1
        p *= lam / k
        cdf += p
    return k


@nb.njit(cache=True)
def _update(i, kind, p, v, x, y, ref, pend, inbuf, slot, bias):
    """Advance neuron ``i`` of the NIR family (LIF, LI, CubaLIF, IF, I, Threshold) over one step.

    Returns 1 on a spike, 2 on a non-finite state, else 0."""
    nt = inbuf.shape[1] // 2
    a = inbuf[slot, i]
    b = inbuf[slot, nt + i]
    inbuf[slot, i] = 0.0
    inbuf[slot, nt + i] = 0.0
    u = a + b + bias[i]
    if kind == KIND_THRESHOLD:
        v[i] = u
        if not math.isfinite(u):
            return 2
        if p[17] != 0.0:
            return 1 if u > p[2] else 0
        return 1 if u >= p[2] else 0
    # LIF, LI, CubaLIF, IF, I
    vo = v[i]
    pd = pend[i] != 0
    if pd and p[8] == 0.0:  # delayed reset to a value: applied before this step's propagation
        vo = p[3]
    if kind == KIND_CUBA:
        iin = p[16] * u
        xo = x[i]
        if p[7] == 0.0:
            jj = xo - iin
            x[i] = iin + jj * p[13]
            vinf = p[0] + p[1] * iin
            vn = vinf + (vo - vinf) * p[5] + p[1] * jj * p[15]
        else:
            x[i] = xo + p[14] * (iin - xo)
            vn = vo + p[6] * (p[0] - vo + p[1] * xo)
    else:
        x[i] = u
        if kind == KIND_IF:
            vn = vo + p[1] * u * p[12]
        elif p[7] == 0.0:
            vinf = p[0] + p[1] * u
            vn = vinf + (vo - vinf) * p[5]
        else:
            vn = vo + p[6] * (p[0] - vo + p[1] * u)
    if ref[i] > 0:
        ref[i] -= 1
        v[i] = p[3]
        pend[i] = 0
        return 0
    if pd:
        pend[i] = 0
        if p[8] != 0.0:  # delayed subtraction: after this step's propagation (snnTorch)
            vn -= p[2] - p[3]
    if not math.isfinite(vn):
        v[i] = vn
        return 2
    if p[11] != 0.0 and (vn > p[2] if p[17] != 0.0 else vn >= p[2]):
        if p[9] != 0.0:
            pend[i] = 1
        elif p[8] == 0.0:
            vn = p[3]
        else:
            vn -= p[2] - p[3]
        ref[i] = int(p[10])
        v[i] = vn
        return 1
    v[i] = vn
    return 0


def _draw(n, seed, pch_key, pch_lam, pch_expm, pch_start, pk):
    for c in nb.prange(pk.shape[0]):
        pk[c] = _poisson_count(pch_lam[c], pch_expm[c], seed, pch_key[c], n) if n >= pch_start[c] else 0


def _generic_block(off, nn, kind, p, v, x, y, ref, pend, fired, inbuf, slot, bias):
    for j in nb.prange(nn):
        fired[off + j] = _update(off + j, kind, p, v, x, y, ref, pend, inbuf, slot, bias)


@nb.njit(inline="always", cache=True)
def _cond_flags(vn, ge, gi, r, vth, vr, nref):
    """Threshold, refractoriness and the non-finite test of one CondExpLIF neuron, without branches:
    (fired flag, new refractory count, new V). ``vn``: the propagated V (discarded while refractory)."""
    live = r <= 0
    spk = live & (vn >= vth)
    keep = live & (not spk)
    # non-finite: V of a live neuron that did not spike, or a conductance (& and |: no branches)
    bad = (keep & (not ((vn > -1e300) & (vn < 1e300)))) | (not ((ge < 1e300) & (gi < 1e300)))
    f = 2 if bad else (1 if spk else 0)
    rn = nref if spk else (r - 1 if r > 0 else 0)
    return f, rn, (vn if keep else vr)


def _cond_block(off, nn, p, v, x, y, ref, fired, inbuf, slot):
    """CondExpLIF over one step (module docstring of soen.models.CondExpLIF for the scheme)."""
    gl, el, vth, vr, cm, ee, ei, ie, pe, pi = p[1], p[0], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]
    nref = int(p[10])
    dt = p[12]
    dt_cm = dt / cm
    glel_ie = gl * el + ie
    rk4 = p[13] != 0.0
    peh, pih = p[16], p[17]
    nt = inbuf.shape[1] // 2
    row_e = inbuf[slot, off : off + nn]
    row_i = inbuf[slot, nt + off : nt + off + nn]
    # Branch-free loops (selects only) that LLVM vectorises; fexp is plain arithmetic, identical in
    # every lane (see soen.engine._fastexp), so the results do not depend on which elements fall into
    # vector or remainder iterations, nor on the thread partition. V is computed for refractory neurons
    # too and discarded. One loop per method: a test inside the loop would be if-converted (both
    # methods computed for every neuron) unless LLVM happens to unswitch it.
    vs = v[off : off + nn]
    xs = x[off : off + nn]
    ys = y[off : off + nn]
    rs = ref[off : off + nn]
    fs = fired[off : off + nn]
    if rk4:  # classic RK4, conductances exact at the stage times
        for j in nb.prange(nn):
            ge = xs[j] + row_e[j]
            gi = ys[j] + row_i[j]
            row_e[j] = 0.0
            row_i[j] = 0.0
            vo = vs[j]
            geh, gih = ge * peh, gi * pih
            k1 = (gl * (el - vo) + ge * (ee - vo) + gi * (ei - vo) + ie) / cm
            va = vo + 0.5 * dt * k1
            k2 = (gl * (el - va) + geh * (ee - va) + gih * (ei - va) + ie) / cm
            va = vo + 0.5 * dt * k2
            k3 = (gl * (el - va) + geh * (ee - va) + gih * (ei - va) + ie) / cm
            va = vo + dt * k3
            k4 = (gl * (el - va) + ge * pe * (ee - va) + gi * pi * (ei - va) + ie) / cm
            vn = vo + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            fs[j], rs[j], vs[j] = _cond_flags(vn, ge, gi, rs[j], vth, vr, nref)
            xs[j] = ge * pe
            ys[j] = gi * pi
    else:  # exponential Euler: conductances frozen over the step
        for j in nb.prange(nn):
            ge = xs[j] + row_e[j]
            gi = ys[j] + row_i[j]
            row_e[j] = 0.0
            row_i[j] = 0.0
            gt = gl + ge + gi
            vinf = (glel_ie + ge * ee + gi * ei) / gt
            vn = vinf + (vs[j] - vinf) * fexp(-gt * dt_cm)
            fs[j], rs[j], vs[j] = _cond_flags(vn, ge, gi, rs[j], vth, vr, nref)
            xs[j] = ge * pe
            ys[j] = gi * pi


def _delta_block(off, nn, p, v, ref, fired, inbuf, slot):
    """DeltaLIF over one step. After a spike in step n: held at V_r in steps n+1..n+R, inputs arriving
    in steps n+1..n+R+1 discarded (t <= t_spike + t_ref, as NEST's iaf_psc_delta); the countdown
    starts at R + 1."""
    el, th, vr, prop = p[0], p[2], p[3], p[5]
    nref = int(p[10]) + 1
    nt = inbuf.shape[1] // 2
    row_e = inbuf[slot, off : off + nn]
    row_i = inbuf[slot, nt + off : nt + off + nn]
    for j in nb.prange(nn):
        i = off + j
        u = row_e[j] + row_i[j]
        row_e[j] = 0.0
        row_i[j] = 0.0
        r = ref[i]
        f = 0
        if r > 1:
            ref[i] = r - 1
            vn = vr
        else:
            if r == 1:
                ref[i] = 0
                vn = el + (vr - el) * prop
            else:
                vn = el + (v[i] + u - el) * prop
            if vn >= th:
                vn = vr
                ref[i] = nref
                f = 1
            elif not (vn > -1e300 and vn < 1e300):
                f = 2
        fired[i] = f
        v[i] = vn


_draw_s, _draw_p = _twins(_draw)
_generic_s, _generic_p = _twins(_generic_block)
# error_model="numpy": a float division is a plain IEEE division (Python's model adds a zero test that
# raises, i.e. an early exit that blocks vectorisation); a zero total conductance gives a non-finite V,
# reported as such by the run loop.
_cond_s, _cond_p = _twins(_cond_block, error_model="numpy")
_delta_s, _delta_p = _twins(_delta_block)


@nb.njit(cache=True)
def _send(node, mult, n, out_ptr, out_tgt, out_w, out_d, inbuf):
    L = inbuf.shape[0]
    base = n % L
    for e in range(out_ptr[node], out_ptr[node + 1]):
        slot = base + out_d[e]  # out_d < L: no modulo per event
        if slot >= L:
            slot -= L
        inbuf[slot, out_tgt[e]] += mult * out_w[e]
    return out_ptr[node + 1] - out_ptr[node]


def _run_py(
    n0,
    n1,
    seed,
    par,
    pop_order,
    pop_off,
    pop_n,
    pop_kind,
    pp,
    out_ptr,
    out_tgt,
    out_w,
    out_d,
    ev_step,
    ev_node,
    ev_pos,
    pch_node,
    pch_key,
    pch_lam,
    pch_expm,
    pch_start,
    pk,
    v,
    x,
    y,
    ref,
    pend,
    fired,
    inbuf,
    bias,
    spk_step,
    spk_id,
    rec_ids,
    rec_every,
    rec_v,
    rec_x,
    counters,
):
    """Steps n0..n1-1. counters: [0] spikes, [1] synaptic events, [2] non-finite flag, [3] neuron,
    [4] step, [5] input spikes. Returns the (possibly grown) spike arrays."""
    L = inbuf.shape[0]
    nch = pch_node.shape[0]
    nrec = rec_ids.shape[0]
    fired_w = fired.view(np.uint64)  # fired is allocated with a length that is a multiple of 8
    for n in range(n0, n1):
        slot = n % L
        if rec_every > 0 and n % rec_every == 0:
            r = n // rec_every
            for j in range(nrec):
                rec_v[r, j] = v[rec_ids[j]]
                rec_x[r, j] = x[rec_ids[j]]
        # explicit input spikes of this step
        e = ev_pos[0]
        while e < ev_step.shape[0] and ev_step[e] < n:
            e += 1
        while e < ev_step.shape[0] and ev_step[e] == n:
            counters[1] += _send(ev_node[e], 1.0, n, out_ptr, out_tgt, out_w, out_d, inbuf)
            counters[5] += 1
            e += 1
        ev_pos[0] = e
        # Poisson channels (pure functions of (seed, channel, step): drawn in parallel)
        if nch > 0:
            if par:
                _draw_p(n, seed, pch_key, pch_lam, pch_expm, pch_start, pk)
            else:
                _draw_s(n, seed, pch_key, pch_lam, pch_expm, pch_start, pk)
            for c in range(nch):
                k = pk[c]
                if k > 0:
                    counters[1] += _send(pch_node[c], float(k), n, out_ptr, out_tgt, out_w, out_d, inbuf)
                    counters[5] += k
        # populations in phase order
        for q in range(pop_order.shape[0]):
            pi = pop_order[q]
            off = pop_off[pi]
            nn = pop_n[pi]
            kind = pop_kind[pi]
            p = pp[pi]
            if kind == KIND_COND:
                if par:
                    _cond_p(off, nn, p, v, x, y, ref, fired, inbuf, slot)
                else:
                    _cond_s(off, nn, p, v, x, y, ref, fired, inbuf, slot)
            elif kind == KIND_DELTA:
                if par:
                    _delta_p(off, nn, p, v, ref, fired, inbuf, slot)
                else:
                    _delta_s(off, nn, p, v, ref, fired, inbuf, slot)
            else:
                if par:
                    _generic_p(off, nn, kind, p, v, x, y, ref, pend, fired, inbuf, slot, bias)
                else:
                    _generic_s(off, nn, kind, p, v, x, y, ref, pend, fired, inbuf, slot, bias)
            # spikes of this population in ascending id; fired is scanned 8 flags (one word) at a time
            for w in range(off >> 3, (off + nn + 7) >> 3):
                if fired_w[w] == 0:
                    continue
                for i in range(max(off, w << 3), min(off + nn, (w << 3) + 8)):
                    f = fired[i]
                    if f == 0:
                        continue
                    if f == 2:
                        counters[2] = 1
                        counters[3] = i
                        counters[4] = n
                        return spk_step, spk_id
                    c = counters[0]
                    if c == spk_step.shape[0]:
                        spk_step, spk_id = grow_pair(spk_step, spk_id)
                    spk_step[c] = n + 1
                    spk_id[c] = i
                    counters[0] = c + 1
                    counters[1] += _send(i, 1.0, n, out_ptr, out_tgt, out_w, out_d, inbuf)
    return spk_step, spk_id


run_steps = nb.njit(cache=True)(_run_py)


@nb.njit(cache=True)
def csr_order(pre, n_nodes):
    """Stable counting sort of connections by sender: (order, out_ptr). O(n + n_nodes)."""
    ptr = np.zeros(n_nodes + 1, dtype=np.int64)
    for e in range(pre.shape[0]):
        ptr[pre[e] + 1] += 1
    for k in range(n_nodes):
        ptr[k + 1] += ptr[k]
    pos = ptr[:-1].copy()
    order = np.empty(pre.shape[0], dtype=np.int64)
    for e in range(pre.shape[0]):
        s = pre[e]
        order[pos[s]] = e
        pos[s] += 1
    return order, ptr
