"""Export a :class:`soen.Result` to an NWB file (Neurodata Without Borders, via pynwb).

Optional extra: ``pip install soen[nwb]``. Spikes go into the NWB ``Units`` table (one unit per
neuron, spike times in seconds, with ``population`` and ``local_id`` columns); recorded loop
currents s (units of I_c) and fluxes φ (units of Φ0) go into ``acquisition`` as ``TimeSeries``
with one column per recorded element, whose labels are kept in the description. Run parameters,
seed and soen version are stored as the session description and notes.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

__all__ = ["to_nwb", "read_nwb_spikes"]


def _pynwb():
    try:
        import pynwb
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("NWB export needs pynwb: pip install soen[nwb]") from None
    return pynwb


def to_nwb(result, path, *, session_description: str = "soen simulation", identifier: str | None = None) -> Path:
    """Write ``result`` to ``path`` (``.nwb``) and return the path.

    Every neuron becomes a unit (also neurons that did not spike), in global id order.
    """
    pynwb = _pynwb()
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries

    from soen import __version__

    path = Path(path)
    run = dict(duration_ns=result.duration_ns, dt_ns=result.dt_ns, seed=result.seed, integrator=result.integrator,
               complete=result.complete, t_end_ns=result.t_end_ns, soen_version=__version__)
    nwb = NWBFile(
        session_description=session_description,
        identifier=identifier or f"soen-seed{result.seed}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S')}",
        session_start_time=datetime.now(timezone.utc),
        notes=json.dumps(run),
        source_script=f"soen {__version__}",
        source_script_file_name="soen",
    )
    nwb.add_unit_column(name="population", description="soen population of the neuron")
    nwb.add_unit_column(name="local_id", description="index of the neuron within its population")
    order = np.argsort(result.spike_ids, kind="stable")
    ids_sorted = result.spike_ids[order]
    times_s = result.spike_times_ns[order] * 1e-9
    bounds = np.searchsorted(ids_sorted, np.arange(result.n_neurons + 1))
    for pop, (off, n) in result.populations.items():
        for k in range(n):
            g = off + k
            nwb.add_unit(spike_times=times_s[bounds[g]:bounds[g + 1]], population=pop, local_id=k)
    if result.trace_labels:
        labels = ["{}[{}].{}".format(*lab) for lab in result.trace_labels]
        t_s = np.asarray(result.trace_times_ns) * 1e-9
        for name, data, unit in (("loop_current_s", result.traces_s, "I_c (dimensionless)"),
                                 ("flux_phi", result.traces_phi, "Phi0 (dimensionless)")):
            nwb.add_acquisition(TimeSeries(name=name, data=np.asarray(data), unit=unit, timestamps=t_s,
                                           description="columns: " + ", ".join(labels)))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    del pynwb
    return path


def read_nwb_spikes(path) -> tuple[np.ndarray, np.ndarray]:
    """Read back ``(times_ns, global_ids)`` sorted by time then id (for checks and round trips)."""
    _pynwb()
    from pynwb import NWBHDF5IO

    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        units = nwb.units
        times, ids = [], []
        for g in range(len(units)):
            st = np.asarray(units.get_unit_spike_times(g))
            times.append(st * 1e9)
            ids.append(np.full(st.size, g, dtype=np.int64))
    t = np.concatenate(times) if times else np.empty(0)
    i = np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)
    o = np.lexsort((i, t))
    return t[o], i[o]
