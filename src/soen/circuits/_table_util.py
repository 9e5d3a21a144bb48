"""Grid, cache-key and continuation helpers of :mod:`soen.circuits.rate_table`."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from soen.circuits._params import check_real

#: Version of the table algorithm and file format (part of the cache key).
FORMAT_VERSION = 1


def cache_dir() -> Path:
    """Directory of the table disk cache: ``$SOEN_CACHE_DIR`` or ``~/.cache/soen``."""
    env = os.environ.get("SOEN_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "soen"


def _fold(phi: np.ndarray) -> np.ndarray:
    x = phi - np.floor(phi)
    return np.minimum(x, 1.0 - x)


def _check_grid(name: str, grid: Any, *, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    arr = np.asarray(grid)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a numeric 1-D array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"{name} must be a 1-D array with at least 2 points, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got non-finite values")
    step = (arr[-1] - arr[0]) / (arr.size - 1)
    if not step > 0 or not np.allclose(np.diff(arr), step, rtol=1e-6, atol=1e-12):
        raise ValueError(f"{name} must be uniform and ascending, got steps {np.diff(arr)[:3]}...")
    if lo is not None and abs(arr[0] - lo) > 1e-9:
        raise ValueError(f"{name} must start at {lo}, got {arr[0]!r}")
    if hi is not None and abs(arr[-1] - hi) > 1e-9:
        raise ValueError(f"{name} must end at {hi}, got {arr[-1]!r}")
    return arr


def _make_grid(i_min: float, i_max: float, n_i: int, n_phi: int) -> tuple[np.ndarray, np.ndarray]:
    i_min = check_real("i_min", i_min, nonneg=True)
    i_max = check_real("i_max", i_max, positive=True)
    if i_max <= i_min:
        raise ValueError(f"i_max must be > i_min ({i_min}), got {i_max!r}")
    for name, n in (("n_i", n_i), ("n_phi", n_phi)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
            raise ValueError(f"{name} must be an integer >= 2, got {n!r}")
    return np.linspace(i_min, i_max, int(n_i)), np.linspace(0.0, 0.5, int(n_phi))


def _signed_q(i_grid: np.ndarray, g: np.ndarray, ic_phi: np.ndarray) -> np.ndarray:
    """Signed g² with the linear below-threshold continuation (see the module docstring)."""
    q = g * g
    di = i_grid[1] - i_grid[0]
    for j in range(g.shape[1]):
        ic = ic_phi[j]
        eps = i_grid - ic
        ok = (eps >= 0.5 * di) & (g[:, j] > 0)
        if np.any(ok):
            m = int(np.argmax(ok))
            k = g[m, j] ** 2 / eps[m]
        else:
            k = 1.0
        zero = g[:, j] <= 0
        q[zero, j] = np.minimum(k * eps[zero], 0.0)
    return np.ascontiguousarray(q)


def _cache_key(
    params: dict[str, float], i_grid: np.ndarray, phi_grid: np.ndarray, num: dict[str, Any]
) -> str:
    blob = json.dumps(
        {
            "params": {k: repr(float(v)) for k, v in sorted(params.items())},
            "i": [repr(float(i_grid[0])), repr(float(i_grid[-1])), int(i_grid.size)],
            "phi": int(phi_grid.size),
            "num": {k: repr(v) for k, v in sorted(num.items())},
            "version": FORMAT_VERSION,
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
