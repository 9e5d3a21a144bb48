"""The dendrite rate function g(φ, i_sq) as seen by the kernels.

Kernels call ``rate(phi, i_sq, tab)`` with ``tab = table.kernel_arrays()`` of a
:class:`soen.circuits.RateTable`; this adapter is the only place that knows the tuple's layout.
"""

from __future__ import annotations

import math

import numba as nb


@nb.njit(cache=True)
def rate(phi, i_sq, tab):
    """Interpolated fluxon rate g ≥ 0 for flux ``phi`` (any real, folded) and bias ``i_sq``."""
    g, i0, di, dphi = tab
    x = phi - math.floor(phi)
    if x > 0.5:
        x = 1.0 - x
    u = (i_sq - i0) / di
    if u < 0.0:
        return 0.0
    ni = g.shape[0]
    nphi = g.shape[1]
    if u >= ni - 1:
        u = ni - 1.000000001
    v = x / dphi
    if v >= nphi - 1:
        v = nphi - 1.000000001
    a = int(u)
    b = int(v)
    fu = u - a
    fv = v - b
    return ((1 - fu) * ((1 - fv) * g[a, b] + fv * g[a, b + 1]) + fu * ((1 - fv) * g[a + 1, b] + fv * g[a + 1, b + 1]))
