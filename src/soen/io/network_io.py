"""Networks as files: a :class:`~soen.Network` ↔ a plain dict ↔ JSON or HDF5 (never pickle).

The dict (format ``"soen-network"``, version 2) follows the network schema (``soen.io._schema``),
which mirrors the model dataclasses field by field::

    {"format": "soen-network", "format_version": 2, "soen_version": "0.1.0",
     "populations": [{"name": "exc", "n": 100, "neuron": {...}, "positions_um": None}],
     "sources":     [{"type": "PoissonSource", "name": "inp", "n": 100, "rate_hz": 2e7, "start_ns": 0.0}],
     "projections": [{"pre": "inp", "post": "exc", "connector": {"type": "FixedInDegree", "k": 9, ...},
                      "weight": 1.0, "delay_ns": 1.0, "target": "sites", "synapse": None,
                      "same_step": False}]}

Version 2 added ``same_step`` to projections (version-1 files load with its default, False) and
runs of three or more equal entries (a neuron's identical dendrites) stored once as
``{"$repeat": [count, entry]}``.
Order is kept: connectors and weight distributions draw from counter-based streams keyed by the
projection's index, so a network rebuilt from its dict simulates identically (same seed → same spikes).
A standard point model (``soen.models``: LIF, …) is stored as ``{"model": "LIF", "params": {...}}``
and rebuilt from a fixed allow-list of those classes. Values are JSON types, except that arrays
(spike-source times, positions, explicit connection lists, matrices, per-connection weights and
delays) are :class:`numpy.ndarray`. :func:`save_network` writes ``.json`` (arrays inlined as
``{"$array": {"dtype", "shape", "data"}}``) or ``.h5``/``.hdf5`` (arrays as datasets with Fletcher32
checksums); :func:`load_network` treats the file as hostile (sizes, types, integer-ness, nesting,
links), checks every field and names the file and the key that is wrong.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from soen.model.network import Network

from . import _safe
from ._safe import FileFormatError, describe
from ._schema import SchemaError, decode_network, encode_network

__all__ = ["network_to_dict", "network_from_dict", "save_network", "load_network", "NETWORK_FORMAT"]

NETWORK_FORMAT = "soen-network"
NETWORK_FORMAT_VERSION = 2
_TOP_KEYS = {"format", "format_version", "soen_version", "populations", "sources", "projections"}


def _soen_version() -> str:
    from soen import __version__

    return __version__


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
    return {
        "format": NETWORK_FORMAT,
        "format_version": NETWORK_FORMAT_VERSION,
        "soen_version": _soen_version(),
        **encode_network(net, strict=strict),
    }


def network_from_dict(d: dict) -> Network:
    """Rebuild a :class:`~soen.Network` from :func:`network_to_dict`'s dict (or its JSON form).

    Every field is checked; a wrong one raises ``ValueError`` naming its key path, e.g.
    ``projections[1].connector.k: expected an integer, got 'nine' (str)``.
    """
    if not isinstance(d, dict):
        raise SchemaError("network", f"expected a dict, got {describe(d)}")
    fmt = d.get("format")
    if fmt != NETWORK_FORMAT:
        raise SchemaError(
            "format", f"expected {NETWORK_FORMAT!r}, got {describe(fmt)} (not a soen network description)"
        )
    ver = d.get("format_version")
    if isinstance(ver, bool) or not isinstance(ver, int) or not 1 <= ver <= NETWORK_FORMAT_VERSION:
        raise SchemaError(
            "format_version", f"this soen reads version 1..{NETWORK_FORMAT_VERSION}, got {describe(ver)}"
        )
    for key in d:
        if key not in _TOP_KEYS:
            raise SchemaError(str(key), f"unknown key; allowed: {sorted(_TOP_KEYS)}")
    return decode_network(d)


# --------------------------------------------------------------------------------------------
# the file trees: arrays inlined ({"$array": ...}, JSON) or stored as datasets ({"$ref": name}, HDF5),
# runs of equal entries (a neuron's many identical dendrites) as {"$repeat": [count, entry]}
# --------------------------------------------------------------------------------------------
_PLAIN = (int, float, str, bool, type(None))
#: at most this many entries in all expanded runs of one file
_MAX_REPEATED = 10**7


def _flat(x) -> bool:
    return type(x) is dict and all(type(v) in _PLAIN for v in x.values())


def _pack(obj, array_of):
    """The file tree of a network dict: arrays through ``array_of``, equal runs packed."""
    if isinstance(obj, np.ndarray):
        return array_of(obj)
    if isinstance(obj, dict):
        return {k: _pack(v, array_of) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        out, i = [], 0
        while i < len(obj):
            x = obj[i]
            j = i + 1
            if _flat(x):
                while j < len(obj) and _flat(obj[j]) and obj[j] == x:
                    j += 1
            out.append({"$repeat": [j - i, _pack(x, array_of)]} if j - i >= 3 else _pack(x, array_of))
            i = j if j - i >= 3 else i + 1
        return out
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _to_json_tree(obj):
    """Replace arrays with ``{"$array": {dtype, shape, data}}`` (JSON-ready)."""
    return _pack(
        obj,
        lambda a: {
            "$array": {
                "dtype": a.dtype.str.lstrip("<>|="),
                "shape": list(a.shape),
                "data": a.ravel().tolist(),
            }
        },
    )


def split_arrays(obj, arrays: dict[str, np.ndarray], prefix: str = "a"):
    """Replace arrays by ``{"$ref": name}`` and collect them in ``arrays`` (for HDF5 storage)."""

    def ref(a):
        name = f"{prefix}{len(arrays)}"
        arrays[name] = a
        return {"$ref": name}

    return _pack(obj, ref)


_DTYPES = {"f8": np.float64, "i8": np.int64, "f4": np.float32, "i4": np.int32}


def _array_from_json(v: dict, where: str) -> np.ndarray:
    spec = v["$array"]
    if set(v) != {"$array"} or not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data"}:
        raise SchemaError(where, "malformed $array (needs exactly dtype, shape, data)")
    dtype = spec["dtype"]
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise SchemaError(where, f"$array dtype must be one of {sorted(_DTYPES)}, got {describe(dtype)}")
    shape = spec["shape"]
    if not isinstance(shape, list) or len(shape) > 8 or not all(type(x) is int and x >= 0 for x in shape):
        raise SchemaError(
            where, f"$array shape must be a list of non-negative integers, got {describe(shape)}"
        )
    data = spec["data"]
    size = math.prod(shape)
    if not isinstance(data, list) or len(data) != size:
        raise SchemaError(where, f"$array data must be a flat list of {size} numbers to fill shape {shape}")
    t = _DTYPES[dtype]
    if np.issubdtype(t, np.integer):
        if not all(type(x) is int for x in data):
            bad = next(x for x in data if type(x) is not int)
            raise SchemaError(
                where,
                f"$array of dtype {dtype} holds a non-integer, {describe(bad)} "
                "(integers are never truncated)",
            )
        info = np.iinfo(t)
        if data and (min(data) < info.min or max(data) > info.max):
            raise SchemaError(where, f"$array of dtype {dtype} holds a value outside {info.min}..{info.max}")
        return np.array(data, dtype=t).reshape(shape)
    if not all(type(x) in (int, float) for x in data):
        bad = next(x for x in data if type(x) not in (int, float))
        raise SchemaError(where, f"$array data must be numbers, got {describe(bad)}")
    try:
        a = np.array(data, dtype=np.float64)
    except OverflowError:
        raise SchemaError(where, "$array holds a number out of range") from None
    if not np.isfinite(a).all() or (t is np.float32 and np.abs(a).max(initial=0) > np.finfo(t).max):
        raise SchemaError(where, f"$array of dtype {dtype} holds non-finite or out-of-range values")
    return a.astype(t).reshape(shape)


def _array_at(arrays, ref: dict, where: str) -> np.ndarray:
    name = ref["$ref"]
    if set(ref) != {"$ref"} or not isinstance(name, str):
        raise SchemaError(where, f"malformed array reference {describe(ref)}")
    if isinstance(arrays, dict):
        if name not in arrays:
            raise SchemaError(where, f"refers to a missing array {name!r}")
        return np.asarray(arrays[name])
    if arrays is None or not _safe.has(arrays, name):
        raise SchemaError(where, f"refers to a missing array {_safe.printable(name)!r}")
    at = f"{where} (network/arrays/{name})"
    ds = _safe.node(arrays, name, kind="dataset", where=at)
    nd = len(ds.shape or ())
    if nd not in (1, 2):
        raise SchemaError(where, f"array {name!r} has shape {ds.shape}; expected 1-D or 2-D")
    return _safe.read_array(arrays, name, ndim=nd, kinds="fiu", where=at)


def _unpack(tree, arrays, where: str = ""):
    """Inverse of :func:`_pack` on a freshly parsed tree (changed in place, without recursion):
    ``$array`` (inline) and ``$ref`` (``arrays``: a dict, or an h5py group read through hard links with
    sizes checked) become arrays, ``$repeat`` runs become repeated entries (bounded in total)."""
    budget = [_MAX_REPEATED]

    def path(parts) -> str:
        out = where
        for p in parts:
            out = f"{out}[{p}]" if isinstance(p, int) else (f"{out}.{p}" if out else str(p))
        return out

    def special(v, parts):
        if "$array" in v:
            return _array_from_json(v, path(parts) or "network")
        if "$ref" in v:
            return _array_at(arrays, v, path(parts) or "network")
        return None

    def expand(lst: list, parts) -> list:
        out = []
        for i, v in enumerate(lst):
            if type(v) is dict and "$repeat" in v:
                run = v["$repeat"]
                if set(v) != {"$repeat"} or not (
                    isinstance(run, list) and len(run) == 2 and type(run[0]) is int and run[0] >= 1
                ):
                    raise SchemaError(
                        path((*parts, i)), f"malformed $repeat {describe(v)} (needs [count, entry])"
                    )
                budget[0] -= run[0]
                if budget[0] < 0:
                    raise SchemaError(
                        path((*parts, i)), f"repeats expand to more than {_MAX_REPEATED:,} entries"
                    )
                out.extend([run[1]] * run[0])
            else:
                out.append(v)
        return out

    if type(tree) is dict:
        sp = special(tree, ())
        if sp is not None:
            return sp
    elif type(tree) is not list:
        return tree
    seen: set = set()
    stack = [(tree, ())]
    while stack:
        o, parts = stack.pop()
        if type(o) is list and any(type(v) is dict and "$repeat" in v for v in o):
            o[:] = expand(o, parts)
        for k, v in o.items() if type(o) is dict else enumerate(o):
            if type(v) is dict:
                sp = special(v, (*parts, k))
                if sp is not None:
                    o[k] = sp
                    continue
            if type(v) in (dict, list) and id(v) not in seen:
                seen.add(id(v))
                stack.append((v, (*parts, k)))
    return tree


def _from_json_tree(obj, where: str = ""):
    return _unpack(obj, None, where)


def join_arrays(obj, arrays, where: str = ""):
    """Inverse of :func:`split_arrays`; ``arrays`` maps names to arrays, or is an h5py group (read
    through hard links only, each dataset's size checked against the file before reading)."""
    return _unpack(obj, arrays, where)


def write_network_group(group, d: dict) -> None:
    """Store a network dict in an HDF5 group: JSON skeleton (dataset ``json``) + arrays (group ``arrays``)."""
    arrays: dict[str, np.ndarray] = {}
    skeleton = split_arrays(d, arrays)
    _safe.write_json(group, "json", json.dumps(skeleton))
    g = group.create_group("arrays")
    for name, a in arrays.items():
        if a.size:
            g.create_dataset(name, data=a, fletcher32=True, compression="gzip" if a.size > 1024 else None)
        else:
            g.create_dataset(name, data=a)


def read_network_group(group) -> dict:
    """Read a network dict written by :func:`write_network_group` (arrays checked on rebuild)."""
    skeleton = _safe.read_json(group, "json", group.name.strip("/") or "/")
    arrays = (
        _safe.node(group, "arrays", kind="group", where="network/arrays")
        if _safe.has(group, "arrays")
        else None
    )
    return join_arrays(skeleton, arrays)


# --------------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------------
def save_network(net: Network, path: str | Path) -> Path:
    """Write ``net`` to ``path``: ``.json`` (readable, arrays inlined) or ``.h5``/``.hdf5`` (large arrays).

    Returns the path. Never uses pickle; read it back with :func:`load_network`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".h5", ".hdf5"):
        raise ValueError(f"path must end in .json, .h5 or .hdf5, got {str(path)!r}")
    d = network_to_dict(net)
    if suffix == ".json":
        path.write_text(json.dumps(_to_json_tree(d), indent=1, allow_nan=False) + "\n", encoding="utf-8")
    else:
        import h5py

        with h5py.File(path, "w") as f:
            f.attrs["format"] = NETWORK_FORMAT
            write_network_group(f.create_group("network"), d)
    return path


def load_network(path: str | Path) -> Network:
    """Read a network written by :func:`save_network` (or the ``network`` group of a results file).

    Raises ``FileNotFoundError`` for a missing file and :class:`~soen.io.FileFormatError` (a
    ``ValueError``) naming the file and the key for a malformed, forged or invalid one.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".h5", ".hdf5"):
        raise ValueError(f"path must end in .json, .h5 or .hdf5, got {str(path)!r}")
    if not path.exists():
        raise FileNotFoundError(f"no such network file: {_safe.printable(str(path))!r}")
    try:
        if suffix == ".json":
            if not path.is_file():
                raise FileFormatError("not a file (a network file was expected)")
            if path.stat().st_size > _safe._memory_bytes() // 8:
                raise FileFormatError("too large to read as JSON on this machine; store it as .h5")
            try:
                text = path.read_bytes().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise FileFormatError(f"not valid JSON (not UTF-8 text: {exc})") from None
            try:
                d = _safe.loads_json(text, "")
            except FileFormatError as exc:
                raise FileFormatError(f"not valid JSON ({exc.problem})") from None
            return network_from_dict(_from_json_tree(d))
        with _safe.open_hdf5(path, what="network file") as f:
            if not _safe.has(f, "network"):
                raise FileFormatError("no 'network' group (not a soen network or results file)")
            d = read_network_group(_safe.node(f, "network", kind="group"))
        return network_from_dict(d)
    except Exception as exc:  # noqa: BLE001 - translated to one line naming the file, or re-raised
        err = _safe.as_file_error(exc, path, "network file")
        if err is exc:
            raise
        raise err from None
