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

__all__ = ["Compiled", "Columns", "compile"]


def _read_only(v):
    if isinstance(v, np.ndarray):
        v = v.view()
        v.setflags(write=False)
    return v


def _freeze(d) -> Mapping:
    if isinstance(d, Columns):
        return d
    return MappingProxyType({k: _read_only(v) for k, v in dict(d).items()})


class Columns(Mapping):
    """Read-only arrays of a compiled network, some stored and some derived from the stored ones on
    first use (then kept). The compact SOEN layout (:mod:`soen.engine._soen_build`) stores what the
    CPU engine reads and derives the reference columns (``sy_w``, ``sy_type``, ``conn_post``,
    ``conn_proj``, ``in_ptr``, ``in_syn``) only for the consumers that ask for them (plasticity,
    the JAX and MPI engines, training, file export). ``derived``: name → a function of no arguments.
    Membership (``in``) and iteration never compute a derived array; indexing does."""

    def __init__(self, stored: dict, derived: dict | None = None):
        self._stored = {k: _read_only(v) for k, v in dict(stored).items()}
        self._derived = {k: f for k, f in (derived or {}).items() if k not in self._stored}
        self._cache: dict = {}

    def __getitem__(self, k):
        if k in self._stored:
            return self._stored[k]
        if k in self._cache:
            return self._cache[k]
        if k in self._derived:
            v = self._cache[k] = _read_only(self._derived[k]())
            return v
        raise KeyError(k)

    def __contains__(self, k) -> bool:
        return k in self._stored or k in self._derived

    def __iter__(self):
        yield from self._stored
        yield from self._derived

    def __len__(self) -> int:
        return len(self._stored) + len(self._derived)

    def is_stored(self, k) -> bool:
        """Whether ``k`` is held as such (not derived on use)."""
        return k in self._stored

    @property
    def stored(self) -> Mapping:
        return MappingProxyType(self._stored)

    @property
    def derived_names(self) -> tuple:
        return tuple(self._derived)

    def replaced(self, arrays: dict) -> Columns:
        """A copy with ``arrays`` stored in place of (stored or derived) entries."""
        out = Columns({**self._stored, **arrays}, {k: f for k, f in self._derived.items() if k not in arrays})
        out._cache = {k: v for k, v in self._cache.items() if k not in arrays}
        return out


def _stored_items(d):
    return d.stored.items() if isinstance(d, Columns) else d.items()


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
        object.__setattr__(self, "params", _freeze(self.params))
        object.__setattr__(self, "structure", _freeze(self.structure))
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
        """Bytes held by the stored arrays of ``params`` and ``structure`` (derived columns of the
        compact layout, :class:`Columns`, not counted)."""
        return int(sum(v.nbytes for v in self.column_bytes().values()))

    def column_bytes(self) -> dict:
        """``{"params.name" or "structure.name": array}`` of every stored array (for memory reports)."""
        return {f"{g}.{k}": v for g, d in (("params", self.params), ("structure", self.structure))
                for k, v in _stored_items(d) if isinstance(v, np.ndarray)}

    # ---- identity ------------------------------------------------------------------------------
    def fingerprint_parts(self) -> dict[str, str]:
        """A short hash of every part that changes the dynamics, keyed by its name."""
        parts = {"kind": self.kind, "dt_ns": repr(float(self.dt_ns)), "seed": str(int(self.seed))}
        for group, d in (("params", self.params), ("structure", self.structure)):
            stored = dict(_stored_items(d))  # derived columns follow from the stored ones
            for k in sorted(stored):
                v = stored[k]
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
        old = self.params
        new = {}
        for k, v in arrays.items():
            if k not in old:
                raise ValueError(f"with_params: unknown parameter {k!r}; known: {sorted(old)}")
            a = np.array(v, dtype=old[k].dtype)
            if a.shape != old[k].shape:
                raise ValueError(f"with_params: {k} must have shape {old[k].shape}, got {a.shape}")
            if a.dtype.kind == "f" and not np.isfinite(a).all():
                raise ValueError(f"with_params: {k} must be finite")
            new[k] = a
        params = old.replaced(new) if isinstance(old, Columns) else {**old, **new}
        return Compiled(self.kind, self.dt_ns, self.seed, params, self.structure, self.inputs, dict(self.meta))

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
