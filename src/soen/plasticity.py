"""Plasticity rules as plain data, attached to projections: ``net.connect(..., plasticity=soen.STDP(...))``.

The engines run them event by event (traces are updated when spikes arrive or are emitted, never
by a sweep over all synapses per step), with the weights read when an event is delivered.

Pair-based STDP (:class:`STDP`)
-------------------------------
Every plastic synapse k (pre j → post i) keeps a presynaptic trace x_k and every neuron a
postsynaptic trace y_i, both decaying exponentially (τ+, τ−) and bumped at spikes:

* a presynaptic spike *arriving at the synapse* at time t (after the projection's delay) first
  delivers its effect with the current weight, then depresses ``w ← w − A−·y_i(t)`` (additive) or
  ``w ← w − A−·(w − w_min)·y_i(t)`` (multiplicative), then bumps ``x_k ← x_k + 1`` (all-to-all pairing)
  or sets ``x_k ← 1`` (nearest-spike pairing);
* a postsynaptic spike of neuron i at time t potentiates each of its plastic incoming synapses
  ``w ← w + A+·x_k(t)`` (additive) or ``w ← w + A+·(w_max − w)·x_k(t)`` (multiplicative), then bumps
  ``y_i ← y_i + 1`` (all-to-all) or sets ``y_i ← 1`` (nearest);
* weights are clipped to [w_min, w_max] after every update (hard bounds).

A single pair with Δt = t_post − t_pre,arrival therefore changes the weight by A+·e^(−Δt/τ+) for
Δt ≥ 0 and by −A−·e^(Δt/τ−) for Δt < 0. A pre arrival and a post spike at the same time step count as
"pre before post" (Brian2's order within a step: ``on_pre``, then ``on_post``): the rule of a post spike
stamped t_n runs after the arrivals of step n. Song, Miller & Abbott 2000, Nat. Neurosci. 3:919, doi:10.1038/78829 (additive,
bounded); the trace formulation and the all-to-all / nearest-spike pairings follow Morrison,
Diesmann & Gerstner 2008, Biol. Cybern. 98:459, doi:10.1007/s00422-008-0233-1; the multiplicative
(soft-bound) form van Rossum, Bi & Turrigiano 2000, J. Neurosci. 20:8812.

Delays: the presynaptic side sees a spike when it *arrives* (after the projection's delay d), the
postsynaptic side sees the neuron's own spikes at once, so a pair's interval is
Δt = t_post − (t_pre + d). This is Brian2's convention for a delayed ``on_pre`` and an undelayed
``on_post``; in NEST's terms the delay is purely axonal (dendritic delay 0). NEST's ``stdp_synapse``
instead takes the whole delay as dendritic (the pre spike is seen at its emission t_pre, the post
spike at t_post + d: Δt = t_post − t_pre + d), so for d > 0 its window sits 2d away from this one in
spike emission times; for d = 0 all agree.

Weights are those the engine stores: for the point models the magnitudes |w| (a negative weight
on a conductance model's default target is an inhibitory conductance), for SOEN synapses the
dimensionless SPD weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soen._validate import check_choice, check_int, check_real

__all__ = ["STDP", "FluxStorage", "Homeostasis", "RULE_FIELDS", "rule_row", "check_plasticity"]


@dataclass(frozen=True)
class STDP:
    """Pair-based STDP with exponential traces and hard bounds (the equations and their sources are in
    the :mod:`soen.plasticity` module docstring).

    ``tau_plus_ns``, ``tau_minus_ns``: trace time constants τ+, τ− (ns; Song et al.: 20 ms = 2e7 ns);
    ``a_plus``, ``a_minus``: the window amplitudes A+, A− (weight units per pair; A− > 0 is the size of
    a depression); ``w_min``, ``w_max``: hard bounds (weight units); ``form``: ``"additive"`` or
    ``"multiplicative"``; ``pairing``: ``"all"`` (all-to-all) or ``"nearest"`` (nearest spike)."""

    tau_plus_ns: float = 20e6
    tau_minus_ns: float = 20e6
    a_plus: float = 0.01
    a_minus: float = 0.0105
    w_min: float = 0.0
    w_max: float = 1.0
    form: str = "additive"
    pairing: str = "all"

    def __post_init__(self) -> None:
        for f in ("tau_plus_ns", "tau_minus_ns"):
            object.__setattr__(self, f, check_real(f"STDP.{f}", getattr(self, f), low=0.0, low_open=True, unit="ns"))
        for f in ("a_plus", "a_minus"):
            object.__setattr__(self, f, check_real(f"STDP.{f}", getattr(self, f), low=0.0))
        object.__setattr__(self, "w_min", check_real("STDP.w_min", self.w_min))
        object.__setattr__(self, "w_max", check_real("STDP.w_max", self.w_max, low=self.w_min, low_open=True))
        object.__setattr__(self, "form", check_choice("STDP.form", self.form, ("additive", "multiplicative")))
        object.__setattr__(self, "pairing", check_choice("STDP.pairing", self.pairing, ("all", "nearest")))


@dataclass(frozen=True)
class FluxStorage:
    """A hardware-faithful plastic synapse: the weight is set by a flux-storage loop holding an integer
    number of flux quanta, so it takes ``n_levels`` values evenly spaced in [w_min, w_max] and changes
    one level at a time, each step triggered by a photon (Shainline et al., "Superconducting
    optoelectronic neurons III: synaptic plasticity", arXiv:1805.01937 (2018): binary to hundreds of
    levels; Hebbian and anti-Hebbian steps each driven by single photons).

    The timing rule is STDP's (see :mod:`soen.plasticity`): a post-after-pre pair asks for a step up
    with probability ``p_plus``·e^(−Δt/τ+), a pre-after-post pair for a step down with probability
    ``p_minus``·e^(Δt/τ−) (nearest-spike pairing: the trace of the latest spike, in [0, 1]). A step
    happens only when its update photon is detected: with ``photons_per_update`` (mean photons the
    update source sends, Poisson) the detection probability is 1 − e^(−μ), μ = photons_per_update ×
    μ_link / photons_per_spike when ``hardware=`` is given (the synapse's photonic link: photons
    detected per photon its source sends, device spread included), else μ = photons_per_update. Levels saturate at
    the ends. Every attempted step costs its photons in the energy ledger (photons × photon energy /
    LED efficiency).

    ``n_levels``: integer ≥ 2; ``w_min``/``w_max``: the range (weight units); ``tau_plus_ns``,
    ``tau_minus_ns`` (ns); ``p_plus``, ``p_minus``: in [0, 1]; ``photons_per_update``: > 0, or inf for
    ideal (always detected) updates."""

    n_levels: int = 16
    w_min: float = 0.0
    w_max: float = 1.0
    tau_plus_ns: float = 20.0
    tau_minus_ns: float = 20.0
    p_plus: float = 1.0
    p_minus: float = 1.0
    photons_per_update: float = float("inf")

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_levels", check_int("FluxStorage.n_levels", self.n_levels, low=2, high=2**15))
        object.__setattr__(self, "w_min", check_real("FluxStorage.w_min", self.w_min))
        object.__setattr__(self, "w_max", check_real("FluxStorage.w_max", self.w_max, low=self.w_min, low_open=True))
        for f in ("tau_plus_ns", "tau_minus_ns"):
            object.__setattr__(self, f, check_real(f"FluxStorage.{f}", getattr(self, f), low=0.0, low_open=True,
                                                   unit="ns"))
        for f in ("p_plus", "p_minus"):
            object.__setattr__(self, f, check_real(f"FluxStorage.{f}", getattr(self, f), low=0.0, high=1.0))
        object.__setattr__(self, "photons_per_update", check_real(
            "FluxStorage.photons_per_update", self.photons_per_update, low=0.0, low_open=True, allow_inf=True))

    @property
    def step(self) -> float:
        """The weight change of one level (weight units)."""
        return (self.w_max - self.w_min) / (self.n_levels - 1)

    def levels(self) -> np.ndarray:
        """The allowed weights."""
        return self.w_min + self.step * np.arange(self.n_levels)


@dataclass(frozen=True)
class Homeostasis:
    """Homeostatic control of a population's excitability toward a target rate.

    Every ``interval_ns`` each neuron i compares its spike count n_i in the interval with the target
    r·T and moves its threshold: θ_i ← θ_i + ``eta`` (n_i − r·T) (SOEN somas: the threshold on the
    soma's loop current, units of I_c; point models: an input offset subtracted from the drive, i.e. an
    effective threshold shift, in the model's input units). A neuron that fires too much becomes
    harder to excite, one that fires too little easier: synaptic-scaling-like integral control of the
    rate (Turrigiano 2008, Cell 135:422, doi:10.1016/j.cell.2008.10.008; as a threshold adaptation
    in spiking networks e.g. Zenke, Hennequin & Gerstner 2013, PLoS Comput. Biol. 9:e1003330).
    ``target_rate_hz`` (Hz), ``interval_ns`` (ns), ``eta`` (threshold units per spike of error);
    the shift is bounded by ±``max_shift``."""

    target_rate_hz: float
    interval_ns: float = 1e6
    eta: float = 0.01
    max_shift: float = float("inf")

    def __post_init__(self) -> None:
        object.__setattr__(self, "target_rate_hz", check_real("Homeostasis.target_rate_hz", self.target_rate_hz,
                                                              low=0.0, unit="Hz"))
        object.__setattr__(self, "interval_ns", check_real("Homeostasis.interval_ns", self.interval_ns, low=0.0,
                                                           low_open=True, unit="ns"))
        object.__setattr__(self, "eta", check_real("Homeostasis.eta", self.eta, low=0.0, low_open=True))
        object.__setattr__(self, "max_shift", check_real("Homeostasis.max_shift", self.max_shift, low=0.0,
                                                         low_open=True, allow_inf=True))


#: the columns of a rule's row in ``Compiled.params["plastic_rules"]`` (one row per plastic projection)
RULE_FIELDS = ("kind", "tau_plus_ns", "tau_minus_ns", "a_plus", "a_minus", "w_min", "w_max", "multiplicative",
               "nearest", "n_levels", "photons_per_update")
KIND_STDP, KIND_FLUX = 0.0, 1.0


def rule_row(rule) -> np.ndarray:
    """The kernel row of a rule (:data:`RULE_FIELDS`); FluxStorage keeps p± in the a± columns."""
    if isinstance(rule, STDP):
        return np.array([KIND_STDP, rule.tau_plus_ns, rule.tau_minus_ns, rule.a_plus, rule.a_minus, rule.w_min,
                         rule.w_max, float(rule.form == "multiplicative"), float(rule.pairing == "nearest"), 0.0,
                         np.inf])
    if isinstance(rule, FluxStorage):
        return np.array([KIND_FLUX, rule.tau_plus_ns, rule.tau_minus_ns, rule.p_plus, rule.p_minus, rule.w_min,
                         rule.w_max, 0.0, 1.0, float(rule.n_levels), rule.photons_per_update])
    raise TypeError(f"plasticity must be a soen.STDP or soen.FluxStorage (or None), got {type(rule).__name__}")


def check_plasticity(name: str, value):
    """A projection's ``plasticity``: None or a rule."""
    if value is None or isinstance(value, (STDP, FluxStorage)):
        return value
    raise TypeError(f"{name} must be None, a soen.STDP or a soen.FluxStorage; got {value!r} "
                    f"({type(value).__name__})")

