"""Lowering of the point models (:mod:`soen.models`, plain data) to the point engine's parameter rows.

Each population becomes one row of ``N_PARAMS`` floats and a kind code that the kernels
(:mod:`soen.engine._point_kernel`) dispatch on; the row holds the exact propagators for the time step.
The models' equations are in their docstrings; this module only packs numbers.

Row layout (unused entries stay 0): NIR family — 0 v_leak, 1 R, 2 threshold, 3 reset value,
5 e^(−dt/τ), 6 dt/τ, 7 Euler, 8 subtract-reset, 9 next-step reset, 10 refractory steps, 11 spiking,
12 dt, 13–16 CubaLIF synaptic propagators and w_in, 17 strict threshold, 18 current-first Euler;
CondExpLIF — 0 E_L, 1 g_L, 2 V_th, 3 V_reset, 4 C_m, 5 E_ex, 6 E_in, 7 I_e, 8–9 e^(−dt/τ_syn),
10 refractory steps, 11 spiking, 12 dt, 13 RK4, 14–15 τ_syn, 16–17 e^(−dt/2τ_syn);
DeltaLIF — 0 E_L, 2 θ, 3 V_reset, 5 e^(−dt/τ_m), 10 refractory steps, 11 spiking.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["KIND_LIF", "KIND_CUBA", "KIND_IF", "KIND_THRESHOLD", "KIND_COND", "KIND_DELTA", "N_PARAMS", "lower",
           "init_fields", "TARGETS"]

KIND_LIF = 0
KIND_CUBA = 1
KIND_IF = 2
KIND_THRESHOLD = 3
KIND_COND = 4
KIND_DELTA = 5
N_PARAMS = 20  # width of the per-population parameter row

#: synaptic targets a projection may name per model (``Projection.target``; "sites" is the default)
TARGETS = {"CondExpLIF": ("exc", "inh")}


def _ref_steps(t_ref_ms: float, dt_ms: float) -> int:
    return int(round(t_ref_ms / dt_ms))


def _potential(dt_ms, tau_ms, r, v_leak, integration) -> np.ndarray:
    p = np.zeros(N_PARAMS)
    p[0] = v_leak
    p[1] = r
    p[2] = math.inf
    p[5] = math.exp(-dt_ms / tau_ms)
    p[6] = dt_ms / tau_ms
    p[7] = 0.0 if integration == "exact" else 1.0
    p[12] = dt_ms
    return p


def _spiking(m, p, dt_ms) -> np.ndarray:
    p[2] = m.v_threshold_mV
    p[3] = m.v_reset_mV
    p[8] = 0.0 if m.reset == "value" else 1.0
    p[9] = 0.0 if m.reset_timing == "immediate" else 1.0
    p[10] = _ref_steps(m.t_ref_ms, dt_ms)
    p[11] = 1.0
    p[17] = 1.0 if m.threshold_strict else 0.0
    return p


def _lif(m, dt):
    p = _potential(dt, m.tau_ms, m.r_MOhm, m.v_leak_mV, m.integration)
    return KIND_LIF, (_spiking(m, p, dt) if m._spiking() else p)


def _if(m, dt):
    p = _potential(dt, 1.0, m.r_mV_per_ms_nA, 0.0, "exact")
    return KIND_IF, (_spiking(m, p, dt) if m._spiking() else p)


def _cuba(m, dt):
    p = _spiking(m, _potential(dt, m.tau_mem_ms, m.r_MOhm, m.v_leak_mV, m.integration), dt)
    ts, tm = m.tau_syn_ms, m.tau_mem_ms
    ps, pm = math.exp(-dt / ts), math.exp(-dt / tm)
    p[13] = ps
    p[14] = dt / ts
    p[15] = ts / (ts - tm) * (ps - pm) if abs(ts - tm) > 1e-12 * max(ts, tm) else dt / tm * pm
    p[16] = m.w_in
    p[18] = 1.0 if m.euler_order == "current_first" else 0.0
    return KIND_CUBA, p


def _threshold(m, dt):
    p = np.zeros(N_PARAMS)
    p[2] = m.threshold_nA
    p[11] = 1.0
    p[17] = 1.0 if m.threshold_strict else 0.0
    return KIND_THRESHOLD, p


def _cond(m, dt):
    p = np.zeros(N_PARAMS)
    p[0], p[1], p[2], p[3], p[4] = m.E_L_mV, m.g_L_nS, m.V_th_mV, m.V_reset_mV, m.C_m_pF
    p[5], p[6], p[7] = m.E_ex_mV, m.E_in_mV, m.I_e_pA
    p[8] = math.exp(-dt / m.tau_syn_ex_ms)
    p[9] = math.exp(-dt / m.tau_syn_in_ms)
    p[10] = _ref_steps(m.t_ref_ms, dt)
    p[11] = 1.0
    p[12] = dt
    p[13] = 0.0 if m.method == "exponential_euler" else 1.0
    p[14] = m.tau_syn_ex_ms
    p[15] = m.tau_syn_in_ms
    p[16] = math.exp(-0.5 * dt / m.tau_syn_ex_ms)
    p[17] = math.exp(-0.5 * dt / m.tau_syn_in_ms)
    return KIND_COND, p


def _delta(m, dt):
    p = np.zeros(N_PARAMS)
    p[0] = m.E_L_mV
    p[2] = m.theta_mV
    p[3] = m.V_reset_mV
    p[5] = math.exp(-dt / m.tau_m_ms)
    p[10] = _ref_steps(m.t_ref_ms, dt)
    p[11] = 1.0
    return KIND_DELTA, p


_LOWER = {"LIF": _lif, "LI": _lif, "IF": _if, "I": _if, "CubaLIF": _cuba, "Threshold": _threshold,
          "CondExpLIF": _cond, "DeltaLIF": _delta}
_INIT = {"CubaLIF": ("v_init_mV", "i_syn_init_nA", None), "Threshold": (None, None, None),
         "CondExpLIF": ("V_init_mV", "g_ex_init_nS", "g_in_init_nS"), "DeltaLIF": ("V_init_mV", None, None)}


def _name(model) -> str:
    from soen import models

    for cls in type(model).__mro__:
        if cls.__name__ in _LOWER and getattr(models, cls.__name__, None) is cls:
            return cls.__name__
    raise TypeError(f"the point engine has no lowering for {type(model).__name__}")


def lower(model, dt_ms: float) -> tuple[int, np.ndarray]:
    """(kind code, parameter row) of ``model`` for time step ``dt_ms`` (ms)."""
    return _LOWER[_name(model)](model, dt_ms)


def init_fields(model) -> tuple:
    """Names of the fields giving the initial (v, x, y) state of ``model``."""
    return _INIT.get(_name(model), ("v_init_mV", None, None))


def targets(model) -> tuple:
    """Synaptic targets a projection onto ``model`` may name."""
    return TARGETS.get(_name(model), ("current",))
