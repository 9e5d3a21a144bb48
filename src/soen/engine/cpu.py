"""The CPU engine: Numba kernels that step a :class:`~soen.engine.compile.CompiledNetwork`.

Per time step n (t_n = n·dt):

1. input spikes of step n are pushed into the delay ring buffer (slot = arrival step mod L);
2. synapse events arriving at step n are delivered (event-driven: work only per event). A photon at
   synapse k (weight w, asymptote A) when its flux is φ⁻ adds to its channel
   ``C += wA, R += w(φ⁻ − A), F −= wφ⁻`` and schedules, at the first step m ≥ n + t_hs/dt, the end of
   the hotspot ``C −= wA, R −= w(φ⁻ − A)e^(−(t_m−t_n)/τ_r), F += wφ⁺e^(−(t_m−t_n−t_hs)/τ_f)`` with
   φ⁺ = A + (φ⁻ − A)e^(−t_hs/τ_r): the channel flux C + R + F equals the exact SPD kernel sum
   (``soen.model.Synapse``) at every step;
3. every dendrite advances (clock-driven, in parallel): φ = φ_offset + Σ_ch (C+R+F) + Σ_j J s_j,
   ``β ds/dτ = g(φ, i_b − s) − α s`` by forward Euler or Heun (explicit trapezoid, 2nd order); the
   channels then decay exactly to t_{n+1} (R·e^(−dt/τ_r), F·e^(−dt/τ_f));
   With thermal noise on, each loop current also receives the Ornstein–Uhlenbeck increment
   σ_d sqrt(2 dt/τ_d) z (z a counter-based normal of (seed, dendrite, step)), σ_d² = k_B T/(L_d I_c²)
   being the equipartition variance of the loop (Shainline et al., Phys. Rev. Applied 7, 034013 (2017));
4. somas at or above threshold spike at t_{n+1}: reset and hold at 0 for the refractory period,
   drive the refractory dendrite, and push one event per outgoing connection into the ring.

With photonic links, each (spike, connection) draws k ~ Poisson(μ) photons (counter-based on
(seed, connection, spike number of the sender)); the synapse fires iff k ≥ 1, delayed additionally by
the first of k exponential emission times, Exp(τ_rad/k), and Gaussian detector jitter.

Only per-dendrite work runs in parallel, each thread writing its own dendrites: results do not
depend on the number of threads.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from soen._rng import STREAMS, exponential, normal, poisson

from ._jit import grow_pair, specialise
from ._plastic import post_spike, pre_event
from ._poisson import STREAM_POISSON, _poisson_count
from ._rate import rate

TWO_PI = 2.0 * math.pi
_BIG = 1e300  # a loop current beyond this is treated as non-finite
STREAM_PHOTON = STREAMS["photon_count"]
STREAM_EMISSION = STREAMS["emission_time"]
STREAM_JITTER = STREAMS["jitter"]
STREAM_THERMAL = STREAMS["thermal_noise"]


@nb.njit(cache=True)
def _grow_ring(ring, cap):
    """A copy of ``ring`` with ``cap`` columns per slot (explicit loops: a 2-D slice assignment costs
    seconds of extra Numba compilation)."""
    bigger = np.empty((ring.shape[0], cap), dtype=ring.dtype)
    for a in range(ring.shape[0]):
        for b in range(ring.shape[1]):
            bigger[a, b] = ring[a, b]
    return bigger


@nb.njit(cache=True)
def _push(ring, ring_n, slot, value):
    """Append ``value`` to ring slot ``slot``; grow the ring (doubling) when full. Returns the ring."""
    c = ring_n[slot]
    if c == ring.shape[1]:
        ring = _grow_ring(ring, 2 * ring.shape[1])
    ring[slot, c] = value
    ring_n[slot] = c + 1
    return ring


@nb.njit(cache=True)
def _reserve(ring, ring_n, extra):
    """Grow the ring (doubling its slots' capacity) until every slot has room for ``extra`` more."""
    need = ring_n.max() + extra
    cap = ring.shape[1]
    if need <= cap:
        return ring
    while cap < need:
        cap *= 2
    return _grow_ring(ring, cap)


def _emit_py(node, m, ring, ring_n, out_ptr, out_delay, out_mu, out_jit, out_key, em_tau, seed, node_count,
             counters):
    """Push the synapse events of a spike of ``node`` at step ``m``. Returns the ring (maybe regrown).
    Compiled twice (``PHOTONIC`` constant): without links the photon draws are not compiled at all."""
    L = ring.shape[0]
    ring = _reserve(ring, ring_n, out_ptr[node + 1] - out_ptr[node])
    cnt = node_count[node]
    node_count[node] = cnt + 1
    for e in range(out_ptr[node], out_ptr[node + 1]):
        d = out_delay[e]
        if PHOTONIC:
            mu = out_mu[e]
            if mu < 1e300:
                k = poisson(mu, seed, STREAM_PHOTON, out_key[e], cnt)
                counters[4] += k
            else:  # ideal link: always delivered, at the nominal delay
                k = 1 << 40
            if k == 0:
                counters[3] += 1
                continue
            extra = 0.0
            if em_tau > 0.0:
                extra += em_tau * exponential(seed, STREAM_EMISSION, out_key[e], cnt) / k
            if out_jit[e] > 0.0:
                extra += out_jit[e] * normal(seed, STREAM_JITTER, out_key[e], cnt)
            d = d + int(math.floor(extra + 0.5))
            if d < 0:
                d = 0
            if d > L - 2:
                d = L - 2
        slot = (m + d) % L
        ring[slot, ring_n[slot]] = e
        ring_n[slot] += 1
    return ring


PHOTONIC = True
_emit_plain = specialise(_emit_py, dict(PHOTONIC=False))
_emit_photonic = specialise(_emit_py, dict(PHOTONIC=True))
_emit = _emit_photonic  # each step kernel binds the variant of its run (get_kernel)


@nb.njit(cache=True, inline="always")
def _deliver(k, kw, n, dt, sy_last, sy_phi_end, sy_ch, sy_w, sy_type, st_A, st_ths, st_e, st_tf,
             st_dead, st_hs, chC, chR, chF, pend, counters):
    """Deliver one detected photon to synapse ``k`` at step ``n`` (exact SPD kernel, dead time); its
    weight is ``sy_w[kw]`` (``kw = k``, or its class in the compact layout)."""
    ty = sy_type[k]
    last = sy_last[k]
    if last >= 0 and (n - last) * dt < st_dead[ty] - 1e-9:
        counters[1] += 1
        return
    phi_m = 0.0
    if last >= 0:
        # decayed since the end of the previous hotspot, (n − last)·dt − t_hs ago (exact step difference)
        phi_m = sy_phi_end[k] * math.exp(-((n - last) * dt - st_ths[ty]) / st_tf[ty])
    w = sy_w[kw]
    A = st_A[ty]
    ch = sy_ch[k]
    phi_p = A + (phi_m - A) * st_e[ty, 0]  # st_e = (e^(−t_hs/τ_r), e^(−lag/τ_r), e^(−(lag − t_hs)/τ_f))
    chC[ch] += w * A
    chR[ch] += w * (phi_m - A)
    chF[ch] -= w * phi_m
    hs = st_hs[ty]
    if hs == 0:
        chC[ch] -= w * A
        chR[ch] -= w * (phi_m - A)
        chF[ch] += w * phi_p
    else:
        K = pend.shape[1]
        s2 = (n + hs) % K
        pend[ch, s2, 0] -= w * A
        pend[ch, s2, 1] -= w * (phi_m - A) * st_e[ty, 1]
        pend[ch, s2, 2] += w * phi_p * st_e[ty, 2]
    sy_phi_end[k] = phi_p
    sy_last[k] = n
    counters[0] += 1


def _run_steps_py(
    n0, n1, dt, h, seed,
    # dendrites
    d_hb, d_ahb, d_bias, d_offset, cp_ptr, cp_src, cp_J, ch_ptr, ch_dr, ch_df,
    # synapses
    sy_ch, sy_w, sy_type, st_A, st_ths, st_e, st_tf, st_dead, st_hs,
    # nodes / connections; explicit input events and dark counts of this chunk
    out_ptr, out_delay, out_mu, out_jit, out_key, em_tau, src_step, src_node, dk_step, dk_syn,
    # Poisson input channels (drawn here, per step: soen.engine._inputs)
    pch_node, pch_key, pch_lam, pch_start, pch_tab, pch_pre, tab_off, tab_cdf, tab_guide,
    # neurons
    nr_soma, nr_ref_syn, nr_thresh, nr_ref_steps,
    # thermal noise: per-dendrite increment σ_d sqrt(2 dt/τ_d) (None-like: empty array = off)
    noise_amp, d_key,
    # table
    tab,
    # state
    s, s_new, k1, gbuf, phi, chC, chR, chF, pend, sy_last, sy_phi_end, ring, ring_n, ref_until,
    node_count, src_pos, fluxons, fired,
    # recording
    spk_step, spk_id, rec_d, rec_every, rec_s, rec_phi,
    # counters: 0 accepted, 1 dead-time drops, 2 spikes, 3 lost (0 photons), 4 photons detected,
    # 5 error flag, 6 error dendrite, 7 error step, 8 recorded samples (in the buffer), 9 dark counts,
    # 10 input spikes
    counters,
    # plasticity (PLASTIC; sy_w is then the run's float64 weights): soen.engine._plastic
    pl=None,
):
    n_dend = s.shape[0]
    n_neu = nr_soma.shape[0]
    L = ring.shape[0]
    K = pend.shape[1]
    n_src = src_step.shape[0]
    s_home = s  # the caller's state array: the final state is copied back into it if needed
    for n in range(n0, n1):
        # 1. input spikes at step n
        p = src_pos[0]
        while p < n_src and src_step[p] == n:
            ring = _emit(src_node[p], n, ring, ring_n, out_ptr, out_delay, out_mu, out_jit, out_key, em_tau, seed,
                         node_count, counters)
            counters[10] += 1
            p += 1
        src_pos[0] = p
        if HAS_POISSON:  # Poisson channels, in channel order
            for c in range(pch_node.shape[0]):
                if n >= pch_start[c]:
                    t = pch_tab[c]
                    if t >= 0:
                        k = _poisson_count(t, pch_pre[c], n, tab_off, tab_cdf, tab_guide)
                    else:
                        k = poisson(pch_lam[c], seed, STREAM_POISSON, pch_key[c], n)
                    for q in range(k):
                        ring = _emit(pch_node[c], n, ring, ring_n, out_ptr, out_delay, out_mu, out_jit, out_key,
                                     em_tau, seed, node_count, counters)
                    counters[10] += k
        # dark counts of step n go straight to their synapses
        p = src_pos[1]
        while p < dk_step.shape[0] and dk_step[p] == n:
            ring = _push(ring, ring_n, n % L, dk_syn[p])
            counters[9] += 1
            p += 1
        src_pos[1] = p
        # 2. synapse events arriving now
        slot = n % L
        for q in range(ring_n[slot]):
            if PLASTIC:  # a detected photon (not one lost in the dead time) is a presynaptic event
                k = ring[slot, q]
                c0 = counters[0]
                _deliver(k, k, n, dt, sy_last, sy_phi_end, sy_ch, sy_w, sy_type, st_A, st_ths,
                         st_e, st_tf, st_dead, st_hs, chC, chR, chF, pend, counters)
                if counters[0] > c0 and k < pl[1].shape[0]:  # connections (not refractory drives)
                    pre_event(k, n, dt, 1, pl[1][k], pl[0], pl[2], sy_w, pl[3], pl[4], pl[5], pl[6], seed, pl[7],
                              pl[8], pl[9])
            else:  # (COMPACT: sy_type holds the synapses' classes, sy_w and st_* one row per class)
                k = ring[slot, q]
                _deliver(k, sy_type[k] if COMPACT else k, n, dt, sy_last, sy_phi_end, sy_ch, sy_w, sy_type, st_A,
                         st_ths, st_e, st_tf, st_dead, st_hs, chC, chR, chF, pend, counters)
        ring_n[slot] = 0
        if PLASTIC:  # spikes stamped t_n, after the arrivals of step n (as in the point engine)
            for q in range(pl[11][0]):
                post_spike(pl[10][q], n, dt, pl[12], pl[13], pl[0], pl[2], sy_w, pl[3], pl[4], pl[5], pl[6], seed,
                           pl[7], pl[8], pl[9])
            pl[11][0] = 0
        # 3. dendrites (Jacobi: every dendrite reads the currents of step n)
        nxt = (n + 1) % K
        nbad = 0
        if not HEUN:  # a constant of each specialisation (get_kernel): the other scheme is not compiled
            for d in nb.prange(n_dend):
                f = d_offset[d]
                for c in range(ch_ptr[d], ch_ptr[d + 1]):
                    f += chC[c] + chR[c] + chF[c]
                    chC[c] += pend[c, nxt, 0]
                    chR[c] = chR[c] * ch_dr[c] + pend[c, nxt, 1]
                    chF[c] = chF[c] * ch_df[c] + pend[c, nxt, 2]
                    pend[c, nxt, 0] = 0.0
                    pend[c, nxt, 1] = 0.0
                    pend[c, nxt, 2] = 0.0
                for j in range(cp_ptr[d], cp_ptr[d + 1]):
                    f += cp_J[j] * s[cp_src[j]]
                phi[d] = f
                sd = s[d]
                g = rate(f, d_bias[d] - sd, tab)
                sn = sd + d_hb[d] * g - d_ahb[d] * sd
                if NOISY:
                    sn += noise_amp[d] * normal(seed, STREAM_THERMAL, d_key[d], n)
                s_new[d] = sn
                fluxons[d] += g
                if not ((-_BIG < sn < _BIG) and (-_BIG < f < _BIG)):  # also NaN; isfinite is folded under fast-math
                    nbad += 1
        else:  # Heun: predictor, then corrector with the flux at t_{n+1}
            for d in nb.prange(n_dend):
                f = d_offset[d]
                for c in range(ch_ptr[d], ch_ptr[d + 1]):
                    f += chC[c] + chR[c] + chF[c]
                for j in range(cp_ptr[d], cp_ptr[d + 1]):
                    f += cp_J[j] * s[cp_src[j]]
                phi[d] = f
                sd = s[d]
                g = rate(f, d_bias[d] - sd, tab)
                gbuf[d] = g
                k1[d] = d_hb[d] * g - d_ahb[d] * sd
                s_new[d] = sd + k1[d]
            for d in nb.prange(n_dend):
                f = d_offset[d]
                for c in range(ch_ptr[d], ch_ptr[d + 1]):
                    chC[c] += pend[c, nxt, 0]
                    chR[c] = chR[c] * ch_dr[c] + pend[c, nxt, 1]
                    chF[c] = chF[c] * ch_df[c] + pend[c, nxt, 2]
                    pend[c, nxt, 0] = 0.0
                    pend[c, nxt, 1] = 0.0
                    pend[c, nxt, 2] = 0.0
                    f += chC[c] + chR[c] + chF[c]
                for j in range(cp_ptr[d], cp_ptr[d + 1]):
                    f += cp_J[j] * s_new[cp_src[j]]
                sp = s_new[d]
                g2 = rate(f, d_bias[d] - sp, tab)
                k2 = d_hb[d] * g2 - d_ahb[d] * sp
                sn = s[d] + 0.5 * (k1[d] + k2)
                if NOISY:  # additive noise: the same increment in predictor-free Euler–Heun form
                    sn += noise_amp[d] * normal(seed, STREAM_THERMAL, d_key[d], n)
                k1[d] = sn
                fluxons[d] += 0.5 * (gbuf[d] + g2)
                if not ((-_BIG < sn < _BIG) and (-_BIG < f < _BIG) and (-_BIG < phi[d] < _BIG)):
                    nbad += 1  # also catches NaN; isfinite is folded under fast-math
            # the new state is in k1: let s_new name it (k1 becomes scratch); no copy loop
            k1, s_new = s_new, k1
        # recording of s(t_n), φ(t_n)
        if rec_every > 0 and n % rec_every == 0:
            r = counters[8]
            if r < rec_s.shape[0]:
                for q in range(rec_d.shape[0]):
                    rec_s[r, q] = s[rec_d[q]]
                    rec_phi[r, q] = phi[rec_d[q]]
                counters[8] = r + 1
        if nbad > 0:
            for d in range(n_dend):
                if not ((-_BIG < s_new[d] < _BIG) and (-_BIG < phi[d] < _BIG)):
                    counters[5] = 1
                    counters[6] = d
                    counters[7] = n
                    break
            if counters[5] == 0:  # (Heun: a non-finite corrector flux) report the first dendrite
                counters[5] = 1
                counters[6] = 0
                counters[7] = n
            break
        # swap instead of copying (one parallel region less per step)
        s, s_new = s_new, s
        # 4. somas: scan (no allocation in this loop), then handle the few that fired
        m = n + 1
        n_fired = 0
        for i in range(n_neu):
            d = nr_soma[i]
            if m <= ref_until[i]:
                s[d] = 0.0
            elif s[d] >= nr_thresh[i]:
                fired[n_fired] = i
                n_fired += 1
        for q in range(n_fired):
            i = fired[q]
            c = counters[2]
            if c == spk_step.shape[0]:
                spk_step, spk_id = grow_pair(spk_step, spk_id)
            spk_step[c] = m
            spk_id[c] = i
            counters[2] = c + 1
            s[nr_soma[i]] = 0.0
            ref_until[i] = m + nr_ref_steps[i]
            ring = _push(ring, ring_n, m % L, nr_ref_syn[i])
            if PLASTIC:
                pl[10][pl[11][0]] = i
                pl[11][0] += 1
            if not DEFER:  # (DEFER: the caller emits the neuron spikes at the end of an epoch, soen.engine._mpi)
                ring = _emit(i, m, ring, ring_n, out_ptr, out_delay, out_mu, out_jit, out_key, em_tau, seed,
                             node_count, counters)
    if s.ctypes.data != s_home.ctypes.data:
        for d in nb.prange(n_dend):
            s_home[d] = s[d]
    return ring, spk_step, spk_id


# fast-math without 'nnan'/'ninf', so that the non-finite check survives
_FASTMATH = {"contract", "arcp", "nsz", "reassoc", "afn"}
# defaults of the specialisation constants (the module-level _run_steps_py itself is never compiled)
HEUN = NOISY = HAS_POISSON = True
DEFER = False  # True only in the kernels of the MPI engine (get_kernel(defer=True))
PLASTIC = False  # True only in the kernels of networks with plastic projections (get_kernel(plastic=True))
COMPACT = False  # True only in the kernels of the compact layout with weights per class (get_kernel(compact=True))


def get_kernel(parallel: bool, heun: bool, noisy: bool, photonic: bool, poisson: bool = True, defer: bool = False,
               plastic: bool = False, compact: bool = False):
    """The step kernel for one run. Serial and parallel runs share one compilation with
    ``parallel=True``: a serial run calls it with Numba's thread count set to 1 (the caller sets it;
    :meth:`soen.engine._soen_cpu.SoenRun.advance` does), so its ``prange`` loops run on the calling
    thread. The parallel lowering measured 1.5–1.8× faster on one thread than a ``parallel=False``
    compilation of the same kernel (100,000 neurons × 100 synapses, 200 steps: 2.2 s against 3.9 s of
    CPU; 200 neurons: 15 against 17 µs per step), and one compilation instead of two shortens cold
    starts. (``parallel`` is kept in the signature for the callers.) Only the integrator used is
    compiled (Euler: one parallel loop per step; Heun: two), the thermal-noise draws only when noise is on and the photon draws only
    with photonic links (:func:`soen.engine._jit.specialise`). ``defer``: the neuron spikes are recorded
    but their synapse events are not pushed (the MPI engine emits them after each epoch's exchange); the
    refractory drive stays immediate. The CPU engine's kernels do not take this constant at all.
    ``compact``: the weights are one per synapse class (``sy_w[sy_type[k]]``, the compact layout of
    :mod:`soen.engine._soen_build`; ``sy_type`` then holds the classes and the synapse-kernel tables
    one row per class)."""
    constants = dict(HEUN=bool(heun), NOISY=bool(noisy), PHOTONIC=bool(photonic), HAS_POISSON=bool(poisson))
    if defer:
        constants["DEFER"] = True
    if compact:
        constants["COMPACT"] = True
    if plastic:  # ``pl``: the tuple of plasticity arrays of soen.engine._soen_cpu.SoenRun
        constants["PLASTIC"] = True
    return specialise(
        _run_steps_py,
        constants,
        bind=dict(_emit=_emit_photonic if photonic else _emit_plain),
        fastmath=_FASTMATH,
        parallel=True,
    )
