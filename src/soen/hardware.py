"""The hardware registry: every default physical parameter of the optoelectronic hardware, in one place.

Each default is a :class:`Param` record holding its value, unit, allowed range and *source*
(Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976; Khan et al., Nature Electronics (2022)–§6 and the papers named there: PRA17, SOEN-IV, CD18, OI21, KHAN22). Values that
the published model does not give are marked ``assumption`` in their source, with the reasoning.

A :class:`Hardware` object is a frozen, validated set of these parameters, built from the defaults
with overrides in exactly one place::

    >>> from soen.hardware import Hardware
    >>> hw = Hardware(loss_db_per_cm=1.0, detector_efficiency=0.9)
    >>> hw.loss_db_per_cm, hw.group_index          # group index from the default material (SiN)
    (1.0, 2.0)
    >>> Hardware.default().replace(material="Si").loss_db_per_cm
    3.5
    >>> Hardware(ideal=True).ideal
    True

Unknown names raise :class:`TypeError` listing the allowed names; values out of range raise
:class:`ValueError` naming the parameter, the value and the allowed range.

``ideal=True`` means: no loss, every synapse fires on every spike, one fixed delay
(``ideal_delay_ns``), no jitter, no dark counts, no device spread, perfect yield. The parameter values
are kept (energy accounting still uses them); the link compiler and samplers honour the flag.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from soen._validate import as_real, check_bool, in_range, interval_text, show

__all__ = ["Param", "PARAMETERS", "MATERIALS", "Hardware", "DEFAULT_HARDWARE"]


@dataclass(frozen=True)
class Param:
    """One registry record: a default value with unit, allowed range and source.

    ``low``/``high`` bound the allowed range; ``low_open``/``high_open`` make a bound strict.
    For string parameters ``choices`` lists the allowed values; boolean parameters have ``kind="bool"``.
    """

    name: str
    value: Any
    unit: str
    source: str
    description: str
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    kind: str = "float"  # "float" | "str" | "bool"
    choices: tuple[str, ...] = ()

    def range_text(self) -> str:
        """Human-readable allowed range, e.g. ``(0, 1]``."""
        if self.kind == "str":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "bool":
            return "True or False"
        return interval_text(self.low, self.high, self.low_open, self.high_open)

    def check(self, value: Any) -> Any:
        """Return ``value`` converted to the parameter's type, or raise TypeError/ValueError."""
        if self.kind == "bool":
            return check_bool(f"Hardware parameter {self.name!r}", value)
        if self.kind == "str":
            if not isinstance(value, str):
                raise TypeError(f"Hardware parameter {self.name!r} must be a string, {self.range_text()}; "
                                f"got {show(value)} ({type(value).__name__})")
            if value not in self.choices:
                raise ValueError(
                    f"Hardware parameter {self.name!r} = {value!r} is not allowed; use {self.range_text()}"
                )
            return value
        v = as_real(value)  # bool, str, None, complex → None; numpy scalars accepted
        unit = "" if self.unit in ("", "1") else f" {self.unit}"
        if v is None:
            raise TypeError(
                f"Hardware parameter {self.name!r} must be a real number ({self.range_text()}{unit}); "
                f"got {show(value)} ({type(value).__name__})"
            )
        try:
            v = float(v)
        except OverflowError:
            v = math.inf
        if not (math.isfinite(v) and in_range(v, self.low, self.high, self.low_open, self.high_open)):
            raise ValueError(
                f"Hardware parameter {self.name!r} = {show(value)}{unit} is out of range; "
                f"allowed {self.range_text()}{unit}"
            )
        return v


#: Waveguide materials: propagation loss [dB/cm] and group index, with sources (Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021)).
MATERIALS: dict[str, dict[str, Any]] = {
    "SiN": {
        "loss_db_per_cm": 0.5,
        "group_index": 2.0,
        "source": "Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021): SiN loss 0.07–1.5 dB/cm (0.5 chosen mid-range); n_g ≈ 2 (6.7 ps/mm)",
    },
    "Si": {
        "loss_db_per_cm": 3.5,
        "group_index": 4.2,
        "source": "Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021): Si strip loss 3–4 dB/cm (3.5 mid-range); n_g ≈ 4.2 (14 ps/mm)",
    },
}

_P = Param
_records = [
    # --- transmitter / light source --------------------------------------------------------------
    _P("wavelength_um", 1.22, "µm", "Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976 (SOEN-IV): 1.22 µm, photon energy 1.63e-19 J",
       "emission wavelength", 0.2, 20.0, low_open=False),
    _P("photons_per_spike", 1.0e4, "photons", "Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976 (SOEN-IV, CD18): design target 1e4 per spike",
       "N_emit, photons produced by the transmitter per spike", 0.0, 1e12, low_open=True),
    _P("max_photons_per_spike", 1.0e6, "photons",
       "assumption: 100× the SOEN-IV design target, beyond which the transmitter amplifier is not credible",
       "physical limit used by the budget planner to flag impossible designs", 0.0, 1e15, low_open=True),
    _P("led_efficiency", 1.0e-3, "1", "Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976 (SOEN-IV): η ≈ 1e-3",
       "η_LED, photons produced per electron-energy spent (E_light = N h ν / η_LED)", 0.0, 1.0,
       low_open=True),
    _P("source_coupling_efficiency", 1.0, "1",
       "assumption: folded into led_efficiency (SOEN-IV counts photons in the waveguide)",
       "η_c, fraction of produced photons coupled into the waveguide", 0.0, 1.0, low_open=True),
    _P("light_delay_ns", 2.0, "ns", "Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976 (SOEN-IV): light-production delay ~2 ns",
       "t_emit, delay from soma threshold to light emission", 0.0, 1e6),
    _P("emission_tau_ns", 1.0, "ns", "Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976: τ_rad 1–40 ns in the prior simulator's source models",
       "τ_rad, exponential emission-time constant of the source", 0.0, 1e6),
    _P("transmitter_energy_fJ", 0.0, "fJ",
       "assumption: not given in the published model; electrical energy beyond the LED term (JJ + amplifier)",
       "E_transmitter per spike, added to N h ν / η_LED", 0.0, 1e9),
    # --- waveguides, splitting, fibre ------------------------------------------------------------
    _P("material", "SiN", "", "Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021)", "waveguide material; sets default loss and group index",
       kind="str", choices=tuple(MATERIALS)),
    _P("loss_db_per_cm", None, "dB/cm", "Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021) (by material, see MATERIALS)",
       "α, waveguide propagation loss", 0.0, 100.0),
    _P("group_index", None, "1", "Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021) (by material, see MATERIALS)",
       "n_g, waveguide group index (delay n_g L / c)", 1.0, 10.0),
    _P("crossing_loss_db", 0.02, "dB", "Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021): waveguide crossing 0.02 dB",
       "ℓ_cross, loss per in-plane waveguide crossing", 0.0, 10.0),
    _P("interplane_loss_db", 0.006, "dB", "Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021): interplane transition ~6 mdB",
       "ℓ_plane, loss per transition between waveguide planes", 0.0, 10.0),
    _P("coupling_loss_db", 0.0, "dB",
       "assumption: not given in the published model; waveguide→SPD coupling is inside detector_efficiency",
       "ℓ_couple, fixed per-connection coupling loss in T", 0.0, 30.0),
    _P("split_excess_loss_db", 0.1, "dB",
       "assumption: not given in the published model; typical excess of one 1×2 MMI/Y stage",
       "ℓ_excess, excess loss per 1×2 stage of the splitting tree", 0.0, 3.0),
    _P("split_ratio_error_db", 0.8, "dB", "Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021): split-ratio error ~0.7–0.9 dB (lognormal weight)",
       "σ of the per-connection lognormal split-ratio error, in dB", 0.0, 10.0),
    _P("fibre_ps_per_mm", 4.9, "ps/mm", "Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021): fibre 4.9 ps/mm",
       "fibre group delay per length", 0.0, 100.0, low_open=True),
    _P("fibre_coupling_loss_db", 1.0, "dB",
       "assumption: not given in the published model; ~1 dB per chip–fibre facet (edge coupler)",
       "loss per chip–fibre facet (two per inter-die connection)", 0.0, 30.0),
    _P("default_length_um", 1000.0, "µm",
       "assumption: ~10 neuron pitches at the SOEN-V density (pitch ≈ 111 µm)",
       "connection length used when no layout is given", 0.0, 1e9),
    # --- detector (SPD synapse) ------------------------------------------------------------------
    _P("detector_efficiency", 0.95, "1", "Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021): 0.9–0.98",
       "η_det, SPD detection efficiency", 0.0, 1.0, low_open=True),
    _P("detector_jitter_ps", 50.0, "ps", "Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021): jitter 3–150 ps",
       "Gaussian σ of the detection time", 0.0, 1e6),
    _P("dark_count_rate_hz", 1.0, "Hz", "Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021): 1e-4–100 Hz",
       "r_dark, dark-count rate per SPD", 0.0, 1e9),
    _P("detector_reset_ns", 50.0, "ns", "Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976; Khan et al., Nature Electronics (2022), §5: reset (dead) time 40–50 ns",
       "SPD dead time; also caps the useful firing rate", 0.0, 1e9),
    _P("spd_energy_aJ", 20.0, "aJ",
       "Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976; Khan et al., Nature Electronics (2022) (PRA17): ½ L I² = ½·100 nH·(20 µA)² = 20 aJ (33 aJ measured)",
       "energy per synapse event in the SPD", 0.0, 1e9),
    # --- frozen device spread and yield ----------------------------------------------------------
    _P("source_efficiency_spread", 0.1, "1",
       "assumption: not given in the published model; 10 % (1σ) brightness spread between transmitters",
       "relative σ of the per-transmitter source efficiency (lognormal, mean 1)", 0.0, 2.0),
    _P("detector_efficiency_spread", 0.02, "1",
       "assumption: not given in the published model; consistent with the 0.9–0.98 range of §5",
       "relative σ of the per-synapse detector efficiency (lognormal, mean 1, capped at 1)", 0.0, 2.0),
    _P("critical_current_spread", 0.03, "1", "Shainline et al., Phys. Rev. Applied 7, 034013 (2017): junction I_c spreads of a few % (1σ)",
       "relative σ of junction critical currents", 0.0, 1.0),
    _P("time_constant_spread", 0.0, "1",
       "assumption: not given in the published model; off by default (loop L and leak r spreads set τ = L/r)",
       "relative σ of every dendrite's loop time constant τ (lognormal, mean 1, frozen per device)", 0.0, 1.0),
    _P("thermal_noise", False, "", "Shainline et al., Phys. Rev. Applied 7, 034013 (2017): ⟨I²⟩ = k_B T / L (0.17 µA rms for 2 nH at 4.2 K)",
       "add Johnson (Ornstein–Uhlenbeck) current noise to every loop at cooling_temperature_K", kind="bool"),
    _P("transmitter_yield", 1.0, "1",
       "assumption: perfect yield by default (Shainline et al., Phys. Rev. Applied 7, 034013 (2017): yield removes components)",
       "fraction of working transmitters", 0.0, 1.0),
    _P("detector_yield", 1.0, "1", "assumption: perfect yield by default",
       "fraction of working SPD synapses", 0.0, 1.0),
    # --- dendrites, bias, area, cooling ----------------------------------------------------------
    _P("fluxon_bias_uA", 180.24, "µA", "Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976, §4: i_b = 1.8024 at I_c = 100 µA",
       "I_b in the per-fluxon energy I_b Φ0", 0.0, 1e6),
    _P("static_bias_power_nW_per_neuron", 0.0, "nW",
       "assumption: ideal (inductive) bias distribution; resistive RSFQ-style biasing costs "
       "≈ I_b·V_bias ≈ 0.45 µW per junction (180 µA, 2.5 mV)",
       "static bias power per neuron at 4 K", 0.0, 1e12),
    _P("area_per_neuron_um2", 1.0e8 / 8100.0, "µm²",
       "Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021) (SOEN-V): 8,100 neurons per cm² → 1.23e4 µm²",
       "chip area per neuron (with its synapses and waveguides)", 0.0, 1e12, low_open=True),
    _P("power_density_limit_W_per_cm2", 1.0e-3, "W/cm²",
       "Shainline et al., Phys. Rev. Applied 7, 034013 (2017) (PRA17): design point 1 mW/cm² (a design target, not a physical limit)",
       "power density the budget planner designs to", 0.0, 1e6, low_open=True),
    _P("cooling_temperature_K", 4.2, "K", "Shainline et al., Phys. Rev. Applied 7, 034013 (2017): 4.2 K stage",
       "temperature of the cold stage", 0.0, 300.0, low_open=True, high_open=True),
    _P("cooling_carnot_fraction", 0.3, "1", "Shainline et al., Phys. Rev. Applied 7, 034013 (2017): large plants ≈ 250 W/W at 4.2 K (ε ≈ 0.3)",
       "ε, fraction of Carnot efficiency of the cryocooler", 0.0, 1.0, low_open=True),
    _P("ambient_temperature_K", 300.0, "K", "Shainline et al., Phys. Rev. Applied 7, 034013 (2017): P_wall uses (300 − T)",
       "temperature heat is rejected to", 0.0, 1000.0, low_open=True),
    # --- idealisation ----------------------------------------------------------------------------
    _P("ideal_delay_ns", 1.0, "ns", "assumption: a convenient fixed delay for idealised studies",
       "fixed link delay of compile_links when ideal=True (soen.simulate adds no link delay in ideal mode, so it reproduces the core simulation)", 0.0, 1e9),
    _P("ideal", False, "", "soen convention",
       "no loss, every synapse fires, fixed delay, no jitter/dark counts/spread/yield", kind="bool"),
]

#: The registry: parameter name → :class:`Param` (value, unit, source, allowed range).
PARAMETERS: dict[str, Param] = {p.name: p for p in _records}
_MATERIAL_KEYS = ("loss_db_per_cm", "group_index")


@dataclass(frozen=True, init=False)
class Hardware:
    """Frozen, validated hardware parameters (defaults from :data:`PARAMETERS`).

    Parameters
    ----------
    **overrides
        Any registry name (see :meth:`describe` or ``PARAMETERS``) with a new value. ``loss_db_per_cm``
        and ``group_index`` default to the values of ``material`` (:data:`MATERIALS`) unless given.

    Raises
    ------
    TypeError
        Unknown parameter name (the message lists the allowed names) or a value of the wrong type.
    ValueError
        A value outside its allowed range (the message names parameter, value and range).
    """

    wavelength_um: float
    photons_per_spike: float
    max_photons_per_spike: float
    led_efficiency: float
    source_coupling_efficiency: float
    light_delay_ns: float
    emission_tau_ns: float
    transmitter_energy_fJ: float
    material: str
    loss_db_per_cm: float
    group_index: float
    crossing_loss_db: float
    interplane_loss_db: float
    coupling_loss_db: float
    split_excess_loss_db: float
    split_ratio_error_db: float
    fibre_ps_per_mm: float
    fibre_coupling_loss_db: float
    default_length_um: float
    detector_efficiency: float
    detector_jitter_ps: float
    dark_count_rate_hz: float
    detector_reset_ns: float
    spd_energy_aJ: float
    source_efficiency_spread: float
    detector_efficiency_spread: float
    critical_current_spread: float
    time_constant_spread: float
    thermal_noise: bool
    transmitter_yield: float
    detector_yield: float
    fluxon_bias_uA: float
    static_bias_power_nW_per_neuron: float
    area_per_neuron_um2: float
    power_density_limit_W_per_cm2: float
    cooling_temperature_K: float
    cooling_carnot_fraction: float
    ambient_temperature_K: float
    ideal_delay_ns: float
    ideal: bool

    def __init__(self, **overrides: Any) -> None:
        unknown = sorted(set(overrides) - set(PARAMETERS))
        if unknown:
            raise TypeError(
                f"unknown Hardware parameter(s) {', '.join(map(repr, unknown))}; "
                f"allowed names: {', '.join(PARAMETERS)}"
            )
        values: dict[str, Any] = {}
        for name, rec in PARAMETERS.items():
            if name in _MATERIAL_KEYS:
                continue
            values[name] = rec.check(overrides.get(name, rec.value))
        mat = MATERIALS[values["material"]]
        auto: list[str] = []
        for name in _MATERIAL_KEYS:
            given = overrides.get(name)
            if given is None:
                auto.append(name)
                given = mat[name]
            values[name] = PARAMETERS[name].check(given)
        if values["cooling_temperature_K"] >= values["ambient_temperature_K"]:
            raise ValueError(
                f"Hardware parameter 'cooling_temperature_K' = {values['cooling_temperature_K']!r} K must be "
                f"below ambient_temperature_K = {values['ambient_temperature_K']!r} K"
            )
        for name, v in values.items():
            object.__setattr__(self, name, v)
        object.__setattr__(self, "_from_material", tuple(auto))

    # ------------------------------------------------------------------------------------------
    @classmethod
    def default(cls) -> Hardware:
        """The registry defaults (SiN waveguides, non-ideal)."""
        return cls()

    def replace(self, **overrides: Any) -> Hardware:
        """A copy with some parameters changed (validated like the constructor).

        Changing ``material`` also changes ``loss_db_per_cm`` and ``group_index`` unless those were set
        explicitly (here or when this object was built).
        """
        kw = self.as_dict()
        for name in getattr(self, "_from_material", ()):
            kw[name] = None
        kw.update(overrides)
        return Hardware(**kw)

    def as_dict(self) -> dict[str, Any]:
        """All parameter values as a plain dict (name → value)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def records(self) -> list[dict[str, Any]]:
        """One dict per parameter: name, value, unit, default, source, description, allowed range."""
        out = []
        for name, rec in PARAMETERS.items():
            default = rec.value
            if name in _MATERIAL_KEYS:
                default = MATERIALS[self.material][name]
            out.append(
                {
                    "name": name,
                    "value": getattr(self, name),
                    "unit": rec.unit,
                    "default": default,
                    "source": MATERIALS[self.material]["source"] if name in _MATERIAL_KEYS else rec.source,
                    "description": rec.description,
                    "allowed": rec.range_text(),
                }
            )
        return out

    def describe(self) -> str:
        """A plain-text table of name, value, unit and source (``*`` marks values changed from default)."""
        rows = self.records()
        w_name = max(len(r["name"]) for r in rows)
        w_val = max(len(_value_text(r["value"])) for r in rows) + 1
        w_unit = max(len(r["unit"]) for r in rows)
        lines = [f"{'name':<{w_name}}  {'value':>{w_val}}  {'unit':<{w_unit}}  source"]
        lines.append("-" * (w_name + w_val + w_unit + 14))
        for r in rows:
            mark = "*" if r["value"] != r["default"] else " "
            val = _value_text(r["value"]) + mark
            lines.append(f"{r['name']:<{w_name}}  {val:>{w_val}}  {r['unit']:<{w_unit}}  {r['source']}")
        return "\n".join(lines)

    # --- derived quantities ---------------------------------------------------------------------
    @property
    def photon_energy_J(self) -> float:
        """h c / λ in J."""
        from soen.units import photon_energy_J

        return photon_energy_J(self.wavelength_um)

    @property
    def light_energy_per_spike_J(self) -> float:
        """Electrical energy of the light of one spike, N_emit h ν / η_LED (Shainline et al., Phys. Rev. Applied 7, 034013 (2017), SOEN-IV)."""
        return self.photons_per_spike * self.photon_energy_J / self.led_efficiency

    @property
    def spike_energy_J(self) -> float:
        """E_spike = N_emit h ν / η_LED + E_transmitter, in J (Shainline et al., Phys. Rev. Applied 7, 034013 (2017))."""
        return self.light_energy_per_spike_J + self.transmitter_energy_fJ * 1e-15

    @property
    def fluxon_energy_J(self) -> float:
        """Energy per fluxon I_b Φ0 in J (Shainline et al., Phys. Rev. Applied 7, 034013 (2017))."""
        from soen.units import PHI0_WB

        return self.fluxon_bias_uA * 1e-6 * PHI0_WB

    @property
    def max_detector_rate_hz(self) -> float:
        """Upper bound on the rate one SPD can register, 1 / reset time."""
        return math.inf if self.detector_reset_ns == 0 else 1e9 / self.detector_reset_ns

    def __repr__(self) -> str:
        changed = [
            f"{r['name']}={r['value']!r}" for r in self.records() if r["value"] != r["default"]
        ]
        return f"Hardware({', '.join(changed)})"


def _value_text(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


#: The default hardware (registry values).
DEFAULT_HARDWARE = Hardware()
