r"""The single-photon-detector (SPD) synapse: circuit form and phenomenological flux kernel.

Circuit form (Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976; Khan et al., Nature Electronics (2022); LOOP19, PRA17, KHAN22). A photon absorbed by the SPD creates a hotspot of
resistance r1 (≈ 5 kΩ) for a time t0 (≈ 200 ps); the SPD bias I_spd diverts into the synaptic branch
(total inductance L_tot, resistance r2), whose inductor couples flux into the dendrite by the mutual
inductance M::

    I(t) = I_spd r1/(r1+r2) (1 − e^(−t/τ+))          0 ≤ t ≤ t0,   τ+ = L_tot/(r1+r2)
    I(t) = I(t0) e^(−(t−t0)/τ−)                      t > t0,       τ− = L_tot/r2

Phenomenological kernel (PHENO), t since the accepted photon::

    φ_spd(t) = φ_pk (1 − τ_r/τ_f)(1 − e^(−t/τ_r))                              t ≤ t_hs
    φ_spd(t) = φ_pk (1 − τ_r/τ_f)(1 − e^(−t_hs/τ_r)) e^(−(t − t_hs)/τ_f)      t > t_hs

Mapping: τ_r = τ+, τ_f = τ−, t_hs = t0 and φ_pk = M I_spd / Φ0. Because τ+/τ− = r2/(r1+r2), the factor
(1 − τ_r/τ_f) equals r1/(r1+r2), so with this mapping φ_spd(t) = M I(t)/Φ0 *exactly*; the amplitude of the
current plateau is φ_pk(1 − τ_r/τ_f) = M I_spd r1/(r1+r2)/Φ0. Energy per detection (PRA17): E = ½ L I_spd²
(≈ 20 aJ at 100 nH, 20 µA).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from soen.circuits._params import check_finite_array, check_real
from soen.units import PHI0_WB

__all__ = ["SPDKernel", "SPDCircuit", "spd_flux", "spd_current_uA"]


@dataclass(frozen=True)
class SPDKernel:
    """Phenomenological SPD flux kernel φ_spd(t) (PHENO; equation in the module docstring).

    Parameters
    ----------
    phi_peak : float
        φ_pk, flux scale in Φ0 (default 0.5).
    tau_rise_ns : float
        τ_r in ns (default 0.02).
    tau_fall_ns : float
        τ_f in ns (default 50), must exceed ``tau_rise_ns``.
    t_hotspot_ns : float or None
        t_hs in ns; ``None`` means 3 τ_r (default).
    dead_time_ns : float
        Reset time in ns (default 50): a photon within this time of the last accepted one is not detected.
    """

    phi_peak: float = 0.5
    tau_rise_ns: float = 0.02
    tau_fall_ns: float = 50.0
    t_hotspot_ns: float | None = None
    dead_time_ns: float = 50.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "phi_peak", check_real("phi_peak", self.phi_peak))
        object.__setattr__(self, "tau_rise_ns", check_real("tau_rise_ns", self.tau_rise_ns, positive=True))
        object.__setattr__(self, "tau_fall_ns", check_real("tau_fall_ns", self.tau_fall_ns, positive=True))
        if self.tau_fall_ns <= self.tau_rise_ns:
            raise ValueError(
                f"tau_fall_ns must exceed tau_rise_ns ({self.tau_rise_ns}), got {self.tau_fall_ns!r}"
            )
        t_hs = 3.0 * self.tau_rise_ns if self.t_hotspot_ns is None else self.t_hotspot_ns
        object.__setattr__(self, "t_hotspot_ns", check_real("t_hotspot_ns", t_hs, positive=True))
        object.__setattr__(self, "dead_time_ns", check_real("dead_time_ns", self.dead_time_ns, nonneg=True))

    @property
    def plateau(self) -> float:
        """Peak flux reached at t = t_hs: φ_pk (1 − τ_r/τ_f)(1 − e^(−t_hs/τ_r))."""
        return (
            self.phi_peak
            * (1.0 - self.tau_rise_ns / self.tau_fall_ns)
            * (1.0 - math.exp(-self.t_hotspot_ns / self.tau_rise_ns))
        )

    def __call__(self, t_ns: Any) -> np.ndarray:
        """φ_spd(t) in Φ0 for t in ns since the photon (0 for t < 0)."""
        return spd_flux(
            t_ns,
            phi_peak=self.phi_peak,
            tau_rise_ns=self.tau_rise_ns,
            tau_fall_ns=self.tau_fall_ns,
            t_hotspot_ns=self.t_hotspot_ns,
        )

    def to_circuit(self, *, L_tot_nH: float = 100.0, I_spd_uA: float = 20.0) -> SPDCircuit:
        """Circuit with the same time constants: r2 = L/τ_f, r1 = L/τ_r − r2, t0 = t_hs, M = φ_pk Φ0/I_spd."""
        L = check_real("L_tot_nH", L_tot_nH, positive=True)
        I_spd = check_real("I_spd_uA", I_spd_uA, positive=True)
        r2 = L / self.tau_fall_ns  # nH / ns = Ω
        r1 = L / self.tau_rise_ns - r2
        M_pH = self.phi_peak * PHI0_WB / (I_spd * 1e-6) * 1e12
        return SPDCircuit(
            L_tot_nH=L, r1_ohm=r1, r2_ohm=r2, t0_ns=self.t_hotspot_ns, I_spd_uA=I_spd, M_pH=M_pH
        )


def spd_flux(
    t_ns: Any,
    *,
    phi_peak: float = 0.5,
    tau_rise_ns: float = 0.02,
    tau_fall_ns: float = 50.0,
    t_hotspot_ns: float | None = None,
) -> np.ndarray:
    """Phenomenological SPD flux φ_spd(t) in Φ0 (PHENO; module docstring), t in ns; 0 for t < 0."""
    t = check_finite_array("t_ns", t_ns)
    tr = check_real("tau_rise_ns", tau_rise_ns, positive=True)
    tf = check_real("tau_fall_ns", tau_fall_ns, positive=True)
    ths = check_real("t_hotspot_ns", 3.0 * tr if t_hotspot_ns is None else t_hotspot_ns, positive=True)
    pk = check_real("phi_peak", phi_peak)
    amp = pk * (1.0 - tr / tf)
    rise = amp * (1.0 - np.exp(-np.clip(t, 0.0, ths) / tr))
    fall = amp * (1.0 - math.exp(-ths / tr)) * np.exp(-np.maximum(t - ths, 0.0) / tf)
    return np.where(t < 0, 0.0, np.where(t <= ths, rise, fall))


@dataclass(frozen=True)
class SPDCircuit:
    """SPD synapse circuit (LOOP19, PRA17, KHAN22; equation in the module docstring).

    Parameters
    ----------
    L_tot_nH : float
        Total inductance of the SPD/synaptic branch in nH (default 100).
    r1_ohm : float
        Hotspot resistance in Ω (default 5000, giving τ+ ≈ 20 ps).
    r2_ohm : float
        Branch resistance in Ω (default 2, giving τ− = 50 ns).
    t0_ns : float
        Hotspot lifetime in ns (default 0.2).
    I_spd_uA : float
        SPD bias current in µA (default 20).
    M_pH : float
        Mutual inductance to the dendrite in pH (default 51.7, φ_pk ≈ 0.5 at 20 µA).
    """

    L_tot_nH: float = 100.0
    r1_ohm: float = 5000.0
    r2_ohm: float = 2.0
    t0_ns: float = 0.2
    I_spd_uA: float = 20.0
    M_pH: float = 0.5 * PHI0_WB / 20e-6 * 1e12

    def __post_init__(self) -> None:
        for name in ("L_tot_nH", "r1_ohm", "r2_ohm", "t0_ns", "I_spd_uA"):
            object.__setattr__(self, name, check_real(name, getattr(self, name), positive=True))
        object.__setattr__(self, "M_pH", check_real("M_pH", self.M_pH))

    @property
    def tau_plus_ns(self) -> float:
        """Rise time τ+ = L_tot/(r1 + r2) in ns."""
        return self.L_tot_nH / (self.r1_ohm + self.r2_ohm)

    @property
    def tau_minus_ns(self) -> float:
        """Decay time τ− = L_tot/r2 in ns."""
        return self.L_tot_nH / self.r2_ohm

    @property
    def energy_aJ(self) -> float:
        """Energy per detection ½ L_tot I_spd² in aJ (PRA17)."""
        return 0.5 * (self.L_tot_nH * 1e-9) * (self.I_spd_uA * 1e-6) ** 2 * 1e18

    @property
    def phi_peak(self) -> float:
        """φ_pk = M I_spd / Φ0 of the equivalent phenomenological kernel."""
        return self.M_pH * 1e-12 * self.I_spd_uA * 1e-6 / PHI0_WB

    def current_uA(self, t_ns: Any) -> np.ndarray:
        """Branch current I(t) in µA, t in ns since the photon (0 for t < 0)."""
        return spd_current_uA(
            t_ns,
            L_tot_nH=self.L_tot_nH,
            r1_ohm=self.r1_ohm,
            r2_ohm=self.r2_ohm,
            t0_ns=self.t0_ns,
            I_spd_uA=self.I_spd_uA,
        )

    def flux(self, t_ns: Any) -> np.ndarray:
        """Flux M I(t)/Φ0 coupled into the dendrite, in Φ0."""
        return self.M_pH * 1e-12 * self.current_uA(t_ns) * 1e-6 / PHI0_WB

    def to_kernel(self, *, dead_time_ns: float = 50.0) -> SPDKernel:
        """Equivalent phenomenological kernel: τ_r = τ+, τ_f = τ−, t_hs = t0, φ_pk = M I_spd/Φ0."""
        return SPDKernel(
            phi_peak=self.phi_peak,
            tau_rise_ns=self.tau_plus_ns,
            tau_fall_ns=self.tau_minus_ns,
            t_hotspot_ns=self.t0_ns,
            dead_time_ns=dead_time_ns,
        )


def spd_current_uA(
    t_ns: Any,
    *,
    L_tot_nH: float = 100.0,
    r1_ohm: float = 5000.0,
    r2_ohm: float = 2.0,
    t0_ns: float = 0.2,
    I_spd_uA: float = 20.0,
) -> np.ndarray:
    """SPD branch current I(t) in µA (circuit form, module docstring); t in ns, 0 for t < 0."""
    t = check_finite_array("t_ns", t_ns)
    L = check_real("L_tot_nH", L_tot_nH, positive=True)
    r1 = check_real("r1_ohm", r1_ohm, positive=True)
    r2 = check_real("r2_ohm", r2_ohm, positive=True)
    t0 = check_real("t0_ns", t0_ns, positive=True)
    I_spd = check_real("I_spd_uA", I_spd_uA, positive=True)
    tau_p = L / (r1 + r2)
    tau_m = L / r2
    amp = I_spd * r1 / (r1 + r2)
    rise = amp * (1.0 - np.exp(-np.clip(t, 0.0, t0) / tau_p))
    fall = amp * (1.0 - math.exp(-t0 / tau_p)) * np.exp(-np.maximum(t - t0, 0.0) / tau_m)
    return np.where(t < 0, 0.0, np.where(t <= t0, rise, fall))
