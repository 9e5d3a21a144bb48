"""Parameter sweeps on any :class:`concurrent.futures.Executor`.

>>> from soen.sweep import sweep
>>> rows = sweep(lambda a, b, seed: {"sum": a + b}, {"a": [1, 2], "b": [10]}, executor="serial")
>>> [(r["a"], r["b"], r["sum"]) for r in rows]
[(1, 10, 11), (2, 10, 12)]

``sweep(fn, grid, *, executor=None, seed=0)`` calls ``fn(**point, seed=s)`` for every point of the grid
and returns one row per point, in grid order. The seed of a point is a hash of (``seed``, the point's
names and values), not of its position: adding, removing or reordering grid values leaves the other
points' seeds, hence their results, unchanged, and the table is identical whatever the executor and
the order in which its workers finish. Executors: ``None`` (a ``ProcessPoolExecutor``), ``"serial"``
(in this process), or any object with ``submit`` — ``concurrent.futures.ThreadPoolExecutor``,
``mpi4py.futures.MPIPoolExecutor()``, a dask ``Client(...).get_executor()``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
import types
from typing import Any, Callable

import numpy as np

__all__ = ["sweep", "grid_points", "point_seed", "to_array"]


def grid_points(grid) -> list[dict]:
    """The points of ``grid``: a mapping name → values (their Cartesian product, the last name varying
    fastest) or a sequence of mappings (the points themselves)."""
    if isinstance(grid, dict):
        names = list(grid)
        for k in names:
            if not isinstance(k, str) or not k.isidentifier():
                raise ValueError(f"grid: parameter names must be identifiers (keyword arguments of fn), got {k!r}")
            if k == "seed":
                raise ValueError("grid: 'seed' is given by sweep (per point, from seed=); use another name")
            v = grid[k]
            if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
                raise TypeError(f"grid[{k!r}] must be a sequence of values, got {v!r}")
        values = [list(grid[k]) for k in names]
        return [dict(zip(names, combo)) for combo in itertools.product(*values)]
    if isinstance(grid, (list, tuple)):
        pts = []
        for j, p in enumerate(grid):
            if not isinstance(p, dict):
                raise TypeError(f"grid[{j}] must be a dict of parameter values, got {p!r}")
            if "seed" in p:
                raise ValueError(f"grid[{j}]: 'seed' is given by sweep (per point, from seed=); use another name")
            pts.append(dict(p))
        return pts
    raise TypeError(f"grid must be a dict name -> values or a list of dicts, got {type(grid).__name__}")


def _canonical(v):
    """A JSON-able form of a parameter value that names it exactly (floats by repr)."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return {"float": repr(float(v))}
    if isinstance(v, str) or v is None:
        return v
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_canonical(x) for x in (v.tolist() if isinstance(v, np.ndarray) else v)]
    if isinstance(v, dict):
        return {str(k): _canonical(x) for k, x in sorted(v.items())}
    return {"repr": repr(v)}


def point_seed(seed: int, point: dict) -> int:
    """63-bit seed of a grid point: BLAKE2b of (seed, the point's names and values in canonical form)."""
    text = json.dumps([int(seed), {k: _canonical(point[k]) for k in sorted(point)}], sort_keys=True)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") & (2**63 - 1)


def _call(fn, point, s):
    return fn(**point, seed=s)


def sweep(fn: Callable[..., Any], grid, *, executor=None, seed: int = 0, progress: bool | None = None,
          max_workers: int | None = None) -> list[dict]:
    """Run ``fn(**point, seed=...)`` for every point of ``grid``; one row per point, in grid order.

    Parameters
    ----------
    fn : the function of one point (picklable for a process or MPI pool: defined at module level).
        It returns a dict (its items become columns), or any other value (column ``"result"``).
    grid : a dict name → values (their Cartesian product) or a list of dicts (the points).
    executor : None (a ``ProcessPoolExecutor`` of ``max_workers`` started with "spawn", closed afterwards), ``"serial"``, or
        any executor with ``submit`` (left open).
    seed : base seed; the point's seed is :func:`point_seed` (seed, point), also stored in the row.
    progress : a progress bar (default: when stderr is a terminal and there are more than 4 points).

    Returns
    -------
    list of dicts: the point's parameters, ``seed``, and fn's results (:func:`to_array` makes a numpy
    structured array of it).
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {fn!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**63:
        raise ValueError(f"seed must be an integer in 0 … 2**63 − 1, got {seed!r}")
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be True, False or None (automatic), got {progress!r}")
    points = grid_points(grid)
    seeds = [point_seed(int(seed), p) for p in points]
    n = len(points)
    own = None
    if executor is None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        workers = max_workers or min(n, _cores()) or 1
        # "spawn": a forked child of a process running threads (Numba's, JAX's) can deadlock
        own = executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    elif executor != "serial" and not hasattr(executor, "submit"):
        raise TypeError(f"executor must be None, 'serial' or an object with submit() (a concurrent.futures "
                        f"Executor), got {executor!r}")
    show = progress if progress is not None else (n > 4 and sys.stderr.isatty())
    bar = task = None
    if show:
        from rich.progress import Progress

        bar = Progress(transient=False)
        bar.start()
        task = bar.add_task("sweep", total=n)
    out: list = [None] * n
    try:
        if executor == "serial":
            for j, (p, s) in enumerate(zip(points, seeds)):
                out[j] = _call(fn, p, s)
                if bar is not None:
                    bar.update(task, completed=j + 1)
        else:
            from concurrent.futures import as_completed

            futs = {executor.submit(_call, fn, p, s): j for j, (p, s) in enumerate(zip(points, seeds))}
            done = 0
            for f in as_completed(futs):
                out[futs[f]] = f.result()
                done += 1
                if bar is not None:
                    bar.update(task, completed=done)
    finally:
        if bar is not None:
            bar.stop()
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)
    rows = []
    for p, s, r in zip(points, seeds, out):
        row = {**p, "seed": s}
        extra = r if isinstance(r, dict) else {"result": r}
        clash = set(extra) & set(row)
        if clash:
            raise ValueError(f"fn returned {sorted(clash)}, which are parameter names or 'seed'; rename them")
        row.update(extra)
        rows.append(row)
    return rows


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def to_array(rows: list[dict]) -> np.ndarray:
    """The rows of :func:`sweep` as a numpy structured array (columns: the keys of the first row; numbers
    as int64/float64/bool, anything else as object)."""
    if not rows:
        return np.zeros(0, dtype=[])
    names = list(rows[0])
    for j, r in enumerate(rows):
        if list(r) != names:
            raise ValueError(f"to_array: row {j} has columns {list(r)}, the first row {names}")
    dtypes = []
    for k in names:
        vals = [r[k] for r in rows]
        if all(isinstance(v, (bool, np.bool_)) for v in vals):
            dt = np.bool_
        elif all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in vals):
            dt = np.int64
        elif all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in vals):
            dt = np.float64
        else:
            dt = object
        dtypes.append((k, dt))
    a = np.empty(len(rows), dtype=dtypes)
    for k, _ in dtypes:
        a[k] = [r[k] for r in rows]
    return a



class _CallableModule(types.ModuleType):
    """``soen.sweep(...)`` calls :func:`sweep`; ``from soen.sweep import sweep, to_array`` works too."""

    def __call__(self, *args, **kwargs):
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
