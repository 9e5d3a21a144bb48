"""Lower a network of SOEN neurons into the compiled arrays (:class:`soen.engine.ir.Compiled`).

One row per dendrite, synaptic channel, synapse, neuron; CSR arrays for dendrite couplings and for
the outgoing connections of every spiking node (neurons first, then input channels), and the
incoming synapses of every neuron (for post-synaptic plasticity). Physical units are converted to
kernel units here, once: time in τ0 for the dendrite ODE, steps for delays, ns for synapse kernels
(which are evaluated exactly).

Synaptic channels: synapses on the same dendrite with the same (τ_r, τ_f) share one channel whose
flux is ``C + R + F`` — a constant part and parts decaying with τ_r and τ_f — so the summed SPD flux
is exact at every step while costing work only when a photon arrives (see ``cpu.py``).

Every random draw is keyed by stable ids (:mod:`soen.engine._connect`): connections row by row per
target neuron, device spread and noise per dendrite key, photonic draws per connection key.
"""

from __future__ import annotations

import hashlib
import warnings

import numpy as np

from soen.model.components import FanInWarning, Synapse
from soen.model.network import FromMatrix
from soen.units import DEFAULT_JJ

from ._connect import connection_keys, connections_onto, dendrite_keys, name_id, projection_names, values_onto
from ._inputs import input_specs
from ._soen_build import (INT32_MAX, CompactColumns, ConnectionColumns, fan_in_and_channels,
                          fan_in_and_channels_classed, gather, gather_compact, gather_targets, incoming,
                          order_by_sender_delay, post_blocks, smallest_int)
from .ir import Columns, Compiled

__all__ = ["compile_soen", "resolve_projection", "refractory_coupling", "thermal_noise_amplitude"]


#: layouts of the compiled connections (compile_soen(connectivity=...))
CONNECTIVITY = ("auto", "compact", "reference")

#: peak memory of the compilation per dendrite and per connection (measured; for the check before building)
PEAK_BYTES_PER_DENDRITE = 400
PEAK_BYTES_PER_CONNECTION = 50


def resolve_projection(network, p_index: int, seed: int, compact: bool = False, posts=None):
    """Connections of projection ``p_index`` onto the target neurons ``posts`` (default: all):
    (pre, post local indices, weights, delays in ns).

    Shared by both engines: drawn row by row per target neuron with counter-based generators keyed by
    (seed, the projection's stable name id, target neuron), so the SOEN and the point-model engine draw
    the same connections, and a build of part of the targets gets exactly its share. ``compact``: a
    scalar weight or delay comes back as a length-1 array (for every connection)."""
    proj = network.projections[p_index]
    pid = name_id(projection_names(network)[p_index])
    n_pre = network.populations[proj.pre].n if proj.pre in network.populations else network.sources[proj.pre].n
    n_post = network.populations[proj.post].n
    pre, post, idx = connections_onto(proj.connector, n_pre, n_post, proj.pre == proj.post, seed, pid, posts)
    n_total = int(idx.max()) + 1 if idx.size and idx.min() >= 0 else pre.size
    if posts is None and not isinstance(proj.connector, FromMatrix):
        n_total = _n_total(proj.connector, n_pre, n_post, proj.pre == proj.post, pre.size)
    elif posts is not None and idx.size and idx.min() >= 0 and any(
            np.ndim(v) > 0 for v in (proj.weight, proj.delay_ns) if not hasattr(v, "sample")):
        # a deterministic connector built for part of its targets: per-connection arrays are indexed
        # in the whole projection's order
        n_total = int(np.asarray(proj.connector.pairs(n_pre, n_post, proj.pre == proj.post, None)[0]).size)
    where = f"Projection {proj.pre!r}->{proj.post!r}"
    if proj.weight is None and isinstance(proj.connector, FromMatrix):
        w = proj.connector.values()[idx]
        if not np.isfinite(w).all():
            bad = int(np.flatnonzero(~np.isfinite(w))[0])
            raise ValueError(f"{where} weight must be finite; connection {bad} has {float(w[bad])!r}")
    else:
        w = values_onto(proj.weight, post, idx, n_total, seed, "weights", pid, f"{where} weight", compact)
    delay = values_onto(proj.delay_ns, post, idx, n_total, seed, "delays", pid, f"{where} delay_ns", compact)
    if pre.size and delay.min() < 0:
        raise ValueError(f"{where} delay_ns must be >= 0, got {delay.min()}")
    return pre, post, w, delay


def _n_total(connector, n_pre, n_post, same, n_drawn):
    """Number of connections of the whole projection (for per-connection arrays)."""
    from soen.model.network import AllToAll

    if isinstance(connector, AllToAll):
        return n_pre * n_post - (min(n_pre, n_post) if same and not connector.allow_self else 0)
    return n_drawn


def thermal_noise_amplitude(d_beta: np.ndarray, d_alpha: np.ndarray, h_tau: float, temperature_K: float) -> np.ndarray:
    """Per-step Ornstein–Uhlenbeck increment of every loop current (units of I_c).

    Equipartition gives the stationary variance σ² = k_B T / (L I_c²) of a loop of inductance L
    (0.17 µA rms for 2 nH at 4.2 K); with relaxation time τ = L/r the Euler–Maruyama increment per step
    is σ sqrt(2 dt/τ) = σ sqrt(2 hα/β).
    """
    from soen.units import K_B_J_PER_K

    L_H = DEFAULT_JJ.beta_to_inductance_nH(d_beta) * 1e-9
    sigma = np.sqrt(K_B_J_PER_K * temperature_K / L_H) / DEFAULT_JJ.ic_A
    return sigma * np.sqrt(2.0 * h_tau * d_alpha / d_beta)


def check_dt(dt_ns, h_tau, d_beta, d_alpha, st_tf_ns, g_max: float) -> None:
    """Refuse a time step the explicit integrators cannot follow (before any long run starts)."""
    if not d_beta.size:
        return
    leak = h_tau * d_alpha / d_beta  # = dt / τ_loop
    worst = int(np.argmax(leak))
    if leak[worst] > 0.5:
        tau_ns = dt_ns / leak[worst]
        raise ValueError(f"dt_ns={dt_ns} is too large: dendrite {worst} has τ = {tau_ns:.4g} ns; "
                         f"explicit integration needs dt_ns <= {0.5 * tau_ns:.4g}")
    jump = h_tau * g_max / d_beta
    worst = int(np.argmax(jump))
    if jump[worst] > 0.25:
        raise ValueError(f"dt_ns={dt_ns} is too large: dendrite {worst} (β = {d_beta[worst]:.4g}) can gain "
                         f"{jump[worst]:.3g} in s per step (allowed 0.25); use dt_ns <= {dt_ns * 0.25 / jump[worst]:.4g}")
    if st_tf_ns.size:
        tf = float(st_tf_ns.min())
        if dt_ns > 0.5 * tf:
            raise ValueError(f"dt_ns={dt_ns} is too large for the fastest synapse decay τ_f = {tf} ns; "
                             f"use dt_ns <= {0.5 * tf:.4g}")


def table_hash(table) -> str:
    q = table.kernel_arrays()
    h = hashlib.sha256(np.ascontiguousarray(q[0]).tobytes())
    h.update(repr(q[1:]).encode())
    return h.hexdigest()[:16]


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


def _check_fan_in(hi, lo, d_arr, cp, table, dend_names, dend_offset, pop_offset, ref_dends, gid=None) -> None:
    """Warn (:class:`FanInWarning`) when a dendrite's inputs can drive its applied flux beyond ±Φ0/2.

    Each input contributes with its sign: a synapse w·φ_spd with φ_spd in [0, A], a coupling J·s with
    s in [0, s_max], s_max = i_b − i_c(½) of the source dendrite (its largest possible current). The
    applied flux therefore stays within [φ_offset + Σ negative maxima, φ_offset + Σ positive maxima];
    the warning fires when either end leaves [−½, ½], where the folded SQUID response turns back
    (PS21a's fan-in limit). Excitation and inhibition that cannot act at once in the same direction do
    not add up, unlike a bound on Σ|contributions|. Refractory feedback is excluded. (Not checked here:
    inhibition that takes φ below −φ_th drives the SQUID again, since g depends on |φ|.) ``hi``/``lo``:
    φ_offset plus the positive/negative synapse maxima of every dendrite (added to here). ``gid``: the
    global neuron id of every neuron of the build (default: they are the same).
    """
    n_dend = d_arr.shape[0]
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
        local = worst - int(dend_offset[nid])
        if gid is not None:
            nid = int(gid[nid])
        pop = max((p for p, o in pop_offset.items() if o <= nid), key=lambda p: pop_offset[p])
        names = dend_names[pop]
        name = names[local] if local < len(names) else "refractory"
        warnings.warn(
            f"{over.size} of {n_dend} dendrites can receive more than Φ0/2 of applied flux (up to "
            f"{flux[worst]:.3g} Φ0 on {pop}[{nid - pop_offset[pop]}].{name}); beyond ½ the SQUID response "
            f"folds back (fan-in limit): reduce weights, fan-in per dendrite, or spread inputs over more dendrites",
            FanInWarning, stacklevel=4)


def owned_ids(network, owned):
    """Check ``owned`` (global neuron ids of a partial build): sorted, distinct, within the network."""
    n = sum(p.n for p in network.populations.values())
    a = np.asarray(owned)
    if a.ndim != 1 or (a.size and (a.dtype == bool or not np.issubdtype(a.dtype, np.integer))):
        raise ValueError(f"owned must be a 1-D array of global neuron ids (integers), got {owned!r:.80}")
    a = a.astype(np.int64)
    if a.size and (a.min() < 0 or a.max() >= n):
        raise ValueError(f"owned: neuron ids must lie in 0..{n - 1}, got {int(a.min())}..{int(a.max())}")
    if a.size > 1 and not (np.diff(a) > 0).all():
        raise ValueError("owned: neuron ids must be sorted and distinct")
    return a


def compile_soen(network, *, dt_ns: float, seed: int, table=None, hardware=None, layout=None,
                 owned=None, sender_totals=None, connectivity: str = "auto") -> Compiled:
    """Resolve connectors, distributions, device spread, links and units of a SOEN network.

    ``owned`` (global neuron ids, sorted; default all): build only these neurons and the connections
    onto them (a part of the network for one process of :class:`soen.engines.MPI`). Every draw is keyed
    by stable global ids, so the parts of any partition together are exactly the whole network. In a
    part, neurons and dendrites are numbered locally (in ``owned`` order; ``meta["owned"]`` maps them
    back), while senders keep their global node ids: the outgoing CSR ``out_ptr`` spans every neuron of
    the network and then every input channel, and holds only the connections onto owned neurons.
    ``sender_totals`` (partial builds with ``hardware=``): a function of the part's number of outgoing
    connections of every neuron (int64, one per neuron of the network) returning the whole network's
    (e.g. an MPI sum over the parts): a transmitter's light is split over all its connections.

    ``connectivity``: ``"compact"`` stores per connection only its channel, class and delay (7 B; the
    weight and synapse type per class, i.e. per projection, when every projection has one weight, else
    8 B more for the weight) and derives the reference columns (``sy_w``, ``sy_type``, ``conn_post``,
    ``conn_proj``, ``in_ptr``, ``in_syn``) when a consumer asks for them (:mod:`soen.engine._soen_build`);
    ``"reference"`` stores all of them; ``"auto"`` (default): compact unless a projection is plastic
    (plasticity reads the reference columns every step)."""
    if connectivity not in CONNECTIVITY:
        raise ValueError(f"connectivity must be one of {CONNECTIVITY}, got {connectivity!r}")
    plastic_net = any(getattr(p, "plasticity", None) is not None for p in network.projections)
    if connectivity == "compact" and plastic_net:
        raise ValueError("connectivity='compact' holds static connections; this network has plastic projections "
                         "(plasticity=): use connectivity='auto' or 'reference'")
    compact = connectivity == "compact" or (connectivity == "auto" and not plastic_net)
    jj = DEFAULT_JJ
    if table is None:
        from soen.circuits import default_table

        table = default_table()
    if not hasattr(table, "kernel_arrays") or not hasattr(table, "g"):
        raise TypeError(f"table must be a soen.circuits.RateTable, got {type(table).__name__}")
    if hardware is not None:
        from soen.hardware import Hardware

        if not isinstance(hardware, Hardware):
            raise TypeError(f"hardware must be a soen.Hardware, got {type(hardware).__name__}")
    if layout is not None:
        from soen.photonics import Layout

        if not isinstance(layout, Layout):
            raise TypeError(f"layout must be a soen.photonics.Layout or None, got {type(layout).__name__}")
        if hardware is None:
            raise ValueError("layout= places neurons for the photonic link model: give hardware= too "
                             "(e.g. soen.Hardware()), or leave layout out")
        if owned is not None and len(owned) < sum(p.n for p in network.populations.values()):
            raise ValueError("layout= with owned= (a partial build): the layout's crossing estimates depend on "
                             "every connection of the network at once; build the whole network, or leave "
                             "layout out")
    h_tau = float(jj.ns_to_tau(dt_ns))
    from ._connect import expected_connections
    from ._validate import check_memory

    n_glob = sum(p.n for p in network.populations.values())
    if owned is not None:
        owned = owned_ids(network, owned)
        if owned.size == n_glob:
            owned = None  # the whole network: the plain build
    share = 1.0 if owned is None else owned.size / max(n_glob, 1)
    n_dend_est = share * sum(p.n * (p.neuron.n_dendrites + 1) for p in network.populations.values())
    n_conn_est = share * expected_connections(network)
    check_memory(f"compiling {n_dend_est:,} dendrites and about {n_conn_est:,.0f} connections",
                 PEAK_BYTES_PER_DENDRITE * n_dend_est + PEAK_BYTES_PER_CONNECTION * n_conn_est)

    # ---- neurons and dendrites ------------------------------------------------------------
    pop_offset, pop_size, dend_names = {}, {}, {}
    ids_of, loc_offset = {}, {}  # per population: its built neurons (population-local ids), their first local index
    n_neu = 0
    for pop in network.populations.values():
        pop_offset[pop.name] = o = sum(pop_size.values())
        pop_size[pop.name] = pop.n
        dend_names[pop.name] = pop.neuron.dendrite_names()
        if owned is None:
            ids_of[pop.name] = np.arange(pop.n, dtype=np.int64)
        else:
            ids_of[pop.name] = owned[(owned >= o) & (owned < o + pop.n)] - o
        loc_offset[pop.name] = n_neu
        n_neu += ids_of[pop.name].size
    # per neuron: its morphology dendrites then one refractory dendrite
    d_parts, d_keys, cp_parts = [], [], []
    dend_offset = np.empty(n_neu + 1, dtype=np.int64)
    nr_soma = np.empty(n_neu, dtype=np.int64)
    nr_ref_dend = np.empty(n_neu, dtype=np.int64)
    nr_thresh = np.empty(n_neu)
    nr_ref_steps = np.empty(n_neu, dtype=np.int64)
    ref_syn_params = []
    jref_cache: dict = {}
    base0 = 0
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
        rows = [(d.beta, jj.alpha_from_tau(d.tau_ns, d.beta), d.bias, d.phi_offset) for d in morph.all_dendrites]
        rows.append((soma.beta, jj.alpha_from_tau(soma.refractory_tau_ns, soma.beta), soma.bias, 0.0))
        per = len(rows)
        nd = morph.n_dendrites
        o = loc_offset[pop.name]
        ids = ids_of[pop.name]
        n_p = ids.size
        base = base0 + per * np.arange(n_p, dtype=np.int64)
        dend_offset[o:o + n_p] = base
        d_parts.append((np.tile(np.asarray(rows, dtype=float), (n_p, 1)), np.repeat(np.arange(o, o + n_p), per)))
        d_keys.append(dendrite_keys(name_id(pop.name), ids if owned is not None else pop.n, per))
        local = [(s_, t_, J) for s_, t_, J in morph.couplings]
        local += [(k, k, d.self_coupling) for k, d in enumerate(morph.all_dendrites) if d.self_coupling != 0.0]
        local.append((nd, 0, j_ref))
        la = np.asarray(local, dtype=float).reshape(-1, 3)
        cp_parts.append(np.stack([
            (base[:, None] + la[None, :, 0].astype(np.int64)).ravel(),
            (base[:, None] + la[None, :, 1].astype(np.int64)).ravel(),
            np.tile(la[:, 2], n_p)], axis=1))
        nr_soma[o:o + n_p] = base
        nr_ref_dend[o:o + n_p] = base + nd
        nr_thresh[o:o + n_p] = soma.threshold
        nr_ref_steps[o:o + n_p] = int(round(soma.refractory_ns / dt_ns))
        ref_syn_params += [_refractory_synapse(soma)] * n_p
        base0 += per * n_p
    dend_offset[n_neu] = base0
    d_arr = np.concatenate([p[0] for p in d_parts])
    d_neuron = np.concatenate([p[1] for p in d_parts]).astype(np.int64)
    d_key = np.concatenate(d_keys)
    cp = np.concatenate(cp_parts) if cp_parts else np.empty((0, 3))
    n_dend = d_arr.shape[0]

    # ---- sources ----------------------------------------------------------------------------
    inputs = input_specs(network, n_glob)  # senders keep their global node ids in a partial build
    src_offset = {s.name: s.node0 for s in inputs}
    n_nodes = n_glob + sum(s.n for s in inputs)

    # ---- projections → connections → synapses --------------------------------------------
    syn_types: list[Synapse] = []
    type_index: dict = {}

    def type_of(syn: Synapse) -> int:
        key = (syn.amplitude, syn.t_hs_ns, syn.tau_rise_ns, syn.tau_fall_ns, syn.dead_time_ns)
        if key not in type_index:
            type_index[key] = len(syn_types)
            syn_types.append(syn)
        return type_index[key]

    names = projection_names(network)
    cols = ConnectionColumns()
    type_of_proj = np.empty(len(network.projections), dtype=np.int64)
    # compact build with one weight per projection: the weight is kept per class, not per connection
    classed = compact and all(_one_weight(proj) for proj in network.projections)
    w_of_proj = np.zeros(len(network.projections))
    if classed:
        for p_index, proj in enumerate(network.projections):
            w_of_proj[p_index] = float(proj.weight)
    for p_index, proj in enumerate(network.projections):
        where = f"Projection {proj.pre!r}->{proj.post!r}"
        pre_off = pop_offset[proj.pre] if proj.pre in network.populations else src_offset[proj.pre]
        if proj.same_step:
            raise ValueError(f"{where}: same_step=True applies to point models "
                             f"(discrete-time graphs); SOEN synapses deliver after the projection's delay")
        post_pop = network.populations[proj.post]
        morph = post_pop.neuron
        type_of_proj[p_index] = type_of(proj.synapse or morph.synapse)
        sites = np.asarray(morph.sites(), dtype=np.int64) if proj.target == "sites" else None
        fixed_local = None if sites is not None else morph.index(proj.target)
        ids = ids_of[proj.post]
        blocks = post_blocks(network, proj)
        if ids.size < post_pop.n:  # a partial build: the owned targets, in the same blocks
            if blocks == [None]:
                blocks = [ids] if ids.size else []
            else:
                blocks = [b for b in (ids[(ids >= blk[0]) & (ids <= blk[-1])] for blk in blocks) if b.size]
        for posts in blocks:
            pre, post, w, delay = resolve_projection(network, p_index, seed, posts=posts)
            n = pre.size
            if sites is not None:
                # the k-th connection onto a post neuron goes to site k mod n_sites (rows are whole in a block)
                local = np.empty(n, dtype=np.int64)
                if n:
                    order_post = np.argsort(post, kind="stable")
                    sp = post[order_post]
                    starts = np.r_[0, np.flatnonzero(np.diff(sp)) + 1]
                    counts = np.diff(np.r_[starts, n])
                    rank = np.arange(n) - np.repeat(starts, counts)
                    local[order_post] = sites[rank % sites.size]
            else:
                local = fixed_local
            post_g = loc_offset[proj.post] + (post if ids.size == post_pop.n else np.searchsorted(ids, post))
            if classed:
                if w.size and not np.all(w == w_of_proj[p_index]):
                    raise RuntimeError(f"{where}: a scalar weight drawn as several values (internal error)")
                w = None
            cols.append(pre + pre_off, dend_offset[post_g] + local, w,
                        delay_steps_of(delay, dt_ns, f"{where} delay_ns", drawn=rounds_delay(proj)), p_index, where)
            del pre, post, w, delay, local, post_g
    n_conn = cols.n

    # refractory drives: synapse n_conn + i on neuron i's refractory dendrite
    ref_types = np.array([type_of(sp) for sp in ref_syn_params], dtype=np.int64)
    n_syn = n_conn + n_neu

    # synapse-type tables
    st_A = np.array([t.amplitude for t in syn_types])
    st_ths = np.array([t.t_hs_ns for t in syn_types])
    st_tr = np.array([t.tau_rise_ns for t in syn_types])
    st_tf = np.array([t.tau_fall_ns for t in syn_types])
    st_dead = np.array([t.dead_time_ns for t in syn_types])

    # channels: the (dendrite, τ_r, τ_f) in use, sorted by dendrite then τ group
    tau_u, grp_of_type = np.unique(np.stack([st_tr, st_tf], axis=1), axis=0, return_inverse=True)
    grp_of_type = np.asarray(grp_of_type).ravel().astype(np.int64)
    n_grp = len(tau_u)
    dend = cols.take("dend", np.int32)
    w = None if classed else cols.take("w", np.float64)
    proj_c = cols.take("proj", np.int16)
    hi = d_arr[:, 3].copy()  # φ_offset + the positive maxima of the inputs (fan-in check)
    lo = d_arr[:, 3].copy()
    present = np.zeros(n_dend * n_grp, dtype=np.bool_)
    if classed:
        fan_in_and_channels_classed(dend, proj_c, w_of_proj, type_of_proj, st_A, grp_of_type, n_grp, nr_ref_dend,
                                    ref_types, hi, lo, present)
    else:
        fan_in_and_channels(dend, w, proj_c, type_of_proj, st_A, grp_of_type, n_grp, nr_ref_dend, ref_types, hi, lo,
                            present)
    ch_of = np.cumsum(present, dtype=np.int64) - 1
    ch_key = np.flatnonzero(present)
    del present
    n_ch = ch_key.size
    ch_dend = ch_key // n_grp
    # the τ_r, τ_f of each channel: the first synapse type of its group
    rep = np.full(n_grp, -1, dtype=np.int64)
    for ty in range(len(syn_types) - 1, -1, -1):
        rep[grp_of_type[ty]] = ty
    ch_type = rep[ch_key % n_grp].astype(np.int32)
    ch_ptr = np.searchsorted(ch_dend, np.arange(n_dend + 1)).astype(np.int64)
    del ch_key, ch_dend

    # order by (sender, delay): a spike's events that arrive together are adjacent in memory;
    # stable, so ties keep projection and drawing order
    idx_t = np.int32 if n_conn <= INT32_MAX else np.int64
    pre_c = cols.take("pre", np.int32)
    delay_c = cols.take("delay", np.int32)
    order = np.empty(n_conn, dtype=idx_t)
    out_ptr = np.empty(n_nodes + 1, dtype=np.int64)
    tmp = np.empty(n_conn, dtype=idx_t)
    order_by_sender_delay(pre_c, delay_c, n_nodes, cols.max_delay, order, tmp, out_ptr)
    del tmp, pre_c
    out_delay = np.empty(n_conn, dtype=smallest_int(max(cols.max_delay, 32767)))  # int16 at least
    gather(delay_c, order, out_delay)
    del delay_c
    sy_w = None
    if w is not None:
        sy_w = np.empty(n_syn)
        gather(w, order, sy_w)
        sy_w[n_conn:] = 1.0
    del w
    ty_t = smallest_int(max(len(syn_types) - 1, 0), signed=False)
    sy_ch = np.empty(n_syn, dtype=np.int32 if n_ch <= INT32_MAX else np.int64)
    compact_cols = None
    if compact:
        # classes: one per projection (its synapse type, weight and index), then one per refractory type
        ref_u, ref_cls = np.unique(ref_types, return_inverse=True)
        n_proj = len(network.projections)
        cls_type = np.concatenate([type_of_proj, ref_u]).astype(np.int64)
        cls_w = np.concatenate([w_of_proj, np.ones(ref_u.size)])
        cls_proj = np.concatenate([np.arange(n_proj), np.full(ref_u.size, -1)]).astype(np.int64)
        sy_cls = np.empty(n_syn, dtype=smallest_int(max(cls_type.size - 1, 0), signed=False))
        gather_compact(dend, proj_c, order, ch_of, n_grp, grp_of_type, type_of_proj, sy_ch, sy_cls)
        sy_cls[n_conn:] = n_proj + np.asarray(ref_cls).ravel()
        conn_post = conn_proj = sy_type = None
    else:
        sy_type = np.empty(n_syn, dtype=ty_t)
        conn_post = np.empty(n_conn, dtype=np.int32)
        conn_proj = np.empty(n_conn, dtype=np.int16)
        gather_targets(dend, proj_c, order, d_neuron, ch_of, n_grp, grp_of_type, type_of_proj, sy_ch, sy_type,
                       conn_post, conn_proj)
        sy_type[n_conn:] = ref_types
    del dend, proj_c, order
    sy_ch[n_conn:] = ch_of[nr_ref_dend * n_grp + grp_of_type[ref_types]]
    del ch_of
    nr_ref_syn = np.arange(n_conn, n_syn, dtype=np.int64)

    # refractory drives are internal: excluded from the fan-in check
    gid = None if owned is None else owned
    _check_fan_in(hi, lo, d_arr, cp, table, dend_names, dend_offset, pop_offset, nr_ref_dend, gid)
    del hi, lo

    # dendrite couplings (incoming CSR)
    cp_src = cp[:, 0].astype(np.int64)
    cp_tgt = cp[:, 1].astype(np.int64)
    o = np.argsort(cp_tgt, kind="stable")
    cp_src, cp_tgt, cp_J = cp_src[o], cp_tgt[o], cp[o, 2].copy()
    cp_ptr = np.zeros(n_dend + 1, dtype=np.int64)
    np.add.at(cp_ptr, cp_tgt + 1, 1)
    cp_ptr = np.cumsum(cp_ptr)

    d_beta, d_alpha, d_bias, d_offset = (d_arr[:, k].copy() for k in range(4))
    del d_arr
    params = dict(d_beta=d_beta, d_alpha=d_alpha, d_bias=d_bias, d_offset=d_offset, cp_J=cp_J,
                  st_A=st_A, st_ths_ns=st_ths, st_tr_ns=st_tr, st_tf_ns=st_tf, st_dead_ns=st_dead,
                  nr_thresh=nr_thresh)
    if sy_w is not None:
        params["sy_w"] = sy_w
    structure = dict(d_neuron=d_neuron, d_key=d_key, dend_offset=dend_offset, cp_ptr=cp_ptr, cp_src=cp_src,
                     ch_ptr=ch_ptr, ch_type=ch_type, sy_ch=sy_ch, out_ptr=out_ptr, out_delay=out_delay,
                     nr_soma=nr_soma, nr_ref_syn=nr_ref_syn, nr_ref_steps=nr_ref_steps)
    if compact:
        compact_cols = CompactColumns(sy_ch, sy_cls, cls_w, cls_type, cls_proj, ch_ptr, d_neuron, n_conn, n_neu,
                                      ty_t, idx_t)
        structure.update(sy_cls=sy_cls, cls_type=cls_type, cls_proj=cls_proj)
        if classed:
            params["cls_w"] = cls_w
    else:
        # incoming synapses of every neuron (connections only), for post-synaptic updates
        in_ptr = np.empty(n_neu + 1, dtype=np.int64)
        in_syn = np.empty(n_conn, dtype=idx_t)
        incoming(conn_post, n_neu, in_ptr, in_syn)
        structure.update(sy_type=sy_type, conn_post=conn_post, conn_proj=conn_proj, in_ptr=in_ptr, in_syn=in_syn)
    meta = dict(n_neurons=n_neu, n_dendrites=n_dend, n_synapses=n_syn, n_connections=n_conn,
                n_nodes=n_nodes, h_tau=h_tau, pop_offset=pop_offset, pop_size=pop_size, src_offset=src_offset,
                dend_names=dend_names, projections=names, table=table, table_hash=table_hash(table),
                table_model=str(getattr(table, "model", "?")), g_max=float(np.max(table.g)),
                hardware=hardware.as_dict() if hardware is not None else None, photonic=hardware is not None,
                layout=None if layout is None else dict(n_neurons=int(layout.n_neurons), metric=str(layout.metric),
                                                        routing_factor=float(layout.routing_factor)))
    if owned is not None:  # a part of the network (global ids of its neurons; totals of the whole network)
        meta.update(owned=owned, n_neurons_total=n_glob)

    if hardware is not None:
        _add_hardware(params, structure, meta, hardware, layout, network, seed, dt_ns, sender_totals, compact_cols)
    if any(p.plasticity is not None for p in network.projections):
        if owned is not None:
            raise ValueError("plastic projections (plasticity=) cannot be partitioned across processes yet; "
                             "run them in one process")
        from ._plastic import lower_soen

        lower_soen(network, params, structure, meta)
    from ._plastic import homeostasis_meta

    meta["homeostasis"] = homeostasis_meta(network, meta["pop_offset"])
    check_dt(dt_ns, h_tau, params["d_beta"], params["d_alpha"], st_tf, meta["g_max"])
    if compact_cols is not None:
        meta["connectivity"] = "compact"
        dp, ds = compact_cols.derived(weights_stored="sy_w" in params)
        params, structure = Columns(params, dp), Columns(structure, ds)
    else:
        meta["connectivity"] = "reference"
    return Compiled("soen", float(dt_ns), int(seed), params, structure, inputs, meta)


def _one_weight(proj) -> bool:
    """Whether every connection of ``proj`` has the same weight (a plain number)."""
    w = proj.weight
    return w is not None and not hasattr(w, "sample") and np.ndim(w) == 0 and not isinstance(w, bool)


def rounds_delay(proj) -> bool:
    """Whether a projection's delays are rounded to the nearest step instead of checked against the
    time grid: delays drawn from a distribution, and the default delay (1 ns) left as it is."""
    from dataclasses import fields

    default = next(f.default for f in fields(proj) if f.name == "delay_ns")
    v = proj.delay_ns
    return hasattr(v, "sample") or (isinstance(v, float) and not isinstance(v, bool) and v == default)


def delay_steps_of(delay_ns: np.ndarray, dt_ns: float, what: str, drawn: bool = False) -> np.ndarray:
    """Delays (ns) as whole steps. A delay given as a number or an array must lie on the time grid (an
    error names the nearest allowed values); delays drawn from a distribution (``drawn``) are rounded
    to the nearest step."""
    from ._validate import GRID_RTOL

    x = np.asarray(delay_ns, dtype=float) / dt_ns
    k = np.rint(x)
    if drawn:
        return k.astype(np.int64)
    bad = np.abs(x - k) > GRID_RTOL * np.maximum(1.0, np.abs(x))
    if bad.any():
        v = float(np.asarray(delay_ns).reshape(-1)[int(np.flatnonzero(bad.reshape(-1))[0])])
        lo, hi = np.floor(v / dt_ns), np.ceil(v / dt_ns)
        raise ValueError(f"{what}={v!r} ns is not a whole number of time steps (dt_ns={dt_ns!r}); nearest allowed: "
                         f"{lo * dt_ns:.12g} or {hi * dt_ns:.12g} ns (delays drawn from a distribution, "
                         f"and the default delay, are rounded to the nearest step)")
    return k.astype(np.int64)


def _add_hardware(params, structure, meta, hardware, layout, network, seed, dt_ns, sender_totals=None, compact=None):
    """Photonic links, frozen device spread and thermal noise (keyed by stable ids). ``compact``: the
    :class:`~soen.engine._soen_build.CompactColumns` of a compact build (targets and projections of
    the connections are computed from it here, not stored)."""
    from soen.photonics import compile_links
    from soen.photonics.variability import Spread, critical_current_factors, effective_bias, sample_device_spread

    n_neu = meta.get("n_neurons_total", meta["n_neurons"])
    if layout is not None and layout.n_neurons != n_neu:
        raise ValueError(f"layout has {layout.n_neurons} neurons but the network has {n_neu}")
    out_ptr = structure["out_ptr"]
    pre_a = np.repeat(np.arange(out_ptr.size - 1, dtype=np.int64), np.diff(out_ptr))
    post_a = (structure["conn_post"] if compact is None else compact.conn_post()).astype(np.int64)
    if "owned" in meta:  # a partial build: global ids of the targets
        post_a = meta["owned"][post_a]
    pid_conn = np.array([name_id(n) for n in meta["projections"]], dtype=np.int64)[
        structure["conn_proj"] if compact is None else compact.conn_proj()]
    is_src = pre_a >= n_neu
    # a connection's key names its projection, pre (local to its population or source) and post
    offs = {**meta["pop_offset"], **meta["src_offset"]}
    starts = np.array(sorted(offs.values()))
    pre_local = pre_a - starts[np.searchsorted(starts, pre_a, side="right") - 1]
    post_local = post_a - np.array(sorted(meta["pop_offset"].values()))[
        np.searchsorted(np.array(sorted(meta["pop_offset"].values())), post_a, side="right") - 1]
    key = connection_keys(pid_conn, pre_local, post_local)
    del pid_conn, pre_local, post_local
    E = pre_a.size
    mu = np.full(E, np.inf)
    delay = np.zeros(E)
    jitter = np.zeros(E)
    from_neuron = np.flatnonzero(~is_src)
    fan_out = None
    if "owned" in meta:  # a partial build: a transmitter's fan-out counts every connection of the network
        if sender_totals is None:
            raise ValueError("owned= with hardware=: give sender_totals= (the whole network's number of "
                             "outgoing connections of every neuron, from the parts' counts)")
        total = np.asarray(sender_totals(np.diff(out_ptr)[:n_neu].astype(np.int64)), dtype=np.int64)
        if total.shape != (n_neu,):
            raise ValueError(f"sender_totals must return one count per neuron (shape ({n_neu},)), got {total.shape}")
        fan_out = total[pre_a[from_neuron]]
    la = compile_links(hardware, layout, pre_a[from_neuron], post_a[from_neuron], seed=seed,
                       edge_ids=key[from_neuron], fan_out=fan_out)
    dark = 0.0
    tau_em = 0.0
    if not hardware.ideal:
        mu[from_neuron] = la.mu
        delay[from_neuron] = la.delay_ns
        jitter[from_neuron] = la.jitter_ns
        dark = float(la.dark_rate_hz)
        tau_em = float(la.emission_tau_ns)
    extra = np.rint(delay / dt_ns).astype(np.int32)
    total = structure["out_delay"].astype(np.int64) + extra
    structure["out_delay"] = total.astype(smallest_int(max(int(total.max(initial=0)), 32767)))
    structure["conn_key"] = key
    params["out_mu"] = mu
    params["out_jitter_ns"] = jitter
    params["emission_tau_ns"] = np.array([tau_em])
    params["dark_rate_hz"] = np.array([dark])
    if not hardware.ideal and hardware.critical_current_spread > 0:
        # frozen junction I_c spread: each dendrite's normalised bias becomes i_b / (I_c / I_c,nominal)
        f = critical_current_factors(structure["d_key"], seed=int(seed), sigma_rel=hardware.critical_current_spread)
        params["d_bias"] = np.minimum(effective_bias(params["d_bias"], f), float(meta["table"].i_grid[-1]))
    if not hardware.ideal and hardware.time_constant_spread > 0:
        # frozen loop time-constant spread: τ_d → τ_d · x_d, i.e. α_d → α_d / x_d
        x = sample_device_spread(Spread(1.0, hardware.time_constant_spread, "lognormal"), structure["d_key"],
                                 seed=int(seed), what="time_constant")
        params["d_alpha"] = params["d_alpha"] / x
    if not hardware.ideal and hardware.thermal_noise:
        params["d_noise"] = thermal_noise_amplitude(params["d_beta"], params["d_alpha"], meta["h_tau"],
                                                    hardware.cooling_temperature_K)
