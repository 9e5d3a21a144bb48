"""Networks as files: a :class:`~soen.Network` ↔ a plain dict ↔ JSON or HDF5 (never pickle).

The dict (format ``"soen-network"``, version 1) mirrors the model dataclasses one to one::

    {"format": "soen-network", "format_version": 1, "soen_version": "0.1.0",
     "populations": [{"name": "exc", "n": 100, "neuron": {...}, "positions_um": None}],
     "sources":     [{"type": "PoissonSource", "name": "inp", "n": 100, "rate_hz": 2e7, "start_ns": 0.0}],
     "projections": [{"pre": "inp", "post": "exc", "connector": {"type": "FixedInDegree", "k": 9, ...},
                      "weight": 1.0, "delay_ns": 1.0, "target": "sites", "synapse": None}]}

Order is kept: connectors and weight distributions draw from counter-based streams keyed by the
projection's index, so a network rebuilt from its dict simulates identically (same seed → same spikes).
A standard point model (``soen.models``: LIF, …) is stored as ``{"model": "LIF", "params": {...}}``
and rebuilt from a fixed allow-list of those classes. Values are JSON types, except that arrays
(spike-source times, positions, explicit connection lists, matrices, per-connection weights and
delays) are :class:`numpy.ndarray`. :func:`save_network` writes
``.json`` (arrays inlined as ``{"$array": {"dtype", "shape", "data"}}``) or ``.h5``/``.hdf5`` (arrays as
datasets); :func:`load_network` checks every field's type, shape and range and names the key that is
wrong.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from soen.model.components import Dendrite, Soma, Synapse
from soen.model.morphology import Neuron
from soen.model.network import (
    AllToAll,
    FixedInDegree,
    FixedProbability,
    FromList,
    FromMatrix,
    Network,
    Normal,
    OneToOne,
    PoissonSource,
    Projection,
    RegularSource,
    SpikeSource,
    Uniform,
)

__all__ = ["network_to_dict", "network_from_dict", "save_network", "load_network", "NETWORK_FORMAT"]

NETWORK_FORMAT = "soen-network"
NETWORK_FORMAT_VERSION = 1


def _soen_version() -> str:
    from soen import __version__

    return __version__


# --------------------------------------------------------------------------------------------
# model → dict
# --------------------------------------------------------------------------------------------
def _params(obj) -> dict[str, Any]:
    """Fields of a frozen parameter dataclass as plain numbers (None kept)."""
    return {
        f.name: (None if getattr(obj, f.name) is None else float(getattr(obj, f.name))) for f in fields(obj)
    }


def _neuron_to_dict(neuron: Neuron) -> dict[str, Any]:
    return {
        "soma": _params(neuron.soma),
        "dendrites": [_params(d) for d in neuron.dendrites],
        "couplings": [[int(s), int(t), float(J)] for (s, t, J) in neuron.couplings],
        "synapse": _params(neuron.synapse),
        "synaptic_sites": None if neuron.synaptic_sites is None else [int(k) for k in neuron.synaptic_sites],
        "names": None if neuron.names is None else list(neuron.names),
    }


def _point_models() -> dict[str, type]:
    """The standard point models a file may name (a fixed allow-list: files name data, never code)."""
    try:
        from soen.models import POINT_MODELS
    except ImportError:  # pragma: no cover - a build without soen.models
        return {}
    return {cls.__name__: cls for cls in POINT_MODELS}


def _point_model_to_dict(model, where: str, strict: bool):
    name = type(model).__name__
    if _point_models().get(name) is not type(model):
        return _unsupported(model, where, strict)
    params = {}
    for f in fields(model):
        v = getattr(model, f.name)
        if isinstance(v, (bool, str)) or v is None:
            params[f.name] = v
        elif isinstance(v, (int, np.integer)):
            params[f.name] = int(v)
        else:
            params[f.name] = _value_to_dict(v, f"{where}.{f.name}", strict)
    return {"model": name, "params": params}


def _point_model_from(d: dict, where: str):
    _check_keys(d, {"model", "params"}, where)
    name = _str(_req(d, "model", where), where + ".model")
    models = _point_models()
    if name not in models:
        raise ValueError(f"{where}.model: unknown point model {name!r}; allowed: {sorted(models)}")
    params = _req(d, "params", where)
    if not isinstance(params, dict):
        raise ValueError(f"{where}.params: expected a table/object, got {type(params).__name__}")
    allowed = {f.name for f in fields(models[name])}
    _check_keys(params, allowed, where + ".params")
    kw = {}
    for k, v in params.items():
        w = f"{where}.params.{k}"
        if isinstance(v, (bool, str)) or v is None:
            kw[k] = v
        elif isinstance(v, int):
            kw[k] = v
        else:
            kw[k] = _value_from(v, w)
    return _make(models[name], kw, where)


def _value_to_dict(value, where: str, strict: bool):
    """A projection weight or delay: number, per-connection array, distribution or None."""
    if value is None:
        return None
    if isinstance(value, Uniform):
        return {"distribution": "Uniform", "low": float(value.low), "high": float(value.high)}
    if isinstance(value, Normal):
        lo, hi = float(value.low), float(value.high)
        return {
            "distribution": "Normal",
            "mean": float(value.mean),
            "std": float(value.std),
            "low": None if lo == -math.inf else lo,
            "high": None if hi == math.inf else hi,
        }
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, (np.ndarray, list, tuple)):
        return np.asarray(value, dtype=float)
    return _unsupported(value, where, strict)


def _unsupported(obj, where: str, strict: bool):
    if strict:
        raise TypeError(
            f"{where}: cannot store {type(obj).__name__} ({obj!r:.80}) in a network file; "
            "supported are the connectors, sources and distributions of soen.model"
        )
    return {"type": "unsupported", "class": type(obj).__name__, "repr": repr(obj)[:200]}


def _connector_to_dict(c, where: str, strict: bool):
    if isinstance(c, AllToAll):
        return {"type": "AllToAll", "allow_self": bool(c.allow_self)}
    if isinstance(c, OneToOne):
        return {"type": "OneToOne"}
    if isinstance(c, FixedProbability):
        return {"type": "FixedProbability", "p": float(c.p), "allow_self": bool(c.allow_self)}
    if isinstance(c, FixedInDegree):
        return {"type": "FixedInDegree", "k": int(c.k), "allow_self": bool(c.allow_self)}
    if isinstance(c, FromList):
        return {"type": "FromList", "pre": np.asarray(c.pre), "post": np.asarray(c.post)}
    if isinstance(c, FromMatrix):
        import scipy.sparse as sp

        m = sp.coo_matrix(c.matrix)
        return {
            "type": "FromMatrix",
            "shape": [int(m.shape[0]), int(m.shape[1])],
            "row": m.row.astype(np.int64),
            "col": m.col.astype(np.int64),
            "data": np.asarray(m.data, dtype=float),
        }
    return _unsupported(c, where, strict)


def _source_to_dict(s, where: str, strict: bool):
    if isinstance(s, PoissonSource):
        return {
            "type": "PoissonSource",
            "name": s.name,
            "n": int(s.n),
            "rate_hz": float(s.rate_hz),
            "start_ns": float(s.start_ns),
        }
    if isinstance(s, RegularSource):
        return {
            "type": "RegularSource",
            "name": s.name,
            "n": int(s.n),
            "period_ns": float(s.period_ns),
            "start_ns": float(s.start_ns),
        }
    if isinstance(s, SpikeSource):
        lengths = np.array([t.size for t in s.times_ns], dtype=np.int64)
        flat = np.concatenate(s.times_ns) if s.times_ns else np.empty(0)
        return {"type": "SpikeSource", "name": s.name, "times_ns": flat.astype(float), "counts": lengths}
    return _unsupported(s, where, strict)


def network_to_dict(net: Network, *, strict: bool = True) -> dict[str, Any]:
    """Describe ``net`` as a plain dict (see the module docstring for the layout).

    Parameters
    ----------
    net : the network.
    strict : if True (default) a part soen cannot store (a custom connector, source or neuron model)
        raises ``TypeError``; if False it is recorded as ``{"type": "unsupported", ...}`` so that a
        results file still documents the network, and :func:`network_from_dict` refuses it by name.

    Returns
    -------
    dict
        JSON types plus :class:`numpy.ndarray` for arrays.
    """
    if not isinstance(net, Network):
        raise TypeError(f"network_to_dict expects a soen.Network, got {type(net).__name__}")
    pops = []
    for p in net.populations.values():
        where = f"populations[{p.name!r}].neuron"
        if isinstance(p.neuron, Neuron):
            neuron = _neuron_to_dict(p.neuron)
        elif getattr(p.neuron, "_point_model", False):
            neuron = _point_model_to_dict(p.neuron, where, strict)
        else:
            neuron = _unsupported(p.neuron, where, strict)
        pops.append(
            {
                "name": p.name,
                "n": int(p.n),
                "neuron": neuron,
                "positions_um": None if p.positions_um is None else np.asarray(p.positions_um, dtype=float),
            }
        )
    sources = [_source_to_dict(s, f"sources[{s.name!r}]", strict) for s in net.sources.values()]
    projs = []
    for i, pr in enumerate(net.projections):
        where = f"projections[{i}]"
        target = pr.target if isinstance(pr.target, str) else int(pr.target)
        projs.append(
            {
                "pre": pr.pre,
                "post": pr.post,
                "connector": _connector_to_dict(pr.connector, where + ".connector", strict),
                "weight": _value_to_dict(pr.weight, where + ".weight", strict),
                "delay_ns": _value_to_dict(pr.delay_ns, where + ".delay_ns", strict),
                "target": target,
                "synapse": None if pr.synapse is None else _params(pr.synapse),
            }
        )
    return {
        "format": NETWORK_FORMAT,
        "format_version": NETWORK_FORMAT_VERSION,
        "soen_version": _soen_version(),
        "populations": pops,
        "sources": sources,
        "projections": projs,
    }


# --------------------------------------------------------------------------------------------
# dict → model (with validation that names the key)
# --------------------------------------------------------------------------------------------
class _Bad(ValueError):
    pass


def _req(d, key: str, where: str):
    if not isinstance(d, dict):
        raise ValueError(f"{where}: expected a table/object, got {type(d).__name__}")
    if key not in d:
        raise ValueError(f"{where}.{key}: missing (required)")
    return d[key]


def _check_keys(d: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise ValueError(f"{where}.{unknown[0]}: unknown key; allowed: {sorted(allowed)}")


def _str(v, where: str) -> str:
    if not isinstance(v, str):
        raise ValueError(f"{where}: expected a string, got {v!r} ({type(v).__name__})")
    return v


def _int(v, where: str, *, low: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise ValueError(f"{where}: expected an integer, got {v!r} ({type(v).__name__})")
    if low is not None and v < low:
        raise ValueError(f"{where}: must be >= {low}, got {v!r}")
    return int(v)


def _float(v, where: str, *, allow_none: bool = False) -> float | None:
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"{where}: expected a number, got {v!r} ({type(v).__name__})")
    if not math.isfinite(float(v)):
        raise ValueError(f"{where}: must be finite, got {v!r}")
    return float(v)


def _array(v, where: str, *, kind: str, ndim: int, length: int | None = None) -> np.ndarray:
    """A list or array → validated ndarray (kind 'f' float64 finite, 'i' int64)."""
    if isinstance(v, dict) and "$array" in v:
        v = _array_from_json(v, where)
    if not isinstance(v, (list, np.ndarray)):
        raise ValueError(f"{where}: expected an array, got {type(v).__name__}")
    try:
        a = np.asarray(v)
    except ValueError as exc:  # ragged lists
        raise ValueError(f"{where}: not a rectangular array ({exc})") from None
    if a.size == 0:
        a = a.reshape((0,) * ndim) if a.ndim != ndim else a
    if a.ndim != ndim:
        raise ValueError(f"{where}: expected a {ndim}-D array, got shape {a.shape}")
    if length is not None and a.shape[0] != length:
        raise ValueError(f"{where}: expected {length} rows, got shape {a.shape}")
    if kind == "i":
        if a.size and not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"{where}: expected integers, got dtype {a.dtype}")
        return a.astype(np.int64)
    if a.size and not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise ValueError(f"{where}: expected numbers, got dtype {a.dtype}")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"{where}: contains non-finite values")
    return a


def _make(cls, kwargs: dict, where: str):
    """Construct a model object, re-raising its validation error with the key path."""
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from None


def _params_from(d, cls, where: str):
    if not isinstance(d, dict):
        raise ValueError(
            f"{where}: expected a table/object of {cls.__name__} parameters, got {type(d).__name__}"
        )
    names = {f.name for f in fields(cls)}
    _check_keys(d, names, where)
    kw = {k: _float(v, f"{where}.{k}", allow_none=True) for k, v in d.items()}
    return _make(cls, kw, where)


def _neuron_from(d, where: str):
    if isinstance(d, dict) and "model" in d:
        return _point_model_from(d, where)
    if isinstance(d, dict) and d.get("type") == "unsupported":
        raise ValueError(f"{where}: the stored neuron ({d.get('class')}) cannot be rebuilt from a file")
    if not isinstance(d, dict):
        raise ValueError(f"{where}: expected a table/object, got {type(d).__name__}")
    _check_keys(d, {"soma", "dendrites", "couplings", "synapse", "synaptic_sites", "names"}, where)
    soma = _params_from(_req(d, "soma", where), Soma, f"{where}.soma")
    dl = d.get("dendrites", [])
    if not isinstance(dl, list):
        raise ValueError(f"{where}.dendrites: expected a list, got {type(dl).__name__}")
    dends = tuple(_params_from(x, Dendrite, f"{where}.dendrites[{k}]") for k, x in enumerate(dl))
    cl = d.get("couplings", [])
    if not isinstance(cl, list):
        raise ValueError(f"{where}.couplings: expected a list, got {type(cl).__name__}")
    cpl = []
    for k, c in enumerate(cl):
        w = f"{where}.couplings[{k}]"
        if not isinstance(c, (list, tuple)) or len(c) != 3:
            raise ValueError(f"{w}: expected [source, target, J], got {c!r}")
        s = c[0] if isinstance(c[0], str) else _int(c[0], w + "[0]", low=0)
        t = c[1] if isinstance(c[1], str) else _int(c[1], w + "[1]", low=0)
        cpl.append((s, t, _float(c[2], w + "[2]")))
    syn = (
        _params_from(d["synapse"], Synapse, f"{where}.synapse") if d.get("synapse") is not None else Synapse()
    )
    sites = d.get("synaptic_sites")
    if sites is not None:
        if not isinstance(sites, list):
            raise ValueError(f"{where}.synaptic_sites: expected a list or null, got {type(sites).__name__}")
        sites = tuple(
            x if isinstance(x, str) else _int(x, f"{where}.synaptic_sites[{i}]", low=0)
            for i, x in enumerate(sites)
        )
    names = d.get("names")
    if names is not None:
        if not isinstance(names, list):
            raise ValueError(f"{where}.names: expected a list of strings or null, got {type(names).__name__}")
        names = tuple(_str(x, f"{where}.names[{i}]") for i, x in enumerate(names))
    return _make(
        Neuron,
        dict(
            soma=soma, dendrites=dends, couplings=tuple(cpl), synapse=syn, synaptic_sites=sites, names=names
        ),
        where,
    )


def _source_from(d, where: str):
    typ = _str(_req(d, "type", where), where + ".type")
    name = _str(_req(d, "name", where), where + ".name")
    if typ == "PoissonSource":
        _check_keys(d, {"type", "name", "n", "rate_hz", "start_ns"}, where)
        return _make(
            PoissonSource,
            dict(
                name=name,
                n=_int(_req(d, "n", where), where + ".n", low=1),
                rate_hz=_float(d.get("rate_hz", 20e6), where + ".rate_hz"),
                start_ns=_float(d.get("start_ns", 0.0), where + ".start_ns"),
            ),
            where,
        )
    if typ == "RegularSource":
        _check_keys(d, {"type", "name", "n", "period_ns", "start_ns"}, where)
        return _make(
            RegularSource,
            dict(
                name=name,
                n=_int(_req(d, "n", where), where + ".n", low=1),
                period_ns=_float(d.get("period_ns", 50.0), where + ".period_ns"),
                start_ns=_float(d.get("start_ns", 0.0), where + ".start_ns"),
            ),
            where,
        )
    if typ == "SpikeSource":
        _check_keys(d, {"type", "name", "times_ns", "counts"}, where)
        t = _array(_req(d, "times_ns", where), where + ".times_ns", kind="f", ndim=1)
        c = _array(_req(d, "counts", where), where + ".counts", kind="i", ndim=1)
        if c.size == 0 or (c < 0).any() or int(c.sum()) != t.size:
            raise ValueError(
                f"{where}.counts: must be >= 0, one per channel, summing to len(times_ns)={t.size}"
            )
        return _make(SpikeSource, dict(name=name, times_ns=tuple(np.split(t, np.cumsum(c)[:-1]))), where)
    raise ValueError(
        f"{where}.type: unknown source type {typ!r}; allowed: PoissonSource, RegularSource, SpikeSource"
    )


def _connector_from(d, where: str):
    typ = _str(_req(d, "type", where), where + ".type")
    if typ == "AllToAll":
        _check_keys(d, {"type", "allow_self"}, where)
        return AllToAll(allow_self=bool(d.get("allow_self", False)))
    if typ == "OneToOne":
        _check_keys(d, {"type"}, where)
        return OneToOne()
    if typ == "FixedProbability":
        _check_keys(d, {"type", "p", "allow_self"}, where)
        return _make(
            FixedProbability,
            dict(p=_float(_req(d, "p", where), where + ".p"), allow_self=bool(d.get("allow_self", False))),
            where,
        )
    if typ == "FixedInDegree":
        _check_keys(d, {"type", "k", "allow_self"}, where)
        return _make(
            FixedInDegree,
            dict(
                k=_int(_req(d, "k", where), where + ".k", low=0), allow_self=bool(d.get("allow_self", False))
            ),
            where,
        )
    if typ == "FromList":
        _check_keys(d, {"type", "pre", "post"}, where)
        pre = _array(_req(d, "pre", where), where + ".pre", kind="i", ndim=1)
        post = _array(_req(d, "post", where), where + ".post", kind="i", ndim=1, length=pre.size)
        return FromList(pre, post)
    if typ == "FromMatrix":
        import scipy.sparse as sp

        _check_keys(d, {"type", "shape", "row", "col", "data"}, where)
        shape = _req(d, "shape", where)
        if not isinstance(shape, (list, tuple)) or len(shape) != 2:
            raise ValueError(f"{where}.shape: expected [n_pre, n_post], got {shape!r}")
        shape = (_int(shape[0], where + ".shape[0]", low=0), _int(shape[1], where + ".shape[1]", low=0))
        row = _array(_req(d, "row", where), where + ".row", kind="i", ndim=1)
        col = _array(_req(d, "col", where), where + ".col", kind="i", ndim=1, length=row.size)
        data = _array(_req(d, "data", where), where + ".data", kind="f", ndim=1, length=row.size)
        if row.size and (row.min() < 0 or row.max() >= shape[0] or col.min() < 0 or col.max() >= shape[1]):
            raise ValueError(f"{where}.row/col: indices outside the matrix shape {shape}")
        return FromMatrix(sp.coo_matrix((data, (row, col)), shape=shape))
    if typ == "unsupported":
        raise ValueError(f"{where}: the stored connector ({d.get('class')}) cannot be rebuilt from a file")
    raise ValueError(
        f"{where}.type: unknown connector {typ!r}; allowed: AllToAll, OneToOne, FixedProbability, "
        "FixedInDegree, FromList, FromMatrix"
    )


def _value_from(v, where: str):
    if v is None:
        return None
    if isinstance(v, dict) and "$array" not in v:
        dist = v.get("distribution")
        if dist == "Uniform":
            _check_keys(v, {"distribution", "low", "high"}, where)
            return _make(
                Uniform,
                dict(
                    low=_float(_req(v, "low", where), where + ".low"),
                    high=_float(_req(v, "high", where), where + ".high"),
                ),
                where,
            )
        if dist == "Normal":
            _check_keys(v, {"distribution", "mean", "std", "low", "high"}, where)
            lo = _float(v.get("low"), where + ".low", allow_none=True)
            hi = _float(v.get("high"), where + ".high", allow_none=True)
            return _make(
                Normal,
                dict(
                    mean=_float(_req(v, "mean", where), where + ".mean"),
                    std=_float(_req(v, "std", where), where + ".std"),
                    low=-math.inf if lo is None else lo,
                    high=math.inf if hi is None else hi,
                ),
                where,
            )
        if v.get("type") == "unsupported":
            raise ValueError(f"{where}: the stored value ({v.get('class')}) cannot be rebuilt from a file")
        raise ValueError(f"{where}.distribution: expected 'Uniform' or 'Normal', got {dist!r}")
    if isinstance(v, (list, np.ndarray, dict)):
        return _array(v, where, kind="f", ndim=1)
    return _float(v, where)


def network_from_dict(d: dict) -> Network:
    """Rebuild a :class:`~soen.Network` from :func:`network_to_dict`'s dict (or its JSON form).

    Every field is checked; a wrong one raises ``ValueError`` naming its key path, e.g.
    ``projections[1].connector.k: expected an integer, got 'nine' (str)``.
    """
    if not isinstance(d, dict):
        raise ValueError(f"network: expected a dict, got {type(d).__name__}")
    fmt = d.get("format")
    if fmt != NETWORK_FORMAT:
        raise ValueError(f"format: expected {NETWORK_FORMAT!r}, got {fmt!r} (not a soen network description)")
    ver = d.get("format_version")
    if isinstance(ver, bool) or not isinstance(ver, int) or ver > NETWORK_FORMAT_VERSION or ver < 1:
        raise ValueError(f"format_version: this soen reads version 1..{NETWORK_FORMAT_VERSION}, got {ver!r}")
    _check_keys(
        d, {"format", "format_version", "soen_version", "populations", "sources", "projections"}, "network"
    )
    net = Network()
    for key in ("populations", "sources", "projections"):
        if not isinstance(d.get(key, []), list):
            raise ValueError(f"{key}: expected a list, got {type(d[key]).__name__}")
    for i, p in enumerate(d.get("populations", [])):
        w = f"populations[{i}]"
        if not isinstance(p, dict):
            raise ValueError(f"{w}: expected a table/object, got {type(p).__name__}")
        _check_keys(p, {"name", "n", "neuron", "positions_um"}, w)
        name = _str(_req(p, "name", w), w + ".name")
        n = _int(_req(p, "n", w), w + ".n", low=1)
        neuron = _neuron_from(_req(p, "neuron", w), w + ".neuron")
        pos = p.get("positions_um")
        if pos is not None:
            pos = _array(pos, w + ".positions_um", kind="f", ndim=2, length=n)
        try:
            net.add_population(name, n, neuron, positions_um=pos)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{w}: {exc}") from None
    for i, s in enumerate(d.get("sources", [])):
        w = f"sources[{i}]"
        try:
            net.add_source(_source_from(s, w))
        except TypeError as exc:
            raise ValueError(f"{w}: {exc}") from None
        except ValueError as exc:
            raise ValueError(str(exc) if str(exc).startswith(w) else f"{w}: {exc}") from None
    for i, pr in enumerate(d.get("projections", [])):
        w = f"projections[{i}]"
        if not isinstance(pr, dict):
            raise ValueError(f"{w}: expected a table/object, got {type(pr).__name__}")
        _check_keys(pr, {"pre", "post", "connector", "weight", "delay_ns", "target", "synapse"}, w)
        target = pr.get("target", "sites")
        if not isinstance(target, str):
            target = _int(target, w + ".target", low=0)
        syn = pr.get("synapse")
        kw = dict(
            pre=_str(_req(pr, "pre", w), w + ".pre"),
            post=_str(_req(pr, "post", w), w + ".post"),
            connector=_connector_from(_req(pr, "connector", w), w + ".connector"),
            weight=_value_from(pr.get("weight", 1.0), w + ".weight"),
            delay_ns=_value_from(pr.get("delay_ns", 1.0), w + ".delay_ns"),
            target=target,
            synapse=None if syn is None else _params_from(syn, Synapse, w + ".synapse"),
        )
        try:
            net.add_projection(Projection(**kw))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{w}: {exc}") from None
    return net


# --------------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------------
def _to_json_tree(obj):
    """Replace arrays with ``{"$array": {dtype, shape, data}}`` (JSON-ready)."""
    if isinstance(obj, np.ndarray):
        return {
            "$array": {
                "dtype": obj.dtype.str.lstrip("<>|="),
                "shape": list(obj.shape),
                "data": obj.ravel().tolist(),
            }
        }
    if isinstance(obj, dict):
        return {k: _to_json_tree(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_json_tree(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


_DTYPES = {"f8": np.float64, "i8": np.int64, "f4": np.float32, "i4": np.int32}


def _array_from_json(v: dict, where: str) -> np.ndarray:
    spec = v["$array"]
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data"}:
        raise ValueError(f"{where}: malformed $array (needs dtype, shape, data)")
    if spec["dtype"] not in _DTYPES:
        raise ValueError(f"{where}: $array dtype must be one of {sorted(_DTYPES)}, got {spec['dtype']!r}")
    shape = spec["shape"]
    if not isinstance(shape, list) or not all(isinstance(x, int) and x >= 0 for x in shape):
        raise ValueError(f"{where}: $array shape must be a list of non-negative integers, got {shape!r}")
    data = spec["data"]
    if not isinstance(data, list) or len(data) != math.prod(shape):
        raise ValueError(f"{where}: $array data must be a flat list of {math.prod(shape)} numbers")
    try:
        return np.asarray(data, dtype=_DTYPES[spec["dtype"]]).reshape(shape)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: $array data: {exc}") from None


def _from_json_tree(obj, where: str = "network"):
    if isinstance(obj, dict):
        if "$array" in obj:
            return _array_from_json(obj, where)
        return {k: _from_json_tree(v, f"{where}.{k}") for k, v in obj.items()}
    if isinstance(obj, list):
        return [_from_json_tree(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    return obj


def split_arrays(obj, arrays: dict[str, np.ndarray], prefix: str = "a"):
    """Replace arrays by ``{"$ref": name}`` and collect them in ``arrays`` (for HDF5 storage)."""
    if isinstance(obj, np.ndarray):
        name = f"{prefix}{len(arrays)}"
        arrays[name] = obj
        return {"$ref": name}
    if isinstance(obj, dict):
        return {k: split_arrays(v, arrays, prefix) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [split_arrays(v, arrays, prefix) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def join_arrays(obj, arrays, where: str = "network"):
    """Inverse of :func:`split_arrays`; ``arrays`` maps names to arrays (or an h5py group)."""
    if isinstance(obj, dict):
        if set(obj) == {"$ref"}:
            name = obj["$ref"]
            if not isinstance(name, str) or name not in arrays:
                raise ValueError(f"{where}: refers to a missing array {name!r}")
            return np.asarray(arrays[name][()])
        return {k: join_arrays(v, arrays, f"{where}.{k}") for k, v in obj.items()}
    if isinstance(obj, list):
        return [join_arrays(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
    return obj


def write_network_group(group, d: dict) -> None:
    """Store a network dict in an HDF5 group: JSON skeleton (dataset ``json``) + arrays (group ``arrays``)."""
    import h5py

    arrays: dict[str, np.ndarray] = {}
    skeleton = split_arrays(d, arrays)
    group.create_dataset("json", data=json.dumps(skeleton), dtype=h5py.string_dtype())
    g = group.create_group("arrays")
    for name, a in arrays.items():
        g.create_dataset(name, data=a, compression="gzip" if a.size > 1024 else None)


def read_network_group(group) -> dict:
    """Read a network dict written by :func:`write_network_group` (arrays checked on rebuild)."""
    import h5py

    if "json" not in group or not isinstance(group["json"], h5py.Dataset):
        raise ValueError(f"{group.name}: no 'json' dataset (not a soen network group)")
    raw = group["json"][()]
    text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
    try:
        skeleton = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{group.name}/json: malformed JSON ({exc})") from None
    arrays = group["arrays"] if "arrays" in group else {}
    return join_arrays(skeleton, arrays)


def save_network(net: Network, path: str | Path) -> Path:
    """Write ``net`` to ``path``: ``.json`` (readable, arrays inlined) or ``.h5``/``.hdf5`` (large arrays).

    Returns the path. Never uses pickle; read it back with :func:`load_network`.
    """
    path = Path(path)
    d = network_to_dict(net)
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(json.dumps(_to_json_tree(d), indent=1, allow_nan=False) + "\n", encoding="utf-8")
    elif suffix in (".h5", ".hdf5"):
        import h5py

        with h5py.File(path, "w") as f:
            f.attrs["format"] = NETWORK_FORMAT
            write_network_group(f.create_group("network"), d)
    else:
        raise ValueError(f"path must end in .json, .h5 or .hdf5, got {str(path)!r}")
    return path


def load_network(path: str | Path) -> Network:
    """Read a network written by :func:`save_network` (or the ``network`` group of a results file).

    Raises ``ValueError`` naming the key for a malformed or invalid file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such network file: {str(path)!r}")
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path.name}: not valid JSON ({exc})") from None
        return network_from_dict(_from_json_tree(d))
    if suffix in (".h5", ".hdf5"):
        import h5py

        try:
            with h5py.File(path, "r") as f:
                if "network" not in f:
                    raise ValueError(f"{path.name}: no 'network' group (not a soen network or results file)")
                d = read_network_group(f["network"])
        except OSError as exc:
            raise ValueError(f"{path.name}: not a readable HDF5 file ({exc})") from None
        return network_from_dict(d)
    raise ValueError(f"path must end in .json, .h5 or .hdf5, got {str(path)!r}")
