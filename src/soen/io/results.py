"""HDF5 results files: written in chunks while a simulation runs, read back as a :class:`~soen.Result`.

Layout (format ``"soen-results"``, version 1; every JSON text is a scalar UTF-8 string dataset with
its CRC-32 in attribute ``crc32``; every array dataset is chunked with a Fletcher32 checksum)::

    /                     attrs: format, format_version, soen_version, created_utc, complete (bool),
                                 message, t_end_ns, n_spikes, n_samples   (n_* = rows committed),
                                 checksums ("fletcher32": the arrays below carry checksums)
    /run                  attrs: one per run parameter (duration_ns, dt_ns, seed, integrator, ...)
                          json   the run dict;  units  name → unit ("ns", "Hz", "1", ...)
    /network              json + arrays/   the network description (soen.io.network_io)
    /populations          json   name → [first global id, size]
    /spikes/times_ns      float64 (n,)      chunked, resizable; unit attr "ns"
    /spikes/ids           int64   (n,)      global neuron ids
    /traces/times_ns      float64 (T,)
    /traces/s             float64 (T, K)    loop current in units of I_c
    /traces/phi           float64 (T, K)    applied flux in units of Φ0
    /traces/labels        json   [[population, neuron, dendrite], ...]  (K entries)
    /final                written by finish(): counts, timing, metadata, energy (json), fluxons (dataset)

The writer flushes after every append and only then raises the ``n_spikes``/``n_samples`` counters, so a
process killed at any moment leaves a file that :func:`load` reads up to the last completed append,
with ``complete = False``. HDF5's default (oldest) file format is used on purpose: newer superblocks
mark a file that was not closed as unreadable until ``h5clear`` is run.

:func:`load` and :func:`read_info` (``soen.io._results_read``) treat a file as hostile: see there.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import numpy as np

from soen.engine.result import Result

from . import _safe
from ._results_read import RESULTS_FORMAT, RESULTS_FORMAT_VERSION, load, read_info

__all__ = ["ResultWriter", "load", "read_info", "save_result", "RESULTS_FORMAT", "unit_of"]

#: name suffix → unit (checked in order; longer suffixes first where they share an ending)
_SUFFIX_UNITS = (
    ("_ns", "ns"),
    ("_us", "µs"),
    ("_ms", "ms"),
    ("_hz", "Hz"),
    ("_Hz", "Hz"),
    ("_um2", "µm²"),
    ("_um", "µm"),
    ("_cm2", "cm²"),
    ("_nW", "nW"),
    ("_uA", "µA"),
    ("_pH", "pH"),
    ("_J", "J"),
    ("_W", "W"),
    ("_K", "K"),
    ("_s", "s"),
)


def unit_of(name: str) -> str:
    """Unit of a parameter from its name's suffix (``dt_ns`` → ``"ns"``); ``"1"`` if dimensionless."""
    for suffix, unit in _SUFFIX_UNITS:
        if name.endswith(suffix):
            return unit
    return "1"


def _soen_version() -> str:
    from soen import __version__

    return __version__


def _jsonable(obj):
    """Numbers, strings, lists and dicts as plain JSON types; anything else as its repr."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return repr(obj)


def _dumps(obj) -> str:
    # non-finite floats are kept (as JSON's common extension NaN/Infinity): timing may hold inf
    return json.dumps(_jsonable(obj))


def _write_json(group, name: str, obj) -> None:
    _safe.write_json(group, name, _dumps(obj))


class ResultWriter:
    """Stream a run's spikes and traces into an HDF5 results file.

    Parameters
    ----------
    path : file to create (overwritten if it exists).
    network : the network description (:func:`soen.io.network_to_dict`).
    run : run parameters: ``duration_ns``, ``dt_ns``, ``seed``, ``integrator`` are required; any others
        (``record_every_ns``, ``engine``, ``table_model``, ...) are stored too. Units follow the
        names' suffixes (``_ns`` → ns) unless ``run["units"]`` maps names to units.
    populations : name → (first global neuron id, size).
    trace_labels : (population, neuron, dendrite) of each traced element.
    n_traces : number of traced elements (``len(trace_labels)``).

    Examples
    --------
    >>> with ResultWriter("run.h5", network={}, run=dict(duration_ns=100.0, dt_ns=0.1, seed=0,
    ...                   integrator="euler"), populations={"exc": (0, 2)}, trace_labels=[], n_traces=0) as w:
    ...     w.append_spikes(np.array([1.0, 2.5]), np.array([0, 1]))
    ...     w.finish(complete=True, message="", counts={}, timing={}, fluxons=np.zeros(0), metadata={})
    """

    def __init__(
        self, path, *, network: dict, run: dict, populations: dict, trace_labels: list, n_traces: int
    ) -> None:
        import h5py

        if not isinstance(run, dict):
            raise TypeError(f"run must be a dict of run parameters, got {type(run).__name__}")
        for key in ("duration_ns", "dt_ns", "seed", "integrator"):
            if key not in run:
                raise ValueError(f"run is missing {key!r} (needed to rebuild the Result)")
        n_traces = int(n_traces)
        labels = [tuple(x) for x in trace_labels]
        if len(labels) != n_traces:
            raise ValueError(f"trace_labels has {len(labels)} entries but n_traces = {n_traces}")
        self.path = Path(path)
        self.n_traces = n_traces
        self._n_spikes = 0
        self._n_samples = 0
        self._t_end_ns = 0.0
        if not self.path.parent.is_dir():
            raise FileNotFoundError(
                f"cannot write results file {str(self.path)!r}: no folder {str(self.path.parent)!r}"
            )
        self._f = h5py.File(self.path, "w")
        try:
            self._init_file(network, run, populations, labels)
        except BaseException:
            self._f.close()
            raise

    # ---------------------------------------------------------------------------------------
    def _init_file(self, network, run, populations, labels) -> None:
        import h5py

        f = self._f
        f.attrs["format"] = RESULTS_FORMAT
        f.attrs["format_version"] = RESULTS_FORMAT_VERSION
        f.attrs["soen_version"] = _soen_version()
        f.attrs["h5py_version"] = h5py.__version__
        f.attrs["numpy_version"] = np.__version__
        f.attrs["created_utc"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        f.attrs["complete"] = False
        f.attrs["message"] = "running (file not finished)"
        f.attrs["t_end_ns"] = 0.0
        f.attrs["n_spikes"] = 0
        f.attrs["n_samples"] = 0
        f.attrs["checksums"] = "fletcher32"
        g = f.create_group("run")
        units = dict(run.get("units", {}))
        plain = {k: v for k, v in run.items() if k != "units"}
        for k, v in plain.items():
            v = _jsonable(v)
            units.setdefault(k, unit_of(k) if isinstance(v, (int, float)) and not isinstance(v, bool) else "")
            if isinstance(v, (bool, int, float, str)):
                g.attrs[k] = v
        _write_json(g, "json", plain)
        _write_json(g, "units", units)
        net = f.create_group("network")
        if network:
            from soen.io.network_io import write_network_group

            write_network_group(net, network)
        _write_json(f, "populations", {k: [int(o), int(n)] for k, (o, n) in populations.items()})
        sp = f.create_group("spikes")
        sp.create_dataset(
            "times_ns", shape=(0,), maxshape=(None,), dtype="f8", chunks=(4096,), fletcher32=True
        )
        sp["times_ns"].attrs["unit"] = "ns"
        sp.create_dataset("ids", shape=(0,), maxshape=(None,), dtype="i8", chunks=(4096,), fletcher32=True)
        tr = f.create_group("traces")
        rows = max(16, min(4096, 8192 // max(1, self.n_traces)))  # chunks of ~64 KiB
        tr.create_dataset(
            "times_ns", shape=(0,), maxshape=(None,), dtype="f8", chunks=(1024,), fletcher32=True
        )
        tr["times_ns"].attrs["unit"] = "ns"
        for name, unit in (("s", "I_c"), ("phi", "Phi0")):
            tr.create_dataset(
                name,
                shape=(0, self.n_traces),
                maxshape=(None, None),
                dtype="f8",
                chunks=(rows, max(1, self.n_traces)),
                fletcher32=True,
            )
            tr[name].attrs["unit"] = unit
        _write_json(tr, "labels", [list(x) for x in labels])
        f.flush()

    def _check_open(self) -> None:
        if not self._f.id.valid:
            raise ValueError(f"results file {str(self.path)!r} is closed")

    @staticmethod
    def _grow(ds, rows: np.ndarray, n0: int) -> None:
        ds.resize(n0 + rows.shape[0], axis=0)
        ds[n0:] = rows

    def append_spikes(self, times_ns: np.ndarray, ids: np.ndarray, *, t_end_ns: float | None = None) -> None:
        """Append the spikes produced since the last call (times in ns, global neuron ids).

        ``t_end_ns`` (optional): simulated time reached, stored so an interrupted file knows it.
        """
        self._check_open()
        t = np.asarray(times_ns, dtype=np.float64).ravel()
        i = np.asarray(ids).ravel()
        if t.shape != i.shape:
            raise ValueError(f"append_spikes: times_ns and ids differ in length ({t.size} vs {i.size})")
        if i.size and not np.issubdtype(i.dtype, np.integer):
            raise TypeError(f"append_spikes: ids must be integers, got dtype {i.dtype}")
        if t.size:
            sp = self._f["spikes"]
            self._grow(sp["times_ns"], t, self._n_spikes)
            self._grow(sp["ids"], i.astype(np.int64), self._n_spikes)
            self._n_spikes += t.size
            self._t_end_ns = max(self._t_end_ns, float(t.max()))
        if t_end_ns is not None:
            self._t_end_ns = max(self._t_end_ns, float(t_end_ns))
        self._commit()

    def append_traces(self, times_ns: np.ndarray, s: np.ndarray, phi: np.ndarray) -> None:
        """Append trace samples: ``times_ns`` (T,), ``s`` and ``phi`` (T, n_traces)."""
        self._check_open()
        t = np.asarray(times_ns, dtype=np.float64).ravel()
        s = np.asarray(s, dtype=np.float64)
        phi = np.asarray(phi, dtype=np.float64)
        for name, a in (("s", s), ("phi", phi)):
            if a.size != t.size * self.n_traces:
                raise ValueError(
                    f"append_traces: {name} must have shape ({t.size}, {self.n_traces}), got {a.shape}"
                )
        s, phi = s.reshape(t.size, self.n_traces), phi.reshape(t.size, self.n_traces)
        if t.size:
            tr = self._f["traces"]
            self._grow(tr["times_ns"], t, self._n_samples)
            self._grow(tr["s"], s, self._n_samples)
            self._grow(tr["phi"], phi, self._n_samples)
            self._n_samples += t.size
            self._t_end_ns = max(self._t_end_ns, float(t.max()))
        self._commit()

    def init_weights(self, synapses: dict) -> None:
        """Create the weight groups of the plastic projections: ``synapses`` maps a projection name to
        its synapses' ``(pre, post)`` local indices (written once)."""
        self._check_open()
        g = self._f.require_group("weights")
        self._wgroups = {}
        for k, (name, (pre, post)) in enumerate(synapses.items()):
            h = g.create_group(f"p{k}")
            h.attrs["projection"] = str(name)
            h.attrs["n_snapshots"] = 0
            h.create_dataset("pre", data=np.asarray(pre, dtype=np.int64), fletcher32=True)
            h.create_dataset("post", data=np.asarray(post, dtype=np.int64), fletcher32=True)
            n = max(1, int(np.size(pre)))
            h.create_dataset("times_ns", shape=(0,), maxshape=(None,), dtype="f8", chunks=(256,), fletcher32=True)
            h["times_ns"].attrs["unit"] = "ns"
            h.create_dataset("w", shape=(0, int(np.size(pre))), maxshape=(None, int(np.size(pre))), dtype="f8",
                             chunks=(max(1, min(256, 65536 // n)), n), fletcher32=True)
            self._wgroups[name] = h
        self._f.flush()

    def append_weights(self, t_ns: float, weights: dict) -> None:
        """Append one snapshot (time in ns; projection name → weights in the order of ``init_weights``)."""
        self._check_open()
        for name, w in weights.items():
            h = self._wgroups[name]
            k = int(h.attrs["n_snapshots"])
            w = np.asarray(w, dtype=np.float64).reshape(1, -1)
            if w.shape[1] != h["w"].shape[1]:
                raise ValueError(f"append_weights: {name!r} has {h['w'].shape[1]} synapses, got {w.shape[1]} weights")
            self._grow(h["times_ns"], np.array([float(t_ns)]), k)
            self._grow(h["w"], w, k)
            self._f.flush()
            h.attrs["n_snapshots"] = k + 1  # the counter after the data it counts
        self._f.flush()

    def _commit(self) -> None:
        # data first, then the counters that say how much of it is valid
        self._f.flush()
        a = self._f.attrs
        a["n_spikes"] = self._n_spikes
        a["n_samples"] = self._n_samples
        a["t_end_ns"] = self._t_end_ns
        self._f.flush()

    def finish(
        self,
        *,
        complete: bool,
        message: str,
        counts: dict,
        timing: dict,
        fluxons: np.ndarray,
        metadata: dict,
        energy: dict | None = None,
        t_end_ns: float | None = None,
    ) -> None:
        """Write the end-of-run data and mark the file ``complete`` (or not, with ``message``).

        ``t_end_ns`` (optional): simulated time reached; default the run's duration when complete,
        else the latest time seen in the appended data.
        """
        self._check_open()
        f = self._f
        g = f.require_group("final")
        _write_json(g, "counts", counts)
        _write_json(g, "timing", timing)
        _write_json(g, "metadata", metadata)
        if energy is not None:
            _write_json(g, "energy", energy)
        if "fluxons" in g:
            del g["fluxons"]
        flux = np.asarray(fluxons, dtype=np.float64).ravel()
        g.create_dataset("fluxons", data=flux, fletcher32=bool(flux.size))
        if t_end_ns is None:
            t_end_ns = float(json.loads(f["run"]["json"][()])["duration_ns"]) if complete else self._t_end_ns
        self._t_end_ns = float(t_end_ns)
        self._commit()
        f.attrs["message"] = str(message)
        f.attrs["complete"] = bool(complete)
        f.flush()

    def close(self) -> None:
        """Close the file (without :meth:`finish` it stays marked incomplete)."""
        if self._f.id.valid:
            self._f.flush()
            self._f.close()

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()


def save_result(
    result: Result, path, *, network=None, run: dict | None = None, energy: dict | None = None
) -> Path:
    """Write a finished :class:`~soen.Result` to a results file in one go.

    Parameters
    ----------
    result : the result.
    path : the ``.h5`` file to write.
    network : the :class:`~soen.Network` (or its dict) to store with it (optional).
    run : extra run parameters stored beside duration_ns, dt_ns, seed and integrator.
    energy : an energy ledger (``soen.energy.Ledger`` or its ``to_dict()``) to store with it.
    """
    from soen.io.network_io import network_to_dict
    from soen.model.network import Network

    if not isinstance(result, Result):
        raise TypeError(f"save_result expects a soen.Result, got {type(result).__name__}")
    if energy is not None and hasattr(energy, "to_dict"):
        energy = energy.to_dict()
    net = network_to_dict(network, strict=False) if isinstance(network, Network) else (network or {})
    run_d = dict(
        duration_ns=result.duration_ns, dt_ns=result.dt_ns, seed=result.seed, integrator=result.integrator
    )
    run_d.update(run or {})
    with ResultWriter(
        path,
        network=net,
        run=run_d,
        populations=result.populations,
        trace_labels=list(result.trace_labels),
        n_traces=len(result.trace_labels),
    ) as w:
        w.append_spikes(result.spike_times_ns, result.spike_ids)
        w.append_traces(
            result.trace_times_ns,
            np.asarray(result.traces_s).reshape(result.trace_times_ns.size, len(result.trace_labels)),
            np.asarray(result.traces_phi).reshape(result.trace_times_ns.size, len(result.trace_labels)),
        )
        w.finish(
            complete=result.complete,
            message=result.message,
            counts=result.counts,
            timing=result.timing,
            fluxons=result.fluxons,
            metadata=result.metadata,
            energy=energy,
            t_end_ns=result.t_end_ns,
        )
    return Path(path)
