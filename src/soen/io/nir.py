"""NIR interchange: import a NIR graph as a soen network of point models, export one to NIR.

NIR (Neuromorphic Intermediate Representation; Pedersen et al., Nat. Commun. 15, 8122 (2024)) states
continuous-time ODEs and leaves every discretisation choice to the simulator. :func:`from_nir` makes
each of them an explicit argument and writes the values used into ``NIRNetwork.metadata``:

=================  =================================================================================
``dt``             time step, in the graph's time unit (``time_unit_s`` seconds; NIR producers such as
                   snnTorch and Norse use seconds)
``integration``    ``"exact"`` (exponential propagator) or ``"euler"`` (forward Euler; what snnTorch's
                   exporter assumes: β = 1 − dt/τ, R = τ/dt so that v ← βv + I)
``euler_order``    CubaLIF under Euler only: ``"simultaneous"`` (I and v both from the values at t_n) or
                   ``"current_first"`` (v's step uses I_{n+1}: snnTorch's Synaptic, syn ← α syn + x,
                   mem ← β mem + syn, exported with α = 1 − dt/τ_syn, w_in = τ_syn/dt)
``reset``          ``"value"`` (v ← v_reset of the node, or ``reset_value``), ``"zero"`` (v ← 0),
                   ``"subtract"`` (v ← v − (v_th − v_reset))
``order``          ``"integrate_then_threshold"`` (propagate, threshold, reset at once) or
                   ``"deferred_reset"`` (snnTorch ``reset_delay=True``: the reset of a spike is applied
                   in the next step — a subtraction after, a reset-to-value before its propagation)
``threshold``      ``"ge"`` (spike when v ≥ v_th) or ``"gt"`` (v > v_th; snnTorch)
``propagation``    ``"same_step"`` (a spike of step n is integrated by its targets in step n: the
                   discrete-time reading of a feed-forward graph, as in snnTorch/Norse; zero-delay loops
                   are refused) or ``"next_step"`` (causal: one step per edge, soen's own semantics)
``time_unit_s``    seconds per graph time unit; potentials are read as mV and currents as nA (so R is
                   in MΩ), i.e. NIR's dimensionless numbers keep their values
=================  =================================================================================

``preset="snntorch"`` sets the six choices to snnTorch's (euler, current_first, subtract,
deferred_reset, gt, same_step) for its Leaky (LIF) and Synaptic (CubaLIF) exports; arguments given
explicitly win. Inputs are spike trains: an (T, n) array of non-negative integers (spike counts per
step) per Input node; a weight ``W`` of an Affine after the input becomes the weight of a synapse, its
bias a constant input current (``i_offset_nA``).

Supported nodes: Input, Output, Affine, Linear, Scale, Flatten, Conv1d, Conv2d, SumPool2d, AvgPool2d,
Delay (linear maps, composed and lowered to explicit sparse connections), LIF, CubaLIF, LI, IF, I,
Threshold (populations). Delays become connection delays (rounded to the step).

:func:`to_nir` exports a network of NIR-family point models (LIF, CubaLIF, LI, IF, I, Threshold) in
NIR parameters that any NIR reader simulates the same way (a constant input ``i_offset_nA`` becomes
v_leak + R·i_offset for LIF/LI, θ − i_offset for Threshold, an Affine bias in front of CubaLIF/IF/I; a
refractory period, which NIR lacks, is exported without it for other readers with a
:class:`NIRExportWarning`, or refused with ``refractory="error"``), and with every soen
parameter in node metadata, read back by :func:`from_nir` so that a round trip restores the network
exactly. Conductance-based and delta-current models and SOEN neurons are refused (ValueError says why).
"""

from __future__ import annotations

import warnings

import math
from dataclasses import dataclass, field

import numpy as np

import soen
from soen import models as M
from soen.model.network import FromList, Network, Normal, Population, SpikeSource, Uniform

__all__ = ["from_nir", "to_nir", "NIRNetwork", "NIRExportWarning", "PRESETS"]

NS_PER_MS = 1e6
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
_STATEFUL = ("LIF", "CubaLIF", "LI", "IF", "I", "Threshold")
_LINEAR = ("Affine", "Linear", "Scale", "Flatten", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Delay")


def _nir():
    try:
        import nir
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("soen.io.nir needs the 'nir' package: pip install 'soen[nir]'") from e
    return nir


def _ident(name: str) -> str:
    s = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in str(name))
    return s if s and not s[0].isdigit() else "n_" + s


# ------------------------------------------------------------------------------------------------
# linear operators → sparse matrices over C-order flattened indices
# ------------------------------------------------------------------------------------------------
def _conv_matrix(weight: np.ndarray, in_shape: tuple, stride, padding, dilation, groups: int):
    """Sparse (out, in) matrix of an N-d convolution (cross-correlation, as PyTorch/NIR). Returns
    (matrix as COO triplets, output spatial shape)."""
    import scipy.sparse as sp

    nd = weight.ndim - 2
    c_out, c_in_g = weight.shape[:2]
    ks = weight.shape[2:]
    c_in = in_shape[0]
    sp_in = tuple(int(v) for v in in_shape[1:])
    stride = tuple(int(s) for s in np.broadcast_to(stride, (nd,)))
    dilation = tuple(int(s) for s in np.broadcast_to(dilation, (nd,)))
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0,) * nd
        elif padding == "same":
            pads = tuple(dilation[k] * (ks[k] - 1) // 2 for k in range(nd))
        else:
            raise ValueError(f"convolution padding must be 'same', 'valid' or integers, got {padding!r}")
    else:
        pads = tuple(int(p) for p in np.broadcast_to(np.asarray(padding).ravel(), (nd,)))
    if c_in != c_in_g * groups:
        raise ValueError(
            f"convolution: {c_in} input channels do not match weight {weight.shape} with groups={groups}"
        )
    out_sp = tuple(
        (sp_in[k] + 2 * pads[k] - dilation[k] * (ks[k] - 1) - 1) // stride[k] + 1 for k in range(nd)
    )
    if isinstance(padding, str) and padding == "same":
        out_sp = sp_in
    grids = np.meshgrid(*[np.arange(o) for o in out_sp], indexing="ij")
    outs = [g.ravel() for g in grids]
    n_out_sp = int(np.prod(out_sp))
    rows, cols, vals = [], [], []
    per_group = c_out // groups
    for co in range(c_out):
        g = co // per_group
        for ci_g in range(c_in_g):
            ci = g * c_in_g + ci_g
            for kidx in np.ndindex(*ks):
                w = weight[(co, ci_g) + kidx]
                if w == 0:
                    continue
                pos = [outs[k] * stride[k] - pads[k] + kidx[k] * dilation[k] for k in range(nd)]
                ok = np.ones(n_out_sp, dtype=bool)
                for k in range(nd):
                    ok &= (pos[k] >= 0) & (pos[k] < sp_in[k])
                flat_in = np.full(n_out_sp, ci, dtype=np.int64)
                for k in range(nd):
                    flat_in = flat_in * sp_in[k] + np.where(ok, pos[k], 0)
                rows.append(co * n_out_sp + np.flatnonzero(ok))
                cols.append(flat_in[ok])
                vals.append(np.full(int(ok.sum()), float(w)))
    n_in = c_in * int(np.prod(sp_in))
    r = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
    v = np.concatenate(vals) if vals else np.empty(0)
    return sp.csc_matrix((v, (r, c)), shape=(c_out * n_out_sp, n_in)), (c_out, *out_sp)


def _pool_matrix(in_shape: tuple, kernel, stride, padding, scale: float):
    """Sum (scale = 1) or average pooling over the two last axes of (C, H, W)."""
    w = np.ones((in_shape[0], 1, *[int(k) for k in np.broadcast_to(kernel, (2,))])) * scale
    return _conv_matrix(w, in_shape, stride, padding, 1, groups=in_shape[0])


def _op_matrix(node, kind: str, shape: tuple):
    """(sparse matrix or None, output shape, bias over the output or None) of a linear node."""
    import scipy.sparse as sp

    n_in = int(np.prod(shape))
    if kind in ("Affine", "Linear"):
        W = np.asarray(node.weight, dtype=float)
        if W.ndim != 2 or W.shape[1] != n_in:
            raise ValueError(f"{kind} weight of shape {W.shape} does not fit an input of {n_in} elements")
        b = np.asarray(node.bias, dtype=float).ravel() if kind == "Affine" else None
        if b is not None and not np.any(b):
            b = None
        return sp.csc_matrix(W), (W.shape[0],), b
    if kind == "Conv1d" or kind == "Conv2d":
        W = np.asarray(node.weight, dtype=float)
        mat, out_shape = _conv_matrix(W, shape, node.stride, node.padding, node.dilation, int(node.groups))
        b = np.asarray(node.bias, dtype=float).ravel()
        if b.size and np.any(b):
            bias = np.repeat(np.broadcast_to(b, (out_shape[0],)), int(np.prod(out_shape[1:])))
        else:
            bias = None
        return mat, out_shape, bias
    if kind in ("SumPool2d", "AvgPool2d"):
        k = np.broadcast_to(np.asarray(node.kernel_size), (2,))
        scale = 1.0 if kind == "SumPool2d" else 1.0 / float(np.prod(k))
        mat, out_shape = _pool_matrix(shape, k, node.stride, node.padding, scale)
        return mat, out_shape, None
    raise AssertionError(kind)


def _per_element(val, shape: tuple) -> np.ndarray:
    """A NIR parameter as one value per element of ``shape`` (flattened), broadcasting if needed."""
    arr = np.asarray(val, dtype=float)
    if arr.size == int(np.prod(shape)):
        return arr.ravel()
    try:
        return np.broadcast_to(arr, shape).ravel()
    except ValueError:
        raise ValueError(
            f"NIR parameter of shape {arr.shape} does not fit a signal of shape {shape}"
        ) from None


def _compose(entries, mat):
    """entries (pre, cur, w, d) followed by a sparse (out, in) matrix (CSC) → new entries."""
    pre, cur, w, d = entries
    counts = np.diff(mat.indptr)[cur]
    rep = np.repeat(np.arange(cur.size), counts)
    starts = mat.indptr[cur]
    offs = np.arange(rep.size) - np.repeat(np.cumsum(counts) - counts, counts)
    idx = starts[rep] + offs
    return pre[rep], mat.indices[idx].astype(np.int64), w[rep] * mat.data[idx], d[rep]


# ------------------------------------------------------------------------------------------------
# import
# ------------------------------------------------------------------------------------------------
@dataclass
class NIRNetwork:
    """A NIR graph imported into soen.

    ``network`` holds the populations and projections (inputs are placeholders until
    :meth:`network_for` or :meth:`simulate` gets data); ``node_populations`` maps each stateful NIR
    node to ``[(population name, indices of the node's flattened elements)]`` (a node whose neurons
    differ in parameters is split into several populations); ``inputs`` / ``outputs`` map NIR Input /
    Output nodes to sizes / feeding nodes; ``metadata`` records every discretisation choice.
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
            times = []
            for c in range(n):
                steps = np.repeat(np.arange(x.shape[0]), x[:, c].astype(np.int64))
                times.append(steps * self.dt_ns)
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
            x = np.asarray(inputs[name])
            x = x.reshape(x.shape[0], -1)
            if x.shape[1] != n:
                raise ValueError(
                    f"input {name!r} must have shape (T, {n}) (or (T, *shape)), got {np.shape(inputs[name])}"
                )
            if not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x != np.round(x)):
                raise ValueError(
                    f"input {name!r} must hold spike counts (non-negative integers) per step; "
                    f"real-valued inputs are not supported by the spiking import"
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
        for node, src in self.outputs.items():
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
            n = sum(idx.size for _, idx in parts)
            arr = np.zeros((T, n))
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
            v = str(v) if v is not None else None
        if v is None:
            v = _DEFAULTS[k]
        if v not in allowed:
            raise ValueError(f"from_nir: {k} must be one of {list(allowed)}, got {v!r}")
        out[k] = v
    return out


def _params_of(node, kind: str, n: int) -> dict:
    """NIR parameters of a stateful node, broadcast and flattened to n values each."""
    names = dict(
        LIF=("tau", "r", "v_leak", "v_threshold", "v_reset"),
        CubaLIF=("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
        LI=("tau", "r", "v_leak"),
        IF=("r", "v_threshold", "v_reset"),
        I=("r",),
        Threshold=("threshold",),
    )[kind]
    out = {}
    for nm in names:
        val = getattr(node, nm, None)
        arr = np.asarray(0.0 if val is None else val, dtype=float)
        if arr.size == n:
            out[nm] = arr.ravel()
        elif arr.size == 1:
            out[nm] = np.full(n, float(arr.ravel()[0]))
        else:
            raise ValueError(f"NIR {kind} parameter {nm!r} has {arr.size} values for {n} neurons")
    return out


def _model_from(kind: str, par: dict, ch: dict, reset_value, ms: float):
    """One soen model from one neuron's NIR parameters (``ms``: ms per graph time unit)."""
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


def _soen_meta(node) -> dict:
    meta = getattr(node, "metadata", None)
    soen_meta = meta.get("soen") if isinstance(meta, dict) else None
    return soen_meta if isinstance(soen_meta, dict) else {}


def _model_from_metadata(node):
    """Exact soen model stored by :func:`to_nir` in a node's metadata, or None."""
    soen_meta = _soen_meta(node)
    if "model" not in soen_meta:
        return None
    cls = {c.__name__: c for c in M.POINT_MODELS}.get(str(soen_meta["model"]))
    if cls is None:
        return None
    kw = {}
    for k, v in dict(soen_meta.get("params", {})).items():
        if isinstance(v, dict) and "dist" in v:
            d = str(v["dist"])
            kw[k] = (
                Uniform(float(v["low"]), float(v["high"]))
                if d == "Uniform"
                else Normal(float(v["mean"]), float(v["std"]), float(v["low"]), float(v["high"]))
            )
        elif isinstance(v, (str, bytes, np.str_)):
            kw[k] = str(v.decode() if isinstance(v, bytes) else v)
        elif isinstance(v, (bool, np.bool_)):
            kw[k] = bool(v)
        elif np.ndim(v) > 0:
            kw[k] = np.asarray(v, dtype=float)
        else:
            kw[k] = float(v)
    return cls(**kw)


def _node_shape(node, kind: str) -> tuple:
    if kind == "Input":
        t = node.input_type
        shp = t.get("input") if isinstance(t, dict) else None
        if shp is None:
            raise ValueError("NIR Input node without input_type shape")
        return tuple(int(v) for v in np.asarray(shp).ravel())
    for nm in ("tau", "tau_mem", "r", "threshold"):
        val = getattr(node, nm, None)
        if val is not None:
            return tuple(np.shape(val)) or (1,)
    raise AssertionError(kind)


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
    graph : ``nir.NIRGraph`` or path (read with ``nir.read``).
    dt : time step in the graph's time unit (e.g. 1e-4 for snnTorch's export, whose unit is s).
    time_unit_s : seconds per graph time unit (default 1: times in seconds).
    integration, euler_order, reset, reset_value, order, threshold, propagation : discretisation
        choices (module docstring); None takes the ``preset``'s value, then a value stored by
        :func:`to_nir` in the graph metadata, then the default (exact, simultaneous, value,
        integrate_then_threshold, ge, same_step). ``euler_order`` applies to CubaLIF with Euler only
        (an explicit ``"current_first"`` with ``integration="exact"`` is refused).
    preset : ``"snntorch"`` or None.
    use_soen_metadata : rebuild models exactly from the metadata written by :func:`to_nir` (default).

    Returns
    -------
    NIRNetwork : the network, the node → population map and ``metadata`` with every choice made.

    Raises
    ------
    ValueError : unsupported node types, shape mismatches, zero-delay loops, invalid choices.

    An Affine node that :func:`to_nir` wrote for a node's ``i_offset_nA`` (metadata
    ``{"soen": {"i_offset_of": node}}``) is not counted again when that node is rebuilt from its
    soen metadata.
    """
    nir = _nir()
    if not isinstance(graph, nir.NIRGraph):
        graph = nir.read(graph)
    if not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0):
        raise ValueError(f"from_nir: dt must be a positive number (graph time units), got {dt!r}")
    if not (isinstance(time_unit_s, (int, float)) and math.isfinite(time_unit_s) and time_unit_s > 0):
        raise ValueError(f"from_nir: time_unit_s must be a positive number, got {time_unit_s!r}")
    gmeta = graph.metadata.get("soen", {}) if isinstance(graph.metadata, dict) else {}
    gmeta = gmeta if isinstance(gmeta, dict) else {}
    ch = _choices(
        dict(
            integration=integration,
            euler_order=euler_order,
            reset=reset,
            order=order,
            threshold=threshold,
            propagation=propagation,
        ),
        preset,
        gmeta,
    )
    if euler_order is not None and euler_order != "simultaneous" and ch["integration"] != "euler":
        raise ValueError(
            f"from_nir: euler_order={euler_order!r} needs integration='euler', got {ch['integration']!r}"
        )
    if ch["integration"] != "euler":
        ch["euler_order"] = "simultaneous"  # no order under the exact propagator (a preset's is dropped)
    ms = time_unit_s * 1e3  # ms per graph time unit
    dt_ns = dt * ms * NS_PER_MS

    kinds = {}
    for name, node in graph.nodes.items():
        k = type(node).__name__
        if k == "NIRGraph":
            raise ValueError(f"NIR node {name!r} is a nested graph: flatten it first (not supported)")
        if k not in _STATEFUL + _LINEAR + ("Input", "Output"):
            raise ValueError(
                f"NIR node {name!r} of type {k} is not supported by soen.io.nir; supported: "
                f"{sorted(_STATEFUL + _LINEAR + ('Input', 'Output'))}"
            )
        kinds[name] = k
    succ: dict = {n: [] for n in graph.nodes}
    for a, b in graph.edges:
        a = a if a in graph.nodes else str(a).split(".")[0]
        b = b if b in graph.nodes else str(b).split(".")[0]
        if a not in graph.nodes or b not in graph.nodes:
            raise ValueError(f"NIR edge {a!r} -> {b!r} names a missing node")
        succ[a].append(b)

    # ---- populations ----------------------------------------------------------------------------
    net = Network()
    node_pops: dict = {}
    node_size: dict = {}
    node_models: dict = {}
    used = set()

    def fresh(base):
        nm, k = _ident(base), 1
        while nm in used:
            nm, k = f"{_ident(base)}_{k}", k + 1
        used.add(nm)
        return nm

    inputs = {}
    from_meta = set()  # stateful nodes rebuilt exactly from to_nir's metadata (i_offset included)
    for name, k in kinds.items():
        if k == "Input":
            shape = _node_shape(graph.nodes[name], k)
            node_size[name] = (shape, int(np.prod(shape)))
            inputs[name] = (int(np.prod(shape)), fresh(name))
        elif k in _STATEFUL:
            node = graph.nodes[name]
            shape = _node_shape(node, k)
            n = int(np.prod(shape))
            node_size[name] = (shape, n)
            exact = _model_from_metadata(node) if use_soen_metadata else None
            if exact is not None:
                groups = [(exact, np.arange(n))]
                from_meta.add(name)
            else:
                par = _params_of(node, k, n)
                keys = np.stack([par[p] for p in par], axis=1)
                uniq, inv = np.unique(keys, axis=0, return_inverse=True)
                inv = np.asarray(inv).ravel()
                groups = []
                for g in range(uniq.shape[0]):
                    one = {p: float(uniq[g, j]) for j, p in enumerate(par)}
                    groups.append((_model_from(k, one, ch, reset_value, ms), np.flatnonzero(inv == g)))
            node_models[name] = groups
    # biases reaching each stateful node (constant inputs)
    bias_in: dict = {name: np.zeros(node_size[name][1]) for name in node_models}

    # ---- linear chains from every source (Input or stateful node) ----------------------------------
    conns = []  # (src node, dst node, pre, post, w, d)
    outputs = {}

    def walk(src, at, entries, shape, depth):
        if depth > len(graph.nodes):
            raise ValueError("NIR graph has a loop of linear nodes without a neuron in it")
        for nxt in succ[at]:
            k = kinds[nxt]
            if k == "Output":
                if at != src:
                    raise ValueError(
                        f"NIR Output {nxt!r} is fed by a linear map: not supported "
                        f"(outputs must be neuron or input nodes)"
                    )
                outputs[nxt] = src
            elif k in _STATEFUL:
                n_dst = node_size[nxt][1]
                if int(np.prod(shape)) != n_dst:
                    raise ValueError(
                        f"NIR edge into {nxt!r}: {int(np.prod(shape))} values for {n_dst} neurons"
                    )
                conns.append((src, nxt, *entries))
            elif k == "Input":
                raise ValueError(f"NIR edge into Input node {nxt!r}")
            else:
                walk(src, nxt, *_apply(graph.nodes[nxt], k, entries, shape), depth + 1)

    def _apply(node, k, entries, shape):
        pre, cur, w, d = entries
        if k == "Flatten":
            return entries, (int(np.prod(shape)),)
        if k == "Scale":
            s = _per_element(node.scale, shape)
            return (pre, cur, w * s[cur], d), shape
        if k == "Delay":
            dl = _per_element(node.delay, shape)
            if np.any(dl < 0):
                raise ValueError("NIR Delay with a negative delay")
            return (pre, cur, w, d + dl[cur]), shape
        mat, out_shape, _ = _op_matrix(node, k, shape)
        return _compose(entries, mat), out_shape

    for name, k in kinds.items():
        if k == "Input" or k in _STATEFUL:
            shape, n = node_size[name]
            ident = (np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64), np.ones(n), np.zeros(n))
            walk(name, name, ident, shape, 0)

    # biases: push every Affine/Conv bias forward through linear nodes to the neurons it reaches
    def push_bias(at, b, shape, depth):
        if depth > len(graph.nodes):
            raise ValueError("NIR graph has a loop of linear nodes without a neuron in it")
        for nxt in succ[at]:
            k = kinds[nxt]
            if k in _STATEFUL:
                bias_in[nxt] += b
            elif k == "Output":
                raise ValueError(f"NIR Output {nxt!r} is fed by a linear map with a bias: not supported")
            elif k in _LINEAR:
                node = graph.nodes[nxt]
                if k == "Flatten" or k == "Delay":
                    push_bias(nxt, b, (b.size,) if k == "Flatten" else shape, depth + 1)
                elif k == "Scale":
                    push_bias(nxt, b * _per_element(node.scale, shape), shape, depth + 1)
                else:
                    mat, out_shape, b2 = _op_matrix(node, k, shape)
                    push_bias(nxt, mat @ b + (b2 if b2 is not None else 0.0), out_shape, depth + 1)

    for name, k in kinds.items():
        if k in ("Affine", "Conv1d", "Conv2d"):
            node = graph.nodes[name]
            of = _soen_meta(node).get("i_offset_of")
            of = of.decode() if isinstance(of, bytes) else of
            if of is not None and str(of) in from_meta:
                continue  # to_nir's i_offset of a node whose metadata already restores it
            # the input shape of this node: from its type annotation, else from the weight
            it = node.input_type.get("input") if isinstance(node.input_type, dict) else None
            shape = (
                tuple(int(v) for v in np.asarray(it).ravel())
                if it is not None
                else (np.shape(node.weight)[1],)
            )
            _, out_shape, b = _op_matrix(node, k, shape)
            if b is not None:
                push_bias(name, b, out_shape, 0)

    # ---- populations and projections ------------------------------------------------------------
    loc = {}  # node -> (pop index per element, local index per element, [pop names])
    for name, groups in node_models.items():
        n = node_size[name][1]
        which = np.zeros(n, dtype=np.int64)
        local = np.zeros(n, dtype=np.int64)
        names = []
        parts = []
        for g, (model, idx) in enumerate(groups):
            pop = fresh(name if len(groups) == 1 else f"{name}_g{g}")
            b = bias_in[name][idx]
            if np.any(b) and hasattr(model, "i_offset_nA"):
                base = np.broadcast_to(np.asarray(model.i_offset_nA, dtype=float), (idx.size,))
                total = base + b
                val = float(total[0]) if np.all(total == total[0]) else total
                model = _replace(model, i_offset_nA=val)
            elif np.any(b):
                raise ValueError(f"NIR node {name!r} ({type(model).__name__}) cannot take a bias")
            net.add_population(Population(pop, int(idx.size), neuron=model))
            which[idx] = g
            local[idx] = np.arange(idx.size)
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
        inv = np.asarray(inv).ravel()
        ws = np.bincount(inv, weights=w, minlength=uk.shape[0])
        d_raw = np.rint(d[first] / dt) * dt  # rounded to whole steps (the engine takes only delays on the grid)
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
        nodes={k: kinds[k] for k in kinds},
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


def _replace(model, **kw):
    from dataclasses import replace

    return replace(model, **kw)


# ------------------------------------------------------------------------------------------------
# export
# ------------------------------------------------------------------------------------------------
def _meta_value(v):
    if isinstance(v, Uniform):
        return {"dist": "Uniform", "low": v.low, "high": v.high}
    if isinstance(v, Normal):
        return {"dist": "Normal", "mean": v.mean, "std": v.std, "low": v.low, "high": v.high}
    if isinstance(v, np.ndarray):
        return np.asarray(v, dtype=float)
    return v


_NO_NODE = (
    "neurons cannot be exported to NIR: SOEN neurons integrate "
    "flux through dendrites with the nonlinear SQUID rate table g(φ, i) and photonic "
    "SPD synapses, for which NIR has no node (NIR covers LIF-type point neurons); "
    "export a network of soen.models point neurons instead"
)


def _nir_node(nir, model, n: int, ms: float, name: str, refractory: str):
    """(NIR node, constant input left for an Affine bias or None) of one population.

    The constant input ``i_offset_nA`` is written into NIR parameters that a plain NIR reader
    simulates identically: LIF and LI take v_leak + R·i_offset (τ dv/dt = (v_leak − v) + R(u + i_off)
    = (v_leak + R i_off − v) + R u); Threshold takes θ − i_offset (u + i_off ≥ θ ⇔ u ≥ θ − i_off).
    CubaLIF, IF and I have no parameter that absorbs it without changing the transient (CubaLIF: the
    synaptic current would start at its steady value) or at all (no leak): the offset is returned, to
    become the bias of an Affine node in front of the population."""
    if not getattr(model, "_point_model", False):
        raise ValueError(f"{type(model).__name__} {_NO_NODE}")
    if isinstance(model, (M.CondExpLIF, M.DeltaLIF)):
        raise ValueError(
            f"{type(model).__name__} cannot be exported to NIR: NIR has no conductance-based "
            f"or refractory delta-synapse neuron node; use LIF/CubaLIF models to exchange a network"
        )
    full = lambda v: np.full(n, float(v))  # noqa: E731
    t_ref = float(getattr(model, "t_ref_ms", 0.0))
    if t_ref > 0 and refractory != "drop":
        msg = (
            f"population {name!r} ({type(model).__name__}): t_ref_ms={t_ref:g} ms has no NIR "
            f"equivalent (NIR neurons have no refractory period), so another NIR reader would simulate "
            f"a different network; it is kept in the soen metadata, which soen's from_nir reads back "
            f"(to_nir(..., refractory='drop') exports without this warning, refractory='error' refuses)"
        )
        if refractory == "error":
            raise ValueError(msg)
        warnings.warn(msg, NIRExportWarning, stacklevel=3)
    off = np.broadcast_to(np.asarray(getattr(model, "i_offset_nA", 0.0), dtype=float), (n,))
    params = {k: _meta_value(v) for k, v in model.params().items()}
    soen_meta = {"model": type(model).__name__, "params": params}
    has_off = bool(np.any(off))
    if has_off:
        soen_meta["i_offset_in"] = "bias" if isinstance(model, (M.CubaLIF, M.IF, M.I)) else "parameters"
    if t_ref > 0:
        soen_meta["dropped"] = "t_ref_ms"
    meta = {"soen": soen_meta}
    bias = None
    if isinstance(model, M.LIF):
        node = nir.LIF(
            tau=full(model.tau_ms / ms),
            r=full(model.r_MOhm),
            v_leak=full(model.v_leak_mV) + model.r_MOhm * off,
            v_threshold=full(model.v_threshold_mV),
            v_reset=full(model.v_reset_mV),
            metadata=meta,
        )
    elif isinstance(model, M.LI):
        node = nir.LI(
            tau=full(model.tau_ms / ms),
            r=full(model.r_MOhm),
            v_leak=full(model.v_leak_mV) + model.r_MOhm * off,
            metadata=meta,
        )
    elif isinstance(model, M.Threshold):
        node = nir.Threshold(threshold=full(model.threshold_nA) - off, metadata=meta)
    else:
        bias = off.copy() if has_off else None
        if isinstance(model, M.CubaLIF):
            node = nir.CubaLIF(
                tau_syn=full(model.tau_syn_ms / ms),
                tau_mem=full(model.tau_mem_ms / ms),
                r=full(model.r_MOhm),
                v_leak=full(model.v_leak_mV),
                v_threshold=full(model.v_threshold_mV),
                v_reset=full(model.v_reset_mV),
                w_in=full(model.w_in),
                metadata=meta,
            )
        elif isinstance(model, M.IF):
            node = nir.IF(
                r=full(model.r_mV_per_ms_nA * ms),
                v_threshold=full(model.v_threshold_mV),
                v_reset=full(model.v_reset_mV),
                metadata=meta,
            )
        elif isinstance(model, M.I):
            node = nir.I(r=full(model.r_mV_per_ms_nA * ms), metadata=meta)
        else:
            raise ValueError(f"{type(model).__name__} {_NO_NODE}")
    return node, bias


class NIRExportWarning(UserWarning):
    """A part of the exported network that NIR cannot express (it is kept in the soen metadata)."""


def to_nir(network: Network, *, seed: int = 0, time_unit_s: float = 1.0, refractory: str = "warn"):
    """Export a network of NIR-family point models to a ``nir.NIRGraph``.

    Populations become LIF/CubaLIF/LI/IF/I/Threshold nodes (parameters per neuron, times in
    ``time_unit_s`` seconds, mV ↔ 1, nA ↔ 1); sources become Input nodes; each projection becomes
    a Linear node (its dense (n_post, n_pre) weight matrix, connections drawn with ``seed`` as
    ``soen.simulate`` would) followed, when its delay is not 0, by a Delay node (one delay per
    projection required). Populations without outgoing projections get an Output node.

    A constant input ``i_offset_nA`` is written so that any NIR reader simulates it: LIF and LI
    export v_leak + R·i_offset, Threshold exports θ − i_offset (both exact), and CubaLIF, IF and I get
    an Affine node ``"<population>__offset"`` (identity weight, bias = i_offset) through which all
    their incoming edges pass (exact: NIR adds the bias to the input in every step; such a
    population needs an incoming projection). A refractory period (``t_ref_ms`` > 0) has no NIR
    equivalent: ``refractory="warn"`` (default) exports the neurons without it for other readers and
    warns (:class:`NIRExportWarning`), ``"drop"`` does so silently, ``"error"`` refuses (ValueError); it
    stays in the soen metadata in every case, so soen's round trip keeps it.

    Every soen parameter, as given, is also kept in node metadata (``metadata["soen"]``), and the
    graph metadata records ``propagation="next_step"`` (soen's causal semantics), for :func:`from_nir`
    to restore the network exactly (refractoriness included). What a plain NIR reader does not get
    is what NIR leaves to the simulator: discretisation (integration, reset mode and timing,
    threshold comparison) and initial values (NIR states start at 0).

    Raises
    ------
    ValueError : SOEN neurons, CondExpLIF/DeltaLIF, a projection with differing delays, a refractory
        period with ``refractory="error"``, a CubaLIF/IF/I population with ``i_offset_nA`` but no
        incoming projection, an unknown ``refractory``.
    """
    nir = _nir()
    from soen.engine.point import resolve_projection

    if not isinstance(network, Network):
        raise TypeError(f"to_nir expects a soen.Network, got {type(network).__name__}")
    if refractory not in ("warn", "drop", "error"):
        raise ValueError(f"to_nir: refractory must be 'warn', 'drop' or 'error', got {refractory!r}")
    ms = time_unit_s * 1e3
    nodes, edges = {}, []
    entry = {}  # population -> the node its incoming edges go to
    for name, pop in network.populations.items():
        nodes[name], bias = _nir_node(nir, pop.neuron, pop.n, ms, name, refractory)
        entry[name] = name
        if bias is not None:
            on = f"{name}__offset"
            nodes[on] = nir.Affine(
                weight=np.eye(pop.n), bias=bias, metadata={"soen": {"i_offset_of": name}}
            )
            edges.append((on, name))
            entry[name] = on
    for name, src in network.sources.items():
        nodes[name] = nir.Input(
            input_type={"input": np.array([src.n])}, metadata={"soen": {"source": type(src).__name__}}
        )
    has_out, has_in = set(), set()
    for p_index, proj in enumerate(network.projections):
        pre, post, w, delay = resolve_projection(network, p_index, seed)
        if proj.target not in ("sites", "current"):
            raise ValueError(
                f"projection {proj.pre!r}->{proj.post!r}: target {proj.target!r} has no NIR meaning"
            )
        n_pre = (
            network.populations[proj.pre].n
            if proj.pre in network.populations
            else network.sources[proj.pre].n
        )
        n_post = network.populations[proj.post].n
        W = np.zeros((n_post, n_pre))
        np.add.at(W, (post, pre), w)
        lin = f"{proj.pre}__{proj.post}__{p_index}"
        nodes[lin] = nir.Linear(weight=W)
        edges.append((proj.pre, lin))
        d_unique = np.unique(delay)
        if d_unique.size > 1:
            raise ValueError(
                f"projection {proj.pre!r}->{proj.post!r} has {d_unique.size} different delays; NIR "
                f"Delay nodes delay an edge uniformly: export one delay per projection"
            )
        if d_unique.size and d_unique[0] > 0:
            dn = lin + "__delay"
            nodes[dn] = nir.Delay(delay=np.full(n_post, d_unique[0] / NS_PER_MS / ms))
            edges += [(lin, dn), (dn, entry[proj.post])]
        else:
            edges.append((lin, entry[proj.post]))
        has_out.add(proj.pre)
        has_in.add(proj.post)
    for name, pop in network.populations.items():
        if entry[name] != name and name not in has_in:
            raise ValueError(
                f"population {name!r} ({type(pop.neuron).__name__}): i_offset_nA is exported as the "
                f"bias of an Affine node on its input, but it has no incoming projection; NIR has no "
                f"parameter of {type(pop.neuron).__name__} for a constant input (use LIF, or give it an "
                f"incoming projection)"
            )
        if name not in has_out:
            on = f"{name}__output"
            nodes[on] = nir.Output(output_type={"output": np.array([pop.n])})
            edges.append((name, on))
    meta = {
        "soen": {
            "version": soen.__version__,
            "propagation": "next_step",
            "time_unit_s": float(time_unit_s),
            "voltage_unit": "mV",
            "current_unit": "nA",
            "seed": int(seed),
        }
    }
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta, type_check=False)
