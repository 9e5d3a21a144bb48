r"""Dry runs of the MPI engine: one rank's share of a P-rank network, built and stepped on one machine.

:func:`dry_run` (also ``soen.engines.MPI.dry_run``) builds only what rank r of P would build for a
point-model network (:func:`soen.engine.point.compile_point_part`: its neurons, the connections
onto them, the table of their senders), measures its memory, and steps it for a short time with the
MPI engine's own code (:class:`soen.engine._mpi._PointPart`: the kernel, the look-up of received
spikes, the pushes after the exchange). The other P − 1 ranks do not exist: their spikes are replaced
by a statistically equivalent stand-in, each remote neuron of population X firing as a Poisson
process at the rate the local neurons of X have had so far (a mean-field closure: rates, not
correlations). Every rank of an Allgatherv engine receives every spike, so the stand-in makes the
whole network's spikes and the rank looks all of them up, as it would.

``sample < 1`` builds only that fraction of the rank's neurons (every k-th) and scales what grows
with them (synapses, compute, memory) — for shares too large for this machine (10⁹ neurons on 10⁴
ranks: 10⁹ synapses per rank).

:class:`CommModel` is the cost of one epoch's exchange, t = α(P) + β·B: α(P) = α₀ + α₁·log₂P (the
log₂P rounds of recursive doubling/Bruck Allgather), B the bytes every rank receives from the
others (8 B per spike of the other ranks). :meth:`CommModel.fit` fits it to measured epochs (``benchmarks/bench_dryrun.py``
measures them at P = 1 … 4). A directed variant (Alltoallv: each rank receives only the spikes of
senders with targets on it, latency (P − 1)·α_pair) is modelled too (``directed=True``); the engine
itself uses Allgatherv.

:meth:`DryRun.predict` combines the measured share with a model into the memory per rank and the
real-time factor (wall-clock time / simulated time; < 1 is faster than real time) for P ranks,
scaling what depends on the share (neurons, synapses, kernel and push time ∝ N/P) and keeping what
does not (the look-up of every received spike). Comparison figures of NEST: Jordan et al. (2018)
Front. Neuroinform. 12:2, doi:10.3389/fninf.2018.00002 (K computer: 1.73·10⁹ neurons, 10.4·10¹²
synapses); Kurth et al. (2022) Front. Neuroinform. 16:837549, doi:10.3389/fninf.2022.837549 (the
Potjans–Diesmann microcircuit faster than real time on one JURECA-DC node).
"""

from __future__ import annotations

import math
import resource
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = ["CommModel", "DryRun", "dry_run", "owned_neurons"]


@dataclass(frozen=True)
class CommModel:
    """Seconds of one epoch's exchange on P ranks: ``alpha0_s + alpha_log2_s · log2(P) + beta_s_per_byte · B``
    (B: bytes each rank receives from the other ranks). ``source``: where the numbers come from. For the directed variant
    ``alpha_pair_s`` is the latency per pair of ranks (Alltoallv: (P − 1) of them per epoch)."""

    alpha0_s: float
    alpha_log2_s: float
    beta_s_per_byte: float
    alpha_pair_s: float | None = None
    source: str = ""

    def epoch_s(self, n_ranks: int, bytes_received: float, directed: bool = False) -> float:
        """One epoch on ``n_ranks`` ranks receiving ``bytes_received`` bytes (per rank)."""
        if n_ranks < 1:
            raise ValueError(f"n_ranks must be >= 1, got {n_ranks}")
        if n_ranks == 1:
            return self.alpha0_s + self.beta_s_per_byte * bytes_received
        if directed:
            pair = self.alpha_pair_s if self.alpha_pair_s is not None else self.alpha0_s + self.alpha_log2_s
            return self.alpha0_s + (n_ranks - 1) * pair + self.beta_s_per_byte * bytes_received
        return self.alpha0_s + self.alpha_log2_s * math.log2(n_ranks) + self.beta_s_per_byte * bytes_received

    @classmethod
    def fit(cls, ranks, bytes_received, seconds, source: str = "") -> CommModel:
        """Least-squares fit of (α₀, α₁, β) to measured epochs: ``ranks[i]`` ranks, each receiving
        ``bytes_received[i]`` bytes from the others, took ``seconds[i]`` per epoch (needs at least two distinct P ≥ 1
        and two distinct byte counts)."""
        P = np.asarray(ranks, dtype=float)
        B = np.asarray(bytes_received, dtype=float)
        t = np.asarray(seconds, dtype=float)
        if not (P.shape == B.shape == t.shape) or P.ndim != 1:
            raise ValueError(f"ranks, bytes_received and seconds must be 1-D of one length, got shapes "
                             f"{P.shape}, {B.shape}, {t.shape}")
        if np.unique(P).size < 2 or np.unique(B).size < 2 or P.min() < 1:
            raise ValueError("fit needs epochs measured at two or more rank counts (>= 1) and byte counts")
        A = np.stack([np.ones_like(P), np.log2(P), B], axis=1)
        (a0, a1, b), *_ = np.linalg.lstsq(A, t, rcond=None)
        return cls(float(a0), float(a1), float(b), source=source)


def owned_neurons(network, n_ranks: int, rank: int, partition="round_robin") -> np.ndarray:
    """The global ids of the neurons rank ``rank`` of ``n_ranks`` owns (as
    :func:`soen.engine._mpi.partition_ranks`, without an array over the whole network for the
    ``"round_robin"`` and ``"blocks"`` partitions)."""
    from ._mpi import PARTITIONS, partition_ranks

    if isinstance(n_ranks, bool) or not isinstance(n_ranks, (int, np.integer)) or n_ranks < 1:
        raise ValueError(f"n_ranks must be an integer >= 1, got {n_ranks!r}")
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 0 <= rank < n_ranks:
        raise ValueError(f"rank must be an integer in 0..{n_ranks - 1}, got {rank!r}")
    n = sum(p.n for p in network.populations.values())
    if isinstance(partition, str):
        if partition == "round_robin":
            return np.arange(rank, n, n_ranks, dtype=np.int64)
        if partition == "blocks":
            out, off = [], 0
            for p in network.populations.values():
                lo, hi = -(-rank * p.n // n_ranks), -(-(rank + 1) * p.n // n_ranks)  # i·P // n == rank
                out.append(np.arange(lo, hi, dtype=np.int64) + off)
                off += p.n
            return np.concatenate(out) if out else np.empty(0, dtype=np.int64)
        raise ValueError(f"partition must be one of {PARTITIONS} or an array of ranks, got {partition!r}")
    return np.flatnonzero(partition_ranks(network, n_ranks, partition) == rank).astype(np.int64)


def _rss_bytes() -> int:
    """Resident memory of this process now (Linux /proc; the peak where that is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except OSError:  # pragma: no cover - not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class _StandIn:
    """The spikes of the other ranks: every remote neuron of population X fires as a Poisson process
    at the local neurons' mean rate of X so far (``rate_hz`` until the local neurons have spiked)."""

    def __init__(self, part, owned_full, n_built_pop, rate_hz, dt_ns, seed):
        self.part = part
        self.off = part.g_off
        self.size = np.diff(np.append(part.g_off, part.n_glob))
        self.owned_full = owned_full
        bounds = np.searchsorted(owned_full, np.append(self.off, part.n_glob))
        self.n_remote = self.size - np.diff(bounds)
        self.n_built = np.asarray(n_built_pop, dtype=float)
        self.local_spikes = np.zeros(self.off.size)
        self.rate0 = float(rate_hz)
        self.dt_s = dt_ns * 1e-9
        self.rng = np.random.default_rng(seed)
        self.t_s = 0.0
        self.n_remote_spikes = 0
        self.round_robin = None  # (rank, P) for the round-robin partition (a cheaper test of ownership)

    def rates_hz(self) -> np.ndarray:
        if self.t_s <= 0:
            return np.broadcast_to(self.rate0, self.off.shape).astype(float)
        r = self.local_spikes / np.maximum(self.n_built, 1) / self.t_s
        return np.where(self.local_spikes > 0, r, self.rate0)

    def restart(self) -> None:
        """Measure the rates afresh from now on, starting from the rates so far."""
        self.rate0 = self.rates_hz()
        self.local_spikes = np.zeros(self.off.size)
        self.t_s = 0.0

    def __call__(self, stamps, ids, a, b):
        pop = np.searchsorted(self.off, ids, side="right") - 1
        self.local_spikes += np.bincount(pop, minlength=self.off.size)
        self.t_s += (b - a) * self.dt_s
        lam = self.n_remote * self.rates_hz() * self.dt_s  # remote spikes per step and population
        steps = np.arange(a + 1, b + 1, dtype=np.int64)  # the stamps of the epoch
        k = self.rng.poisson(np.broadcast_to(lam, (steps.size, lam.size)))
        n = int(k.sum())
        st = np.repeat(np.repeat(steps, lam.size), k.reshape(-1))
        which = np.repeat(np.tile(np.arange(lam.size), steps.size), k.reshape(-1))
        rid = self.off[which] + (self.rng.random(n) * self.size[which]).astype(np.int64)
        if self.round_robin is not None:
            remote = rid % self.round_robin[1] != self.round_robin[0]
        else:
            j = np.minimum(np.searchsorted(self.owned_full, rid), self.owned_full.size - 1)
            remote = self.owned_full[j] != rid if self.owned_full.size else np.ones(n, dtype=bool)
        st, rid = st[remote], rid[remote]
        self.n_remote_spikes += st.size
        return np.concatenate([stamps, st]), np.concatenate([ids, rid])


@dataclass
class DryRun:
    """What :func:`dry_run` measured of one rank's share (times in s, memory in bytes; ``*_built``:
    the part actually built, ``*_share``: the whole share, = built / ``sample``)."""

    n_ranks: int
    rank: int
    n_neurons_total: int
    neurons_share: int
    neurons_built: int
    synapses_built: int
    senders_built: int
    channels_built: int
    compiled_bytes: int
    synapse_bytes: int
    run_bytes: int
    rss_before_build: int
    rss_after_build: int
    peak_rss: int
    build_s: float
    epoch_steps: int | None
    delivery: str
    dt_ns: float
    simulated_ns: float
    kernel_s: float
    push_s: float
    lookup_s: float
    stand_in_s: float
    spikes_local: int
    spikes_received: int
    epochs: int
    rates_hz: dict = field(default_factory=dict)
    neuron_synapses_total: float = 0.0

    @property
    def scale(self) -> float:
        """Share / built part (1 / sample)."""
        return self.neurons_share / max(self.neurons_built, 1)

    @property
    def bytes_per_synapse(self) -> float:
        return self.synapse_bytes / max(self.synapses_built, 1)

    def spikes_per_s(self) -> float:
        """Spikes per second of simulated time of the whole network (at the measured rates)."""
        return self.spikes_received / (self.simulated_ns * 1e-9)

    def senders(self, n_ranks: int) -> float:
        """Expected neurons with at least one target on a rank of ``n_ranks`` (random connectivity:
        N·(1 − exp(−K_out/P)), K_out the mean out-degree)."""
        n = self.n_neurons_total
        k_out = self.neuron_synapses_total / max(n, 1)
        return n * (1.0 - math.exp(-k_out / n_ranks))

    def memory(self, n_ranks: int | None = None) -> dict:
        """Predicted bytes per rank on ``n_ranks`` ranks (default: the dry run's P): the process
        baseline (RSS before the build: interpreter, NumPy, Numba, soen), synapses, the sender
        table (12 B per sender), the per-neuron and per-channel run state, and the whole."""
        P = self.n_ranks if n_ranks is None else int(n_ranks)
        share = self.n_neurons_total / P / max(self.neurons_built, 1)  # neurons on a rank / built here
        syn = self.synapse_bytes * share
        table = 12.0 * self.senders(P)
        state = (self.compiled_bytes - self.synapse_bytes - 12.0 * self.senders_built + self.run_bytes) * share
        total = self.rss_before_build + syn + table + state
        return dict(baseline=float(self.rss_before_build), synapses=float(syn), senders=float(table),
                    state=float(state), total=float(total))

    def predict(self, model: CommModel, n_ranks: int | None = None, directed: bool = False) -> dict:
        """Memory per rank and real-time factor on ``n_ranks`` ranks (default: the dry run's P).

        Per second of simulated time: compute = (kernel + pushes) × (share on P / built) + look-up of
        every received spike (as measured: it does not shrink with P); communication = epochs ×
        α(P) + β × bytes received (8 B × the network's spikes; with ``directed`` only the spikes of
        senders with targets on the rank, the fraction senders(P)/N). RTF = (compute + comm) / 1 s."""
        P = self.n_ranks if n_ranks is None else int(n_ranks)
        sim_s = self.simulated_ns * 1e-9
        share = self.n_neurons_total / P / max(self.neurons_built, 1)
        compute = ((self.kernel_s + self.push_s) * share + self.lookup_s) / sim_s
        epochs = (1.0 / (self.epoch_steps * self.dt_ns * 1e-9)) if self.epoch_steps else 0.0
        spikes = self.spikes_per_s()
        frac = self.senders(P) / max(self.n_neurons_total, 1) if directed else 1.0
        # bytes from the other ranks (a rank's own spikes do not travel)
        bytes_per_epoch = 8.0 * spikes * frac * (P - 1) / P / epochs if epochs else 0.0
        comm = epochs * model.epoch_s(P, bytes_per_epoch, directed=directed) if P > 1 else 0.0
        mem = self.memory(P)
        return dict(n_ranks=P, memory_bytes=mem["total"], memory=mem, compute_s_per_s=compute, comm_s_per_s=comm,
                    rtf=compute + comm, epochs_per_s=epochs, bytes_per_epoch=bytes_per_epoch)


def dry_run(network, n_ranks: int, rank: int = 0, *, duration_ns: float, dt_ns: float = 0.1, seed: int = 0,
            partition="round_robin", sample: float = 1.0, threads: int = 1, rate_hz: float = 5.0,
            warmup_ns: float | None = None, stand_in_seed: int = 1) -> DryRun:
    """Build rank ``rank``'s share of ``network`` on ``n_ranks`` ranks (point models; the MPI engine's
    partial build, nothing of the other ranks) and step it for ``duration_ns`` (after ``warmup_ns``,
    default one tenth of it, not measured) with a stand-in for the other ranks' spikes (see the module
    docstring; ``rate_hz``: their rate until the local neurons have spiked, Hz). ``sample`` in (0, 1]:
    build only that fraction of the share's neurons. ``threads``: Numba threads. Returns the
    measurements as a :class:`DryRun` (:meth:`DryRun.predict` for memory and real-time factor)."""
    import numba

    from soen.model.network import Network

    from ._connect import expected_connections
    from ._inputs import explicit_events
    from ._mpi import _PointPart, point_epoch
    from ._validate import check_dt_ns, check_seed, check_threads, steps_of
    from .ir import _is_point
    from .point import compile_point_part

    if not isinstance(network, Network):
        raise TypeError(f"network must be a soen.Network, got {type(network).__name__}")
    if not network.populations or not _is_point(network):
        raise ValueError("dry_run runs point-model networks (soen.models neurons, e.g. soen.networks."
                         "cortical_microcircuit); this one has no point-model populations")
    if isinstance(sample, bool) or not isinstance(sample, (int, float)) or not 0.0 < sample <= 1.0:
        raise ValueError(f"sample must be a fraction in (0, 1] of the rank's neurons, got {sample!r}")
    if isinstance(rate_hz, bool) or not isinstance(rate_hz, (int, float)) or not rate_hz >= 0:
        raise ValueError(f"rate_hz must be a number >= 0 (Hz), got {rate_hz!r}")
    dt_ns = check_dt_ns(dt_ns)
    seed = check_seed(seed)
    threads = check_threads(threads) or 1
    n_steps = steps_of("duration_ns", duration_ns, dt_ns, low=1)
    n_warm = steps_of("warmup_ns", warmup_ns, dt_ns, low=0) if warmup_ns is not None else max(1, n_steps // 10)
    owned = owned_neurons(network, n_ranks, rank, partition)
    step = max(1, int(round(1.0 / sample)))
    built = owned[::step]
    rss0 = _rss_bytes()
    t0 = time.perf_counter()
    c = compile_point_part(network, dt_ns=dt_ns, seed=seed, owned=built)
    build_s = time.perf_counter() - t0
    rss1 = _rss_bytes()
    epoch, mode = point_epoch(c.meta["neuron_delays"], c.meta["input_delays"])
    part = _PointPart(None, rank, n_ranks, c, epoch, mode, threads=threads, parallel_min_neurons=20000,
                      owner=lambda g: np.full(np.size(g), rank))
    g_off = np.append(part.g_off, part.n_glob)
    n_built_pop = np.diff(np.searchsorted(built, g_off))
    stand_in = _StandIn(part, owned, n_built_pop, rate_hz, dt_ns, stand_in_seed)
    part.stand_in = stand_in
    if isinstance(partition, str) and partition == "round_robin":
        stand_in.round_robin = (int(rank), int(n_ranks))
    old = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        part.prepare(np.empty(0, dtype=np.int64), 1)
        spk = part.spikes_in

        def advance(n0, n1):
            chunk = max(1, (epoch or 1) * 50)
            n = n0
            while n < n1:
                e = min(n1, n + chunk)
                ev = explicit_events(c.inputs, dt_ns, n, e, spk)
                part.advance(n, e, ev[0], ev[1], 0)
                part.run.read()  # (spikes leave the buffers, as the driver's chunks do)
                part.n_seen = 0
                n = e

        advance(0, n_warm)
        stand_in.restart()  # rates from here on (the initial transient left out); the warm-up's until then
        t_ex0, t_dl0, t_lk0 = part.t_exchange_s, part.t_deliver_s, part.t_lookup_s
        n_ex0, n_rx0 = part.n_exchanges, part.n_exchanged
        loc0 = 0.0
        t1 = time.perf_counter()
        advance(n_warm, n_warm + n_steps)
        wall = time.perf_counter() - t1
    finally:
        numba.set_num_threads(old)
    stand_s = part.t_exchange_s - t_ex0
    deliver_s = part.t_deliver_s - t_dl0
    lookup_s = part.t_lookup_s - t_lk0
    run_bytes = int(sum(v.nbytes for v in part.run.arrays.values() if isinstance(v, np.ndarray))
                    + part.run.spk_step.nbytes + part.run.spk_id.nbytes + part.run.fired.nbytes)
    st, p = c.structure, c.params
    syn_bytes = int(st["out_tgt"].nbytes + st["out_d"].nbytes + p["out_w"].nbytes)
    rates = {k: float(r) for k, r in zip(c.meta["pop_names"], stand_in.rates_hz())}
    n_neu_syn = expected_connections(_neuron_only(network))
    return DryRun(
        n_ranks=int(n_ranks), rank=int(rank), n_neurons_total=int(part.n_glob), neurons_share=int(owned.size),
        neurons_built=int(built.size), synapses_built=int(c.n_synapses), senders_built=int(part.snd_ids.size),
        channels_built=int(part.src_nodes.size), compiled_bytes=int(c.nbytes()), synapse_bytes=syn_bytes,
        run_bytes=run_bytes, rss_before_build=int(rss0), rss_after_build=int(rss1), peak_rss=_peak_rss_bytes(),
        build_s=build_s, epoch_steps=epoch, delivery=mode, dt_ns=float(dt_ns), simulated_ns=n_steps * dt_ns,
        kernel_s=wall - stand_s - deliver_s, push_s=deliver_s - lookup_s, lookup_s=lookup_s, stand_in_s=stand_s,
        spikes_local=int(stand_in.local_spikes.sum() - loc0), spikes_received=int(part.n_exchanged - n_rx0),
        epochs=int(part.n_exchanges - n_ex0), rates_hz=rates, neuron_synapses_total=float(n_neu_syn))


def _neuron_only(network):
    """A view of ``network`` with only its neuron → neuron projections (for their expected count)."""

    class _V:
        populations = network.populations
        sources = network.sources
        projections = [p for p in network.projections if p.pre in network.populations]

    return _V()
