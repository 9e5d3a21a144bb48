"""Checks of the run-level arguments (time step, seed, duration on the time grid, threads, paths)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

__all__ = ["check_dt_ns", "check_seed", "steps_of", "check_threads", "check_writable", "check_memory"]

#: relative tolerance of the grid rule: a time within this of a whole number of steps is on the grid
GRID_RTOL = 1e-9


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    return float(value)


def check_dt_ns(dt_ns) -> float:
    v = _number("dt_ns", dt_ns)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"dt_ns must be a positive finite number of ns, got {dt_ns!r}")
    return v


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a non-negative integer below 2**63, got {seed!r}")
    if not 0 <= int(seed) < 2**63:
        raise ValueError(f"seed must be a non-negative integer below 2**63, got {seed!r}")
    return int(seed)


def steps_of(name: str, value_ns, dt_ns: float, *, low: int = 0) -> int:
    """``value_ns`` as a whole number of steps of ``dt_ns`` (within GRID_RTOL), or a ValueError naming the
    nearest values on the grid."""
    v = _number(name, value_ns)
    if not math.isfinite(v) or (low >= 1 and v <= 0) or v < 0:
        raise ValueError(f"{name} must be a {'positive' if low >= 1 else 'non-negative'} finite number of ns "
                         f"(a whole number of steps of dt_ns={dt_ns!r}), got {value_ns!r}")
    x = v / dt_ns
    k = round(x)
    if abs(x - k) > GRID_RTOL * max(1.0, abs(x)):
        lo, hi = math.floor(x), math.ceil(x)
        raise ValueError(f"{name}={value_ns!r} ns is not a whole number of time steps (dt_ns={dt_ns!r}); "
                         f"nearest allowed: {lo * dt_ns:.12g} or {hi * dt_ns:.12g} ns")
    if k < low:
        raise ValueError(f"{name} must be at least {low * dt_ns:g} ns ({low} steps of dt_ns={dt_ns!r}), "
                         f"got {value_ns!r}")
    return int(k)


def check_threads(threads):
    import numba

    mx = numba.config.NUMBA_NUM_THREADS
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or not 1 <= threads <= mx:
        raise ValueError(f"threads must be an integer in 1..{mx} (the cores Numba may use), got {threads!r}")
    return int(threads)


def check_writable(name: str, path) -> Path:
    """A path a file can be created at: its folder exists and is writable, and it is not a folder."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path, got {path!r}")
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{name}={str(p)!r} is a folder; give a file path")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{name}={str(p)!r}: the folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise PermissionError(f"{name}={str(p)!r} cannot be written (no write permission)")
    return p


def available_bytes() -> int:
    """Memory this process may still use (physical memory available, from the OS)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 2**62


def check_memory(what: str, need_bytes: float) -> None:
    """Refuse (ValueError, with the figure) an allocation that would not fit in the available memory,
    before it is attempted."""
    have = available_bytes()
    if need_bytes > have:
        raise ValueError(f"{what} needs about {need_bytes / 2**30:.2f} GiB, but only {have / 2**30:.2f} GiB of "
                          f"memory is available on this machine; make it smaller")
