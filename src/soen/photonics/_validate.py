"""Input checks of the photonics modules: thin uses of :mod:`soen._validate` (private).

Types, bools, strings, NaN and integer-ness are checked by ``soen._validate``; a value outside its
range is reported as ``name = value is not allowed; expected finite values in [low, high]``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from soen import _validate as _v

_show = _v.show


def _out_of_range(arr: np.ndarray, low, high, low_open: bool, high_open: bool) -> np.ndarray:
    lo_bad = arr <= low if low_open else arr < low
    hi_bad = arr >= high if high_open else arr > high
    return lo_bad | hi_bad


def real_array(name: str, value: Any, *, low: float = -math.inf, high: float = math.inf,
               low_open: bool = False, high_open: bool = False, allow_inf: bool = False) -> np.ndarray:
    """``value`` as a float64 array, checked finite and inside the range; else TypeError/ValueError."""
    arr = _v.check_array(name, value, finite=not allow_inf)
    bad = _out_of_range(arr, low, high, low_open, high_open)
    if np.any(bad):
        first = arr.ravel()[np.flatnonzero(bad.ravel())[0]]
        where = "" if arr.ndim == 0 else f" (first offending entry {float(first)!r})"
        shown = _show(value) if arr.ndim else repr(float(arr))
        raise ValueError(f"{name} = {shown}{where} is not allowed; expected finite values in "
                         f"{_v.interval_text(low, high, low_open, high_open)}")
    return arr


def real_scalar(name: str, value: Any, **kw: Any) -> float:
    """A checked Python float (see :func:`real_array`)."""
    if isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) != 0:
        raise TypeError(f"{name} must be a number, not an array; got {_show(value)}")
    return float(real_array(name, value, **kw))


def int_array(name: str, value: Any, *, low: int | None = None, high: int | None = None,
              ndim: int | None = 1) -> np.ndarray:
    """``value`` as an int64 array (integer types only: floats are refused, never truncated)."""
    arr = _v.check_array(name, value, integer=True, ndim=ndim)
    if arr.size:
        if low is not None and arr.min() < low:
            raise ValueError(f"{name} has entry {int(arr.min())} below the allowed minimum {low}")
        if high is not None and arr.max() > high:
            raise ValueError(f"{name} has entry {int(arr.max())} above the allowed maximum {high}")
    return arr


def seed_value(seed: Any) -> int:
    """A non-negative Python int seed below 2**63, or TypeError/ValueError."""
    return _v.check_seed("seed", seed, high=2**63)
