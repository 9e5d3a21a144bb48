"""The one driver of every engine: chunking, progress, Ctrl-C, streaming, checkpoints, errors, Result.

``soen.simulate`` compiles the network (:func:`soen.compile`) and hands the frozen
:class:`~soen.engine.ir.Compiled` with an engine object to :func:`run`. The engine protocol is small:

* ``engine.prepare(compiled, record_elements, buffer_rows) -> run`` allocates the state;
* ``run.advance(n0, n1, input_steps, input_nodes, record_every) -> step reached`` steps [n0, n1) with the
  explicit input spikes of those steps (Poisson channels are drawn inside, per step);
* ``run.read() -> (spike steps, spike ids, trace rows s, trace rows φ)`` hands over what the chunk produced;
* ``run.error()``, ``run.counts(...)``, ``run.state()`` / ``run.load_state(...)`` for errors, counts and
  checkpoints.

Memory does not depend on the duration: inputs are drawn as the run goes, spikes and trace rows leave
the engine after every chunk (~0.2 s of wall time). Without ``output=`` they are kept in memory and the
Result holds them. With ``output=`` they are streamed to the HDF5 results file and not kept (unless
``keep_in_memory=True``): the Result then reads them from the file on first access, so a run of any
length streams in constant memory.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np

from ._inputs import explicit_events, spike_steps
from ._validate import check_memory, check_writable, steps_of
from .result import Result

__all__ = ["run", "resolve_record"]

_FORMAT = "soen-checkpoint-2"
_CHUNK_MAX = 1_000_000
_TRACE_BUFFER_BYTES = 64 * 2**20


def resolve_record(record, c):
    """Record selectors → (element indices, labels). SOEN: ``"pop"`` (somas), ``("pop", ids)``,
    ``("pop", ids, dendrite)`` with a name, index, list, ``"all"`` or ``"refractory"``; point models:
    ``("pop", ids)`` or ``("pop", ids, "v")``."""
    if record is None:
        return np.empty(0, dtype=np.int64), []
    if isinstance(record, (str, tuple)):
        record = [record]
    if not isinstance(record, (list,)):
        raise TypeError(f"record must be a selector or a list of selectors, got {record!r}")
    m = c.meta
    idx, labels = [], []
    for sel in record:
        if isinstance(sel, str):
            sel = (sel,)
        if not isinstance(sel, tuple) or not 1 <= len(sel) <= 3:
            raise ValueError(f"record entries must be 'pop', ('pop', ids) or ('pop', ids, dendrite), got {sel!r}")
        pop = sel[0]
        if pop not in m["pop_offset"]:
            raise ValueError(f"record: unknown population {pop!r}; known: {sorted(m['pop_offset'])}")
        n = m["pop_size"][pop]
        ids = np.arange(n) if len(sel) < 2 or sel[1] is None else np.atleast_1d(np.asarray(sel[1]))
        if ids.size and (ids.dtype == bool or not np.issubdtype(ids.dtype, np.integer) or ids.min() < 0
                         or ids.max() >= n):
            raise ValueError(f"record: neuron indices of {pop!r} must be integers in 0..{n - 1}, got {sel[1]!r}")
        off = m["pop_offset"][pop]
        if c.kind == "point":
            if len(sel) == 3 and sel[2] not in ("v", "soma", "all"):
                raise ValueError(f"record: point models record 'v' (and the second state in traces_phi), got {sel[2]!r}")
            for i in ids:
                idx.append(off + int(i))
                labels.append((pop, int(i), "v"))
            continue
        names = list(m["dend_names"][pop])
        which = sel[2] if len(sel) == 3 else "soma"
        if which == "all":
            local = list(range(len(names) + 1))
        else:
            wanted = which if isinstance(which, (list, tuple)) else [which]
            local = []
            for x in wanted:
                if x == "refractory":
                    local.append(len(names))
                elif isinstance(x, str) and x in names:
                    local.append(names.index(x))
                elif isinstance(x, (int, np.integer)) and not isinstance(x, bool) and 0 <= x < len(names):
                    local.append(int(x))
                else:
                    raise ValueError(f"record: {pop!r} has no dendrite {x!r}; its dendrites are {names[:8]}"
                                     f"{'…' if len(names) > 8 else ''} (or an index 0..{len(names) - 1}, 'all', "
                                     f"'refractory')")
        d_off = c.structure["dend_offset"]
        for i in ids:
            gid = off + int(i)
            for k in local:
                idx.append(int(d_off[gid]) + k)
                labels.append((pop, int(i), names[k] if k < len(names) else "refractory"))
    return np.asarray(idx, dtype=np.int64), labels


class _Interrupt:
    """SIGINT sets a flag that the driver reads between chunks (a signal inside a Numba call would
    otherwise surface as a SystemError and lose the run)."""

    def __init__(self):
        self.hit = False
        self._old = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum, frame):
        if self.hit:  # a second Ctrl-C: stop at once
            raise KeyboardInterrupt
        self.hit = True

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
        return False


class _Store:
    """Spikes and trace rows of a run: in memory, or streamed to the results file."""

    def __init__(self, writer, keep: bool, n_rec: int):
        self.writer, self.keep = writer, keep
        self.spk_t, self.spk_i, self.rs, self.rp = [], [], [], []
        self.n_spikes = 0
        self.n_rows = 0
        self.n_rec = n_rec

    def add(self, steps, ids, rs, rp, dt_ns, rec_every, t_end_ns):
        if self.writer is not None:
            if rs.shape[0]:
                self.writer.append_traces((self.n_rows + np.arange(rs.shape[0])) * rec_every * dt_ns, rs, rp)
            self.writer.append_spikes(steps * dt_ns, ids, t_end_ns=t_end_ns)
        if self.keep:
            if steps.size:
                self.spk_t.append(steps)
                self.spk_i.append(ids)
            if rs.shape[0]:
                self.rs.append(rs)
                self.rp.append(rp)
        self.n_spikes += steps.size
        self.n_rows += rs.shape[0]

    def spikes(self):
        st = np.concatenate(self.spk_t) if self.spk_t else np.empty(0, dtype=np.int64)
        si = np.concatenate(self.spk_i) if self.spk_i else np.empty(0, dtype=np.int64)
        o = np.lexsort((si, st))
        return st[o], si[o]

    def traces(self):
        if not self.rs:
            return np.zeros((0, self.n_rec)), np.zeros((0, self.n_rec))
        return np.concatenate(self.rs), np.concatenate(self.rp)


def _check_checkpoint(path, c, engine_desc, rec_idx, rec_every, n_steps):
    """Read a checkpoint for this compiled network and engine; refuse one made for anything else,
    naming the first part that differs."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"resume: no checkpoint file {str(path)!r}")
    try:
        z = np.load(path, allow_pickle=False)
        fmt = str(z["_format"])
        parts = json.loads(str(z["_parts"]))
    except Exception as exc:  # noqa: BLE001 - anything unreadable is a bad checkpoint
        raise ValueError(f"resume: {str(path)!r} is not a readable soen checkpoint ({type(exc).__name__}: {exc})") from None
    if fmt != _FORMAT:
        raise ValueError(f"resume: {str(path)!r} has format {fmt!r}, expected {_FORMAT!r}")
    mine = {**c.fingerprint_parts(), "engine": engine_desc}
    for k in sorted(set(mine) | set(parts)):
        if mine.get(k) != parts.get(k):
            raise ValueError(f"resume: the checkpoint was made for a different network, seed, dt_ns or engine: "
                             f"{k} differs (checkpoint {parts.get(k, '—')!s:.40}, this run {mine.get(k, '—')!s:.40})")
    if not np.array_equal(z["_rec_idx"], rec_idx) or int(z["_rec_every"]) != rec_every:
        raise ValueError("resume: the checkpoint recorded other traces (record= or record_every_ns differ); "
                         "resume with the same recording")
    n_done = int(z["_n_done"])
    if n_done > n_steps:
        raise ValueError(f"resume: the checkpoint is at t = {n_done * c.dt_ns:g} ns, beyond duration_ns = "
                         f"{n_steps * c.dt_ns:g}")
    return z, n_done


def _save_checkpoint(path, c, engine_desc, run_obj, n_done, steps, ids, rs, rp, rec_idx, rec_every, weights=None):
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.npz")
    parts = {**c.fingerprint_parts(), "engine": engine_desc}
    np.savez(tmp, _format=np.array(_FORMAT), _parts=np.array(json.dumps(parts)), _n_done=np.array(n_done),
             _spk_step=steps, _spk_id=ids, _rec_s=rs, _rec_phi=rp, _rec_idx=rec_idx, _rec_every=np.array(rec_every),
             **{f"state.{k}": v for k, v in run_obj.state().items()}, **(weights or {}))
    tmp.replace(path)


def plastic_synapses(c) -> dict:
    """Plastic projection name → (synapse indices in the engine's order, pre, post local indices)."""
    names = c.meta.get("plastic_projections", [])
    if not names:
        return {}
    st, m = c.structure, c.meta
    ptr = st["out_ptr"]
    sender = np.repeat(np.arange(ptr.size - 1), np.diff(ptr))
    if c.kind == "point":
        post = st["out_tgt"] % c.n_neurons
        which = [np.flatnonzero(st["rule_of"] == r) for r in range(len(names))]
    else:
        post = st["conn_post"].astype(np.int64)
        pid = {n: k for k, n in enumerate(m["projections"])}
        which = [np.flatnonzero(st["conn_proj"] == pid[n]) for n in names]
    starts = np.array(sorted({**m["pop_offset"], **m["src_offset"]}.values()))
    pstarts = np.array(sorted(m["pop_offset"].values()))
    out = {}
    for name, idx in zip(names, which):
        s_, p_ = sender[idx], post[idx]
        out[name] = (idx, s_ - starts[np.searchsorted(starts, s_, side="right") - 1],
                     p_ - pstarts[np.searchsorted(pstarts, p_, side="right") - 1])
    return out


def _snapshot_steps(weights_at_ns, dt, n_steps) -> list:
    if weights_at_ns is None:
        return []
    ts = np.atleast_1d(np.asarray(weights_at_ns, dtype=float))
    out = set()
    for k, t in enumerate(ts):
        n = steps_of(f"weights_at_ns[{k}]", float(t), dt, low=0)
        if n > n_steps:
            raise ValueError(f"weights_at_ns[{k}]={float(t)!r} ns is after the end of the run ({n_steps * dt:g} ns)")
        out.add(n)
    return sorted(out)


def run(c, duration_ns, engine, *, record=None, record_every_ns=None, progress=None, output=None,
        checkpoint=None, resume=None, network=None, keep_in_memory=None, threads=None, t_compile=0.0,
        weights_at_ns=None) -> Result:
    """Run compiled network ``c`` on ``engine`` up to ``duration_ns``; see :func:`soen.simulate`."""
    import numba

    t0 = time.perf_counter()
    dt = c.dt_ns
    n_steps = steps_of("duration_ns", duration_ns, dt, low=1)
    duration_ns = n_steps * dt
    rec_idx, labels = resolve_record(record, c)
    rec_every = 0
    if rec_idx.size:
        rec_every = 1 if record_every_ns is None else steps_of("record_every_ns", record_every_ns, dt, low=1)
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be True, False or None (automatic), got {progress!r}")
    if output is not None:
        output = check_writable("output", output)
    if checkpoint is not None:
        checkpoint = check_writable("checkpoint", checkpoint)
    if keep_in_memory is not None and not isinstance(keep_in_memory, bool):
        raise TypeError(f"keep_in_memory must be True, False or None, got {keep_in_memory!r}")
    keep = (output is None) if keep_in_memory is None else keep_in_memory
    if output is None and not keep:
        raise ValueError("keep_in_memory=False needs output= (a results file to hold the spikes)")
    n_rec_t = (n_steps + rec_every - 1) // rec_every if rec_every else 0
    if keep and rec_idx.size:
        check_memory(f"recording {rec_idx.size} traces every {rec_every * dt:g} ns for {duration_ns:g} ns",
                     n_rec_t * rec_idx.size * 16)
    # trace rows per chunk: the engine's buffer; a chunk never holds more
    rows = max(1, min(n_rec_t + 1, _TRACE_BUFFER_BYTES // max(1, 16 * rec_idx.size))) if rec_idx.size else 0
    chunk_cap = min(_CHUNK_MAX, (rows - 1) * rec_every) if rec_idx.size and rows > 1 else _CHUNK_MAX
    if rec_idx.size and rows == 1:
        chunk_cap = rec_every
    plastic = plastic_synapses(c)
    snaps = _snapshot_steps(weights_at_ns, dt, n_steps)
    if weights_at_ns is not None and not plastic:
        raise ValueError("weights_at_ns= takes weight snapshots of plastic projections; this network has none "
                         "(connect with plasticity=soen.STDP(...))")
    if plastic and n_steps not in snaps:
        snaps.append(n_steps)  # the final weights
    run_obj = engine.prepare(c, rec_idx, max(rows, 1))
    desc = engine.describe(c)
    snap_t: list = []
    snap_w: dict = {name: [] for name in plastic}

    n_done = 0
    prior = None
    if resume is not None:
        z, n_done = _check_checkpoint(resume, c, desc, rec_idx, rec_every, n_steps)
        run_obj.load_state({k[6:]: z[k] for k in z.files if k.startswith("state.")})
        prior = (z["_spk_step"], z["_spk_id"], z["_rec_s"], z["_rec_phi"])
        if "_wt_times" in z.files:  # the snapshots taken before the checkpoint
            snap_t = [float(t) for t in z["_wt_times"]]
            for k, name in enumerate(plastic):
                snap_w[name] = list(z[f"_wt_{k}"])
    writer = None
    if output is not None:
        from soen.io.results import ResultWriter

        net_dict = {}
        if network is not None:
            from soen.io.network_io import network_to_dict

            net_dict = network_to_dict(network, strict=False)
        m = c.meta
        writer = ResultWriter(
            output, network=net_dict,
            run=dict(duration_ns=duration_ns, dt_ns=dt, seed=c.seed,
                     integrator=getattr(engine, "integrator", "point") if c.kind == "soen" else "point",
                     record_every_ns=rec_every * dt, table_model=str(m.get("table_model", "")), engine=desc,
                     photonic=bool(m.get("photonic", False)), hardware=m.get("hardware"), layout=m.get("layout")),
            populations=c.populations, trace_labels=labels, n_traces=int(rec_idx.size))
    if writer is not None and plastic:
        writer.init_weights({name: (pre, post) for name, (_, pre, post) in plastic.items()})
        for k, t in enumerate(snap_t):
            writer.append_weights(t, {name: snap_w[name][k] for name in plastic})
    snaps = [n for n in snaps if n > n_done or (n == n_done and n_done * dt not in snap_t)]
    store = _Store(writer, keep, rec_idx.size)
    if prior is not None:
        store.add(prior[0], prior[1], prior[2], prior[3], dt, rec_every, n_done * dt)
    spikes_in = spike_steps(c.inputs, dt)
    n_start = n_done
    old_threads = numba.get_num_threads()
    if threads is not None:
        numba.set_num_threads(int(threads))
    complete, message, error, interrupted = True, "", None, False
    bar, task = None, None
    t_jit = 0.0
    t_run0 = time.perf_counter()
    try:
        with _Interrupt() as intr:
            # zero steps first: compiles the kernel (or loads it from Numba's cache)
            tj = time.perf_counter()
            run_obj.advance(n_done, n_done, *explicit_events(c.inputs, dt, n_done, n_done), rec_every)
            t_jit = time.perf_counter() - tj
            t_run0 = time.perf_counter()
            # the first chunk from a rough work estimate (about 0.1 s); later ones from the measured speed
            work = (c.meta["n_dendrites"] if c.kind == "soen" else c.n_neurons) + c.n_synapses / 16
            chunk = max(1, min(n_steps - n_done, max(100, int(2e7 / max(work, 1.0))), 100_000, chunk_cap))
            homeo = [k for _, k in getattr(run_obj, "homeo", [])]  # homeostasis intervals (steps)
            while n_done < n_steps or (snaps and snaps[0] == n_done):
                n_h = min(((n_done // k) + 1) * k for k in homeo) if homeo else n_steps
                n0c, n1 = n_done, min(n_steps, n_done + chunk, snaps[0] if snaps else n_steps, n_h)
                ts = time.perf_counter()
                ev = explicit_events(c.inputs, dt, n_done, n1, spikes_in)
                reached = run_obj.advance(n_done, n1, ev[0], ev[1], rec_every)
                steps, ids, rs, rp = run_obj.read()
                err = run_obj.error()
                store.add(steps, ids, rs, rp, dt, rec_every, reached * dt)  # the file's t_end follows its data
                n_done = reached
                if homeo and err is None:
                    run_obj.count_spikes(ids)
                    run_obj.homeostasis(n_done)
                if snaps and snaps[0] == n_done and err is None:  # a weight snapshot, streamed like spikes
                    snaps.pop(0)
                    w_now = run_obj.weights()
                    snap_t.append(n_done * dt)
                    for name, (idx, _, _) in plastic.items():
                        snap_w[name].append(w_now[idx])
                    if writer is not None:
                        writer.append_weights(n_done * dt, {name: snap_w[name][-1] for name in plastic})
                if err is not None:
                    error = err
                    break
                if intr.hit:
                    raise KeyboardInterrupt
                per_step = (time.perf_counter() - ts) / max(1, n_done - n0c)
                chunk = int(min(max(1, 0.2 / max(per_step, 1e-9)), chunk_cap))
                remaining = (n_steps - n_done) * per_step
                show = progress if progress is not None else (remaining > 2.0 and sys.stderr.isatty())
                if bar is None and show and n_done < n_steps:
                    from rich.progress import Progress

                    bar = Progress(transient=False)
                    bar.start()
                    task = bar.add_task("simulating", total=n_steps)
                if bar is not None:
                    bar.update(task, completed=n_done)
    except KeyboardInterrupt:  # the partial Result is returned (complete=False, metadata["interrupted"])
        complete, message, interrupted = False, f"interrupted at t = {n_done * dt:g} ns", True
    except BaseException as exc:  # leave a valid file marked incomplete, then re-raise
        if writer is not None:
            try:
                writer.finish(complete=False, message=f"failed at t = {n_done * dt:g} ns: {exc!r}",
                              counts={}, timing={}, fluxons=run_obj.fluxons(), metadata={}, t_end_ns=n_done * dt)
            finally:
                writer.close()
        raise
    finally:
        if bar is not None:
            bar.stop()
        if threads is not None:
            numba.set_num_threads(old_threads)
    t_run = time.perf_counter() - t_run0
    steps_run = n_done - n_start

    if error is not None:
        complete = False
        message = f"non-finite state in {run_obj.describe_element(error[0])} at t = {error[1] * dt:g} ns"

    if keep:
        sp_steps, sp_ids = store.spikes()
        tr_s, tr_phi = store.traces()
    else:
        sp_steps = sp_ids = tr_s = tr_phi = None
    n_spk = store.n_spikes
    n_last = _last_step_count(run_obj, n_done) if c.kind == "soen" else 0
    counts = run_obj.counts(n_spk, n_last)
    m = c.meta
    ic = run_obj.input_counts()
    metadata = dict(engine=desc, n_synapses=c.n_synapses, parallel=bool(getattr(run_obj, "parallel", False)),
                    resumed_from_ns=n_start * dt, interrupted=interrupted)
    if hasattr(run_obj, "run_metadata"):  # an engine's own figures (the MPI engine: its exchange, per rank)
        metadata.update(run_obj.run_metadata())
    input_counts = {s.name: ic[s.node0 - c.n_neurons:s.node0 - c.n_neurons + s.n] for s in c.inputs}
    if c.kind == "soen":
        metadata.update(n_dendrites=m["n_dendrites"], n_connections=m["n_connections"],
                        table_model=m["table_model"], hardware=m["hardware"])
    else:
        st = c.structure
        metadata.update(bytes_per_synapse=float(st["out_tgt"].itemsize + c.params["out_w"].itemsize
                                                + st["out_d"].itemsize),
                        synapse_bytes=int(st["out_tgt"].nbytes + c.params["out_w"].nbytes + st["out_d"].nbytes
                                          + st["out_ptr"].nbytes),
                        ring_slots=int(st["out_d"].max(initial=0)) + 1, dt_ms=m["dt_ms"], models=m["models"],
                        phase_order=[m["pop_names"][k] for k in st["pop_order"]])
    result = Result(
        spike_times_ns=sp_steps * dt if sp_steps is not None else None,
        spike_ids=sp_ids,
        populations=c.populations,
        duration_ns=float(duration_ns), dt_ns=float(dt), seed=int(c.seed),
        integrator=getattr(engine, "integrator", "euler") if c.kind == "soen" else "point",
        trace_times_ns=np.arange(store.n_rows) * rec_every * dt if rec_every else np.empty(0),
        traces_s=tr_s, traces_phi=tr_phi,
        trace_labels=labels, counts=counts, fluxons=run_obj.fluxons(),
        timing=dict(compile_s=t_compile + (t_run0 - t0) - t_jit, jit_s=t_jit, run_s=t_run, steps=steps_run,
                    steps_per_s=steps_run / t_run if t_run > 0 else float("inf"),
                    us_per_neuron_step=1e6 * t_run / max(1, steps_run * c.n_neurons)),
        complete=complete, t_end_ns=n_done * dt, message=message, metadata=metadata, input_counts=input_counts,
        weight_snapshots={name: dict(times_ns=np.array(snap_t), pre=pre, post=post,
                                     w=np.array(snap_w[name]).reshape(len(snap_t), idx.size))
                          for name, (idx, pre, post) in plastic.items()},
    )
    if plastic and hasattr(run_obj, "plasticity_counts"):
        result.counts.update(run_obj.plasticity_counts())
    if writer is not None:
        try:
            energy = result.energy_ledger().to_dict() if c.kind == "soen" and keep else None
        except (ValueError, TypeError):  # a ledger is a report, never a reason to lose the data
            energy = None
        writer.finish(complete=result.complete, message=result.message, counts=result.counts,
                      timing=result.timing, fluxons=result.fluxons, metadata=result.metadata,
                      energy=energy, t_end_ns=result.t_end_ns)
        writer.close()
        if not keep:
            result._attach_file(output)
    if checkpoint is not None and error is None:
        rs, rp = (result.traces_s, result.traces_phi)
        st_ = np.rint(result.spike_times_ns / dt).astype(np.int64)
        _save_checkpoint(checkpoint, c, desc, run_obj, n_done, st_, np.asarray(result.spike_ids, np.int64),
                         rs, rp, rec_idx, rec_every,
                         weights={"_wt_times": np.array(snap_t),
                                  **{f"_wt_{k}": np.array(snap_w[name]).reshape(len(snap_t), plastic[name][0].size)
                                     for k, name in enumerate(plastic)}})
    if error is not None:
        err = FloatingPointError(result.message)
        err.result = result
        raise err
    return result


def _last_step_count(run_obj, n_done: int) -> int:
    """Spikes stamped at the last step reached (their refractory drives are not delivered yet): the
    somas held at 0 whose refractory period started there."""
    ru = run_obj.arrays["ref_until"]
    steps = run_obj.c.structure["nr_ref_steps"]
    return int(np.count_nonzero((ru - steps) == n_done))
