"""Photon-budget planner: photons, energy and power per spike for a fan-out, geometry and target.

Given fan-out F, a path (length, crossings, plane changes, fibre facets), the loss figures of a
:class:`~soen.hardware.Hardware` and a target delivery probability P, the planner inverts the light
model of Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021):

.. math::

    μ = -\\ln(1 - P),\\qquad
    N_{emit} = μ F / η_{path},\\qquad
    η_{path} = η_c\\, 10^{-ℓ_{excess}\\lceil\\log_2 F\\rceil/10}\\, T\\, η_{det}

so that every one of the F targets receives μ detected photons on average. Energy per spike
E = N_emit h ν / η_LED + E_transmitter (4 K) and × (T_amb − T)/(T ε) at the wall (Shainline et al., Phys. Rev. Applied 7, 034013 (2017)).
Power per neuron at rate f is f (E_spike + F P E_spd) + P_static; the power-density limit gives the
maximum rate f_max = (p_lim A − P_static) / (E_spike + F P E_spd), A = area per neuron.

Example (the hand-worked case of the design notes)
-------
>>> r = plan_budget(fan_out=1000, target_mu=3.0, transmission=0.5, led_efficiency=1e-3, wavelength_um=1.22)
>>> round(r.photons_per_spike), round(r.light_energy_per_spike_J * 1e12, 3)
(6000, 0.977)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from soen.energy import CoolingChain, wall_plug_power_W
from soen.hardware import Hardware

from ._validate import real_scalar
from .light import split_stages

__all__ = ["LossTerm", "BudgetReport", "plan_budget"]


@dataclass(frozen=True)
class LossTerm:
    """One term of the loss budget.

    Attributes
    ----------
    name : what the term is.
    loss_db : its contribution to the path loss, dB.
    share : loss_db / total path loss (0 if the total is 0).
    unit : the unit step used for the sensitivity (e.g. "+1 crossing").
    db_per_unit : extra dB per unit step.
    extra_photons_per_unit : extra photons per spike needed per unit step, N (10^(Δ/10) − 1).
    """

    name: str
    loss_db: float
    share: float
    unit: str
    db_per_unit: float
    extra_photons_per_unit: float


@dataclass(frozen=True)
class BudgetReport:
    """Result of :func:`plan_budget` (energies in J, powers in W, rates in Hz).

    ``problems`` lists reasons the target is impossible (then ``feasible`` is False); ``warnings``
    lists design targets exceeded (e.g. power density above the limit at the requested rate).
    """

    fan_out: int
    target_probability: float
    mu_required: float
    split_stages: int
    split_efficiency: float
    path_efficiency: float
    path_loss_db: float
    photons_per_spike: float
    photons_detected_per_target: float
    light_energy_per_spike_J: float
    energy_per_spike_4K_J: float
    energy_per_spike_wall_J: float
    synapse_energy_per_spike_J: float
    cooling_W_per_W: float
    firing_rate_hz: float
    power_per_neuron_4K_W: float
    power_density_4K_W_per_cm2: float
    power_density_limit_W_per_cm2: float
    max_rate_power_hz: float
    max_rate_detector_hz: float
    max_rate_hz: float
    extra_photons_per_db: float
    loss_terms: tuple[LossTerm, ...]
    problems: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        """True when no problem makes the target impossible."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (loss terms as a list of dicts)."""
        d = asdict(self)
        d["feasible"] = self.feasible
        return d

    def __str__(self) -> str:
        lines = [
            f"fan-out {self.fan_out}, target P = {self.target_probability:.6g} (μ = {self.mu_required:.4g})",
            f"path efficiency (excl. 1/F) {self.path_efficiency:.4g} ({self.path_loss_db:.3f} dB)",
            f"photons per spike {self.photons_per_spike:.4g}",
            f"energy per spike {self.energy_per_spike_4K_J:.4g} J at 4 K, "
            f"{self.energy_per_spike_wall_J:.4g} J wall",
            f"max rate {self.max_rate_hz:.4g} Hz (power {self.max_rate_power_hz:.4g}, "
            f"detector {self.max_rate_detector_hz:.4g})",
        ]
        for t in self.loss_terms:
            lines.append(f"  {t.name:<24} {t.loss_db:8.3f} dB {100 * t.share:5.1f} %  "
                         f"{t.extra_photons_per_unit:10.4g} photons per {t.unit}")
        lines += [f"PROBLEM: {p}" for p in self.problems] + [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _efficiency_term(name: str, eta: float) -> tuple[str, float, str, float]:
    """Loss term of an efficiency η: −10 log10 η dB; sensitivity per −0.01 absolute efficiency."""
    per = -10.0 * math.log10(1.0 - 0.01 / eta) if eta > 0.01 else math.inf
    return (name, 0.0 - 10.0 * math.log10(eta), "−0.01 efficiency", per)


def plan_budget(hardware: Hardware | None = None, *, fan_out: int, target_probability: float | None = None,
                target_mu: float | None = None, length_um: float | None = None, n_crossings: float = 0.0,
                n_planes: float = 0.0, n_fibre_facets: float = 0.0, transmission: float | None = None,
                firing_rate_hz: float = 1.0e6, power_density_limit_W_per_cm2: float | None = None,
                **overrides: Any) -> BudgetReport:
    """Plan the photon budget of one transmitter.

    Parameters
    ----------
    hardware : Hardware, optional
        Loss figures, efficiencies and energies (default registry); ``overrides`` (any registry name,
        e.g. ``loss_db_per_cm=1.0``) are applied with ``hardware.replace``. The ``ideal`` flag is ignored.
    fan_out : int
        Number of targets F ≥ 1.
    target_probability : float, optional
        Delivery probability P per target (default 0.95). P = 1 is flagged impossible.
    target_mu : float, optional
        Mean detected photons per target instead of P (P = 1 − e^(−μ)).
    length_um : float, optional
        Waveguide length to the target, µm (default ``hardware.default_length_um``).
    n_crossings, n_planes, n_fibre_facets : float
        Waveguide crossings, interplane transitions and chip–fibre facets on the path.
    transmission : float, optional
        Give the whole non-splitting path efficiency η_path = η_c η_excess T η_det directly
        (0 < η ≤ 1), instead of computing it from the geometry and loss figures.
    firing_rate_hz : float
        Firing rate used for the power figures (default 1 MHz).
    power_density_limit_W_per_cm2 : float, optional
        Power-density limit at 4 K (default ``hardware.power_density_limit_W_per_cm2``).

    Returns
    -------
    BudgetReport
    """
    hw = Hardware() if hardware is None else hardware
    if not isinstance(hw, Hardware):
        raise TypeError(f"hardware must be a soen.hardware.Hardware, got {type(hw).__name__}")
    if overrides:
        hw = hw.replace(**overrides)
    if isinstance(fan_out, bool) or not isinstance(fan_out, int) or fan_out < 1:
        raise ValueError(f"fan_out must be an integer ≥ 1, got {fan_out!r}")
    problems: list[str] = []
    warnings: list[str] = []

    if target_mu is not None and target_probability is not None:
        raise ValueError("give target_probability or target_mu, not both")
    if target_mu is not None:
        mu = real_scalar("target_mu", target_mu, low=0.0, low_open=True, allow_inf=True)
        P = 1.0 if math.isinf(mu) else -math.expm1(-mu)
    else:
        P = 0.95 if target_probability is None else real_scalar(
            "target_probability", target_probability, low=0.0, high=1.0, low_open=True)
        mu = math.inf if P >= 1.0 else -math.log1p(-P)
    if math.isinf(mu):
        problems.append("target probability P = 1 is impossible: detection is Poisson, P = 1 − e^(−μ) < 1 "
                        "for any finite photon number (μ = −ln(1 − P) → ∞)")

    L = hw.default_length_um if length_um is None else real_scalar("length_um", length_um, low=0.0)
    nc = real_scalar("n_crossings", n_crossings, low=0.0)
    npl = real_scalar("n_planes", n_planes, low=0.0)
    nf = real_scalar("n_fibre_facets", n_fibre_facets, low=0.0)
    rate = real_scalar("firing_rate_hz", firing_rate_hz, low=0.0)
    p_lim = hw.power_density_limit_W_per_cm2 if power_density_limit_W_per_cm2 is None else real_scalar(
        "power_density_limit_W_per_cm2", power_density_limit_W_per_cm2, low=0.0, low_open=True)
    stages = int(split_stages(fan_out))

    if transmission is not None:
        eta_path = real_scalar("transmission", transmission, low=0.0, high=1.0, low_open=True)
        terms_db = [("total path (given)", -10.0 * math.log10(eta_path), "+1 dB", 1.0)]
    else:
        terms_db = [
            ("propagation", hw.loss_db_per_cm * L * 1e-4, "+1 mm length", hw.loss_db_per_cm * 0.1),
            ("crossings", nc * hw.crossing_loss_db, "+1 crossing", hw.crossing_loss_db),
            ("plane changes", npl * hw.interplane_loss_db, "+1 plane change", hw.interplane_loss_db),
            ("coupling", hw.coupling_loss_db, "+1 dB coupling", 1.0),
            ("fibre facets", nf * hw.fibre_coupling_loss_db, "+1 facet", hw.fibre_coupling_loss_db),
            ("split excess", stages * hw.split_excess_loss_db, "+0.1 dB per stage", 0.1 * stages),
            _efficiency_term("detector efficiency", hw.detector_efficiency),
            _efficiency_term("source coupling", hw.source_coupling_efficiency),
        ]
        eta_path = 10.0 ** (-sum(t[1] for t in terms_db) / 10.0)
    total_db = -10.0 * math.log10(eta_path)
    N = mu * fan_out / eta_path
    terms = tuple(
        LossTerm(name, db, db / total_db if total_db > 0 else 0.0, unit, dpu,
                 N * (10.0 ** (dpu / 10.0) - 1.0) if math.isfinite(N) else math.inf)
        for name, db, unit, dpu in terms_db
    )
    if math.isfinite(N) and N > hw.max_photons_per_spike:
        problems.append(f"needs {N:.3g} photons per spike, beyond the physical limit max_photons_per_spike = "
                        f"{hw.max_photons_per_spike:.3g} (reduce fan-out, loss or target)")

    e_ph = hw.photon_energy_J
    e_light = N * e_ph / hw.led_efficiency
    e_spike = e_light + hw.transmitter_energy_fJ * 1e-15
    chain = CoolingChain.from_hardware(hw)
    wpw = wall_plug_power_W(1.0, chain)
    e_syn = fan_out * P * hw.spd_energy_aJ * 1e-18
    p_static = hw.static_bias_power_nW_per_neuron * 1e-9
    area_cm2 = hw.area_per_neuron_um2 * 1e-8
    e_per_spike_all = e_spike + e_syn
    p_neuron = rate * e_per_spike_all + p_static if math.isfinite(e_per_spike_all) else math.inf
    p_dens = p_neuron / area_cm2
    headroom = p_lim * area_cm2 - p_static
    if headroom <= 0:
        f_pow = 0.0
        problems.append(f"static bias power {p_static:.3g} W per neuron alone exceeds the power-density "
                        "limit "
                        f"{p_lim:.3g} W/cm² × {area_cm2:.3g} cm²")
    else:
        f_pow = headroom / e_per_spike_all if e_per_spike_all > 0 else math.inf
    f_det = hw.max_detector_rate_hz
    if rate > f_det:
        problems.append(f"firing rate {rate:.3g} Hz is above the detector reset limit "
                        f"1/{hw.detector_reset_ns:g} ns "
                        f"= {f_det:.3g} Hz")
    if math.isfinite(p_dens) and p_dens > p_lim:
        warnings.append(f"power density {p_dens:.3g} W/cm² at {rate:.3g} Hz exceeds the limit "
                        f"{p_lim:.3g} W/cm² "
                        f"(max rate {f_pow:.3g} Hz)")
    return BudgetReport(
        fan_out=fan_out, target_probability=P, mu_required=mu, split_stages=stages,
        split_efficiency=10.0 ** (-hw.split_excess_loss_db * stages / 10.0) / fan_out,
        path_efficiency=eta_path, path_loss_db=total_db, photons_per_spike=N,
        photons_detected_per_target=mu, light_energy_per_spike_J=e_light, energy_per_spike_4K_J=e_spike,
        energy_per_spike_wall_J=e_spike * wpw, synapse_energy_per_spike_J=e_syn, cooling_W_per_W=wpw,
        firing_rate_hz=rate, power_per_neuron_4K_W=p_neuron, power_density_4K_W_per_cm2=p_dens,
        power_density_limit_W_per_cm2=p_lim, max_rate_power_hz=f_pow, max_rate_detector_hz=f_det,
        max_rate_hz=min(f_pow, f_det),
        extra_photons_per_db=N * (10.0 ** 0.1 - 1.0) if math.isfinite(N) else math.inf,
        loss_terms=terms, problems=tuple(problems), warnings=tuple(warnings),
    )
