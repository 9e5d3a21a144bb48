"""Circuit parameters of the two-junction "ri" dendrite and input validation helpers.

All quantities are normalised (Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976): inductances as β = 2π L I_c / Φ0, currents in units of
the reference junction critical current I_c, leak as α = r_leak / r_j.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from soen import _validate as _v

__all__ = ["SquidParams", "check_real", "check_finite_array"]


def check_real(name: str, value: Any, *, positive: bool = False, nonneg: bool = False) -> float:
    """``value`` as a finite float (> 0 with ``positive``, >= 0 with ``nonneg``); see ``soen._validate``."""
    return _v.check_real(name, value, low=0.0 if positive or nonneg else None, low_open=positive)


def check_finite_array(name: str, value: Any, *, nonneg: bool = False) -> np.ndarray:
    """``value`` as a new float64 array of finite values (>= 0 with ``nonneg``); see ``soen._validate``."""
    return _v.check_array(name, value, low=0.0 if nonneg else None)


@dataclass(frozen=True)
class SquidParams:
    """Normalised parameters of the "ri" dendrite circuit (Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976, PHENO).

    Parameters
    ----------
    beta_c : float
        Stewart–McCumber parameter of the junctions, β_c = 2π I_c r_j² C / Φ0 (> 0; default 0.3).
    beta_1, beta_2 : float
        Normalised inductances of the two SQUID arms (default π/2 each, β_sq = π).
    ic_1, ic_2 : float
        Critical currents of junctions J1 and J2 relative to the reference I_c (default 1, 1).
        A junction with relative critical current a has a·β_c φ̈ + a φ̇ + a sin φ = i (its capacitance
        scales with I_c and its shunt resistance inversely, so β_c is common, Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976).
    beta_di : float
        Normalised inductance of the integration loop (only used by the full circuit; default 2π·10³).
    alpha : float
        Leak α = r_leak / r_j of the integration loop (only used by the full circuit; default 0).
    """

    beta_c: float = 0.3
    beta_1: float = math.pi / 2
    beta_2: float = math.pi / 2
    ic_1: float = 1.0
    ic_2: float = 1.0
    beta_di: float = 2.0 * math.pi * 1e3
    alpha: float = 0.0

    def __post_init__(self) -> None:
        for name in ("beta_c", "beta_1", "beta_2", "ic_1", "ic_2", "beta_di"):
            object.__setattr__(self, name, check_real(f"SquidParams.{name}", getattr(self, name), positive=True))
        object.__setattr__(self, "alpha", check_real("SquidParams.alpha", self.alpha, nonneg=True))

    @classmethod
    def from_kwargs(cls, **circuit: Any) -> SquidParams:
        """Build from keyword arguments, rejecting unknown names with a helpful message."""
        allowed = set(cls.__dataclass_fields__)
        unknown = sorted(set(circuit) - allowed)
        if unknown:
            raise TypeError(f"unknown circuit parameter(s) {unknown}; allowed: {sorted(allowed)}")
        return cls(**circuit)

    def squid_dict(self) -> dict[str, float]:
        """The parameters that determine the SQUID rate g(φ, i_sq) (not β_di, α)."""
        d = asdict(self)
        d.pop("beta_di")
        d.pop("alpha")
        return d

    def as_dict(self) -> dict[str, float]:
        """All parameters as a plain dict."""
        return asdict(self)

    @property
    def symmetric(self) -> bool:
        """True when the SQUID is mirror-symmetric (g(φ) = g(1 − φ))."""
        return self.beta_1 == self.beta_2 and self.ic_1 == self.ic_2
