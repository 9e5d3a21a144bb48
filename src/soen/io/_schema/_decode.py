"""Decoding: plain data → model objects, every key and type checked, errors at the key path."""

from __future__ import annotations

import difflib
import math
import re

import numpy as np

from soen import models as _models
from soen.model import network as _net
from soen.model.components import Dendrite
from soen.model.morphology import Neuron

from .._safe import describe, printable
from ._fields import (
    _INT64,
    _MULTI,
    _NESTED,
    _STRUCTURAL,
    CONNECTORS,
    DISTRIBUTIONS,
    FILE,
    PLASTICITY,
    SOURCES,
    FieldSpec,
    Options,
    SchemaError,
    _join,
    _lookup,
    field_specs,
)

_ABSENT = object()


def _scalar(v):
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v[()]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bytes):
        try:
            v = v.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return v


def _float(v, where: str, o: Options, name: str, *, allow_inf: bool = False) -> float:
    v = _scalar(v)
    if isinstance(v, str) and o.quantity is not None:
        return o.quantity(v, where, name)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise SchemaError(where, f"expected a number, got {describe(v)}")
    try:
        x = float(v)
    except OverflowError:
        raise SchemaError(where, f"number out of range, got {describe(v)}") from None
    if not math.isfinite(x) and not (allow_inf and math.isinf(x)):
        raise SchemaError(where, f"must be finite, got {v!r}")
    return x


def _int(v, where: str) -> int:
    v = _scalar(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise SchemaError(where, f"expected an integer, got {describe(v)}")
    if not -_INT64 <= v < _INT64:
        raise SchemaError(where, f"integer out of the 64-bit range, got {v!r}")
    return v


def _str(v, where: str) -> str:
    v = _scalar(v)
    if not isinstance(v, str):
        raise SchemaError(where, f"expected a string, got {describe(v)}")
    return v


def _list(v, where: str, what: str) -> list:
    if isinstance(v, np.ndarray) and v.ndim == 1:
        return list(v)
    if not isinstance(v, (list, tuple)):
        raise SchemaError(where, f"expected a list of {what}, got {describe(v)}")
    return list(v)


def float_array(v, where: str, o: Options = FILE, name: str = "", *, ndim: int = 1) -> np.ndarray:
    """A list or numeric array of finite numbers → float64 array of ``ndim`` dimensions."""
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in "fiu" and not (v.size == 0 and v.dtype.kind in "fiuO"):
            raise SchemaError(where, f"expected numbers, got an array of dtype {v.dtype}")
        a = v.astype(np.float64)
        if a.size == 0 and a.ndim != ndim:
            a = a.reshape((0,) * ndim)
    elif isinstance(v, (list, tuple)):
        if ndim == 1:
            a = np.array([_float(x, _join(where, i), o, name) for i, x in enumerate(v)], dtype=float)
        else:
            rows = [float_array(r, _join(where, i), o, name, ndim=ndim - 1) for i, r in enumerate(v)]
            if len({r.shape for r in rows}) > 1:
                raise SchemaError(where, "rows of different lengths (not a rectangular array)")
            a = np.array(rows, dtype=float) if rows else np.empty((0,) * ndim)
    else:
        raise SchemaError(where, f"expected an array of numbers, got {describe(v)}")
    if a.ndim != ndim:
        raise SchemaError(where, f"expected a {ndim}-D array, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise SchemaError(where, "contains non-finite values")
    return a


def int_array(v, where: str) -> np.ndarray:
    """A list or integer array → int64 array (floats are refused, never truncated)."""
    if isinstance(v, np.ndarray):
        if v.ndim != 1:
            raise SchemaError(where, f"expected a 1-D array, got shape {v.shape}")
        if v.size and v.dtype.kind not in "iu":
            raise SchemaError(where, f"expected integers, got an array of dtype {v.dtype}")
        if v.size and v.dtype.kind == "u" and int(v.max()) >= _INT64:
            raise SchemaError(where, "integer out of the 64-bit range")
        return v.astype(np.int64)
    return np.array(
        [_int(x, _join(where, i)) for i, x in enumerate(_list(v, where, "integers"))], dtype=np.int64
    )


def construct(cls, kwargs: dict, where: str):
    """``cls(**kwargs)``; a validation error is re-raised at the key (field) it names."""
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, ArithmeticError) as exc:
        msg = str(exc)
        sub = next(
            (k for k in sorted(kwargs, key=len, reverse=True) if re.search(rf"(\.|\b){re.escape(k)}\b", msg)),
            None,
        )
        raise SchemaError(_join(where, sub) if sub else where, msg) from None


def _unknown(key, allowed, where: str) -> SchemaError:
    near = difflib.get_close_matches(str(key), sorted(allowed), n=1)
    hint = f"did you mean {near[0]!r}?" if near else f"allowed: {sorted(allowed)}"
    return SchemaError(_join(where, key), f"unknown key; {hint}")


def _check_stored(d, where: str, what: str) -> None:
    if isinstance(d, dict) and d.get("type") == "unsupported":
        raise SchemaError(where, f"the stored {what} ({d.get('class')}) cannot be rebuilt from a file")


def _dec_value(v, where: str, o: Options, name: str):
    v = _scalar(v)
    if v is None:
        return None
    if isinstance(v, dict):
        _check_stored(v, where, "value")
        tag = "distribution" if "distribution" in v else ("dist" if "dist" in v else None)
        if tag is None:
            raise SchemaError(
                _join(where, "distribution"),
                "missing: a table here is a distribution (distribution = 'uniform' or 'normal')",
            )
        cls = _lookup(DISTRIBUTIONS, _scalar(v[tag]), _join(where, tag), "distributions")
        return decode_object(cls, {k: x for k, x in v.items() if k != tag}, where, o)
    if isinstance(v, (list, tuple, np.ndarray)):
        return float_array(v, where, o, name)
    return _float(v, where, o, name)


def _dec_tagged(d, family: tuple, where: str, o: Options, what: str):
    d = _scalar(d)
    if isinstance(d, str) and family is CONNECTORS:
        cls = _lookup(family, d, where, what)
        req = [s.name for s in field_specs(cls) if s.required]
        if req:
            raise SchemaError(
                where,
                f"{d!r} needs parameters ({', '.join(req)}): write it as a table, "
                f"e.g. {{ type = {d!r}, {req[0]} = ... }}",
            )
        return cls()
    if not isinstance(d, dict):
        raise SchemaError(where, f"expected a table/object with a 'type', got {describe(d)}")
    _check_stored(d, where, what[:-1])
    if "type" not in d:
        raise SchemaError(_join(where, "type"), "missing (required)")
    cls = _lookup(family, _scalar(d["type"]), _join(where, "type"), what)
    return decode_object(cls, d, where, o, tag="type")


def _dec_neuron(d, where: str, o: Options):
    d = _scalar(d)
    if isinstance(d, dict) and "model" in d:
        return decode_point_model(d, where, o)
    _check_stored(d, where, "neuron")
    return decode_object(Neuron, d, where, o)


def _ref(x, where: str):
    x = _scalar(x)
    return x if isinstance(x, str) else _int(x, where)


def _dec_field(s: FieldSpec, d: dict, where: str, o: Options):
    w = _join(where, s.name)
    if s.kind == "channels":
        return _dec_channels(d, where, o)
    if s.kind == "matrix":
        return _dec_matrix(d, where)
    if s.name not in d:
        return _ABSENT
    v, k = d[s.name], s.kind
    if _scalar(v) is None and k not in ("float?", "Synapse?", "Homeostasis?", "plasticity", "refs?", "names?", "array?",
                                        "value"):
        if isinstance(s.default, float) and math.isinf(s.default):
            return _ABSENT  # an infinite bound stored as null
        if k in ("Soma", "Synapse", "neuron"):
            return _ABSENT  # the default object
        raise SchemaError(w, f"must not be null (expected {k})")
    if k == "float":
        return _float(v, w, o, s.name, allow_inf=isinstance(s.default, float) and math.isinf(s.default))
    if k == "float?":
        return None if _scalar(v) is None else _float(v, w, o, s.name)
    if k == "int":
        return _int(v, w)
    if k == "bool":
        v = _scalar(v)
        if not isinstance(v, bool):
            raise SchemaError(w, f"expected true or false, got {describe(v)}")
        return v
    if k == "str":
        return _str(v, w)
    if k in _NESTED:
        return None if _scalar(v) is None else decode_object(_NESTED[k], v, w, o)
    if k == "dendrites":
        return _dec_many(Dendrite, _list(v, w, "tables"), w, o)
    if k == "couplings":
        out = []
        for i, c in enumerate(_list(v, w, "[source, target, J]")):
            if type(c) is list and len(c) == 3:  # the common case, checked inline (neurons of 10⁵ couplings)
                a, b, J = c
                if (
                    type(a) is int
                    and type(b) is int
                    and type(J) in (int, float)
                    and -_INT64 <= a < _INT64
                    and -_INT64 <= b < _INT64
                    and math.isfinite(J)
                ):
                    out.append((a, b, float(J)))
                    continue
            wi = _join(w, i)
            if not isinstance(c, (list, tuple, np.ndarray)) or len(c) != 3:
                raise SchemaError(wi, f"expected [source, target, J], got {describe(c)}")
            out.append(
                (_ref(c[0], _join(wi, 0)), _ref(c[1], _join(wi, 1)), _float(c[2], _join(wi, 2), o, "J"))
            )
        return tuple(out)
    if k == "refs?":
        if _scalar(v) is None:
            return None
        lst = _list(v, w, "dendrite indices or names")
        if all(type(x) is str or (type(x) is int and -_INT64 <= x < _INT64) for x in lst):
            return tuple(lst)
        return tuple(_ref(x, _join(w, i)) for i, x in enumerate(lst))
    if k == "names?":
        if _scalar(v) is None:
            return None
        lst = _list(v, w, "strings")
        if all(type(x) is str for x in lst):
            return tuple(lst)
        return tuple(_str(x, _join(w, i)) for i, x in enumerate(lst))
    if k == "array?":
        return None if _scalar(v) is None else float_array(v, w, o, s.name, ndim=2)
    if k == "int_array":
        return int_array(v, w)
    if k == "value":
        return _dec_value(v, w, o, s.name)
    if k == "target":
        v = _scalar(v)
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise SchemaError(w, f"expected 'sites', a dendrite name or index, got {describe(v)}")
        return v if isinstance(v, str) else _int(v, w)
    if k == "connector":
        return _dec_tagged(v, CONNECTORS, w, o, "connectors")
    if k == "plasticity":
        return None if _scalar(v) is None else _dec_tagged(v, PLASTICITY, w, o, "plasticity rules")
    if k == "neuron":
        return _dec_neuron(v, w, o)
    raise TypeError(f"{w}: no decoder for kind {k!r}")  # pragma: no cover - see field_specs


def _frozen(x):
    """A hashable key of a flat parameter dict (value types included), or None."""
    if type(x) is not dict:
        return None
    items = []
    for k, v in x.items():
        if type(v) not in (int, float, str, bool, type(None)):
            return None
        items.append((k, type(v), v))
    return tuple(items)


def _dec_many(cls, items: list, where: str, o: Options) -> tuple:
    """Decode a list of parameter objects; identical entries (a neuron's many equal dendrites) are
    decoded once and share one frozen object."""
    cache: dict = {}
    by_id: dict = {}  # entries a file stored once ({"$repeat": ...}) are one object here
    out = []
    for i, x in enumerate(items):
        obj = by_id.get(id(x))
        if obj is None:
            key = _frozen(x)
            obj = cache.get(key) if key is not None else None
            if obj is None:
                obj = decode_object(cls, x, _join(where, i), o)
                if key is not None:
                    cache[key] = obj
            by_id[id(x)] = obj
        out.append(obj)
    return tuple(out)


def _dec_channels(d: dict, where: str, o: Options):
    w = _join(where, "times_ns")
    if "times_ns" not in d:
        return _ABSENT
    t = d["times_ns"]
    if "counts" in d:  # files: all times, flat, and the number of times of each channel
        flat = float_array(t, w, o, "times_ns")
        c = int_array(d["counts"], _join(where, "counts"))
        if c.size == 0 or (c < 0).any() or int(c.sum()) != flat.size:
            raise SchemaError(
                _join(where, "counts"), f"must be >= 0, one per channel, summing to len(times_ns)={flat.size}"
            )
        return tuple(np.split(flat, np.cumsum(c)[:-1]))
    chans = _list(t, w, "channels, each a list of times in ns ([[1.0, 5.0], [2.5]])")
    if not chans or not all(isinstance(ch, (list, tuple, np.ndarray)) for ch in chans):
        raise SchemaError(
            w,
            f"expected a list of channels, each a list of times in ns: [[1.0, 5.0], [2.5]], "
            f"got {describe(t)}",
        )
    return tuple(float_array(list(ch), _join(w, i), o, "times_ns") for i, ch in enumerate(chans))


def _dec_matrix(d: dict, where: str):
    import scipy.sparse as sp

    for k in _MULTI["matrix"]:
        if k not in d:
            raise SchemaError(_join(where, k), "missing (required)")
    shape = _list(d["shape"], _join(where, "shape"), "two sizes [n_pre, n_post]")
    if len(shape) != 2:
        raise SchemaError(_join(where, "shape"), f"expected [n_pre, n_post], got {describe(d['shape'])}")
    shape = tuple(_int(x, _join(where, f"shape[{i}]")) for i, x in enumerate(shape))
    if min(shape) < 0:
        raise SchemaError(_join(where, "shape"), f"sizes must be >= 0, got {shape}")
    row, col = int_array(d["row"], _join(where, "row")), int_array(d["col"], _join(where, "col"))
    data = float_array(d["data"], _join(where, "data"))
    if not row.size == col.size == data.size:
        raise SchemaError(
            _join(where, "col"), f"row, col and data differ in length ({row.size}, {col.size}, {data.size})"
        )
    if row.size and (row.min() < 0 or row.max() >= shape[0] or col.min() < 0 or col.max() >= shape[1]):
        raise SchemaError(_join(where, "row"), f"indices outside the matrix shape {shape}")
    return sp.coo_matrix((data, (row, col)), shape=shape)


def decode_object(cls, d, where: str = "", o: Options = FILE, *, tag: str | None = None):
    """Build ``cls`` from a plain dict holding its fields (unknown keys refused, required ones checked)."""
    d = _scalar(d)
    if not isinstance(d, dict):
        raise SchemaError(where, f"expected a table/object of {cls.__name__} parameters, got {describe(d)}")
    specs = field_specs(cls)
    allowed = {k for s in specs for k in s.keys} | ({tag} if tag else set())
    for key in d:
        if key not in allowed:
            raise _unknown(key, allowed, where)
    kw = {}
    for s in specs:
        v = _dec_field(s, d, where, o)
        if v is _ABSENT:
            if s.required or (o.files and s.kind in _STRUCTURAL):
                raise SchemaError(_join(where, s.keys[0]), "missing (required)")
            continue
        kw[s.name] = v
    return construct(cls, kw, where)


def decode_point_model(d, where: str = "", o: Options = FILE):
    """A standard point model from ``{"model": "LIF", "params": {...}}`` (a fixed allow-list of classes)."""
    if not isinstance(d, dict):
        raise SchemaError(where, f"expected a table/object, got {describe(d)}")
    for key in d:
        if key not in ("model", "params"):
            raise _unknown(key, {"model", "params"}, where)
    models = {c.__name__: c for c in _models.POINT_MODELS}
    name = _scalar(d.get("model"))
    if name not in models:
        raise SchemaError(
            _join(where, "model"), f"unknown point model {printable_name(name)}; allowed: {sorted(models)}"
        )
    return decode_object(models[name], d.get("params", {}), _join(where, "params"), o)


def printable_name(v) -> str:
    return printable(repr(v), 80)


def decode_source(d, where: str, o: Options = FILE):
    """A spike source from its tagged table/object."""
    return _dec_tagged(d, SOURCES, where, o, "sources")


def decode_network(d: dict, o: Options = FILE):
    """A :class:`~soen.Network` from ``{"populations": [...], "sources": [...], "projections": [...]}``."""
    net = _net.Network()
    for key in ("populations", "sources", "projections"):
        if not isinstance(d.get(key, []), list):
            raise SchemaError(key, f"expected a list, got {describe(d[key])}")
    for i, p in enumerate(d.get("populations", [])):
        w = f"populations[{i}]"
        pop = decode_object(_net.Population, p, w, o)
        _add(net.add_population, pop, w)
    for i, s in enumerate(d.get("sources", [])):
        w = f"sources[{i}]"
        _add(net.add_source, decode_source(s, w, o), w)
    for i, pr in enumerate(d.get("projections", [])):
        w = f"projections[{i}]"
        _add(net.add_projection, decode_object(_net.Projection, pr, w, o), w)
    return net


def _add(method, obj, where: str):
    try:
        return method(obj)
    except (TypeError, ValueError) as exc:
        raise SchemaError(where, str(exc)) from None
