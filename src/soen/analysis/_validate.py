"""Input checks shared by the analysis functions (private).

Every check raises ``ValueError`` (or ``TypeError`` for the wrong kind of object) naming the parameter,
the value received and what is allowed (DESIGN.md §2.6).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__: list[str] = []


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    """Return ``value`` as ``int`` if it is an integer ≥ ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {_short(value)}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {int(value)}")
    return int(value)


def check_seed(value: object) -> int:
    """Return a seed as a non-negative ``int`` below 2**64."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"seed must be a non-negative integer; got {_short(value)}")
    if not 0 <= int(value) < 2**64:
        raise ValueError(f"seed must be a non-negative integer below 2**64; got {int(value)}")
    return int(value)


def check_positive_float(name: str, value: object, *, allow_zero: bool = False) -> float:
    """Return ``value`` as ``float`` if it is finite and > 0 (or ≥ 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {_short(value)}")
    v = float(value)
    ok = np.isfinite(v) and (v >= 0.0 if allow_zero else v > 0.0)
    if not ok:
        allowed = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise ValueError(f"{name} must be {allowed}; got {v!r}")
    return v


def check_probability(name: str, value: object) -> float:
    """Return ``value`` as ``float`` if it lies in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number in [0, 1]; got {_short(value)}")
    v = float(value)
    if not (0.0 <= v <= 1.0):
        raise ValueError(f"{name} must be in [0, 1]; got {v!r}")
    return v


def check_times(times_ns: object, *, allow_empty: bool = True, name: str = "times_ns") -> np.ndarray:
    """Return spike times as a 1-D float64 array of finite, non-negative values."""
    t = np.asarray(times_ns, dtype=np.float64)
    if t.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array; got shape {t.shape}")
    if t.size == 0 and not allow_empty:
        raise ValueError(f"{name} must hold at least one spike; got an empty array")
    if t.size:
        if not np.all(np.isfinite(t)):
            bad = t[~np.isfinite(t)][0]
            raise ValueError(f"{name} must be finite; got {float(bad)!r}")
        if t.min() < 0.0:
            raise ValueError(f"{name} must be >= 0 ns; got {float(t.min())!r}")
    return t


def check_spikes(
    times_ns: object,
    neuron_ids: object,
    n_neurons: object,
    duration_ns: object | None = None,
    *,
    allow_empty: bool = True,
) -> tuple[np.ndarray, np.ndarray, int, float | None]:
    """Validate the spike-data convention and return ``(times_ns, neuron_ids, n_neurons, duration_ns)``.

    Times are returned sorted (stable), ids as int64. ``duration_ns``, when given, must be > 0 and
    ≥ the last spike time.
    """
    n = check_positive_int("n_neurons", n_neurons)
    t = check_times(times_ns, allow_empty=allow_empty)
    ids_raw = np.asarray(neuron_ids)
    if ids_raw.ndim != 1:
        raise ValueError(f"neuron_ids must be a 1-D array; got shape {ids_raw.shape}")
    if ids_raw.size and not np.issubdtype(ids_raw.dtype, np.integer):
        if not np.all(np.isfinite(ids_raw)) or not np.all(ids_raw == np.round(ids_raw)):
            raise ValueError(f"neuron_ids must be integers; got dtype {ids_raw.dtype}")
    ids = ids_raw.astype(np.int64)
    if ids.shape != t.shape:
        raise ValueError(
            f"neuron_ids must have the same length as times_ns ({t.size}); got length {ids.size}"
        )
    if ids.size:
        if ids.min() < 0:
            raise ValueError(f"neuron_ids must be in [0, n_neurons={n}); got {int(ids.min())}")
        if ids.max() >= n:
            raise ValueError(f"neuron_ids must be in [0, n_neurons={n}); got {int(ids.max())}")
    dur: float | None = None
    if duration_ns is not None:
        dur = check_positive_float("duration_ns", duration_ns)
        if t.size and t.max() > dur:
            raise ValueError(
                f"duration_ns must be >= the last spike time ({float(t.max())!r} ns); got {dur!r}"
            )
    if t.size > 1 and np.any(np.diff(t) < 0):
        order = np.argsort(t, kind="stable")
        t, ids = t[order], ids[order]
    return t, ids, n, dur


def check_samples(name: str, data: object, *, min_value: float = 1.0, integer: bool = True) -> np.ndarray:
    """Return ``data`` as a 1-D float64 array of finite values ≥ ``min_value`` (integers if asked)."""
    x = np.asarray(data, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array; got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{name} must not be empty; got an empty array")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite; got {float(x[~np.isfinite(x)][0])!r}")
    if x.min() < min_value:
        raise ValueError(f"{name} must be >= {min_value:g}; got {float(x.min())!r}")
    if integer and not np.all(x == np.round(x)):
        bad = x[x != np.round(x)][0]
        raise ValueError(f"{name} must hold integers (discrete power law); got {float(bad)!r}")
    return x
