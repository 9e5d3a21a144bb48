"""Input checks used by every user-facing constructor and function of soen (private).

One rule for every message: it names the parameter (``Owner.param`` where there is an owner), shows the
value received and says what is allowed::

    Dendrite.tau_ns must be a finite number > 0; got -1.0
    tree_neuron.layers[0] must be an integer in [1, 10000000]; got 2.7 (float)
    Projection.weight must be in [-3.40282e+38, 3.40282e+38] (single precision); got 1e+39

``TypeError`` is raised for a value of the wrong kind (a string, a bool or None where a number is
needed, a float where an integer is needed), ``ValueError`` for a value of the right kind outside what
is allowed (NaN, infinity, out of range, wrong shape).

Numbers: ``bool`` (and ``numpy.bool_``) is never a number; numpy integer and floating scalars and 0-d
arrays are accepted; strings are never converted (``"39"`` is refused). Integers: only integer types
(``2.7`` and ``3.0`` are refused rather than truncated). Arrays: lists, tuples and arrays of numbers,
refused when they hold strings, bools or other objects.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "FLOAT32_MAX",
    "INT32_MAX",
    "show",
    "interval_text",
    "range_text",
    "allowed_number",
    "in_range",
    "as_real",
    "check_number",
    "check_real",
    "check_int",
    "check_bool",
    "check_choice",
    "check_name",
    "check_seed",
    "check_instance",
    "check_sequence",
    "check_array",
]

#: Largest finite single-precision float: weights are stored in float32 by the point-model engine.
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: Largest int32: neuron, connection and dendrite indices must fit.
INT32_MAX = 2**31 - 1

_INT64_MAX = 2**63 - 1
_ONE_LINE = re.compile(r"\s*\n\s*")


# ------------------------------------------------------------------------------------------------
# message pieces
# ------------------------------------------------------------------------------------------------
def show(value: Any, limit: int = 80) -> str:
    """A short, safe, one-line text for ``value`` in a message (arrays by shape and dtype, long reprs cut,
    line breaks folded, control characters escaped)."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return f"array(shape={value.shape}, dtype={value.dtype})"
    if isinstance(value, np.generic):
        try:
            value = value.item()
        except Exception:  # noqa: BLE001 - exotic numpy scalars: fall back to repr
            pass
    if isinstance(value, float):
        text = repr(value)
    else:
        try:
            text = repr(value)
        except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real error
            text = f"<{type(value).__name__} object>"
    text = _ONE_LINE.sub(" ", text)
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)  # no raw control characters
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _bound(x: Any) -> str:
    """A range bound as text: integers exactly, floats without a trailing .0, infinities as inf."""
    if isinstance(x, numbers.Integral):
        return str(int(x))
    x = float(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x.is_integer() and abs(x) < 1e6:
        return str(int(x))
    return f"{x:g}" if float(f"{x:g}") == x else repr(x)


def interval_text(low=None, high=None, low_open: bool = False, high_open: bool = False) -> str:
    """Interval notation, e.g. ``[0, 1]``, ``(0, inf]`` (``None`` bounds are infinite)."""
    lo = "-inf" if low is None else _bound(low)
    hi = "inf" if high is None else _bound(high)
    return f"{'(' if low_open else '['}{lo}, {hi}{')' if high_open else ']'}"


def _finite_bound(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isinf(x))


def range_text(low=None, high=None, low_open: bool = False, high_open: bool = False) -> str:
    """``"> 0"``, ``">= 1"``, ``"<= 0"``, ``"in [0, 1]"`` or ``""`` (no bound)."""
    has_lo, has_hi = _finite_bound(low), _finite_bound(high)
    if has_lo and has_hi:
        return "in " + interval_text(low, high, low_open, high_open)
    if has_lo:
        return f"{'>' if low_open else '>='} {_bound(low)}"
    if has_hi:
        return f"{'<' if high_open else '<='} {_bound(high)}"
    return ""


def allowed_number(low=None, high=None, low_open: bool = False, high_open: bool = False, *,
                   integer: bool = False, unit: str = "", for_type: bool = False) -> str:
    """What a number check allows, as the end of "must be ...": ``"a finite number > 0"``,
    ``"an integer >= 1"``, ``"in [0, 1]"`` (a bounded interval implies finite; ``for_type`` adds
    "a number" so that a type error still says what kind of value is wanted)."""
    rng = range_text(low, high, low_open, high_open)
    u = f" {unit}" if unit and rng else ""
    if integer:
        return "an integer" + (f" {rng}{u}" if rng else "")
    if _finite_bound(low) and _finite_bound(high):
        return (f"a number {rng}{u}" if for_type else f"{rng}{u}")
    return "a finite number" + (f" {rng}{u}" if rng else "")


def in_range(v, low=None, high=None, low_open: bool = False, high_open: bool = False) -> bool:
    """Whether the number ``v`` lies in the range (``None`` bounds are infinite; NaN never does)."""
    if isinstance(v, float) and math.isnan(v):
        return False
    if low is not None and (v < low or (low_open and v == low)):
        return False
    if high is not None and (v > high or (high_open and v == high)):
        return False
    return True


def _type_name(value: Any) -> str:
    return type(value).__name__


# ------------------------------------------------------------------------------------------------
# scalars
# ------------------------------------------------------------------------------------------------
def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_)) or (
        isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind == "b")


def _integer(value: Any) -> int | None:
    """``value`` as a Python int if it is of an integer type (never bool, never float), else None."""
    if _is_bool(value):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        return int(value)
    return None


def as_real(value: Any) -> float | int | None:
    """``value`` if it is a real number (an int stays an exact int), a float for numpy/0-d values;
    None if it is not a real number (bool, str, None, complex, objects, arrays with more than 0 dims)."""
    if _is_bool(value):
        return None
    i = _integer(value)
    if i is not None:
        return i
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except (OverflowError, ValueError, TypeError):
            return None
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind == "f":
        return float(value)
    return None


def check_number(name: str, value: Any, *, low=None, high=None, low_open: bool = False,
                 high_open: bool = False, integer: bool = False, allow_none: bool = False,
                 allow_inf: bool = False, unit: str = "") -> float | int | None:
    """Check a number and return it as ``float`` (or ``int`` with ``integer=True``).

    ``low``/``high`` bound the allowed range (``None``: unbounded), closed unless ``low_open``/
    ``high_open``. Reals must be finite (``allow_inf``: ±inf allowed, NaN never). ``allow_none``: None
    passes through. ``unit`` is appended to the range in messages (``"ns"``). Raises TypeError (wrong kind) or ValueError (NaN, inf, range),
    both naming ``name``, the value and what is allowed.
    """
    if value is None and allow_none:
        return None
    allowed = allowed_number(low, high, low_open, high_open, integer=integer, unit=unit)
    if allow_inf and not integer:
        rng = range_text(low, high, low_open, high_open)
        allowed = "a number (±inf allowed, not NaN)" + (f" {rng}" if rng else "")
    extra = " or None" if allow_none else ""
    if integer:
        v = _integer(value)
        if v is None:
            raise TypeError(f"{name} must be {allowed}{extra}; got {show(value)} ({_type_name(value)})")
    else:
        v = as_real(value)
        if v is None:
            if isinstance(value, numbers.Integral) and not _is_bool(value):  # an int too big for a float
                raise ValueError(f"{name} must be {allowed}{extra}; got {show(value)}")
            kind = allowed_number(low, high, low_open, high_open, unit=unit, for_type=True)
            raise TypeError(f"{name} must be {kind}{extra}; got {show(value)} ({_type_name(value)})")
        if isinstance(v, int):
            try:
                v = float(v)
            except OverflowError:
                raise ValueError(f"{name} must be {allowed}{extra}; got {show(value)}") from None
        if math.isnan(v) or (math.isinf(v) and not allow_inf):
            raise ValueError(f"{name} must be {allowed}{extra}; got {show(value)}")
    if not in_range(v, low, high, low_open, high_open):
        raise ValueError(f"{name} must be {allowed}{extra}; got {show(value)}")
    return v


def check_real(name: str, value: Any, **kw: Any) -> float | None:
    """A finite real number as ``float`` (see :func:`check_number`)."""
    return check_number(name, value, integer=False, **kw)


def check_int(name: str, value: Any, **kw: Any) -> int | None:
    """An integer (int or numpy integer; never bool or float) as ``int`` (see :func:`check_number`)."""
    return check_number(name, value, integer=True, **kw)


def check_bool(name: str, value: Any, *, allow_none: bool = False) -> bool | None:
    """``True`` or ``False`` (``numpy.bool_`` accepted; 0, 1 and ``"yes"`` refused)."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    allowed = "True, False or None" if allow_none else "True or False"
    raise TypeError(f"{name} must be {allowed}; got {show(value)} ({_type_name(value)})")


def check_choice(name: str, value: Any, choices: Iterable) -> Any:
    """One of ``choices`` (compared with ``==`` among values of the same kind; returns the choice)."""
    choices = tuple(choices)

    def same_kind(c) -> bool:  # a bool is not an int choice, an int not a bool choice
        return isinstance(value, type(c)) and _is_bool(value) == _is_bool(c)

    for c in choices:
        if same_kind(c) and value == c:
            return c
    listed = ", ".join(show(c) for c in choices)
    if not any(same_kind(c) for c in choices):
        raise TypeError(f"{name} must be one of {listed}; got {show(value)} ({_type_name(value)})")
    raise ValueError(f"{name} must be one of {listed}; got {show(value)}")


def check_name(name: str, value: Any) -> str:
    """An identifier-like string (letters, digits and ``_``, not starting with a digit)."""
    allowed = "an identifier-like string (letters, digits and _, not starting with a digit)"
    if not isinstance(value, str):
        raise TypeError(f"{name} must be {allowed}; got {show(value)} ({_type_name(value)})")
    if not value.isidentifier():
        raise ValueError(f"{name} must be {allowed}; got {show(value)}")
    return value


def check_seed(name: str, value: Any, *, high: int = 2**64) -> int:
    """A random seed: a non-negative integer below ``high`` (2**64 unless told)."""
    hi = "2**64" if high == 2**64 else ("2**63" if high == 2**63 else str(high))
    allowed = f"a non-negative integer below {hi}"
    v = _integer(value)
    if v is None:
        raise TypeError(f"{name} must be {allowed}; got {show(value)} ({_type_name(value)})")
    if not 0 <= v < high:
        raise ValueError(f"{name} must be {allowed}; got {show(value)}")
    return v


def check_instance(name: str, value: Any, types, what: str | None = None, *, allow_none: bool = False):
    """``value`` if it is an instance of ``types`` (or None with ``allow_none``), else TypeError."""
    if value is None and allow_none:
        return None
    if isinstance(value, types):
        return value
    if what is None:
        ts = types if isinstance(types, tuple) else (types,)
        what = " or ".join(f"a {t.__name__}" for t in ts)
    extra = " or None" if allow_none else ""
    raise TypeError(f"{name} must be {what}{extra}; got {show(value)} ({_type_name(value)})")


def check_sequence(name: str, value: Any, what: str = "a sequence (list or tuple)") -> tuple:
    """``value`` as a tuple if it is a list, tuple, range or 1-D-or-more array (never a string,
    a mapping, a set or a lone scalar), else TypeError."""
    if isinstance(value, (list, tuple, range)):
        return tuple(value)
    if isinstance(value, np.ndarray) and value.ndim >= 1:
        return tuple(value)
    raise TypeError(f"{name} must be {what}; got {show(value)} ({_type_name(value)})")


# ------------------------------------------------------------------------------------------------
# arrays
# ------------------------------------------------------------------------------------------------
def _has_bool_element(value: Any) -> bool:
    """Whether a (nested) list/tuple holds a bool (numpy would silently turn it into 0/1)."""
    stack = [value]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (bool, np.bool_)):
            return True
        elif isinstance(x, np.ndarray) and x.dtype.kind == "b":
            return True
    return False


def _where(arr: np.ndarray, flat_index: int) -> str:
    if arr.ndim == 0:
        return ""
    if arr.ndim == 1:
        return f" (entry {flat_index})"
    return f" (entry {tuple(int(i) for i in np.unravel_index(flat_index, arr.shape))})"


def check_array(name: str, value: Any, *, integer: bool = False, ndim: int | None = None,
                shape: tuple | None = None, low=None, high=None, low_open: bool = False,
                high_open: bool = False, finite: bool = True, unit: str = "",
                allow_empty: bool = True) -> np.ndarray:
    """Check an array of numbers and return it as a new float64 (or int64 with ``integer=True``) array.

    Accepts numbers, lists/tuples and numpy arrays of numbers; refuses strings, bools, None, complex
    and object entries (TypeError) and, with ``integer``, any float array (no truncation). ``ndim``
    and ``shape`` (``None`` entries are free) fix the layout; every entry must be finite (unless
    ``finite=False``: NaN is still refused, ±inf allowed) and inside the range.
    """
    kind = "integers" if integer else "real numbers"
    allowed_t = f"a number or an array of {kind}" if ndim in (None, 0) else f"an array of {kind}"
    if value is None or isinstance(value, (str, bytes, dict, set, frozenset)):
        raise TypeError(f"{name} must be {allowed_t}; got {show(value)} ({_type_name(value)})")
    if isinstance(value, (list, tuple)) and _has_bool_element(value):
        raise TypeError(f"{name} must be {allowed_t}, not bools; got {show(value)}")
    try:
        raw = np.asarray(value)
    except (ValueError, TypeError):
        raise ValueError(f"{name} must be a rectangular array of {kind}; got {show(value)}") from None
    k = raw.dtype.kind
    if raw.size == 0 and k in "fiuO":
        raw = raw.astype(np.int64 if integer else np.float64)
        k = raw.dtype.kind
    if k == "O" and not integer:
        if any(as_real(x) is None for x in raw.flat):
            raise TypeError(f"{name} must be {allowed_t}; got {show(value)}")
        raw = raw.astype(np.float64)
        k = "f"
    elif k == "O" and integer:
        if any(_integer(x) is None for x in raw.flat):
            raise TypeError(f"{name} must be {allowed_t}; got {show(value)}")
        ints = [int(x) for x in raw.flat]
        if ints and (min(ints) < -_INT64_MAX - 1 or max(ints) > _INT64_MAX):
            raise ValueError(f"{name} must hold integers that fit in 64 bits; got {show(value)}")
        raw = np.array(ints, dtype=np.int64).reshape(raw.shape)
        k = "i"
    ok = "iu" if integer else "iuf"
    if k not in ok:
        what = f"array of {raw.dtype}" if raw.ndim else f"{show(value)} ({_type_name(value)})"
        raise TypeError(f"{name} must be {allowed_t}; got {what}")
    if k == "u" and raw.size and raw.max() > _INT64_MAX:
        raise ValueError(f"{name} must hold integers that fit in 64 bits; got {int(raw.max())}")
    with np.errstate(over="ignore", invalid="ignore"):
        arr = raw.astype(np.int64 if integer else np.float64)  # always a copy
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array; got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            dims = ["any" if s is None else str(s) for s in shape]
            want = "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"
            raise ValueError(f"{name} must have shape {want}; got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty; got an empty array")
    if arr.size == 0:
        return arr
    if not integer:
        if k == "f" and raw.dtype.itemsize > 8:  # long double beyond float64 → inf after the cast
            bad = np.isfinite(raw) & ~np.isfinite(arr)
            if bad.any():
                i = int(np.flatnonzero(bad.ravel())[0])
                raise ValueError(f"{name} must hold values representable as float64; got "
                                 f"{show(raw.ravel()[i])}{_where(arr, i)}")
        bad = np.isnan(arr) if not finite else ~np.isfinite(arr)
        if bad.any():
            i = int(np.flatnonzero(bad.ravel())[0])
            allowed = "finite" if finite else "numbers, not NaN"
            raise ValueError(f"{name} must be {allowed}; got {show(float(arr.ravel()[i]))}{_where(arr, i)}")
    lo_bad = np.zeros(arr.shape, bool) if low is None else (arr <= low if low_open else arr < low)
    hi_bad = np.zeros(arr.shape, bool) if high is None else (arr >= high if high_open else arr > high)
    bad = lo_bad | hi_bad
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        rng = range_text(low, high, low_open, high_open) or interval_text(low, high, low_open, high_open)
        u = f" {unit}" if unit else ""
        v = arr.ravel()[i]
        raise ValueError(f"{name} must be {rng}{u}; got {show(v.item())}{_where(arr, i)}")
    return arr
