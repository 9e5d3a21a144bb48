"""Lowering of a :class:`soen.Compiled` to the static arrays of the JAX engine (:mod:`soen.engine._jax_core`).

This is the only module of the JAX engine that reads ``Compiled.params`` and ``Compiled.structure``
(so that a change of the compiled layout is adapted here only). It uses numpy only: importing it does
not import JAX. Integer arrays of the compiled network may be narrow (int16, uint8): every one is
cast with ``.astype(np.int64)`` before use. The sender of outgoing entry ``e`` is derived from the
CSR ``structure["out_ptr"]`` (``np.repeat(np.arange(n_nodes), np.diff(out_ptr))``).

Two lowered forms:

* :class:`PointLowered` — networks of the LIF family of :mod:`soen.models` (LIF, LI, CubaLIF, IF, I);
* :class:`SoenLowered` — SOEN networks (dendrites, SPD synapses, somas) with ideal delivery.

Trainable values are not part of the lowered structure: :func:`initial_params` gives them as a dict of
float arrays (the parameter pytree), named as in ``Compiled.params`` (``out_w``, ``bias``, ``sy_w``,
``cp_J``, ``d_offset``, ``d_bias``, ``nr_thresh``) plus ``v_threshold_mV`` (one per population, point
models, written back into ``pop_row``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._point_lower import KIND_CUBA, KIND_IF, KIND_LIF

__all__ = ["PointLowered", "SoenLowered", "lower", "initial_params", "params_to_compiled", "dense_inputs",
           "POINT_TRAINABLE", "SOEN_TRAINABLE"]

#: parameters of the pytree per kind (name → what it is)
POINT_TRAINABLE = ("out_w", "bias", "v_threshold_mV")
SOEN_TRAINABLE = ("sy_w", "cp_J", "d_offset", "d_bias", "nr_thresh")
#: surrogate derivatives of the spike step (soen.engine._jax_core.spike)
SURROGATE_NAMES = ("fast_sigmoid", "arctan", "triangle")
_POINT_KINDS = {KIND_LIF: "LIF/LI", KIND_CUBA: "CubaLIF", KIND_IF: "IF/I"}


@dataclass(frozen=True, eq=False)
class PointLowered:
    """Static arrays of a LIF-family network (numpy; see the module docstring).

    ``rows`` (N, 20): the per-neuron copy of the population rows of :mod:`soen.engine._point_lower`
    (exact propagators for ``dt_ns``); ``kind`` (N,) the kind code; edges split by sender: neuron
    senders (``nn_*``, delay ≥ 1 step) and input-channel senders (``in_*``, delay ≥ 0 steps)."""

    n: int
    n_in: int
    n_pops: int
    dt_ns: float
    kind: np.ndarray
    rows: np.ndarray
    pop_of: np.ndarray  # population index of every neuron
    v0: np.ndarray
    x0: np.ndarray
    nn_pre: np.ndarray
    nn_tgt: np.ndarray
    nn_d: np.ndarray
    nn_e: np.ndarray  # positions of these entries in out_w
    in_pre: np.ndarray
    in_tgt: np.ndarray
    in_d: np.ndarray
    in_e: np.ndarray
    ring: int  # ring length (slots): the longest delay + 1
    node0_in: int  # node id of the first input channel


@dataclass(frozen=True, eq=False)
class SoenLowered:
    """Static arrays of a SOEN network (numpy; kernel units as in :mod:`soen.engine.cpu`)."""

    nd: int
    nch: int
    nsyn: int
    nn: int
    n_in: int
    n_conn: int
    dt_ns: float
    h_tau: float
    d_hb: np.ndarray  # h/β per dendrite
    d_ahb: np.ndarray  # hα/β per dendrite
    ch_dend: np.ndarray
    ch_dr: np.ndarray  # e^(−dt/τ_r) per channel
    ch_df: np.ndarray  # e^(−dt/τ_f) per channel
    cp_src: np.ndarray
    cp_tgt: np.ndarray
    cp_fixed: np.ndarray  # couplings that are not trainable (refractory feedback), bool
    sy_ch: np.ndarray
    sy_pre: np.ndarray  # sending node of every synapse (refractory synapse i: neuron i)
    sy_d: np.ndarray  # delay in steps after the sender's emission step
    sy_A: np.ndarray
    sy_ths: np.ndarray
    sy_tf: np.ndarray
    sy_dead: np.ndarray
    sy_hs: np.ndarray  # hotspot lag in steps
    sy_e: np.ndarray  # (nsyn, 3): e^(−t_hs/τ_r), e^(−lag/τ_r), e^(−(lag − t_hs)/τ_f)
    sy_fixed: np.ndarray  # refractory drives (not trainable), bool
    nr_soma: np.ndarray
    nr_ref_steps: np.ndarray
    nr_ref_dend: np.ndarray
    ring: int  # emission history length (longest delay + 1)
    pend: int  # pending slots (longest hotspot lag + 1)
    table: tuple  # (q, i0, di, dphi, c_inf) of the rate table
    i_range: tuple  # (lowest, highest) bias of the table grid
    s_max_src: np.ndarray  # largest loop current of every dendrite (fan-in bound)
    node0_in: int
    ch_rows: np.ndarray  # (nd, k): the channels of every dendrite in order, padded with nch (a zero)
    cp_rows: np.ndarray  # (nd, k): the couplings of every dendrite in order, padded with n_cp (a zero)


def padded_rows(ptr: np.ndarray, pad: int) -> np.ndarray:
    """(rows, widest row) index matrix of a CSR ``ptr``, short rows padded with ``pad``: summing a value
    array (extended by one 0 at ``pad``) column by column adds each row's entries in CSR order, the
    order of the CPU kernel's loops."""
    deg = np.diff(ptr)
    k = int(deg.max(initial=0))
    out = np.full((deg.size, k), pad, dtype=np.int64)
    for c in range(k):
        has = deg > c
        out[has, c] = ptr[:-1][has] + c
    return out


def _i64(a) -> np.ndarray:
    return np.asarray(a).astype(np.int64)


def _check_inputs(c, engine_name: str) -> None:
    for s in c.inputs:
        if s.kind == "poisson":
            raise ValueError(
                f"{engine_name}: source {s.name!r} is a PoissonSource; the JAX engine takes deterministic "
                f"inputs (SpikeSource, RegularSource) or dense input arrays (soen.train); use the CPU "
                f"engine for Poisson drives")


def lower(c, *, engine_name: str = "the JAX engine"):
    """The lowered form (:class:`PointLowered` or :class:`SoenLowered`) of compiled network ``c``."""
    from .ir import Compiled

    if not isinstance(c, Compiled):
        raise TypeError(f"compiled must be a soen.Compiled (from soen.compile), got {type(c).__name__}")
    if c.kind == "point":
        return _lower_point(c, engine_name)
    if c.kind == "soen":
        return _lower_soen(c, engine_name)
    raise ValueError(f"{engine_name}: unknown compiled kind {c.kind!r}; expected 'point' or 'soen'")


def _lower_point(c, engine_name):
    p, st, m = c.params, c.structure, c.meta
    if "plastic_rules" in p:
        raise ValueError(f"{engine_name}: plastic projections (plasticity=...) are not supported; "
                         f"use soen.engines.CPU()")
    n = c.n_neurons
    pop_off, pop_n, pop_kind = _i64(st["pop_off"]), _i64(st["pop_n"]), _i64(st["pop_kind"])
    names = list(m["pop_names"])
    for j, k in enumerate(pop_kind):
        if int(k) not in _POINT_KINDS:
            raise ValueError(
                f"{engine_name}: population {names[j]!r} is a {m['models'][names[j]]}; the JAX engine "
                f"supports LIF, LI, CubaLIF, IF and I (use soen.engines.CPU() for the others)")
    rows_p = np.asarray(p["pop_row"], dtype=np.float64)
    order = np.argsort(pop_off, kind="stable")  # populations are contiguous from pop_off
    pop_of = np.empty(n, dtype=np.int64)
    for j in order:
        pop_of[pop_off[j]:pop_off[j] + pop_n[j]] = j
    rows = rows_p[pop_of]
    kind = pop_kind[pop_of]
    out_ptr = _i64(st["out_ptr"])
    n_nodes = out_ptr.size - 1
    pre = np.repeat(np.arange(n_nodes, dtype=np.int64), np.diff(out_ptr))
    tgt = _i64(st["out_tgt"])
    d = _i64(st["out_d"])
    if tgt.size and tgt.max() >= n:
        raise ValueError(f"{engine_name}: conductance targets ('exc'/'inh') are not supported")
    is_nn = pre < n
    if np.any(d[is_nn] < 1):
        raise ValueError(f"{engine_name}: same-step (zero-delay) projections between populations are not "
                         f"supported; give them a delay of at least one step")
    idx = np.arange(pre.size)
    _check_inputs(c, engine_name)
    return PointLowered(
        n=n, n_in=n_nodes - n, n_pops=int(pop_n.size), dt_ns=float(c.dt_ns), kind=kind, rows=rows,
        pop_of=pop_of, v0=np.asarray(p["v0"], dtype=np.float64), x0=np.asarray(p["x0"], dtype=np.float64),
        nn_pre=pre[is_nn], nn_tgt=tgt[is_nn], nn_d=d[is_nn], nn_e=idx[is_nn],
        in_pre=pre[~is_nn] - n, in_tgt=tgt[~is_nn], in_d=d[~is_nn], in_e=idx[~is_nn],
        ring=int(d.max(initial=0)) + 1, node0_in=n)


def _lower_soen(c, engine_name):
    p, st, m = c.params, c.structure, c.meta
    if "d_noise" in p:
        raise ValueError(f"{engine_name}: thermal noise (Hardware(thermal_noise=True)) is not supported")
    if "out_mu" in p and not np.all(np.isinf(np.asarray(p["out_mu"]))):
        raise ValueError(f"{engine_name}: photonic links with a finite photon number (hardware=soen.Hardware()) "
                         f"are not supported; use hardware=None or soen.Hardware(ideal=True)")
    _check_inputs(c, engine_name)
    dt = float(c.dt_ns)
    h = float(m["h_tau"])
    nd = int(m["n_dendrites"])
    nn = int(m["n_neurons"])
    nsyn = int(m["n_synapses"])
    n_conn = int(m["n_connections"])
    beta, alpha = np.asarray(p["d_beta"], float), np.asarray(p["d_alpha"], float)
    ch_type = _i64(st["ch_type"])
    ch_ptr = _i64(st["ch_ptr"])
    tr, tf, ths = (np.asarray(p[k], float) for k in ("st_tr_ns", "st_tf_ns", "st_ths_ns"))
    hs = np.ceil(ths / dt - 1e-9).astype(np.int64)
    lag = hs * dt
    st_e = np.stack([np.exp(-ths / tr), np.exp(-lag / tr), np.exp(-(lag - ths) / tf)], axis=1)
    cp_ptr = _i64(st["cp_ptr"])
    cp_src = _i64(st["cp_src"])
    cp_tgt = np.repeat(np.arange(nd, dtype=np.int64), np.diff(cp_ptr))
    nr_soma = _i64(st["nr_soma"])
    nr_ref_syn = _i64(st["nr_ref_syn"])
    dend_offset = _i64(st["dend_offset"])
    # the refractory dendrite of neuron i is the last dendrite of its block
    nr_ref_dend = dend_offset[1:] - 1
    out_ptr = _i64(st["out_ptr"])
    n_nodes = out_ptr.size - 1
    sy_pre = np.empty(nsyn, dtype=np.int64)
    sy_d = np.empty(nsyn, dtype=np.int64)
    sy_pre[:n_conn] = np.repeat(np.arange(n_nodes, dtype=np.int64), np.diff(out_ptr))[:n_conn]
    sy_d[:n_conn] = _i64(st["out_delay"])[:n_conn]
    sy_fixed = np.zeros(nsyn, dtype=bool)
    sy_pre[nr_ref_syn] = np.arange(nn)
    sy_d[nr_ref_syn] = 0  # pushed into the slot of the spike's own step
    sy_fixed[nr_ref_syn] = True
    sy_type = _i64(st["sy_type"])
    ref_set = np.zeros(nd, dtype=bool)
    ref_set[nr_ref_dend] = True
    cp_fixed = ref_set[cp_src]
    table = m["table"]
    q, i0, di, dphi, c_inf = table.kernel_arrays()
    ic_half = float(np.asarray(table.i_c(0.5)))
    return SoenLowered(
        nd=nd, nch=int(ch_type.size), nsyn=nsyn, nn=nn, n_in=n_nodes - nn, n_conn=n_conn, dt_ns=dt, h_tau=h,
        d_hb=h / beta, d_ahb=h * alpha / beta,
        ch_dend=np.repeat(np.arange(nd, dtype=np.int64), np.diff(ch_ptr)),
        ch_dr=np.exp(-dt / tr[ch_type]), ch_df=np.exp(-dt / tf[ch_type]),
        cp_src=cp_src, cp_tgt=cp_tgt, cp_fixed=cp_fixed,
        sy_ch=_i64(st["sy_ch"]), sy_pre=sy_pre, sy_d=sy_d,
        sy_A=np.asarray(p["st_A"], float)[sy_type], sy_ths=ths[sy_type], sy_tf=tf[sy_type],
        sy_dead=np.asarray(p["st_dead_ns"], float)[sy_type], sy_hs=hs[sy_type], sy_e=st_e[sy_type],
        sy_fixed=sy_fixed, nr_soma=nr_soma, nr_ref_steps=_i64(st["nr_ref_steps"]), nr_ref_dend=nr_ref_dend,
        ring=int(sy_d.max(initial=0)) + 1, pend=int(hs.max(initial=0)) + 1,
        table=(np.asarray(q, float), float(i0), float(di), float(dphi), float(c_inf)),
        i_range=(float(table.i_grid[0]), float(table.i_grid[-1])),
        s_max_src=np.maximum(np.asarray(p["d_bias"], float) - ic_half, 0.0), node0_in=nn,
        ch_rows=padded_rows(ch_ptr, int(ch_type.size)), cp_rows=padded_rows(cp_ptr, int(cp_src.size)))


def initial_params(c, trainable=None) -> dict:
    """The parameter pytree (dict name → float64 numpy array) of compiled network ``c``.

    ``trainable``: names to include (default: all of :data:`POINT_TRAINABLE` or :data:`SOEN_TRAINABLE`)."""
    allowed = POINT_TRAINABLE if c.kind == "point" else SOEN_TRAINABLE
    names = allowed if trainable is None else tuple(trainable)
    for k in names:
        if k not in allowed:
            raise ValueError(f"trainable: unknown parameter {k!r} for a {c.kind!r} network; allowed: {list(allowed)}")
    p = c.params
    out = {}
    for k in names:
        if k == "v_threshold_mV":
            out[k] = np.asarray(p["pop_row"], dtype=np.float64)[:, 2].copy()
        else:
            out[k] = np.asarray(p[k], dtype=np.float64).copy()
    return out


def full_params(c, params: dict) -> dict:
    """``params`` completed with the compiled values of every parameter the forward pass reads."""
    base = initial_params(c)
    base.update({k: v for k, v in params.items()})
    return base


def params_to_compiled(c, params: dict):
    """A copy of compiled network ``c`` with trained ``params`` written back (:meth:`Compiled.with_params`),
    ready for the CPU engine. ``v_threshold_mV`` goes into column 2 of ``pop_row``."""
    new = {}
    for k, v in params.items():
        a = np.asarray(v, dtype=np.float64)
        if k == "v_threshold_mV":
            row = np.array(c.params["pop_row"], dtype=np.float64)
            if a.shape != (row.shape[0],):
                raise ValueError(f"v_threshold_mV must have one value per population ({row.shape[0]}), got {a.shape}")
            row[:, 2] = np.where(row[:, 11] != 0.0, a, row[:, 2])  # non-spiking models keep +inf
            new["pop_row"] = row
        else:
            new[k] = a
    return c.with_params(**new)


def dense_inputs(c, n_steps: int, n0: int = 0) -> np.ndarray:
    """The explicit input spikes of ``c`` (SpikeSource, RegularSource) in steps [n0, n0 + n_steps) as a dense
    count array (n_steps, input channels), float64."""
    from ._inputs import explicit_events, spike_steps

    _check_inputs(c, "dense_inputs")
    n_nodes = int(c.meta["n_nodes"])
    n = c.n_neurons
    step, node = explicit_events(c.inputs, c.dt_ns, n0, n0 + n_steps, spike_steps(c.inputs, c.dt_ns))
    out = np.zeros((n_steps, n_nodes - n))
    np.add.at(out, (step - n0, node - n), 1.0)
    return out


def ring_length(delays: np.ndarray) -> int:
    return int(delays.max(initial=0)) + 1


def steps_for(duration_ns: float, dt_ns: float) -> int:
    return int(math.floor(duration_ns / dt_ns + 0.5))
