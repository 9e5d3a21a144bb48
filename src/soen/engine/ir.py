"""The compiled network: one frozen, complete, engine-neutral description of a run's network.

``soen.compile(network, dt_ns=…, seed=…)`` resolves connectors, distributions, device spread, photonic
links and units once and returns a :class:`Compiled`:

* ``params`` — every value a user may tune or train, as read-only float arrays with one row per
  element: dendrite β, α, bias and flux offset, couplings J, synapse weights, synapse-type kernels,
  thresholds, link μ and jitter, noise amplitudes (SOEN networks); weights, per-neuron input offsets,
  initial states and per-population parameter rows (point models);
* ``structure`` — read-only index and pointer arrays: CSR of couplings and outgoing connections,
  delays in steps, channels, the incoming synapses of every neuron, stable keys;
* ``inputs`` — the sources as descriptions (:class:`soen.engine._inputs.InputSpec`), never their spikes;
* ``meta`` — names, offsets, labels, units and provenance (the rate table, the hardware).

The duration is not part of it: one compiled network runs for any duration and resumes. Its
:meth:`Compiled.fingerprint_parts` hash everything that changes the dynamics; a checkpoint stores them
and a resume names the first part that differs. Engines (:mod:`soen.engines`) consume it; layout
details of one engine (ring and pending-buffer sizes) are derived by that engine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

__all__ = ["Compiled", "compile"]


def _freeze(d: dict) -> Mapping:
    out = {}
    for k, v in d.items():
        if isinstance(v, np.ndarray):
            v = v.view()
            v.setflags(write=False)
        out[k] = v
    return MappingProxyType(out)


def _hash_array(a) -> str:
    a = np.ascontiguousarray(a)
    h = hashlib.sha256(f"{a.dtype.str}|{a.shape}|".encode())
    h.update(memoryview(a.reshape(-1)).cast("B"))  # no copy of the array
    return h.hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class Compiled:
    """A network compiled for one time step and seed (see the module docstring)."""

    kind: str  # "soen" (superconducting loop neurons) or "point" (soen.models)
    dt_ns: float
    seed: int
    params: Mapping[str, np.ndarray]
    structure: Mapping[str, Any]
    inputs: tuple
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", _freeze(dict(self.params)))
        object.__setattr__(self, "structure", _freeze(dict(self.structure)))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    # ---- sizes ---------------------------------------------------------------------------------
    @property
    def n_neurons(self) -> int:
        return int(self.meta["n_neurons"])

    @property
    def n_synapses(self) -> int:
        return int(self.meta["n_synapses"])

    @property
    def populations(self) -> dict:
        """name → (first global neuron id, size)."""
        return {k: (int(self.meta["pop_offset"][k]), int(self.meta["pop_size"][k])) for k in self.meta["pop_offset"]}

    def nbytes(self) -> int:
        """Bytes held by the arrays of ``params`` and ``structure``."""
        return int(sum(v.nbytes for d in (self.params, self.structure) for v in d.values()
                       if isinstance(v, np.ndarray)))

    # ---- identity ------------------------------------------------------------------------------
    def fingerprint_parts(self) -> dict[str, str]:
        """A short hash of every part that changes the dynamics, keyed by its name."""
        parts = {"kind": self.kind, "dt_ns": repr(float(self.dt_ns)), "seed": str(int(self.seed))}
        for group, d in (("params", self.params), ("structure", self.structure)):
            for k in sorted(d):
                v = d[k]
                parts[f"{group}.{k}"] = _hash_array(v) if isinstance(v, np.ndarray) else repr(v)
        parts["inputs"] = hashlib.sha256("\n".join(s.describe() for s in self.inputs).encode()).hexdigest()[:16]
        for k in ("table_hash",):
            if k in self.meta:
                parts[f"meta.{k}"] = str(self.meta[k])
        return parts

    def fingerprint(self) -> str:
        """One hash of :meth:`fingerprint_parts`."""
        h = hashlib.sha256()
        for k, v in sorted(self.fingerprint_parts().items()):
            h.update(f"{k}={v}\n".encode())
        return h.hexdigest()

    def with_params(self, **arrays) -> Compiled:
        """A copy with some ``params`` replaced (same names, shapes and finite values; e.g. trained
        weights). Structure, inputs and meta are shared."""
        new = dict(self.params)
        for k, v in arrays.items():
            if k not in new:
                raise ValueError(f"with_params: unknown parameter {k!r}; known: {sorted(new)}")
            a = np.array(v, dtype=new[k].dtype)
            if a.shape != new[k].shape:
                raise ValueError(f"with_params: {k} must have shape {new[k].shape}, got {a.shape}")
            if a.dtype.kind == "f" and not np.isfinite(a).all():
                raise ValueError(f"with_params: {k} must be finite")
            new[k] = a
        return Compiled(self.kind, self.dt_ns, self.seed, new, dict(self.structure), self.inputs, dict(self.meta))

    def __repr__(self) -> str:
        return (f"Compiled(kind={self.kind!r}, dt_ns={self.dt_ns}, seed={self.seed}, neurons={self.n_neurons}, "
                f"synapses={self.n_synapses}, {self.nbytes() / 2**20:.1f} MiB)")


def _is_point(network) -> bool:
    kinds = {bool(getattr(p.neuron, "_point_model", False)) for p in network.populations.values()}
    if kinds == {True, False}:
        raise ValueError("a network mixing SOEN neurons and standard point models (LIF, …) cannot be simulated "
                         "yet; use one kind per network")
    return kinds == {True}


def compile(network, *, dt_ns: float, seed: int = 0, table=None, hardware=None, layout=None) -> Compiled:  # noqa: A001
    """Compile ``network`` for time step ``dt_ns`` (ns) and ``seed`` into a frozen :class:`Compiled`.

    ``table``: the :class:`soen.circuits.RateTable` of g(φ, i) (default: the shipped circuit table);
    ``hardware``/``layout``: photonic delivery, device spread and noise (:class:`soen.Hardware`,
    :class:`soen.photonics.Layout`; SOEN networks only). The result runs for any duration
    (``soen.simulate(compiled, duration_ns)``).

    >>> import soen
    >>> net = soen.Network()
    >>> _ = net.add_population("n", 2, soen.point_neuron())
    >>> c = soen.compile(net, dt_ns=0.1, seed=1)
    >>> c.kind, c.n_neurons
    ('soen', 2)
    """
    from soen.model.network import Network

    from ._validate import check_dt_ns, check_seed

    if not isinstance(network, Network):
        raise TypeError(f"network must be a soen.Network, got {type(network).__name__}")
    if not network.populations:
        raise ValueError("network has no populations: add one with Network.add_population")
    dt_ns = check_dt_ns(dt_ns)
    seed = check_seed(seed)
    if _is_point(network):
        if hardware is not None or layout is not None:
            raise ValueError("hardware= and layout= apply to SOEN neurons; this network holds standard point "
                             "models (soen.models), which have no photonic layer: leave them out")
        from .point import compile_point

        return compile_point(network, dt_ns=dt_ns, seed=seed)
    from .compile import compile_soen

    return compile_soen(network, dt_ns=dt_ns, seed=seed, table=table, hardware=hardware, layout=layout)
