"""Glue between the photonic link model (``soen.photonics``) and the compiled network.

Connections from neurons get their mean detected photon number μ, extra delay, jitter and yield
from :func:`soen.photonics.compile_links`; connections from input sources (which have no position on
the chip) are delivered ideally. With ``Hardware(ideal=True)`` every link has μ = ∞ and no extra
delay, so the photonic code path reproduces the ideal core simulation exactly (the projections'
``delay_ns`` alone sets the delay).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soen._rng import philox

#: block length of dark-count draws (ns): draws do not depend on the simulated duration
DARK_BLOCK_NS = 1000.0


@dataclass(frozen=True)
class EngineLinks:
    """What the engine needs per connection (arrays of shape (E,)) and per run."""

    mu: np.ndarray
    delay_ns: np.ndarray
    jitter_ns: np.ndarray
    emission_tau_ns: float
    dark_rate_hz: float


def make_links(network, hardware, layout, seed: int):
    """Return ``links(conn_pre_node, conn_post_neuron) -> EngineLinks`` for :func:`compile_network`."""
    from soen.hardware import Hardware
    from soen.photonics import compile_links

    if not isinstance(hardware, Hardware):
        raise TypeError(f"hardware must be a soen.Hardware, got {type(hardware).__name__}")
    n_neu = network.n_neurons
    if layout is not None and layout.n_neurons != n_neu:
        raise ValueError(f"layout has {layout.n_neurons} neurons but the network has {n_neu}")

    def links(pre_node: np.ndarray, post_neuron: np.ndarray) -> EngineLinks:
        E = pre_node.size
        mu = np.full(E, np.inf)
        delay = np.zeros(E)
        jitter = np.zeros(E)
        from_neuron = np.flatnonzero(pre_node < n_neu)
        la = compile_links(hardware, layout, pre_node[from_neuron], post_neuron[from_neuron], seed=seed,
                           edge_ids=from_neuron)
        if not hardware.ideal:
            mu[from_neuron] = la.mu
            delay[from_neuron] = la.delay_ns
            jitter[from_neuron] = la.jitter_ns
        return EngineLinks(mu=mu, delay_ns=delay, jitter_ns=jitter, emission_tau_ns=float(la.emission_tau_ns),
                           dark_rate_hz=float(la.dark_rate_hz))

    return links


def dark_counts(rate_hz: float, n_synapses: int, duration_ns: float, dt_ns: float, seed: int):
    """Dark-count events (step, synapse) of every SPD: Poisson at ``rate_hz``, sorted by step.

    Drawn in blocks of ``DARK_BLOCK_NS`` with counter-based generators, so the events before any
    time do not depend on the duration. Dead time is applied by the engine like for photons.
    """
    if rate_hz <= 0 or n_synapses == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    steps, syns = [], []
    lam = rate_hz * 1e-9 * DARK_BLOCK_NS * n_synapses
    for b in range(int(np.ceil(duration_ns / DARK_BLOCK_NS))):
        gen = philox(seed, "dark_count", 0, block=b)
        k = gen.poisson(lam)
        t = DARK_BLOCK_NS * (b + gen.random(k))
        syn = gen.integers(0, n_synapses, size=k)
        keep = t < duration_ns
        steps.append(np.rint(t[keep] / dt_ns).astype(np.int64))
        syns.append(syn[keep])
    st, sy = np.concatenate(steps), np.concatenate(syns)
    o = np.lexsort((sy, st))
    return st[o], sy[o]
