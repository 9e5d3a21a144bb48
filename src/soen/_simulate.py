"""``soen.simulate``: compile a network once (``soen.compile``), step it on an engine under the one
driver (:mod:`soen.engine.driver`), return a :class:`~soen.engine.result.Result`."""

from __future__ import annotations

import time

from soen.engine.ir import Compiled
from soen.engine.result import Result

__all__ = ["simulate", "INTEGRATORS"]

from soen.engine._soen_cpu import INTEGRATORS  # noqa: E402  (integrator name → kernel code)


def simulate(
    network,
    duration_ns: float,
    *,
    dt_ns: float = 0.1,
    seed: int = 0,
    record=None,
    record_every_ns: float | None = None,
    integrator: str | None = None,
    threads: int | None = None,
    progress: bool | None = None,
    table=None,
    hardware=None,
    layout=None,
    engine="cpu",
    output=None,
    checkpoint=None,
    resume=None,
    keep_in_memory: bool | None = None,
    weights_at_ns=None,
) -> Result:
    """Simulate ``network`` (a :class:`~soen.Network`, or a :class:`~soen.Compiled` from
    :func:`soen.compile`) for ``duration_ns`` nanoseconds.

    Parameters
    ----------
    network : the network to run (not modified), or its compiled form (then ``dt_ns``, ``seed``,
        ``table``, ``hardware`` and ``layout`` are those it was compiled with; leave them out).
    duration_ns : simulated time in ns: a whole number of steps of ``dt_ns``.
    dt_ns : time step in ns (default 0.1, the published model's choice).
    seed : integer in 0 … 2**63 − 1; every random draw is a function of (seed, what, which element by
        its stable id, which event), so the same seed gives identical results for any thread count.
    record : None (spikes only) or selectors of elements whose state is traced: ``"pop"`` (all
        somas), ``("pop", ids)`` (somas), ``("pop", ids, dendrite)`` with a name, index, list,
        ``"all"`` or ``"refractory"``; point models: ``("pop", ids)`` (v, and the second state in
        ``traces_phi``).
    record_every_ns : trace sampling interval in ns, a whole number of steps (default: dt_ns).
    integrator : SOEN dendrites: ``"euler"`` (forward Euler, as PHENO; the default) or ``"heun"``
        (explicit trapezoid, 2nd order). Point models integrate as their own fields say.
    threads : worker threads (default: Numba's default).
    progress : show a progress bar (default: when the run is expected to take > 2 s and stderr is a TTY).
    table : the :class:`soen.circuits.RateTable` for g(φ, i) (default: the shipped circuit table).
    hardware : a :class:`soen.Hardware` for photonic delivery, device spread and noise (default None:
        ideal — every synapse of a spike fires after the projection's delay).
    layout : a :class:`soen.photonics.Layout` giving neuron positions for the photonic link model.
    engine : ``"cpu"`` or an engine object (:mod:`soen.engines`, e.g. ``soen.engines.CPU(threads=2)``);
        ``soen.engines.MPI()`` (run the script on every rank with mpiexec) builds each rank's share of
        the network and returns the Result on rank 0, None on the others.
    output : path of an HDF5 results file written in chunks during the run (see ``soen.io.results``);
        an interrupted or failed run leaves a valid file marked incomplete.
    checkpoint : path of an NPZ checkpoint written when the run ends (also when interrupted).
    resume : path of a checkpoint to continue from; the compiled network, seed, dt_ns and engine
        options must be those of the checkpointed run (a difference is named) and ``duration_ns`` the
        new end time. The result holds all spikes since t = 0 and equals an uninterrupted run.
    keep_in_memory : keep spikes and traces in memory (default: True without ``output``, False with
        it — they are then streamed to the file only, memory stays constant for any duration, and the
        Result reads them from the file on first access).
    weights_at_ns : times (ns, on the time grid) at which the weights of plastic projections
        (``plasticity=`` of :meth:`Network.connect`) are stored, in memory and in the results file;
        the final weights are always stored. Read them with ``Result.weights(projection, t_ns)``.

    Returns
    -------
    Result

    Ctrl-C stops the run at the end of the current chunk and returns the partial Result
    (``complete=False``), writing the checkpoint if one was asked for. A non-finite flux or loop
    current stops the run with a ``FloatingPointError`` naming the element and the time; its
    ``.result`` holds the data up to there.
    """
    from soen.engine import driver
    from soen.engine.ir import compile as _compile
    from soen.model.network import Network
    from soen.engines import CPU

    t0 = time.perf_counter()
    if getattr(engine, "builds_per_rank", False):  # a partitioned engine (soen.engines.MPI) compiles per rank
        if not isinstance(network, Network):
            raise TypeError(f"{type(engine).__name__} builds each rank's share of the network itself: pass the "
                            f"soen.Network, not a {type(network).__name__}")
        if integrator is not None or threads is not None or weights_at_ns is not None:
            raise ValueError(f"simulate with {type(engine).__name__}: give integrator/threads to the engine; "
                             f"weights_at_ns needs plastic projections, which it does not run")
        return engine.simulate(network, duration_ns, dt_ns=dt_ns, seed=seed, record=record,
                               record_every_ns=record_every_ns, progress=progress, table=table, hardware=hardware,
                               layout=layout, output=output, checkpoint=checkpoint, resume=resume,
                               keep_in_memory=keep_in_memory)
    if isinstance(network, Compiled):
        given = dict(table=table, hardware=hardware, layout=layout)
        extra = [k for k, v in given.items() if v is not None]
        if extra:
            raise ValueError(f"simulate: {', '.join(extra)} cannot be given with a compiled network (it was "
                             f"compiled with its own); pass them to soen.compile")
        if dt_ns != 0.1 and float(dt_ns) != network.dt_ns:
            raise ValueError(f"simulate: dt_ns={dt_ns!r} differs from the compiled network's {network.dt_ns!r}")
        if seed != 0 and seed != network.seed:
            raise ValueError(f"simulate: seed={seed!r} differs from the compiled network's {network.seed!r}")
        c, net = network, None
    elif isinstance(network, Network):
        c, net = _compile(network, dt_ns=dt_ns, seed=seed, table=table, hardware=hardware, layout=layout), network
    else:
        raise TypeError(f"network must be a soen.Network or a soen.Compiled, got {type(network).__name__}")
    if isinstance(engine, str):
        if engine != "cpu":
            raise ValueError(f"engine must be 'cpu' or an engine object (soen.engines), got {engine!r}")
        if integrator is not None and c.kind == "point":
            raise ValueError("integrator= applies to SOEN dendrites; point models (soen.models) integrate as "
                             "their own 'integration' field says")
        engine = CPU(threads=threads, integrator=integrator or "euler")
    elif not hasattr(engine, "prepare"):
        raise TypeError(f"engine must be 'cpu' or an engine object with prepare(), got {engine!r}")
    elif integrator is not None:
        raise ValueError("integrator= is an option of the engine object; give it there")
    from soen.engine._validate import check_threads

    threads = check_threads(threads)
    return driver.run(c, duration_ns, engine, record=record, record_every_ns=record_every_ns, progress=progress,
                      output=output, checkpoint=checkpoint, resume=resume, network=net,
                      keep_in_memory=keep_in_memory, threads=threads, t_compile=time.perf_counter() - t0,
                      weights_at_ns=weights_at_ns)
