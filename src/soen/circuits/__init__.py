"""Device physics from first principles: RCSJ dendrite circuit, SQUID rate tables, SPD synapse.

See ``docs/circuits.md`` and Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976.
"""

from __future__ import annotations

from soen.circuits._params import SquidParams
from soen.circuits.fill import FillCurve, fill_curve
from soen.circuits.rate_table import RateTable, default_table, rate_nb
from soen.circuits.spd import SPDCircuit, SPDKernel, spd_current_uA, spd_flux
from soen.circuits.squid import squid_rate

__all__ = [
    "squid_rate",
    "RateTable",
    "rate_nb",
    "default_table",
    "fill_curve",
    "FillCurve",
    "SquidParams",
    "SPDKernel",
    "SPDCircuit",
    "spd_flux",
    "spd_current_uA",
]
