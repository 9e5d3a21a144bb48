"""The MPI engine for SOEN and point-model networks: each rank builds and steps its share of the neurons.

Scheme (the conservative, epoch-based exchange of distributed spiking simulators; Morrison et al.
2005, Neural Comput. 17:1776; NEST: Kunkel et al. 2014, Front. Neuroinform. 8:78,
doi:10.3389/fninf.2014.00078; Jordan et al. 2018, Front. Neuroinform. 12:2,
doi:10.3389/fninf.2018.00002):

* **Partition.** Every neuron of the network belongs to one rank (``round_robin`` by global neuron id,
  ``blocks`` of consecutive ids per population, or an explicit array). A rank compiles only its own
  neurons and the connections onto them (:func:`soen.engine.compile.compile_soen` with ``owned=``);
  every draw is keyed by stable global ids, so the parts of any partition together are exactly the
  network of :func:`soen.compile`. The outgoing CSR of a part is indexed by global sender ids.
* **Epochs.** Let d_min be the smallest delay in steps a neuron→neuron event can have (the nominal
  delay plus the most negative jitter the generator can draw, clamped at 0 as the kernel does). A
  spike stamped at step m ∈ (a, a + D] of the epoch [a, a + D) arrives at m + d ≥ a + D whenever
  D = d_min + 1, i.e. not before the next epoch: within an epoch the ranks step independently. Each
  rank steps its neurons with a kernel that records its spikes but does not push their synapse events
  (``DEFER``); the refractory drive stays local and immediate; input spikes are pushed at their step.
* **Exchange.** At every epoch end (absolute steps k·D, independent of the chunks of the driver) the
  ranks ``Allgatherv`` the epoch's spikes, each packed in one int64 ((stamp − the epoch's first stamp)
  << 40 | global neuron id: 8 B per spike on the wire), and every rank
  pushes all of them, in (step, id) order, into its delay ring, onto its own synapses. The per-sender
  spike counter that keys the photon draws is global-sized on each rank and advanced for every spike,
  so photon counts, emission times and jitter are those of the single-process run.
* **Directed exchange** (``exchange="alltoall"``). A rank knows only the connections onto its own
  neurons, i.e. which global senders it needs; at set-up these need-lists go to the senders' ranks
  (``Alltoall`` of counts, ``Alltoallv`` of ids: :func:`directed_table`), which keep one bit per
  (local neuron, rank). At every epoch end a 6 × int64 header goes to every rank (``Alltoall``: the
  spike count for that rank, the failure flag and the stamp range, as in the Allgather header) and
  each spike, in the same 8 B format, only to the ranks that need it (``Alltoallv``; the sparse
  exchange of NEST: Jordan et al. 2018, above). A rank then holds every spike of the epoch of the
  senders it has connections from, sorts them in the same (step, id) order and pushes them: the
  pushes onto each synapse are those of the Allgather exchange, so spikes and traces are the same bit
  for bit (the spike counter of a sender without local connections is not advanced; it keys no
  draw on that rank).

Because every rank follows the same schedule, the events of each synapse and of each dendrite's
channels arrive in the same order for any number of ranks and threads: spikes and traces are
bit-identical for any P. (With P = 1 the order of events within a step differs from the CPU engine,
which pushes a neuron's events at once: sums into one channel may differ by round-off.)

Point-model networks (:mod:`soen.models`: LIF, CubaLIF, CondExpLIF, DeltaLIF …) follow the same
scheme with the point kernel (:class:`_PointPart`): each rank builds its part with
:func:`soen.engine.point.compile_point_part` (its neurons, the connections onto them, a sorted table
of their senders); the kernel steps the local neurons without pushing their spikes; after the
exchange every rank pushes all spikes of the epoch onto its own synapses in the order the
single-process kernel sends them (by step; within a step input spikes, Poisson channels, then neurons
in phase and id order), so each ring slot is summed in the same order and spikes, traces and counts
are those of :func:`soen.simulate` on the CPU engine bit for bit (P = 1 included). Input events are
pushed by the kernel at their step, or drawn and pushed after the exchange, whichever allows the
longer epoch (:func:`point_epoch`). Plastic projections, homeostasis and same-step projections are
refused (their updates need every spike at once).

Rank 0 runs the one driver (:mod:`soen.engine.driver`): chunks, progress, the results file, the
checkpoint; the other ranks follow its commands (advance, read, state …), broadcast as small int64
buffers. Spikes and the recorded traces are gathered on rank 0 after every chunk.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import warnings

import numpy as np

from soen.engine import cpu
from soen.engine._inputs import explicit_events, spike_steps
from soen.engine._jit import specialise
from soen.engine._soen_cpu import INTEGRATORS, SoenRun
from soen.engine.ir import Compiled

__all__ = ["EXCHANGES", "MPI", "Z_MAX", "OversubscriptionWarning", "directed_table", "exchange_figures",
           "min_event_delay_steps", "partition_ranks"]

_ID_MASK = (1 << 40) - 1  # a packed spike: (step − the epoch's first stamp) << 40 | global neuron id
_NO_STEP = 2**62

#: the largest |z| that soen._rng.normal can return (Box–Muller on 53-bit uniforms u ≥ 2**-54: 8.652),
#: with a margin for rounding
Z_MAX = math.sqrt(-2.0 * math.log(0.5 * 2.0 ** -53)) + 1e-6
PARTITIONS = ("round_robin", "blocks")
EXCHANGES = ("allgather", "alltoall")

# commands of rank 0 to the other ranks
_PREPARE, _ADVANCE, _READ, _REF, _FLUX, _COUNTS, _STATE, _LOAD, _STOP, _INPUTS, _XSTATS = range(1, 12)


class OversubscriptionWarning(RuntimeWarning):
    """More ranks × threads on a node than it has cores."""


def _emit_all_py(steps, ids, ring, ring_n, out_ptr, out_delay, out_mu, out_jit, out_key, em_tau, seed,
                 node_count, counters):
    """Push the synapse events of the spikes (``steps``, global ``ids``), in that order (the exchange)."""
    for q in range(steps.shape[0]):
        ring = _emit(ids[q], steps[q], ring, ring_n, out_ptr, out_delay, out_mu, out_jit, out_key,  # noqa: F821
                     em_tau, seed, node_count, counters)
    return ring


def _emitter(photonic: bool):
    return specialise(_emit_all_py, dict(PHOTONIC=bool(photonic)),
                      bind=dict(_emit=cpu._emit_photonic if photonic else cpu._emit_plain))


def _by_owner(owner, n_ranks: int, counts, n_rec: int, *blocks):
    """Recorded traces gathered rank after rank (``counts[q]`` values of rank q, each rank's block
    row-major over its own recorded columns) put back as (n_rec, columns) arrays in the record's column
    order (``owner[j]``: the rank of column j)."""
    out = [np.zeros((n_rec, owner.size)) for _ in blocks]
    pos = 0
    for q in range(n_ranks):
        cols = np.flatnonzero(owner == q)
        cnt = int(counts[q])
        if cols.size and n_rec:
            for o, b in zip(out, blocks):
                o[:, cols] = b[pos:pos + cnt].reshape(n_rec, cols.size)
        pos += cnt
    return out


def partition_ranks(network, n_ranks: int, partition="round_robin") -> np.ndarray:
    """The rank of every global neuron id (populations in order, as in :func:`soen.compile`).

    ``"round_robin"``: id mod P (spreads every population over all ranks, balancing work);
    ``"blocks"``: consecutive ids of each population split into P nearly equal blocks (fewer senders
    per rank when connectivity is local); or an array of one rank per neuron."""
    n = sum(p.n for p in network.populations.values())
    if isinstance(partition, str):
        if partition == "round_robin":
            return np.arange(n, dtype=np.int64) % n_ranks
        if partition == "blocks":
            parts = [(np.arange(p.n, dtype=np.int64) * n_ranks) // max(p.n, 1) for p in network.populations.values()]
            return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        raise ValueError(f"partition must be one of {PARTITIONS} or an array of ranks, got {partition!r}")
    a = np.asarray(partition)
    if a.shape != (n,) or (a.size and (a.dtype == bool or not np.issubdtype(a.dtype, np.integer))):
        raise ValueError(f"partition as an array must hold one integer rank per neuron (shape ({n},)), got "
                         f"shape {a.shape} and dtype {a.dtype}")
    if a.size and (a.min() < 0 or a.max() >= n_ranks):
        raise ValueError(f"partition: ranks must lie in 0..{n_ranks - 1} (the size of the communicator), got "
                         f"{int(a.min())}..{int(a.max())}")
    return a.astype(np.int64)


def min_event_delay_steps(c) -> int | None:
    """The smallest delay (steps) that an event of a neuron spike can have in compiled part ``c``: the
    nominal delay, shortened by the most negative jitter the generator can draw (|z| ≤ :data:`Z_MAX`),
    clamped at 0 as the kernel does (emission times only add). None without neuron→neuron connections."""
    st, p = c.structure, c.params
    n_glob = int(c.meta.get("n_neurons_total", c.meta["n_neurons"]))
    e_end = int(st["out_ptr"][n_glob])  # the CSR is ordered by sender: neurons first
    if e_end == 0:
        return None
    d = np.asarray(st["out_delay"][:e_end], dtype=np.int64)
    if "out_mu" in p:
        jit = np.asarray(p["out_jitter_ns"][:e_end]) / c.dt_ns
        real = np.asarray(p["out_mu"][:e_end]) < 1e300  # ideal links keep the nominal delay
        d = np.where(real, d + np.floor(-Z_MAX * jit + 0.5).astype(np.int64), d)
    return int(max(0, d.min()))


def _global_dend_offset(network) -> np.ndarray:
    per = np.concatenate([np.full(p.n, p.neuron.n_dendrites + 1, dtype=np.int64)
                          for p in network.populations.values()])
    return np.concatenate([[0], np.cumsum(per)]).astype(np.int64)


class _Opts:
    """What :class:`SoenRun` reads of an engine."""

    def __init__(self, threads, integrator):
        self.threads, self.integrator = threads, integrator


class _Part:
    """One rank's share: its compiled part, its run, and the collective operations (every rank calls
    them in the same order: rank 0 from the driver, the others from :func:`_follow`)."""

    def __init__(self, engine, comm, c, network, rank_of, epoch_steps, gdo, shell):
        self.engine, self.comm, self.c, self.rank_of = engine, comm, c, rank_of
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.D = epoch_steps
        self.gdo = gdo  # global dendrite offsets (every neuron of the network)
        self.shell = shell
        self.owned = np.asarray(c.meta.get("owned", np.arange(c.n_neurons, dtype=np.int64)), dtype=np.int64)
        self.n_glob = int(rank_of.size)
        self.spikes_in = spike_steps(c.inputs, c.dt_ns)
        self.run = None
        # exchange state: local spikes stamped since the last epoch end (global ids)
        self.pend_step = np.empty(0, dtype=np.int64)
        self.pend_id = np.empty(0, dtype=np.int64)
        self.n_seen = 0  # spikes of the kernel buffer already moved to the pending list
        self.failed = None  # (global dendrite, step) of a non-finite state on this rank
        self.error = None  # the same, of any rank (known to every rank)
        self.stop_step = None
        self.n_exchanges = 0
        self.n_exchanged = 0  # spikes received (this rank's own included)
        self.bytes_sent = 0  # spike payload sent to the other ranks (8 B per spike and receiving rank)
        self.n_sent = 0  # spike copies sent to the other ranks
        self.header_bytes = 0
        self.t_exchange_s = 0.0
        self.dest_bits = None  # the send table of the directed exchange (exchange="alltoall")
        self.exchange_mode = "allgather"

    # ---- set-up ----------------------------------------------------------------------------
    def prepare(self, rec_idx, rec_rows):
        c = self.c
        gneu = np.searchsorted(self.gdo, rec_idx, side="right") - 1  # global neuron of every recorded element
        mine = self.rank_of[gneu] == self.rank if rec_idx.size else np.zeros(0, dtype=bool)
        loc_neu = np.searchsorted(self.owned, gneu[mine])
        loc_idx = c.structure["dend_offset"][loc_neu] + (rec_idx[mine] - self.gdo[gneu[mine]])
        self.rec_owner = self.rank_of[gneu] if rec_idx.size else np.zeros(0, dtype=np.int64)
        eng = self.engine
        run = SoenRun(_Opts(eng.threads, eng.integrator), c, loc_idx, rec_rows)
        nd = c.meta["n_dendrites"]
        run.parallel = eng.threads > 1 and nd >= eng.parallel_min_dendrites
        run.kernel = cpu.get_kernel(run.parallel, heun=INTEGRATORS[eng.integrator] != 0, noisy=run.noise.size > 0,
                                    photonic=run.photonic, poisson=run.pch[0].size > 0, defer=True)
        self.emit = _emitter(run.photonic)
        self.run = run
        # Numba's disk cache: rank 0 compiles (or loads) first, the others then load what it wrote
        if self.rank == 0:
            self._warm()
        self.comm.Barrier()
        if self.rank != 0:
            self._warm()

    def _warm(self):
        e = np.empty(0, dtype=np.int64)
        self._kernel(0, 0, e, e, e, e, 0)
        self._emit(e, e)

    # ---- stepping --------------------------------------------------------------------------
    def _kernel(self, n0, n1, src_step, src_node, dk_step, dk_syn, rec_every):
        r = self.run
        c, p, st, a = r.c, r.c.params, r.c.structure, r.arrays
        r.src_pos[:] = 0
        node, key, lam, start = r.pch
        a["ring"], r.spk_step, r.spk_id = r.kernel(
            n0, n1, c.dt_ns, float(c.meta["h_tau"]), c.seed,
            r.d_hb, r.d_ahb, p["d_bias"], p["d_offset"], st["cp_ptr"], st["cp_src"], p["cp_J"], st["ch_ptr"],
            r.ch_dr, r.ch_df,
            st["sy_ch"], p["sy_w"], st["sy_type"], p["st_A"], p["st_ths_ns"], r.st_e, p["st_tf_ns"], p["st_dead_ns"],
            r.st_hs,
            st["out_ptr"], st["out_delay"], r.out_mu, r.out_jit, r.out_key, r.em_tau, src_step, src_node,
            dk_step, dk_syn,
            node, key, lam, start, r.pch_tab, r.pch_pre, *r.tab,
            st["nr_soma"], st["nr_ref_syn"], p["nr_thresh"], st["nr_ref_steps"],
            r.noise, st["d_key"],
            r.kernel_tab,
            a["s"], a["s_new"], a["k1"], a["gbuf"], a["phi"], a["chC"], a["chR"], a["chF"], a["pend"],
            a["sy_last"], a["sy_phi_end"], a["ring"], a["ring_n"], a["ref_until"],
            a["node_count"], r.src_pos, a["fluxons"], r.fired,
            r.spk_step, r.spk_id, r.rec_idx, rec_every, r.rec_s, r.rec_phi, r.counters,
        )
        if r.counters[5] and self.failed is None:
            d = int(r.counters[6])
            ln = int(c.structure["d_neuron"][d]) if c.structure["d_neuron"].size else 0
            g = int(self.gdo[self.owned[ln]]) + d - int(c.structure["dend_offset"][ln])
            self.failed = (g, int(r.counters[7]))

    def _emit(self, steps, ids):
        r = self.run
        a = r.arrays
        a["ring"] = self.emit(steps, ids, a["ring"], a["ring_n"], r.c.structure["out_ptr"], r.c.structure["out_delay"],
                              r.out_mu, r.out_jit, r.out_key, r.em_tau, r.c.seed, a["node_count"], r.counters)

    def _collect(self):
        """Move the kernel's new spikes into the pending list (global ids)."""
        r = self.run
        n = int(r.counters[2])
        if self.D is None:  # no neuron→neuron connections: nothing to exchange
            self.n_seen = n
        elif n > self.n_seen:
            self.pend_step = np.concatenate([self.pend_step, r.spk_step[self.n_seen:n]])
            self.pend_id = np.concatenate([self.pend_id, self.owned[r.spk_id[self.n_seen:n]]])
            self.n_seen = n

    def _exchange(self, emit: bool):
        """Exchange (header, then spikes: Allgather(v), or Alltoall(v) to the ranks that need them);
        with ``emit`` push the received spikes into the ring, in (step, id) order."""
        import time

        t0 = time.perf_counter()
        steps, ids, err, n_spk, nbytes, n_out = _swap_spikes(self, self.failed, emit)
        if err is not None:
            self.error = err
        if emit:
            if n_spk:
                o = np.lexsort((ids, steps))
                if self.error is None:
                    self._emit(np.ascontiguousarray(steps[o]), np.ascontiguousarray(ids[o]))
                self.n_exchanged += n_spk
            self.bytes_sent += nbytes
            self.n_sent += n_out
            self.pend_step = np.empty(0, dtype=np.int64)
            self.pend_id = np.empty(0, dtype=np.int64)
            self.n_exchanges += 1
        self.t_exchange_s += time.perf_counter() - t0

    def advance(self, n0, n1, src_step, src_node, rec_every) -> int:
        from soen.engine._inputs import dark_events

        r, c = self.run, self.c
        if n1 <= n0:
            return n0
        if self.error is not None:
            return self.error[1]
        if r.photonic and r.dark_hz > 0:
            dk_step, dk_syn = dark_events(r.syn_keys, r.dark_hz, c.dt_ns, c.seed, n0, n1)
        else:
            dk_step = dk_syn = np.empty(0, dtype=np.int64)
        D = self.D
        n = n0
        while n < n1:
            b = (n // D + 1) * D if D is not None else n1
            e = min(b, n1)
            if self.failed is None:
                i0, i1 = np.searchsorted(src_step, [n, e])
                j0, j1 = np.searchsorted(dk_step, [n, e])
                self._kernel(n, e, src_step[i0:i1], src_node[i0:i1], dk_step[j0:j1], dk_syn[j0:j1], rec_every)
                self._collect()
            if e == b and D is not None:
                self._exchange(emit=True)
            elif e == n1:
                self._exchange(emit=False)  # (the errors of the chunk only)
            if self.error is not None:
                self.stop_step = self.error[1]
                return self.error[1]
            n = e
        return n1

    # ---- gathering on rank 0 -----------------------------------------------------------------
    def _gatherv(self, arr, dtype):
        """Concatenate 1-D ``arr`` of every rank on rank 0 (rank order); (array, counts) there, else None."""
        from mpi4py import MPI as _M

        comm = self.comm
        arr = np.ascontiguousarray(arr, dtype=dtype)
        n = np.array([arr.size], dtype=np.int64)
        counts = np.empty(self.size, dtype=np.int64) if self.rank == 0 else None
        comm.Gather([n, _M.INT64_T], [counts, _M.INT64_T] if self.rank == 0 else None, root=0)
        mt = _M.INT64_T if dtype == np.int64 else _M.DOUBLE
        if self.rank == 0:
            out = np.empty(int(counts.sum()), dtype=dtype)
            displs = np.concatenate([[0], np.cumsum(counts)[:-1]])
            comm.Gatherv([arr, mt], [out, (counts, displs), mt], root=0)
            return out, counts
        comm.Gatherv([arr, mt], None, root=0)
        return None

    def read(self):
        r = self.run
        n_spk, n_rec = int(r.counters[2]), int(r.counters[8])
        if self.stop_step is not None and self.comm is not None:  # a failed run: the failing rank stopped
            n_rec = min(self.comm.allgather(n_rec))  # recording early; every rank keeps the rows all have
        steps, ids = r.spk_step[:n_spk], self.owned[r.spk_id[:n_spk]]
        if self.stop_step is not None:
            keep = steps <= self.stop_step
            steps, ids = steps[keep], ids[keep]
        r.totals[2] += n_spk
        r.totals[8] += n_rec
        r.counters[2] = 0
        r.counters[8] = 0
        self.n_seen = 0
        gs = self._gatherv(steps, np.int64)
        gi = self._gatherv(ids, np.int64)
        gsv = self._gatherv(r.rec_s[:n_rec].reshape(-1), np.float64)
        gph = self._gatherv(r.rec_phi[:n_rec].reshape(-1), np.float64)
        if self.rank != 0:
            return None
        o = np.lexsort((gi[0], gs[0]))
        rs, rp = _by_owner(self.rec_owner, self.size, gsv[1], n_rec, gsv[0], gph[0])
        return gs[0][o], gi[0][o], rs, rp

    def ref_until(self):
        g = self._gatherv(self.run.arrays["ref_until"], np.int64)
        if g is None:
            return None
        out = np.empty(self.n_glob, dtype=np.int64)
        out[np.argsort(self.rank_of, kind="stable")] = g[0]  # rank-major, ids ascending within a rank
        return out

    def fluxons(self):
        g = self._gatherv(self.run.fluxons(), np.float64)
        if g is None:
            return None
        order = np.argsort(self.rank_of, kind="stable")  # neurons rank-major, as the gathered dendrites
        per = np.diff(self.gdo)[order]
        starts = self.gdo[order]
        idx = np.repeat(starts - np.concatenate([[0], np.cumsum(per)[:-1]]), per) + np.arange(per.sum())
        out = np.empty(int(self.gdo[-1]))
        out[idx] = g[0]
        return out

    def totals(self):
        r = self.run
        g = self._gatherv(r.totals + r.counters, np.int64)
        return None if g is None else g[0].reshape(self.size, -1)

    def state(self):
        st = {k: np.asarray(v) for k, v in self.run.state().items()}
        st["_pend_step"], st["_pend_id"] = self.pend_step, self.pend_id
        every = self.comm.gather(st, root=0)  # (checkpoints only: pickled)
        if self.rank != 0:
            return None
        out = {"_mpi_size": np.array(self.size)}
        for q, d in enumerate(every):
            out.update({f"r{q}.{k}": v for k, v in d.items()})
        return out

    def _scatter_state(self, z):
        """This rank's part of checkpoint ``z`` (read on rank 0); None where it does not fit (rank 0 raises)."""
        parts = None
        if self.rank == 0:
            size = int(np.asarray(z["_mpi_size"])) if "_mpi_size" in z else -1
            if size != self.size:
                parts = [f"resume: the checkpoint was written by {size} MPI ranks, this run has {self.size}"] * self.size
            else:
                parts = [{k[len(f"r{q}."):]: np.asarray(z[k]) for k in z if k.startswith(f"r{q}.")}
                         for q in range(self.size)]
        mine = self.comm.scatter(parts, root=0)  # (checkpoints only: pickled)
        if isinstance(mine, str):  # every rank leaves the collective first; rank 0 raises
            if self.rank == 0:
                raise ValueError(mine)
            return None
        return mine

    def load_state(self, z):
        mine = self._scatter_state(z)
        if mine is None:
            return
        self.run.load_state(mine)
        self.pend_step = np.asarray(mine["_pend_step"], dtype=np.int64).copy()
        self.pend_id = np.asarray(mine["_pend_id"], dtype=np.int64).copy()
        self.n_seen = 0


def exchange_figures(part):
    """The exchange figures of every rank of this run so far (a collective; the dict on rank 0, None
    elsewhere): ``exchange`` (the mode), ``ranks``, ``epoch_steps``, ``exchanges`` (epochs exchanged),
    and per rank (lists, rank order) ``bytes_sent`` (spike payload sent to the other ranks: 8 B per
    spike and receiving rank), ``header_bytes`` (48 B per epoch and other rank), ``spikes_sent``
    (spike copies sent to the other ranks) and ``spikes_received`` (spikes received, the rank's own
    included: those pushed onto its synapses or looked up)."""
    mine = np.array([part.bytes_sent, part.header_bytes, part.n_sent, part.n_exchanged], dtype=np.int64)
    g = part._gatherv(mine, np.int64)
    if g is None:
        return None
    a = g[0].reshape(part.size, 4)
    return dict(exchange=part.exchange_mode, ranks=int(part.size),
                epoch_steps=None if part.D is None else int(part.D), exchanges=int(part.n_exchanges),
                bytes_sent=a[:, 0].tolist(), header_bytes=a[:, 1].tolist(), spikes_sent=a[:, 2].tolist(),
                spikes_received=a[:, 3].tolist())


def _command(comm, code, a=0, b=0, c=0):
    from mpi4py import MPI as _M

    buf = np.array([code, a, b, c], dtype=np.int64)
    comm.Bcast([buf, _M.INT64_T], root=0)
    return buf


def _follow(part: _Part) -> int:
    """The loop of ranks ≠ 0: execute rank 0's commands until it stops. Returns the stop flag."""
    from mpi4py import MPI as _M

    comm = part.comm
    c = part.c
    while True:
        cmd = _command(comm, 0)
        code = int(cmd[0])
        if code == _PREPARE:
            rec = np.empty(int(cmd[2]), dtype=np.int64)
            comm.Bcast([rec, _M.INT64_T], root=0)
            part.prepare(rec, int(cmd[1]))
        elif code == _ADVANCE:
            n0, n1 = int(cmd[1]), int(cmd[2])
            ev = explicit_events(c.inputs, c.dt_ns, n0, n1, part.spikes_in)
            part.advance(n0, n1, ev[0], ev[1], int(cmd[3]))
        elif code == _READ:
            part.read()
        elif code == _REF:
            part.ref_until()
        elif code == _FLUX:
            part.fluxons()
        elif code == _COUNTS:
            part.totals()
            if isinstance(part, _PointPart):
                part.inputs()
        elif code == _INPUTS:
            part.inputs()
        elif code == _XSTATS:
            exchange_figures(part)
        elif code == _STATE:
            part.state()
        elif code == _LOAD:
            part.load_state(None)
        elif code == _STOP:
            return int(cmd[1])
        else:
            raise RuntimeError(f"MPI engine: unknown command {code} from rank 0")


class _Rank0Run:
    """The run object the driver sees on rank 0: every call is a collective of all ranks."""

    def __init__(self, part: _Part):
        self.part = part
        self.c = part.shell
        self.parallel = part.run.parallel
        self.integrator = part.engine.integrator

    def _cmd(self, code, a=0, b=0, c=0):
        _command(self.part.comm, code, a, b, c)

    def advance(self, n0, n1, src_step, src_node, rec_every):
        self._cmd(_ADVANCE, n0, n1, rec_every)
        return self.part.advance(n0, n1, src_step, src_node, rec_every)

    def read(self):
        self._cmd(_READ)
        return self.part.read()

    def error(self):
        return self.part.error

    def describe_element(self, d: int) -> str:
        m = self.c.meta
        gdo = self.part.gdo
        nid = int(np.searchsorted(gdo, d, side="right") - 1)
        pop = max((k for k, o in m["pop_offset"].items() if o <= nid), key=lambda k: m["pop_offset"][k])
        names = m["dend_names"][pop]
        local = d - int(gdo[nid])
        dname = names[local] if local < len(names) else "refractory"
        return f"dendrite {d} ({pop}[{nid - m['pop_offset'][pop]}].{dname})"

    @property
    def arrays(self):
        self._cmd(_REF)
        return {"ref_until": self.part.ref_until()}

    def counts(self, n_spikes: int, n_pending_drives: int) -> dict:
        self._cmd(_COUNTS)
        t = self.part.totals()
        s = t.sum(axis=0)
        drives = n_spikes - n_pending_drives
        return dict(events=int(s[0]) - drives, refractory_drives=drives, dead_time_drops=int(s[1]),
                    spikes=n_spikes, lost=int(s[3]), photons_detected=int(s[4]), dark_counts=int(s[9]),
                    input_spikes=int(t[0, 10]))  # every rank draws and counts every input spike

    def input_counts(self) -> np.ndarray:
        return self.part.run.arrays["node_count"][self.part.n_glob:].copy()

    def run_metadata(self) -> dict:
        """``{"mpi": ...}``: the exchange mode and figures of every rank (:func:`exchange_figures`)."""
        self._cmd(_XSTATS)
        return {"mpi": exchange_figures(self.part)}

    def fluxons(self) -> np.ndarray:
        self._cmd(_FLUX)
        return self.part.fluxons()

    def state(self) -> dict:
        self._cmd(_STATE)
        return self.part.state()

    def load_state(self, z) -> None:
        self._cmd(_LOAD)
        self.part.load_state(z)


# ------------------------------------------------------------------------------------------------
# point-model networks (soen.models): LIF, CubaLIF, CondExpLIF, DeltaLIF …
# ------------------------------------------------------------------------------------------------
def point_epoch(neuron_delays, input_delays):
    """(epoch length D in steps, ``"kernel"`` or ``"defer"``) of a point-model network from the distinct
    stored delays (steps; neuron→neuron ones include the +1 of the spike stamp) of its neuron and
    input connections; (None, "kernel") without neuron→neuron connections.

    The point kernel adds every event into the ring slot of its arrival when it is sent, so a slot's
    sum is formed in the order the events were sent: by step, and within a step input spikes, Poisson
    channels, then neuron spikes. A rank pushes the neuron spikes of an epoch [a, a + D) only after
    the exchange (D ≤ the shortest neuron delay). An input event pushed by the kernel at step m into
    slot m + d_s would then overtake a neuron spike of an earlier step of the same epoch into that slot
    whenever 1 ≤ d_n − d_s ≤ D − 1: in ``"kernel"`` mode D is bounded by the smallest positive
    d_n − d_s; in ``"defer"`` mode the inputs are drawn and pushed after the exchange too, step by
    step in the kernel's order (D ≤ the shortest input delay). The mode with the longer epoch wins."""
    dn = np.unique(np.asarray(neuron_delays, dtype=np.int64))
    ds = np.unique(np.asarray(input_delays, dtype=np.int64))
    if not dn.size:
        return None, "kernel"
    d_min = int(dn[0])
    if not ds.size:
        return d_min, "kernel"
    i = np.searchsorted(dn, ds, side="right")
    ok = i < dn.size
    gaps = dn[i[ok]] - ds[ok]
    d_kernel = min(d_min, int(gaps.min())) if gaps.size else d_min
    d_defer = min(d_min, int(ds[0]))
    return (d_defer, "defer") if d_defer > d_kernel else (d_kernel, "kernel")


def _header_error(heads):
    """The failure of the exchange headers (rows: ranks; columns 1–3 flag, step, element): the one at
    the earliest step, as (element, step), or None."""
    bad = np.flatnonzero(heads[:, 1])
    if not bad.size:
        return None
    k = bad[np.argmin(heads[bad, 2])]
    return int(heads[k, 3]), int(heads[k, 2])


def _packing(heads, n_glob):
    """(first stamp of the epoch, int64 words per spike) from the headers' stamp ranges: one word
    ((stamp − first) << 40 | id) unless the epoch spans 2**23 steps or more or the network has 2**40
    neurons, then two (stamp, id)."""
    base = int(heads[:, 4].min())
    return base, 1 if int(heads[:, 5].max()) - base < 2**23 and n_glob < _ID_MASK else 2


def _pack(steps, ids, base, per):
    if per == 1:
        return ((steps - base) << 40) | ids
    send = np.empty(2 * steps.size, dtype=np.int64)
    send[0::2] = steps
    send[1::2] = ids
    return send


def _unpack(recv, base, per):
    return ((recv >> 40) + base, recv & _ID_MASK) if per == 1 else (recv[0::2], recv[1::2])


def _displs(counts):
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def _allgather_spikes(comm, size, rank, pend_step, pend_id, failed, emit, n_glob):
    """One exchange: Allgather a header (count, failure flag/step/element, stamp range), then with
    ``emit`` Allgatherv the spikes, one int64 each ((stamp − the epoch's first stamp) << 40 | id).
    Returns (stamps, ids, error of any rank or None, spikes of all ranks, payload bytes of this rank's
    spikes at the other ranks (8 B × spikes × (P − 1)), spikes sent to the other ranks (the same count
    of copies))."""
    from mpi4py import MPI as _M

    f = failed
    has = emit and pend_step.size > 0
    head = np.array([pend_step.size if emit else 0, 1 if f else 0, f[1] if f else 0, f[0] if f else 0,
                     int(pend_step.min()) if has else _NO_STEP, int(pend_step.max()) if has else -1],
                    dtype=np.int64)
    heads = np.empty((size, 6), dtype=np.int64)
    comm.Allgather([head, _M.INT64_T], [heads, _M.INT64_T])
    error = _header_error(heads)
    e = np.empty(0, dtype=np.int64)
    n_spk = int(heads[:, 0].sum()) if emit else 0
    if not n_spk:
        return e, e, error, 0, 0, 0
    base, per = _packing(heads, n_glob)
    counts = per * heads[:, 0]
    send = _pack(pend_step, pend_id, base, per)
    recv = np.empty(int(counts.sum()), dtype=np.int64)
    comm.Allgatherv([send, _M.INT64_T], [recv, (counts, _displs(counts)), _M.INT64_T])
    steps, ids = _unpack(recv, base, per)
    n_out = int(heads[rank, 0]) * (size - 1)  # every other rank receives every spike of this rank
    return steps, ids, error, n_spk, 8 * per * n_out, n_out


def directed_table(comm, size, rank, needed, owner_of_needed, owned):
    """The send table of the directed exchange (a collective, once per run): bit q of row i set when
    rank q has at least one connection from this rank's neuron ``owned[i]``. Each rank knows only the
    connections onto its own neurons, i.e. which global senders it needs (``needed``, their ranks
    ``owner_of_needed``): the need-lists go to the senders' ranks with one ``Alltoall`` of counts and
    one ``Alltoallv`` of global ids. Returns a (len(owned), ⌈P/8⌉) uint8 array (``np.packbits``
    order: rank q is bit 7 − q mod 8 of byte q // 8)."""
    from mpi4py import MPI as _M

    needed = np.asarray(needed, dtype=np.int64)
    own = np.asarray(owner_of_needed, dtype=np.int64)
    o = np.argsort(own, kind="stable")
    send = np.ascontiguousarray(needed[o])
    scount = np.bincount(own, minlength=size).astype(np.int64)
    rcount = np.empty(size, dtype=np.int64)
    comm.Alltoall([scount, _M.INT64_T], [rcount, _M.INT64_T])
    recv = np.empty(int(rcount.sum()), dtype=np.int64)
    comm.Alltoallv([send, (scount, _displs(scount)), _M.INT64_T], [recv, (rcount, _displs(rcount)), _M.INT64_T])
    q = np.repeat(np.arange(size, dtype=np.int64), rcount)
    loc = np.searchsorted(owned, recv)
    if recv.size and (loc.max() >= owned.size or not np.array_equal(owned[loc], recv)):
        raise RuntimeError("MPI engine: a rank asked for the spikes of a neuron this rank does not own")
    bits = np.zeros((owned.size, (size + 7) // 8), dtype=np.uint8)
    np.bitwise_or.at(bits, (loc, q >> 3), (np.uint8(128) >> (q & 7).astype(np.uint8)))
    return bits


def _alltoall_spikes(comm, size, rank, pend_step, pend_id, failed, emit, n_glob, bits, owned):
    """One directed exchange: every rank sends each spike only to the ranks that have connections
    from its sender (``bits``: :func:`directed_table`). An ``Alltoall`` of a 6 × int64 header per pair
    (the count for that rank, then the failure flag/step/element and stamp range of the rank, as the
    header of :func:`_allgather_spikes`), then with ``emit`` an ``Alltoallv`` of the spikes in the same
    8 B format. Returns (stamps, ids received (this rank's own included), error of any rank or None,
    spikes received, payload bytes sent to the other ranks, spikes sent to the other ranks)."""
    from mpi4py import MPI as _M

    f = failed
    has = emit and pend_step.size > 0
    if has:
        dest = np.unpackbits(bits[np.searchsorted(owned, pend_id)], axis=1, count=size)
        qq, kk = np.nonzero(dest.T)  # grouped by destination rank, the spikes in pending order within
        scount = np.bincount(qq, minlength=size).astype(np.int64)
    else:
        kk = np.empty(0, dtype=np.int64)
        scount = np.zeros(size, dtype=np.int64)
    head = np.empty((size, 6), dtype=np.int64)
    head[:, 0] = scount
    head[:, 1:] = [1 if f else 0, f[1] if f else 0, f[0] if f else 0,
                   int(pend_step.min()) if has else _NO_STEP, int(pend_step.max()) if has else -1]
    heads = np.empty((size, 6), dtype=np.int64)  # row q: what rank q sent to this rank
    comm.Alltoall([head, _M.INT64_T], [heads, _M.INT64_T])
    error = _header_error(heads)
    e = np.empty(0, dtype=np.int64)
    if not emit or int(heads[:, 5].max()) < 0:  # no rank has a spike: no rank calls Alltoallv
        return e, e, error, 0, 0, 0
    base, per = _packing(heads, n_glob)  # every rank sees every rank's stamp range: the same base everywhere
    send = _pack(pend_step[kk], pend_id[kk], base, per)
    sc, rc = per * scount, per * heads[:, 0]
    recv = np.empty(int(rc.sum()), dtype=np.int64)
    comm.Alltoallv([send, (sc, _displs(sc)), _M.INT64_T], [recv, (rc, _displs(rc)), _M.INT64_T])
    steps, ids = _unpack(recv, base, per)
    n_out = int(scount.sum() - scount[rank])
    return steps, ids, error, int(heads[:, 0].sum()), 8 * per * n_out, n_out


def _swap_spikes(part, failed, emit):
    """The exchange of ``part`` (:class:`_Part` or :class:`_PointPart`) in its mode; updates the
    header byte count. Returns what :func:`_allgather_spikes` returns."""
    part.header_bytes += 48 * (part.size - 1)  # 6 × int64 to every other rank, either mode
    if part.dest_bits is not None:
        return _alltoall_spikes(part.comm, part.size, part.rank, part.pend_step, part.pend_id, failed, emit,
                                part.n_glob, part.dest_bits, part.owned)
    return _allgather_spikes(part.comm, part.size, part.rank, part.pend_step, part.pend_id, failed, emit,
                             part.n_glob)


class _PointOpts:
    """What :class:`soen.engine.point.PointRun` reads of an engine."""

    delivery = "dense"

    def __init__(self, threads):
        self.threads = threads


def _part_run(c, threads: int, parallel_min_neurons: int, rec_loc, rec_rows: int, mode: str):
    """The kernel run of a partial build (:func:`soen.engine.point.compile_point_part`): local neurons,
    the local input channels as nodes N_own + j; in ``"defer"`` mode the kernel gets no inputs."""
    from . import _point_kernel as K
    from ._poisson import channel_tables
    from .point import PointRun

    st = c.structure
    n_own = c.n_neurons
    view = Compiled("point", c.dt_ns, c.seed, dict(c.params), dict(st), (), dict(c.meta))
    run = PointRun(_PointOpts(threads), view, rec_loc, rec_rows)
    src = np.asarray(st["src_nodes"], dtype=np.int64)
    node, key, lam, start, rows = [], [], [], [], []
    has_events = False
    for s in c.inputs:
        a, b = np.searchsorted(src, [s.node0, s.node0 + s.n])
        if b <= a:
            continue
        if s.kind != "poisson":
            has_events = True
            continue
        ch = src[a:b] - s.node0
        rows.append(np.arange(a, b, dtype=np.int64))
        key.append((np.int64(s.key) << np.int64(32)) | ch)
        lam.append(np.full(ch.size, s.rate_hz * c.dt_ns * 1e-9))
        start.append(np.full(ch.size, int(math.ceil(s.start_ns / c.dt_ns - 1e-9)), dtype=np.int64))

    def cat(parts, dtype):
        return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype=dtype)

    rows, key, lam, start = cat(rows, np.int64), cat(key, np.int64), cat(lam, float), cat(start, np.int64)
    t = channel_tables(lam, c.seed, key)
    chans = dict(row=rows, pre=t["pre"], tab=t["tab"], key=key, lam=lam, start=start,
                 tab_off=t["off"], tab_cdf=t["cdf"], tab_guide=t["guide"])
    if mode == "kernel":
        node = n_own + rows
        run.pch = (node, key, lam, start)
        deg = st["out_ptr"][node + 1] - st["out_ptr"][node]
        run.pch_one = np.where(deg == 1, st["out_ptr"][node], -1)
        run.pch_tab, run.pch_big, run.pch_pre = t["tab"], t["big"], t["pre"]
        run.tab = (t["off"], t["cdf"], t["guide"])
        run.arrays["pk"] = np.zeros(node.size, dtype=np.int64)
        e = np.empty(0, dtype=np.int64)
        chans.update(row=e, pre=np.empty(0, dtype=np.uint64), tab=np.empty(0, dtype=np.int32), key=e,
                     lam=np.empty(0), start=e)
    run.parallel = threads > 1 and n_own >= parallel_min_neurons
    run.kernel = K.get_run_steps(run.parallel, c.params["pop_row"], st["pop_kind"].tolist(),
                                 poisson=mode == "kernel" and rows.size > 0,
                                 events=mode == "kernel" and has_events, record=run.rec_idx.size > 0,
                                 delivery="dense", plastic=False)
    return run, chans


class _PointPart:
    """One rank's share of a point-model network: its kernel run (local neurons; their spikes are not
    pushed by the kernel), the exchange, and the pushes after it (:func:`point_epoch` for the order).
    ``comm`` None: a stand-in supplies the other ranks' spikes (:func:`soen.engine.dryrun.dry_run`)."""

    def __init__(self, comm, rank, size, c, epoch, mode, threads=1, parallel_min_neurons=20000, shell=None,
                 owner=None, exchange=None):
        st = c.structure
        self.comm, self.rank, self.size, self.c = comm, rank, size, c
        self.D, self.mode = epoch, mode
        self.threads, self.parallel_min_neurons = threads, parallel_min_neurons
        self.shell, self.owner = shell, owner
        self.stand_in = exchange  # (stamps, ids) → all ranks' spikes, without MPI
        self.owned = np.asarray(c.meta["owned"], dtype=np.int64)
        self.n_own, self.n_glob = self.owned.size, int(c.meta["n_neurons_total"])
        self.snd_ids = np.asarray(st["snd_ids"], dtype=np.int64)
        self.src_nodes = np.asarray(st["src_nodes"], dtype=np.int64)
        names = c.meta["pop_names"]
        self.g_off = np.array([c.meta["pop_offset"][k] for k in names], dtype=np.int64)
        phase = np.empty(len(names), dtype=np.int64)
        phase[np.asarray(st["pop_order"])] = np.arange(len(names))
        self.phase = phase
        self.phase_identity = bool(np.array_equal(phase, np.arange(len(names))))
        self.spikes_in = spike_steps(c.inputs, c.dt_ns)
        self.run = None
        self.pend_step = np.empty(0, dtype=np.int64)  # local spikes (stamps, global ids) since the last epoch end
        self.pend_id = np.empty(0, dtype=np.int64)
        self.ev_step = np.empty(0, dtype=np.int64)  # explicit input spikes waiting for their epoch (defer)
        self.ev_row = np.empty(0, dtype=np.int64)
        self.counted = 0  # inputs of steps before this are counted (defer)
        self.xc = np.zeros(2, dtype=np.int64)  # pushed after the exchange: synaptic events, input spikes
        self.n_seen = 0
        self.failed = None
        self.error = None
        self.stop_step = None
        self.n_exchanges = self.n_exchanged = self.bytes_sent = self.n_sent = self.header_bytes = 0
        self.dest_bits = None  # the send table of the directed exchange (exchange="alltoall")
        self.exchange_mode = "allgather"
        self.t_exchange_s = self.t_deliver_s = self.t_lookup_s = 0.0  # (deliver includes lookup)

    # ---- set-up ----------------------------------------------------------------------------
    def prepare(self, rec_idx, rec_rows):
        rec_idx = np.asarray(rec_idx, dtype=np.int64)
        own = self.owner(rec_idx) if rec_idx.size else np.zeros(0, dtype=np.int64)
        mine = own == self.rank
        self.rec_owner = own
        loc = np.searchsorted(self.owned, rec_idx[mine])
        self.run, self.chans = _part_run(self.c, self.threads, self.parallel_min_neurons, loc, rec_rows, self.mode)
        if self.comm is not None and self.rank == 0:
            self._warm()
        if self.comm is not None:
            self.comm.Barrier()
        if self.comm is None or self.rank != 0:
            self._warm()

    def _warm(self):
        e = np.empty(0, dtype=np.int64)
        self.run._kernel(0, 0, e, e, 0)
        self._deliver(0, 0, e, e, push=True)

    # ---- stepping --------------------------------------------------------------------------
    def _deliver(self, n0, n1, sp_stamp, sp_id, push=True):
        """Push (``push``) or only count the inputs of steps [n0, n1), then the neuron spikes given."""
        import time

        from .point import deliver_exchanged

        t0 = time.perf_counter()
        r, st, ch = self.run, self.c.structure, self.chans
        if sp_id.size and self.phase_identity and int(sp_stamp.max()) - int(sp_stamp.min()) < 2**23:
            # the kernel's order: step, then phase (here the populations in order), then id: one sort of
            # packed (step, id) words; the look-ups then walk the sender table in order within each step
            base = int(sp_stamp.min())
            k = ((sp_stamp - base) << 40) | sp_id
            k.sort()
            sp_stamp, sp_id = (k >> 40) + base, k & _ID_MASK
            rows = self._rows(sp_id, presorted=True)
            hit = rows >= 0  # senders with connections onto this rank
            sp_stamp, rows = sp_stamp[hit], rows[hit]
        elif sp_id.size:
            rows = self._rows(sp_id)
            hit = rows >= 0
            sp_stamp, sp_id, rows = sp_stamp[hit], sp_id[hit], rows[hit]
            o = np.lexsort((sp_id, self.phase[np.searchsorted(self.g_off, sp_id, side="right") - 1], sp_stamp))
            sp_stamp, rows = sp_stamp[o], rows[o]
        else:
            rows = np.empty(0, dtype=np.int64)
        self.t_lookup_s += time.perf_counter() - t0
        a = r.arrays
        L, ncol = a["inbuf"].shape
        i0, i1 = np.searchsorted(self.ev_step, [n0, n1])
        deliver_exchanged(n0, n1, self.counted, push, self.c.seed, st["out_ptr"], st["snd_ptr"], st["out_tgt"],
                          self.c.params["out_w"], st["out_d"], a["inbuf"].reshape(L * ncol), L, ncol,
                          self.ev_step[i0:i1], self.ev_row[i0:i1], ch["row"], ch["pre"], ch["tab"], ch["key"],
                          ch["lam"], ch["start"], ch["tab_off"], ch["tab_cdf"], ch["tab_guide"],
                          np.ascontiguousarray(sp_stamp - 1), rows, self.n_own, r.in_count, self.xc)
        self.counted = max(self.counted, n1)
        if push and i1 > i0:
            self.ev_step, self.ev_row = self.ev_step[i1:], self.ev_row[i1:]
        self.t_deliver_s += time.perf_counter() - t0

    def _collect(self):
        r = self.run
        n = int(r.counters[0])
        if n > self.n_seen:
            self.pend_step = np.concatenate([self.pend_step, r.spk_step[self.n_seen:n]])
            self.pend_id = np.concatenate([self.pend_id, self.owned[r.spk_id[self.n_seen:n]]])
            self.n_seen = n

    def _exchange(self, emit: bool, a: int, b: int):
        """At an epoch end b (``emit``): exchange and push the epoch [a, b); else errors only."""
        import time

        t0 = time.perf_counter()
        if self.stand_in is not None:
            steps, ids = self.stand_in(self.pend_step, self.pend_id, a, b) if emit else (self.pend_step[:0],) * 2
            err, n_spk, nbytes, n_out = None, steps.size, 8 * self.pend_step.size, self.pend_step.size
            if self.failed is not None:
                err = self.failed
        else:
            steps, ids, err, n_spk, nbytes, n_out = _swap_spikes(self, self.failed, emit)
        if err is not None:
            self.error = err
        self.t_exchange_s += time.perf_counter() - t0
        if emit:
            if self.error is None:
                self._deliver(a, b, steps, ids)
            self.n_exchanged += n_spk
            self.bytes_sent += nbytes
            self.n_sent += n_out
            self.pend_step = self.pend_step[:0]
            self.pend_id = self.pend_id[:0]
            self.n_exchanges += 1

    def advance(self, n0, n1, src_step, src_node, rec_every) -> int:
        r = self.run
        if n1 <= n0:
            return n0
        if self.error is not None:
            return self.error[1]
        src_step = np.asarray(src_step, dtype=np.int64)
        j = np.searchsorted(self.src_nodes, src_node)
        keep = j < self.src_nodes.size
        keep[keep] = self.src_nodes[j[keep]] == np.asarray(src_node)[keep]
        ev_step, ev_row = src_step[keep], j[keep].astype(np.int64)
        if self.mode == "defer":
            self.ev_step = np.concatenate([self.ev_step, ev_step])
            self.ev_row = np.concatenate([self.ev_row, ev_row])
            ev_step = ev_row = np.empty(0, dtype=np.int64)
        ev_node = self.n_own + ev_row
        D = self.D
        n = n0
        while n < n1:
            b = (n // D + 1) * D if D is not None else n1
            e = min(b, n1)
            if self.failed is None:
                i0, i1 = np.searchsorted(ev_step, [n, e])
                r.advance(n, e, ev_step[i0:i1], ev_node[i0:i1], rec_every)
                if r.error() is not None:
                    self.failed = (int(self.owned[r.error()[0]]), int(r.error()[1]))
                self._collect()
            if D is not None and e == b:
                self._exchange(True, b - D, b)
            else:
                if self.mode == "defer" and D is not None:  # the inputs of the open epoch, counted now
                    e0 = np.empty(0, dtype=np.int64)
                    self._deliver(self.counted, e, e0, e0, push=False)
                if e == n1:
                    self._exchange(False, 0, 0)
            if self.error is not None:
                self.stop_step = self.error[1]
                return self.error[1]
            n = e
        return n1

    # ---- gathering on rank 0 -----------------------------------------------------------------
    _gatherv = _Part._gatherv

    def read(self):
        r = self.run
        n_spk, n_rec = int(r.counters[0]), int(r.counters[7])
        if self.stop_step is not None and self.comm is not None:  # a failed run: the failing rank stopped
            n_rec = min(self.comm.allgather(n_rec))  # recording early; every rank keeps the rows all have
        steps, ids = r.spk_step[:n_spk].copy(), self.owned[r.spk_id[:n_spk]]
        if self.stop_step is not None:
            keep = steps <= self.stop_step
            steps, ids = steps[keep], ids[keep]
        rv, rx = r.rec_v[:n_rec], r.rec_x[:n_rec]
        r.totals[0] += n_spk
        r.totals[7] += n_rec
        r.counters[0] = 0
        r.counters[7] = 0
        self.n_seen = 0
        gs = self._gatherv(steps, np.int64)
        gi = self._gatherv(ids, np.int64)
        gv = self._gatherv(rv.reshape(-1), np.float64)
        gx = self._gatherv(rx.reshape(-1), np.float64)
        if self.rank != 0:
            return None
        o = np.lexsort((gi[0], gs[0]))
        vv, xx = _by_owner(self.rec_owner, self.size, gv[1], n_rec, gv[0], gx[0])
        return gs[0][o], gi[0][o], vv, xx

    def totals(self):
        """Synaptic events summed over the ranks (rank 0; None elsewhere). The kernel counts a spike's
        events when it is sent: those of the spikes of an epoch still open (not exchanged yet) are
        counted here from a gather of them (a collective), as they would be delivered."""
        r = self.run
        t = r.totals + r.counters
        pend = 0
        if self.comm is not None and self.D is not None:
            hb = self.header_bytes
            ids = _swap_spikes(self, None, True)[1]  # (not an epoch: left out of the exchange figures)
            self.header_bytes = hb
            pend = self._fan_out(ids)
        g = self._gatherv(np.array([t[1] + self.xc[0] + pend], dtype=np.int64), np.int64)
        return None if g is None else int(g[0].sum())

    def _rows(self, ids, presorted: bool = False) -> np.ndarray:
        """The sender row of every global neuron id in ``ids`` (−1: no connections onto this rank)."""
        if not self.snd_ids.size:
            return np.full(ids.size, -1, dtype=np.int64)
        if ids.size > 4096 and not presorted:  # sorted queries walk the table in order (far fewer cache misses)
            o = np.argsort(ids, kind="stable")
            u = np.empty(ids.size, dtype=np.int64)
            u[o] = np.searchsorted(self.snd_ids, ids[o])
        else:
            u = np.searchsorted(self.snd_ids, ids)
        u = np.minimum(u, self.snd_ids.size - 1)
        return np.where(self.snd_ids[u] == ids, u, -1).astype(np.int64)

    def _fan_out(self, ids) -> int:
        """Local connections of the senders ``ids`` (global neuron ids)."""
        u = self._rows(ids)
        u = u[u >= 0]
        ptr = self.c.structure["snd_ptr"]
        return int((ptr[u + 1] - ptr[u]).sum())

    def inputs(self):
        """Input spikes of every channel of the network (rank 0; None elsewhere): each rank counts the
        channels it draws (all of them together cover every channel)."""
        n_loc = self.src_nodes.size
        gi = self._gatherv(self.src_nodes - self.n_glob, np.int64)
        gc = self._gatherv(self.run.in_count[:n_loc].astype(np.int64), np.int64)
        if gi is None:
            return None
        n_in = int(self.c.meta["n_nodes_total"]) - self.n_glob
        out = np.zeros(max(n_in, 1), dtype=np.int64)
        np.maximum.at(out, gi[0], gc[0])  # a channel drawn by several ranks has the same count on each
        return out

    def ref_until(self):
        return None

    def fluxons(self):
        return np.empty(0)

    def state(self):
        st = {k: np.asarray(v) for k, v in self.run.state().items()}
        st.update(_pend_step=self.pend_step, _pend_id=self.pend_id, _ev_step=self.ev_step, _ev_row=self.ev_row,
                  _counted=np.array(self.counted), _xc=self.xc.copy())
        every = self.comm.gather(st, root=0)  # (checkpoints only: pickled)
        if self.rank != 0:
            return None
        out = {"_mpi_size": np.array(self.size)}
        for q, d in enumerate(every):
            out.update({f"r{q}.{k}": v for k, v in d.items()})
        return out

    def load_state(self, z):
        mine = _Part._scatter_state(self, z)
        if mine is None:
            return
        self.run.load_state(mine)
        self.pend_step = np.asarray(mine["_pend_step"], dtype=np.int64).copy()
        self.pend_id = np.asarray(mine["_pend_id"], dtype=np.int64).copy()
        self.ev_step = np.asarray(mine["_ev_step"], dtype=np.int64).copy()
        self.ev_row = np.asarray(mine["_ev_row"], dtype=np.int64).copy()
        self.counted = int(mine["_counted"])
        self.xc = np.asarray(mine["_xc"], dtype=np.int64).copy()
        self.n_seen = 0


class _PointRank0Run(_Rank0Run):
    """The run object the driver sees on rank 0 for a point-model network."""

    def counts(self, n_spikes: int, n_pending_drives: int) -> dict:
        self._cmd(_COUNTS)
        events = self.part.totals()
        ic = self.part.inputs()
        return dict(events=int(events), spikes=n_spikes, input_spikes=int(ic.sum()))

    def input_counts(self) -> np.ndarray:
        self._cmd(_INPUTS)
        return self.part.inputs()

    def describe_element(self, i: int) -> str:
        pops = self.c.populations
        pop = next(k for k, (o, m) in pops.items() if o <= i < o + m)
        return f"neuron {pop}[{i - pops[pop][0]}]"


class MPI:
    """SOEN and point-model networks on several MPI processes (ranks), each stepping its share of the
    neurons with the CPU kernel; spikes are exchanged once per epoch (SOEN: D = shortest possible
    neuron→neuron delay in steps + 1; point models: :func:`point_epoch`). Spikes and traces are
    identical for any number of ranks and threads (see :mod:`soen.engine._mpi`); for point models
    they equal the single-process :func:`soen.simulate` bit for bit. :meth:`dry_run` builds one
    rank's share on this machine and predicts memory and speed (no MPI needed).

    Run the same script on every rank (``mpiexec -n 4 python3 script.py``, or ``srun``) and call
    :meth:`simulate` there; it returns the :class:`~soen.Result` on rank 0 and None on the others.
    Needs the optional extra ``soen[mpi]`` (mpi4py).

    Parameters
    ----------
    threads : Numba threads per rank (default 1); ranks × threads above a node's cores warns.
    partition : ``"round_robin"`` (global neuron id mod P), ``"blocks"`` (consecutive ids of each
        population), or an array with the rank of every neuron.
    integrator : ``"euler"`` or ``"heun"``, as :class:`soen.engines.CPU`.
    comm : an mpi4py communicator (default ``MPI.COMM_WORLD``).
    parallel_min_dendrites : a rank with at least this many dendrites uses the threaded kernel when
        ``threads > 1`` (default 4096, as the CPU engine).
    parallel_min_neurons : point models: a rank with at least this many neurons uses the threaded
        kernel when ``threads > 1`` (default 20000, as the CPU engine).
    exchange : how the spikes of an epoch travel, ``"allgather"`` (default) or ``"alltoall"``; both
        give the same spikes and traces bit for bit (SOEN and point-model networks).
        ``"allgather"``: every rank receives every spike (``Allgather`` of a 6 × int64 header per
        rank, ``Allgatherv`` of 8 B per spike). ``"alltoall"`` (directed): a rank sends each spike only
        to the ranks holding at least one connection from its neuron (a send table of ⌈P/8⌉ B per
        local neuron, built once per run from every rank's list of the senders it needs), with an
        ``Alltoall`` of a 6 × int64 header per pair and an ``Alltoallv`` of 8 B per spike and receiving
        rank. It pays with many ranks and local connectivity (few target ranks per neuron); with
        random connectivity and out-degree ≫ P it sends the same bytes as ``"allgather"`` in P − 1
        messages per rank. The Result's ``metadata["mpi"]`` gives the bytes each rank sent (B).
    """

    #: soen.simulate hands the Network to :meth:`simulate` (each rank compiles its own share)
    builds_per_rank = True

    kind = "soen"

    def __init__(self, threads: int = 1, partition="round_robin", integrator: str = "euler", comm=None,
                 parallel_min_dendrites: int = 4096, parallel_min_neurons: int = 20000, exchange: str = "allgather"):
        try:
            from mpi4py import MPI as _M
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("soen.engines.MPI needs mpi4py: pip install 'soen[mpi]' (mpi4py and an MPI "
                              "library such as the mpich wheel)") from exc
        from ._validate import check_threads

        if threads is None:
            raise ValueError("threads must be an integer >= 1 for the MPI engine (threads per rank), got None")
        self.threads = check_threads(threads)
        if integrator not in INTEGRATORS:
            raise ValueError(f"integrator must be one of {sorted(INTEGRATORS)}, got {integrator!r}")
        if isinstance(partition, str) and partition not in PARTITIONS:
            raise ValueError(f"partition must be one of {PARTITIONS} or an array of ranks, got {partition!r}")
        if isinstance(parallel_min_dendrites, bool) or not isinstance(parallel_min_dendrites, (int, np.integer)) \
                or parallel_min_dendrites < 0:
            raise ValueError(f"parallel_min_dendrites must be an integer >= 0, got {parallel_min_dendrites!r}")
        self.integrator = integrator
        self.partition = partition
        self.parallel_min_dendrites = int(parallel_min_dendrites)
        if isinstance(parallel_min_neurons, bool) or not isinstance(parallel_min_neurons, (int, np.integer)) \
                or parallel_min_neurons < 0:
            raise ValueError(f"parallel_min_neurons must be an integer >= 0, got {parallel_min_neurons!r}")
        self.parallel_min_neurons = int(parallel_min_neurons)
        if not isinstance(exchange, str) or exchange not in EXCHANGES:
            raise ValueError(f"exchange must be one of {EXCHANGES}, got {exchange!r}")
        self.exchange = exchange
        self.comm = _M.COMM_WORLD if comm is None else comm
        self.stats: dict = {}

    @staticmethod
    def dry_run(network, n_ranks: int, rank: int = 0, **options):
        """Build and step rank ``rank``'s share of a ``n_ranks``-rank run of a point-model network on
        this one machine, with a stand-in for the other ranks' spikes; no MPI needed. See
        :func:`soen.engine.dryrun.dry_run` for the options and :meth:`soen.engine.dryrun.DryRun.predict`
        for the predicted memory per rank and real-time factor."""
        from .dryrun import dry_run

        return dry_run(network, n_ranks, rank, **options)

    @property
    def rank(self) -> int:
        return self.comm.Get_rank()

    @property
    def size(self) -> int:
        return self.comm.Get_size()

    def describe(self, compiled=None) -> str:
        """The options that change results: the integrator and the number of ranks with the partition
        (a checkpoint holds one state per rank). Threads do not."""
        part = self.partition if isinstance(self.partition, str) else "array"
        if compiled is not None and compiled.kind == "point":
            return f"mpi-point|ranks={self.size}|{part}"
        return f"mpi-soen|{self.integrator}|ranks={self.size}|{part}"

    def __repr__(self) -> str:
        return (f"MPI(threads={self.threads}, partition={self.partition!r}, integrator={self.integrator!r}, "
                f"exchange={self.exchange!r}, ranks={self.size})")

    def prepare(self, compiled, rec_idx, rec_rows: int):
        if not isinstance(compiled, Compiled) or "mpi_shell" not in compiled.meta:
            raise ValueError("soen.engines.MPI runs a network that every rank compiles in part: call "
                             "soen.engines.MPI(...).simulate(network, duration_ns, ...) on every rank "
                             "(mpiexec -n P python3 script.py), not soen.simulate(..., engine=MPI())")
        part = compiled.meta["mpi_shell"]
        _command(self.comm, _PREPARE, int(rec_rows), int(np.asarray(rec_idx).size))
        from mpi4py import MPI as _M

        rec = np.ascontiguousarray(rec_idx, dtype=np.int64)
        self.comm.Bcast([rec, _M.INT64_T], root=0)
        part.prepare(rec, int(rec_rows))
        return _PointRank0Run(part) if isinstance(part, _PointPart) else _Rank0Run(part)

    # ---- building ----------------------------------------------------------------------------
    def compile(self, network, *, dt_ns: float = 0.1, seed: int = 0, table=None, hardware=None, layout=None):
        """This rank's part of ``network`` (a :class:`~soen.Compiled` holding the neurons the partition
        gives it and the connections onto them; ``meta["owned"]`` their global ids)."""
        from soen.model.network import Network

        from ._validate import check_dt_ns, check_seed
        from .compile import compile_soen
        from .ir import _is_point

        if not isinstance(network, Network):
            raise TypeError(f"network must be a soen.Network, got {type(network).__name__}")
        if not network.populations:
            raise ValueError("network has no populations: add one with Network.add_population")
        point = _is_point(network)
        plastic = [f"{p.pre}->{p.post}" for p in network.projections if getattr(p, "plasticity", None) is not None]
        if plastic:
            raise ValueError(f"soen.engines.MPI does not run plastic projections yet (plasticity= on "
                             f"{', '.join(plastic[:3])}); run them on soen.engines.CPU")
        dt_ns = check_dt_ns(dt_ns)
        seed = check_seed(seed)
        rank_of = partition_ranks(network, self.size, self.partition)
        owned = np.flatnonzero(rank_of == self.rank).astype(np.int64)
        if point:
            if hardware is not None or layout is not None:
                raise ValueError("hardware= and layout= apply to SOEN neurons; this network holds standard point "
                                 "models (soen.models), which have no photonic layer: leave them out")
            from .point import compile_point_part

            return compile_point_part(network, dt_ns=dt_ns, seed=seed, owned=owned,
                                      input_share=(self.rank, self.size)), rank_of
        if layout is not None and self.size > 1:
            raise ValueError("layout= is not supported by soen.engines.MPI with more than one rank yet: the "
                             "layout's crossing estimates depend on every connection at once; leave layout out "
                             "or run on soen.engines.CPU")

        def sender_totals(local):  # (a collective: every rank compiles with the same hardware)
            from mpi4py import MPI as _M

            out = np.empty_like(local)
            self.comm.Allreduce([local, _M.INT64_T], [out, _M.INT64_T], op=_M.SUM)
            return out

        return compile_soen(network, dt_ns=dt_ns, seed=seed, table=table, hardware=hardware, layout=layout,
                            owned=owned, sender_totals=sender_totals), rank_of

    def _check_cores(self):
        from mpi4py import MPI as _M

        node = self.comm.Split_type(_M.COMM_TYPE_SHARED)
        try:
            local = node.Get_size()
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
            if node.Get_rank() == 0 and local * self.threads > cores:
                warnings.warn(f"{local} ranks × {self.threads} threads on this node exceed its {cores} cores: "
                              f"the ranks will compete for them (use fewer ranks or threads)",
                              OversubscriptionWarning, stacklevel=3)
        finally:
            node.Free()

    def simulate(self, network, duration_ns: float, *, dt_ns: float = 0.1, seed: int = 0, record=None,
                 record_every_ns=None, progress=None, table=None, hardware=None, layout=None, output=None,
                 checkpoint=None, resume=None, keep_in_memory=None):
        """Simulate ``network`` on all ranks of the communicator; the arguments are those of
        :func:`soen.simulate`. Call it on every rank with the same arguments. Returns the
        :class:`~soen.Result` on rank 0 (spikes, traces, counts of the whole network; ``output=`` and
        ``checkpoint=`` are written by rank 0, a checkpoint holding the state of every rank) and None
        on the other ranks. ``self.stats`` holds the epoch length and exchange figures of the rank;
        the Result's ``metadata["mpi"]`` those of every rank (:func:`exchange_figures`: the mode, the
        payload bytes and spikes each rank sent to the others, the header bytes, spikes received)."""
        import time

        import numba

        from . import driver

        t0 = time.perf_counter()
        comm = self.comm
        self._check_cores()
        # every rank builds its part; a failure anywhere stops every rank
        err = None
        try:
            c, rank_of = self.compile(network, dt_ns=dt_ns, seed=seed, table=table, hardware=hardware,
                                      layout=layout)
            d_min = min_event_delay_steps(c) if c.kind == "soen" else None
        except Exception as exc:  # noqa: BLE001 - re-raised below, on every rank
            err = exc
            d_min = None
        flags = comm.allgather(err is not None)  # (set-up only: small pickled objects)
        if err is not None:
            raise err
        if any(flags):
            raise RuntimeError(f"MPI engine: compiling the network failed on rank(s) "
                               f"{[q for q, f in enumerate(flags) if f]}; see their error")
        if c.kind == "point":
            part = self._point_part(c, rank_of)
        else:
            part = self._soen_part(c, network, rank_of, dt_ns, d_min)
        old = numba.get_num_threads()
        numba.set_num_threads(self.threads)
        try:
            if self.rank != 0:
                main = threading.current_thread() is threading.main_thread()
                old_sig = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None  # rank 0 decides
                try:
                    flag = _follow(part)
                except BaseException:  # a rank that cannot follow would leave the others waiting
                    import traceback

                    traceback.print_exc()
                    comm.Abort(1)
                    raise
                finally:
                    if old_sig is not None:
                        signal.signal(signal.SIGINT, old_sig)
                self._stats(part)
                if flag:
                    raise RuntimeError("MPI engine: the run failed on rank 0; see its error")
                return None
            shell = part.shell
            shell_meta = dict(shell.meta)
            shell_meta["mpi_shell"] = part
            sh = Compiled(shell.kind, shell.dt_ns, shell.seed, dict(shell.params), dict(shell.structure), shell.inputs,
                          shell_meta)
            part.shell = sh
            ok = False
            try:
                res = driver.run(sh, duration_ns, self, record=record, record_every_ns=record_every_ns,
                                 progress=progress, output=output, checkpoint=checkpoint, resume=resume,
                                 network=network, keep_in_memory=keep_in_memory, threads=self.threads,
                                 t_compile=time.perf_counter() - t0)
                ok = True
            finally:
                _command(comm, _STOP, 0 if ok else 1)
            self._stats(part)
            return res
        finally:
            numba.set_num_threads(old)

    def _soen_part(self, c, network, rank_of, dt_ns, d_min):
        comm = self.comm
        mins = [x for x in comm.allgather(d_min) if x is not None]
        epoch = (min(mins) + 1) if mins else None
        gdo = _global_dend_offset(network)
        sizes = comm.allgather((c.meta["n_dendrites"], c.meta["n_synapses"], c.meta["n_connections"],
                                c.fingerprint()))
        shell = None
        if self.rank == 0:
            shell = self._shell(c, network, gdo, sizes, rank_of, dt_ns)
        part = _Part(self, comm, c, network, rank_of, epoch, gdo, shell)
        part.exchange_mode = self.exchange
        if self.exchange == "alltoall" and epoch is not None:
            n = part.n_glob
            ptr = np.asarray(c.structure["out_ptr"][:n + 1], dtype=np.int64)  # global senders: neurons first
            needed = np.flatnonzero(ptr[1:] > ptr[:-1])
            part.dest_bits = directed_table(comm, self.size, self.rank, needed, rank_of[needed], part.owned)
        self.stats = dict(epoch_steps=epoch, ranks=self.size, neurons=int(part.owned.size),
                          dendrites=int(c.meta["n_dendrites"]), connections=int(c.meta["n_connections"]))
        return part

    def _point_part(self, c, rank_of):
        """This rank's :class:`_PointPart`: the epoch and delivery mode from every rank's delays."""
        comm = self.comm
        dn = np.unique(np.concatenate([np.asarray(x, dtype=np.int64) for x in comm.allgather(c.meta["neuron_delays"])]))
        ds = np.unique(np.concatenate([np.asarray(x, dtype=np.int64) for x in comm.allgather(c.meta["input_delays"])]))
        epoch, mode = point_epoch(dn, ds)
        sizes = comm.allgather((c.n_synapses, c.fingerprint(), int(c.structure["out_d"].max(initial=0))))
        shell = None
        if self.rank == 0:
            m = {k: v for k, v in c.meta.items() if k not in ("owned", "neuron_delays", "input_delays")}
            n_glob = int(rank_of.size)
            m.update(n_neurons=n_glob, n_synapses=int(sum(s[0] for s in sizes)), n_nodes=int(m["n_nodes_total"]))
            m.pop("n_neurons_total", None)
            st = c.structure
            structure = dict(pop_order=st["pop_order"], pop_kind=st["pop_kind"], ranks=rank_of,
                             parts="|".join(s[1] for s in sizes), out_tgt=st["out_tgt"][:0], out_ptr=st["out_ptr"][:0],
                             out_d=np.array([max(s[2] for s in sizes)], dtype=st["out_d"].dtype))
            shell = Compiled("point", c.dt_ns, c.seed, dict(pop_row=c.params["pop_row"], out_w=c.params["out_w"][:0]),
                             structure, c.inputs, m)
        part = _PointPart(comm, self.rank, self.size, c, epoch, mode, self.threads, self.parallel_min_neurons,
                          shell=shell, owner=lambda g: rank_of[g])
        part.engine = self
        part.exchange_mode = self.exchange
        if self.exchange == "alltoall" and epoch is not None:
            part.dest_bits = directed_table(comm, self.size, self.rank, part.snd_ids, rank_of[part.snd_ids],
                                            part.owned)
        self.stats = dict(epoch_steps=epoch, delivery=mode, ranks=self.size, neurons=int(part.n_own),
                          synapses=int(c.n_synapses), senders=int(part.snd_ids.size))
        return part

    def _stats(self, part):
        self.stats.update(exchange=self.exchange, exchanges=part.n_exchanges, spikes_exchanged=part.n_exchanged,
                          bytes_sent=part.bytes_sent, header_bytes=part.header_bytes, spikes_sent=part.n_sent,
                          send_table_bytes=0 if part.dest_bits is None else int(part.dest_bits.nbytes),
                          exchange_s=part.t_exchange_s)
        if isinstance(part, _PointPart):
            self.stats.update(deliver_s=part.t_deliver_s)

    def _shell(self, c, network, gdo, sizes, rank_of, dt_ns):
        """What the driver sees on rank 0: the whole network's sizes, names and global dendrite
        numbering (for record=), and the fingerprints of every part (for checkpoints)."""
        m = dict(c.meta)
        m.pop("owned", None)
        n_glob = int(rank_of.size)
        n_dend = sum(s[0] for s in sizes)
        n_conn = sum(s[2] for s in sizes)
        m.update(n_neurons=n_glob, n_dendrites=int(n_dend), n_connections=int(n_conn),
                 n_synapses=int(n_conn + n_glob))
        m.pop("n_neurons_total", None)
        ref = np.concatenate([np.full(p.n, int(round(p.neuron.soma.refractory_ns / dt_ns)), dtype=np.int64)
                              for p in network.populations.values()])
        structure = dict(dend_offset=gdo, nr_ref_steps=ref, ranks=rank_of,
                         parts="|".join(s[3] for s in sizes))
        return Compiled("soen", c.dt_ns, c.seed, {}, structure, c.inputs, m)
