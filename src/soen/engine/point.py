"""The point-neuron engine: networks of :mod:`soen.models` (LIF, CubaLIF, CondExpLIF, DeltaLIF …).

``soen.simulate`` dispatches here when every population's neuron is a point model. The network is
compiled into flat arrays (:class:`PointCompiled`): neuron state and per-population parameter rows,
outgoing connections in CSR by sender with an int32 target column (type·N + neuron), a float32
weight and an int16
delay (10 bytes per static synapse), input spikes sorted by step and Poisson channels drawn inside
the kernel. The kernels (:mod:`soen.engine._point_kernel`) step time-driven neurons and deliver
spikes event-driven into a dense delay ring of input sums (one float add per synaptic event).

Time step and delays
--------------------
Step n advances t_n → t_{n+1} (dt in ms inside: dt_ms = dt_ns · 1e-6). Inputs arriving at step n are
applied first, then the state is propagated, then thresholds are checked; a spike found in step n is
stamped t_{n+1}. A neuron spike with delay D reaches its targets at step n + 1 + round(D/dt) (its effect
is applied at t_spike + D), an input-source spike at time t at step round(t/dt) + round(D/dt).
Projections listed in ``same_step`` (used by the NIR importer for discrete-time graphs) deliver one
step earlier: a spike of step n is integrated by its targets in the same step n; their
populations are then updated after their senders (phases), and a zero-delay loop is refused.

Randomness: connectivity, weights and delays are drawn as in :mod:`soen.engine.compile` (Philox keyed
by (seed, stream, projection)); initial values by (seed, stream 64, population); Poisson channels by
the SplitMix hash of (seed, ``poisson_input``, source ≪ 32 | channel, step). Results are identical for
any thread count.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from soen._rng import poisson
from soen.engine.compile import resolve_projection
from soen.model.network import Network
from soen.plasticity import rule_row

from ._connect import connection_keys, name_id, projection_names, values_onto
from ._inputs import input_specs, poisson_channels
from ._plastic import PlasticRun
from ._point_kernel import _send
from ._point_lower import KIND_COND, N_PARAMS, init_fields, lower, targets
from ._poisson import STREAM_POISSON, _poisson_count, channel_tables
from ._soen_build import post_blocks
from .ir import Compiled

__all__ = ["NS_PER_MS", "PointCPU", "compile_point", "compile_point_part", "deliver_exchanged", "resolve_projection"]

NS_PER_MS = 1e6
#: above this many synapses the connections are drawn twice (count, then place) to hold only the final
#: columns and one block of draws
REDRAW_SYNAPSES = 50_000_000
_PARALLEL_MIN_NEURONS = 20000  # below this the per-step thread launches cost more than they save


def _draw_init(spec, n: int, seed: int, pop_name: str, which: int, ids=None) -> np.ndarray:
    """Initial values of one state variable (``which`` 0, 1, 2 for v, x, y) of a population: a number,
    or a distribution drawn per neuron from U/N(seed, initial_state, (id(pop) << 32) | i, which).
    ``ids``: only these neurons of the population (a partial build)."""
    i = np.arange(n, dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
    if spec is None:
        return np.zeros(i.size)
    return values_onto(spec, i, i, n, seed, "initial_state", name_id(pop_name), f"population {pop_name!r} initial "
                       f"value", rank=np.full(i.size, which, dtype=np.int64))


def _target_types(post_model, target, w: np.ndarray, where: str) -> int:
    """Ring type of a projection's ``target`` on a point model: 0 or 1, or -1 for "by sign" (the
    default ``"sites"`` on a conductance model: w < 0 goes to type 1 with |w|)."""
    allowed = targets(post_model)
    if allowed == ("current",):
        if target not in ("sites", "current"):
            raise ValueError(
                f"{where}: target must be 'current' (or the default 'sites') for "
                f"{type(post_model).__name__}, got {target!r}"
            )
        return 0
    if target == "sites":
        return -1
    if target not in allowed:
        raise ValueError(
            f"{where}: target must be one of {list(allowed)} or 'sites' for "
            f"{type(post_model).__name__}, got {target!r}"
        )
    if w.size and w.min() < 0:
        raise ValueError(
            f"{where}: conductance weights (nS) on target {target!r} must be >= 0, got {w.min()}"
        )
    return allowed.index(target)


def _phases(n_pops: int, zero_edges: set, names: list) -> np.ndarray:
    """Order populations so that every zero-step edge goes from an earlier to a later one."""
    indeg = [0] * n_pops
    succ: list[list[int]] = [[] for _ in range(n_pops)]
    for a, b in zero_edges:
        succ[a].append(b)
        indeg[b] += 1
    order, ready = [], [k for k in range(n_pops) if indeg[k] == 0]
    while ready:
        k = ready.pop(0)
        order.append(k)
        for b in succ[k]:
            indeg[b] -= 1
            if indeg[b] == 0:
                ready.append(b)
        ready.sort()
    if len(order) != n_pops:
        loop = sorted(names[k] for k in range(n_pops) if indeg[k] > 0)
        raise ValueError(
            f"populations {loop} form a loop of same-step (zero-delay) connections; a spike "
            f"cannot be delivered within the step it is made in a loop — give a delay"
        )
    return np.asarray(order, dtype=np.int64)


def compile_point(network: Network, *, dt_ns: float, seed: int, owned=None, input_share=None) -> Compiled:
    """Resolve populations, sources and projections of a point-model network into a :class:`Compiled`.

    ``owned`` (sorted global neuron ids; default: all): build only these neurons and the connections
    onto them, as one MPI rank does (:func:`compile_point_part`; ``input_share=(rank, n_ranks)``)."""
    if owned is not None:
        return compile_point_part(network, dt_ns=dt_ns, seed=seed, owned=owned, input_share=input_share)
    if input_share is not None:
        raise ValueError("input_share= applies to a partial build: give owned= too")
    from soen.engine._point_kernel import csr_scatter, pack_edges, scatter_rule

    from ._connect import expected_connections
    from ._validate import check_memory

    n_syn_est = expected_connections(network)
    # peak per synapse: the final columns (10 B) and the incoming lists (4 B), plus the packed blocks
    # (16 B) kept between counting and placing when the network is small enough to draw once
    check_memory(f"compiling about {n_syn_est:,.0f} synapses",
                 (16.0 if n_syn_est > REDRAW_SYNAPSES else 32.0) * n_syn_est)

    dt_ms = dt_ns / NS_PER_MS
    names = list(network.populations)
    pop_index = {k: j for j, k in enumerate(names)}
    n_pops = len(names)
    pop_off = np.zeros(n_pops, dtype=np.int64)
    pop_n = np.zeros(n_pops, dtype=np.int64)
    pop_kind = np.zeros(n_pops, dtype=np.int64)
    pp = np.zeros((n_pops, N_PARAMS))
    v0, x0, y0, bias = [], [], [], []
    off = 0
    for j, pop in enumerate(network.populations.values()):
        m = pop.neuron
        kind, row = lower(m, dt_ms)
        pop_off[j], pop_n[j], pop_kind[j], pp[j] = off, pop.n, kind, row
        fv, fx, fy = init_fields(m)
        v0.append(_draw_init(getattr(m, fv) if fv else None, pop.n, seed, pop.name, 0))
        x0.append(_draw_init(getattr(m, fx) if fx else None, pop.n, seed, pop.name, 1))
        y0.append(_draw_init(getattr(m, fy) if fy else None, pop.n, seed, pop.name, 2))
        if kind == KIND_COND and ((x0[-1] < 0).any() or (y0[-1] < 0).any()):
            raise ValueError(
                f"population {pop.name!r}: initial conductances must be >= 0 nS (clip the "
                f"distribution, e.g. soen.Normal(..., low=0))"
            )
        b = np.asarray(getattr(m, "i_offset_nA", 0.0), dtype=float)
        if b.ndim == 1 and b.size != pop.n:
            raise ValueError(f"population {pop.name!r}: i_offset_nA has {b.size} values for {pop.n} neurons")
        bias.append(np.broadcast_to(b, (pop.n,)).astype(float))
        off += pop.n
    n_neu = off

    # ---- sources: descriptions only (drawn as the run goes) ------------------------------------
    inputs = input_specs(network, n_neu)
    src_offset = {s.name: s.node0 for s in inputs}
    n_nodes = n_neu + sum(s.n for s in inputs)

    # ---- projections ----------------------------------------------------------------------------
    # each projection is packed at once into compact int32/float32 columns (one compiled pass, no
    # int64 temporaries), then all are scattered into CSR by sender (counting sort, stable)
    parts = []
    rules, plastic_names = [], []  # plasticity: a rule row per plastic projection
    proj_names = projection_names(network)
    zero_edges: set = set()
    counts = np.zeros(n_nodes + 1, dtype=np.int64)
    dmax = 0
    if 2 * n_neu >= 2**31 or n_nodes >= 2**31:
        raise ValueError(f"network too large for int32 neuron indices ({n_neu} neurons, {n_nodes} spiking nodes)")
    from .compile import delay_steps_of, rounds_delay

    def pack(p_index, proj, posts, counts_into):
        """Draw one block of a projection (target neurons ``posts``; None: all) and pack it."""
        pre_is_pop = proj.pre in network.populations
        pre_off = int(pop_off[pop_index[proj.pre]]) if pre_is_pop else src_offset[proj.pre]
        post_pop = network.populations[proj.post]
        where = f"Projection {proj.pre!r}->{proj.post!r}"
        pre, post, w, delay = resolve_projection(network, p_index, seed, compact=True, posts=posts)
        n = pre.size
        typ = _target_types(post_pop.neuron, proj.target, w, where)
        if not rounds_delay(proj):
            delay_steps_of(delay, dt_ns, f"{where} delay_ns")  # on the time grid (or a clear error)
        d_add = 1 if pre_is_pop and not proj.same_step else 0
        packed = tuple(np.empty(n, dtype=t) for t in (np.int32, np.int32, np.float32, np.int32))
        d_lo, d_hi = pack_edges(
            pre, post, w, delay, typ, pre_off, int(pop_off[pop_index[proj.post]]), n_neu, float(dt_ns), d_add,
            counts_into, *packed,
        )
        keys = None
        if proj.plasticity is not None:
            keys = connection_keys(np.full(n, name_id(proj_names[p_index]), dtype=np.int64), pre, post)
        return packed, keys, (n > 0 and pre_is_pop and d_lo == 0), int(d_hi)

    # large networks: draw twice (count, then place), holding only the final columns and one block;
    # smaller ones keep the packed blocks between the two steps (one draw)
    redraw = n_syn_est > REDRAW_SYNAPSES
    rid_of = {}
    for p_index, proj in enumerate(network.projections):
        if proj.plasticity is not None:
            rid_of[p_index] = len(rules)
            rules.append(rule_row(proj.plasticity))
            plastic_names.append(proj_names[p_index])
        for posts in post_blocks(network, proj):
            packed, keys, zero, d_hi = pack(p_index, proj, posts, counts)
            if zero:
                zero_edges.add((pop_index[proj.pre], pop_index[proj.post]))
            dmax = max(dmax, d_hi)
            if not redraw:
                parts.append((p_index, packed, keys))
            del packed, keys
    pop_order = _phases(n_pops, zero_edges, names)

    out_ptr = np.cumsum(counts)  # counts[s + 1] = out-degree of s: out_ptr[0] = 0
    n_syn = int(out_ptr[-1])
    out_tgt = np.empty(n_syn, dtype=np.int32)
    out_w = np.empty(n_syn, dtype=np.float32)
    out_d = np.empty(n_syn, dtype=np.int16 if dmax <= np.iinfo(np.int16).max else np.int32)
    pos = out_ptr[:-1].copy()
    rule_of = np.full(n_syn, -1, dtype=np.int16) if rules else None
    syn_key = np.zeros(n_syn, dtype=np.int64) if rules else None

    def place(p_index, packed, keys):
        if p_index in rid_of:  # the same positions the part is about to take
            scatter_rule(packed[0], pos, rid_of[p_index], keys, rule_of, syn_key)
        csr_scatter(*packed, pos, out_tgt, out_w, out_d)

    if redraw:  # in projection order, block by block: a stable sort by sender
        scratch = np.zeros(n_nodes + 1, dtype=np.int64)
        for p_index, proj in enumerate(network.projections):
            for posts in post_blocks(network, proj):
                packed, keys, _, _ = pack(p_index, proj, posts, scratch)
                place(p_index, packed, keys)
                del packed, keys
    while parts:
        place(*parts.pop(0))
    from soen.engine._point_kernel import incoming_lists

    in_ptr, in_syn = incoming_lists(out_tgt, n_neu)
    meta = dict(n_neurons=n_neu, n_synapses=n_syn, n_nodes=n_nodes, dt_ms=dt_ms, pop_names=names,
                pop_offset={k: int(pop_off[j]) for j, k in enumerate(names)},
                pop_size={k: int(pop_n[j]) for j, k in enumerate(names)}, src_offset=src_offset,
                models={k: type(p.neuron).__name__ for k, p in network.populations.items()},
                model_params={k: {f: repr(v) for f, v in p.neuron.params().items()}
                              for k, p in network.populations.items()})
    params = dict(pop_row=pp, out_w=out_w, bias=np.concatenate(bias), v0=np.concatenate(v0), x0=np.concatenate(x0),
                  y0=np.concatenate(y0))
    structure = dict(pop_off=pop_off, pop_n=pop_n, pop_kind=pop_kind, pop_order=pop_order, out_ptr=out_ptr,
                     out_tgt=out_tgt, out_d=out_d, in_ptr=in_ptr, in_syn=in_syn)
    from ._plastic import homeostasis_meta

    meta["homeostasis"] = homeostasis_meta(network, meta["pop_offset"])
    if rules:
        params["plastic_rules"] = np.array(rules)
        structure["rule_of"] = rule_of
        structure["syn_key"] = syn_key
        meta["plastic_projections"] = plastic_names
    return Compiled("point", float(dt_ns), int(seed), params, structure, inputs, meta)


# ------------------------------------------------------------------------------------------------
# a partial build: one MPI rank's neurons and the connections onto them
# ------------------------------------------------------------------------------------------------
#: target size of one block of drawn connections in a partial build (bounded temporaries)
PART_BLOCK_CONNECTIONS = 1 << 22


@nb.njit(cache=True)
def _pack_part(pre_node, lpost, w, delay, typ, n_own, dt_ns, d_add, o_tgt, o_w, o_d):
    """:func:`soen.engine._point_kernel.pack_edges` for a partial build: ring column type·N + local
    neuron (int32), weight (float32), delay in steps rint(delay/dt) + d_add; the senders stay global
    (``pre_node``, int64). Returns the smallest and largest delay (steps)."""
    d_lo = 2**62
    d_hi = 0
    sw = 0 if w.shape[0] == 1 else 1
    sd = 0 if delay.shape[0] == 1 else 1
    for e in range(pre_node.shape[0]):
        we = w[e * sw]
        t = typ
        if typ < 0:
            t = 1 if we < 0 else 0
            we = abs(we)
        o_tgt[e] = t * n_own + lpost[e]
        o_w[e] = we
        d = int(np.rint(delay[e * sd] / dt_ns)) + d_add
        o_d[e] = d
        d_lo = min(d_lo, d)
        d_hi = max(d_hi, d)
    return d_lo, d_hi


def _owned_blocks(network, proj, ids: np.ndarray) -> list:
    """Blocks of the owned target neurons ``ids`` (indices in the post population) to draw one
    projection in: all at once where :func:`post_blocks` draws the whole projection at once."""
    from soen.model.network import FixedInDegree, FixedProbability

    c = proj.connector
    # as post_blocks decides (without making the blocks of the whole population)
    if not ids.size or not isinstance(c, (FixedInDegree, FixedProbability)) or any(
            np.ndim(v) > 0 for v in (proj.weight, proj.delay_ns) if not hasattr(v, "sample")):
        return [ids]
    n_pre = network.populations[proj.pre].n if proj.pre in network.populations else network.sources[proj.pre].n
    per_post = float(c.k) if isinstance(c, FixedInDegree) else float(c.p) * n_pre
    step = max(1, int(PART_BLOCK_CONNECTIONS // max(per_post, 1.0)))
    return [ids[a:a + step] for a in range(0, ids.size, step)]


def _resolve_part(network, p_index: int, seed: int, posts: np.ndarray):
    """The connections of projection ``p_index`` onto target neurons ``posts`` (see
    :func:`resolve_projection`); a one-to-one projection is resolved without its whole pair list."""
    from soen.model.network import OneToOne

    from ._connect import values_onto

    proj = network.projections[p_index]
    if isinstance(proj.connector, OneToOne) and not any(
            np.ndim(v) > 0 for v in (proj.weight, proj.delay_ns) if not hasattr(v, "sample")):
        n_pre = network.populations[proj.pre].n if proj.pre in network.populations else network.sources[proj.pre].n
        n_post = network.populations[proj.post].n
        if n_pre != n_post:
            raise ValueError(f"OneToOne needs equal population sizes, got {n_pre} and {n_post}")
        pid = name_id(projection_names(network)[p_index])
        where = f"Projection {proj.pre!r}->{proj.post!r}"
        post = np.asarray(posts, dtype=np.int64)
        w = values_onto(proj.weight, post, post, n_post, seed, "weights", pid, f"{where} weight", True)
        delay = values_onto(proj.delay_ns, post, post, n_post, seed, "delays", pid, f"{where} delay_ns", True)
        if post.size and delay.min() < 0:
            raise ValueError(f"{where} delay_ns must be >= 0, got {delay.min()}")
        return post.copy(), post, w, delay
    return resolve_projection(network, p_index, seed, compact=True, posts=posts)


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """The distinct values of the sorted array ``a`` (one pass; no hashing)."""
    if not a.size:
        return a[:0].copy()
    keep = np.empty(a.size, dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def _check_owned(owned, n_glob: int) -> np.ndarray:
    a = np.asarray(owned)
    if a.ndim != 1 or (a.size and (a.dtype == bool or not np.issubdtype(a.dtype, np.integer))):
        raise ValueError(f"owned must be a 1-D array of integer neuron ids, got shape {a.shape} and dtype {a.dtype}")
    a = a.astype(np.int64)
    if a.size and (np.any(np.diff(a) <= 0)):
        raise ValueError("owned: neuron ids must be sorted and distinct")
    if a.size and (a[0] < 0 or a[-1] >= n_glob):
        raise ValueError(f"owned: neuron ids must lie in 0..{n_glob - 1}, got {int(a[0])}..{int(a[-1])}")
    return a


def compile_point_part(network: Network, *, dt_ns: float, seed: int, owned, input_share=None) -> Compiled:
    """One rank's share of a point-model network: the neurons ``owned`` (sorted global ids) and the
    connections onto them, never the whole network (what each rank of :class:`soen.engines.MPI` and
    :func:`soen.engines.MPI.dry_run` builds). Every draw is keyed by stable global ids
    (:mod:`soen.engine._connect`), so the parts of any partition are exactly the network of
    :func:`compile_point`, with the connections of every sender in the same order.

    Layout (local neurons 0..N_own−1 in the order of ``owned``):

    * ``snd_ids`` (global neuron ids, sorted) and ``snd_ptr``: the outgoing connections of every
      neuron with targets here are ``out_tgt/out_w/out_d[snd_ptr[u]:snd_ptr[u+1]]`` (12 B per such
      sender: the rank looks received spikes up in ``snd_ids``);
    * ``src_nodes``: the global nodes (number N + input channel) of the input channels this part
      draws: those with targets here, and with ``input_share=(rank, n_ranks)`` also the channels
      j ≡ rank (mod n_ranks) (so that every channel's input spikes are counted by one rank);
    * ``out_ptr``: the kernel's view, N_own + len(src_nodes) + 1 entries: the rows of the local
      neurons are empty (their spikes are pushed after the exchange, see :mod:`soen.engine._mpi`),
      channel j is node N_own + j;
    * ``out_tgt`` (int32 type·N_own + local neuron), ``out_w`` (float32), ``out_d`` (int16/int32
      steps): 10 B per synapse, as the whole build.
    """
    from soen.model.network import Network as _Net

    from ._validate import check_memory

    if not isinstance(network, _Net):
        raise TypeError(f"network must be a soen.Network, got {type(network).__name__}")
    names = list(network.populations)
    pops = list(network.populations.values())
    n_pops = len(names)
    g_off = np.concatenate([[0], np.cumsum([p.n for p in pops])]).astype(np.int64)
    n_glob = int(g_off[-1])
    owned = _check_owned(owned, n_glob)
    n_own = int(owned.size)
    if input_share is not None:
        r, P = input_share
        if not (isinstance(P, (int, np.integer)) and P >= 1 and isinstance(r, (int, np.integer)) and 0 <= r < P):
            raise ValueError(f"input_share must be (rank, n_ranks) with 0 <= rank < n_ranks, got {input_share!r}")
    homeo = [n for n, p in network.populations.items() if getattr(p, "homeostasis", None) is not None]
    if homeo:
        raise ValueError(f"a partial build does not support homeostasis yet (populations {homeo[:3]}): it adapts "
                         f"from the spikes of all neurons at once; run on soen.engines.CPU")
    plastic = [p.pre + "->" + p.post for p in network.projections if p.plasticity is not None]
    if plastic:
        raise ValueError(f"a partial build does not support plastic projections yet (plasticity= on "
                         f"{', '.join(plastic[:3])}); run them on soen.engines.CPU")
    same = [p.pre + "->" + p.post for p in network.projections if p.same_step and p.pre in network.populations]
    if same:
        raise ValueError(f"same-step projections between neurons ({', '.join(same[:3])}) deliver a spike within "
                         f"the step it is made in, which cannot be split across ranks; give them a delay")
    from ._connect import expected_connections

    n_syn_est = expected_connections(network) * n_own / max(n_glob, 1)
    check_memory(f"compiling about {n_syn_est:,.0f} synapses of a partial build", 40.0 * n_syn_est)
    if 2 * n_own >= 2**31:
        raise ValueError(f"a part of {n_own} neurons is too large for int32 ring columns")

    dt_ms = dt_ns / NS_PER_MS
    bounds = np.searchsorted(owned, g_off)
    own_pop = [owned[bounds[j]:bounds[j + 1]] - g_off[j] for j in range(n_pops)]
    loc_off = bounds[:-1].astype(np.int64)
    pop_n = np.diff(bounds).astype(np.int64)
    pop_kind = np.zeros(n_pops, dtype=np.int64)
    pp = np.zeros((n_pops, N_PARAMS))
    v0, x0, y0, bias = [], [], [], []
    for j, pop in enumerate(pops):
        m = pop.neuron
        kind, row = lower(m, dt_ms)
        pop_kind[j], pp[j] = kind, row
        ids = own_pop[j]
        fv, fx, fy = init_fields(m)
        v0.append(_draw_init(getattr(m, fv) if fv else None, pop.n, seed, pop.name, 0, ids))
        x0.append(_draw_init(getattr(m, fx) if fx else None, pop.n, seed, pop.name, 1, ids))
        y0.append(_draw_init(getattr(m, fy) if fy else None, pop.n, seed, pop.name, 2, ids))
        if kind == KIND_COND and ((x0[-1] < 0).any() or (y0[-1] < 0).any()):
            raise ValueError(f"population {pop.name!r}: initial conductances must be >= 0 nS (clip the "
                             f"distribution, e.g. soen.Normal(..., low=0))")
        b = np.asarray(getattr(m, "i_offset_nA", 0.0), dtype=float)
        if b.ndim == 1 and b.size != pop.n:
            raise ValueError(f"population {pop.name!r}: i_offset_nA has {b.size} values for {pop.n} neurons")
        bias.append(b[ids].astype(float) if b.ndim == 1 else np.full(ids.size, float(b)))

    inputs = input_specs(network, n_glob)
    src_offset = {s.name: s.node0 for s in inputs}
    n_src = sum(s.n for s in inputs)
    from .compile import delay_steps_of, rounds_delay

    parts = []  # (sender node int64, tgt int32, w float32, d int32) per block, in projection order
    dmax = 0
    for p_index, proj in enumerate(network.projections):
        jp = names.index(proj.post)
        pre_is_pop = proj.pre in network.populations
        pre_off = int(g_off[names.index(proj.pre)]) if pre_is_pop else src_offset[proj.pre]
        where = f"Projection {proj.pre!r}->{proj.post!r}"
        for posts in _owned_blocks(network, proj, own_pop[jp]):
            if not posts.size:
                continue
            pre, post, w, delay = _resolve_part(network, p_index, seed, posts)
            typ = _target_types(pops[jp].neuron, proj.target, w, where)
            if not rounds_delay(proj):
                delay_steps_of(delay, dt_ns, f"{where} delay_ns")
            lpost = (loc_off[jp] + np.searchsorted(own_pop[jp], post)).astype(np.int64)
            node = pre.astype(np.int64) + pre_off
            n = node.size
            cols = (np.empty(n, dtype=np.int32), np.empty(n, dtype=np.float32), np.empty(n, dtype=np.int32))
            _d_lo, d_hi = _pack_part(node, lpost, np.asarray(w, dtype=float), np.asarray(delay, dtype=float), typ,
                                     n_own, float(dt_ns), 1 if pre_is_pop else 0, *cols)
            dmax = max(dmax, int(d_hi))
            parts.append((node,) + cols)
            del pre, post, w, delay, lpost
    n_syn = sum(p[0].size for p in parts)
    key = np.empty(n_syn, dtype=np.int64)
    o = 0
    for p in parts:
        key[o:o + p[0].size] = p[0]
        o += p[0].size
    order = np.argsort(key, kind="stable")  # by sender; each sender's connections in drawing order
    key = key[order]
    d_type = np.int16 if dmax <= np.iinfo(np.int16).max else np.int32
    cols = []
    for k, dt_ in ((1, np.int32), (2, np.float32), (3, d_type)):
        col = np.empty(n_syn, dtype=dt_)
        o = 0
        for p in parts:
            col[o:o + p[k].size] = p[k]
            o += p[k].size
        cols.append(col[order])
        del col
    del parts, order
    out_tgt, out_w, out_d = cols
    e_n = int(np.searchsorted(key, n_glob))  # neuron senders first (ids < N), then input channels
    snd_ids = _sorted_unique(key[:e_n])
    snd_ptr = np.append(np.searchsorted(key[:e_n], snd_ids), e_n).astype(np.int64)
    src_with = _sorted_unique(key[e_n:])
    if input_share is not None and n_src:
        r, P = input_share
        src_nodes = np.union1d(src_with, n_glob + np.arange(int(r), n_src, int(P), dtype=np.int64))
    else:
        src_nodes = src_with
    src_nodes = src_nodes.astype(np.int64)
    out_ptr = np.concatenate([np.full(n_own, e_n, dtype=np.int64), np.searchsorted(key, src_nodes),
                              [n_syn]]).astype(np.int64)
    # delays that set the exchange epoch (stored steps: neuron connections include the +1)
    d_neu = np.flatnonzero(np.bincount(out_d[:e_n].astype(np.int64), minlength=1)).astype(np.int64)
    d_src = np.flatnonzero(np.bincount(out_d[e_n:].astype(np.int64), minlength=1)).astype(np.int64)
    del key
    pop_order = _phases(n_pops, set(), names)
    meta = dict(n_neurons=n_own, n_neurons_total=n_glob, n_synapses=n_syn, n_nodes=n_own + int(src_nodes.size),
                n_nodes_total=n_glob + n_src, dt_ms=dt_ms, pop_names=names,
                pop_offset={k: int(g_off[j]) for j, k in enumerate(names)},
                pop_size={k: int(p.n) for k, p in zip(names, pops)}, src_offset=src_offset,
                models={k: type(p.neuron).__name__ for k, p in network.populations.items()},
                model_params={k: {f: repr(v) for f, v in p.neuron.params().items()}
                              for k, p in network.populations.items()},
                owned=owned, homeostasis=[], neuron_delays=d_neu, input_delays=d_src)
    params = dict(pop_row=pp, out_w=out_w, bias=np.concatenate(bias), v0=np.concatenate(v0), x0=np.concatenate(x0),
                  y0=np.concatenate(y0))
    structure = dict(pop_off=loc_off, pop_n=pop_n, pop_kind=pop_kind, pop_order=pop_order, out_ptr=out_ptr,
                     out_tgt=out_tgt, out_d=out_d, in_ptr=np.zeros(n_own + 1, dtype=np.int64),
                     in_syn=np.empty(0, dtype=np.int32), snd_ids=snd_ids.astype(np.int32 if n_glob < 2**31 else np.int64),
                     snd_ptr=snd_ptr, src_nodes=src_nodes)
    return Compiled("point", float(dt_ns), int(seed), params, structure, inputs, meta)


@nb.njit(cache=True)
def deliver_exchanged(n0, n1, count_from, push, seed, src_ptr, snd_ptr, out_tgt, out_w, out_d, flat, L, ncol,
                      ev_step, ev_row, ch_row, ch_pre, ch_tab, ch_key, ch_lam, ch_start, tab_off, tab_cdf, tab_guide,
                      sp_step, sp_row, n_own, in_count, counters):
    """Push the events of steps [n0, n1) that a partial build sends after the exchange, in the order
    the single-process kernel sends them within each step: explicit input spikes (``ev_step``,
    source row ``ev_row``, sorted), Poisson channels (rows ``ch_row``, drawn here exactly as the
    kernel draws them), then the neuron spikes found in that step (``sp_step`` = stamp − 1, sender
    row ``sp_row`` in ``snd_ptr`` or −1, in phase and id order). With ``push`` false nothing is
    pushed. Inputs of steps ≥ ``count_from`` are counted (``in_count`` per channel row;
    ``counters``: [0] synaptic events, [1] input spikes): the kernel counts an input when it is drawn,
    so the inputs of an epoch still open at the end of a chunk are counted then (``push`` false)."""
    e = 0
    q = 0
    for n in range(n0, n1):
        cnt = n >= count_from
        while e < ev_step.shape[0] and ev_step[e] < n:
            e += 1
        while e < ev_step.shape[0] and ev_step[e] == n:
            j = ev_row[e]
            if push:
                _send(n_own + j, 1.0, n, src_ptr, out_tgt, out_w, out_d, flat, L, ncol)
            if cnt:
                in_count[j] += 1
                counters[1] += 1
                counters[0] += src_ptr[n_own + j + 1] - src_ptr[n_own + j]
            e += 1
        for c in range(ch_row.shape[0]):
            if n < ch_start[c]:
                continue
            t = ch_tab[c]
            if t >= 0:
                k = _poisson_count(t, ch_pre[c], n, tab_off, tab_cdf, tab_guide)
            else:
                k = poisson(ch_lam[c], seed, STREAM_POISSON, ch_key[c], n)
            if k > 0:
                j = ch_row[c]
                if push:
                    _send(n_own + j, float(k), n, src_ptr, out_tgt, out_w, out_d, flat, L, ncol)
                if cnt:
                    in_count[j] += k
                    counters[1] += k
                    counters[0] += src_ptr[n_own + j + 1] - src_ptr[n_own + j]
        while q < sp_step.shape[0] and sp_step[q] < n:
            q += 1
        while q < sp_step.shape[0] and sp_step[q] == n:
            u = sp_row[q]
            if push and u >= 0:
                counters[0] += _send(u, 1.0, n, snd_ptr, out_tgt, out_w, out_d, flat, L, ncol)
            q += 1


#: post spikes a neuron of a plastic run keeps pending for its incoming synapses; when the list is
#: full, all of them are brought up to date at once (one pass over its incoming synapses per this many
#: spikes instead of one per spike)
PENDING_POST_SPIKES = 8


def plastic_order(out_ptr, out_d):
    """The order of a plastic run's synapses, by sender then delay (stable: the drawing order within one
    delay), and for each synapse the end of its run of one sender and one delay (``seg_end``): one spike
    pushes one ring entry per delay, and its arrivals touch contiguous memory. Sums into the ring are
    made in the same order as with the compiled order (one sender's connections of one delay keep their
    order), so spikes are unchanged."""
    n_syn = out_d.shape[0]
    sender = np.repeat(np.arange(out_ptr.size - 1, dtype=np.int64), np.diff(out_ptr))
    perm = np.lexsort((out_d, sender)) if n_syn else np.zeros(0, dtype=np.int64)
    d, snd = out_d[perm], sender[perm]
    new = np.ones(n_syn, dtype=bool)
    new[1:] = (d[1:] != d[:-1]) | (snd[1:] != snd[:-1])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n_syn)
    seg_end = np.repeat(ends, np.diff(np.append(starts, n_syn)))
    return perm, seg_end.astype(np.int64)


class PointRun(PlasticRun):
    """Kernel arguments and mutable state of one point-model run (made by :meth:`PointCPU.prepare`)."""

    WEIGHTS, HOMEO_BASE, HOMEO_SIGN = "out_w", "bias", -1.0

    STATE = ("v", "x", "y", "ref", "pend", "inbuf", "pk", "ev_e", "ev_k", "ev_n")
    PLASTIC_STATE = ("w", "sx", "sxl", "sy", "syl", "pc", "pl_ids", "pl_n")

    def __init__(self, engine, c: Compiled, rec_idx: np.ndarray, rec_rows: int):
        from soen.engine import _point_kernel as K

        p, st = c.params, c.structure
        self.c = c
        n = c.n_neurons
        n_ring = int(st["out_d"].max(initial=0)) + 1
        node, key, lam, start = poisson_channels(c.inputs, c.dt_ns)
        self.pch = (node, key, lam, start)
        t = channel_tables(lam, c.seed, key)
        deg = st["out_ptr"][node + 1] - st["out_ptr"][node]
        self.pch_one = np.where(deg == 1, st["out_ptr"][node], -1)  # the connection of single-target channels
        self.pch_tab, self.pch_big, self.pch_pre, self.tab = t["tab"], t["big"], t["pre"], (t["off"], t["cdf"], t["guide"])
        self.arrays = dict(
            v=np.array(p["v0"]), x=np.array(p["x0"]), y=np.array(p["y0"]), ref=np.zeros(n, dtype=np.int32),
            pend=np.zeros(n, dtype=np.uint8), inbuf=np.zeros((n_ring, 2 * n)), pk=np.zeros(node.size, dtype=np.int64),
            # event ring (delivery="events"): synapse ids and multiplicities per arrival slot
            ev_e=np.zeros((n_ring, 64 if engine.delivery == "events" else 1), dtype=np.int64),
            ev_k=np.zeros((n_ring, 64 if engine.delivery == "events" else 1)),
            ev_n=np.zeros(n_ring, dtype=np.int64),
        )
        self.fired = np.zeros(-(-n // 8) * 8, dtype=np.int8)  # padded: the kernel scans it 8 flags at a time
        self.spk_step = np.empty(max(1024, 2 * n), dtype=np.int64)
        self.spk_id = np.empty(max(1024, 2 * n), dtype=np.int32)
        self.rec_idx = np.asarray(rec_idx, dtype=np.int64)
        self.rec_v = np.zeros((rec_rows, self.rec_idx.size))
        self.rec_x = np.zeros((rec_rows, self.rec_idx.size))
        self.counters = np.zeros(8, dtype=np.int64)
        self.totals = np.zeros(8, dtype=np.int64)
        self.ev_pos = np.zeros(1, dtype=np.int64)
        self.in_count = np.zeros(max(1, c.meta["n_nodes"] - n), dtype=np.int64)
        self.parallel = (engine.threads is None or engine.threads > 1) and n >= _PARALLEL_MIN_NEURONS
        from ._plastic import homeostasis_arrays, homeostasis_steps

        self.homeo = homeostasis_steps(c)
        if self.homeo:  # per-neuron input offsets that adapt (soen.Homeostasis)
            self.arrays.update(homeostasis_arrays(c, p["bias"]))
        self.plastic = "plastic_rules" in p
        # the connection columns the kernel walks (a plastic run reorders them: see plastic_order)
        self.cols = dict(out_tgt=st["out_tgt"], out_d=st["out_d"], in_ptr=st["in_ptr"], in_syn=st["in_syn"])
        if self.plastic:  # weights in float64, read at delivery; traces per synapse and per (rule, neuron)
            n_syn, n_rules = st["out_tgt"].size, p["plastic_rules"].shape[0]
            from ._plastic import snap_levels, synapse_state, with_decay_tables

            from ._plastic import neuron_state

            self.perm, seg_end = plastic_order(st["out_ptr"], st["out_d"])
            tgt = st["out_tgt"][self.perm]
            in_ptr, in_syn = K.incoming_lists(tgt, n)
            rule_of = st["rule_of"][self.perm]
            w0 = snap_levels(np.array(p["out_w"], dtype=np.float64)[self.perm], rule_of, p["plastic_rules"])
            rec = synapse_state(w0, tgt, rule_of)  # target and rule in the synapse's record
            self.cols = dict(out_tgt=rec.pop("tgt"), out_d=st["out_d"][self.perm], in_ptr=in_ptr, in_syn=in_syn)
            rule_of = rec.pop("rule_of")
            self.arrays.update(rec, **neuron_state(n, PENDING_POST_SPIKES), sy=np.zeros((n_rules, n)),
                               pc=np.zeros(5 + n_rules, dtype=np.int64),
                               pl_ids=np.zeros(n, dtype=np.int64), pl_n=np.zeros(1, dtype=np.int64))
            self.pl = (rule_of, with_decay_tables(p["plastic_rules"], c.dt_ns), st["syn_key"][self.perm],
                       np.ones(n_syn), seg_end)
            # the senders of one phase of a step, sent in one batch
            self.snd = (np.zeros(c.meta["n_nodes"], dtype=np.int64), np.zeros(c.meta["n_nodes"]))
            if engine.delivery != "events":  # plasticity reads weights at arrival: the event ring
                a = self.arrays
                a["ev_e"] = np.zeros((n_ring, 64), dtype=np.int64)
                a["ev_k"] = np.zeros((n_ring, 64))
        else:
            z = np.zeros(0, dtype=np.int64)
            self.arrays.update(sx=np.zeros(0), sxl=z, sy=np.zeros((0, 0)), syl=z, pc=np.zeros(5, dtype=np.int64),
                               pl_ids=z, pl_n=np.zeros(1, dtype=np.int64), hs=np.zeros((0, 1), dtype=np.int64), hn=z)
            self.pl = (np.zeros(0, dtype=np.int16), np.zeros((0, 11)), z, np.zeros(0), z)
            self.snd = (z, np.zeros(0))
        self.kernel = K.get_run_steps(self.parallel, p["pop_row"], st["pop_kind"].tolist(), poisson=node.size > 0,
                                      events=any(s.kind != "poisson" for s in c.inputs),
                                      record=self.rec_idx.size > 0, delivery=engine.delivery, plastic=self.plastic)
        self._err = None

    def advance(self, n0: int, n1: int, src_step, src_node, rec_every: int) -> int:
        self.ev_pos[0] = 0
        done = n0
        while done < n1:
            self._kernel(done, n1, src_step, src_node, rec_every)
            if self.counters[2]:
                self._err = (int(self.counters[3]), int(self.counters[4]))
                return int(self.counters[4])
            stop = int(self.counters[6])
            if stop < 0:
                return n1
            # the spike arrays ran short at the start of step `stop`: double them, go on from there
            self.spk_step = np.concatenate([self.spk_step, np.empty_like(self.spk_step)])
            self.spk_id = np.concatenate([self.spk_id, np.empty_like(self.spk_id)])
            done = stop
        return n1

    def _kernel(self, n0: int, n1: int, src_step, src_node, rec_every: int) -> None:
        """One call of the run loop over steps [n0, n1) (n0 = n1: compiles it, or loads it from the cache)."""
        c, p, st, a, cols = self.c, self.c.params, self.c.structure, self.arrays, self.cols
        node, key, lam, start = self.pch
        a["ev_e"], a["ev_k"] = self.kernel(
            n0, n1, c.seed, st["pop_order"], st["pop_off"], st["pop_n"], st["pop_kind"], p["pop_row"],
            st["out_ptr"], cols["out_tgt"], a["w"] if self.plastic else p["out_w"], cols["out_d"], src_step,
            src_node, self.ev_pos,
            node, key, self.pch_pre, lam, self.pch_tab, self.pch_big, self.pch_one, *self.tab, start,
            a["pk"], a["v"], a["x"], a["y"], a["ref"], a["pend"], self.fired, a["inbuf"],
            a["h_thresh"] if self.homeo else p["bias"],
            self.spk_step, self.spk_id, self.rec_idx, rec_every, self.rec_v, self.rec_x, self.in_count,
            a["ev_e"], a["ev_k"], a["ev_n"], self.counters,
            c.dt_ns, cols["in_ptr"], cols["in_syn"], self.pl[0], self.pl[1], a["sx"], a["sxl"], a["sy"], a["syl"],
            self.pl[2], self.pl[3], a["pc"], a["pl_ids"], a["pl_n"], self.pl[4], a["hs"], a["hn"],
            self.snd[0], self.snd[1],
        )

    def read(self):
        n_spk, n_rec = int(self.counters[0]), int(self.counters[7])
        out = (self.spk_step[:n_spk].copy(), self.spk_id[:n_spk].astype(np.int64), self.rec_v[:n_rec].copy(),
               self.rec_x[:n_rec].copy())
        self.totals[0] += n_spk
        self.totals[7] += n_rec
        self.counters[0] = 0
        self.counters[7] = 0
        return out

    def error(self):
        return self._err

    def describe_element(self, i: int) -> str:
        pops = self.c.populations
        pop = next(k for k, (o, m) in pops.items() if o <= i < o + m)
        return f"neuron {pop}[{i - pops[pop][0]}]"

    def counts(self, n_spikes: int, n_pending_drives: int) -> dict:
        t = self.totals + self.counters
        return dict(events=int(t[1]), spikes=n_spikes, input_spikes=int(t[5]))

    def fluxons(self) -> np.ndarray:
        return np.empty(0)

    def input_counts(self) -> np.ndarray:
        """Input spikes of every input channel (nodes after the neurons) so far."""
        return self.in_count[: self.c.meta["n_nodes"] - self.c.n_neurons].copy()

    def _flush(self) -> None:
        """Bring every plastic synapse up to date with the pending post spikes (before weights are read)."""
        if self.plastic:
            from ._plastic import flush_all

            a, cols = self.arrays, self.cols
            flush_all(self.c.dt_ns, cols["in_ptr"], cols["in_syn"], self.pl[0], self.pl[1], a["w"], a["sx"], a["sxl"],
                      a["hs"], a["hn"], self.c.seed, self.pl[2], self.pl[3], a["pc"])

    def weights(self) -> np.ndarray:
        """The current weight of every synapse, in the compiled order."""
        if not self.plastic:
            return super().weights()
        self._flush()
        w = np.empty(self.perm.size)
        w[self.perm] = self.arrays["w"]
        return w

    def state(self) -> dict:
        self._flush()  # nothing pending: the saved per-synapse state is complete
        return {**{k: self.arrays[k] for k in self._state_keys()},
                "_counters": self.totals + self.counters, "_in_count": self.in_count}

    def _state_keys(self) -> tuple:
        from ._plastic import HOMEO_STATE

        return self.STATE + (self.PLASTIC_STATE if self.plastic else ()) + (HOMEO_STATE if self.homeo else ())

    def load_state(self, z) -> None:
        for k in self._state_keys():
            a = np.asarray(z[k])
            if (a.shape != self.arrays[k].shape and not k.startswith("ev_")) or a.dtype != self.arrays[k].dtype:
                raise ValueError(f"resume: checkpoint array {k!r} has shape {a.shape}, expected {self.arrays[k].shape}")
            if k in ("w", "sx", "sxl", "syl"):  # fields of record arrays (synapse_state, neuron_state): copied in
                self.arrays[k][...] = a
            else:
                self.arrays[k] = a.copy()
        self.totals = np.asarray(z["_counters"]).copy()
        self.totals[0] = self.totals[7] = 0
        self.in_count = np.asarray(z["_in_count"]).copy()
        self.counters[:] = 0


class PointCPU:
    """Point-model networks (:mod:`soen.models`) on the CPU (Numba): exact propagators, event-driven
    delivery into a delay ring, Poisson channels drawn per step.

    ``delivery``: ``"dense"`` (default) adds w of every event into a dense ring of input sums when the
    spike is sent (one float add per event, 10 B per synapse); ``"events"`` keeps each event as
    (synapse, multiplicity) in the ring and reads the synapse's weight when it arrives (what a
    plasticity rule changing weights during the delay needs). Both add in the same order and give
    bit-identical results for static weights."""

    kind = "point"

    def __init__(self, threads=None, delivery: str = "dense"):
        from ._validate import check_threads

        self.threads = check_threads(threads)
        if delivery not in ("dense", "events"):
            raise ValueError(f"delivery must be 'dense' or 'events', got {delivery!r}")
        self.delivery = delivery

    def describe(self, compiled=None) -> str:
        return f"cpu-point|{self.delivery}"

    def prepare(self, compiled: Compiled, rec_idx, rec_rows: int) -> PointRun:
        if compiled.kind != "point":
            raise ValueError(f"the point-model CPU engine runs compiled networks of kind 'point', got {compiled.kind!r}")
        return PointRun(self, compiled, rec_idx, rec_rows)
