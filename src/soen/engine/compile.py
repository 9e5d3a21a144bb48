"""Compile a :class:`~soen.model.network.Network` into engine-neutral flat arrays (the IR).

One row per dendrite, synaptic channel, synapse, neuron; CSR arrays for dendrite couplings and for
the outgoing connections of every spiking node (neurons first, then input channels). Every engine
(the Numba CPU engine today; a JAX and an MPI engine later) consumes a :class:`CompiledNetwork`.
Physical units are converted to kernel units here, once: time in τ0 for the dendrite ODE, steps for
delays, ns for synapse kernels (which are evaluated exactly).

Synaptic channels: synapses on the same dendrite with the same (τ_r, τ_f) share one channel whose
flux is ``C + R + F`` — a constant part and parts decaying with τ_r and τ_f — so the summed SPD flux
is exact at every step while costing work only when a photon arrives (see ``cpu.py``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from soen._rng import philox as _rng_for
from soen.model.components import FanInWarning, Synapse
from soen.model.network import FromMatrix, Network
from soen.units import DEFAULT_JJ

__all__ = ["CompiledNetwork", "compile_network"]


@dataclass
class CompiledNetwork:
    """Flat arrays describing a network for a given time step (engine-neutral IR)."""

    dt_ns: float
    n_steps: int
    seed: int
    # dendrites
    d_beta: np.ndarray
    d_alpha: np.ndarray
    d_bias: np.ndarray
    d_offset: np.ndarray
    d_neuron: np.ndarray
    cp_ptr: np.ndarray  # incoming couplings CSR over dendrites
    cp_src: np.ndarray
    cp_J: np.ndarray
    ch_ptr: np.ndarray  # channels of each dendrite (channels sorted by dendrite)
    # channels
    ch_decay_r: np.ndarray
    ch_decay_f: np.ndarray
    # synapses: connection e (0..n_conn-1) ends on synapse e; refractory drives follow
    sy_ch: np.ndarray  # int32 channel
    sy_w: np.ndarray  # weight
    sy_type: np.ndarray  # int32 index into the synapse-type tables st_*
    st_A: np.ndarray  # per type: asymptote A = φ_pk (1 − τ_r/τ_f)
    st_ths_ns: np.ndarray
    st_tr_ns: np.ndarray
    st_tf_ns: np.ndarray
    st_dead_ns: np.ndarray
    st_hs_steps: np.ndarray
    st_e: np.ndarray  # per type: e^(−t_hs/τ_r), e^(−lag/τ_r), e^(−(lag − t_hs)/τ_f), lag = hs·dt
    # spiking nodes: neurons 0..n_neurons-1, then input channels
    out_ptr: np.ndarray  # connections of node i: out_ptr[i]..out_ptr[i+1]
    out_delay: np.ndarray  # int32, in steps
    src_step: np.ndarray  # input spikes, sorted by step
    src_node: np.ndarray
    # neurons
    nr_soma: np.ndarray
    nr_ref_syn: np.ndarray
    nr_thresh: np.ndarray
    nr_ref_steps: np.ndarray
    # sizes
    n_pend: int
    n_ring: int
    # photonic link arrays (None: ideal delivery)
    out_mu: np.ndarray | None = None
    out_jitter_steps: np.ndarray | None = None
    emission_tau_steps: float = 0.0
    dk_step: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # dark counts
    dk_syn: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    # bookkeeping for users
    pop_offset: dict = field(default_factory=dict)
    pop_size: dict = field(default_factory=dict)
    src_offset: dict = field(default_factory=dict)
    dend_offset: np.ndarray | None = None  # first dendrite of every neuron
    dend_names: dict = field(default_factory=dict)  # population -> dendrite names
    conn_pre: np.ndarray | None = None  # node id of each connection
    conn_post: np.ndarray | None = None  # neuron id of each connection (-1 for refractory drives)
    h_tau: float = 0.0  # time step in τ0

    @property
    def d_hb(self) -> np.ndarray:
        """h/β per dendrite (h = dt in τ0): the Euler increment is h/β · g − hα/β · s."""
        return self.h_tau / self.d_beta

    @property
    def d_ahb(self) -> np.ndarray:
        """hα/β = dt/τ per dendrite."""
        return self.h_tau * self.d_alpha / self.d_beta

    @property
    def n_dendrites(self) -> int:
        return self.d_beta.shape[0]

    @property
    def n_neurons(self) -> int:
        return self.nr_soma.shape[0]

    @property
    def n_synapses(self) -> int:
        return self.sy_w.shape[0]

    @property
    def n_nodes(self) -> int:
        return self.out_ptr.shape[0] - 1




def _resolve(value, n: int, rng, what: str, compact: bool = False) -> np.ndarray:
    """A scalar, per-connection array or distribution → float64 array of length n (of length 1 for a
    scalar when ``compact``)."""
    if hasattr(value, "sample"):
        out = np.asarray(value.sample(rng, n), dtype=float)
    else:
        arr = np.asarray(value, dtype=float)
        if arr.ndim == 0:
            out = np.full(1 if compact and n else n, float(arr))
        elif arr.shape == (n,):
            out = arr.copy()
        else:
            raise ValueError(f"{what} must be a scalar, a distribution or an array of length {n} "
                             f"(one per connection), got shape {arr.shape}")
    if not np.isfinite(out).all():
        bad = int(np.flatnonzero(~np.isfinite(out))[0])
        raise ValueError(f"{what} must be finite; connection {bad} has {float(out[bad])!r}")
    return out


def resolve_projection(network: Network, p_index: int, seed: int, compact: bool = False):
    """Connections of projection ``p_index``: (pre, post local indices, weights, delays in ns).

    Shared by both engines: Philox streams connectivity, weights and delays keyed by (seed, projection
    index), so the SOEN and the point-model engine draw the same connections. ``compact``: a scalar
    weight or delay comes back as a length-1 array (for every connection), not repeated n times.
    """
    proj = network.projections[p_index]
    if proj.pre in network.populations:
        n_pre = network.populations[proj.pre].n
    else:
        n_pre = network.sources[proj.pre].n
    post_pop = network.populations[proj.post]
    pre, post = proj.connector.pairs(
        n_pre, post_pop.n, proj.pre == proj.post, _rng_for(seed, "connectivity", p_index)
    )
    pre = np.asarray(pre, dtype=np.int64)
    post = np.asarray(post, dtype=np.int64)
    n = pre.size
    where = f"Projection {proj.pre!r}->{proj.post!r}"
    if proj.weight is None and isinstance(proj.connector, FromMatrix):
        w = proj.connector.values()
    else:
        w = _resolve(proj.weight, n, _rng_for(seed, "weights", p_index), f"{where} weight", compact)
    delay = _resolve(proj.delay_ns, n, _rng_for(seed, "delays", p_index), f"{where} delay_ns", compact)
    if n and delay.min() < 0:
        raise ValueError(f"{where} delay_ns must be >= 0, got {delay.min()}")
    return pre, post, w, delay


def _refractory_synapse(soma) -> Synapse:
    """The SPD-like kernel that drives a soma's refractory dendrite at each spike (no dead time to speak of)."""
    return Synapse(tau_rise_ns=0.02, tau_fall_ns=soma.refractory_tau_ns, phi_peak=soma.refractory_phi_peak,
                   dead_time_ns=0.06)


def refractory_coupling(soma, table) -> float:
    """Automatic J_ref (Soma docstring): −½ / s_ref,peak, with s_ref,peak from a fine solve."""
    from soen.engine._single import peak_response

    syn = _refractory_synapse(soma)
    s_peak = peak_response(syn, soma.refractory_tau_ns, soma.beta, soma.bias, table)
    if s_peak <= 1e-6:
        raise ValueError(
            f"Soma.refractory_phi_peak={soma.refractory_phi_peak} does not drive the refractory dendrite "
            f"above threshold; give Soma.refractory_coupling explicitly")
    return -0.5 / s_peak


def _check_fan_in(sy_dend, sy_w, sy_A, d_arr, cp, table, dend_names, dend_offset, pop_offset, ref_dends) -> None:
    """Warn (:class:`FanInWarning`) when a dendrite's inputs can drive its applied flux beyond ±Φ0/2.

    Each input contributes with its sign: a synapse w·φ_spd with φ_spd in [0, A], a coupling J·s with
    s in [0, s_max], s_max = i_b − i_c(½) of the source dendrite (its largest possible current). The
    applied flux therefore stays within [φ_offset + Σ negative maxima, φ_offset + Σ positive maxima];
    the warning fires when either end leaves [−½, ½], where the folded SQUID response turns back
    (PS21a's fan-in limit). Excitation and inhibition that cannot act at once in the same direction do
    not add up, unlike a bound on Σ|contributions|. Refractory feedback is excluded. (Not checked here:
    inhibition that takes φ below −φ_th drives the SQUID again, since g depends on |φ|.)
    """
    n_dend = d_arr.shape[0]
    hi = d_arr[:, 3].copy()  # φ_offset + the positive maxima
    lo = d_arr[:, 3].copy()  # φ_offset + the negative maxima
    syn = sy_w * sy_A
    np.add.at(hi, sy_dend, np.maximum(syn, 0.0))
    np.add.at(lo, sy_dend, np.minimum(syn, 0.0))
    ic_half = float(np.asarray(table.i_c(0.5))) if hasattr(table, "i_c") else 1.047
    s_max = np.maximum(d_arr[:, 2] - ic_half, 0.0)
    cp_a = np.asarray(cp, dtype=float).reshape(-1, 3)
    src = cp_a[:, 0].astype(np.int64)
    keep = ~np.isin(src, ref_dends)  # the refractory feedback is meant to be strong
    cpl = cp_a[keep, 2] * s_max[src[keep]]
    np.add.at(hi, cp_a[keep, 1].astype(np.int64), np.maximum(cpl, 0.0))
    np.add.at(lo, cp_a[keep, 1].astype(np.int64), np.minimum(cpl, 0.0))
    flux = np.maximum(hi, -lo)  # the largest |applied flux| the inputs can reach
    over = np.flatnonzero(flux > 0.5 + 1e-9)
    if over.size:
        worst = int(over[np.argmax(flux[over])])
        nid = int(np.searchsorted(dend_offset, worst, side="right") - 1)
        pop = max((p for p, o in pop_offset.items() if o <= nid), key=lambda p: pop_offset[p])
        local = worst - int(dend_offset[nid])
        names = dend_names[pop]
        name = names[local] if local < len(names) else "refractory"
        warnings.warn(
            f"{over.size} of {n_dend} dendrites can receive more than Φ0/2 of applied flux (up to "
            f"{flux[worst]:.3g} Φ0 on {pop}[{nid - pop_offset[pop]}].{name}); beyond ½ the SQUID response "
            f"folds back (fan-in limit): reduce weights, fan-in per dendrite, or spread inputs over more dendrites",
            FanInWarning, stacklevel=4)


def compile_network(network: Network, *, duration_ns: float, dt_ns: float, seed: int, table,
                    links=None) -> CompiledNetwork:
    """Resolve connectors, distributions and units; return the :class:`CompiledNetwork`.

    ``links`` (optional) is a callable ``(pre_node, post_neuron) -> LinkArrays`` supplying photonic
    delivery (mean detected photons, delays, jitter); None means ideal delivery.
    """
    jj = DEFAULT_JJ
    if not isinstance(network, Network):
        raise TypeError(f"network must be a soen.Network, got {type(network).__name__}")
    if not network.populations:
        raise ValueError("network has no populations: add one with Network.add_population")
    n_steps = int(round(duration_ns / dt_ns))
    h_tau = float(jj.ns_to_tau(dt_ns))

    # ---- neurons and dendrites ------------------------------------------------------------
    pop_offset, pop_size, dend_names = {}, {}, {}
    n_neu = 0
    for pop in network.populations.values():
        pop_offset[pop.name] = n_neu
        pop_size[pop.name] = pop.n
        dend_names[pop.name] = pop.neuron.dendrite_names()
        n_neu += pop.n
    # per neuron: its morphology dendrites then one refractory dendrite
    d_rows = []  # (beta, alpha, bias, offset, neuron)
    cp = []  # (src, tgt, J)
    dend_offset = np.empty(n_neu + 1, dtype=np.int64)
    nr_soma = np.empty(n_neu, dtype=np.int64)
    nr_ref_dend = np.empty(n_neu, dtype=np.int64)
    nr_thresh = np.empty(n_neu)
    nr_ref_steps = np.empty(n_neu, dtype=np.int64)
    ref_syn_params = []
    jref_cache: dict = {}
    nid = 0
    for pop in network.populations.values():
        morph = pop.neuron
        soma = morph.soma
        key = (soma.refractory_tau_ns, soma.beta, soma.bias, soma.refractory_phi_peak)
        if soma.refractory_coupling is not None:
            j_ref = soma.refractory_coupling
        else:
            if key not in jref_cache:
                jref_cache[key] = refractory_coupling(soma, table)
            j_ref = jref_cache[key]
        ref_syn = _refractory_synapse(soma)
        base_rows = [(d.beta, jj.alpha_from_tau(d.tau_ns, d.beta), d.bias, d.phi_offset) for d in morph.all_dendrites]
        ref_row = (soma.beta, jj.alpha_from_tau(soma.refractory_tau_ns, soma.beta), soma.bias, 0.0)
        nd = morph.n_dendrites
        for _ in range(pop.n):
            base = len(d_rows)
            dend_offset[nid] = base
            for r in base_rows:
                d_rows.append((*r, nid))
            d_rows.append((*ref_row, nid))
            for s_, t_, J in morph.couplings:
                cp.append((base + s_, base + t_, J))
            for k, d in enumerate(morph.all_dendrites):
                if d.self_coupling != 0.0:
                    cp.append((base + k, base + k, d.self_coupling))
            cp.append((base + nd, base, j_ref))
            nr_soma[nid] = base
            nr_ref_dend[nid] = base + nd
            nr_thresh[nid] = soma.threshold
            nr_ref_steps[nid] = int(round(soma.refractory_ns / dt_ns))
            ref_syn_params.append(ref_syn)
            nid += 1
    dend_offset[n_neu] = len(d_rows)
    d_arr = np.array(d_rows, dtype=float).reshape(-1, 5)
    n_dend = d_arr.shape[0]

    # ---- sources ----------------------------------------------------------------------------
    src_offset = {}
    n_nodes = n_neu
    src_steps, src_nodes = [], []
    for s_index, src in enumerate(network.sources.values()):
        src_offset[src.name] = n_nodes
        trains = src.spike_times(duration_ns, seed, s_index)
        for c, t in enumerate(trains):
            steps = np.rint(np.asarray(t) / dt_ns).astype(np.int64)
            steps = steps[steps < n_steps]
            src_steps.append(steps)
            src_nodes.append(np.full(steps.size, n_nodes + c, dtype=np.int64))
        n_nodes += src.n
    src_step = np.concatenate(src_steps) if src_steps else np.empty(0, dtype=np.int64)
    src_node = np.concatenate(src_nodes) if src_nodes else np.empty(0, dtype=np.int64)
    order = np.lexsort((src_node, src_step))
    src_step, src_node = src_step[order], src_node[order]

    # ---- projections → connections → synapses --------------------------------------------
    syn_types: list[Synapse] = []
    type_index: dict = {}

    def type_of(syn: Synapse) -> int:
        key = (syn.amplitude, syn.t_hs_ns, syn.tau_rise_ns, syn.tau_fall_ns, syn.dead_time_ns)
        if key not in type_index:
            type_index[key] = len(syn_types)
            syn_types.append(syn)
        return type_index[key]

    c_pre, c_post, c_dend, c_w, c_delay, c_type = [], [], [], [], [], []
    for p_index, proj in enumerate(network.projections):
        pre, post, w, delay = resolve_projection(network, p_index, seed)
        n = pre.size
        pre_off = pop_offset[proj.pre] if proj.pre in network.populations else src_offset[proj.pre]
        post_pop = network.populations[proj.post]
        morph = post_pop.neuron
        if proj.target == "sites":
            sites = np.asarray(morph.sites(), dtype=np.int64)
            # the k-th connection onto a post neuron goes to site k mod n_sites
            local = np.empty(n, dtype=np.int64)
            if n:
                order_post = np.argsort(post, kind="stable")
                sp = post[order_post]
                starts = np.r_[0, np.flatnonzero(np.diff(sp)) + 1]
                counts = np.diff(np.r_[starts, n])
                rank = np.arange(n) - np.repeat(starts, counts)
                local[order_post] = sites[rank % sites.size]
        else:
            local = np.full(n, morph.index(proj.target), dtype=np.int64)
        post_g = post + pop_offset[proj.post]
        c_pre.append(pre + pre_off)
        c_post.append(post_g)
        c_dend.append(dend_offset[post_g] + local)
        c_w.append(w)
        c_delay.append(np.rint(delay / dt_ns).astype(np.int64))
        c_type.append(np.full(n, type_of(proj.synapse or morph.synapse), dtype=np.int32))
    pre_a = np.concatenate(c_pre) if c_pre else np.empty(0, dtype=np.int64)
    # order connections by sending node, then delay (a spike's events that arrive together are
    # then adjacent in memory when delivered); stable, so ties keep projection order
    delay_all = np.concatenate(c_delay) if c_delay else np.empty(0, dtype=np.int64)
    order = np.lexsort((delay_all, pre_a))
    del delay_all
    pre_a = pre_a[order]

    def cat(parts, dtype):
        return (np.concatenate(parts) if parts else np.empty(0, dtype=dtype))[order].astype(dtype, copy=False)

    post_a = cat(c_post, np.int64)
    dend_conn = cat(c_dend, np.int64)
    w_conn = cat(c_w, float)
    delay_steps = cat(c_delay, np.int64)
    type_conn = cat(c_type, np.int32)
    del c_pre, c_post, c_dend, c_w, c_delay, c_type
    n_conn = pre_a.size
    out_ptr = np.searchsorted(pre_a, np.arange(n_nodes + 1)).astype(np.int64)

    # refractory drives: synapse n_conn + i on neuron i's refractory dendrite
    ref_types = np.array([type_of(sp) for sp in ref_syn_params], dtype=np.int32)
    sy_type = np.concatenate([type_conn, ref_types])
    sy_dend = np.concatenate([dend_conn, nr_ref_dend])
    sy_w = np.concatenate([w_conn, np.ones(n_neu)])
    nr_ref_syn = np.arange(n_conn, n_conn + n_neu, dtype=np.int64)
    del dend_conn, w_conn, type_conn

    # synapse-type tables
    st_A = np.array([t.amplitude for t in syn_types])
    st_ths = np.array([t.t_hs_ns for t in syn_types])
    st_tr = np.array([t.tau_rise_ns for t in syn_types])
    st_tf = np.array([t.tau_fall_ns for t in syn_types])
    st_dead = np.array([t.dead_time_ns for t in syn_types])
    st_hs = np.ceil(st_ths / dt_ns - 1e-9).astype(np.int64)
    lag = st_hs * dt_ns
    st_e = np.stack([np.exp(-st_ths / st_tr), np.exp(-lag / st_tr), np.exp(-(lag - st_ths) / st_tf)], axis=1)

    # channels: unique (dendrite, τ_r, τ_f), sorted by dendrite
    taus = np.stack([st_tr, st_tf], axis=1)
    tau_u, tau_group = np.unique(taus, axis=0, return_inverse=True)
    tau_group = np.asarray(tau_group).ravel()
    key = sy_dend * len(tau_u) + tau_group[sy_type]
    ch_key, sy_ch = np.unique(key, return_inverse=True)
    sy_ch = np.asarray(sy_ch).ravel().astype(np.int32)
    ch_dend = ch_key // len(tau_u)
    ch_tau = tau_u[ch_key % len(tau_u)]
    ch_ptr = np.searchsorted(ch_dend, np.arange(n_dend + 1)).astype(np.int64)
    ch_decay_r = np.exp(-dt_ns / ch_tau[:, 0])
    ch_decay_f = np.exp(-dt_ns / ch_tau[:, 1])
    del key

    # refractory drives (the last n_neu synapses) are internal: excluded from the fan-in check
    _check_fan_in(sy_dend[:n_conn], sy_w[:n_conn], st_A[sy_type[:n_conn]], d_arr, cp, table, dend_names,
                  dend_offset, pop_offset, nr_ref_dend)

    # dendrite couplings (incoming CSR)
    cp_a = np.array(cp, dtype=float).reshape(-1, 3)
    cp_src = cp_a[:, 0].astype(np.int64)
    cp_tgt = cp_a[:, 1].astype(np.int64)
    o = np.argsort(cp_tgt, kind="stable")
    cp_src, cp_tgt, cp_J = cp_src[o], cp_tgt[o], cp_a[o, 2].copy()
    cp_ptr = np.zeros(n_dend + 1, dtype=np.int64)
    np.add.at(cp_ptr, cp_tgt + 1, 1)
    cp_ptr = np.cumsum(cp_ptr)

    compiled = CompiledNetwork(
        dt_ns=float(dt_ns), n_steps=n_steps, seed=int(seed),
        d_beta=d_arr[:, 0].copy(), d_alpha=d_arr[:, 1].copy(), d_bias=d_arr[:, 2].copy(),
        d_offset=d_arr[:, 3].copy(), d_neuron=d_arr[:, 4].astype(np.int64),
        cp_ptr=cp_ptr, cp_src=cp_src, cp_J=cp_J, ch_ptr=ch_ptr,
        ch_decay_r=ch_decay_r, ch_decay_f=ch_decay_f,
        sy_ch=sy_ch, sy_w=sy_w, sy_type=sy_type, st_A=st_A, st_ths_ns=st_ths, st_tr_ns=st_tr, st_tf_ns=st_tf,
        st_dead_ns=st_dead, st_hs_steps=st_hs, st_e=st_e,
        out_ptr=out_ptr, out_delay=delay_steps.astype(np.int32),
        src_step=src_step, src_node=src_node,
        nr_soma=nr_soma, nr_ref_syn=nr_ref_syn, nr_thresh=nr_thresh, nr_ref_steps=nr_ref_steps,
        n_pend=int(st_hs.max(initial=0)) + 1,
        n_ring=int(delay_steps.max(initial=0)) + 2,
        pop_offset=pop_offset, pop_size=pop_size, src_offset=src_offset, dend_offset=dend_offset,
        dend_names=dend_names, conn_pre=pre_a.astype(np.int32), conn_post=post_a.astype(np.int32), h_tau=h_tau,
    )
    if links is not None:
        la = links(compiled.conn_pre, compiled.conn_post)
        compiled.out_mu = np.asarray(la.mu, dtype=float)
        extra = np.rint(np.asarray(la.delay_ns, dtype=float) / dt_ns).astype(np.int32)
        compiled.out_delay = compiled.out_delay + extra
        compiled.out_jitter_steps = np.asarray(la.jitter_ns, dtype=float) / dt_ns
        compiled.emission_tau_steps = float(la.emission_tau_ns) / dt_ns
        margin = int(math.ceil(8 * (compiled.out_jitter_steps.max(initial=0.0)) + 30 * compiled.emission_tau_steps))
        compiled.n_ring = int(compiled.out_delay.max(initial=0)) + margin + 2
        from soen.engine._links import dark_counts

        compiled.dk_step, compiled.dk_syn = dark_counts(la.dark_rate_hz, n_conn, duration_ns, dt_ns, seed)
        keep = compiled.dk_step < n_steps
        compiled.dk_step, compiled.dk_syn = compiled.dk_step[keep], compiled.dk_syn[keep]
    return compiled
