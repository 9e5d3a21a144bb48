"""Photonic communication: light model, layout, link compilation, variability and the photon budget.

Equations and numbers: Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021) (see ``docs/photonics.md``).
"""

from __future__ import annotations

from .budget import BudgetReport, LossTerm, plan_budget
from .layout import ConnectionGeometry, Layout
from .light import (
    detection_probability,
    fibre_delay_ns,
    first_photon_mean_delay_ns,
    link_delay_ns,
    loss_db,
    mean_detected_photons,
    mu_for_probability,
    photons_for_probability,
    propagation_delay_ns,
    split_efficiency,
    split_stages,
    transmission,
)
from .links import LinkArrays, compile_links
from .variability import (
    SPREAD_KINDS,
    YIELD_KINDS,
    Spread,
    critical_current_factors,
    effective_bias,
    sample_dead,
    sample_device_spread,
)

__all__ = [
    "BudgetReport",
    "ConnectionGeometry",
    "Layout",
    "LinkArrays",
    "LossTerm",
    "SPREAD_KINDS",
    "Spread",
    "YIELD_KINDS",
    "compile_links",
    "critical_current_factors",
    "detection_probability",
    "effective_bias",
    "fibre_delay_ns",
    "first_photon_mean_delay_ns",
    "link_delay_ns",
    "loss_db",
    "mean_detected_photons",
    "mu_for_probability",
    "photons_for_probability",
    "plan_budget",
    "propagation_delay_ns",
    "sample_dead",
    "sample_device_spread",
    "split_efficiency",
    "split_stages",
    "transmission",
]
