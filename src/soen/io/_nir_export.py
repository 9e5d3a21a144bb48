"""NIR export: a network of NIR-family point models as a ``nir.NIRGraph`` (see :mod:`soen.io.nir`).

Every soen parameter of a population is also kept in its node's metadata (``metadata["soen"]``) in
the network schema's form (``{"model": "LIF", "params": {...}}``, ``soen.io._schema``), which
:func:`soen.io.nir.from_nir` reads back for an exact round trip.
"""

from __future__ import annotations

import warnings

import numpy as np

import soen
from soen import models as M
from soen.model.network import Network

from ._nir_file import NS_PER_MS
from ._schema import Options, encode_point_model

__all__ = ["to_nir", "NIRExportWarning"]

_META = Options(drop_none=True)  # NIR metadata is an HDF5 tree: no nulls


def _nir():
    try:
        import nir
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("soen.io.nir needs the 'nir' package: pip install 'soen[nir]'") from e
    return nir


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
    soen_meta = encode_point_model(model, f"populations[{name!r}].neuron", _META)
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
    from soen.engine.compile import resolve_projection

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
            nodes[on] = nir.Affine(weight=np.eye(pop.n), bias=bias, metadata={"soen": {"i_offset_of": name}})
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
