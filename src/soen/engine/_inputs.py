"""Inputs as a description, drawn as the run goes (the same draws in every engine).

A compiled network holds its sources as :class:`InputSpec` rows, never as spike lists. Per run chunk
[n0, n1) an engine gets:

* **Poisson channels** — drawn inside the engines' step loops: the count of channel c of source S in
  step n is k ~ Poisson(rate·dt), inverted from u = U(seed, ``poisson_input``, (id(S) << 32) | c, n)
  (:func:`soen._rng.poisson`, or the bit-identical table lookup of :mod:`soen.engine._poisson`);
  id(S) is the stable name id of the source (:func:`soen.engine._connect.name_id`). The step is the
  block of this counter-based draw: no state, nothing stored, identical in every engine, for any
  chunking, thread count or partition;
* **explicit events** (``SpikeSource``, ``RegularSource``) from :func:`explicit_events`, sorted by
  (step, node): a spike at time t falls in step rint(t/dt);
* **dark counts** of every SPD from :func:`dark_events`: per synapse key and block of
  ``DARK_BLOCK_NS``, a Poisson count and uniform times (counter-based on (seed, ``dark_count``, key,
  block)), so a run's dark counts do not depend on the duration, the chunking or which synapses a
  process holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba as nb
import numpy as np

from soen._rng import STREAMS, poisson, uniform

from ._connect import name_id

__all__ = ["InputSpec", "input_specs", "poisson_channels", "explicit_events", "dark_events", "DARK_BLOCK_NS"]

#: block length of dark-count draws (ns)
DARK_BLOCK_NS = 1000.0
STREAM_POISSON = STREAMS["poisson_input"]
STREAM_DARK = STREAMS["dark_count"]


@dataclass(frozen=True, eq=False)
class InputSpec:
    """One spike source, as data: ``kind`` is ``"poisson"``, ``"regular"`` or ``"spikes"``; channels are
    the spiking nodes ``node0 … node0 + n − 1``; ``key`` the stable name id of the source."""

    name: str
    kind: str
    node0: int
    n: int
    key: int
    rate_hz: float = 0.0
    start_ns: float = 0.0
    period_ns: float = 0.0
    times_ns: tuple = ()

    def describe(self) -> str:
        """Everything that sets its draws, as text (for fingerprints)."""
        base = f"{self.name}|{self.kind}|{self.node0}|{self.n}|{self.key}|{self.rate_hz!r}|{self.start_ns!r}|" \
               f"{self.period_ns!r}"
        if self.kind == "spikes":
            import hashlib

            h = hashlib.sha256()
            for t in self.times_ns:
                h.update(np.ascontiguousarray(t, dtype=float).tobytes())
                h.update(b"|")
            base += "|" + h.hexdigest()
        return base


def input_specs(network, node0: int) -> tuple[InputSpec, ...]:
    """The sources of ``network`` as :class:`InputSpec` rows, nodes numbered from ``node0``."""
    from soen.model.network import PoissonSource, RegularSource, SpikeSource

    out = []
    node = node0
    for src in network.sources.values():
        key = name_id(src.name)
        if isinstance(src, PoissonSource):
            out.append(InputSpec(src.name, "poisson", node, src.n, key, rate_hz=float(src.rate_hz),
                                 start_ns=float(src.start_ns)))
        elif isinstance(src, RegularSource):
            out.append(InputSpec(src.name, "regular", node, src.n, key, period_ns=float(src.period_ns),
                                 start_ns=float(src.start_ns)))
        elif isinstance(src, SpikeSource):
            out.append(InputSpec(src.name, "spikes", node, src.n, key,
                                 times_ns=tuple(np.asarray(t, dtype=float) for t in src.times_ns)))
        else:
            raise TypeError(f"source {src.name!r}: expected a SpikeSource, RegularSource or PoissonSource, got "
                            f"{type(src).__name__}")
        node += src.n
    return tuple(out)


def poisson_channels(inputs, dt_ns: float):
    """(node, key, λ per step, first step) of every Poisson channel, as arrays."""
    node, key, lam, start = [], [], [], []
    for s in inputs:
        if s.kind != "poisson":
            continue
        c = np.arange(s.n, dtype=np.int64)
        node.append(s.node0 + c)
        key.append((np.int64(s.key) << np.int64(32)) | c)
        lam.append(np.full(s.n, s.rate_hz * dt_ns * 1e-9))
        start.append(np.full(s.n, int(math.ceil(s.start_ns / dt_ns - 1e-9)), dtype=np.int64))

    def cat(parts, dtype):
        return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype=dtype)

    return cat(node, np.int64), cat(key, np.int64), cat(lam, float), cat(start, np.int64)


def spike_steps(inputs, dt_ns: float):
    """All explicit spikes of the ``SpikeSource`` inputs as (step, node), sorted (the user's own data)."""
    st, nd = [], []
    for s in inputs:
        if s.kind != "spikes":
            continue
        for c, t in enumerate(s.times_ns):
            k = np.rint(np.asarray(t) / dt_ns).astype(np.int64)
            st.append(k)
            nd.append(np.full(k.size, s.node0 + c, dtype=np.int64))
    step = np.concatenate(st) if st else np.empty(0, dtype=np.int64)
    node = np.concatenate(nd) if nd else np.empty(0, dtype=np.int64)
    o = np.lexsort((node, step))
    return step[o], node[o]


def explicit_events(inputs, dt_ns: float, n0: int, n1: int, spikes=None):
    """(step, node) of the explicit input spikes in steps [n0, n1), sorted by (step, node).

    ``spikes``: the (step, node) arrays of :func:`spike_steps` (computed once per run)."""
    st, nd = [], []
    if spikes is not None and spikes[0].size:
        a, b = np.searchsorted(spikes[0], [n0, n1])
        st.append(spikes[0][a:b])
        nd.append(spikes[1][a:b])
    for s in inputs:
        if s.kind != "regular":
            continue
        # t_k = start + k·period lands in step rint(t_k/dt); take every k that can land in [n0, n1)
        k_lo = max(0, int(math.floor(((n0 - 1) * dt_ns - s.start_ns) / s.period_ns)))
        k_hi = max(0, int(math.ceil(((n1 + 1) * dt_ns - s.start_ns) / s.period_ns)) + 1)
        k = np.arange(k_lo, k_hi)
        steps = np.rint((s.start_ns + k * s.period_ns) / dt_ns).astype(np.int64)
        steps = steps[(steps >= n0) & (steps < n1)]
        st.append(np.repeat(steps, s.n))
        nd.append(np.tile(np.arange(s.node0, s.node0 + s.n, dtype=np.int64), steps.size))
    if not st:
        e = np.empty(0, dtype=np.int64)
        return e, e
    step, node = np.concatenate(st), np.concatenate(nd)
    o = np.lexsort((node, step))
    return step[o], node[o]


@nb.njit(cache=True)
def _dark(keys, lam_block, block_ns, dt_ns, seed, b0, b1, n0, n1):
    cap = 64
    st = np.empty(cap, dtype=np.int64)
    sy = np.empty(cap, dtype=np.int64)
    m = 0
    for b in range(b0, b1):
        for s in range(keys.shape[0]):
            k = poisson(lam_block, seed, STREAM_DARK, keys[s], b << 12)
            for j in range(min(k, 4095)):
                t = block_ns * (b + uniform(seed, STREAM_DARK, keys[s], (b << 12) | (j + 1)))
                n = np.int64(np.rint(t / dt_ns))
                if n < n0 or n >= n1:
                    continue
                if m == cap:
                    cap *= 2
                    st2 = np.empty(cap, dtype=np.int64)
                    sy2 = np.empty(cap, dtype=np.int64)
                    for q in range(m):
                        st2[q] = st[q]
                        sy2[q] = sy[q]
                    st, sy = st2, sy2
                st[m] = n
                sy[m] = s
                m += 1
    return st[:m], sy[:m]


def dark_events(keys: np.ndarray, rate_hz: float, dt_ns: float, seed: int, n0: int, n1: int):
    """(step, synapse index) of the dark counts in steps [n0, n1), sorted by (step, synapse).

    Synapse s (key ``keys[s]``) has, in block b = [b·B, (b+1)·B) of B = ``DARK_BLOCK_NS``, a count
    k ~ Poisson(r_dark·B) with times uniform in the block. Dead time is applied by the engine, as for
    photons."""
    if rate_hz <= 0 or keys.size == 0 or n1 <= n0:
        e = np.empty(0, dtype=np.int64)
        return e, e
    b0 = int(math.floor((n0 - 0.5) * dt_ns / DARK_BLOCK_NS))
    b1 = int(math.floor((n1 + 0.5) * dt_ns / DARK_BLOCK_NS)) + 1
    st, sy = _dark(keys, rate_hz * 1e-9 * DARK_BLOCK_NS, DARK_BLOCK_NS, dt_ns, int(seed), max(b0, 0), b1, n0, n1)
    o = np.lexsort((sy, st))
    return st[o], sy[o]
