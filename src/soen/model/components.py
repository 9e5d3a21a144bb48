"""Components of a SOEN loop neuron, as plain frozen parameter data with physical units.

No simulation code lives here: an engine compiles these into arrays (``soen.engine.compile``).
Model references: Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976 (PHENO: Shainline, Primavera & Khan, Phys. Rev. Research 5,
013164 (2023); LOOP19; KHAN22).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from soen._validate import check_number

__all__ = ["Synapse", "Dendrite", "Soma", "check_real", "FanInWarning"]


class FanInWarning(UserWarning):
    """A receiving loop can be driven beyond the monotonic half period of its SQUID (Φ0/2).

    The SQUID response is periodic in flux: past φ = ½ more input *lowers* the fluxon rate, so a
    dendrite whose inputs can drive its applied flux beyond ±½ (its excitatory maxima summed, or its
    inhibitory ones) stops integrating monotonically (fan-in limit, Primavera & Shainline, APL 119,
    242601 (2021); Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976).
    """

TWO_PI = 2.0 * math.pi


def check_real(owner: str, name: str, value, *, low=None, high=None, low_open=False, high_open=False,
               allow_none=False):
    """``value`` as a finite float in the range (``soen._validate.check_number`` for ``owner.name``)."""
    return check_number(f"{owner}.{name}", value, low=low, high=high, low_open=low_open, high_open=high_open,
                        allow_none=allow_none)


def _validate(obj, rules: dict) -> None:
    """Check the fields named in ``rules`` and store them as floats (None kept where allowed)."""
    owner = type(obj).__name__
    for f in fields(obj):
        if f.name in rules:
            object.__setattr__(obj, f.name, check_real(owner, f.name, getattr(obj, f.name), **rules[f.name]))


@dataclass(frozen=True)
class Synapse:
    """Single-photon-detector (SPD) synapse: a photon produces a flux pulse into a dendrite.

    Flux kernel, time t since the accepted photon (PHENO, Eq. for the SPD flux; Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976; Khan et al., Nature Electronics (2022))::

        φ_spd(t) = A (1 − e^(−t/τ_r))                         0 ≤ t ≤ t_hs
        φ_spd(t) = A (1 − e^(−t_hs/τ_r)) e^(−(t − t_hs)/τ_f)  t > t_hs,      A = φ_pk (1 − τ_r/τ_f)

    This is the solution of the SPD circuit (hotspot of duration t_hs, rise τ_r = L/(r1+r2), fall
    τ_f = L/r2) started from rest. A photon arriving while flux remains relaxes the flux from its
    present value φ⁻ towards A during the hotspot, ``φ(t) = A + (φ⁻ − A) e^(−t/τ_r)``, then decays with
    τ_f: the circuit's current cannot exceed its bias, so pulses saturate. A photon within
    ``dead_time_ns`` of the last accepted one is not detected. The flux reaching the dendrite is
    ``weight × φ_spd``; negative weights model inhibitory coupling of the synaptic loop.

    Parameters
    ----------
    tau_rise_ns : rise time constant τ_r in ns (default 0.02).
    tau_fall_ns : decay time constant τ_f in ns (default 50).
    hotspot_ns : hotspot duration t_hs in ns (default None → 3 τ_r).
    phi_peak : peak flux φ_pk in units of Φ0 (default 0.5).
    dead_time_ns : detector reset (dead) time in ns (default 50); must be ≥ the hotspot duration.
    """

    tau_rise_ns: float = 0.02
    tau_fall_ns: float = 50.0
    hotspot_ns: float | None = None
    phi_peak: float = 0.5
    dead_time_ns: float = 50.0

    def __post_init__(self) -> None:
        _validate(
            self,
            {
                "tau_rise_ns": dict(low=0.0, low_open=True),
                "tau_fall_ns": dict(low=0.0, low_open=True),
                "hotspot_ns": dict(low=0.0, allow_none=True),
                "phi_peak": dict(low=-1.0, high=1.0),
                "dead_time_ns": dict(low=0.0),
            },
        )
        if self.tau_fall_ns <= self.tau_rise_ns:
            raise ValueError(
                f"Synapse.tau_fall_ns must be > tau_rise_ns = {self.tau_rise_ns!r} ns; got {self.tau_fall_ns!r}"
            )
        if self.dead_time_ns < self.t_hs_ns:
            raise ValueError(
                f"Synapse.dead_time_ns must be >= the hotspot duration ({self.t_hs_ns!r} ns); got {self.dead_time_ns!r}"
            )

    @property
    def t_hs_ns(self) -> float:
        """Hotspot duration t_hs in ns (3 τ_r unless given)."""
        return 3.0 * self.tau_rise_ns if self.hotspot_ns is None else float(self.hotspot_ns)

    @property
    def amplitude(self) -> float:
        """Asymptote A = φ_pk (1 − τ_r/τ_f) of the rise phase (flux in Φ0)."""
        return self.phi_peak * (1.0 - self.tau_rise_ns / self.tau_fall_ns)

    def kernel(self, t_ns):
        """The single-photon flux kernel φ_spd(t) (array in ns → flux in Φ0); 0 for t < 0."""
        import numpy as np

        t = np.asarray(t_ns, dtype=float)
        a, tr, tf, ths = self.amplitude, self.tau_rise_ns, self.tau_fall_ns, self.t_hs_ns
        rise = a * (1.0 - np.exp(-np.clip(t, 0, ths) / tr))
        out = np.where(t <= ths, rise, a * (1.0 - math.exp(-ths / tr)) * np.exp(-(t - ths) / tf))
        return np.where(t < 0, 0.0, out)


@dataclass(frozen=True)
class Dendrite:
    """A dendrite: a SQUID that converts applied flux into fluxons stored in a leaky integration loop.

    Reduced model (PHENO; Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976), τ in units of τ0::

        β ds/dτ = g(φ_eff, i_b − s) − α s
        φ = φ_offset + Σ_syn w_k φ_spd,k + Σ_j J_ij s_j + J_self s

    with g the SQUID's fluxon rate from the circuit rate table (``soen.circuits``), φ_eff the flux
    folded into [0, ½], β = 2π L I_c / Φ0 the loop inductance and α = β τ0 / τ the leak.

    Parameters
    ----------
    tau_ns : loop time constant τ = L / r_leak in ns (default 250).
    beta : normalised loop inductance β (default 2π·100 ↔ 2.068 nH at I_c = 100 µA).
    bias : SQUID bias current i_b in units of I_c (default 1.8024).
    phi_offset : static flux offset in Φ0 (default 0).
    self_coupling : J_self, flux per unit s fed back into the dendrite itself (default 0).
    """

    tau_ns: float = 250.0
    beta: float = TWO_PI * 100.0
    bias: float = 1.8024
    phi_offset: float = 0.0
    self_coupling: float = 0.0

    def __post_init__(self) -> None:
        _validate(
            self,
            {
                "tau_ns": dict(low=0.0, low_open=True),
                "beta": dict(low=0.0, low_open=True),
                "bias": dict(low=0.0, high=2.5),
                "phi_offset": dict(),
                "self_coupling": dict(),
            },
        )


@dataclass(frozen=True)
class Soma(Dendrite):
    """The soma: a dendrite with a spiking threshold, an absolute refractory period and a refractory loop.

    When s reaches ``threshold`` the neuron emits a spike, s is reset and held at 0 for
    ``refractory_ns``, and a refractory dendrite (time constant ``refractory_tau_ns``) receives an
    SPD-like flux pulse of peak ``refractory_phi_peak``; it couples back into the soma with coupling
    ``refractory_coupling`` (negative). ``None`` chooses it automatically (Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976) so that at
    the refractory loop's peak its feedback cancels the largest excitatory flux of the monotonic half
    period, φ = ½, keeping the soma below threshold until the refractory current decays::

        J_ref = −½ / s_ref,peak

    with s_ref,peak the refractory dendrite's peak current after one spike (a fine Heun solve at
    compile time; ≈ −0.76 at the defaults, cf. ≈ −0.74 in the published model).

    Parameters (besides those of :class:`Dendrite`; τ defaults to 50 ns)
    ----------
    threshold : s_th, loop current (units of I_c) at which the soma spikes (default 0.5).
    refractory_ns : absolute refractory period in ns (default 10).
    refractory_tau_ns : time constant of the refractory dendrite in ns (default 50).
    refractory_phi_peak : peak flux of the refractory drive in Φ0 (default 0.5).
    refractory_coupling : J_ref (negative), or None for the automatic choice.
    """

    tau_ns: float = 50.0
    threshold: float = 0.5
    refractory_ns: float = 10.0
    refractory_tau_ns: float = 50.0
    refractory_phi_peak: float = 0.5
    refractory_coupling: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _validate(
            self,
            {
                "threshold": dict(low=0.0, low_open=True),
                "refractory_ns": dict(low=0.0),
                "refractory_tau_ns": dict(low=0.0, low_open=True),
                "refractory_phi_peak": dict(low=0.0, high=1.0),
                "refractory_coupling": dict(high=0.0, allow_none=True),
            },
        )
