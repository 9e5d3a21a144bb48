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

25 B per connection (the sender of connection e is implicit in the CSR ``out_ptr``); the CPU engine
adds 16 B of state per synapse (the last arrival step and the flux at the end of its hotspot).
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["ConnectionColumns", "smallest_int", "post_blocks"]

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
