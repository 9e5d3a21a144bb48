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

import math
import sys
import time
from dataclasses import dataclass, field

import numba
import numpy as np

from soen._rng import STREAMS, hash64_prefix_array, philox
from soen.engine.compile import resolve_projection
from soen.engine.result import Result
from soen.model.network import Network, PoissonSource, RegularSource, SpikeSource
from soen.models import KIND_COND, N_PARAMS

__all__ = ["PointCompiled", "compile_point", "resolve_projection", "simulate_point", "NS_PER_MS"]

NS_PER_MS = 1e6
STREAM_INIT = STREAMS["initial_state"]  # initial-state draws
_PARALLEL_MIN_NEURONS = 20000  # below this the per-step thread launches cost more than they save


@dataclass
class PointCompiled:
    """Flat arrays of a point-neuron network for one dt (see the module docstring)."""

    dt_ns: float
    dt_ms: float
    n_steps: int
    seed: int
    pop_names: list
    pop_off: np.ndarray
    pop_n: np.ndarray
    pop_kind: np.ndarray
    pp: np.ndarray  # (n_pops, N_PARAMS) parameter rows
    pop_order: np.ndarray  # processing order (phases)
    v0: np.ndarray
    bias: np.ndarray  # constant input per neuron (i_offset_nA of the NIR-family models)
    x0: np.ndarray
    y0: np.ndarray
    out_ptr: np.ndarray
    out_tgt: np.ndarray
    out_w: np.ndarray
    out_d: np.ndarray
    ev_step: np.ndarray
    ev_node: np.ndarray
    pch_node: np.ndarray
    pch_key: np.ndarray
    pch_lam: np.ndarray
    pch_start: np.ndarray
    n_ring: int
    src_offset: dict = field(default_factory=dict)

    @property
    def n_neurons(self) -> int:
        return int(self.v0.shape[0])

    @property
    def n_synapses(self) -> int:
        return int(self.out_tgt.shape[0])

    @property
    def bytes_per_synapse(self) -> float:
        """Target + weight + delay bytes of one static synapse (the CSR row pointers not included)."""
        return float(self.out_tgt.itemsize + self.out_w.itemsize + self.out_d.itemsize)


def _draw_init(spec, n: int, rng) -> np.ndarray:
    if spec is None:
        return np.zeros(n)
    if hasattr(spec, "sample"):
        return np.asarray(spec.sample(rng, n), dtype=float)
    return np.full(n, float(spec))


def _target_types(post_model, target, w: np.ndarray, where: str) -> int:
    """Ring type of a projection's ``target`` on a point model: 0 or 1, or -1 for "by sign" (the
    default ``"sites"`` on a conductance model: w < 0 goes to type 1 with |w|)."""
    allowed = post_model._targets
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


def compile_point(
    network: Network, *, duration_ns: float, dt_ns: float, seed: int, same_step: frozenset = frozenset()
) -> PointCompiled:
    """Resolve populations, sources and projections of a point-model network into flat arrays."""

    if not isinstance(network, Network):
        raise TypeError(f"network must be a soen.Network, got {type(network).__name__}")
    if not network.populations:
        raise ValueError("network has no populations: add one with Network.add_population")
    dt_ms = dt_ns / NS_PER_MS
    n_steps = int(round(duration_ns / dt_ns))
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
        kind, row = m._kernel_row(dt_ms)
        pop_off[j], pop_n[j], pop_kind[j], pp[j] = off, pop.n, kind, row
        rng = philox(seed, STREAM_INIT, j)
        fv, fx, fy = m._init_fields()
        v0.append(_draw_init(getattr(m, fv) if fv else None, pop.n, rng))
        x0.append(_draw_init(getattr(m, fx) if fx else None, pop.n, rng))
        y0.append(_draw_init(getattr(m, fy) if fy else None, pop.n, rng))
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

    # ---- sources ---------------------------------------------------------------------------------
    src_offset: dict = {}
    ev_steps, ev_nodes = [], []
    pch_node, pch_key, pch_lam, pch_start = [], [], [], []
    node = n_neu
    for s_index, src in enumerate(network.sources.values()):
        src_offset[src.name] = node
        if isinstance(src, PoissonSource):
            lam = src.rate_hz * dt_ns * 1e-9
            start = int(math.ceil(src.start_ns / dt_ns - 1e-9))
            for c in range(src.n):
                pch_node.append(node + c)
                pch_key.append((s_index << 32) | c)
                pch_lam.append(lam)
                pch_start.append(start)
        elif isinstance(src, (SpikeSource, RegularSource)):
            for c, t in enumerate(src.spike_times(duration_ns, seed, s_index)):
                st = np.rint(np.asarray(t, dtype=float) / dt_ns).astype(np.int64)
                st = st[st < n_steps]
                ev_steps.append(st)
                ev_nodes.append(np.full(st.size, node + c, dtype=np.int64))
        else:
            raise TypeError(
                f"source {src.name!r}: the point engine supports SpikeSource, RegularSource and "
                f"PoissonSource, got {type(src).__name__}"
            )
        node += src.n
    n_nodes = node
    ev_step = np.concatenate(ev_steps) if ev_steps else np.empty(0, dtype=np.int64)
    ev_node = np.concatenate(ev_nodes) if ev_nodes else np.empty(0, dtype=np.int64)
    o = np.lexsort((ev_node, ev_step))
    ev_step, ev_node = ev_step[o], ev_node[o]

    # ---- projections ----------------------------------------------------------------------------
    # each projection is packed at once into compact int32/float32 columns (one compiled pass, no
    # int64 temporaries), then all are scattered into CSR by sender (counting sort, stable)
    from soen.engine._point_kernel import csr_scatter, pack_edges

    parts = []
    zero_edges: set = set()
    counts = np.zeros(n_nodes + 1, dtype=np.int64)
    dmax = 0
    for p_index, proj in enumerate(network.projections):
        pre_is_pop = proj.pre in network.populations
        pre_off = int(pop_off[pop_index[proj.pre]]) if pre_is_pop else src_offset[proj.pre]
        post_pop = network.populations[proj.post]
        where = f"Projection {proj.pre!r}->{proj.post!r}"
        pre, post, w, delay = resolve_projection(network, p_index, seed, compact=True)
        n = pre.size
        typ = _target_types(post_pop.neuron, proj.target, w, where)
        if 2 * n_neu >= 2**31 or n_nodes >= 2**31:
            raise ValueError("network too large for int32 neuron indices")
        d_add = 1 if pre_is_pop and p_index not in same_step else 0
        packed = tuple(np.empty(n, dtype=t) for t in (np.int32, np.int32, np.float32, np.int32))
        d_lo, d_hi = pack_edges(
            pre, post, w, delay, typ, pre_off, int(pop_off[pop_index[proj.post]]), n_neu, float(dt_ns), d_add,
            counts, *packed,
        )
        del pre, post, w, delay
        if n and pre_is_pop and d_lo == 0:
            zero_edges.add((pop_index[proj.pre], pop_index[proj.post]))
        dmax = max(dmax, int(d_hi))
        parts.append(packed)
    pop_order = _phases(n_pops, zero_edges, names)

    out_ptr = np.cumsum(counts)  # counts[s + 1] = out-degree of s: out_ptr[0] = 0
    n_syn = int(out_ptr[-1])
    out_tgt = np.empty(n_syn, dtype=np.int32)
    out_w = np.empty(n_syn, dtype=np.float32)
    out_d = np.empty(n_syn, dtype=np.int16 if dmax <= np.iinfo(np.int16).max else np.int32)
    pos = out_ptr[:-1].copy()
    while parts:  # in projection order: a stable sort by sender
        csr_scatter(*parts.pop(0), pos, out_tgt, out_w, out_d)
    return PointCompiled(
        dt_ns=float(dt_ns),
        dt_ms=dt_ms,
        n_steps=n_steps,
        seed=int(seed),
        pop_names=names,
        pop_off=pop_off,
        pop_n=pop_n,
        pop_kind=pop_kind,
        pp=pp,
        pop_order=pop_order,
        v0=np.concatenate(v0),
        bias=np.concatenate(bias),
        x0=np.concatenate(x0),
        y0=np.concatenate(y0),
        out_ptr=out_ptr,
        out_tgt=out_tgt,
        out_w=out_w,
        out_d=out_d,
        ev_step=ev_step,
        ev_node=ev_node,
        pch_node=np.asarray(pch_node, dtype=np.int64),
        pch_key=np.asarray(pch_key, dtype=np.int64),
        pch_lam=np.asarray(pch_lam, dtype=float),
        pch_start=np.asarray(pch_start, dtype=np.int64),
        n_ring=dmax + 1,
        src_offset=src_offset,
    )


def _resolve_record(record, network: Network, c: PointCompiled):
    """Selectors ``"pop"``, ``("pop", ids)`` or ``("pop", ids, "v")`` → (global ids, labels)."""
    if record is None:
        return np.empty(0, dtype=np.int64), []
    sels = [record] if isinstance(record, (str, tuple)) else list(record)
    ids, labels = [], []
    for sel in sels:
        sel = (sel,) if isinstance(sel, str) else tuple(sel)
        pop = sel[0]
        if pop not in network.populations:
            raise ValueError(f"record: unknown population {pop!r}; known: {sorted(network.populations)}")
        n = network.populations[pop].n
        loc = np.arange(n) if len(sel) < 2 or sel[1] is None else np.atleast_1d(np.asarray(sel[1]))
        if loc.size and (not np.issubdtype(loc.dtype, np.integer) or loc.min() < 0 or loc.max() >= n):
            raise ValueError(
                f"record: neuron indices of {pop!r} must be integers in 0..{n - 1}, got {sel[1]!r}"
            )
        if len(sel) == 3 and sel[2] not in ("v", "soma", "all"):
            raise ValueError(
                f"record: point models record 'v' (and the second state in traces_phi), got {sel[2]!r}"
            )
        off = int(c.pop_off[c.pop_names.index(pop)])
        for i in loc:
            ids.append(off + int(i))
            labels.append((pop, int(i), "v"))
    return np.asarray(ids, dtype=np.int64), labels


def simulate_point(
    network: Network,
    duration_ns: float,
    *,
    dt_ns: float = 0.1,
    seed: int = 0,
    record=None,
    record_every_ns: float | None = None,
    threads: int | None = None,
    progress: bool | None = None,
    same_step: frozenset = frozenset(),
) -> Result:
    """Simulate a network of point models (:mod:`soen.models`) for ``duration_ns`` ns.

    Called by :func:`soen.simulate`; the arguments have the same meaning (times in ns). For these
    models a natural step is ``dt_ns=1e5`` (0.1 ms). ``same_step``: indices of projections delivered
    within the step of the spike (discrete-time graph semantics; used by :mod:`soen.io.nir`).

    Returns a :class:`soen.Result` whose ``traces_s`` hold the membrane potentials v (mV) of the
    recorded neurons and ``traces_phi`` their second state variable (input current in nA for
    LIF/LI/IF/I/Threshold, synaptic current for CubaLIF, g_ex in nS for CondExpLIF), sampled at
    ``trace_times_ns`` before the inputs of that step.
    """
    from soen.engine import _point_kernel as K

    t0 = time.perf_counter()
    c = compile_point(
        network, duration_ns=duration_ns, dt_ns=dt_ns, seed=seed, same_step=frozenset(same_step)
    )
    rec_ids, labels = _resolve_record(record, network, c)
    rec_every, n_rec_t = 0, 0
    if rec_ids.size:
        every_ns = dt_ns if record_every_ns is None else float(record_every_ns)
        if not (math.isfinite(every_ns) and every_ns > 0):
            raise ValueError(f"record_every_ns must be a positive number, got {record_every_ns!r}")
        rec_every = max(1, int(round(every_ns / dt_ns)))
        n_rec_t = (c.n_steps + rec_every - 1) // rec_every
        if n_rec_t * rec_ids.size * 16 > 8 * 2**30:
            raise ValueError(
                f"recording {rec_ids.size} traces every {every_ns} ns needs more than 8 GiB; "
                f"record fewer neurons or raise record_every_ns"
            )
    n = c.n_neurons
    v, x, y = c.v0.copy(), c.x0.copy(), c.y0.copy()
    ref = np.zeros(n, dtype=np.int32)
    pend = np.zeros(n, dtype=np.uint8)
    fired = np.zeros(-(-n // 8) * 8, dtype=np.int8)  # padded: the kernel scans it 8 flags at a time
    inbuf = np.zeros((c.n_ring, 2 * n))
    pk = np.zeros(c.pch_node.size, dtype=np.int64)
    tab_index, tab_off, tab_cdf, tab_guide = K.poisson_tables(c.pch_lam)
    uniq = np.asarray(sorted(tab_index), dtype=float)  # table t holds the t-th smallest λ (≤ 500)
    pch_tab = np.where(c.pch_lam <= 500.0, np.searchsorted(uniq, c.pch_lam), -1).astype(np.int32)
    pch_big = np.flatnonzero(pch_tab < 0)
    deg = c.out_ptr[c.pch_node + 1] - c.out_ptr[c.pch_node]
    pch_one = np.where(deg == 1, c.out_ptr[c.pch_node], -1)  # the connection of single-target channels
    pch_pre = (
        hash64_prefix_array(c.seed, STREAMS["poisson_input"], c.pch_key)
        if c.pch_key.size
        else np.empty(0, dtype=np.uint64)  # (no compilation of the helper when there are no channels)
    )
    spk_step = np.empty(max(1024, n), dtype=np.int64)
    spk_id = np.empty(max(1024, n), dtype=np.int32)
    rec_v = np.zeros((n_rec_t, rec_ids.size))
    rec_x = np.zeros((n_rec_t, rec_ids.size))
    counters = np.zeros(8, dtype=np.int64)
    ev_pos = np.zeros(1, dtype=np.int64)
    parallel = (threads is None or threads > 1) and n >= _PARALLEL_MIN_NEURONS
    kernel = K.get_run_steps(
        parallel,
        c.pp,
        c.pop_kind.tolist(),
        poisson=c.pch_node.size > 0,
        events=c.ev_step.size > 0,
        record=rec_ids.size > 0,
    )
    t_compile = time.perf_counter() - t0

    old_threads = numba.get_num_threads()
    if threads is not None:
        numba.set_num_threads(int(threads))
    t_run0 = time.perf_counter()
    done, complete, message, bar, t_first = 0, True, "", None, 0.0
    try:
        chunk = max(1, min(c.n_steps, 100))
        while done < c.n_steps:
            n1 = min(c.n_steps, done + chunk)
            ts = time.perf_counter()
            kernel(
                done,
                n1,
                c.seed,
                c.pop_order,
                c.pop_off,
                c.pop_n,
                c.pop_kind,
                c.pp,
                c.out_ptr,
                c.out_tgt,
                c.out_w,
                c.out_d,
                c.ev_step,
                c.ev_node,
                ev_pos,
                c.pch_node,
                c.pch_key,
                pch_pre,
                c.pch_lam,
                pch_tab,
                pch_big,
                pch_one,
                tab_off,
                tab_cdf,
                tab_guide,
                c.pch_start,
                pk,
                v,
                x,
                y,
                ref,
                pend,
                fired,
                inbuf,
                c.bias,
                spk_step,
                spk_id,
                rec_ids,
                rec_every,
                rec_v,
                rec_x,
                counters,
            )
            if done == 0:
                t_first = time.perf_counter() - ts  # includes the JIT compilation (or cache load)
            if counters[2]:
                done = int(counters[4])
                break
            stop = int(counters[6])
            if stop >= 0:  # the spike arrays ran short at the start of step `stop`: double, resume there
                spk_step = np.concatenate([spk_step, np.empty_like(spk_step)])
                spk_id = np.concatenate([spk_id, np.empty_like(spk_id)])
            steps, done = (stop if stop >= 0 else n1) - done, (stop if stop >= 0 else n1)
            per_step = (time.perf_counter() - ts) / max(1, steps)
            chunk = int(min(max(1, 0.2 / max(per_step, 1e-9)), 1_000_000))
            remaining = (c.n_steps - done) * per_step
            show = progress if progress is not None else (remaining > 2.0 and sys.stderr.isatty())
            if bar is None and show and done < c.n_steps:
                from rich.progress import Progress

                bar = Progress(transient=False)
                bar.start()
                task = bar.add_task("simulating", total=c.n_steps)
            if bar is not None:
                bar.update(task, completed=done)
    except KeyboardInterrupt:
        complete, message = False, f"interrupted at t = {done * dt_ns:g} ns"
        print(f"soen.simulate: {message}; returning the data recorded so far", file=sys.stderr)
    finally:
        if bar is not None:
            bar.stop()
        if threads is not None:
            numba.set_num_threads(old_threads)
    t_run = time.perf_counter() - t_run0
    ns = int(counters[0])
    order = np.lexsort((spk_id[:ns], spk_step[:ns]))
    pops = {k: (int(c.pop_off[j]), int(c.pop_n[j])) for j, k in enumerate(c.pop_names)}
    n_rec = min(n_rec_t, (done + rec_every - 1) // rec_every) if rec_every else 0
    result = Result(
        spike_times_ns=spk_step[:ns][order] * dt_ns,
        spike_ids=spk_id[:ns][order].astype(np.int64),
        populations=pops,
        duration_ns=float(duration_ns),
        dt_ns=float(dt_ns),
        seed=int(seed),
        integrator="point",
        trace_times_ns=np.arange(n_rec) * rec_every * dt_ns if rec_every else np.empty(0),
        traces_s=rec_v[:n_rec],
        traces_phi=rec_x[:n_rec],
        trace_labels=labels,
        counts=dict(events=int(counters[1]), spikes=ns, input_spikes=int(counters[5])),
        timing=dict(
            compile_s=t_compile,
            run_s=t_run,
            first_chunk_s=t_first,
            steps=done,
            steps_per_s=done / t_run if t_run > 0 else float("inf"),
            us_per_neuron_step=1e6 * t_run / max(1, done * n),
        ),
        complete=complete,
        t_end_ns=done * dt_ns,
        message=message,
        metadata=dict(
            engine="point",
            n_synapses=c.n_synapses,
            bytes_per_synapse=c.bytes_per_synapse,
            synapse_bytes=int(c.out_tgt.nbytes + c.out_w.nbytes + c.out_d.nbytes + c.out_ptr.nbytes),
            ring_slots=c.n_ring,
            parallel=parallel,
            dt_ms=c.dt_ms,
            models={k: type(p.neuron).__name__ for k, p in network.populations.items()},
            phase_order=[c.pop_names[k] for k in c.pop_order],
        ),
    )
    if counters[2]:
        i = int(counters[3])
        pop = next(k for k, (o, m) in pops.items() if o <= i < o + m)
        result.complete = False
        result.message = (
            f"non-finite state in neuron {pop}[{i - pops[pop][0]}] at t = "
            f"{int(counters[4]) * dt_ns:g} ns (step {int(counters[4])})"
        )
        err = FloatingPointError(result.message)
        err.result = result
        raise err
    return result
