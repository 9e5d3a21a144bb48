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
from dataclasses import dataclass, field

import numpy as np

from soen._rng import philox as _rng_for
from soen.model.components import Synapse
from soen.model.network import FromMatrix, Network, PoissonSource
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
    # synapses
    sy_ch: np.ndarray
    sy_w: np.ndarray
    sy_A: np.ndarray
    sy_ths_ns: np.ndarray
    sy_tr_ns: np.ndarray
    sy_tf_ns: np.ndarray
    sy_dead_ns: np.ndarray
    sy_hs_steps: np.ndarray
    # spiking nodes: neurons 0..n_neurons-1, then input channels
    out_ptr: np.ndarray
    out_syn: np.ndarray
    out_delay: np.ndarray  # in steps
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




def _resolve(value, n: int, rng, what: str) -> np.ndarray:
    """A scalar, per-connection array or distribution → float64 array of length n."""
    if hasattr(value, "sample"):
        out = np.asarray(value.sample(rng, n), dtype=float)
    else:
        arr = np.asarray(value, dtype=float)
        if arr.ndim == 0:
            out = np.full(n, float(arr))
        elif arr.shape == (n,):
            out = arr.copy()
        else:
            raise ValueError(f"{what} must be a scalar, a distribution or an array of length {n} "
                             f"(one per connection), got shape {arr.shape}")
    if not np.isfinite(out).all():
        bad = int(np.flatnonzero(~np.isfinite(out))[0])
        raise ValueError(f"{what} must be finite; connection {bad} has {out[bad]!r}")
    return out


def refractory_coupling(soma, table) -> float:
    """Automatic J_ref (Soma docstring): (φ_th(i_b) − ½) / s_ref,peak, s_ref,peak from a fine solve."""
    from soen.engine._single import peak_response

    phi_th = float(table.phi_th(soma.bias))
    syn = Synapse(tau_rise_ns=0.02, tau_fall_ns=soma.refractory_tau_ns, phi_peak=soma.refractory_phi_peak,
                  dead_time_ns=0.06)
    s_peak = peak_response(syn, soma.refractory_tau_ns, soma.beta, soma.bias, table)
    if s_peak <= 1e-6:
        raise ValueError(
            f"Soma.refractory_phi_peak={soma.refractory_phi_peak} does not drive the refractory dendrite "
            f"above threshold; give Soma.refractory_coupling explicitly")
    return (phi_th - 0.5) / s_peak


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
        ref_syn = Synapse(tau_rise_ns=0.02, tau_fall_ns=soma.refractory_tau_ns, phi_peak=soma.refractory_phi_peak,
                          dead_time_ns=0.06)
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
    c_pre, c_post, c_dend, c_w, c_delay, c_syn = [], [], [], [], [], []
    for p_index, proj in enumerate(network.projections):
        rng = _rng_for(seed, "connectivity", p_index)
        if proj.pre in network.populations:
            n_pre, pre_off = network.populations[proj.pre].n, pop_offset[proj.pre]
        else:
            n_pre, pre_off = network.sources[proj.pre].n, src_offset[proj.pre]
        post_pop = network.populations[proj.post]
        same = proj.pre == proj.post
        pre, post = proj.connector.pairs(n_pre, post_pop.n, same, rng)
        pre = np.asarray(pre, dtype=np.int64)
        post = np.asarray(post, dtype=np.int64)
        n = pre.size
        where = f"Projection {proj.pre!r}->{proj.post!r}"
        if proj.weight is None and isinstance(proj.connector, FromMatrix):
            w = proj.connector.values()
        else:
            w = _resolve(proj.weight, n, _rng_for(seed, "weights", p_index), f"{where} weight")
        delay = _resolve(proj.delay_ns, n, _rng_for(seed, "delays", p_index), f"{where} delay_ns")
        if n and delay.min() < 0:
            raise ValueError(f"{where} delay_ns must be >= 0, got {delay.min()}")
        morph = post_pop.neuron
        if proj.target == "sites":
            sites = np.asarray(morph.sites(), dtype=np.int64)
            # k-th connection onto a post neuron goes to site k mod n_sites
            order_post = np.argsort(post, kind="stable")
            rank = np.empty(n, dtype=np.int64)
            if n:
                sp = post[order_post]
                starts = np.r_[0, np.flatnonzero(np.diff(sp)) + 1]
                counts = np.diff(np.r_[starts, n])
                rank[order_post] = np.arange(n) - np.repeat(starts, counts)
            local = sites[rank % sites.size] if n else np.empty(0, dtype=np.int64)
        else:
            local = np.full(n, morph.index(proj.target), dtype=np.int64)
        post_g = post + pop_offset[proj.post]
        syn = proj.synapse or morph.synapse
        c_pre.append(pre + pre_off)
        c_post.append(post_g)
        c_dend.append(dend_offset[post_g] + local)
        c_w.append(w)
        c_delay.append(delay)
        c_syn.append(np.full(n, len(ref_syn_params), dtype=np.int64))
        ref_syn_params.append(syn)  # synapse parameter set index (shared by all of the projection)
    # refractory drives: synapse of neuron i has parameter set i, on its refractory dendrite
    c_pre.append(np.full(n_neu, -1, dtype=np.int64))
    c_post.append(np.full(n_neu, -1, dtype=np.int64))
    c_dend.append(nr_ref_dend.copy())
    c_w.append(np.ones(n_neu))
    c_delay.append(np.zeros(n_neu))
    c_syn.append(np.arange(n_neu, dtype=np.int64))
    pre_a = np.concatenate(c_pre)
    post_a = np.concatenate(c_post)
    dend_a = np.concatenate(c_dend)
    w_a = np.concatenate(c_w)
    delay_a = np.concatenate(c_delay)
    pset_a = np.concatenate(c_syn)
    delay_steps = np.rint(delay_a / dt_ns).astype(np.int64)

    # order synapses: outgoing CSR by pre node (refractory drives, pre = -1, go last)
    sort_key = np.where(pre_a < 0, n_nodes, pre_a)
    order = np.argsort(sort_key, kind="stable")
    pre_a, post_a, dend_a, w_a, delay_steps, pset_a = (x[order] for x in (pre_a, post_a, dend_a, w_a, delay_steps, pset_a))
    n_syn = pre_a.size
    n_conn = int((pre_a >= 0).sum())
    out_ptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.add.at(out_ptr, pre_a[:n_conn] + 1, 1)
    out_ptr = np.cumsum(out_ptr)
    nr_ref_syn = np.empty(n_neu, dtype=np.int64)
    nr_ref_syn[pset_a[n_conn:]] = np.arange(n_conn, n_syn)

    # synapse parameters
    P = np.array([(s.amplitude, s.t_hs_ns, s.tau_rise_ns, s.tau_fall_ns, s.dead_time_ns) for s in ref_syn_params]).reshape(-1, 5)
    sy_A, sy_ths, sy_tr, sy_tf, sy_dead = (P[pset_a, k].copy() for k in range(5))
    sy_hs_steps = np.ceil(sy_ths / dt_ns - 1e-9).astype(np.int64)

    # channels: unique (dendrite, tau_r, tau_f), sorted by dendrite
    keys = np.rec.fromarrays([dend_a, sy_tr, sy_tf])
    uniq, inv = np.unique(keys, return_inverse=True)
    ch_dend = uniq.f0.astype(np.int64)
    ch_ptr = np.zeros(n_dend + 1, dtype=np.int64)
    np.add.at(ch_ptr, ch_dend + 1, 1)
    ch_ptr = np.cumsum(ch_ptr)
    ch_decay_r = np.exp(-dt_ns / uniq.f1.astype(float))
    ch_decay_f = np.exp(-dt_ns / uniq.f2.astype(float))

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
        sy_ch=inv.astype(np.int64).ravel(), sy_w=w_a.astype(float), sy_A=sy_A, sy_ths_ns=sy_ths, sy_tr_ns=sy_tr,
        sy_tf_ns=sy_tf, sy_dead_ns=sy_dead, sy_hs_steps=sy_hs_steps,
        out_ptr=out_ptr, out_syn=np.arange(n_conn, dtype=np.int64), out_delay=delay_steps[:n_conn].copy(),
        src_step=src_step, src_node=src_node,
        nr_soma=nr_soma, nr_ref_syn=nr_ref_syn, nr_thresh=nr_thresh, nr_ref_steps=nr_ref_steps,
        n_pend=int(sy_hs_steps.max(initial=0)) + 1,
        n_ring=int(delay_steps.max(initial=0)) + 2,
        pop_offset=pop_offset, pop_size=pop_size, src_offset=src_offset, dend_offset=dend_offset,
        dend_names=dend_names, conn_pre=pre_a[:n_conn].copy(), conn_post=post_a[:n_conn].copy(), h_tau=h_tau,
    )
    if links is not None:
        la = links(compiled.conn_pre, compiled.conn_post)
        compiled.out_mu = np.asarray(la.mu, dtype=float)
        extra = np.rint(np.asarray(la.delay_ns, dtype=float) / dt_ns).astype(np.int64)
        compiled.out_delay = compiled.out_delay + extra
        compiled.out_jitter_steps = np.asarray(la.jitter_ns, dtype=float) / dt_ns
        compiled.emission_tau_steps = float(la.emission_tau_ns) / dt_ns
        margin = int(math.ceil(8 * (compiled.out_jitter_steps.max(initial=0.0)) + 30 * compiled.emission_tau_steps))
        compiled.n_ring = int(compiled.out_delay.max(initial=0)) + margin + 2
    return compiled
