"""Export a :class:`~soen.Result` to `neo <https://neuralensemble.org/neo/>`_ (for elephant, NWB tools, …).

``neo`` is optional: ``pip install soen[io]``. NWB export is not provided in this version (convert the
``neo.Block`` with neo's own NWB I/O if you need it); NIR describes networks, not recorded data, so a
recorded-data export to NIR does not apply.
"""

from __future__ import annotations

import numpy as np

from soen.engine.result import Result

__all__ = ["to_neo"]


def _import_neo():
    try:
        import neo
        import quantities as pq
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "soen.io.to_neo needs the optional packages 'neo' and 'quantities': pip install soen[io]"
        ) from exc
    return neo, pq


def to_neo(result: Result, *, name: str = "soen run") -> neo.Block:  # noqa: F821 - neo is optional
    """Convert a result into a ``neo.Block`` holding one ``Segment``.

    * one ``SpikeTrain`` per neuron (times in ns, ``t_start = 0``, ``t_stop`` = the simulated time
      reached), annotated with ``population``, ``neuron`` (index within it) and ``global_id``; one
      ``neo.Group`` per population collects its trains;
    * if traces were recorded, two ``AnalogSignal`` s with one channel per traced element: ``s`` (loop
      current in units of I_c, dimensionless) and ``phi`` (flux in units of Φ0, stored as
      dimensionless with the annotation ``unit = "Phi0"``); channel labels are array annotations
      ``population``, ``neuron``, ``dendrite``.

    Parameters
    ----------
    result : the :class:`~soen.Result` (from ``soen.simulate`` or ``soen.load``).
    name : the block's name.

    Returns
    -------
    neo.Block

    Raises
    ------
    ImportError
        If neo is not installed (``pip install soen[io]``).

    Examples
    --------
    >>> block = to_neo(result)                                    # doctest: +SKIP
    >>> import elephant.statistics as es                          # doctest: +SKIP
    >>> es.mean_firing_rate(block.segments[0].spiketrains[0])     # doctest: +SKIP
    """
    neo, pq = _import_neo()
    if not isinstance(result, Result):
        raise TypeError(f"to_neo expects a soen.Result, got {type(result).__name__}")
    t_stop = float(result.t_end_ns if result.t_end_ns > 0 else result.duration_ns)
    if result.spike_times_ns.size:
        t_stop = max(t_stop, float(result.spike_times_ns.max()))
    block = neo.Block(
        name=name,
        soen_seed=int(result.seed),
        soen_dt_ns=float(result.dt_ns),
        soen_integrator=str(result.integrator),
        soen_complete=bool(result.complete),
    )
    seg = neo.Segment(name="run", index=0)
    block.segments.append(seg)
    order = np.argsort(result.spike_ids, kind="stable")
    ids_sorted = result.spike_ids[order]
    times_sorted = result.spike_times_ns[order]
    bounds = np.searchsorted(ids_sorted, np.arange(result.n_neurons + 1))
    for pop, (off, n) in result.populations.items():
        group = neo.Group(name=pop, allowed_types=[neo.SpikeTrain])
        for i in range(n):
            gid = off + i
            t = times_sorted[bounds[gid] : bounds[gid + 1]]
            st = neo.SpikeTrain(
                t * pq.ns,
                t_start=0.0 * pq.ns,
                t_stop=t_stop * pq.ns,
                name=f"{pop}[{i}]",
                population=pop,
                neuron=i,
                global_id=int(gid),
            )
            seg.spiketrains.append(st)
            group.add(st)
        block.groups.append(group)
    tt = result.trace_times_ns
    if tt.size and result.traces_s.size:
        period = float(tt[1] - tt[0]) if tt.size > 1 else float(result.dt_ns)
        labels = result.trace_labels
        ann = dict(
            population=np.array([lab[0] for lab in labels]),
            neuron=np.array([int(lab[1]) for lab in labels]),
            dendrite=np.array([lab[2] for lab in labels]),
        )
        for var, data, unit, desc in (
            (
                "s",
                result.traces_s,
                "I_c",
                "dendrite loop current s in units of the junction critical current I_c",
            ),
            ("phi", result.traces_phi, "Phi0", "applied flux φ in units of the flux quantum Φ0"),
        ):
            sig = neo.AnalogSignal(
                np.asarray(data, dtype=float),
                units=pq.dimensionless,
                sampling_period=period * pq.ns,
                t_start=float(tt[0]) * pq.ns,
                name=var,
                description=desc,
                unit=unit,
                array_annotations=ann,
            )
            seg.analogsignals.append(sig)
    return block
