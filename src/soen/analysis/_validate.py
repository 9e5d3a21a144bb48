"""Input checks shared by the analysis functions (private): thin uses of :mod:`soen._validate`.

Every check raises ``ValueError`` (or ``TypeError`` for the wrong kind of object) naming the parameter,
the value received and what is allowed.
"""

from __future__ import annotations

import numpy as np

from soen import _validate as _v

__all__: list[str] = []


_short = _v.show


def check_positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    """Return ``value`` as ``int`` if it is an integer ≥ ``minimum``."""
    return _v.check_int(name, value, low=minimum)


def check_seed(value: object) -> int:
    """Return a seed as a non-negative ``int`` below 2**64."""
    return _v.check_seed("seed", value)


def check_positive_float(name: str, value: object, *, allow_zero: bool = False) -> float:
    """Return ``value`` as ``float`` if it is finite and > 0 (or ≥ 0 with ``allow_zero``)."""
    return _v.check_real(name, value, low=0.0, low_open=not allow_zero)


def check_probability(name: str, value: object) -> float:
    """Return ``value`` as ``float`` if it lies in [0, 1]."""
    return _v.check_real(name, value, low=0.0, high=1.0)


def check_times(times_ns: object, *, allow_empty: bool = True, name: str = "times_ns") -> np.ndarray:
    """Return spike times as a 1-D float64 array of finite, non-negative values."""
    t = _v.check_array(name, times_ns, ndim=1, low=0.0, unit="ns")
    if t.size == 0 and not allow_empty:
        raise ValueError(f"{name} must hold at least one spike; got an empty array")
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
    if isinstance(neuron_ids, np.ndarray) and neuron_ids.dtype.kind == "f":
        # ids stored as floats (some file formats): accepted when every entry is a whole number
        fl = _v.check_array("neuron_ids", neuron_ids, ndim=1)
        if not np.all(fl == np.round(fl)):
            bad = fl[fl != np.round(fl)][0]
            raise ValueError(f"neuron_ids must be integers; got {float(bad)!r} (dtype {neuron_ids.dtype})")
        ids = fl.astype(np.int64)
    else:
        ids = _v.check_array("neuron_ids", neuron_ids, integer=True, ndim=1)
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
    x = _v.check_array(name, data, ndim=1, low=min_value, allow_empty=False)
    if integer and not np.all(x == np.round(x)):
        bad = x[x != np.round(x)][0]
        raise ValueError(f"{name} must hold integers (discrete power law); got {float(bad)!r}")
    return x
