"""Compact construction of a SOEN network's synapse arrays (used by :func:`soen.engine.compile.compile_soen`).

Connections are drawn projection by projection and, for the random connectors, block by block of
target neurons (:func:`soen.engine.compile.resolve_projection` draws row by row per target, so the
blocks together are exactly the whole projection). Each block is reduced at once to narrow columns
(sender int32, dendrite int32, weight float64, delay in steps int32, projection int16: 22 B per
connection). Numba passes then order the connections by (sender, delay) with two stable counting
sorts, assign the synaptic channels, and gather the final columns one at a time, freeing each source
column as soon as it is used. The peak therefore stays near 22 B + 4 B (the order) + the column being
gathered per connection, and the arrays that remain are

=============  ======================================  ==========
``sy_w``       weight (float64)                         8 B
``sy_ch``      channel (int32)                          4 B
``sy_type``    synapse type (uint8 up to 256 types)     1 B
``out_delay``  delay in steps (int16 below 32,768)      2 B
``conn_post``  target neuron (int32)                    4 B
``conn_proj``  projection index (int16)                 2 B
``in_syn``     incoming lists, per target (int32)       4 B
=============  ======================================  ==========

25 B per connection (the sender of connection e is implicit in the CSR ``out_ptr``): the reference
layout (``compile_soen(connectivity="reference")``, and every network with plastic projections).

The compact layout (the default for static networks, :class:`CompactColumns`) stores per connection
only ``sy_ch`` (4 B), ``sy_cls`` (1 B up to 256 classes: one class per projection and per refractory
synapse type) and ``out_delay`` (2 B): 7 B of static connectivity, measured 7.0 B per synapse at 4e6
and 2e7 synapses (``benchmarks/bench_memory.py``). The weight and synapse type are per class when every
projection has one weight (otherwise ``sy_w``, 8 B, stays per synapse: 15 B); ``sy_w``, ``sy_type``,
``conn_post``, ``conn_proj``, ``in_ptr`` and ``in_syn`` are derived on first use.

Not connectivity: the CPU engine's per-synapse SPD state, 16 B (``sy_last``, the step of the last
detected photon, int64, and ``sy_phi_end``, the flux at the end of its hotspot, float64). It is the
physics state of each detector (dead time, the decaying flux a new photon adds to), allocated per run
and not part of the compiled network.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["ConnectionColumns", "CompactColumns", "smallest_int", "post_blocks"]

#: target size of one block of drawn connections (bounded temporaries while drawing)
BLOCK_CONNECTIONS = 1 << 18
INT32_MAX = 2**31 - 1


def smallest_int(max_value: int, signed: bool = True):
    """The narrowest integer dtype holding 0 … ``max_value``."""
    for dt in ((np.int8, np.int16, np.int32, np.int64) if signed else (np.uint8, np.uint16, np.uint32, np.uint64)):
        if max_value <= np.iinfo(dt).max:
            return dt
    raise ValueError(f"value {max_value} does not fit in 64 bits")


def post_blocks(network, proj):
    """Blocks of target neurons to draw a projection in (``[None]``: all at once). Random connectors
    with scalar or distribution weights and delays are drawn in blocks of about
    :data:`BLOCK_CONNECTIONS` connections; per-connection arrays and deterministic connectors need the
    whole projection at once."""
    from soen.model.network import FixedInDegree, FixedProbability

    c = proj.connector
    if not isinstance(c, (FixedInDegree, FixedProbability)):
        return [None]
    if any(np.ndim(v) > 0 for v in (proj.weight, proj.delay_ns) if not hasattr(v, "sample")):
        return [None]
    n_pre = network.populations[proj.pre].n if proj.pre in network.populations else network.sources[proj.pre].n
    n_post = network.populations[proj.post].n
    per_post = float(c.k) if isinstance(c, FixedInDegree) else float(c.p) * n_pre
    step = max(1, int(BLOCK_CONNECTIONS // max(per_post, 1.0)))
    if step >= n_post:
        return [None]
    return [np.arange(a, min(a + step, n_post), dtype=np.int64) for a in range(0, n_post, step)]


class ConnectionColumns:
    """Narrow columns of the drawn connections, appended block by block (in drawing order)."""

    def __init__(self):
        self.parts: dict[str, list] = {k: [] for k in ("pre", "dend", "w", "delay", "proj")}
        self.n = 0
        self.max_delay = 0

    def append(self, pre_g, dend, w, delay_steps, proj_index: int, what: str) -> None:
        n = int(pre_g.size)
        if not n:
            return
        dmax = int(delay_steps.max())
        if dmax > INT32_MAX:
            raise ValueError(f"{what}: a delay of {dmax} steps is too long (at most {INT32_MAX} steps)")
        self.max_delay = max(self.max_delay, dmax)
        self.parts["pre"].append(pre_g.astype(np.int32))
        self.parts["dend"].append(dend.astype(np.int32))
        if w is not None:  # (None: the projection's one weight is kept per class, soen.engine.compile)
            self.parts["w"].append(np.asarray(w, dtype=np.float64))
        self.parts["delay"].append(delay_steps.astype(np.int32))
        self.parts["proj"].append(np.full(n, proj_index, dtype=np.int16))
        self.n += n

    def take(self, name: str, dtype) -> np.ndarray:
        """The whole column ``name`` (its parts are released)."""
        parts = self.parts.pop(name)
        out = np.empty(self.n, dtype=dtype)
        o = 0
        while parts:
            p = parts.pop(0)
            out[o:o + p.size] = p
            o += p.size
        return out


# ------------------------------------------------------------------------------------------------
# numba passes
# ------------------------------------------------------------------------------------------------
@nb.njit(cache=True)
def fan_in_and_channels(dend, w, proj, type_of_proj, st_A, grp_of_type, n_grp, ref_dend, ref_type, hi, lo, present):
    """Per dendrite: the sums of the positive and negative maxima w·A of its synapses (``hi``, ``lo``),
    and which (dendrite, τ-group) channels exist (``present``, refractory drives included)."""
    for j in range(dend.shape[0]):
        d = dend[j]
        ty = type_of_proj[proj[j]]
        x = w[j] * st_A[ty]
        if x > 0.0:
            hi[d] += x
        else:
            lo[d] += x
        present[d * n_grp + grp_of_type[ty]] = True
    for i in range(ref_dend.shape[0]):
        present[ref_dend[i] * n_grp + grp_of_type[ref_type[i]]] = True


@nb.njit(cache=True)
def order_by_sender_delay(pre, delay, n_nodes, max_delay, order, tmp, out_ptr):
    """``order``: connection indices sorted by (sender, delay), stable (two counting sorts: by delay,
    then by sender); ``out_ptr``: the CSR pointer of the senders."""
    n = pre.shape[0]
    cnt = np.zeros(max_delay + 2, dtype=np.int64)
    for j in range(n):
        cnt[delay[j] + 1] += 1
    for q in range(1, cnt.shape[0]):
        cnt[q] += cnt[q - 1]
    for j in range(n):
        d = delay[j]
        tmp[cnt[d]] = j
        cnt[d] += 1
    out_ptr[:] = 0
    for j in range(n):
        out_ptr[pre[j] + 1] += 1
    for q in range(1, n_nodes + 1):
        out_ptr[q] += out_ptr[q - 1]
    cur = out_ptr[:-1].copy()
    for q in range(n):
        j = tmp[q]
        s = pre[j]
        order[cur[s]] = j
        cur[s] += 1


@nb.njit(cache=True)
def gather(src, order, out):
    """out[k] = src[order[k]] for the first order.size entries of ``out``."""
    for k in range(order.shape[0]):
        out[k] = src[order[k]]


@nb.njit(cache=True)
def gather_targets(dend, proj, order, d_neuron, ch_of, n_grp, grp_of_type, type_of_proj, sy_ch, sy_type,
                   conn_post, conn_proj):
    """Channel, synapse type, target neuron and projection of every ordered connection."""
    for k in range(order.shape[0]):
        j = order[k]
        d = dend[j]
        p = proj[j]
        ty = type_of_proj[p]
        sy_ch[k] = ch_of[d * n_grp + grp_of_type[ty]]
        sy_type[k] = ty
        conn_post[k] = d_neuron[d]
        conn_proj[k] = p


@nb.njit(cache=True)
def incoming(conn_post, n_neu, in_ptr, in_syn):
    """Connections grouped by target neuron, ascending within each (a stable counting sort)."""
    in_ptr[:] = 0
    for k in range(conn_post.shape[0]):
        in_ptr[conn_post[k] + 1] += 1
    for q in range(1, n_neu + 1):
        in_ptr[q] += in_ptr[q - 1]
    cur = in_ptr[:-1].copy()
    for k in range(conn_post.shape[0]):
        i = conn_post[k]
        in_syn[cur[i]] = k
        cur[i] += 1


# ------------------------------------------------------------------------------------------------
# the compact layout (static networks): what the CPU engine reads, the rest derived on use
# ------------------------------------------------------------------------------------------------
@nb.njit(cache=True)
def fan_in_and_channels_classed(dend, proj, w_of_proj, type_of_proj, st_A, grp_of_type, n_grp, ref_dend, ref_type, hi,
                                lo, present):
    """:func:`fan_in_and_channels` for projections of one weight each (``w_of_proj``): no weight column."""
    for j in range(dend.shape[0]):
        d = dend[j]
        p = proj[j]
        ty = type_of_proj[p]
        x = w_of_proj[p] * st_A[ty]
        if x > 0.0:
            hi[d] += x
        else:
            lo[d] += x
        present[d * n_grp + grp_of_type[ty]] = True
    for i in range(ref_dend.shape[0]):
        present[ref_dend[i] * n_grp + grp_of_type[ref_type[i]]] = True


@nb.njit(cache=True)
def gather_compact(dend, proj, order, ch_of, n_grp, grp_of_type, type_of_proj, sy_ch, sy_cls):
    """Channel and class (= projection index) of every ordered connection."""
    for k in range(order.shape[0]):
        j = order[k]
        p = proj[j]
        sy_ch[k] = ch_of[dend[j] * n_grp + grp_of_type[type_of_proj[p]]]
        sy_cls[k] = p


@nb.njit(cache=True)
def targets_of_channels(sy_ch, n_conn, ch_ptr, d_neuron, out):
    """Target neuron of connections 0 … n_conn − 1 from their channel (channels are sorted by dendrite)."""
    n_dend = ch_ptr.shape[0] - 1
    ch_neu = np.empty(ch_ptr[n_dend], dtype=np.int32)
    for d in range(n_dend):
        for c in range(ch_ptr[d], ch_ptr[d + 1]):
            ch_neu[c] = d_neuron[d]
    for k in range(n_conn):
        out[k] = ch_neu[sy_ch[k]]


class CompactColumns:
    """The reference columns of a compact build, computed from its stored columns when first asked
    for (:class:`soen.engine.ir.Compiled` holds them as :class:`soen.engine.ir.Columns`).

    Stored per connection: ``sy_ch`` (channel, int32: 4 B), ``sy_cls`` (class, uint8 up to 256 classes:
    1 B) and ``out_delay`` (int16: 2 B) = 7 B; per class (one per projection, one per refractory
    synapse type): ``cls_w`` (its weight, when every projection has one weight), ``cls_type``,
    ``cls_proj``. Derived: ``sy_w = cls_w[sy_cls]``, ``sy_type = cls_type[sy_cls]``,
    ``conn_proj = cls_proj[sy_cls]``, ``conn_post`` = the neuron of the channel's dendrite, and the
    incoming lists ``in_ptr``, ``in_syn`` from ``conn_post``."""

    def __init__(self, sy_ch, sy_cls, cls_w, cls_type, cls_proj, ch_ptr, d_neuron, n_conn: int, n_neu: int,
                 type_dtype, idx_dtype):
        self.sy_ch, self.sy_cls, self.cls_w, self.cls_type, self.cls_proj = sy_ch, sy_cls, cls_w, cls_type, cls_proj
        self.ch_ptr, self.d_neuron, self.n_conn, self.n_neu = ch_ptr, d_neuron, int(n_conn), int(n_neu)
        self.type_dtype, self.idx_dtype = type_dtype, idx_dtype
        self._incoming = None

    def sy_w(self):
        return self.cls_w[self.sy_cls]

    def sy_type(self):
        return self.cls_type[self.sy_cls].astype(self.type_dtype)

    def conn_proj(self):
        return self.cls_proj[self.sy_cls[:self.n_conn]].astype(np.int16)

    def conn_post(self):
        out = np.empty(self.n_conn, dtype=np.int32)
        targets_of_channels(self.sy_ch, self.n_conn, self.ch_ptr, self.d_neuron, out)
        return out

    def _inc(self):
        if self._incoming is None:
            in_ptr = np.empty(self.n_neu + 1, dtype=np.int64)
            in_syn = np.empty(self.n_conn, dtype=self.idx_dtype)
            incoming(self.conn_post(), self.n_neu, in_ptr, in_syn)
            self._incoming = (in_ptr, in_syn)
        return self._incoming

    def in_ptr(self):
        return self._inc()[0]

    def in_syn(self):
        return self._inc()[1]

    def derived(self, weights_stored: bool) -> tuple[dict, dict]:
        """(params, structure) derived-column functions for :class:`soen.engine.ir.Columns`."""
        params = {} if weights_stored else {"sy_w": self.sy_w}
        structure = {"sy_type": self.sy_type, "conn_post": self.conn_post, "conn_proj": self.conn_proj,
                     "in_ptr": self.in_ptr, "in_syn": self.in_syn}
        return params, structure
