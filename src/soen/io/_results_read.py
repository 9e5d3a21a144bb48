"""Reading results files as hostile data (the reader of :mod:`soen.io.results`).

Before anything is read, the declared sizes (``n_spikes``, ``n_samples``, dataset shapes) are checked
against the bytes the file holds; counters must be non-negative and consistent with the datasets
(exactly equal once the file is complete), flags typed (``complete`` is a bool), times finite and
within the simulated span, neuron ids inside non-overlapping population ranges; soft and external
links, external-storage and virtual datasets are refused; Fletcher32 checksums (arrays) and CRC-32s
(JSON texts) are verified. Every failure is a one-line :class:`~soen.io.FileFormatError` naming the
file, the key path and the problem.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from soen.engine.result import Result

from . import _safe
from ._safe import FileFormatError

__all__ = ["load", "read_info", "RESULTS_FORMAT", "RESULTS_FORMAT_VERSION"]

RESULTS_FORMAT = "soen-results"
RESULTS_FORMAT_VERSION = 1
#: at most this many neurons in a results file (ids are int64; the engines use int32 indices)
_MAX_NEURONS = 2**40


def _open_checked(path, reader):
    try:
        with _safe.open_hdf5(path, what="results file") as f:
            return reader(f)
    except Exception as exc:  # noqa: BLE001 - translated to one line naming the file, or re-raised
        err = _safe.as_file_error(exc, path, "results file")
        if err is exc:
            raise
        raise err from None


def load(path, *, traces: bool = True) -> Result:
    """Read a results file written by :class:`ResultWriter` into a :class:`~soen.Result`.

    Incomplete files (an interrupted or killed run, or one still being written) load too, with
    ``complete = False`` and the data up to the last completed append. The file is treated as data
    from elsewhere: its declared sizes are checked against the bytes it holds before anything is
    read, its counters, times, ids and flags must be consistent, links and external storage are
    refused and the datasets' checksums are verified. Anything that is not a readable soen results
    file raises :class:`~soen.io.FileFormatError` (a ``ValueError``) naming the file, the key and the
    problem. The run parameters, the network description and the energy ledger are read by
    :func:`read_info`.

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
    fmt = _safe.read_attr(f, "format", "str", default=None)
    if fmt != RESULTS_FORMAT:
        raise FileFormatError(
            f"not a soen results file (format attribute is {_safe.printable(repr(fmt), 80)}, "
            f"expected {RESULTS_FORMAT!r})"
        )
    ver = _safe.read_attr(f, "format_version", "int", default=-1)
    if not 1 <= ver <= RESULTS_FORMAT_VERSION:
        raise FileFormatError(
            f"results format version {ver!r} is not supported (this soen reads 1..{RESULTS_FORMAT_VERSION})"
        )


def _table(v, where: str) -> dict:
    if not isinstance(v, dict):
        raise FileFormatError(f"expected a table, got {_safe.describe(v)}", key=where)
    return v


def _read_run(f) -> dict:
    run = _table(_safe.read_json(_safe.node(f, "run", kind="group"), "json", "run"), "run/json")
    for key in ("duration_ns", "dt_ns", "seed", "integrator"):
        if key not in run:
            raise FileFormatError("missing (required)", key=f"run.{key}")
    return run


#: the root attributes soen writes (read typed; any other attribute of a file is not read at all)
_FILE_ATTRS = {
    "format": "str",
    "format_version": "int",
    "soen_version": "str",
    "h5py_version": "str",
    "numpy_version": "str",
    "created_utc": "str",
    "complete": "bool",
    "message": "str",
    "t_end_ns": "float",
    "n_spikes": "int",
    "n_samples": "int",
    "checksums": "str",
    "title": "str",
    "config": "str",
}


def _file_attrs(f) -> dict:
    out = {}
    for k, kind in _FILE_ATTRS.items():
        v = _safe.read_attr(f, k, kind, default=None)
        if v is not None:
            out[k] = v
    return out


def _read_info_open(f) -> dict[str, Any]:
    _check_format(f)
    info: dict[str, Any] = {"run": _read_run(f)}
    info["units"] = _table(_safe.read_json(_safe.node(f, "run"), "units", "run", default={}), "run/units")
    info["file"] = _file_attrs(f)
    info["network"] = None
    if _safe.has(f, "network"):
        g = _safe.node(f, "network", kind="group")
        if _safe.has(g, "json"):
            from soen.io.network_io import read_network_group

            info["network"] = _table(read_network_group(g), "network/json")
    info["energy"] = None
    if _safe.has(f, "final"):
        final = _safe.node(f, "final", kind="group")
        if _safe.has(final, "energy"):
            info["energy"] = _table(_safe.read_json(final, "energy", "final"), "final/energy")
    return info


def _count(f, name: str) -> int:
    n = _safe.read_attr(f, name, "int", default=0)
    if n < 0:
        raise FileFormatError(f"must be >= 0, got {n}", key=name)
    return n


def _rows(f, key: str, declared: int, counter: str, complete: bool) -> None:
    """The dataset at ``key`` must hold the ``declared`` rows (exactly, once the file is complete)."""
    ds = _safe.node(f, key, kind="dataset")
    rows = ds.shape[0] if ds.shape else 0
    if rows < declared or (complete and rows != declared):
        raise FileFormatError(
            f"holds {rows:,} rows but {counter} = {declared:,}"
            + (" (a complete file holds exactly that many)" if complete and rows > declared else ""),
            key=key,
        )


def _checksummed(f, key: str) -> None:
    if not _safe.has(f, key):
        return
    ds = _safe.node(f, key, kind="dataset")
    if not ds.size and ds.maxshape == ds.shape:  # an empty fixed-size dataset cannot be chunked
        return
    plist = ds.id.get_create_plist()
    if 3 not in {plist.get_filter(i)[0] for i in range(plist.get_nfilters())}:
        raise FileFormatError("has no Fletcher32 checksum, but the file says its datasets carry one", key=key)


def _populations(f) -> dict:
    raw = _table(_safe.read_json(f, "populations", "/"), "populations")
    pops, spans = {}, []
    for k, v in raw.items():
        if not (
            isinstance(v, list) and len(v) == 2 and all(type(x) is int for x in v) and v[0] >= 0 and v[1] >= 1
        ):
            raise FileFormatError(
                f"expected [first id >= 0, size >= 1], got {_safe.describe(v)}", key=f"populations.{k}"
            )
        pops[k] = (v[0], v[1])
        spans.append((v[0], v[0] + v[1], k))
    spans.sort()
    for (a0, a1, ka), (b0, _, kb) in zip(spans, spans[1:], strict=False):
        if b0 < a1:
            raise FileFormatError(
                f"population {kb!r} (ids from {b0}) overlaps {ka!r} (ids {a0}..{a1 - 1})",
                key=f"populations.{kb}",
            )
    if spans and spans[-1][1] > _MAX_NEURONS:
        raise FileFormatError(
            f"declares {spans[-1][1]:,} neurons (more than {_MAX_NEURONS:,})", key="populations"
        )
    return pops


def _times(t: np.ndarray, key: str, t_max: float) -> None:
    if t.size and not np.isfinite(t).all():
        raise FileFormatError("non-finite times", key=key)
    if t.size and (t.min() < 0 or t.max() > t_max):
        raise FileFormatError(f"times outside 0..{t_max:g} ns (the simulated span)", key=key)


def _load_open(f, *, traces: bool = True) -> Result:
    _check_format(f)
    run = _read_run(f)
    duration = _safe.typed(run["duration_ns"], "float", "run.duration_ns")
    dt = _safe.typed(run["dt_ns"], "float", "run.dt_ns")
    if not (math.isfinite(duration) and duration > 0 and math.isfinite(dt) and 0 < dt <= duration):
        raise FileFormatError(
            f"duration_ns and dt_ns must be positive and finite with dt_ns <= duration_ns, "
            f"got {duration!r}, {dt!r}",
            key="run",
        )
    seed = _safe.typed(run["seed"], "int", "run.seed")
    if seed < 0:
        raise FileFormatError(f"must be >= 0, got {seed}", key="run.seed")
    integrator = _safe.typed(run["integrator"], "str", "run.integrator")
    pops = _populations(f)
    n_neurons = max((o + n for o, n in pops.values()), default=0)
    complete = _safe.read_attr(f, "complete", "bool", default=False)
    message = _safe.read_attr(f, "message", "str", default="")
    t_end = _safe.read_attr(f, "t_end_ns", "float", default=0.0)
    t_max = max(duration, dt) * (1 + 1e-9) + dt
    if not (math.isfinite(t_end) and 0 <= t_end <= t_max):
        raise FileFormatError(f"must be a finite time in 0..{t_max:g} ns, got {t_end!r}", key="t_end_ns")
    n_spk, n_smp = _count(f, "n_spikes"), _count(f, "n_samples")
    if _safe.read_attr(f, "checksums", "str", default="") == "fletcher32":
        for key in (
            "spikes/times_ns",
            "spikes/ids",
            "traces/times_ns",
            "traces/s",
            "traces/phi",
            "final/fluxons",
        ):
            _checksummed(f, key)
    _rows(f, "spikes/times_ns", n_spk, "n_spikes", complete)
    _rows(f, "spikes/ids", n_spk, "n_spikes", complete)
    t = _safe.read_array(f, "spikes/times_ns", ndim=1, kinds="f", rows=n_spk).astype(np.float64)
    ids = _safe.read_array(f, "spikes/ids", ndim=1, kinds="iu", rows=n_spk)
    if ids.size and ids.dtype.kind == "u" and int(ids.max()) >= 2**63:
        raise FileFormatError("neuron ids out of range", key="spikes/ids")
    ids = ids.astype(np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= n_neurons):
        raise FileFormatError(f"neuron ids outside 0..{n_neurons - 1}", key="spikes/ids")
    _times(t, "spikes/times_ns", t_max)
    order = np.lexsort((ids, t))
    t, ids = t[order], ids[order]
    labels_raw = _safe.read_json(_safe.node(f, "traces", kind="group"), "labels", "traces", default=[])
    if not isinstance(labels_raw, list):
        raise FileFormatError(f"expected a list, got {_safe.describe(labels_raw)}", key="traces/labels")
    labels = []
    for i, lab in enumerate(labels_raw):
        if not (
            isinstance(lab, list)
            and len(lab) == 3
            and isinstance(lab[0], str)
            and type(lab[1]) is int
            and lab[1] >= 0
            and isinstance(lab[2], str)
        ):
            raise FileFormatError(
                f"expected [population, neuron, dendrite], got {_safe.describe(lab)}",
                key=f"traces/labels[{i}]",
            )
        labels.append((lab[0], lab[1], lab[2]))
    for key in ("traces/times_ns", "traces/s", "traces/phi"):
        _rows(f, key, n_smp, "n_samples", complete)
    k = len(labels)
    for key in ("traces/s", "traces/phi"):
        shape = _safe.node(f, key, kind="dataset").shape
        if len(shape or ()) != 2 or shape[1] != k:
            raise FileFormatError(f"{k} labels but data of shape {shape}", key=key)
    n_read = n_smp if traces else 0
    tt = _safe.read_array(f, "traces/times_ns", ndim=1, kinds="f", rows=n_read).astype(np.float64)
    s = _safe.read_array(f, "traces/s", ndim=2, kinds="f", rows=n_read, cols=k).astype(np.float64)
    phi = _safe.read_array(f, "traces/phi", ndim=2, kinds="f", rows=n_read, cols=k).astype(np.float64)
    _times(tt, "traces/times_ns", t_max)
    final = _safe.node(f, "final", kind="group") if _safe.has(f, "final") else None
    if final is None and complete:
        raise FileFormatError("marked complete but has no /final group", key="complete")
    tables = {}
    for nm in ("counts", "timing", "metadata"):
        v = _safe.read_json(final, nm, "final", default={}) if final is not None else {}
        tables[nm] = _table(v, f"final/{nm}")
    fluxons = (
        _safe.read_array(f, "final/fluxons", ndim=1, kinds="fiu").astype(np.float64)
        if final is not None and _safe.has(final, "fluxons")
        else np.empty(0)
    )
    weights = _weights(f, t_max, n_neurons) if _safe.has(f, "weights") else {}
    if not complete and not message:
        message = "run did not finish (file incomplete)"
    elif not complete and message == "running (file not finished)":
        message = "run not finished: still being written, or the writing process was killed or crashed"
    return Result(
        spike_times_ns=t,
        spike_ids=ids,
        populations=pops,
        duration_ns=duration,
        dt_ns=dt,
        seed=seed,
        integrator=integrator,
        trace_times_ns=tt,
        traces_s=s,
        traces_phi=phi,
        trace_labels=labels,
        counts=tables["counts"],
        fluxons=fluxons,
        timing=tables["timing"],
        complete=complete,
        t_end_ns=t_end,
        message=message,
        metadata=tables["metadata"],
        weight_snapshots=weights,
    )


def _weights(f, t_max: float, n_neurons: int) -> dict:
    """The weight snapshots of the plastic projections (``/weights/p<k>``), checked like the spikes."""
    out = {}
    g = _safe.node(f, "weights", kind="group")
    for k in range(len(g)):
        key = f"weights/p{k}"
        if not _safe.has(f, key):
            raise FileFormatError(f"expected groups p0..p{len(g) - 1}", key="weights")
        h = _safe.node(f, key, kind="group")
        name = _safe.read_attr(h, "projection", "str", where=f"{key}.projection")
        n_snap = _safe.read_attr(h, "n_snapshots", "int", where=f"{key}.n_snapshots")
        if n_snap < 0:
            raise FileFormatError(f"must be >= 0, got {n_snap}", key=f"{key}.n_snapshots")
        for sub in ("pre", "post", "times_ns", "w"):
            _checksummed(f, f"{key}/{sub}")
        pre = _safe.read_array(f, f"{key}/pre", ndim=1, kinds="iu").astype(np.int64)
        post = _safe.read_array(f, f"{key}/post", ndim=1, kinds="iu").astype(np.int64)
        if pre.shape != post.shape or (post.size and (post.min() < 0 or post.max() >= n_neurons or pre.min() < 0)):
            raise FileFormatError(f"pre/post of {pre.size}/{post.size} synapses, or indices out of range", key=key)
        times = _safe.read_array(f, f"{key}/times_ns", ndim=1, kinds="f", rows=n_snap).astype(np.float64)
        w = _safe.read_array(f, f"{key}/w", ndim=2, kinds="f", rows=n_snap, cols=pre.size).astype(np.float64)
        _times(times, f"{key}/times_ns", t_max)
        if w.size and not np.isfinite(w).all():
            raise FileFormatError("non-finite weights", key=f"{key}/w")
        out[name] = dict(times_ns=times, pre=pre, post=post, w=w)
    return out
