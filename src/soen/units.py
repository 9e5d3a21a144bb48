"""Physical constants, Josephson-junction normalisation and unit conversions.

Users speak physical units (ns, µA, pH, nH); kernels use normalised quantities: time in
τ0 = Φ0 / (2π I_c r_j), currents in units of the junction critical current I_c, flux in units of
the flux quantum Φ0, inductance as β = 2π L I_c / Φ0. Conversions happen here, once.

Source of the normalisation and defaults: Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976 (PHENO, Shainline et al. 2023).

Example
-------
>>> from soen.units import DEFAULT_JJ
>>> round(DEFAULT_JJ.tau0_ps, 4)
1.2828
>>> round(DEFAULT_JJ.ns_to_tau(1.0), 2)
779.56
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from soen._validate import check_real

__all__ = [
    "PHI0_WB",
    "H_JS",
    "E_C",
    "C_M_PER_S",
    "K_B_J_PER_K",
    "JJ",
    "DEFAULT_JJ",
    "photon_energy_J",
]

#: Planck constant h [J s] (exact, SI 2019).
H_JS = 6.62607015e-34
#: Elementary charge e [C] (exact, SI 2019).
E_C = 1.602176634e-19
#: Flux quantum Φ0 = h / 2e [Wb].
PHI0_WB = H_JS / (2.0 * E_C)
#: Speed of light in vacuum c [m/s] (exact).
C_M_PER_S = 299_792_458.0
#: Boltzmann constant k_B [J/K] (exact, SI 2019).
K_B_J_PER_K = 1.380649e-23


def photon_energy_J(wavelength_um: float) -> float:
    """Energy of one photon, E = h c / λ, in joules; ``wavelength_um`` in µm (1.22 µm → 1.63e-19 J)."""
    if not (math.isfinite(wavelength_um) and wavelength_um > 0):
        raise ValueError(f"wavelength_um must be a positive finite number of µm, got {wavelength_um!r}")
    return H_JS * C_M_PER_S / (wavelength_um * 1e-6)


def _check_positive(name: str, value: float) -> float:
    """``value`` as a finite float > 0 (``soen._validate.check_real``)."""
    return check_real(name, value, low=0.0, low_open=True)


@dataclass(frozen=True)
class JJ:
    """Normalisation of an RCSJ (resistively and capacitively shunted) Josephson junction.

    Parameters
    ----------
    ic_uA : float
        Junction critical current I_c in µA (default 100 µA).
    beta_c : float
        Stewart–McCumber parameter β_c = 2π I_c r_j² C / Φ0 (dimensionless, default 0.3).
    gamma_F_per_A : float
        Capacitance per critical current γ = C / I_c in F/A (default 1.5e-9 F/A → C = 150 fF).

    Derived: C = γ I_c; r_j = sqrt(β_c Φ0 / (2π C I_c)); τ0 = Φ0 / (2π I_c r_j).
    At the defaults r_j = 2.5656 Ω, τ0 = 1.2828 ps and 1 ns = 779.56 τ0.
    """

    ic_uA: float = 100.0
    beta_c: float = 0.3
    gamma_F_per_A: float = 1.5e-9

    def __post_init__(self) -> None:
        for name in ("ic_uA", "beta_c", "gamma_F_per_A"):
            object.__setattr__(self, name, _check_positive(f"JJ.{name}", getattr(self, name)))

    # --- derived circuit quantities -------------------------------------------------------
    @property
    def ic_A(self) -> float:
        """Critical current I_c in A."""
        return self.ic_uA * 1e-6

    @property
    def capacitance_F(self) -> float:
        """Junction capacitance C = γ I_c in F."""
        return self.gamma_F_per_A * self.ic_A

    @property
    def r_j_ohm(self) -> float:
        """Shunt resistance r_j = sqrt(β_c Φ0 / (2π C I_c)) in Ω."""
        return math.sqrt(self.beta_c * PHI0_WB / (2.0 * math.pi * self.capacitance_F * self.ic_A))

    @property
    def tau0_s(self) -> float:
        """Time unit τ0 = Φ0 / (2π I_c r_j) in s."""
        return PHI0_WB / (2.0 * math.pi * self.ic_A * self.r_j_ohm)

    @property
    def tau0_ps(self) -> float:
        """Time unit τ0 in ps."""
        return self.tau0_s * 1e12

    @property
    def tau0_ns(self) -> float:
        """Time unit τ0 in ns."""
        return self.tau0_s * 1e9

    @property
    def voltage_unit_V(self) -> float:
        """Voltage unit I_c r_j in V (normalised voltage v = V / (I_c r_j) = dφ/dτ)."""
        return self.ic_A * self.r_j_ohm

    # --- conversions ----------------------------------------------------------------------
    def ns_to_tau(self, t_ns):
        """Convert a time in ns to normalised time τ (units of τ0). Works on arrays."""
        return t_ns / self.tau0_ns

    def tau_to_ns(self, tau):
        """Convert normalised time τ to ns. Works on arrays."""
        return tau * self.tau0_ns

    def uA_to_i(self, current_uA):
        """Convert a current in µA to normalised current i = I / I_c."""
        return current_uA / self.ic_uA

    def i_to_uA(self, i):
        """Convert a normalised current to µA."""
        return i * self.ic_uA

    def inductance_to_beta(self, L_nH):
        """Normalised inductance β = 2π L I_c / Φ0 for L in nH (β = 2π·100 ↔ L = 2.068 nH)."""
        return 2.0 * math.pi * (L_nH * 1e-9) * self.ic_A / PHI0_WB

    def beta_to_inductance_nH(self, beta):
        """Inverse of :meth:`inductance_to_beta`: L in nH."""
        return beta * PHI0_WB / (2.0 * math.pi * self.ic_A) * 1e9

    def alpha_from_tau(self, tau_ns, beta):
        """Leak α = r_leak / r_j of a loop with time constant τ = L / r_leak = (β/α) τ0 (τ in ns)."""
        return beta / self.ns_to_tau(tau_ns)

    def tau_from_alpha_ns(self, alpha, beta):
        """Loop time constant τ = (β/α) τ0 in ns."""
        return self.tau_to_ns(beta / alpha)

    def g_to_fluxons_per_ns(self, g):
        """Convert a normalised fluxon rate g = ⟨dφ/dτ⟩ to fluxons per ns: g / (2π τ0[ns])."""
        return g / (2.0 * math.pi * self.tau0_ns)

    def g_to_volts(self, g):
        """Mean voltage in V for a normalised rate g: V = g I_c r_j."""
        return g * self.voltage_unit_V


#: The default junction of Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976: I_c = 100 µA, β_c = 0.3, γ = 1.5e-9 F/A.
DEFAULT_JJ = JJ()
