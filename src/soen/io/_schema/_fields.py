"""The schema's field table: each model dataclass's fields with the value kind of each."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import MISSING, dataclass

from soen import plasticity as _pl
from soen.model import network as _net
from soen.model.components import Soma, Synapse

from .._safe import describe

CONNECTORS = (
    _net.AllToAll,
    _net.OneToOne,
    _net.FixedProbability,
    _net.FixedInDegree,
    _net.FromList,
    _net.FromMatrix,
)
SOURCES = (_net.PoissonSource, _net.RegularSource, _net.SpikeSource)
DISTRIBUTIONS = (_net.Uniform, _net.Normal)
PLASTICITY = (_pl.STDP, _pl.FluxStorage)
_SOURCE_ALIASES = {"poisson": _net.PoissonSource, "regular": _net.RegularSource, "spikes": _net.SpikeSource}
_INT64 = 2**63


class SchemaError(ValueError):
    """A value that does not fit the schema: ``key`` (dotted key path) and ``problem`` (what is wrong)."""

    def __init__(self, key: str, problem: str) -> None:
        self.key, self.problem = key, problem
        super().__init__(f"{key}: {problem}" if key else problem)


@dataclass(frozen=True)
class Options:
    """How to read and write: ``strict`` (encoding a part soen cannot store raises instead of recording
    it as unsupported), ``quantity`` (decoding: ``f(text, key_path, field_name) -> float`` for strings
    like ``"2 us"``; None refuses strings where numbers belong), ``drop_none`` (encoding: leave out
    None values, for HDF5 trees such as NIR metadata)."""

    strict: bool = True
    quantity: object = None
    drop_none: bool = False
    files: bool = True


FILE = Options()
#: kinds a file must state (a missing neuron or connector is damage, not a default); configs may omit them
_STRUCTURAL = ("neuron", "connector", "Soma")

# ---- value kind of each field -------------------------------------------------------------------
_BY_ANNOTATION = {
    "float": "float",
    "float | None": "float?",
    "int": "int",
    "bool": "bool",
    "str": "str",
    "Soma": "Soma",
    "Synapse": "Synapse",
    "Synapse | None": "Synapse?",
    "Neuron": "neuron",
    "tuple[Dendrite, ...]": "dendrites",
    "tuple[tuple, ...]": "couplings",
    "tuple | None": "refs?",
    "tuple[str, ...] | None": "names?",
    "np.ndarray | None": "array?",
    "float | np.ndarray": "value",
    "object": "value",
}
_BY_FIELD = {
    ("Projection", "connector"): "connector",
    ("Projection", "target"): "target",
    ("SpikeSource", "times_ns"): "channels",
    ("FromMatrix", "matrix"): "matrix",
    ("FromList", "pre"): "int_array",
    ("FromList", "post"): "int_array",
    ("Projection", "plasticity"): "plasticity",
    ("Population", "homeostasis"): "Homeostasis?",
}
_NESTED = {"Soma": Soma, "Synapse": Synapse, "Synapse?": Synapse, "Homeostasis?": _pl.Homeostasis}
#: keys a multi-key field occupies in the plain form
_MULTI = {"channels": ("times_ns", "counts"), "matrix": ("shape", "row", "col", "data")}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str
    default: object  # MISSING when required

    @property
    def required(self) -> bool:
        return self.default is MISSING

    @property
    def keys(self) -> tuple:
        return _MULTI.get(self.kind, (self.name,))


_SPECS: dict = {}


def field_specs(cls) -> tuple[FieldSpec, ...]:
    """The fields of a model class as (name, kind, default), in declaration order."""
    if cls not in _SPECS:
        out = []
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            ann = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
            kind = _BY_FIELD.get((cls.__name__, f.name)) or _BY_ANNOTATION.get(ann)
            if kind is None:
                raise TypeError(f"{cls.__name__}.{f.name}: the network schema has no rule for type {ann!r}")
            default = f.default
            if default is MISSING and f.default_factory is not MISSING:
                default = f.default_factory()
            out.append(FieldSpec(f.name, kind, default))
        _SPECS[cls] = tuple(out)
    return _SPECS[cls]


def _join(where: str, key) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else str(key)


def _alias(cls) -> str:
    for k, v in _SOURCE_ALIASES.items():
        if v is cls:
            return k
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def _lookup(family: tuple, name, where: str, what: str):
    table = {c.__name__: c for c in family} | {_alias(c): c for c in family}
    if not isinstance(name, str) or name not in table:
        allowed = sorted({_alias(c) for c in family} | {c.__name__ for c in family})
        raise SchemaError(where, f"must be one of {allowed} ({what}), got {describe(name)}")
    return table[name]
