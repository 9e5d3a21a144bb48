"""The supervised arbor rule: learning by the flux offsets of a neuron's dendritic arbor.

O'Loughlin, Primavera & Shainline, "Dendritic learning in superconducting optoelectronic networks",
ICONS 2023, doi:10.1145/3589737.3605972. After each training sample, every dendrite d in the arbor
of an output neuron n changes its flux offset by

    Δφ_offset,d = η · e_n · ⟨s_d⟩,        e_n = (target spike count of n) − (observed spike count of n),

with ⟨s_d⟩ the dendrite's loop current (units of I_c) averaged over the sample: dendrites that were
active when the neuron fired too little are pushed up, those active when it fired too much are pushed
down. Offsets stay within ``[−offset_bound, offset_bound]`` Φ0, the range over which the dendrite's
response stays monotonic (beyond ±½ Φ0 the SQUID response folds back). In hardware the offset is a
flux bias that a supervisory current pulse adjusts, so the rule needs only each dendrite's own
activity and one error signal per neuron (the teacher).

The teacher signal is a target spike count per output neuron and sample (:func:`fit_arbor`
``targets``); a sample is the spike times of one :class:`~soen.SpikeSource` of the network.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np

from soen._validate import check_int, check_real

__all__ = ["ArborRule", "ArborFit", "fit_arbor", "nine_pixel_patterns"]


@dataclass(frozen=True)
class ArborRule:
    """The arbor update (see the module docstring for the equation and its source).

    ``eta``: learning rate η (Φ0 per spike of error per unit of ⟨s⟩); ``offset_bound`` (Φ0): offsets are
    clipped to ±this (at most ½, the monotonic range); ``include_soma``: whether the soma's own offset
    learns too (default False: the soma keeps its threshold role and only the arbor learns)."""

    eta: float = 0.005
    offset_bound: float = 0.5
    include_soma: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "eta", check_real("ArborRule.eta", self.eta, low=0.0, low_open=True))
        object.__setattr__(self, "offset_bound", check_real("ArborRule.offset_bound", self.offset_bound,
                                                            low=0.0, high=0.5, low_open=True))
        if not isinstance(self.include_soma, bool):
            raise TypeError(f"ArborRule.include_soma must be True or False, got {self.include_soma!r}")

    def update(self, offsets: np.ndarray, mean_s: np.ndarray, error: np.ndarray, owner: np.ndarray,
               learns: np.ndarray) -> np.ndarray:
        """New offsets of the dendrites: ``mean_s`` ⟨s_d⟩ per dendrite, ``error`` e_n per output neuron,
        ``owner`` the output neuron of each dendrite, ``learns`` which dendrites follow the rule."""
        new = offsets + np.where(learns, self.eta * error[owner] * mean_s, 0.0)
        return np.clip(new, -self.offset_bound, self.offset_bound)


@dataclass
class ArborFit:
    """What :func:`fit_arbor` returns: the trained flux offsets (``d_offset``, one per compiled dendrite),
    the network with them written back (``network``), the accuracy and spike counts of every epoch,
    and the first epoch after which every sample was classified correctly (``converged_epoch``, None if
    never)."""

    d_offset: np.ndarray
    network: object
    accuracy: list = field(default_factory=list)
    counts: list = field(default_factory=list)
    converged_epoch: int | None = None
    wall_s: float = 0.0


def nine_pixel_patterns() -> dict[str, np.ndarray]:
    """The three 3 × 3 images of the arbor-rule task (1 = pixel on): the letters z, v and n."""
    z = [[1, 1, 0], [0, 1, 0], [0, 1, 1]]
    v = [[1, 0, 1], [1, 0, 1], [0, 1, 0]]
    n = [[0, 1, 0], [1, 0, 1], [1, 0, 1]]
    return {k: np.array(p, dtype=bool) for k, p in (("z", z), ("v", v), ("n", n))}


def _with_source(network, source):
    net = copy.copy(network)
    net.sources = dict(network.sources)
    net.sources[source.name] = source
    return net


def _classify(counts: np.ndarray, targets: np.ndarray) -> int:
    """The sample whose target the counts are nearest to (Euclidean); ties count as wrong (−1)."""
    d = np.linalg.norm(targets - counts[None, :], axis=1)
    best = np.flatnonzero(d == d.min())
    return int(best[0]) if best.size == 1 else -1


def fit_arbor(network, samples, targets, *, populations, source: str, duration_ns: float,
              rule: ArborRule | None = None, epochs: int = 100, dt_ns: float = 0.1, seed: int = 0, table=None,
              hardware=None, record_every_ns: float | None = None, stop_when_converged: bool = True,
              progress: bool = False) -> ArborFit:
    """Train the flux offsets of the arbors of the output neurons with the arbor rule.

    ``populations``: the population(s) holding the output neurons (a name or a list of names; the
    output neurons are their neurons in that order); ``samples``: a list of inputs, each one the
    ``times_ns`` of the network's :class:`~soen.SpikeSource` named ``source`` (one array of spike
    times, ns, per channel); ``targets``: the teacher, an array (samples × output neurons) of target
    spike counts. Each epoch runs every sample once, in order, for ``duration_ns`` (ns) and applies the
    update after it. A sample counts as correct when its spike counts are nearer (Euclidean) to its own
    target vector than to any other sample's, ties counting as wrong (with one output neuron and
    targets 2, 6, 10 the count picks the class; with a winner-take-all layer the most active neuron).
    Training stops after the first epoch with every sample correct (``stop_when_converged``). Offsets
    start from the network's own ``phi_offset`` values; ``record_every_ns`` (ns, default 10 dt) is the
    sampling of s for ⟨s_d⟩. Returns an :class:`ArborFit`.
    """
    import soen
    from soen.model.network import SpikeSource

    rule = ArborRule() if rule is None else rule
    if not isinstance(rule, ArborRule):
        raise TypeError(f"rule must be a soen.arbor.ArborRule, got {type(rule).__name__}")
    epochs = check_int("epochs", epochs, low=1)
    duration_ns = check_real("duration_ns", duration_ns, low=0.0, low_open=True, unit="ns")
    pops = [populations] if isinstance(populations, str) else list(populations)
    for pop in pops:
        if pop not in network.populations:
            raise ValueError(f"populations: {pop!r} is not in the network; known: {sorted(network.populations)}")
    if source not in network.sources or not isinstance(network.sources[source], SpikeSource):
        raise ValueError(f"source={source!r} must name a SpikeSource of the network; its sources: "
                         f"{sorted(network.sources)}")
    samples = list(samples)
    if len(samples) < 2:
        raise ValueError(f"samples must hold at least two inputs to tell apart, got {len(samples)}")
    n_out = sum(network.populations[p].n for p in pops)
    targets = np.asarray(targets, dtype=float)
    if targets.shape != (len(samples), n_out):
        raise ValueError(f"targets must have shape (samples, output neurons) = ({len(samples)}, {n_out}), "
                         f"got {targets.shape}")
    compiled = [soen.compile(_with_source(network, SpikeSource(source, s)), dt_ns=dt_ns, seed=seed, table=table,
                             hardware=hardware) for s in samples]
    st, m = compiled[0].structure, compiled[0].meta
    # the output neurons' dendrites, in recording order: per neuron its morphology, then the refractory one
    gids = np.concatenate([m["pop_offset"][p] + np.arange(network.populations[p].n) for p in pops])
    d_lo, d_hi = st["dend_offset"][gids], st["dend_offset"][gids + 1]
    dends = np.concatenate([np.arange(a, b) for a, b in zip(d_lo, d_hi)])
    owner = np.repeat(np.arange(gids.size), d_hi - d_lo)
    local = dends - np.repeat(d_lo, d_hi - d_lo)
    learns = (local > 0) | rule.include_soma  # the soma is local dendrite 0
    learns &= local < np.repeat(d_hi - d_lo, d_hi - d_lo) - 1  # the refractory dendrite is not in the arbor
    offsets = np.array(compiled[0].params["d_offset"], dtype=float)
    every = record_every_ns if record_every_ns is not None else 10 * dt_ns
    rec = [(p, None, "all") for p in pops]
    fit = ArborFit(d_offset=offsets, network=network)
    t0 = time.perf_counter()
    for epoch in range(1, epochs + 1):
        epoch_counts = []
        for k, c in enumerate(compiled):
            r = soen.simulate(c.with_params(d_offset=offsets), duration_ns, record=rec, record_every_ns=every,
                              progress=False)
            counts = np.array([np.count_nonzero(r.spike_ids == g) for g in gids], dtype=float)
            epoch_counts.append(counts)
            mean_s = r.traces_s.mean(axis=0) if r.traces_s.shape[0] else np.zeros(dends.size)
            offsets[dends] = rule.update(offsets[dends], mean_s, targets[k] - counts, owner, learns)
        epoch_counts = np.array(epoch_counts)
        ok = sum(_classify(cnt, targets) == k for k, cnt in enumerate(epoch_counts))
        fit.accuracy.append(ok / len(samples))
        fit.counts.append(epoch_counts)
        if progress:
            print(f"epoch {epoch}: {ok}/{len(samples)} correct, spike counts {epoch_counts.astype(int).tolist()}")
        if ok == len(samples) and fit.converged_epoch is None:
            fit.converged_epoch = epoch
            if stop_when_converged:
                break
    fit.wall_s = time.perf_counter() - t0
    fit.d_offset = offsets
    fit.network = _write_offsets(network, compiled[0], offsets, pops)
    return fit


def _write_offsets(network, c, offsets, pops):
    """A copy of ``network`` whose output populations' morphologies carry the trained ``phi_offset``
    values, or None when neurons of one population learned different offsets (a population shares one
    morphology: give each output neuron its own population to write them back)."""
    from dataclasses import replace

    st, m = c.structure, c.meta
    net = copy.copy(network)
    net.populations = dict(network.populations)
    for p in pops:
        pop = network.populations[p]
        first = int(m["pop_offset"][p])
        per = int(st["dend_offset"][first + 1] - st["dend_offset"][first])
        rows = offsets[int(st["dend_offset"][first]):int(st["dend_offset"][first]) + per * pop.n].reshape(pop.n, per)
        if not np.all(rows == rows[:1]):
            return None
        row = rows[0]
        neuron = pop.neuron
        neuron = replace(neuron, soma=replace(neuron.soma, phi_offset=float(row[0])),
                         dendrites=tuple(replace(d, phi_offset=float(row[k + 1])) for k, d in enumerate(neuron.dendrites)))
        net.populations[p] = replace(pop, neuron=neuron)
    return net
