"""HDF5 results files: written in chunks while a simulation runs, read back as a :class:`~soen.Result`.

Layout (format ``"soen-results"``, version 1; every JSON text is a scalar UTF-8 string dataset)::

    /                     attrs: format, format_version, soen_version, created_utc, complete (bool),
                                 message, t_end_ns, n_spikes, n_samples   (n_* = rows committed)
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
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from soen.engine.result import Result

__all__ = ["ResultWriter", "load", "read_info", "save_result", "RESULTS_FORMAT", "unit_of"]

RESULTS_FORMAT = "soen-results"
RESULTS_FORMAT_VERSION = 1

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
    import h5py

    if name in group:
        del group[name]
    group.create_dataset(name, data=_dumps(obj), dtype=h5py.string_dtype())


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
        sp.create_dataset("times_ns", shape=(0,), maxshape=(None,), dtype="f8", chunks=(4096,))
        sp["times_ns"].attrs["unit"] = "ns"
        sp.create_dataset("ids", shape=(0,), maxshape=(None,), dtype="i8", chunks=(4096,))
        tr = f.create_group("traces")
        rows = max(16, min(4096, 8192 // max(1, self.n_traces)))  # chunks of ~64 KiB
        tr.create_dataset("times_ns", shape=(0,), maxshape=(None,), dtype="f8", chunks=(1024,))
        tr["times_ns"].attrs["unit"] = "ns"
        for name, unit in (("s", "I_c"), ("phi", "Phi0")):
            tr.create_dataset(
                name,
                shape=(0, self.n_traces),
                maxshape=(None, None),
                dtype="f8",
                chunks=(rows, max(1, self.n_traces)),
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
        g.create_dataset("fluxons", data=np.asarray(fluxons, dtype=np.float64).ravel())
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


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------
def _read_json(group, name: str, where: str, default=None):
    import h5py

    if name not in group:
        if default is not None:
            return default
        raise ValueError(f"{where}: missing '{name}'")
    ds = group[name]
    if not isinstance(ds, h5py.Dataset) or ds.shape != ():
        raise ValueError(f"{where}/{name}: expected a JSON text")
    raw = ds[()]
    text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}/{name}: malformed JSON ({exc})") from None


def _dataset(f, path: str, *, ndim: int, kind: str, n: int | None = None) -> np.ndarray:
    import h5py

    if path not in f or not isinstance(f[path], h5py.Dataset):
        raise ValueError(f"missing dataset {path!r}")
    ds = f[path]
    if len(ds.shape) != ndim:
        raise ValueError(f"{path}: expected {ndim}-D, got shape {ds.shape}")
    if ds.dtype.kind not in kind:
        raise ValueError(f"{path}: unexpected dtype {ds.dtype}")
    rows = ds.shape[0] if n is None else min(n, ds.shape[0])
    return np.asarray(ds[:rows])


def _num(v, where: str, *, integer: bool = False):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"{where}: expected a number, got {v!r}")
    if integer:
        if float(v) != int(v):
            raise ValueError(f"{where}: expected an integer, got {v!r}")
        return int(v)
    return float(v)


def _open_checked(path, reader):
    import h5py

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such results file: {str(p)!r}")
    if not h5py.is_hdf5(p):
        raise ValueError(f"{p.name}: not an HDF5 file (not a soen results file)")
    try:
        try:
            f = h5py.File(p, "r")
        except OSError as exc:
            if "lock" not in str(exc).lower():
                raise
            # a run is writing it: read what it has committed so far (its counters say how much)
            f = h5py.File(p, "r", locking=False)
        with f:
            return reader(f)
    except ValueError as exc:
        raise ValueError(f"{p.name}: {exc}") from None
    except (OSError, KeyError, TypeError, RuntimeError) as exc:
        raise ValueError(
            f"{p.name}: damaged or unreadable results file ({type(exc).__name__}: {exc})"
        ) from None


def load(path, *, traces: bool = True) -> Result:
    """Read a results file written by :class:`ResultWriter` into a :class:`~soen.Result`.

    Incomplete files (an interrupted or killed run, or one still being written) load too, with
    ``complete = False`` and the data up to the last completed append. Anything that is not a
    readable soen results file raises ``ValueError`` naming the file and the problem. The run
    parameters, the network description and the energy ledger are read by :func:`read_info`.

    Parameters
    ----------
    path : the ``.h5`` file.
    traces : if False, trace samples are not read (``trace_labels`` are; the arrays have 0 rows);
        for a quick look at a large file.
    """
    return _open_checked(path, lambda f: _load_open(f, traces=traces))


def read_info(path) -> dict[str, Any]:
    """What a results file says about its run, besides the data.

    Returns
    -------
    dict
        ``run`` (parameters), ``units`` (parameter → unit), ``network`` (the network dict, or None),
        ``energy`` (the ledger dict, or None), ``file`` (format, versions, created_utc, complete, ...).
    """
    return _open_checked(path, _read_info_open)


def _check_format(f) -> None:
    fmt = f.attrs.get("format")
    if isinstance(fmt, bytes):
        fmt = fmt.decode()
    if fmt != RESULTS_FORMAT:
        raise ValueError(
            f"not a soen results file (format attribute is {fmt!r}, expected {RESULTS_FORMAT!r})"
        )
    ver = f.attrs.get("format_version", -1)
    ver = ver.item() if isinstance(ver, np.generic) else ver
    if not isinstance(ver, int) or not 1 <= ver <= RESULTS_FORMAT_VERSION:
        raise ValueError(
            f"results format version {ver!r} is not supported (this soen reads 1..{RESULTS_FORMAT_VERSION})"
        )


def _read_run(f) -> dict:
    run = _read_json(f["run"], "json", "run") if "run" in f else None
    if not isinstance(run, dict):
        raise ValueError("run: missing or not a table of run parameters")
    return run


def _read_info_open(f) -> dict[str, Any]:
    _check_format(f)
    info: dict[str, Any] = {"run": _read_run(f), "units": _read_json(f["run"], "units", "run", default={})}
    info["file"] = {
        k: (v.decode() if isinstance(v, bytes) else (v.item() if isinstance(v, np.generic) else v))
        for k, v in f.attrs.items()
    }
    info["network"] = None
    if "network" in f and "json" in f["network"]:
        from soen.io.network_io import read_network_group

        info["network"] = read_network_group(f["network"])
    info["energy"] = None
    if "final" in f and "energy" in f["final"]:
        energy = _read_json(f["final"], "energy", "final")
        if not isinstance(energy, dict):
            raise ValueError("final/energy: expected a table")
        info["energy"] = energy
    return info


def _load_open(f, *, traces: bool = True) -> Result:
    _check_format(f)
    run = _read_run(f)
    pops_raw = _read_json(f, "populations", "/")
    if not isinstance(pops_raw, dict):
        raise ValueError("populations: expected name → [offset, size]")
    pops = {}
    for k, v in pops_raw.items():
        if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) and x >= 0 for x in v)):
            raise ValueError(f"populations.{k}: expected [first id, size], got {v!r}")
        pops[k] = (v[0], v[1])
    n_neurons = sum(n for _, n in pops.values())
    n_spk = _num(f.attrs.get("n_spikes", 0), "n_spikes", integer=True)
    n_smp = _num(f.attrs.get("n_samples", 0), "n_samples", integer=True)
    t = _dataset(f, "spikes/times_ns", ndim=1, kind="f", n=n_spk)
    ids = _dataset(f, "spikes/ids", ndim=1, kind="iu", n=n_spk)
    m = min(t.size, ids.size)
    t, ids = t[:m].astype(np.float64), ids[:m].astype(np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= n_neurons):
        raise ValueError(f"spikes/ids: neuron ids outside 0..{n_neurons - 1}")
    if not np.isfinite(t).all():
        raise ValueError("spikes/times_ns: non-finite spike times")
    order = np.lexsort((ids, t))
    t, ids = t[order], ids[order]
    n_read = n_smp if traces else 0
    tt = _dataset(f, "traces/times_ns", ndim=1, kind="f", n=n_read)
    s = _dataset(f, "traces/s", ndim=2, kind="f", n=n_read)
    phi = _dataset(f, "traces/phi", ndim=2, kind="f", n=n_read)
    k = min(tt.size, s.shape[0], phi.shape[0])
    labels_raw = _read_json(f["traces"], "labels", "traces", default=[])
    labels = []
    for i, lab in enumerate(labels_raw if isinstance(labels_raw, list) else [None]):
        if not (
            isinstance(lab, list)
            and len(lab) == 3
            and isinstance(lab[0], str)
            and isinstance(lab[1], int)
            and isinstance(lab[2], str)
        ):
            raise ValueError(f"traces/labels[{i}]: expected [population, neuron, dendrite], got {lab!r}")
        labels.append((lab[0], lab[1], lab[2]))
    if s.shape[1] != len(labels) or phi.shape[1] != len(labels):
        raise ValueError(f"traces: {len(labels)} labels but data of shape {s.shape} / {phi.shape}")
    complete = bool(f.attrs.get("complete", False))
    message = f.attrs.get("message", "")
    message = message.decode() if isinstance(message, bytes) else str(message)
    final = f["final"] if "final" in f else None
    if final is None and complete:
        raise ValueError("marked complete but has no /final group")
    counts = _read_json(final, "counts", "final", default={}) if final is not None else {}
    timing = _read_json(final, "timing", "final", default={}) if final is not None else {}
    metadata = _read_json(final, "metadata", "final", default={}) if final is not None else {}
    for nm, v in (("counts", counts), ("timing", timing), ("metadata", metadata)):
        if not isinstance(v, dict):
            raise ValueError(f"final/{nm}: expected a table, got {type(v).__name__}")
    fluxons = (
        _dataset(f, "final/fluxons", ndim=1, kind="f")
        if final is not None and "fluxons" in final
        else np.empty(0)
    )
    if not complete and not message:
        message = "run did not finish (file incomplete)"
    elif not complete and message == "running (file not finished)":
        message = "run not finished: still being written, or the writing process was killed or crashed"
    duration = _num(run["duration_ns"], "run.duration_ns")
    dt = _num(run["dt_ns"], "run.dt_ns")
    if not (math.isfinite(duration) and duration > 0 and math.isfinite(dt) and dt > 0):
        raise ValueError(f"run: duration_ns and dt_ns must be positive, got {duration}, {dt}")
    return Result(
        spike_times_ns=t,
        spike_ids=ids,
        populations=pops,
        duration_ns=duration,
        dt_ns=dt,
        seed=_num(run["seed"], "run.seed", integer=True),
        integrator=str(run["integrator"]),
        trace_times_ns=tt[:k].astype(np.float64),
        traces_s=s[:k].astype(np.float64),
        traces_phi=phi[:k].astype(np.float64),
        trace_labels=labels,
        counts=counts,
        fluxons=fluxons.astype(np.float64),
        timing=timing,
        complete=complete,
        t_end_ns=_num(f.attrs.get("t_end_ns", 0.0), "t_end_ns"),
        message=message,
        metadata=metadata,
    )


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
            result.traces_s.reshape(result.trace_times_ns.size, -1),
            result.traces_phi.reshape(result.trace_times_ns.size, -1),
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
