"""A single dendrite driven by one SPD flux pulse, integrated finely (used to set refractory coupling)."""

from __future__ import annotations


import numba as nb
import numpy as np

from soen.units import DEFAULT_JJ

from ._rate import rate


@nb.njit(cache=True)
def _peak(t_grid, phi_t, h, beta, alpha, bias, tab):
    s = 0.0
    peak = 0.0
    for n in range(t_grid.shape[0] - 1):
        g1 = rate(phi_t[n], bias - s, tab)
        k1 = (g1 - alpha * s) / beta
        sp = s + h * k1
        g2 = rate(phi_t[n + 1], bias - sp, tab)
        k2 = (g2 - alpha * sp) / beta
        s = s + 0.5 * h * (k1 + k2)
        if s > peak:
            peak = s
    return peak


def peak_response(synapse, tau_ns: float, beta: float, bias: float, table, dt_ns: float = 0.01) -> float:
    """Peak loop current s of a dendrite (τ in ns, β, bias i_b) after one photon at ``synapse``.

    Heun's method at ``dt_ns`` over 6 τ_f (or 6 τ), flux from the exact kernel ``synapse.kernel``.
    """
    span = 6.0 * max(synapse.tau_fall_ns, tau_ns)
    t = np.arange(0.0, span, dt_ns)
    phi_t = synapse.kernel(t)
    jj = DEFAULT_JJ
    return float(_peak(t, phi_t, jj.ns_to_tau(dt_ns), beta, jj.alpha_from_tau(tau_ns, beta), bias,
                       table.kernel_arrays()))
