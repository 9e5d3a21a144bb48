"""Lowering of NIR's linear nodes: every chain of linear maps between two stateful (or Input) nodes
becomes one explicit sparse list of connections (pre, post, weight, delay).

Affine, Linear, Scale, Flatten, Conv1d, Conv2d, SumPool2d, AvgPool2d and Delay act on C-order
flattened signals; each is a sparse (out, in) matrix (Delay and Scale per element), and a chain is
their composition, walked from every source without recursion (any graph depth). Biases (Affine,
Conv) are pushed forward through the chain to the neurons they reach, as constant inputs. Sizes are
bounded (:data:`~soen.io._nir_file.MAX_ELEMENTS` per signal, :data:`~soen.io._nir_file.MAX_CONNECTIONS`
per chain): a graph that would expand beyond them is refused with the node named, before allocating.
"""

from __future__ import annotations

import math

import numpy as np

from ._nir_file import LINEAR, MAX_CONNECTIONS, MAX_ELEMENTS, STATEFUL, Graph, Node

__all__ = ["lower", "push_biases", "op_matrix", "per_element"]

_MAX_VISITS = 200_000


def _conv_matrix(node: Node, weight: np.ndarray, in_shape: tuple, stride, padding, dilation, groups: int):
    """Sparse (out, in) matrix of an N-d convolution (cross-correlation, as PyTorch/NIR), output shape."""
    import scipy.sparse as sp

    nd = weight.ndim - 2
    c_out, c_in_g = weight.shape[:2]
    ks = weight.shape[2:]
    if len(in_shape) != nd + 1:
        raise node.error(f"expects an input of shape (channels, {nd} spatial sizes), got {in_shape}")
    c_in = in_shape[0]
    sp_in = tuple(int(v) for v in in_shape[1:])
    stride = tuple(int(s) for s in np.broadcast_to(np.asarray(stride).ravel(), (nd,)))
    dilation = tuple(int(s) for s in np.broadcast_to(np.asarray(dilation).ravel(), (nd,)))
    if isinstance(padding, str):
        pads = (0,) * nd if padding == "valid" else tuple(dilation[k] * (ks[k] - 1) // 2 for k in range(nd))
    else:
        pads = tuple(int(p) for p in np.broadcast_to(np.asarray(padding).ravel(), (nd,)))
    if c_in != c_in_g * groups:
        raise node.error(f"{c_in} input channels do not match weight {weight.shape} with groups={groups}")
    out_sp = tuple(
        (sp_in[k] + 2 * pads[k] - dilation[k] * (ks[k] - 1) - 1) // stride[k] + 1 for k in range(nd)
    )
    if isinstance(padding, str) and padding == "same":
        out_sp = sp_in
    if min(out_sp) < 1:
        raise node.error(f"kernel {ks} does not fit the input {sp_in} (padding {pads})")
    n_out_sp = math.prod(out_sp)
    if c_out * n_out_sp > MAX_ELEMENTS or c_out * n_out_sp * c_in_g * math.prod(ks) > MAX_CONNECTIONS:
        raise node.error(
            f"output of {c_out * n_out_sp:,} elements with {c_in_g * math.prod(ks)} inputs each: too "
            f"large (at most {MAX_ELEMENTS:,} elements, {MAX_CONNECTIONS:,} connections)"
        )
    grids = np.meshgrid(*[np.arange(o) for o in out_sp], indexing="ij")
    outs = [g.ravel() for g in grids]
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
    n_in = c_in * math.prod(sp_in)
    r = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
    v = np.concatenate(vals) if vals else np.empty(0)
    return sp.csc_matrix((v, (r, c)), shape=(c_out * n_out_sp, n_in)), (c_out, *out_sp)


def op_matrix(node: Node, shape: tuple):
    """(sparse (out, in) matrix, output shape, bias over the output or None) of a matrix-like node."""
    import scipy.sparse as sp

    n_in = math.prod(shape)
    k, p = node.kind, node.p
    if k in ("Affine", "Linear"):
        W = p["weight"]
        if W.shape[1] != n_in:
            raise node.error(f"weight of shape {W.shape} does not fit an input of {n_in} elements")
        b = np.broadcast_to(p["bias"].ravel(), (W.shape[0],)) if k == "Affine" else None
        return sp.csc_matrix(W), (W.shape[0],), (b.copy() if b is not None and np.any(b) else None)
    if k in ("Conv1d", "Conv2d"):
        mat, out_shape = _conv_matrix(
            node, p["weight"], shape, p["stride"], p["padding"], p["dilation"], int(p["groups"])
        )
        b = p["bias"].ravel()
        bias = np.repeat(np.broadcast_to(b, (out_shape[0],)), math.prod(out_shape[1:])) if np.any(b) else None
        return mat, out_shape, bias
    if k in ("SumPool2d", "AvgPool2d"):
        if len(shape) != 3:
            raise node.error(f"pools a (channels, height, width) input, got shape {shape}")
        ks = np.broadcast_to(p["kernel_size"].ravel(), (2,))
        scale = 1.0 if k == "SumPool2d" else 1.0 / float(np.prod(ks))
        w = np.ones((shape[0], 1, *[int(x) for x in ks])) * scale
        mat, out_shape = _conv_matrix(node, w, shape, p["stride"], p["padding"], 1, groups=shape[0])
        return mat, out_shape, None
    raise node.error("is not a matrix-like node")  # pragma: no cover - callers dispatch on kind


def per_element(node: Node, key: str, shape: tuple) -> np.ndarray:
    """A parameter as one value per element of ``shape`` (flattened), broadcasting if needed."""
    arr = node.p[key]
    if arr.size == math.prod(shape):
        return arr.ravel()
    try:
        return np.broadcast_to(arr, shape).ravel()
    except ValueError:
        raise node.error(
            f"parameter {key!r} of shape {arr.shape} does not fit a signal of shape {shape}"
        ) from None


def _compose(node: Node, entries, mat):
    """entries (pre, cur, w, d) followed by a sparse (out, in) matrix (CSC) → new entries."""
    pre, cur, w, d = entries
    counts = np.diff(mat.indptr)[cur]
    total = int(counts.sum())
    if total > MAX_CONNECTIONS:
        raise node.error(
            f"the linear maps up to here make {total:,} connections (more than {MAX_CONNECTIONS:,})"
        )
    rep = np.repeat(np.arange(cur.size), counts)
    starts = mat.indptr[cur]
    offs = np.arange(rep.size) - np.repeat(np.cumsum(counts) - counts, counts)
    idx = starts[rep] + offs
    return pre[rep], mat.indices[idx].astype(np.int64), w[rep] * mat.data[idx], d[rep]


def _apply(node: Node, entries, shape):
    pre, cur, w, d = entries
    if node.kind == "Flatten":
        return entries, (math.prod(shape),)
    if node.kind == "Scale":
        return (pre, cur, w * per_element(node, "scale", shape)[cur], d), shape
    if node.kind == "Delay":
        return (pre, cur, w, d + per_element(node, "delay", shape)[cur]), shape
    mat, out_shape, _ = op_matrix(node, shape)
    return _compose(node, entries, mat), out_shape


def successors(graph: Graph) -> dict:
    succ: dict = {n: [] for n in graph.nodes}
    for a, b in graph.edges:
        succ[a].append(b)
    return succ


def lower(graph: Graph, sources: dict):
    """Walk the linear chains from every source (``sources``: node → shape).

    Returns ``(conns, outputs, in_shapes)``: connections ``(src, dst, pre, post, w, d)`` between
    source/stateful nodes, Output node → the node feeding it, and the input shape reaching each linear node.
    """
    succ = successors(graph)
    nodes = graph.nodes
    conns, outputs, in_shapes = [], {}, {}
    limit = len(nodes) + 1
    visits = 0
    for src, shape in sources.items():
        n = math.prod(shape)
        ident = (np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64), np.ones(n), np.zeros(n))
        stack = [(src, ident, shape, 0)]
        while stack:
            at, entries, shp, depth = stack.pop()
            if depth > limit:
                raise ValueError("NIR graph has a loop of linear nodes without a neuron in it")
            visits += 1
            if visits > _MAX_VISITS:
                raise ValueError(f"NIR graph has more than {_MAX_VISITS:,} paths through its linear nodes")
            for nxt in succ[at]:
                node = nodes[nxt]
                k = node.kind
                if k == "Output":
                    if at != src:
                        raise node.error(
                            "is fed by a linear map: not supported (outputs must follow neuron or "
                            "input nodes)"
                        )
                    outputs[nxt] = src
                elif k in STATEFUL:
                    n_dst = math.prod(node.shape)
                    if math.prod(shp) != n_dst:
                        raise node.error(f"receives {math.prod(shp)} values from {at!r} for {n_dst} neurons")
                    conns.append((src, nxt, *entries))
                elif k == "Input":
                    raise node.error(f"is an Input node but has an incoming edge (from {at!r})")
                elif k in LINEAR:
                    in_shapes.setdefault(nxt, shp)
                    out = _apply(node, entries, shp)
                    stack.append((nxt, out[0], out[1], depth + 1))
    return conns, outputs, in_shapes


def push_biases(graph: Graph, in_shapes: dict, targets: dict, skip=()) -> None:
    """Add every Affine/Conv bias, pushed forward through the linear nodes after it, to ``targets``
    (stateful node → array of its constant input); nodes in ``skip`` are left out."""
    succ = successors(graph)
    nodes = graph.nodes
    limit = len(nodes) + 1
    for name, node in nodes.items():
        if node.kind not in ("Affine", "Conv1d", "Conv2d") or name in skip:
            continue
        shape = in_shapes.get(name) or node.shape
        if shape is None and node.kind == "Affine":
            shape = (node.p["weight"].shape[1],)
        if shape is None and "input_shape" in node.p:
            w = node.p["weight"]
            shape = (w.shape[1] * int(node.p["groups"]), *(int(x) for x in node.p["input_shape"].ravel()))
        if shape is None:
            if np.any(node.p["bias"]):
                raise node.error(
                    "has a bias but no known input shape (give it input_shape, or connect an input)"
                )
            continue
        _, out_shape, b = op_matrix(node, tuple(shape))
        if b is None:
            continue
        stack = [(name, b, out_shape, 0)]
        while stack:
            at, bias, shp, depth = stack.pop()
            if depth > limit:
                raise ValueError("NIR graph has a loop of linear nodes without a neuron in it")
            for nxt in succ[at]:
                nn = nodes[nxt]
                if nn.kind in STATEFUL:
                    if bias.size != targets[nxt].size:
                        raise nn.error(
                            f"receives a bias of {bias.size} values for {targets[nxt].size} neurons"
                        )
                    targets[nxt] += bias
                elif nn.kind == "Output":
                    raise nn.error("is fed by a linear map with a bias: not supported")
                elif nn.kind in ("Flatten", "Delay"):
                    stack.append((nxt, bias, (bias.size,) if nn.kind == "Flatten" else shp, depth + 1))
                elif nn.kind == "Scale":
                    stack.append((nxt, bias * per_element(nn, "scale", shp), shp, depth + 1))
                elif nn.kind in LINEAR:
                    mat, out2, b2 = op_matrix(nn, shp)
                    stack.append((nxt, mat @ bias + (b2 if b2 is not None else 0.0), out2, depth + 1))
