"""Fluxon rate of the dendrite's SQUID from the RCSJ circuit (Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976, PHENO).

:func:`squid_rate` integrates the two-junction SQUID alone (integration-loop current s held fixed, so the
SQUID sees the bias i_sq = i_b − s) and returns the steady-state normalised mean voltage
g(φ_a, i_sq) = ⟨dφ_1/dτ⟩ = 2π × (fluxons per τ0). The equations are in :mod:`soen.circuits.rcsj`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from soen.circuits._params import SquidParams, check_finite_array, check_real
from soen.circuits.rcsj import squid_rate_kernel

__all__ = ["squid_rate", "DEFAULT_NUMERICS"]

#: Default numerical settings of the slip counter (all times in τ0).
DEFAULT_NUMERICS: dict[str, float] = {
    "dt": 0.1,  # RK4 step
    "t_transient": 500.0,  # discarded start-up transient (plus 2 slips)
    "n_slips": 50,  # at least this many whole slips are averaged ...
    "t_window": 500.0,  # ... over at least this long a window (adaptive near threshold)
    "t_max": 30000.0,  # give up here; fewer slips are then averaged, none -> g = 0
}


def _numerics(overrides: dict[str, Any]) -> dict[str, float]:
    num = dict(DEFAULT_NUMERICS)
    for key, value in overrides.items():
        if key not in num:
            raise TypeError(f"unknown numerical setting {key!r}; allowed: {sorted(num)}")
        num[key] = value
    num["dt"] = check_real("dt", num["dt"], positive=True)
    if num["dt"] > 0.2:
        raise ValueError(f"dt must be <= 0.2 τ0 for an accurate RK4 solve, got {num['dt']!r}")
    for key in ("t_transient", "t_window", "t_max"):
        num[key] = check_real(key, num[key], nonneg=True)
    n = num["n_slips"]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n_slips must be an integer >= 1, got {n!r}")
    num["n_slips"] = int(n)
    if num["t_max"] <= num["t_transient"]:
        raise ValueError(f"t_max must exceed t_transient ({num['t_transient']}), got {num['t_max']!r}")
    return num


def squid_rate(
    phi: Any,
    i_sq: Any,
    *,
    dt: float = DEFAULT_NUMERICS["dt"],
    t_transient: float = DEFAULT_NUMERICS["t_transient"],
    n_slips: int = int(DEFAULT_NUMERICS["n_slips"]),
    t_window: float = DEFAULT_NUMERICS["t_window"],
    t_max: float = DEFAULT_NUMERICS["t_max"],
    **circuit: Any,
) -> np.ndarray:
    r"""Steady-state fluxon rate g(φ_a, i_sq) of the SQUID alone, by direct RCSJ integration.

    The SQUID (Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976; equations in :mod:`soen.circuits.rcsj`) starts from rest with bias i_sq and
    applied flux φ_a switched on at τ = 0 and is integrated with RK4 at step ``dt``. After ``t_transient``
    and two further slips, whole 2π slips of φ_1 are counted between interpolated crossing times until at
    least ``n_slips`` slips *and* a window of ``t_window`` have been covered (so slow points near
    threshold, whose period diverges as (i − i_c)^(−1/2), are averaged longer), or until ``t_max``.
    ``g = 2π N / (t_N − t_0)``; 0 when no whole slip occurs (below threshold, or a static state is
    reached).

    Parameters
    ----------
    phi : array_like
        Applied flux φ_a in units of Φ0 (any real; broadcast against ``i_sq``).
    i_sq : array_like
        SQUID bias current in units of I_c (finite, >= 0).
    dt, t_transient, n_slips, t_window, t_max
        Numerical settings, times in τ0 (defaults in :data:`DEFAULT_NUMERICS`).
    **circuit
        Circuit parameters of :class:`~soen.circuits._params.SquidParams` (``beta_c``, ``beta_1``,
        ``beta_2``, ``ic_1``, ``ic_2``; ``beta_di`` and ``alpha`` are accepted and ignored here).

    Returns
    -------
    numpy.ndarray
        g = ⟨dφ_1/dτ⟩ (normalised mean voltage, 2π × fluxons per τ0), float64, broadcast shape.

    Examples
    --------
    >>> from soen.circuits import squid_rate
    >>> round(float(squid_rate(0.5, 1.725)), 4)
    0.5148
    """
    p = SquidParams.from_kwargs(**circuit)
    num = _numerics(
        {"dt": dt, "t_transient": t_transient, "n_slips": n_slips, "t_window": t_window, "t_max": t_max}
    )
    phi_a = check_finite_array("phi", phi)
    i_a = check_finite_array("i_sq", i_sq, nonneg=True)
    try:
        phi_b, i_b = np.broadcast_arrays(phi_a, i_a)
    except ValueError:
        raise ValueError(
            f"phi and i_sq must have broadcastable shapes, got {phi_a.shape} and {i_a.shape}"
        ) from None
    shape = phi_b.shape
    flat_phi = np.ascontiguousarray(phi_b, dtype=np.float64).ravel()
    flat_i = np.ascontiguousarray(i_b, dtype=np.float64).ravel()
    out = np.zeros(flat_phi.shape[0], dtype=np.float64)
    if out.size:
        squid_rate_kernel(
            flat_phi,
            flat_i,
            p.beta_c,
            p.beta_1,
            p.beta_2,
            p.ic_1,
            p.ic_2,
            num["dt"],
            num["t_transient"],
            num["n_slips"],
            num["t_window"],
            num["t_max"],
            out,
        )
    return out.reshape(shape)
