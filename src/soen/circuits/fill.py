r"""Per-fluxon "fill curve" of the full dendrite circuit (SQUID + integration loop, Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976, PHENO).

The full RCSJ circuit of :mod:`soen.circuits.rcsj` (state φ_1, φ_2, φ̇_1, φ̇_2, s) is integrated from rest at
fixed applied flux φ_a and bias i_b. Every 2π slip of φ_1 adds Δs ≈ 2π/(β_di + 1/B) to the loop current s,
so the SQUID bias i_b − s falls and the fluxon rate slows until the dendrite saturates at
s_max = i_b − i_c(φ_a). The slip times t_n and loop currents s_n validate the quasi-static reduction used by
the reduced model::

    2π / (t_{n+1} − t_n)  ≈  r(φ, s; i_b) = g(φ, i_b − s)       with s = ⟨s⟩ over [t_n, t_{n+1}]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from soen.circuits._params import SquidParams, check_real
from soen.circuits.rcsj import fill_curve_kernel

__all__ = ["FillCurve", "fill_curve"]


@dataclass(frozen=True)
class FillCurve:
    """Result of :func:`fill_curve` (times in τ0, currents in I_c).

    Attributes
    ----------
    t_fluxon : numpy.ndarray
        Time of each 2π slip of φ_1 (interpolated crossing of 2π n), shape (n,).
    s_fluxon : numpy.ndarray
        Integration-loop current s at each slip, shape (n,).
    s_mid : numpy.ndarray
        Mid-point s between consecutive slips, shape (n − 1,).
    s_mean : numpy.ndarray
        Time-averaged s between consecutive slips, shape (n − 1,) (the SQUID spends most of each period in
        the slow pre-slip phase, so this is the s that the quasi-static rate should be evaluated at).
    g : numpy.ndarray
        Instantaneous normalised rate 2π / (t_{n+1} − t_n), shape (n − 1,), comparable with
        g(φ, i_b − s_mean).
    phi, i_b, t_end, s_end : float
        Inputs and the final time and loop current of the run.
    """

    t_fluxon: np.ndarray
    s_fluxon: np.ndarray
    s_mid: np.ndarray
    s_mean: np.ndarray
    g: np.ndarray
    phi: float
    i_b: float
    t_end: float
    s_end: float

    @property
    def fluxons_per_tau(self) -> np.ndarray:
        """Fluxon rate in fluxons per τ0 (= g / 2π)."""
        return self.g / (2.0 * math.pi)


def fill_curve(
    phi: float,
    i_b: float,
    *,
    beta_di: float = 2.0 * math.pi * 1e3,
    alpha: float = 0.0,
    dt: float = 0.1,
    t_max: float = 2.0e5,
    t_quiet: float = 5.0e3,
    max_fluxons: int = 100_000,
    **circuit: Any,
) -> FillCurve:
    """Integrate the full dendrite circuit from rest and record every fluxon as the loop fills.

    Parameters
    ----------
    phi : float
        Applied flux φ_a (units of Φ0).
    i_b : float
        Dendrite bias current (units of I_c, >= 0).
    beta_di : float
        Integration-loop inductance β_di (default 2π·10³, i.e. Δs ≈ 1e-3 per fluxon).
    alpha : float
        Loop leak α (default 0: no leak, the loop fills to saturation).
    dt : float
        RK4 step in τ0 (<= 0.2).
    t_max : float
        Longest integration time in τ0.
    t_quiet : float
        Stop after this long (τ0) without a fluxon (saturation reached).
    max_fluxons : int
        Capacity of the output arrays.
    **circuit
        SQUID parameters (``beta_c``, ``beta_1``, ``beta_2``, ``ic_1``, ``ic_2``).

    Returns
    -------
    FillCurve
    """
    p = SquidParams.from_kwargs(beta_di=beta_di, alpha=alpha, **circuit)
    phi = check_real("phi", phi)
    i_b = check_real("i_b", i_b, nonneg=True)
    dt = check_real("dt", dt, positive=True)
    if dt > 0.2:
        raise ValueError(f"dt must be <= 0.2 τ0, got {dt!r}")
    t_max = check_real("t_max", t_max, positive=True)
    t_quiet = check_real("t_quiet", t_quiet, positive=True)
    if isinstance(max_fluxons, bool) or not isinstance(max_fluxons, (int, np.integer)) or max_fluxons < 2:
        raise ValueError(f"max_fluxons must be an integer >= 2, got {max_fluxons!r}")
    t_out = np.zeros(int(max_fluxons))
    s_out = np.zeros(int(max_fluxons))
    sint = np.zeros(int(max_fluxons))
    n, t_end, s_end = fill_curve_kernel(
        phi, i_b, p.beta_c, p.beta_1, p.beta_2, p.ic_1, p.ic_2, p.beta_di, p.alpha, dt, t_max, t_quiet,
        t_out, s_out, sint,
    )  # fmt: skip
    t = t_out[:n].copy()
    s = s_out[:n].copy()
    dtn = np.diff(t)
    s_mean = np.diff(sint[:n]) / dtn if dtn.size else np.zeros(0)
    return FillCurve(
        t_fluxon=t,
        s_fluxon=s,
        s_mid=0.5 * (s[1:] + s[:-1]),
        s_mean=s_mean,
        g=2.0 * math.pi / dtn if dtn.size else np.zeros(0),
        phi=phi,
        i_b=i_b,
        t_end=float(t_end),
        s_end=float(s_end),
    )
