"""``soen.simulate``: compile a network once, step it, return a :class:`~soen.engine.result.Result`."""

from __future__ import annotations

import math
import sys
import time

import numba
import numpy as np

from soen.engine.compile import CompiledNetwork, compile_network
from soen.engine.result import Result
from soen.engine.state import EngineState, fingerprint
from soen.model.network import Network

__all__ = ["simulate", "INTEGRATORS"]

#: integrator name → kernel code
INTEGRATORS = {"euler": 0, "heun": 1}
_PARALLEL_MIN_DENDRITES = 4096


def _check_scalar(name, value, *, low_open=0.0):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v <= low_open:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return v


def _resolve_record(record, compiled: CompiledNetwork, network: Network):
    """Record selectors → (dendrite indices, labels)."""
    if record is None:
        return np.empty(0, dtype=np.int64), []
    if isinstance(record, (str, tuple)):
        record = [record]
    dends, labels = [], []
    for sel in record:
        if isinstance(sel, str):
            sel = (sel,)
        if not isinstance(sel, tuple) or not 1 <= len(sel) <= 3:
            raise ValueError(f"record entries must be 'pop', ('pop', ids) or ('pop', ids, dendrite), got {sel!r}")
        pop = sel[0]
        if pop not in network.populations:
            raise ValueError(f"record: unknown population {pop!r}; known: {sorted(network.populations)}")
        p = network.populations[pop]
        ids = np.arange(p.n) if len(sel) < 2 or sel[1] is None else np.atleast_1d(np.asarray(sel[1]))
        if ids.size and (not np.issubdtype(ids.dtype, np.integer) or ids.min() < 0 or ids.max() >= p.n):
            raise ValueError(f"record: neuron indices of {pop!r} must be integers in 0..{p.n - 1}, got {sel[1]!r}")
        which = sel[2] if len(sel) == 3 else "soma"
        names = p.neuron.dendrite_names()
        if which == "all":
            local = list(range(len(names))) + [len(names)]
        else:
            wanted = which if isinstance(which, (list, tuple)) else [which]
            local = [len(names) if x == "refractory" else p.neuron.index(x) for x in wanted]
        for i in ids:
            gid = compiled.pop_offset[pop] + int(i)
            for k in local:
                dends.append(compiled.dend_offset[gid] + k)
                labels.append((pop, int(i), names[k] if k < len(names) else "refractory"))
    return np.asarray(dends, dtype=np.int64), labels


def thermal_noise_amplitude(c: CompiledNetwork, temperature_K: float) -> np.ndarray:
    """Per-step Ornstein–Uhlenbeck increment of every loop current (units of I_c).

    Equipartition gives the stationary variance σ² = k_B T / (L I_c²) of a loop of inductance L
    (0.17 µA rms for 2 nH at 4.2 K, PHYSICS.md §6); with relaxation time τ = L/r the Euler–Maruyama
    increment per step is σ sqrt(2 dt/τ) = σ sqrt(2 hα/β).
    """
    from soen.units import DEFAULT_JJ, K_B_J_PER_K

    L_H = DEFAULT_JJ.beta_to_inductance_nH(c.d_beta) * 1e-9
    sigma = np.sqrt(K_B_J_PER_K * temperature_K / L_H) / DEFAULT_JJ.ic_A
    return sigma * np.sqrt(2.0 * c.d_ahb)


def _check_dt(c: CompiledNetwork, g_max: float) -> None:
    """Refuse a time step the explicit integrators cannot follow (before any long run starts)."""
    h = c.h_tau
    leak = h * c.d_alpha / c.d_beta  # = dt / τ_loop
    worst = int(np.argmax(leak))
    if leak[worst] > 0.5:
        tau_ns = c.dt_ns / leak[worst]
        raise ValueError(f"dt_ns={c.dt_ns} is too large: dendrite {worst} has τ = {tau_ns:.4g} ns; "
                         f"explicit integration needs dt_ns <= {0.5 * tau_ns:.4g}")
    jump = h * g_max / c.d_beta
    worst = int(np.argmax(jump))
    if jump[worst] > 0.25:
        raise ValueError(f"dt_ns={c.dt_ns} is too large: dendrite {worst} (β = {c.d_beta[worst]:.4g}) can gain "
                         f"{jump[worst]:.3g} in s per step (allowed 0.25); use dt_ns <= {c.dt_ns * 0.25 / jump[worst]:.4g}")
    if c.st_tf_ns.size:
        tf = float(c.st_tf_ns.min())
        if c.dt_ns > 0.5 * tf:
            raise ValueError(f"dt_ns={c.dt_ns} is too large for the fastest synapse decay τ_f = {tf} ns; "
                             f"use dt_ns <= {0.5 * tf:.4g}")


def simulate(
    network: Network,
    duration_ns: float,
    *,
    dt_ns: float = 0.1,
    seed: int = 0,
    record=None,
    record_every_ns: float | None = None,
    integrator: str = "euler",
    threads: int | None = None,
    progress: bool | None = None,
    table=None,
    hardware=None,
    layout=None,
    engine: str = "cpu",
    output=None,
    checkpoint=None,
    resume=None,
) -> Result:
    """Simulate ``network`` for ``duration_ns`` nanoseconds.

    Parameters
    ----------
    network : the :class:`~soen.Network` to run (not modified).
    duration_ns : simulated time in ns.
    dt_ns : time step in ns (default 0.1, the published model's choice).
    seed : non-negative integer; every random draw is a function of (seed, what, which element, which
        event), so the same seed gives identical results for any thread count.
    record : None (spikes only) or selectors of dendrites whose s and φ are traced: ``"pop"`` (all
        somas), ``("pop", ids)`` (somas), ``("pop", ids, dendrite)`` with a name, index, list,
        ``"all"`` or ``"refractory"``.
    record_every_ns : trace sampling interval in ns (default: dt_ns).
    integrator : ``"euler"`` (forward Euler, as PHENO) or ``"heun"`` (explicit trapezoid, 2nd order).
    threads : worker threads for the dendrite update (default: Numba's default).
    progress : show a progress bar (default: when the run is expected to take > 2 s and stderr is a TTY
        or ``True``).
    table : the :class:`soen.circuits.RateTable` for g(φ, i) (default: the shipped circuit table).
    hardware : a :class:`soen.Hardware` for photonic delivery (default None: ideal — every synapse of a
        spike fires after the projection's delay).
    layout : a :class:`soen.photonics.Layout` giving neuron positions for the photonic link model.
    engine : only ``"cpu"`` today.
    output : path of an HDF5 results file written in chunks during the run (see ``soen.io.results``);
        an interrupted or failed run leaves a valid file marked incomplete.
    checkpoint : path of an NPZ checkpoint written when the run ends (also when interrupted).
    resume : path of a checkpoint to continue from; the network, seed, dt_ns and integrator must be
        those of the checkpointed run and ``duration_ns`` the new end time. The result holds all spikes
        since t = 0 and equals an uninterrupted run.

    Returns
    -------
    Result
    """
    t_compile0 = time.perf_counter()
    if engine != "cpu":
        raise ValueError(f"engine must be 'cpu' (the only engine in this version), got {engine!r}")
    duration_ns = _check_scalar("duration_ns", duration_ns)
    dt_ns = _check_scalar("dt_ns", dt_ns)
    if dt_ns > duration_ns:
        raise ValueError(f"dt_ns={dt_ns} must not exceed duration_ns={duration_ns}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if integrator not in INTEGRATORS:
        raise ValueError(f"integrator must be one of {sorted(INTEGRATORS)}, got {integrator!r}")
    max_threads = numba.config.NUMBA_NUM_THREADS
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, (int, np.integer))
                                or not 1 <= threads <= max_threads):
        raise ValueError(f"threads must be an integer in 1..{max_threads}, got {threads!r}")
    kinds = {bool(getattr(p.neuron, "_point_model", False)) for p in network.populations.values()}
    if True in kinds:
        if output is not None or checkpoint is not None or resume is not None or hardware is not None:
            raise ValueError("output=, checkpoint=, resume= and hardware= are not supported yet for standard "
                             "point-model networks (soen.models); simulate without them")
        if kinds == {True}:
            from soen.engine.point import simulate_point

            return simulate_point(network, duration_ns, dt_ns=dt_ns, seed=int(seed), record=record,
                                  record_every_ns=record_every_ns, threads=threads, progress=progress)
        raise ValueError("a network mixing SOEN neurons and standard point models (LIF, …) cannot be simulated "
                         "yet; use one kind per network")
    if table is None:
        from soen.circuits import default_table

        table = default_table()
    links = None
    if hardware is not None:
        from soen.engine._links import make_links

        links = make_links(network, hardware, layout, seed)

    c = compile_network(network, duration_ns=duration_ns, dt_ns=dt_ns, seed=int(seed), table=table, links=links)
    if hardware is not None and not hardware.ideal and hardware.critical_current_spread > 0:
        # frozen junction I_c spread: each dendrite's normalised bias becomes i_b / (I_c / I_c,nominal)
        from soen.photonics.variability import critical_current_factors, effective_bias

        f = critical_current_factors(c.n_dendrites, seed=int(seed), sigma_rel=hardware.critical_current_spread)
        c.d_bias = np.minimum(effective_bias(c.d_bias, f), float(table.i_grid[-1]))
    if hardware is not None and not hardware.ideal and hardware.time_constant_spread > 0:
        # frozen loop time-constant spread: τ_d → τ_d · x_d, i.e. α_d → α_d / x_d
        from soen.photonics.variability import Spread, sample_device_spread

        x = sample_device_spread(Spread(1.0, hardware.time_constant_spread, "lognormal"), c.n_dendrites,
                                 seed=int(seed), what="time_constant")
        c.d_alpha = c.d_alpha / x
    _check_dt(c, float(np.max(table.g)))
    rec_d, labels = _resolve_record(record, c, network)
    rec_every = 0
    n_rec_t = 0
    if rec_d.size:
        every_ns = dt_ns if record_every_ns is None else _check_scalar("record_every_ns", record_every_ns)
        rec_every = max(1, int(round(every_ns / dt_ns)))
        n_rec_t = (c.n_steps + rec_every - 1) // rec_every
        need = n_rec_t * rec_d.size * 16
        if need > 8 * 2**30:
            raise ValueError(f"recording {rec_d.size} traces every {every_ns} ns needs {need / 2**30:.1f} GiB; "
                             f"record fewer elements or raise record_every_ns")

    if resume is not None:
        st = EngineState.load(resume, c, integrator, n_rec_t, rec_d.size)
    else:
        st = EngineState.allocate(c, n_rec_t, rec_d.size)
    nd = c.n_dendrites
    photonic = c.out_mu is not None
    out_mu = c.out_mu if photonic else np.zeros(1)
    out_jit = c.out_jitter_steps if photonic else np.zeros(1)
    kernel_tab = table.kernel_arrays()
    d_hb, d_ahb = c.d_hb, c.d_ahb
    noise_amp = np.zeros(0)
    if hardware is not None and not hardware.ideal and hardware.thermal_noise:
        noise_amp = thermal_noise_amplitude(c, hardware.cooling_temperature_K)
    parallel = (threads is None or threads > 1) and nd >= _PARALLEL_MIN_DENDRITES
    from soen.engine import cpu

    kernel = cpu.get_kernel(
        parallel, heun=INTEGRATORS[integrator] != 0, noisy=noise_amp.size > 0, photonic=photonic
    )
    writer = None
    if output is not None:
        from soen.io.network_io import network_to_dict
        from soen.io.results import ResultWriter

        writer = ResultWriter(
            output, network=network_to_dict(network, strict=False),
            run=dict(duration_ns=duration_ns, dt_ns=dt_ns, seed=int(seed), integrator=integrator,
                     record_every_ns=rec_every * dt_ns, table_model=str(getattr(table, "model", "?")),
                     engine="cpu", photonic=photonic,
                     hardware=hardware.as_dict() if hardware is not None else None,
                     layout=None if layout is None else dict(n_neurons=int(layout.n_neurons),
                                                             metric=str(layout.metric),
                                                             routing_factor=float(layout.routing_factor))),
            populations={k: (c.pop_offset[k], c.pop_size[k]) for k in c.pop_offset},
            trace_labels=labels, n_traces=int(rec_d.size))
    t_compile = time.perf_counter() - t_compile0
    a = st.arrays

    def run(n0, n1):
        a["ring"], st.spk_step, st.spk_id = kernel(
            n0, n1, c.dt_ns, c.h_tau, c.seed,
            d_hb, d_ahb, c.d_bias, c.d_offset, c.cp_ptr, c.cp_src, c.cp_J, c.ch_ptr, c.ch_decay_r,
            c.ch_decay_f,
            c.sy_ch, c.sy_w, c.sy_type, c.st_A, c.st_ths_ns, c.st_e, c.st_tf_ns, c.st_dead_ns, c.st_hs_steps,
            c.out_ptr, c.out_delay, out_mu, out_jit, c.emission_tau_steps, c.src_step,
            c.src_node, c.dk_step, c.dk_syn,
            c.nr_soma, c.nr_ref_syn, c.nr_thresh, c.nr_ref_steps,
            noise_amp,
            kernel_tab,
            a["s"], a["s_new"], a["k1"], a["gbuf"], a["phi"], a["chC"], a["chR"], a["chF"], a["pend"],
            a["sy_last"], a["sy_phi_end"], a["sy_t_end"], a["ring"], a["ring_n"], a["ref_until"],
            a["node_count"], a["src_pos"], a["fluxons"], a["fired"],
            st.spk_step, st.spk_id, rec_d, rec_every, st.rec_s, st.rec_phi, st.counters,
        )

    flushed = [int(st.counters[2]), int(st.counters[8])]

    def flush():
        if writer is None:
            return
        n_spk, n_rec = int(st.counters[2]), int(st.counters[8])
        if n_spk > flushed[0]:
            writer.append_spikes(st.spk_step[flushed[0]:n_spk] * dt_ns, st.spk_id[flushed[0]:n_spk],
                                 t_end_ns=st.n_done * dt_ns)
        if n_rec > flushed[1]:
            writer.append_traces(np.arange(flushed[1], n_rec) * rec_every * dt_ns,
                                 st.rec_s[flushed[1]:n_rec], st.rec_phi[flushed[1]:n_rec])
        flushed[:] = [n_spk, n_rec]

    old_threads = numba.get_num_threads()
    if threads is not None:
        numba.set_num_threads(int(threads))
    t_jit0 = time.perf_counter()
    run(st.n_done, st.n_done)  # zero steps: compiles the kernel, or loads it from Numba's cache
    t_jit = time.perf_counter() - t_jit0
    t_run0 = time.perf_counter()
    n_start = st.n_done
    complete, message = True, ""
    bar = None
    try:
        if writer is not None and n_start:
            flushed[:] = [0, 0]
            flush()
        # the first chunk also triggers (or loads) the JIT compilation
        chunk = max(1, min(c.n_steps - st.n_done, 1000))
        while st.n_done < c.n_steps:
            n1 = min(c.n_steps, st.n_done + chunk)
            t0 = time.perf_counter()
            run(st.n_done, n1)
            if st.counters[5]:
                st.n_done = int(st.counters[7])
                break
            st.n_done = n1
            flush()
            # aim for ~0.2 s chunks so that Ctrl-C, progress and the results file stay responsive
            per_step = (time.perf_counter() - t0) / chunk
            chunk = int(min(max(1, 0.2 / max(per_step, 1e-9)), 1_000_000))
            remaining = (c.n_steps - st.n_done) * per_step
            show = progress if progress is not None else (remaining > 2.0 and sys.stderr.isatty())
            if bar is None and show and st.n_done < c.n_steps:
                from rich.progress import Progress

                bar = Progress(transient=False)
                bar.start()
                task = bar.add_task("simulating", total=c.n_steps)
            if bar is not None:
                bar.update(task, completed=st.n_done)
    except KeyboardInterrupt:
        complete, message = False, f"interrupted at t = {st.n_done * dt_ns:g} ns"
        print(f"soen.simulate: {message}; returning the data recorded so far", file=sys.stderr)
    except BaseException as exc:  # leave a valid file marked incomplete, then re-raise
        if writer is not None:
            try:
                writer.finish(complete=False, message=f"failed at t = {st.n_done * dt_ns:g} ns: {exc!r}",
                              counts={}, timing={}, fluxons=a["fluxons"], metadata={}, t_end_ns=st.n_done * dt_ns)
            finally:
                writer.close()
        raise
    finally:
        if bar is not None:
            bar.stop()
        if threads is not None:
            numba.set_num_threads(old_threads)
    t_run = time.perf_counter() - t_run0
    if checkpoint is not None and not st.counters[5]:
        st.save(checkpoint, fingerprint(c, integrator, st.n_done))

    n_spk = int(st.counters[2])
    order = np.lexsort((st.spk_id[:n_spk], st.spk_step[:n_spk]))
    n_rec = int(st.counters[8])
    steps_run = st.n_done - n_start
    cnt = st.counters
    result = Result(
        spike_times_ns=st.spk_step[:n_spk][order] * dt_ns,
        spike_ids=st.spk_id[:n_spk][order],
        populations={k: (c.pop_offset[k], c.pop_size[k]) for k in c.pop_offset},
        duration_ns=duration_ns, dt_ns=dt_ns, seed=int(seed), integrator=integrator,
        trace_times_ns=np.arange(n_rec) * rec_every * dt_ns if rec_every else np.empty(0),
        traces_s=st.rec_s[:n_rec], traces_phi=st.rec_phi[:n_rec], trace_labels=labels,
        counts=dict(events=int(cnt[0]) - int(np.count_nonzero(st.spk_step[:n_spk] < st.n_done)),
                    refractory_drives=int(np.count_nonzero(st.spk_step[:n_spk] < st.n_done)), dead_time_drops=int(cnt[1]), spikes=n_spk, lost=int(cnt[3]),
                    photons_detected=int(cnt[4]), dark_counts=int(cnt[9]), input_spikes=int(np.searchsorted(c.src_step, st.n_done))),
        fluxons=a["fluxons"] * (c.h_tau / (2 * np.pi)),
        timing=dict(compile_s=t_compile, jit_s=t_jit, run_s=t_run, steps=steps_run,
                    steps_per_s=steps_run / t_run if t_run > 0 else float("inf"),
                    us_per_neuron_step=1e6 * t_run / max(1, steps_run * c.n_neurons)),
        complete=complete, t_end_ns=st.n_done * dt_ns, message=message,
        metadata=dict(n_dendrites=nd, n_synapses=c.n_synapses, n_connections=int(c.out_delay.size),
                      parallel=parallel, table_model=str(getattr(table, "model", "?")),
                      resumed_from_ns=n_start * dt_ns,
                      hardware=hardware.as_dict() if hardware is not None else None),
    )
    if cnt[5]:
        d = int(cnt[6])
        nid = int(c.d_neuron[d])
        pop = next(k for k, (o, n) in result.populations.items() if o <= nid < o + n)
        local = d - c.dend_offset[nid]
        names = c.dend_names[pop]
        dname = names[local] if local < len(names) else "refractory"
        msg = (f"non-finite state in dendrite {d} ({pop}[{nid - result.populations[pop][0]}].{dname}) "
               f"at t = {int(cnt[7]) * dt_ns:g} ns")
        result.complete, result.message = False, msg
    if writer is not None:
        try:
            energy = result.energy_ledger().to_dict()
        except (ValueError, TypeError):  # a ledger is a report, never a reason to lose the data
            energy = None
        writer.finish(complete=result.complete, message=result.message, counts=result.counts,
                      timing=result.timing, fluxons=result.fluxons, metadata=result.metadata,
                      energy=energy, t_end_ns=result.t_end_ns)
        writer.close()
    if cnt[5]:
        err = FloatingPointError(result.message)
        err.result = result
        raise err
    return result
