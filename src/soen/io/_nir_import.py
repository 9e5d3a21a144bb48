"""NIR import: a NIR graph (a ``.nir`` file, read as hostile data, or a ``nir.NIRGraph``) as a soen
network of point models, with every discretisation choice explicit (see :mod:`soen.io.nir`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from soen import models as M
from soen.model.network import FromList, Network, Population, SpikeSource

from ._nir_file import NS_PER_MS, STATEFUL, Graph, Node, graph_of, read_graph
from ._nir_lower import lower, push_biases
from ._safe import FileFormatError, describe, printable
from ._schema import SchemaError, decode_point_model

__all__ = ["from_nir", "NIRNetwork", "PRESETS"]

PRESETS = {
    "snntorch": dict(
        integration="euler",
        euler_order="current_first",
        reset="subtract",
        order="deferred_reset",
        threshold="gt",
        propagation="same_step",
    ),
}
_DEFAULTS = dict(
    integration="exact",
    euler_order="simultaneous",
    reset="value",
    order="integrate_then_threshold",
    threshold="ge",
    propagation="same_step",
)
_CHOICES = dict(
    integration=("exact", "euler"),
    euler_order=("simultaneous", "current_first"),
    reset=("value", "zero", "subtract"),
    order=("integrate_then_threshold", "deferred_reset"),
    threshold=("ge", "gt"),
    propagation=("same_step", "next_step"),
)
#: NIR parameters of each stateful node, in the order soen's models take them
_PARAMS = dict(
    LIF=("tau", "r", "v_leak", "v_threshold", "v_reset"),
    CubaLIF=("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
    LI=("tau", "r", "v_leak"),
    IF=("r", "v_threshold", "v_reset"),
    I=("r",),
    Threshold=("threshold",),
)


def _ident(name: str) -> str:
    s = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in str(name))
    return s if s and not s[0].isdigit() else "n_" + s


@dataclass
class NIRNetwork:
    """A NIR graph imported into soen.

    ``network`` holds the populations and projections (inputs are placeholders until
    :meth:`network_for` or :meth:`simulate` gets data); ``node_populations`` maps each stateful NIR
    node to ``[(population name, indices of the node's flattened elements)]`` (a node whose neurons
    differ in parameters is split into several populations); ``inputs`` / ``outputs`` map NIR Input /
    Output nodes to sizes / feeding nodes; ``same_step`` lists the projections delivered within the
    step (also marked ``Projection.same_step``); ``metadata`` records every discretisation choice.
    """

    network: Network
    dt_ns: float
    node_populations: dict
    inputs: dict
    outputs: dict
    same_step: frozenset
    metadata: dict = field(default_factory=dict)

    def network_for(self, inputs) -> Network:
        """A copy of :attr:`network` whose Input nodes spike as given: ``inputs`` maps an Input node
        name to a (T, n) array of non-negative integers (spikes per step; step t ↔ time t·dt), or is a
        single array when the graph has one Input."""
        data = self._input_arrays(inputs)
        net = Network()
        for p in self.network.populations.values():
            net.add_population(p)
        for name, (n, src_name) in self.inputs.items():
            x = data[name]
            times = [
                np.repeat(np.arange(x.shape[0]), x[:, c].astype(np.int64)) * self.dt_ns for c in range(n)
            ]
            net.add_source(SpikeSource(src_name, times_ns=tuple(times)))
        for pr in self.network.projections:
            net.add_projection(pr)
        return net

    def _input_arrays(self, inputs) -> dict:
        if not isinstance(inputs, dict):
            if len(self.inputs) != 1:
                raise ValueError(f"this graph has inputs {sorted(self.inputs)}: pass a dict name -> array")
            inputs = {next(iter(self.inputs)): inputs}
        out = {}
        for name, (n, _) in self.inputs.items():
            if name not in inputs:
                raise ValueError(f"no data for NIR input {name!r}")
            try:
                x = np.asarray(inputs[name], dtype=float)
            except (TypeError, ValueError):
                raise TypeError(
                    f"input {name!r} must be an array of spike counts, got {describe(inputs[name])}"
                ) from None
            if x.ndim < 1 or x.shape[0] == 0 or x.size % x.shape[0] or x.size // x.shape[0] != n:
                raise ValueError(
                    f"input {name!r} must have shape (T, {n}) (or (T, *shape)) with T >= 1, "
                    f"got {np.shape(inputs[name])}"
                )
            x = x.reshape(x.shape[0], n)
            if not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x != np.round(x)) or np.any(x > 2**20):
                raise ValueError(
                    f"input {name!r} must hold spike counts (non-negative integers below 2**20) per "
                    "step; real-valued inputs are not supported by the spiking import"
                )
            out[name] = x
        return out

    def simulate(self, inputs, *, seed: int = 0, threads: int | None = None) -> dict:
        """Run on ``inputs`` (see :meth:`network_for`) for T steps; return, per Output node, a (T, n)
        array: spikes emitted in step t (spiking nodes) or the potential v after step t (LI, I), in
        the NIR graph's values (mV ↔ 1)."""
        from soen import simulate

        data = self._input_arrays(inputs)
        T = next(iter(data.values())).shape[0]
        net = self.network_for(data)
        rec = []
        for src in self.outputs.values():
            if src in self.node_populations and not self._spiking(src):
                rec += [(pop, idx) for pop, idx in self.node_populations[src]]
        # one extra step so that the potential after step T-1 is sampled
        res = simulate(
            net,
            (T + 1) * self.dt_ns,
            dt_ns=self.dt_ns,
            seed=seed,
            record=[(pop, None) for pop, _ in rec] or None,
            threads=threads,
        )
        outs = {}
        for node, src in self.outputs.items():
            if src in self.inputs:
                outs[node] = data[src].astype(float)
                continue
            parts = self.node_populations[src]
            arr = np.zeros((T, sum(idx.size for _, idx in parts)))
            for pop, idx in parts:
                if self._spiking(src):
                    t, ids = res.spikes(pop)
                    step = np.rint(t / self.dt_ns).astype(np.int64) - 1
                    keep = step < T
                    np.add.at(arr, (step[keep], idx[ids[keep]]), 1.0)
                else:
                    cols = [k for k, lab in enumerate(res.trace_labels) if lab[0] == pop]
                    arr[:, idx] = res.traces_s[1 : T + 1][:, cols]
            outs[node] = arr
        return outs

    def _spiking(self, node) -> bool:
        pop = self.node_populations[node][0][0]
        return self.network.populations[pop].neuron._spiking()


def _choices(kw: dict, preset, graph_meta: dict) -> dict:
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)} or None, got {preset!r}")
    out = {}
    for k, allowed in _CHOICES.items():
        v = kw[k]
        if v is None and preset is not None:
            v = PRESETS[preset][k]
        if v is None:
            v = graph_meta.get(k)
            v = v if isinstance(v, str) or v is None else str(v)
            if v is not None and v not in allowed:
                raise ValueError(
                    printable(f"NIR graph metadata soen.{k} = {v!r} is not one of {list(allowed)}")
                )
        if v is None:
            v = _DEFAULTS[k]
        if v not in allowed:
            raise ValueError(f"from_nir: {k} must be one of {list(allowed)}, got {v!r}")
        out[k] = v
    return out


def _params_of(node: Node, n: int) -> dict:
    """NIR parameters of a stateful node, broadcast and flattened to n values each."""
    out = {}
    for nm in _PARAMS[node.kind]:
        arr = node.p.get(nm, np.zeros(1))
        out[nm] = arr.ravel() if arr.size == n else np.full(n, float(arr.ravel()[0]))
    return out


def _model_from(node: Node, par: dict, ch: dict, reset_value, ms: float):
    """One soen model from one neuron's NIR parameters (``ms``: ms per graph time unit)."""
    kind = node.kind
    common = dict(integration=ch["integration"])
    spiking = dict(
        reset="subtract" if ch["reset"] == "subtract" else "value",
        reset_timing="next_step" if ch["order"] == "deferred_reset" else "immediate",
        threshold_strict=ch["threshold"] == "gt",
    )

    def v_reset(vr):
        if ch["reset"] == "zero":
            return 0.0
        if ch["reset"] == "value" and reset_value is not None:
            return float(reset_value)
        return float(vr)

    try:
        if kind == "LIF":
            return M.LIF(
                tau_ms=par["tau"] * ms,
                r_MOhm=par["r"],
                v_leak_mV=par["v_leak"],
                v_threshold_mV=par["v_threshold"],
                v_reset_mV=v_reset(par["v_reset"]),
                **spiking,
                **common,
            )
        if kind == "CubaLIF":
            return M.CubaLIF(
                tau_syn_ms=par["tau_syn"] * ms,
                tau_mem_ms=par["tau_mem"] * ms,
                r_MOhm=par["r"],
                v_leak_mV=par["v_leak"],
                v_threshold_mV=par["v_threshold"],
                v_reset_mV=v_reset(par["v_reset"]),
                w_in=par["w_in"],
                euler_order=ch["euler_order"],
                **spiking,
                **common,
            )
        if kind == "LI":
            return M.LI(tau_ms=par["tau"] * ms, r_MOhm=par["r"], v_leak_mV=par["v_leak"], **common)
        if kind == "IF":
            return M.IF(
                r_mV_per_ms_nA=par["r"] / ms,
                v_threshold_mV=par["v_threshold"],
                v_reset_mV=v_reset(par["v_reset"]),
                **spiking,
                **common,
            )
        if kind == "I":
            return M.I(r_mV_per_ms_nA=par["r"] / ms, **common)
        return M.Threshold(threshold_nA=par["threshold"], threshold_strict=ch["threshold"] == "gt")
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise node.error(f"invalid parameters ({exc})") from None


def _soen_meta(node: Node) -> dict:  # the "soen" entry of a node's metadata
    m = node.metadata.get("soen") if isinstance(node.metadata, dict) else None
    return m if isinstance(m, dict) else {}


def _model_from_metadata(node: Node):
    """Exact soen model stored by :func:`to_nir` in a node's metadata (the network schema), or None."""
    meta = _soen_meta(node)
    if "model" not in meta:
        return None
    try:
        return decode_point_model({k: meta[k] for k in ("model", "params") if k in meta}, "metadata.soen")
    except SchemaError as exc:
        raise node.error(f"soen metadata: {exc}") from None


def from_nir(
    graph,
    *,
    dt: float,
    time_unit_s: float = 1.0,
    integration: str | None = None,
    euler_order: str | None = None,
    reset: str | None = None,
    reset_value: float | None = None,
    order: str | None = None,
    threshold: str | None = None,
    propagation: str | None = None,
    preset: str | None = None,
    use_soen_metadata: bool = True,
) -> NIRNetwork:
    """Import a NIR graph (a ``nir.NIRGraph`` or a path to a ``.nir`` file) as a soen network.

    Parameters
    ----------
    graph : ``nir.NIRGraph`` or path. A file is read as hostile data (sizes, links, node types and
        parameter shapes checked; errors name the file and the node), without trusting NIR's reader.
    dt : time step in the graph's time unit (e.g. 1e-4 for snnTorch's export, whose unit is s).
    time_unit_s : seconds per graph time unit (default 1: times in seconds).
    integration, euler_order, reset, reset_value, order, threshold, propagation : discretisation
        choices (module docstring of :mod:`soen.io.nir`); None takes the ``preset``'s value, then a
        value stored by :func:`to_nir` in the graph metadata, then the default (exact, simultaneous,
        value, integrate_then_threshold, ge, same_step). ``euler_order`` applies to CubaLIF with Euler
        only (an explicit ``"current_first"`` with ``integration="exact"`` is refused).
    preset : ``"snntorch"`` or None.
    use_soen_metadata : rebuild models exactly from the metadata written by :func:`to_nir` (default).

    Returns
    -------
    NIRNetwork : the network, the node → population map and ``metadata`` with every choice made.

    Raises
    ------
    FileNotFoundError : a missing file. ValueError (:class:`~soen.io.FileFormatError` for files):
    unsupported or malformed nodes (named), shape mismatches, zero-delay loops, invalid choices.

    An Affine node that :func:`to_nir` wrote for a node's ``i_offset_nA`` (metadata
    ``{"soen": {"i_offset_of": node}}``) is not counted again when that node is rebuilt from its
    soen metadata.
    """
    for nm, v in (("dt", dt), ("time_unit_s", time_unit_s)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and v > 0):
            raise ValueError(f"from_nir: {nm} must be a positive number (graph time units), got {v!r}")
    if reset_value is not None and (
        isinstance(reset_value, bool)
        or not isinstance(reset_value, (int, float))
        or not math.isfinite(reset_value)
    ):
        raise ValueError(f"from_nir: reset_value must be a finite number or None, got {reset_value!r}")
    if not 1e-12 <= dt * time_unit_s * 1e9 <= 1e18:
        raise ValueError(
            f"from_nir: dt × time_unit_s = {dt * time_unit_s:g} s is outside the time steps soen "
            "simulates (1e-21 s .. 1e9 s)"
        )
    if not isinstance(use_soen_metadata, bool):
        raise TypeError(f"from_nir: use_soen_metadata must be True or False, got {use_soen_metadata!r}")
    if isinstance(graph, (str, Path)):
        g, src = read_graph(graph), Path(graph)
    else:
        g, src = graph_of(graph), None
    try:
        return _import(
            g,
            dt,
            time_unit_s,
            dict(
                integration=integration,
                euler_order=euler_order,
                reset=reset,
                order=order,
                threshold=threshold,
                propagation=propagation,
            ),
            reset_value,
            preset,
            use_soen_metadata,
            euler_order,
        )
    except FileFormatError:
        raise
    except ValueError as exc:
        if src is None or str(exc).startswith("from_nir:"):
            raise
        raise FileFormatError(str(exc), file=src) from None


def _import(g: Graph, dt, time_unit_s, kw, reset_value, preset, use_meta, euler_order) -> NIRNetwork:
    gm = g.metadata.get("soen", {}) if isinstance(g.metadata, dict) else {}
    ch = _choices(kw, preset, gm if isinstance(gm, dict) else {})
    if euler_order is not None and euler_order != "simultaneous" and ch["integration"] != "euler":
        raise ValueError(
            f"from_nir: euler_order={euler_order!r} needs integration='euler', got {ch['integration']!r}"
        )
    if ch["integration"] != "euler":
        ch["euler_order"] = "simultaneous"  # no order under the exact propagator (a preset's is dropped)
    ms = time_unit_s * 1e3  # ms per graph time unit
    dt_ns = dt * ms * NS_PER_MS
    net, used, node_pops, node_models, inputs, from_meta = Network(), set(), {}, {}, {}, set()

    def fresh(base):
        nm, k = _ident(base), 1
        while nm in used:
            nm, k = f"{_ident(base)}_{k}", k + 1
        used.add(nm)
        return nm

    for name, node in g.nodes.items():
        if node.kind == "Input":
            inputs[name] = (math.prod(node.shape), fresh(name))
        elif node.kind in STATEFUL:
            n = math.prod(node.shape)
            exact = _model_from_metadata(node) if use_meta else None
            if exact is not None:
                node_models[name] = [(exact, np.arange(n))]
                from_meta.add(name)
                continue
            par = _params_of(node, n)
            uniq, inv = np.unique(np.stack([par[p] for p in par], axis=1), axis=0, return_inverse=True)
            inv = np.asarray(inv).ravel()
            node_models[name] = [
                (
                    _model_from(node, {p: float(uniq[i, j]) for j, p in enumerate(par)}, ch, reset_value, ms),
                    np.flatnonzero(inv == i),
                )
                for i in range(uniq.shape[0])
            ]
    sources = {k: g.nodes[k].shape for k in (*inputs, *node_models)}
    conns, outputs, in_shapes = lower(g, sources)
    bias_in = {name: np.zeros(math.prod(g.nodes[name].shape)) for name in node_models}
    skip = set()
    for name, node in g.nodes.items():
        of = _soen_meta(node).get("i_offset_of")
        if isinstance(of, str) and of in from_meta:
            skip.add(name)  # to_nir's i_offset of a node whose metadata already restores it
    push_biases(g, in_shapes, bias_in, skip)

    loc = {}  # node -> (group per element, local index per element, [population names])
    for name, groups in node_models.items():
        n = math.prod(g.nodes[name].shape)
        which, local, names, parts = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), [], []
        for gi, (model, idx) in enumerate(groups):
            pop = fresh(name if len(groups) == 1 else f"{name}_g{gi}")
            b = bias_in[name][idx]
            if np.any(b) and hasattr(model, "i_offset_nA"):
                total = np.broadcast_to(np.asarray(model.i_offset_nA, dtype=float), (idx.size,)) + b
                model = replace(model, i_offset_nA=float(total[0]) if np.all(total == total[0]) else total)
            elif np.any(b):
                raise g.nodes[name].error(f"{type(model).__name__} cannot take a bias")
            net.add_population(Population(pop, int(idx.size), neuron=model))
            which[idx], local[idx] = gi, np.arange(idx.size)
            names.append(pop)
            parts.append((pop, idx))
        node_pops[name] = parts
        loc[name] = (which, local, names)
    for name, (n, src_name) in inputs.items():
        net.add_source(SpikeSource(src_name, times_ns=tuple(np.empty(0) for _ in range(n))))
        loc[name] = (np.zeros(n, dtype=np.int64), np.arange(n), [src_name])

    same_step = set()
    for src, dst, pre, post, w, d in conns:
        if pre.size == 0:
            continue
        # merge parallel paths: sum the weights of identical (pre, post, delay)
        key = np.stack([pre, post, np.rint(d / dt).astype(np.int64)], axis=1)
        uk, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
        ws = np.bincount(np.asarray(inv).ravel(), weights=w, minlength=uk.shape[0])
        d_raw = (
            np.rint(d[first] / dt) * dt
        )  # rounded to whole steps (the engine takes only delays on the grid)
        keep = ws != 0
        uk, ws, d_raw = uk[keep], ws[keep], d_raw[keep]
        sw, sl, snames = loc[src]
        dw, dl, dnames = loc[dst]
        for gs in range(len(snames)):
            for gd in range(len(dnames)):
                m = (sw[uk[:, 0]] == gs) & (dw[uk[:, 1]] == gd)
                if not m.any():
                    continue
                same = ch["propagation"] == "same_step" and src in node_models
                net.connect(
                    snames[gs],
                    dnames[gd],
                    FromList(sl[uk[m, 0]], dl[uk[m, 1]]),
                    weight=ws[m],
                    delay_ns=d_raw[m] * ms * NS_PER_MS,
                    same_step=same,
                )
                if same:
                    same_step.add(len(net.projections) - 1)
    meta = dict(
        ch,
        dt=float(dt),
        time_unit_s=float(time_unit_s),
        dt_ns=float(dt_ns),
        reset_value=reset_value,
        preset=preset,
        voltage_unit="mV",
        current_unit="nA",
        delays="rounded to whole steps on import",
        input="spike counts per step; step t at time t*dt, integrated in step t",
        output="spikes of step t at index t; potentials after step t",
        nodes={k: nd.kind for k, nd in g.nodes.items()},
    )
    return NIRNetwork(
        network=net,
        dt_ns=float(dt_ns),
        node_populations=node_pops,
        inputs=inputs,
        outputs=outputs,
        same_step=frozenset(same_step),
        metadata=meta,
    )
