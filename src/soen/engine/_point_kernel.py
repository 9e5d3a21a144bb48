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
neurons (one loop per model kind; in a parallel specialisation the loop is a Numba ``prange`` compiled in a parallel
twin of the block function; each neuron touches only its own state and ring column) and push its
spikes serially in ascending neuron id (``fired`` is scanned one 8-byte word at a time). The
CondExpLIF loop is branch-free and vectorised by LLVM without fast-math: its exponential is
:func:`soen.engine._fastexp.fexp` (plain arithmetic, the same bits in every lane). Additions into
the ring therefore happen in the same order for any thread count, and results are bit-identical.
"""

from __future__ import annotations

import math

import numba as nb

from ._jit import specialise
from ._jit import twins as _twins
import numpy as np

from soen._rng import poisson

from ._poisson import GUIDE_M, STREAM_POISSON, _poisson_count, poisson_tables  # noqa: F401 (re-exported)
from soen.engine._fastexp import fexp
from ._point_lower import KIND_COND, KIND_CUBA, KIND_DELTA, KIND_IF, KIND_THRESHOLD
from ._plastic import _decay as _decay_row
from ._plastic import catch_up, flush_neuron, post_traces, pre_event
from ._jit import prefetch

#: prefetch distances of the plastic delivery, in ring entries (segments)
PF_FAR, PF_NEAR = 16, 6



@nb.njit(cache=True)
def _draw_big(n, seed, big, pch_key, pch_lam, pch_start, pk):
    """Counts of the channels ``big`` (λ > 500: normal approximation, soen._rng.poisson) into ``pk``."""
    for b in range(big.shape[0]):
        c = big[b]
        pk[c] = poisson(pch_lam[c], seed, STREAM_POISSON, pch_key[c], n) if n >= pch_start[c] else 0


@nb.njit(cache=True, inline="always")
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
            xn = xo + p[14] * (iin - xo)
            x[i] = xn
            # p[18]: euler_order="current_first" (snnTorch Synaptic) uses I_{n+1}, else I_n
            vn = vo + p[6] * (p[0] - vo + p[1] * (xn if p[18] != 0.0 else xo))
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


def _draw(n, pch_pre, pch_tab, tab_off, tab_cdf, tab_guide, pch_start, pk):
    for c in nb.prange(pk.shape[0]):
        t = pch_tab[c]
        if t >= 0:
            pk[c] = _poisson_count(t, pch_pre[c], n, tab_off, tab_cdf, tab_guide) if n >= pch_start[c] else 0


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


# CondExpLIF over one step (module docstring of soen.models.CondExpLIF for the scheme). Branch-free
# loops (selects only) that LLVM vectorises; fexp is plain arithmetic, identical in every lane (see
# soen.engine._fastexp), so the results do not depend on which elements fall into vector or remainder
# iterations, nor on the thread partition. V is computed for refractory neurons too and discarded.
# COND_RK4 is a constant of each compilation (below): a network compiles only the method it uses.
COND_RK4 = False


def _cond_block(off, nn, p, v, x, y, ref, fired, inbuf, slot):
    """CondExpLIF: exponential Euler (conductances frozen over the step) or, with ``COND_RK4``,
    classic RK4 with the conductances exact at the stage times."""
    # one view per statement: views returned by a helper, or packed into a tuple and unpacked, gave
    # wrong results in the prange (parallel) twin (Numba 0.68)
    nt = inbuf.shape[1] // 2
    row_e = inbuf[slot, off : off + nn]
    row_i = inbuf[slot, nt + off : nt + off + nn]
    vs = v[off : off + nn]
    xs = x[off : off + nn]
    ys = y[off : off + nn]
    rs = ref[off : off + nn]
    fs = fired[off : off + nn]
    gl, el, vth, vr, cm, ee, ei, ie, pe, pi = p[1], p[0], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]
    nref = int(p[10])
    dt = p[12]
    if COND_RK4:
        peh, pih = p[16], p[17]
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
    else:
        dt_cm = dt / cm
        glel_ie = gl * el + ie
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


_draw_p = _twins(_draw)[1]  # the serial path draws inside the run loop
_generic_s, _generic_p = _twins(_generic_block)
# error_model="numpy": a float division is a plain IEEE division (Python's model adds a zero test that
# raises, i.e. an early exit that blocks vectorisation); a zero total conductance gives a non-finite V,
# reported as such by the run loop.
_cond_s, _cond_p, _cond_rk4_s, _cond_rk4_p = (
    specialise(_cond_block, dict(COND_RK4=rk4), parallel=par, error_model="numpy")
    for rk4 in (False, True)
    for par in (False, True)
)
_delta_s, _delta_p = _twins(_delta_block)


@nb.njit(cache=True)
def _send(node, mult, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol):
    """Add ``mult``·w of every outgoing connection of ``node`` into the ring slot of its arrival
    (``flat``: the ring ``inbuf[L, ncol]`` as one row-major vector, made once by the caller)."""
    base = n % L
    dprev = -1
    row = 0
    for e in range(out_ptr[node], out_ptr[node + 1]):
        d = out_d[e]
        if d != dprev:  # the row offset changes only with the delay (often one delay per sender)
            slot = base + d  # out_d < L: no modulo per event
            if slot >= L:
                slot -= L
            row = slot * ncol
            dprev = d
        flat[row + out_tgt[e]] += mult * out_w[e]
    return out_ptr[node + 1] - out_ptr[node]


@nb.njit(cache=True)
def _grow_events(ev_e, ev_k, cap):
    """Copies of the event ring (synapse ids, multiplicities) with ``cap`` entries per slot."""
    e2 = np.empty((ev_e.shape[0], cap), dtype=ev_e.dtype)
    k2 = np.empty((ev_k.shape[0], cap), dtype=ev_k.dtype)
    for a in range(ev_e.shape[0]):
        for b in range(ev_e.shape[1]):
            e2[a, b] = ev_e[a, b]
            k2[a, b] = ev_k[a, b]
    return e2, k2


@nb.njit(cache=True)
def _push_row(node, e, mult, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol, ev_e, ev_k, ev_n):
    """The pushes of :func:`_send_ev` from connection ``e`` of ``node`` on, until its row ends or a ring
    slot is full; returns where it stopped. The ring arrays are never reassigned here (a loop that may
    rebind an array variable counts its references at every iteration)."""
    base = n % L
    cap = ev_e.shape[1]
    end = out_ptr[node + 1]
    while e < end:
        d = out_d[e]
        if d == 0:
            flat[base * ncol + out_tgt[e]] += mult * out_w[e]
        else:
            slot = base + d - L if base + d >= L else base + d
            q = ev_n[slot]
            if q == cap:
                return e
            ev_e[slot, q] = e
            ev_k[slot, q] = mult
            ev_n[slot] = q + 1
        e += 1
    return e


@nb.njit(cache=True)
def _send_ev(node, mult, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol, ev_e, ev_k, ev_n):
    """Event delivery: push (synapse, multiplicity) of every outgoing connection of ``node`` into the
    slot of its arrival; the weight is read when the event is delivered (:func:`_deliver_ev`). A
    zero-step connection arrives in this very step and is added at once. A full slot doubles the ring
    (:func:`_grow_events`) and the pushes resume. Returns (count, ring arrays)."""
    end = out_ptr[node + 1]
    e = _push_row(node, out_ptr[node], mult, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol, ev_e, ev_k, ev_n)
    while e < end:
        ev_e, ev_k = _grow_events(ev_e, ev_k, 2 * ev_e.shape[1])
        e = _push_row(node, e, mult, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol, ev_e, ev_k, ev_n)
    return end - out_ptr[node], ev_e, ev_k


@nb.njit(cache=True)
def _deliver_ev(slot, out_tgt, out_w, flat, ncol, ev_e, ev_k, ev_n):
    """Add the events of ``slot`` (in the order they were sent) with the weights as they are now."""
    row = slot * ncol
    for q in range(ev_n[slot]):
        e = ev_e[slot, q]
        flat[row + out_tgt[e]] += ev_k[slot, q] * out_w[e]
    ev_n[slot] = 0


@nb.njit(cache=True)
def _deliver_ev_pl(slot, n, out_tgt, out_w, flat, ncol, ev_e, ev_k, ev_n, n_neu, dt_ns, rule_of, rules, sx, sxl,
                   sy, syl, seed, syn_key, eta, pc, seg_end, hs, hn):
    """:func:`_deliver_ev` with plasticity. A plastic run's synapses are ordered by sender, then delay:
    an entry of the ring is a segment of one spike's synapses with one delay, start · 2^16 + length
    (one push per delay of a spike, contiguous memory at arrival). Each arrival first catches up with the
    pending post spikes of its neuron (:func:`soen.engine._plastic.catch_up`), then is added with the
    weight as it is now, then its rule sees it (depression, pre trace)."""
    row = slot * ncol
    n_up = 0
    nq = ev_n[slot]
    rc = -1  # the rule whose numbers are in the locals below
    pair, a_plus, a_minus, lo, hi, mult_form, nearest = True, 0.0, 0.0, 0.0, 0.0, False, False
    for q in range(nq):
        # the records of the segment PF_FAR entries ahead, then the targets' state PF_NEAR ahead (the
        # branches below depend on these loads: a mispredict discards the misses in flight)
        if q + PF_FAR < nq:
            v = ev_e[slot, q + PF_FAR]
            for e in range((v >> 16) & ~1, (v >> 16) + (v & 0xFFFF), 2):  # two 32-byte records per line
                prefetch(out_w, e)
        if q + PF_NEAR < nq:
            v = ev_e[slot, q + PF_NEAR]
            for e in range(v >> 16, (v >> 16) + (v & 0xFFFF)):
                t = out_tgt[e]
                prefetch(flat, row + t)
                i = t - n_neu if t >= n_neu else t
                prefetch(hn, i)  # the neuron's block: pending count, last spike, pending steps
                prefetch(hs, (i, hs.shape[1] - 1))  # (its end may lie on the next cache line)
                prefetch(sy, (0, i))
        v = ev_e[slot, q]  # segment start · 2^16 + length (_send_list_pl)
        e0 = v >> 16
        k = ev_k[slot, q]
        for e in range(e0, e0 + (v & 0xFFFF)):
            t = out_tgt[e]
            r = rule_of[e]
            if r < 0:
                flat[row + t] += k * out_w[e]
                continue
            if r != rc:  # the rule's numbers in locals (loads from ``rules`` are not hoisted: the stores
                rc = r   # to the float64 state arrays might alias it)
                pair = rules[r, 0] == 0.0
                a_plus, a_minus, lo, hi = rules[r, 3], rules[r, 4], rules[r, 5], rules[r, 6]
                mult_form, nearest = rules[r, 7] != 0.0, rules[r, 8] != 0.0
            i = t - n_neu if t >= n_neu else t  # ring column type·N + neuron, type 0 or 1
            if not pair:  # flux storage (and anything but plain STDP): the shared rule code
                _arrive_rule(e, n, k, t, row, flat, n_neu, dt_ns, rule_of, rules, out_w, sx, sxl, sy, syl, seed,
                             syn_key, eta, pc, hs, hn)
                continue
            # pair STDP written out here (catch_up, then the arrival): a call per event with a dozen
            # arrays costs more than the update (Numba counts references of array arguments)
            wk = out_w[e]
            xl0 = sxl[e]
            x0 = sx[e]
            cnt = hn[i]
            if cnt > 0 and xl0 >= 0 and hs[i, cnt - 1] >= xl0:
                j = cnt - 1
                while j > 0 and hs[i, j - 1] >= xl0:
                    j -= 1
                for jj in range(j, cnt):
                    xv = x0 * _decay_row(rules, r, 0, hs[i, jj] - xl0, dt_ns)
                    wk += a_plus * ((hi - wk) if mult_form else 1.0) * xv
                    wk = lo if wk < lo else (hi if wk > hi else wk)
                    n_up += 1
            flat[row + t] += k * wk
            yl = syl[i]
            yv = sy[r, i] * _decay_row(rules, r, 1, n - yl, dt_ns) if yl >= 0 else 0.0
            xv = x0 * _decay_row(rules, r, 0, n - xl0, dt_ns) if xl0 >= 0 else 0.0
            for _ in range(int(k)):
                wk -= a_minus * ((wk - lo) if mult_form else 1.0) * yv
                wk = lo if wk < lo else (hi if wk > hi else wk)
                xv = 1.0 if nearest else xv + 1.0
                n_up += 1
            out_w[e] = wk
            sx[e] = xv
            sxl[e] = n
    pc[4] += n_up
    ev_n[slot] = 0


@nb.njit(cache=True)
def _arrive_rule(e, n, mult, t, row, flat, n_neu, dt_ns, rule_of, rules, out_w, sx, sxl, sy, syl, seed, syn_key, eta,
                 pc, hs, hn):
    """An arrival on plastic synapse ``e`` through the shared rule code (flux storage, zero-step
    connections): catch up with the pending post spikes, add it with the weight as it is now into
    ``flat[row + t]``, then the rule's arrival update."""
    i = t - n_neu if t >= n_neu else t
    r = rule_of[e]
    if r >= 0:
        catch_up(e, i, r, rules, dt_ns, out_w, sx, sxl, hs, hn, seed, syn_key, eta, pc)
    flat[row + t] += mult * out_w[e]
    pre_event(e, n, dt_ns, int(mult), i, rule_of, rules, out_w, sx, sxl, sy, syl, seed, syn_key, eta, pc)


@nb.njit(cache=True)
def _push_segments(j, e, n_ev, nodes, mults, cnt, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol, ev_e, ev_k, ev_n,
                   n_neu, dt_ns, rule_of, rules, sx, sxl, sy, syl, seed, syn_key, eta, pc, seg_end, hs, hn):
    """The pushes of :func:`_send_list_pl` from sender ``j`` (its synapse ``e``; −1: its first) on, until
    done or a ring slot is full. Returns (sender, synapse, connections so far): sender ``cnt`` when done,
    else where to resume once the ring has grown. The ring arrays are never reassigned here: a loop
    that may rebind an array variable counts its references at every iteration."""
    base = n % L
    cap = ev_e.shape[1]
    while j < cnt:
        node = nodes[j]
        mult = mults[j]
        end = out_ptr[node + 1]
        if e < 0:
            e = out_ptr[node]
            n_ev += end - e
        while e < end:
            d = out_d[e]
            e1 = seg_end[e]
            if d == 0:
                for f in range(e, e1):
                    _arrive_rule(f, n, mult, out_tgt[f], base * ncol, flat, n_neu, dt_ns, rule_of, rules, out_w, sx,
                                 sxl, sy, syl, seed, syn_key, eta, pc, hs, hn)
            else:  # one entry per (at most 2^16 − 1) synapses of the segment: start · 2^16 + length
                slot = base + d - L if base + d >= L else base + d
                while e < e1:
                    q = ev_n[slot]
                    if q == cap:
                        return j, e, n_ev
                    m = min(e1 - e, 0xFFFF)
                    ev_e[slot, q] = (e << 16) | m
                    ev_k[slot, q] = mult
                    ev_n[slot] = q + 1
                    e += m
            e = e1
        j += 1
        e = -1
    return j, e, n_ev


@nb.njit(cache=True)
def _send_list_pl(nodes, mults, cnt, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol, ev_e, ev_k, ev_n, n_neu, dt_ns,
                  rule_of, rules, sx, sxl, sy, syl, seed, syn_key, eta, pc, seg_end, hs, hn):
    """:func:`_send_ev` with plasticity for the ``cnt`` senders ``nodes[:cnt]`` (multiplicities
    ``mults``) of one phase of step ``n``, in order: one ring entry per delay segment of each sender;
    a zero-step connection arrives at once and its rule sees it. One call per batch: Numba counts
    references of the array arguments at each call, which per spike would cost more than the pushes.
    Returns (connections, ring arrays)."""
    j, e, n_ev = _push_segments(0, -1, 0, nodes, mults, cnt, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol, ev_e,
                                ev_k, ev_n, n_neu, dt_ns, rule_of, rules, sx, sxl, sy, syl, seed, syn_key, eta, pc,
                                seg_end, hs, hn)
    while j < cnt:  # a slot was full: double the ring and resume where it stopped
        ev_e, ev_k = _grow_events(ev_e, ev_k, 2 * ev_e.shape[1])
        j, e, n_ev = _push_segments(j, e, n_ev, nodes, mults, cnt, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol,
                                    ev_e, ev_k, ev_n, n_neu, dt_ns, rule_of, rules, sx, sxl, sy, syl, seed, syn_key,
                                    eta, pc, seg_end, hs, hn)
    return n_ev, ev_e, ev_k


def _run_py(
    n0,
    n1,
    seed,
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
    pch_pre,
    pch_lam,
    pch_tab,
    pch_big,
    pch_one,
    tab_off,
    tab_cdf,
    tab_guide,
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
    in_count,
    ev_e,
    ev_k,
    ev_n,
    counters,
    # plasticity (PLASTIC; out_w is then the run's float64 weights): rule per synapse, rule rows, traces
    dt_ns,
    in_ptr,
    in_syn,
    rule_of,
    rules,
    sx,
    sxl,
    sy,
    syl,
    syn_key,
    eta,
    pc,
    pl_ids,
    pl_n,
    seg_end,
    hs,
    hn,
    snd_node,
    snd_mult,
):
    """Steps n0..n1-1 (``in_count``: input spikes per input node, accumulated). counters: [0] spikes, [1] synaptic events, [2] non-finite flag, [3] neuron,
    [4] step, [5] input spikes, [6] the step at which the spike arrays ran short (-1: done), [7] trace
    rows in the buffer."""
    n_neu = v.shape[0]
    L, ncol = inbuf.shape
    flat = inbuf.reshape(L * ncol)  # a view
    nch = pch_node.shape[0]
    nrec = rec_ids.shape[0]
    fired_w = fired.view(np.uint64)  # fired is allocated with a length that is a multiple of 8
    ns = 0  # senders gathered for the next batch (PLASTIC)
    for n in range(n0, n1):
        slot = n % L
        if counters[0] + n_neu > spk_step.shape[0]:  # room for every neuron to spike in this step
            counters[6] = n  # the caller grows the spike arrays and resumes at step n
            return ev_e, ev_k
        if PLASTIC:  # events sent in earlier steps reach their targets now; their rules see them
            _deliver_ev_pl(slot, n, out_tgt, out_w, flat, ncol, ev_e, ev_k, ev_n, n_neu, dt_ns, rule_of, rules, sx,
                           sxl, sy, syl, seed, syn_key, eta, pc, seg_end, hs, hn)
        elif EVENTS:  # events sent in earlier steps reach their targets now, with the current weights
            _deliver_ev(slot, out_tgt, out_w, flat, ncol, ev_e, ev_k, ev_n)
        if HAS_REC:
            if rec_every > 0 and n % rec_every == 0:
                r = counters[7]
                if r < rec_v.shape[0]:
                    for j in range(nrec):
                        rec_v[r, j] = v[rec_ids[j]]
                        rec_x[r, j] = x[rec_ids[j]]
                    counters[7] = r + 1
        if HAS_EVENTS:  # explicit input spikes of this step
            e = ev_pos[0]
            while e < ev_step.shape[0] and ev_step[e] < n:
                e += 1
            while e < ev_step.shape[0] and ev_step[e] == n:
                if PLASTIC:  # sent in batches (_send_list_pl), in this order
                    if ns == snd_node.shape[0]:
                        m_, ev_e, ev_k = _send_list_pl(snd_node, snd_mult, ns, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol, ev_e, ev_k, ev_n,
                                  n_neu, dt_ns, rule_of, rules, sx, sxl, sy, syl, seed, syn_key, eta, pc, seg_end, hs, hn)
                        counters[1] += m_
                        ns = 0
                    snd_node[ns] = ev_node[e]
                    snd_mult[ns] = 1.0
                    ns += 1
                elif EVENTS:
                    m_, ev_e, ev_k = _send_ev(ev_node[e], 1.0, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol,
                                              ev_e, ev_k, ev_n)
                    counters[1] += m_
                else:
                    counters[1] += _send(ev_node[e], 1.0, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol)
                counters[5] += 1
                in_count[ev_node[e] - n_neu] += 1
                e += 1
            ev_pos[0] = e
            if PLASTIC and ns > 0:
                m_, ev_e, ev_k = _send_list_pl(snd_node, snd_mult, ns, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol, ev_e, ev_k, ev_n,
                                  n_neu, dt_ns, rule_of, rules, sx, sxl, sy, syl, seed, syn_key, eta, pc, seg_end, hs, hn)
                counters[1] += m_
                ns = 0
        # Poisson channels (pure functions of (seed, channel, step): drawn in parallel)
        if HAS_POISSON:
            if pch_big.shape[0] > 0:
                _draw_big(n, seed, pch_big, pch_key, pch_lam, pch_start, pk)
            if PAR:  # drawn in parallel, delivered serially in channel order
                _draw_p(n, pch_pre, pch_tab, tab_off, tab_cdf, tab_guide, pch_start, pk)
                for c in range(nch):
                    k = pk[c]
                    if k > 0:
                        if PLASTIC:  # one channel spikes once per step: the batch never overflows
                            snd_node[ns] = pch_node[c]
                            snd_mult[ns] = float(k)
                            ns += 1
                        elif EVENTS:
                            m_, ev_e, ev_k = _send_ev(pch_node[c], float(k), n, out_ptr, out_tgt, out_w, out_d, flat,
                                                      L, ncol, ev_e, ev_k, ev_n)
                            counters[1] += m_
                        else:
                            counters[1] += _send(pch_node[c], float(k), n, out_ptr, out_tgt, out_w, out_d, flat, L,
                                                 ncol)
                        counters[5] += k
                        in_count[pch_node[c] - n_neu] += k
            else:  # one pass: draw and deliver (the same draws, the same order)
                n_ev, n_in = 0, 0  # local sums: a counter in memory is a store-to-load chain per channel
                base = n % L
                for c in range(nch):
                    if n >= pch_start[c]:
                        t = pch_tab[c]
                        k = _poisson_count(t, pch_pre[c], n, tab_off, tab_cdf, tab_guide) if t >= 0 else pk[c]
                        if k > 0:
                            n_in += k
                            in_count[pch_node[c] - n_neu] += k
                            e = pch_one[c]
                            if PLASTIC:  # one channel spikes once per step: the batch never overflows
                                snd_node[ns] = pch_node[c]
                                snd_mult[ns] = float(k)
                                ns += 1
                            elif EVENTS:
                                m_, ev_e, ev_k = _send_ev(pch_node[c], float(k), n, out_ptr, out_tgt, out_w, out_d,
                                                          flat, L, ncol, ev_e, ev_k, ev_n)
                                n_ev += m_
                            elif e >= 0:  # a channel with one connection (a Poisson drive per neuron)
                                arrive = base + out_d[e]  # (not ``slot``: the step's own slot)
                                if arrive >= L:
                                    arrive -= L
                                flat[arrive * ncol + out_tgt[e]] += float(k) * out_w[e]
                                n_ev += 1
                            else:
                                n_ev += _send(pch_node[c], float(k), n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol)
                counters[1] += n_ev
                counters[5] += n_in
            if PLASTIC and ns > 0:
                m_, ev_e, ev_k = _send_list_pl(snd_node, snd_mult, ns, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol, ev_e, ev_k, ev_n,
                                  n_neu, dt_ns, rule_of, rules, sx, sxl, sy, syl, seed, syn_key, eta, pc, seg_end, hs, hn)
                counters[1] += m_
                ns = 0
        if PLASTIC:  # spikes stamped t_n: after the arrivals of step n (Brian2's order: on_pre, then on_post)
            for q in range(pl_n[0]):  # potentiation waits until each synapse is next read (catch_up)
                i = pl_ids[q]
                if hn[i] == hs.shape[1]:  # its pending list is full: bring its incoming synapses up to date
                    flush_neuron(i, dt_ns, in_ptr, in_syn, rule_of, rules, out_w, sx, sxl, hs, hn, seed, syn_key,
                                 eta, pc)
                hs[i, hn[i]] = n
                hn[i] += 1
                post_traces(i, n, dt_ns, rules, sy, syl)
            pl_n[0] = 0
        # populations in phase order
        for q in range(pop_order.shape[0]):
            pi = pop_order[q]
            off = pop_off[pi]
            nn = pop_n[pi]
            kind = pop_kind[pi]
            p = pp[pi]
            # HAS_* and PAR are constants of each specialisation (get_run_steps): Numba prunes the
            # branches of absent models before typing, so their blocks are never compiled
            if HAS_COND:
                if kind == KIND_COND and p[13] == 0.0:
                    if PAR:
                        _cond_p(off, nn, p, v, x, y, ref, fired, inbuf, slot)
                    else:
                        _cond_s(off, nn, p, v, x, y, ref, fired, inbuf, slot)
            if HAS_COND_RK4:
                if kind == KIND_COND and p[13] != 0.0:
                    if PAR:
                        _cond_rk4_p(off, nn, p, v, x, y, ref, fired, inbuf, slot)
                    else:
                        _cond_rk4_s(off, nn, p, v, x, y, ref, fired, inbuf, slot)
            if HAS_DELTA:
                if kind == KIND_DELTA:
                    if PAR:
                        _delta_p(off, nn, p, v, ref, fired, inbuf, slot)
                    else:
                        _delta_s(off, nn, p, v, ref, fired, inbuf, slot)
            if HAS_GENERIC:
                if kind != KIND_COND and kind != KIND_DELTA:
                    if PAR:
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
                        return ev_e, ev_k
                    c = counters[0]
                    spk_step[c] = n + 1
                    spk_id[c] = i
                    counters[0] = c + 1
                    if PLASTIC:  # sent after the scan of this population (a neuron spikes once per step)
                        snd_node[ns] = i
                        snd_mult[ns] = 1.0
                        ns += 1
                        q_ = pl_n[0]  # its plasticity runs at step n + 1, after that step's arrivals
                        pl_ids[q_] = i
                        pl_n[0] = q_ + 1
                    elif EVENTS:
                        m_, ev_e, ev_k = _send_ev(i, 1.0, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol, ev_e,
                                                  ev_k, ev_n)
                        counters[1] += m_
                    else:
                        counters[1] += _send(i, 1.0, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol)
            if PLASTIC and ns > 0:
                m_, ev_e, ev_k = _send_list_pl(snd_node, snd_mult, ns, n, out_ptr, out_tgt, out_w, out_d, flat, L, ncol, ev_e, ev_k, ev_n,
                                  n_neu, dt_ns, rule_of, rules, sx, sxl, sy, syl, seed, syn_key, eta, pc, seg_end, hs, hn)
                counters[1] += m_
                ns = 0
    counters[6] = -1
    return ev_e, ev_k


# Defaults of the specialisation constants (the module-level _run_py itself is never compiled).
PAR = HAS_COND = HAS_COND_RK4 = HAS_DELTA = HAS_GENERIC = HAS_POISSON = HAS_REC = HAS_EVENTS = EVENTS = True
PLASTIC = True


def get_run_steps(parallel: bool, rows, kinds, *, poisson: bool, events: bool, record: bool,
                  delivery: str = "dense", plastic: bool = False):
    """The run loop specialised for one network (:func:`soen.engine._jit.specialise`): serial or
    parallel blocks, only the model kinds in ``kinds`` (and only the CondExpLIF methods of the parameter
    ``rows``), the Poisson channel draw, the explicit input spikes and the recording only when the
    network has them. A cold start compiles only what the network uses (the parallel blocks are the
    most expensive to compile)."""
    kinds = [int(k) for k in kinds]
    cond = [bool(r[13] != 0.0) for r, k in zip(rows, kinds) if k == KIND_COND]
    return specialise(
        _run_py,
        dict(
            PAR=bool(parallel),
            HAS_COND=False in cond,
            HAS_COND_RK4=True in cond,
            HAS_DELTA=KIND_DELTA in kinds,
            HAS_GENERIC=bool(set(kinds) - {KIND_COND, KIND_DELTA}),
            HAS_POISSON=bool(poisson),
            HAS_EVENTS=bool(events),
            HAS_REC=bool(record),
            EVENTS=delivery == "events" or plastic,
            PLASTIC=bool(plastic),
        ),
    )


@nb.njit(cache=True)
def pack_edges(pre, post, w, delay, typ, pre_off, post_off, n_neu, dt_ns, d_add, counts, o_pre, o_tgt, o_w, o_d):
    """Pack one projection into compact columns: sender node (int32), ring column type·N + neuron
    (int32), weight (float32), delay in steps rint(delay/dt) + d_add (int32); count the senders into
    ``counts[node + 1]``. ``typ`` 0/1 or -1: by the weight's sign (w < 0 → type 1, weight |w|).
    ``w`` and ``delay`` have one entry per connection or a single one for all. Returns the smallest
    and largest delay (steps)."""
    d_lo = 2**62
    d_hi = 0
    sw = 0 if w.shape[0] == 1 else 1
    sd = 0 if delay.shape[0] == 1 else 1
    for e in range(pre.shape[0]):
        we = w[e * sw]
        t = typ
        if typ < 0:
            t = 1 if we < 0 else 0
            we = abs(we)
        node = pre[e] + pre_off
        o_pre[e] = node
        o_tgt[e] = t * n_neu + post_off + post[e]
        o_w[e] = we
        d = int(np.rint(delay[e * sd] / dt_ns)) + d_add
        o_d[e] = d
        d_lo = min(d_lo, d)
        d_hi = max(d_hi, d)
        counts[node + 1] += 1
    return d_lo, d_hi


@nb.njit(cache=True)
def csr_scatter(pre, tgt, w, d, pos, out_tgt, out_w, out_d):
    """Place packed connections at their senders' next free CSR positions ``pos`` (advanced)."""
    for e in range(pre.shape[0]):
        s = pre[e]
        k = pos[s]
        out_tgt[k] = tgt[e]
        out_w[k] = w[e]
        out_d[k] = d[e]
        pos[s] = k + 1


@nb.njit(cache=True)
def scatter_rule(pre, pos, rid, keys, rule_of, syn_key):
    """The plasticity rule id and stable key of one plastic projection's connections, at the CSR
    positions :func:`csr_scatter` is about to give them (``pos`` is not advanced)."""
    cur = pos.copy()
    for e in range(pre.shape[0]):
        s = pre[e]
        k = cur[s]
        rule_of[k] = rid
        syn_key[k] = keys[e]
        cur[s] = k + 1


@nb.njit(cache=True)
def _incoming(out_tgt, n_neu, ptr, syn):
    for e in range(out_tgt.shape[0]):
        ptr[out_tgt[e] % n_neu + 1] += 1
    for i in range(n_neu):
        ptr[i + 1] += ptr[i]
    pos = ptr[:-1].copy()
    for e in range(out_tgt.shape[0]):
        i = out_tgt[e] % n_neu
        syn[pos[i]] = e
        pos[i] += 1


def incoming_lists(out_tgt, n_neu: int):
    """The incoming synapses of every neuron (for post-synaptic updates): synapses
    ``syn[ptr[i]:ptr[i+1]]`` end on neuron i (ascending synapse index; a counting sort, one pass)."""
    ptr = np.zeros(n_neu + 1, dtype=np.int64)
    syn = np.empty(out_tgt.shape[0], dtype=np.int32 if out_tgt.shape[0] < 2**31 else np.int64)
    if n_neu:
        _incoming(out_tgt, n_neu, ptr, syn)
    return ptr, syn
