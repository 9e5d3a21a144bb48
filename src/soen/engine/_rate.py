"""The dendrite rate function g(φ, i_sq) as seen by the kernels.

Kernels call ``rate(phi, i_sq, tab)`` with ``tab = table.kernel_arrays()`` of a
:class:`soen.circuits.RateTable`; this adapter is the only place in the engine that knows the
tuple's layout (it forwards to :func:`soen.circuits.rate_table.rate_nb`).
"""

from __future__ import annotations

import numba as nb

from soen.circuits.rate_table import rate_nb


@nb.njit(cache=True, inline="always")
def rate(phi, i_sq, tab):
    """Interpolated fluxon rate g ≥ 0 for flux ``phi`` (any real; folded) and SQUID bias ``i_sq``."""
    q, i0, di, dphi, c_inf = tab
    return rate_nb(phi, i_sq, q, i0, di, dphi, c_inf)
