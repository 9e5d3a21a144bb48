"""NIR graphs as checked plain records: read from a ``.nir`` file as hostile data, or taken from a
``nir.NIRGraph`` object; every node's type, parameters and shapes validated, errors naming the node.

A ``.nir`` file is read without the ``nir`` package's reader (which trusts the file): through
:mod:`soen.io._safe` (hard links only, declared sizes checked against the file, nesting bounded), then
each node is checked against :data:`NODE_FIELDS`. The result, a :class:`Graph` of :class:`Node`
records, is what the importer lowers; a ``nir.NIRGraph`` given in memory becomes the same records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import _safe
from ._safe import FileFormatError, describe, printable

__all__ = ["Node", "Graph", "read_graph", "graph_of", "NS_PER_MS", "STATEFUL", "LINEAR", "MAX_ELEMENTS"]

NS_PER_MS = 1e6
STATEFUL = ("LIF", "CubaLIF", "LI", "IF", "I", "Threshold")
LINEAR = ("Affine", "Linear", "Scale", "Flatten", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Delay")
#: at most this many elements in one signal (a node's flattened output), nodes in a graph, connections
MAX_ELEMENTS = 2**24
MAX_NODES = 100_000
MAX_CONNECTIONS = 2**27

# field -> (kind, required): "f" float array, "i" integer array, "pad" integers or "same"/"valid", "int"
_ARR = ("f", True)
NODE_FIELDS: dict[str, dict] = {
    "Input": {"shape": ("i", True)},
    "Output": {"shape": ("i", False)},
    "Affine": {"weight": _ARR, "bias": _ARR},
    "Linear": {"weight": _ARR},
    "Scale": {"scale": _ARR},
    "Flatten": {"start_dim": ("int", False), "end_dim": ("int", False), "input_type": ("i", False)},
    "Conv1d": {
        "weight": _ARR,
        "stride": ("i", True),
        "padding": ("pad", True),
        "dilation": ("i", True),
        "groups": ("int", True),
        "bias": _ARR,
        "input_shape": ("i", False),
    },
    "Conv2d": {
        "weight": _ARR,
        "stride": ("i", True),
        "padding": ("pad", True),
        "dilation": ("i", True),
        "groups": ("int", True),
        "bias": _ARR,
        "input_shape": ("i", False),
    },
    "SumPool2d": {"kernel_size": ("i", True), "stride": ("i", True), "padding": ("i", True)},
    "AvgPool2d": {"kernel_size": ("i", True), "stride": ("i", True), "padding": ("i", True)},
    "Delay": {"delay": _ARR},
    "LIF": {"tau": _ARR, "r": _ARR, "v_leak": _ARR, "v_threshold": _ARR, "v_reset": ("f", False)},
    "CubaLIF": {
        "tau_syn": _ARR,
        "tau_mem": _ARR,
        "r": _ARR,
        "v_leak": _ARR,
        "v_threshold": _ARR,
        "v_reset": ("f", False),
        "w_in": _ARR,
    },
    "LI": {"tau": _ARR, "r": _ARR, "v_leak": _ARR},
    "IF": {"r": _ARR, "v_threshold": _ARR, "v_reset": ("f", False)},
    "I": {"r": _ARR},
    "Threshold": {"threshold": _ARR},
}
SUPPORTED = tuple(NODE_FIELDS)


@dataclass
class Node:
    """One checked NIR node: ``kind`` (NIR type name), parameters ``p``, ``metadata`` (plain dict),
    ``shape`` (the node's output shape for Input and stateful nodes, else None)."""

    name: str
    kind: str
    p: dict
    metadata: dict = field(default_factory=dict)
    shape: tuple | None = None

    def error(self, message: str) -> ValueError:
        return ValueError(printable(f"NIR node {self.name!r} ({self.kind}): {message}"))


@dataclass
class Graph:
    nodes: dict
    edges: list
    metadata: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# checking one node
# --------------------------------------------------------------------------------------------
def _array(node_name, kind, key, v, want) -> np.ndarray | int | str:
    where = f"NIR node {node_name!r} ({kind}): parameter {key!r}"
    v = v.item() if isinstance(v, np.generic) else v
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    if want == "pad" and isinstance(v, str):
        if v not in ("same", "valid"):
            raise ValueError(printable(f"{where} must be integers, 'same' or 'valid', got {v!r}"))
        return v
    if want == "int":
        if isinstance(v, np.ndarray) and v.size == 1:
            v = v.reshape(-1)[0].item()
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(printable(f"{where} must be an integer, got {describe(v)}"))
        return v
    try:
        a = np.asarray(v)
    except (TypeError, ValueError) as exc:
        raise ValueError(printable(f"{where} is not an array ({exc})")) from None
    if a.dtype.kind == "b" or a.dtype.kind not in ("iu" if want in ("i", "pad") else "fiu"):
        raise ValueError(
            printable(f"{where} must be {'integers' if want != 'f' else 'numbers'}, got dtype {a.dtype}")
        )
    if a.ndim > 6 or a.size > MAX_ELEMENTS * 4:
        raise ValueError(printable(f"{where} has shape {a.shape}: too large"))
    if want == "f":
        a = a.astype(np.float64)
        if not np.isfinite(a).all():
            raise ValueError(printable(f"{where} holds non-finite values"))
    else:
        a = a.astype(np.int64)
        if a.size and (a.min() < -MAX_ELEMENTS or a.max() > MAX_ELEMENTS):
            raise ValueError(printable(f"{where} holds integers outside ±{MAX_ELEMENTS}"))
    return a


def _stateful_shape(node: Node) -> tuple:
    sizes = {k: v.size for k, v in node.p.items()}
    n = max(sizes.values())
    if n == 0:
        raise node.error("parameters are empty (a node of 0 neurons)")
    ref = next(v for v in node.p.values() if v.size == n)
    for k, v in node.p.items():
        if v.size not in (1, n):
            raise node.error(
                f"parameter {k!r} has {v.size} values for {n} neurons (shapes {v.shape} and "
                f"{ref.shape}); each parameter has one value, or one per neuron"
            )
    if n > MAX_ELEMENTS:
        raise node.error(f"{n:,} neurons: more than {MAX_ELEMENTS:,}")
    return tuple(int(s) for s in ref.shape) or (1,)


def check_node(name, kind, params: dict, metadata) -> Node:
    """A :class:`Node` from a type name and raw parameters (from a file or a ``nir`` object)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"NIR node name must be a non-empty string, got {describe(name)}")
    if kind == "NIRGraph":
        raise ValueError(printable(f"NIR node {name!r} is a nested graph: flatten it first (not supported)"))
    if kind not in NODE_FIELDS:
        raise ValueError(
            printable(
                f"NIR node {name!r} of type {kind!r} is not supported by soen.io.nir; "
                f"supported: {sorted(SUPPORTED)}"
            )
        )
    spec = NODE_FIELDS[kind]
    p = {}
    for key, (want, required) in spec.items():
        v = params.get(key)
        if v is None:
            if required:
                raise ValueError(printable(f"NIR node {name!r} ({kind}): parameter {key!r} is missing"))
            continue
        p[key] = _array(name, kind, key, v, want)
    node = Node(name, kind, p, metadata if isinstance(metadata, dict) else {})
    if kind in STATEFUL:
        node.shape = _stateful_shape(node)
    elif kind == "Input":
        shp = p["shape"].ravel()
        if shp.size == 0 or shp.size > 6 or (shp < 1).any() or math.prod(int(x) for x in shp) > MAX_ELEMENTS:
            raise node.error(
                f"input shape must be 1 to 6 positive sizes with at most {MAX_ELEMENTS:,} "
                f"elements, got {shp.tolist()}"
            )
        node.shape = tuple(int(x) for x in shp)
    elif kind in ("Affine", "Linear"):
        w = p["weight"]
        if w.ndim != 2:
            raise node.error(f"weight must be a 2-D (out, in) matrix, got shape {w.shape}")
        if kind == "Affine" and p["bias"].size not in (1, w.shape[0]):
            raise node.error(f"bias has {p['bias'].size} values for {w.shape[0]} outputs")
    elif kind in ("Conv1d", "Conv2d"):
        nd = 1 if kind == "Conv1d" else 2
        w = p["weight"]
        if w.ndim != nd + 2 or 0 in w.shape:
            raise node.error(
                f"weight must be {nd + 2}-D (out channels, in channels / groups, kernel), got shape {w.shape}"
            )
        if p["groups"] < 1 or w.shape[0] % p["groups"]:
            raise node.error(f"groups={p['groups']} must be >= 1 and divide the {w.shape[0]} output channels")
        for key in ("stride", "dilation"):
            if p[key].size not in (1, nd) or (p[key] < 1).any():
                raise node.error(f"{key} must be {nd} positive integer(s), got {p[key].tolist()}")
        pad = p["padding"]
        if not isinstance(pad, str) and (pad.size not in (1, nd) or (pad < 0).any()):
            raise node.error(
                f"padding must be {nd} non-negative integer(s), 'same' or 'valid', got {pad.tolist()}"
            )
        if p["bias"].size not in (1, w.shape[0]):
            raise node.error(f"bias has {p['bias'].size} values for {w.shape[0]} output channels")
    elif kind in ("SumPool2d", "AvgPool2d"):
        for key in ("kernel_size", "stride"):
            if p[key].size not in (1, 2) or (p[key] < 1).any():
                raise node.error(f"{key} must be 2 positive integers, got {p[key].tolist()}")
        if p["padding"].size not in (1, 2) or (p["padding"] < 0).any():
            raise node.error(f"padding must be 2 non-negative integers, got {p['padding'].tolist()}")
    elif kind == "Delay" and (p["delay"] < 0).any():
        raise node.error("negative delay")
    return node


def _edges(raw, nodes: dict, where: str) -> list:
    try:
        a = np.asarray(raw)
    except (TypeError, ValueError):
        a = None
    if a is None or (a.size and (a.ndim != 2 or a.shape[1] != 2)):
        raise ValueError(
            printable(f"{where}: NIR edges must be a list of (source, target) pairs, got {describe(raw)}")
        )
    edges = []
    for i, (s, t) in enumerate(a.reshape(-1, 2).tolist()):
        s, t = (x.decode("utf-8", "replace") if isinstance(x, bytes) else x for x in (s, t))
        if not isinstance(s, str) or not isinstance(t, str):
            raise ValueError(printable(f"{where}: NIR edge {i} ({s!r}, {t!r}) must name two nodes"))
        ends = []
        for e in (s, t):
            e2 = e if e in nodes else e.split(".")[0]
            if e2 not in nodes:
                raise ValueError(printable(f"{where}: NIR edge {s!r} -> {t!r} names a missing node {e!r}"))
            ends.append(e2)
        edges.append(tuple(ends))
    return edges


# --------------------------------------------------------------------------------------------
# from a nir.NIRGraph object
# --------------------------------------------------------------------------------------------
def graph_of(graph) -> Graph:
    """Records of an in-memory ``nir.NIRGraph`` (its nodes checked like a file's)."""
    nodes_in = getattr(graph, "nodes", None)
    if not isinstance(nodes_in, dict):
        raise TypeError(f"from_nir expects a nir.NIRGraph or a path, got {describe(graph)}")
    if len(nodes_in) > MAX_NODES:
        raise ValueError(f"NIR graph has {len(nodes_in):,} nodes (more than {MAX_NODES:,})")
    nodes = {}
    for name, obj in nodes_in.items():
        kind = type(obj).__name__
        params = {k: getattr(obj, k, None) for k in NODE_FIELDS.get(kind, {})}
        it = getattr(obj, "input_type", None)
        if kind == "Input":
            params["shape"] = it.get("input") if isinstance(it, dict) else None
        elif kind == "Output":
            ot = getattr(obj, "output_type", None)
            params["shape"] = ot.get("output") if isinstance(ot, dict) else None
        elif kind == "Flatten" and isinstance(it, dict):
            params["input_type"] = it.get("input")
        node = check_node(name, kind, params, getattr(obj, "metadata", {}))
        if kind in ("Affine", "Conv1d", "Conv2d") and isinstance(it, dict) and it.get("input") is not None:
            try:
                node.shape = tuple(int(v) for v in np.asarray(it["input"]).ravel())  # declared input shape
            except (TypeError, ValueError):
                node.shape = None
        nodes[name] = node
    meta = getattr(graph, "metadata", None)
    return Graph(
        nodes,
        _edges(list(getattr(graph, "edges", [])), nodes, "graph"),
        meta if isinstance(meta, dict) else {},
    )


# --------------------------------------------------------------------------------------------
# from a .nir file (HDF5), as hostile data
# --------------------------------------------------------------------------------------------
def _tree(group, where: str, depth: int = 0) -> dict:
    """A group as a dict of values (datasets read with their sizes checked), nesting bounded."""
    import h5py

    if depth > 16:
        raise FileFormatError("groups nested deeper than 16 levels", key=where)
    out = {}
    for key in list(group.keys())[: MAX_NODES + 1]:
        w = f"{where}/{key}"
        obj = _safe.node(group, key, where=w)
        if isinstance(obj, h5py.Group):
            out[key] = _tree(obj, w, depth + 1)
        else:
            nd = len(obj.shape or ())
            if nd > 6:
                raise FileFormatError(f"array of {nd} dimensions", key=w)
            v = _safe.read_array(group, key, ndim=nd, kinds="fiubOSU", where=w)
            if v.ndim == 0:
                v = v[()]
                v = v.item() if isinstance(v, np.generic) else v
                if isinstance(v, bytes):
                    try:
                        v = v.decode("utf-8")
                    except UnicodeDecodeError:
                        raise FileFormatError("text is not UTF-8", key=w) from None
            out[key] = v
    return out


def read_graph(path) -> Graph:
    """Read a ``.nir`` file: every node and edge checked; errors name the file and the node."""
    p = Path(path)
    try:
        with _safe.open_hdf5(p, what="NIR file") as f:
            if not _safe.has(f, "node"):
                raise FileFormatError("no 'node' group (not a NIR file)")
            root = _safe.node(f, "node", kind="group")
            if not _safe.has(root, "nodes"):
                raise FileFormatError("no 'nodes' group (not a NIR graph)", key="node")
            kind = _safe.typed(
                _safe.read_array(root, "type", ndim=0, kinds="OSU", where="node/type")[()], "str", "node/type"
            )
            if kind != "NIRGraph":
                raise FileFormatError(f"the top node is a {kind!r}, not a NIRGraph", key="node/type")
            groups = _safe.node(root, "nodes", kind="group")
            names = list(groups.keys())
            if len(names) > MAX_NODES:
                raise FileFormatError(f"{len(names):,} nodes (more than {MAX_NODES:,})", key="node/nodes")
            nodes = {}
            for name in names:
                w = f"node/nodes/{name}"
                g = _safe.node(groups, name, where=w)
                if not hasattr(g, "keys"):
                    raise FileFormatError("expected a group (a NIR node), got a dataset", key=w)
                d = _tree(g, w)
                t = d.pop("type", None)
                if not isinstance(t, str):
                    raise FileFormatError(f"NIR node {name!r} has no 'type' text (got {describe(t)})", key=w)
                meta = d.pop("metadata", {})
                extra = sorted(set(d) - set(NODE_FIELDS.get(t, {})) - {"input_type", "output_type"})
                if t in NODE_FIELDS and extra:
                    raise FileFormatError(f"NIR node {name!r} ({t}) has unknown entries {extra}", key=w)
                nodes[name] = check_node(name, t, d, meta)
            edges = np.empty((0, 2), dtype=object)
            if (
                _safe.has(root, "edges")
                and _safe.node(root, "edges", kind="dataset", where="node/edges").size
            ):
                edges = _safe.read_array(root, "edges", ndim=2, kinds="OSU", where="node/edges")
            meta = (
                _tree(_safe.node(root, "metadata", kind="group"), "node/metadata")
                if _safe.has(root, "metadata")
                else {}
            )
            return Graph(nodes, _edges(edges, nodes, "node/edges"), meta)
    except FileFormatError as exc:
        if exc.file is not None:
            raise
        raise FileFormatError(exc.problem, file=p, key=exc.key) from None
    except MemoryError:
        raise FileFormatError("declares more data than this machine can hold", file=p) from None
    except ValueError as exc:
        raise FileFormatError(str(exc), file=p) from None
    except (OSError, KeyError, TypeError, RuntimeError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise FileFormatError(
            f"damaged or unreadable NIR file ({type(exc).__name__}: {exc})", file=p
        ) from None
