"""The result of a simulation: spikes, traces, counts and provenance (plain arrays)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Result"]


@dataclass
class Result:
    """What a run produced.

    Attributes
    ----------
    spike_times_ns, spike_ids : every spike of every neuron (global neuron ids, sorted by time then id).
    populations : name → (first global id, size).
    trace_times_ns : sample times of the traces (ns); ``traces_s`` and ``traces_phi`` have shape
        (len(trace_times_ns), n_recorded); ``trace_labels[k]`` = (population, neuron, dendrite name).
    counts : synapse events accepted, dropped in dead time, lost (no photon detected), photons
        detected, spikes; ``fluxons`` per dendrite (number of fluxons through each SQUID).
    complete : False when the run was interrupted or stopped on an error (data up to ``t_end_ns``).
    """

    spike_times_ns: np.ndarray
    spike_ids: np.ndarray
    populations: dict
    duration_ns: float
    dt_ns: float
    seed: int
    integrator: str
    trace_times_ns: np.ndarray = field(default_factory=lambda: np.empty(0))
    traces_s: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    traces_phi: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    trace_labels: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    fluxons: np.ndarray = field(default_factory=lambda: np.empty(0))
    timing: dict = field(default_factory=dict)
    complete: bool = True
    t_end_ns: float = 0.0
    message: str = ""
    metadata: dict = field(default_factory=dict)
    #: source name → input spikes of each of its channels in this run (both engines draw the same)
    input_counts: dict = field(default_factory=dict)
    #: plastic projection name → dict(times_ns (S,), pre (n,), post (n,), w (S, n)): weight snapshots
    weight_snapshots: dict = field(default_factory=dict)

    def synapses(self, projection: str):
        """``(pre, post)`` of the plastic projection's synapses (indices local to their population or
        source), in the order of :meth:`weights`."""
        d = self._snapshots(projection)
        return d["pre"], d["post"]

    def weights(self, projection: str, t_ns: float | None = None) -> np.ndarray:
        """The weights of a plastic projection (``"pre->post"``, as in ``Result.metadata``) at the last
        snapshot taken at or before ``t_ns`` (ns; None: the last one, the end of the run). Snapshot
        times are chosen with ``soen.simulate(..., weights_at_ns=[...])``."""
        d = self._snapshots(projection)
        times = d["times_ns"]
        if t_ns is None:
            k = times.size - 1
        else:
            k = int(np.searchsorted(times, float(t_ns) + 1e-9 * max(1.0, abs(float(t_ns))), side="right")) - 1
            if k < 0:
                raise ValueError(f"weights: no snapshot at or before t_ns={t_ns!r}; snapshots at {times.tolist()[:8]} ns")
        return d["w"][k]

    def _snapshots(self, projection: str) -> dict:
        if projection not in self.weight_snapshots:
            raise ValueError(f"projection {projection!r} has no weight snapshots; plastic projections: "
                             f"{sorted(self.weight_snapshots)}")
        return self.weight_snapshots[projection]

    # spikes and traces may live in the run's results file (simulate(..., output=) streams them there
    # and keeps nothing in memory): they are read from it on first access
    def _attach_file(self, path) -> None:
        self._file = str(path)

    def _from_file(self, name):
        d = self.__dict__
        if d.get("_" + name) is None and d.get("_file"):
            from soen.io.results import load

            r = load(d["_file"], traces=bool(self.trace_labels))
            for k in ("spike_times_ns", "spike_ids", "traces_s", "traces_phi"):
                if d.get("_" + k) is None:
                    d["_" + k] = getattr(r, k)
        return d.get("_" + name)

    @property
    def n_neurons(self) -> int:
        return int(sum(n for _, n in self.populations.values()))

    def _pop(self, population):
        if population not in self.populations:
            raise ValueError(f"unknown population {population!r}; this result has {sorted(self.populations)}")
        return self.populations[population]

    def spikes(self, population: str | None = None):
        """``(times_ns, ids)``; with a population name, ids are local to that population."""
        if population is None:
            return self.spike_times_ns, self.spike_ids
        off, n = self._pop(population)
        m = (self.spike_ids >= off) & (self.spike_ids < off + n)
        return self.spike_times_ns[m], self.spike_ids[m] - off

    def spike_counts(self, population: str | None = None) -> np.ndarray:
        """Number of spikes of every neuron (of one population, or all)."""
        if population is None:
            return np.bincount(self.spike_ids, minlength=self.n_neurons)
        off, n = self._pop(population)
        _, ids = self.spikes(population)
        return np.bincount(ids, minlength=n)

    def rates_hz(self, population: str | None = None) -> np.ndarray:
        """Mean firing rate of every neuron in Hz over the simulated time."""
        span = self.t_end_ns if self.t_end_ns > 0 else self.duration_ns
        return self.spike_counts(population) / (span * 1e-9)

    def trace(self, label_or_index, variable: str = "s"):
        """``(times_ns, values)`` of one recorded element (index or (population, neuron, dendrite))."""
        if variable not in ("s", "phi"):
            raise ValueError(f"variable must be 's' or 'phi', got {variable!r}")
        k = label_or_index
        if not isinstance(k, (int, np.integer)):
            if tuple(k) not in self.trace_labels:
                raise ValueError(f"{k!r} was not recorded; recorded: {self.trace_labels[:10]}…")
            k = self.trace_labels.index(tuple(k))
        data = self.traces_s if variable == "s" else self.traces_phi
        return self.trace_times_ns, data[:, k]

    def energy_ledger(self, hardware=None, **kwargs):
        """Energy, power at 4 K and at the wall for this run (:func:`soen.energy.energy_ledger`).

        Counts come from the run: spikes, SPD events (photon- and dark-count-triggered, refractory
        drives excluded), fluxons of every dendrite. ``hardware`` defaults to the run's hardware
        (or the registry defaults for a core run); ``kwargs`` go to ``energy_ledger`` (cooling, …).
        """
        from soen.energy import energy_ledger
        from soen.hardware import Hardware

        if hardware is None:
            hw = self.metadata.get("hardware")
            hardware = Hardware(**hw) if hw else Hardware()
        return energy_ledger(
            n_spikes=int(self.spike_ids.size), n_synapse_events=int(self.counts.get("events", 0)),
            n_fluxons=float(np.sum(self.fluxons)), duration_ns=self.t_end_ns or self.duration_ns,
            n_neurons=self.n_neurons, n_synapses=int(self.metadata.get("n_connections", 0)),
            hardware=hardware, **{"n_update_photons": float(self.counts.get("update_photons", 0.0)), **kwargs})

    def summary(self) -> str:
        """A short human-readable summary."""
        lines = [
            f"soen result: {self.n_neurons} neurons, {self.duration_ns:g} ns at dt = {self.dt_ns:g} ns "
            f"({self.integrator}), seed {self.seed}{'' if self.complete else '  [INCOMPLETE: ' + self.message + ']'}",
            f"  spikes: {self.spike_ids.size}",
        ]
        for name, (off, n) in self.populations.items():
            r = self.rates_hz(name)
            lines.append(f"  {name:>12}: {n} neurons, mean rate {r.mean() / 1e6:.3f} MHz (max {r.max() / 1e6:.3f} MHz)")
        c = self.counts
        if c:
            lines.append(f"  synapse events: {c.get('events', 0)} accepted, {c.get('dead_time_drops', 0)} in dead time"
                         + (f", {c.get('lost', 0)} lost (no photon)" if c.get("lost", 0) else ""))
        t = self.timing
        if t:
            lines.append(f"  wall time: compile {t.get('compile_s', 0):.3f} s, JIT {t.get('jit_s', 0):.3f} s, "
                         f"run {t.get('run_s', 0):.3f} s, {t.get('steps_per_s', 0):,.0f} steps/s")
        return "\n".join(lines)


def _lazy(name):
    def get(self):
        return self._from_file(name)

    def set_(self, value):
        self.__dict__["_" + name] = value

    return property(get, set_, doc=f"``{name}`` (read from the results file on first access when streamed there)")


for _name in ("spike_times_ns", "spike_ids", "traces_s", "traces_phi"):
    setattr(Result, _name, _lazy(_name))
del _name
