"""Encoding: model objects → plain data (JSON types and numpy arrays), field by field."""

from __future__ import annotations

import math

import numpy as np

from soen import models as _models
from soen.model.morphology import Neuron

from ._fields import _NESTED, CONNECTORS, DISTRIBUTIONS, FILE, PLASTICITY, SOURCES, Options, _join, field_specs


def _unsupported(obj, where: str, o: Options):
    if o.strict:
        raise TypeError(
            f"{where}: cannot store {type(obj).__name__} ({obj!r:.80}) in a network file; "
            "supported are the connectors, sources, distributions and neurons of soen.model and soen.models"
        )
    return {"type": "unsupported", "class": type(obj).__name__, "repr": repr(obj)[:200]}


def _enc_value(v, where: str, o: Options):
    if v is None:
        return None
    if isinstance(v, DISTRIBUTIONS):
        out = {"distribution": type(v).__name__}
        for s in field_specs(type(v)):
            x = float(getattr(v, s.name))
            out[s.name] = None if (math.isinf(x) and x == s.default) else x
        return out
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
        return float(v)
    if isinstance(v, (np.ndarray, list, tuple)):
        return np.asarray(v, dtype=float)
    return _unsupported(v, where, o)


def _enc_tagged(obj, family: tuple, where: str, o: Options):
    if type(obj) not in family:
        return _unsupported(obj, where, o)
    return {"type": type(obj).__name__, **encode_object(obj, where, o)}


def _enc_field(kind: str, v, where: str, o: Options):
    if kind in ("float", "float?"):
        return None if v is None else float(v)
    if kind == "int":
        return int(v)
    if kind == "bool":
        return bool(v)
    if kind == "str":
        return str(v)
    if kind in _NESTED:
        return None if v is None else encode_object(v, where, o)
    if kind == "dendrites":
        return [encode_object(d, _join(where, k), o) for k, d in enumerate(v)]
    if kind == "couplings":
        return [[int(s), int(t), float(J)] for (s, t, J) in v]
    if kind == "refs?":
        return None if v is None else [x if isinstance(x, str) else int(x) for x in v]
    if kind == "names?":
        return None if v is None else [str(x) for x in v]
    if kind == "array?":
        return None if v is None else np.asarray(v, dtype=float)
    if kind == "int_array":
        return np.asarray(v).astype(np.int64)
    if kind == "value":
        return _enc_value(v, where, o)
    if kind == "target":
        return v if isinstance(v, str) else int(v)
    if kind == "connector":
        return _enc_tagged(v, CONNECTORS, where, o)
    if kind == "plasticity":
        return None if v is None else _enc_tagged(v, PLASTICITY, where, o)
    if kind == "neuron":
        if isinstance(v, Neuron):
            return encode_object(v, where, o)
        if getattr(v, "_point_model", False):
            return encode_point_model(v, where, o)
        return _unsupported(v, where, o)
    raise TypeError(f"{where}: no encoder for kind {kind!r}")  # pragma: no cover - see field_specs


def encode_object(obj, where: str = "", o: Options = FILE) -> dict:
    """The fields of a model dataclass as a plain dict (nested objects as dicts)."""
    out: dict = {}
    for s in field_specs(type(obj)):
        v = getattr(obj, s.name)
        w = _join(where, s.name)
        if s.kind == "channels":
            out["times_ns"] = (np.concatenate(v) if len(v) else np.empty(0)).astype(float)
            out["counts"] = np.array([len(t) for t in v], dtype=np.int64)
        elif s.kind == "matrix":
            import scipy.sparse as sp

            m = sp.coo_matrix(v)
            out.update(
                shape=[int(m.shape[0]), int(m.shape[1])],
                row=m.row.astype(np.int64),
                col=m.col.astype(np.int64),
                data=np.asarray(m.data, dtype=float),
            )
        else:
            x = _enc_field(s.kind, v, w, o)
            if x is not None or not o.drop_none:
                out[s.name] = x
    return out


def encode_point_model(model, where: str = "", o: Options = FILE) -> dict:
    """A standard point model (``soen.models``) as ``{"model": "LIF", "params": {...}}``."""
    cls = type(model)
    if cls not in _models.POINT_MODELS:
        return _unsupported(model, where, o)
    return {"model": cls.__name__, "params": encode_object(model, _join(where, "params"), o)}


def encode_network(net, *, strict: bool = True) -> dict:
    """``{"populations": [...], "sources": [...], "projections": [...]}`` of a :class:`~soen.Network`."""
    o = Options(strict=strict)
    pops = [encode_object(p, f"populations[{p.name!r}]", o) for p in net.populations.values()]
    srcs = [_enc_tagged(s, SOURCES, f"sources[{s.name!r}]", o) for s in net.sources.values()]
    projs = [encode_object(p, f"projections[{i}]", o) for i, p in enumerate(net.projections)]
    return {"populations": pops, "sources": srcs, "projections": projs}
