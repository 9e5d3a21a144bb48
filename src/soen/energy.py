"""Energy, power, cooling and area ledger of a run: a pure function of counts (Shainline et al., Phys. Rev. Applied 7, 034013 (2017)).

Equations (Shainline et al., Phys. Rev. Applied 7, 034013 (2017); SOEN-IV, PRA17, OI21):

* light energy per spike      E_light = N_emit h ν / η_LED
* transmitter                 E_spike = E_light + E_transmitter
* synapse event (SPD)         E_spd ≈ ½ L_spd I_spd²  (20 aJ, PRA17)
* dendrite fluxon             E_fluxon = I_b Φ0
* power at 4 K                P_4K = E_dynamic / duration + P_static(bias) + P_heat_leak
* wall-plug                   P_wall = Σ_stages P_stage (T_amb − T) / (T ε)   (ε = fraction of Carnot)

Example
-------
>>> led = energy_ledger(n_spikes=1000, n_synapse_events=50_000, n_fluxons=0, duration_ns=1e6,
...                     n_neurons=100, n_synapses=5000)
>>> round(led.energy_per_spike_J * 1e12, 3)          # 1e4 photons × 1.63e-19 J / 1e-3
1.628
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from soen.hardware import Hardware
from soen.units import PHI0_WB

__all__ = ["CoolingStage", "CoolingChain", "Ledger", "energy_ledger", "wall_plug_power_W"]


def _num(name: str, v: Any, *, low: float = 0.0, low_open: bool = False, high: float = math.inf,
         high_open: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) and not hasattr(v, "__float__"):
        raise TypeError(f"{name} must be a real number, got {v!r}")
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {v!r}") from None
    ok = math.isfinite(x) and (x > low if low_open else x >= low) and (x < high if high_open else x <= high)
    if not ok:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise ValueError(
            f"{name} = {v!r} is not allowed; expected a finite value in {lo}{low:g}, {high:g}{hi}"
        )
    return x


@dataclass(frozen=True)
class CoolingStage:
    """One refrigeration stage.

    Parameters
    ----------
    temperature_K : float
        Stage temperature T (0 < T < ambient).
    carnot_fraction : float
        ε, efficiency as a fraction of Carnot (0, 1]. Specific power (T_amb − T)/(T ε) W per W.
    extra_load_W : float
        Heat load at this stage besides the chip (heat leak through wiring, fibre, radiation).
    """

    temperature_K: float
    carnot_fraction: float
    extra_load_W: float = 0.0

    def __post_init__(self) -> None:
        _num("temperature_K", self.temperature_K, low_open=True)
        _num("carnot_fraction", self.carnot_fraction, low_open=True, high=1.0)
        _num("extra_load_W", self.extra_load_W)

    def specific_power(self, ambient_K: float = 300.0) -> float:
        """Wall-plug watts per watt removed at this stage, (T_amb − T)/(T ε)."""
        if self.temperature_K >= ambient_K:
            raise ValueError(
                f"temperature_K = {self.temperature_K!r} must be below ambient_K = {ambient_K!r}"
            )
        return (ambient_K - self.temperature_K) / (self.temperature_K * self.carnot_fraction)


@dataclass(frozen=True)
class CoolingChain:
    """Stages of a cryostat; the chip's 4 K power is removed by ``stages[chip_stage]`` (default the first).

    Default: one 4.2 K stage at ε = 0.3 → 234.8 W/W (Shainline et al., Phys. Rev. Applied 7, 034013 (2017): large plants ≈ 250 W/W).
    """

    stages: tuple[CoolingStage, ...] = (CoolingStage(4.2, 0.3),)
    ambient_K: float = 300.0
    chip_stage: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.stages, tuple) or not self.stages or \
                not all(isinstance(s, CoolingStage) for s in self.stages):
            raise TypeError(f"stages must be a non-empty tuple of CoolingStage, got {self.stages!r}")
        amb = _num("ambient_K", self.ambient_K, low_open=True)
        for s in self.stages:
            if s.temperature_K >= amb:
                raise ValueError(
                    f"stage temperature_K = {s.temperature_K!r} must be below ambient_K = {amb!r}"
                )
        if isinstance(self.chip_stage, bool) or not isinstance(self.chip_stage, int) \
                or not 0 <= self.chip_stage < len(self.stages):
            raise ValueError(
                f"chip_stage = {self.chip_stage!r} must index stages (0 … {len(self.stages) - 1})"
            )

    @classmethod
    def from_hardware(cls, hardware: Hardware) -> CoolingChain:
        """Single stage from the hardware's cooling_temperature_K, cooling_carnot_fraction, ambient."""
        return cls((CoolingStage(hardware.cooling_temperature_K, hardware.cooling_carnot_fraction),),
                   hardware.ambient_temperature_K)

    def wall_power_W(self, chip_power_W: float) -> float:
        """P_wall = Σ_stages P_stage (T_amb − T)/(T ε), P_stage = extra load (+ chip power at chip_stage)."""
        return wall_plug_power_W(chip_power_W, self)


def wall_plug_power_W(chip_power_W: float, chain: CoolingChain | None = None) -> float:
    """Wall-plug power to remove ``chip_power_W`` (plus each stage's extra load) through ``chain``.

    .. math:: P_{wall} = \\sum_{stages} P_{stage} (T_{amb} - T) / (T ε)

    (Shainline et al., Phys. Rev. Applied 7, 034013 (2017).)
    """
    chain = CoolingChain() if chain is None else chain
    p = _num("chip_power_W", chip_power_W)
    total = 0.0
    for i, s in enumerate(chain.stages):
        load = s.extra_load_W + (p if i == chain.chip_stage else 0.0)
        total += load * s.specific_power(chain.ambient_K)
    return total


@dataclass(frozen=True)
class Ledger:
    """Energy and power of a run (all energies in J, powers in W, areas in cm²).

    ``energy_by_component_J`` holds light, plasticity (update photons), transmitter, spd, fluxon,
    static (bias), heat_leak.
    ``energy_per_spike_J`` = (light + transmitter)/spikes; ``energy_per_synapse_event_J`` =
    (spd + fluxon)/synapse events; ``total_energy_per_synapse_event_J`` = everything/synapse events.
    Rates with a zero denominator are reported as NaN (no spikes) or inf (zero power).
    """

    n_spikes: float
    n_photons_emitted: float
    n_synapse_events: float
    n_fluxons: float
    duration_s: float
    n_neurons: int
    n_synapses: int
    energy_by_component_J: dict[str, float] = field(default_factory=dict)
    total_energy_J: float = 0.0
    energy_per_spike_J: float = math.nan
    energy_per_synapse_event_J: float = math.nan
    total_energy_per_synapse_event_J: float = math.nan
    power_4K_W: float = 0.0
    power_wall_W: float = 0.0
    cooling_W_per_W: float = 0.0
    synaptic_events_per_s: float = 0.0
    events_per_s_per_W_4K: float = math.nan
    events_per_s_per_W_wall: float = math.nan
    area_cm2: float = 0.0
    power_density_W_per_cm2: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-serialisable numbers)."""
        return asdict(self)

    def __str__(self) -> str:
        def e(x: float) -> str:
            return f"{x:.4g}"

        rows = [
            f"Energy ledger: {e(self.n_spikes)} spikes, {e(self.n_synapse_events)} synapse events, "
            f"{e(self.n_fluxons)} fluxons in {e(self.duration_s * 1e9)} ns "
            f"({self.n_neurons} neurons, {self.n_synapses} synapses)",
        ]
        tot = self.total_energy_J
        for k, v in self.energy_by_component_J.items():
            share = 100.0 * v / tot if tot > 0 else 0.0
            rows.append(f"  {k:<12} {e(v):>11} J  {share:5.1f} %")
        rows += [
            f"  {'total':<12} {e(tot):>11} J",
            f"energy per spike (light+transmitter): {e(self.energy_per_spike_J)} J",
            f"energy per synapse event (SPD+fluxons): {e(self.energy_per_synapse_event_J)} J; "
            f"all-in: {e(self.total_energy_per_synapse_event_J)} J",
            f"power at 4 K: {e(self.power_4K_W)} W; wall-plug: {e(self.power_wall_W)} W "
            f"({e(self.cooling_W_per_W)} W/W)",
            f"synaptic events/s per W: {e(self.events_per_s_per_W_4K)} at 4 K, "
            f"{e(self.events_per_s_per_W_wall)} at the wall",
            f"area: {e(self.area_cm2)} cm²; power density at 4 K: {e(self.power_density_W_per_cm2)} W/cm²",
        ]
        return "\n".join(rows)


def energy_ledger(*, n_spikes: float, n_synapse_events: float, n_fluxons: float, duration_ns: float,
                  n_neurons: int, n_synapses: int, n_photons_emitted: float | None = None,
                  n_update_photons: float = 0.0,
                  hardware: Hardware | None = None, cooling: CoolingChain | None = None,
                  static_power_W: float | None = None, heat_leak_W: float = 0.0,
                  area_um2: float | None = None) -> Ledger:
    """Energy ledger of a run from its counts (pure function).

    Parameters
    ----------
    n_spikes : total soma spikes (transmitter firings) in the run.
    n_synapse_events : total SPD detection events (photon- and dark-count-triggered).
    n_fluxons : total fluxons produced in all dendrites and somas.
    duration_ns : simulated time, ns (> 0).
    n_neurons, n_synapses : network size (for static power and area).
    n_photons_emitted : photons produced; default ``n_spikes × hardware.photons_per_spike``.
    n_update_photons : photons sent to drive plasticity updates (flux-storage synapses: attempts ×
        photons per update), costed like the spike light.
    hardware : parameters (default registry): η_LED, λ, E_transmitter, E_spd, I_b, static bias, area.
    cooling : cooling chain (default from ``hardware``: one stage at cooling_temperature_K, ε).
    static_power_W : static bias power at 4 K (default n_neurons × static_bias_power_nW_per_neuron).
    heat_leak_W : additional heat load on the chip stage, W.
    area_um2 : chip area (default n_neurons × area_per_neuron_um2).

    Returns
    -------
    Ledger

    Notes
    -----
    E_light = N_photons h ν / η_LED; E_plasticity = N_update_photons h ν / η_LED; E_tx = n_spikes E_transmitter; E_spd = n_events ½ L I²;
    E_fluxon = n_fluxons I_b Φ0; E_static = P_static × duration; P_4K = E_total / duration (heat leak
    included); P_wall via :func:`wall_plug_power_W` (Shainline et al., Phys. Rev. Applied 7, 034013 (2017)).
    """
    hw = Hardware() if hardware is None else hardware
    if not isinstance(hw, Hardware):
        raise TypeError(f"hardware must be a soen.hardware.Hardware, got {type(hw).__name__}")
    ns = _num("n_spikes", n_spikes)
    nev = _num("n_synapse_events", n_synapse_events)
    nfl = _num("n_fluxons", n_fluxons)
    dur_s = _num("duration_ns", duration_ns, low_open=True) * 1e-9
    for nm, v in (("n_neurons", n_neurons), ("n_synapses", n_synapses)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise TypeError(f"{nm} must be a non-negative int, got {v!r}")
    if n_photons_emitted is None:
        nph = ns * hw.photons_per_spike
    else:
        nph = _num("n_photons_emitted", n_photons_emitted)
    chain = CoolingChain.from_hardware(hw) if cooling is None else cooling
    if not isinstance(chain, CoolingChain):
        raise TypeError(f"cooling must be a CoolingChain, got {type(chain).__name__}")
    p_static = n_neurons * hw.static_bias_power_nW_per_neuron * 1e-9 if static_power_W is None \
        else _num("static_power_W", static_power_W)
    p_leak = _num("heat_leak_W", heat_leak_W)
    area_cm2 = (n_neurons * hw.area_per_neuron_um2 if area_um2 is None else _num("area_um2", area_um2)) * 1e-8

    comp = {
        "light": nph * hw.photon_energy_J / hw.led_efficiency,
        "plasticity": _num("n_update_photons", n_update_photons) * hw.photon_energy_J / hw.led_efficiency,
        "transmitter": ns * hw.transmitter_energy_fJ * 1e-15,
        "spd": nev * hw.spd_energy_aJ * 1e-18,
        "fluxon": nfl * hw.fluxon_bias_uA * 1e-6 * PHI0_WB,
        "static": p_static * dur_s,
        "heat_leak": p_leak * dur_s,
    }
    total = sum(comp.values())
    p4 = total / dur_s
    pwall = wall_plug_power_W(p4, chain)
    rate = nev / dur_s
    return Ledger(
        n_spikes=ns,
        n_photons_emitted=nph,
        n_synapse_events=nev,
        n_fluxons=nfl,
        duration_s=dur_s,
        n_neurons=n_neurons,
        n_synapses=n_synapses,
        energy_by_component_J=comp,
        total_energy_J=total,
        energy_per_spike_J=(comp["light"] + comp["transmitter"]) / ns if ns > 0 else math.nan,
        energy_per_synapse_event_J=(comp["spd"] + comp["fluxon"]) / nev if nev > 0 else math.nan,
        total_energy_per_synapse_event_J=total / nev if nev > 0 else math.nan,
        power_4K_W=p4,
        power_wall_W=pwall,
        cooling_W_per_W=(pwall / p4 if p4 > 0
                         else chain.stages[chain.chip_stage].specific_power(chain.ambient_K)),
        synaptic_events_per_s=rate,
        events_per_s_per_W_4K=rate / p4 if p4 > 0 else math.inf,
        events_per_s_per_W_wall=rate / pwall if pwall > 0 else math.inf,
        area_cm2=area_cm2,
        power_density_W_per_cm2=p4 / area_cm2 if area_cm2 > 0 else math.nan,
    )
