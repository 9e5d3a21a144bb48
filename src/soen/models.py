"""Standard point-neuron models (LIF family of NIR, conductance-based and delta-current LIF).

Use them as the ``neuron`` of a :class:`soen.Population`; a network made only of these models is
simulated by the point-neuron engine (:mod:`soen.engine.point`) through the usual
``soen.simulate(network, duration_ns, dt_ns=…)``.

Units
-----
These models speak the units of computational neuroscience, stated in every parameter name:
time in **ms**, membrane potential in **mV**, currents in **nA** (resistance in MΩ, so that
1 MΩ · 1 nA = 1 mV), conductances in **nS**, capacitance in **pF** (nS · mV = pA, pA / pF = mV/ms).
``soen.simulate`` takes times in ns (``duration_ns``, ``dt_ns``, ``delay_ns``); the engine converts
dt and delays to ms and steps once, at the boundary (1 ms = 10⁶ ns).

Meaning of a connection weight (``Projection.weight``) by model:

========================  ===============================================================  ========
model                     effect of the weights arriving at step n (sum ``u``)              unit
========================  ===============================================================  ========
LIF, LI, IF, I, Threshold  input current ``I = u + i_offset_nA`` held during step n          nA
CubaLIF                   input of the synaptic-current ODE held during step n               nA
CondExpLIF                conductance jump ``g_ex += u`` (target "exc"), ``g_in`` ("inh")    nS
DeltaLIF                  voltage jump ``V += u`` (discarded while refractory)               mV
========================  ===============================================================  ========

The first group follows NIR's discrete-time reading of a graph (an input is a value per time step,
held for that step — a zero-order hold); with an exact propagator this equals continuous-time
integration of a piecewise-constant input.

Time step, spike times and delays (all models)
----------------------------------------------
Step n advances the state from t_n = n·dt to t_{n+1}: (1) inputs arriving at step n are applied,
(2) the state is propagated over dt, (3) a neuron at or above threshold spikes; the spike is stamped
t_{n+1} (the first grid time at which the threshold is reached — NEST's convention; Brian2 stamps the
same spike t_n). A spike stamped t with delay D reaches its targets at step (t + D)/dt, i.e. its effect
is applied at time t + D (Brian2's semantics for ``delay=D``; NEST's ``delay=D`` gives the same
arrival step for current/conductance jumps). D = 0 is allowed.

Integration: where the sub-threshold ODE is linear with constant coefficients (LIF, LI, CubaLIF, IF, I,
DeltaLIF) the default is the exact propagator (exponential integration); ``integration="euler"`` gives
forward Euler (what snnTorch/NIR's discrete-time exporters assume). CondExpLIF is bilinear in V and g
and is integrated with ``method="exponential_euler"`` (Brian2's default for it; conductances frozen
over the step for the V update, then decayed exactly) or ``method="rk4"`` (classic 4th-order
Runge–Kutta with the conductances evaluated exactly at the stage times).

Initial values (``v_init_mV`` …) are a number or a distribution (:class:`soen.Uniform`,
:class:`soen.Normal`), drawn per neuron from the counter-based generator keyed by (seed, population,
neuron).
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, fields

import numpy as np

from soen.model.components import check_real
from soen.model.network import Normal, Uniform

__all__ = [
    "LIF",
    "CubaLIF",
    "LI",
    "IF",
    "I",
    "Threshold",
    "CondExpLIF",
    "DeltaLIF",
    "POINT_MODELS",
]

_INTEGRATIONS = ("exact", "euler")
_RESETS = ("value", "subtract")
_RESET_TIMINGS = ("immediate", "next_step")


def _check_init(owner: str, name: str, value) -> None:
    if isinstance(value, (Uniform, Normal)):
        return
    check_real(owner, name, value)


def _check_choice(owner: str, name: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{owner}.{name} must be one of {list(allowed)}, got {value!r}")


class _PointModel:
    """Mixin of every point model: marks it for ``soen.simulate``'s dispatch. The models are plain
    data; the point engine lowers them to its kernel rows (:mod:`soen.engine._point_lower`)."""

    _point_model = True

    def params(self) -> dict:
        """The parameters as a plain dict (name → value), e.g. for files and NIR metadata."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def _spiking(self) -> bool:
        return True

    def _check(self) -> None:
        """Validate the fields (the NIR family's bases extend this cooperatively)."""

    def __hash__(self):  # frozen dataclasses holding distributions stay hashable by identity
        return id(self)


# ------------------------------------------------------------------------------------------------
# NIR family: shared fields (each declared and validated once), then the public models
# ------------------------------------------------------------------------------------------------
# The shared fields are keyword-only; only a model's first parameter (tau_ms, r_mV_per_ms_nA,
# threshold_nA; CubaLIF's two time constants) may also be given by position, where it stood before, so
# that a positional call either means what it meant or fails. Each base validates its own fields in
# ``_check`` (cooperative: ``super()._check()`` first).


@dataclass(frozen=True, eq=False, kw_only=True)
class _Strict(_PointModel):
    """``threshold_strict``: spike when the state is > the threshold instead of ≥ (snnTorch uses >)."""

    threshold_strict: bool = False


@dataclass(frozen=True, eq=False, kw_only=True)
class _Offset(_PointModel):
    """``i_offset_nA``: constant input (nA), a number or a 1-D array with one value per neuron (stored
    as a read-only float64 array)."""

    i_offset_nA: float | np.ndarray = 0.0

    def __post_init__(self):
        self._check()

    def _check(self) -> None:
        super()._check()
        owner, val = type(self).__name__, self.i_offset_nA
        if isinstance(val, (list, tuple, np.ndarray)):
            arr = np.array(val, dtype=float)
            if arr.ndim != 1 or not np.isfinite(arr).all():
                raise ValueError(
                    f"{owner}.i_offset_nA must be a finite number or 1-D array, got shape {arr.shape}"
                )
            arr.setflags(write=False)
            object.__setattr__(self, "i_offset_nA", arr)
        else:
            check_real(owner, "i_offset_nA", val)


@dataclass(frozen=True, eq=False, kw_only=True)
class _Integrator(_Offset):
    """A potential v integrating the held input: initial value ``v_init_mV`` (a number or a
    distribution) and the scheme ``integration`` ("exact" or "euler")."""

    v_init_mV: object = 0.0
    integration: str = "exact"

    def _check(self) -> None:
        super()._check()
        _check_init(type(self).__name__, "v_init_mV", self.v_init_mV)
        _check_choice(type(self).__name__, "integration", self.integration, _INTEGRATIONS)

    def _spiking(self) -> bool:
        return False

@dataclass(frozen=True, eq=False, kw_only=True)
class _Spiking(_Integrator, _Strict):
    """Threshold, reset and refractoriness of the spiking NIR-style models (LIF, CubaLIF, IF):
    ``v_threshold_mV``, ``v_reset_mV`` (mV); ``reset`` ("value" or "subtract"); ``reset_timing``
    ("immediate" or "next_step"); ``t_ref_ms`` (refractory period, ms, ≥ 0); ``threshold_strict``."""

    v_threshold_mV: float = 1.0
    v_reset_mV: float = 0.0
    reset: str = "value"
    reset_timing: str = "immediate"
    t_ref_ms: float = 0.0

    def _check(self) -> None:
        super()._check()
        owner = type(self).__name__
        for n in ("v_threshold_mV", "v_reset_mV"):
            check_real(owner, n, getattr(self, n))
        check_real(owner, "t_ref_ms", self.t_ref_ms, low=0.0)
        _check_choice(owner, "reset", self.reset, _RESETS)
        _check_choice(owner, "reset_timing", self.reset_timing, _RESET_TIMINGS)

    def _spiking(self) -> bool:
        return True

@dataclass(frozen=True, eq=False, kw_only=True)
class _Membrane(_Integrator):
    """A leaky membrane: input resistance ``r_MOhm`` (MΩ; mV per nA) and leak potential ``v_leak_mV``."""

    r_MOhm: float = 1.0
    v_leak_mV: float = 0.0

    def _check(self) -> None:
        super()._check()
        for n in ("r_MOhm", "v_leak_mV"):
            check_real(type(self).__name__, n, getattr(self, n))


@dataclass(frozen=True, eq=False)
class _Tau(_Membrane):
    """A leaky membrane with time constant ``tau_ms`` (ms, > 0): LIF and LI."""

    tau_ms: float = 10.0

    def _check(self) -> None:
        super()._check()
        check_real(type(self).__name__, "tau_ms", self.tau_ms, low=0.0, low_open=True)

@dataclass(frozen=True, eq=False)
class _Ideal(_Integrator):
    """An integrator without leak, ``dv/dt = R I``: ``r_mV_per_ms_nA`` (R in mV/(ms·nA)); IF and I.
    Exact for a held input under either ``integration``."""

    r_mV_per_ms_nA: float = 1.0

    def _check(self) -> None:
        super()._check()
        check_real(type(self).__name__, "r_mV_per_ms_nA", self.r_mV_per_ms_nA)

@dataclass(frozen=True, eq=False)
class LIF(_Tau, _Spiking):
    r"""Leaky integrate-and-fire neuron (NIR ``LIF``).

    .. math::  \tau\,\frac{dv}{dt} = (v_\mathrm{leak} - v) + R\,I,\qquad
               v \ge v_\mathrm{th} \Rightarrow \text{spike},\; v \leftarrow v_\mathrm{reset}
               \ (\text{or } v \leftarrow v - (v_\mathrm{th} - v_\mathrm{reset}))

    with ``I = u + i_offset_nA``, ``u`` the weights (nA) arriving in the step, held for the step.
    Exact update (``integration="exact"``):
    :math:`v_{n+1} = v_\infty + (v_n - v_\infty)\,e^{-\Delta t/\tau}`,
    :math:`v_\infty = v_\mathrm{leak} + RI`;
    forward Euler: :math:`v_{n+1} = v_n + \frac{\Delta t}{\tau}(v_\mathrm{leak} - v_n + RI)`.

    Parameters (keyword arguments)
    ------------------------------
    tau_ms : membrane time constant τ (ms), > 0.
    r_MOhm : input resistance R (MΩ; mV per nA).
    v_leak_mV, v_threshold_mV, v_reset_mV : leak (resting) potential, threshold, reset value (mV).
    reset : ``"value"`` (v ← v_reset) or ``"subtract"`` (v ← v − (v_th − v_reset)).
    reset_timing : ``"immediate"`` (reset right after the spike) or ``"next_step"`` (snnTorch's
        ``reset_delay=True``: the spiking value is kept for one step; a subtraction is applied after
        the next step's propagation,
        :math:`v_{n+1} = \mathrm{prop}(v_n) - s_n (v_\mathrm{th} - v_\mathrm{reset})`,
        a reset to a value before it, :math:`v_{n+1} = \mathrm{prop}(v_\mathrm{reset})`).
    threshold_strict : spike when v > v_th instead of v ≥ v_th (snnTorch uses >).
    t_ref_ms : refractory period (ms): v is held at v_reset and inputs are ignored.
    i_offset_nA : constant input current (nA): a number or one value per neuron (NIR's Affine
        bias lands here).
    v_init_mV : initial potential (mV), a number or a distribution.
    integration : ``"exact"`` or ``"euler"``.

    Source: NIR specification (Pedersen et al., Nat. Commun. 15, 8122 (2024)), node ``LIF``.
    """


@dataclass(frozen=True, eq=False)
class LI(_Tau):
    r"""Leaky integrator (NIR ``LI``): :math:`\tau\,dv/dt = (v_\mathrm{leak} - v) + R\,I`, no threshold.

    Same units and update as :class:`LIF` (``I = u + i_offset_nA`` held per step); never spikes. Its
    output in a NIR graph is the potential v (record it with ``record=``). Parameters (keywords):
    ``tau_ms``, ``r_MOhm``, ``v_leak_mV``, ``i_offset_nA``, ``v_init_mV``, ``integration``, as in LIF.
    """


_EULER_ORDERS = ("simultaneous", "current_first")


@dataclass(frozen=True, eq=False)
class CubaLIF(_Membrane, _Spiking):
    r"""Current-based LIF with an exponential synaptic current (NIR ``CubaLIF``).

    .. math::  \tau_\mathrm{syn}\,\frac{dI}{dt} = -I + w_\mathrm{in}\,u,\qquad
               \tau_\mathrm{mem}\,\frac{dv}{dt} = (v_\mathrm{leak} - v) + R\,I

    ``u`` = weights arriving in the step + ``i_offset_nA`` (nA), held for the step. Exact propagator
    (``integration="exact"``), with :math:`I_\infty = w_\mathrm{in} u`, :math:`J = I_n - I_\infty`:
    :math:`I_{n+1} = I_\infty + J e^{-\Delta t/\tau_s}`,
    :math:`v_{n+1} = v_\infty + (v_n - v_\infty) e^{-\Delta t/\tau_m}
    + R J \frac{\tau_s}{\tau_s - \tau_m}(e^{-\Delta t/\tau_s} - e^{-\Delta t/\tau_m})`
    (:math:`R J \frac{\Delta t}{\tau_m} e^{-\Delta t/\tau_m}` when τ_s = τ_m),
    :math:`v_\infty = v_\mathrm{leak} + R I_\infty`.
    Forward Euler (``"euler"``): :math:`I_{n+1} = I_n + \frac{\Delta t}{\tau_s}(w_\mathrm{in} u - I_n)`,
    :math:`v_{n+1} = v_n + \frac{\Delta t}{\tau_m}(v_\mathrm{leak} - v_n + R I^*)` with
    :math:`I^* = I_n` (``euler_order="simultaneous"``, the default: both from the values at t_n) or
    :math:`I^* = I_{n+1}` (``euler_order="current_first"``: semi-implicit, the current is updated first;
    snnTorch's ``Synaptic``, ``syn ← α syn + x``, ``mem ← β mem + syn``).

    Parameters: as :class:`LIF`, plus ``tau_syn_ms`` (synaptic time constant, ms) and ``w_in``
    (dimensionless input scaling); ``tau_mem_ms`` is the membrane time constant; ``i_syn_init_nA``
    the initial synaptic current (nA, a number or a distribution); ``euler_order`` as above (only with
    ``integration="euler"``). ``tau_syn_ms`` and ``tau_mem_ms`` may be given by position, the others
    by keyword.
    """

    tau_syn_ms: float = 5.0
    tau_mem_ms: float = 10.0
    _: KW_ONLY
    w_in: float = 1.0
    i_syn_init_nA: object = 0.0
    euler_order: str = "simultaneous"

    def _check(self) -> None:
        super()._check()
        check_real("CubaLIF", "tau_syn_ms", self.tau_syn_ms, low=0.0, low_open=True)
        check_real("CubaLIF", "tau_mem_ms", self.tau_mem_ms, low=0.0, low_open=True)
        check_real("CubaLIF", "w_in", self.w_in)
        _check_init("CubaLIF", "i_syn_init_nA", self.i_syn_init_nA)
        _check_choice("CubaLIF", "euler_order", self.euler_order, _EULER_ORDERS)
        if self.euler_order != "simultaneous" and self.integration != "euler":
            raise ValueError(
                f"CubaLIF.euler_order={self.euler_order!r} needs integration='euler' "
                f"(got integration={self.integration!r}; the exact propagator has no order)"
            )

@dataclass(frozen=True, eq=False)
class IF(_Ideal, _Spiking):
    r"""Integrate-and-fire neuron without leak (NIR ``IF``): :math:`dv/dt = R\,I`.

    ``I = u + i_offset_nA`` held for the step, so :math:`v_{n+1} = v_n + R I \Delta t` is exact (also
    for ``integration="euler"``). ``r_mV_per_ms_nA``: R in mV/(ms·nA) (= 1/C with C in nF).
    Threshold, reset and timing as :class:`LIF` (keyword arguments).
    """


@dataclass(frozen=True, eq=False)
class I(_Ideal):  # noqa: E742 - NIR's name for the integrator
    r"""Integrator (NIR ``I``): :math:`dv/dt = R\,I`, no threshold; exact for a held input
    (:math:`v_{n+1} = v_n + R I \Delta t`). ``r_mV_per_ms_nA`` as in :class:`IF` (keyword arguments)."""


@dataclass(frozen=True, eq=False)
class Threshold(_Offset, _Strict):
    r"""Memoryless threshold unit (NIR ``Threshold``).

    Spikes in step n iff :math:`u_n + i_\mathrm{offset} \ge \theta` (> θ with ``threshold_strict``).

    ``threshold_nA``: θ in input units (nA). Its state v (recordable) is the input of the step.
    """

    threshold_nA: float = 1.0

    def _check(self) -> None:
        super()._check()
        check_real("Threshold", "threshold_nA", self.threshold_nA)

# ------------------------------------------------------------------------------------------------
# conductance-based and delta-current LIF
# ------------------------------------------------------------------------------------------------
_COND_METHODS = ("exponential_euler", "rk4")


@dataclass(frozen=True, eq=False)
class CondExpLIF(_PointModel):
    r"""LIF with exponentially decaying conductances (COBA; NEST ``iaf_cond_exp``).

    .. math::  C_m \frac{dV}{dt} = g_L (E_L - V) + g_\mathrm{ex}(E_\mathrm{ex} - V)
               + g_\mathrm{in}(E_\mathrm{in} - V) + I_e,\qquad
               \frac{dg_\mathrm{ex}}{dt} = -\frac{g_\mathrm{ex}}{\tau_\mathrm{ex}},\quad
               \frac{dg_\mathrm{in}}{dt} = -\frac{g_\mathrm{in}}{\tau_\mathrm{in}}

    A spike arriving on target ``"exc"`` adds its weight (nS) to g_ex, on ``"inh"`` to g_in
    (``"sites"``: by the weight's sign, |w| to g_in when w < 0). At V ≥ V_th: spike, V ← V_reset,
    held for ``t_ref_ms`` (conductances keep evolving).

    Discretisation (``method``):

    * ``"exponential_euler"`` (default; Brian2's choice for this model):
      :math:`g = g_L + g_\mathrm{ex,n} + g_\mathrm{in,n}`,
      :math:`V_\infty = (g_L E_L + g_\mathrm{ex,n} E_\mathrm{ex} + g_\mathrm{in,n} E_\mathrm{in} + I_e)/g`,
      :math:`V_{n+1} = V_\infty + (V_n - V_\infty) e^{-g\Delta t / C_m}`; then
      :math:`g_{n+1} = g_n e^{-\Delta t/\tau}` (exact).
    * ``"rk4"``: classic Runge–Kutta for V with the conductances taken exactly at the stage times.

    NEST's ``iaf_cond_exp`` integrates with an adaptive Runge–Kutta–Fehlberg 4(5) (GSL); it is matched
    by neither method bit for bit (rk4 at dt = 0.1 ms agrees to ~1e-6 mV between events).

    Defaults: the COBA benchmark of Brette et al., J. Comput. Neurosci. 23, 349 (2007) (after Vogels &
    Abbott, J. Neurosci. 25, 10786 (2005)): C_m = 200 pF, g_L = 10 nS (τ_m = 20 ms), E_L = −60 mV,
    V_th = −50 mV, V_reset = −60 mV, t_ref = 5 ms, τ_ex = 5 ms, τ_in = 10 ms, E_ex = 0 mV, E_in = −80 mV.
    (Synaptic jumps there: Δg_ex = 6 nS, Δg_in = 67 nS — set as projection weights.)
    """

    C_m_pF: float = 200.0
    g_L_nS: float = 10.0
    E_L_mV: float = -60.0
    V_th_mV: float = -50.0
    V_reset_mV: float = -60.0
    t_ref_ms: float = 5.0
    tau_syn_ex_ms: float = 5.0
    tau_syn_in_ms: float = 10.0
    E_ex_mV: float = 0.0
    E_in_mV: float = -80.0
    I_e_pA: float = 0.0
    V_init_mV: object = -60.0
    g_ex_init_nS: object = 0.0
    g_in_init_nS: object = 0.0
    method: str = "exponential_euler"

    def __post_init__(self):
        for n in ("C_m_pF", "g_L_nS", "tau_syn_ex_ms", "tau_syn_in_ms"):
            check_real("CondExpLIF", n, getattr(self, n), low=0.0, low_open=True)
        for n in ("E_L_mV", "V_th_mV", "V_reset_mV", "E_ex_mV", "E_in_mV", "I_e_pA"):
            check_real("CondExpLIF", n, getattr(self, n))
        check_real("CondExpLIF", "t_ref_ms", self.t_ref_ms, low=0.0)
        for n in ("V_init_mV", "g_ex_init_nS", "g_in_init_nS"):
            _check_init("CondExpLIF", n, getattr(self, n))
        _check_choice("CondExpLIF", "method", self.method, _COND_METHODS)

@dataclass(frozen=True, eq=False)
class DeltaLIF(_PointModel):
    r"""LIF with delta-current synapses (Brunel 2000, model A; NEST ``iaf_psc_delta``).

    .. math::  \tau_m \frac{dV}{dt} = -(V - E_L) + \tau_m \sum_k J_k\,\delta(t - t_k)

    A spike of weight J (mV) makes V jump by J. At V ≥ θ: spike (stamped t_s), V ← V_r, held for
    ``t_ref_ms``; jumps arriving at t ≤ t_s + t_ref are discarded (NEST ``iaf_psc_delta``). Exact propagator:
    :math:`V_{n+1} = E_L + (V_n + u_n - E_L)\,e^{-\Delta t/\tau_m}` (the jumps u_n of step n are
    applied at t_n, Brian2's order; NEST applies them at t_{n+1} after the propagation — see
    docs/models.md).

    Defaults: Brunel, J. Comput. Neurosci. 8, 183 (2000): τ_m = 20 ms, θ = 20 mV, V_r = 10 mV,
    τ_rp = 2 ms, E_L = 0 mV (J = 0.1 mV, g = 5, D = 1.5 ms are network parameters).
    """

    tau_m_ms: float = 20.0
    theta_mV: float = 20.0
    V_reset_mV: float = 10.0
    t_ref_ms: float = 2.0
    E_L_mV: float = 0.0
    V_init_mV: object = 0.0

    def __post_init__(self):
        check_real("DeltaLIF", "tau_m_ms", self.tau_m_ms, low=0.0, low_open=True)
        for n in ("theta_mV", "V_reset_mV", "E_L_mV"):
            check_real("DeltaLIF", n, getattr(self, n))
        check_real("DeltaLIF", "t_ref_ms", self.t_ref_ms, low=0.0)
        _check_init("DeltaLIF", "V_init_mV", self.V_init_mV)

#: every public point model class
POINT_MODELS = (LIF, CubaLIF, LI, IF, I, Threshold, CondExpLIF, DeltaLIF)
