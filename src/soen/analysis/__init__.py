"""Analysis of soen results: spike statistics, avalanches and criticality, graph topology.

Everything public is re-exported here; see ``docs/analysis.md`` for definitions and sources.
Community detection (:func:`modularity`) needs the optional ``networkx`` (``pip install soen[analysis]``);
everything else needs only numpy and scipy.
"""

from __future__ import annotations

from soen.analysis.avalanches import (
    Avalanches,
    CracklingResult,
    MultistepRegression,
    binned_activity,
    branching_ratio,
    branching_ratio_mr,
    crackling_relation,
    find_avalanches,
    mean_interevent_interval_ns,
)
from soen.analysis.powerlaw import (
    LikelihoodRatio,
    PowerLawFit,
    compare_distributions,
    fit_power_law,
    power_law_gof,
    sample_power_law,
)
from soen.analysis.spikes import (
    band_powers,
    firing_rates_hz,
    interspike_intervals_ns,
    isi_cv,
    mean_pairwise_correlation,
    population_rate_hz,
    population_spectrum,
    spike_counts,
    synchrony_chi,
)
from soen.analysis.topology import (
    Degrees,
    RentResult,
    SmallWorld,
    as_adjacency,
    average_clustering,
    characteristic_path_length,
    clustering,
    degree_distribution,
    degrees,
    modularity,
    modularity_score,
    rent_exponent,
    small_world,
)

__all__ = [
    # spikes
    "firing_rates_hz",
    "interspike_intervals_ns",
    "isi_cv",
    "spike_counts",
    "population_rate_hz",
    "synchrony_chi",
    "mean_pairwise_correlation",
    "population_spectrum",
    "band_powers",
    # avalanches and criticality
    "Avalanches",
    "find_avalanches",
    "binned_activity",
    "mean_interevent_interval_ns",
    "branching_ratio",
    "MultistepRegression",
    "branching_ratio_mr",
    "CracklingResult",
    "crackling_relation",
    # power laws
    "PowerLawFit",
    "fit_power_law",
    "power_law_gof",
    "sample_power_law",
    "LikelihoodRatio",
    "compare_distributions",
    # topology
    "as_adjacency",
    "Degrees",
    "degrees",
    "degree_distribution",
    "clustering",
    "average_clustering",
    "characteristic_path_length",
    "SmallWorld",
    "small_world",
    "modularity_score",
    "modularity",
    "RentResult",
    "rent_exponent",
]
