"""Input checks shared by the photonics modules (messages name parameter, value and what is allowed)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype})"
    return repr(value)


def real_array(name: str, value: Any, *, low: float = -math.inf, high: float = math.inf,
               low_open: bool = False, high_open: bool = False, allow_inf: bool = False) -> np.ndarray:
    """``value`` as a float64 array, checked finite and inside the range; else TypeError/ValueError."""
    if isinstance(value, str | bytes) or value is None:
        raise TypeError(f"{name} must be a real number or array of real numbers, got {value!r}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a real number or array of real numbers, got {_show(value)}"
        ) from None
    if np.iscomplexobj(np.asarray(value)):
        raise TypeError(f"{name} must be real, got complex {_show(value)}")
    bad = np.isnan(arr) | (~np.isfinite(arr) if not allow_inf else np.zeros(arr.shape, bool))
    lo_bad = arr <= low if low_open else arr < low
    hi_bad = arr >= high if high_open else arr > high
    bad = bad | lo_bad | hi_bad
    if np.any(bad):
        first = arr.ravel()[np.flatnonzero(bad.ravel())[0]]
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        rng = f"{lo}{low:g}, {high:g}{hi}"
        where = "" if arr.ndim == 0 else f" (first offending entry {first!r})"
        raise ValueError(f"{name} = {_show(value) if arr.ndim else repr(value)}{where} is not allowed; "
                         f"expected finite values in {rng}")
    return arr


def real_scalar(name: str, value: Any, **kw: Any) -> float:
    """A checked Python float (see :func:`real_array`)."""
    arr = real_array(name, value, **kw)
    if arr.ndim != 0:
        raise TypeError(f"{name} must be a scalar, got {_show(value)}")
    return float(arr)


def int_array(name: str, value: Any, *, low: int | None = None, high: int | None = None,
              ndim: int | None = 1) -> np.ndarray:
    """``value`` as an int64 array (integers only; floats with fractional parts are rejected)."""
    if isinstance(value, str | bytes) or value is None:
        raise TypeError(f"{name} must be an array of integers, got {value!r}")
    raw = np.asarray(value)
    if raw.dtype == bool or not (np.issubdtype(raw.dtype, np.integer) or raw.size == 0):
        if np.issubdtype(raw.dtype, np.floating) and raw.size and np.all(np.isfinite(raw)) \
                and np.all(raw == np.round(raw)):
            raw = raw.astype(np.int64)
        else:
            raise TypeError(f"{name} must be an array of integers, got {_show(value)}")
    arr = raw.astype(np.int64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.size:
        if low is not None and arr.min() < low:
            raise ValueError(f"{name} has entry {int(arr.min())} below the allowed minimum {low}")
        if high is not None and arr.max() > high:
            raise ValueError(f"{name} has entry {int(arr.max())} above the allowed maximum {high}")
    return arr


def seed_value(seed: Any) -> int:
    """A non-negative Python int seed, or TypeError/ValueError."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be a non-negative integer, got {seed!r}")
    if seed < 0 or seed >= 2**63:
        raise ValueError(f"seed must be in [0, 2**63), got {seed!r}")
    return int(seed)
