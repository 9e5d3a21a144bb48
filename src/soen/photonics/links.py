"""Compile photonic connections into the flat per-connection arrays the spiking engine consumes.

The engine, per spike of transmitter ``pre[e]`` and connection e (not ``dead[e]``), draws
k ~ Poisson(mu[e]) with the counter-based RNG, fires the synapse iff k ≥ 1 (P = 1 − e^(−μ),
Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021)), at time ``t_spike + delay_ns[e] + Exp(emission_tau_ns / k) + N(0, jitter_ns[e])``
(first of k photons emitted at Exp(τ_rad) times arrives after Exp(τ_rad/k)), and adds dark counts as a
Poisson process of rate ``dark_rate_hz`` per synapse, all subject to the SPD dead time
``detector_reset_ns``. With ``mu = inf`` (ideal hardware) every spike fires every synapse.

Example
-------
>>> import numpy as np
>>> from soen.hardware import Hardware
>>> links = compile_links(Hardware(ideal=True), None, np.array([0, 0]), np.array([1, 2]), seed=0)
>>> links.mu.tolist(), links.delay_ns.tolist()
([inf, inf], [1.0, 1.0])
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from soen.hardware import Hardware

from . import light
from ._validate import int_array, seed_value
from .layout import ConnectionGeometry, Layout
from .variability import Spread, sample_dead, sample_device_spread

__all__ = ["LinkArrays", "compile_links"]


@dataclass(frozen=True, eq=False)
class LinkArrays:
    """Per-connection link parameters (float64 arrays of shape (E,), read-only) and link scalars.

    Attributes
    ----------
    mu : mean detected photons per spike (frozen spreads included; 0 where dead; inf when ideal).
    delay_ns : deterministic delay t_emit + n_g L / c + fibre delay, ns.
    jitter_ns : Gaussian σ of the detection time, ns.
    length_um : on-chip routed waveguide length, µm.
    dead : bool (E,), True where the transmitter or the SPD is dead (yield); remove these connections.
    emission_tau_ns : τ_rad of the source (first photon of k at Exp(τ_rad / k)), ns.
    dark_rate_hz : dark-count rate per SPD, Hz.
    detector_reset_ns : SPD dead time, ns.
    fan_out : (E,) fan-out F of the connection's transmitter (float64).
    split_efficiency : (E,) η_split (nominal, without split-ratio error).
    transmission : (E,) T of the path (waveguide, crossings, planes, coupling, fibre facets).
    fibre_length_um : (E,) fibre length, µm.
    n_crossings, n_plane_changes : (E,) expected counts used in T.
    """

    mu: np.ndarray
    delay_ns: np.ndarray
    jitter_ns: np.ndarray
    length_um: np.ndarray
    dead: np.ndarray
    emission_tau_ns: float
    dark_rate_hz: float
    detector_reset_ns: float
    fan_out: np.ndarray
    split_efficiency: np.ndarray
    transmission: np.ndarray
    fibre_length_um: np.ndarray
    n_crossings: np.ndarray
    n_plane_changes: np.ndarray

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                a = np.array(v, dtype=bool if f.name == "dead" else np.float64, copy=True)
                a.flags.writeable = False
                object.__setattr__(self, f.name, a)

    @property
    def n_connections(self) -> int:
        """Number of connections E."""
        return int(self.mu.shape[0])

    @property
    def detection_probability(self) -> np.ndarray:
        """P = 1 − e^(−μ) per connection (0 where dead)."""
        return light.detection_probability(self.mu)


def _geometry(hardware: Hardware, layout: Layout | None, pre: np.ndarray,
              post: np.ndarray) -> ConnectionGeometry:
    if layout is None:
        E = pre.shape[0]
        z = np.zeros(E)
        return ConnectionGeometry(np.full(E, hardware.default_length_um), z, z, z, z, np.zeros(E, bool))
    if not isinstance(layout, Layout):
        raise TypeError(f"layout must be a soen.photonics.Layout or None, got {type(layout).__name__}")
    return layout.connection_geometry(pre, post)


def compile_links(hardware: Hardware, layout: Layout | None, pre, post, *, seed: int,
                  edge_ids=None, fan_out=None) -> LinkArrays:
    """Per-connection light delivery, delay and jitter for connections ``pre[e] → post[e]``.

    Parameters
    ----------
    hardware : Hardware
        Parameters (registry defaults plus overrides).
    layout : Layout or None
        Neuron positions; ``None`` gives every connection ``hardware.default_length_um`` of waveguide
        (default 1000 µm), no crossings, no plane changes, no fibre.
    pre, post : int array (E,)
        Transmitting and receiving neuron of each connection (each ends on its own SPD synapse).
    seed : int
        Network seed for the frozen spreads and yield.
    edge_ids : int array (E,), optional
        Global ids of the connections, used as the RNG element for per-synapse draws (default
        0 … E−1). Pass the global ids when compiling a partition, so each synapse keeps its values.
    fan_out : int array (E,), optional
        Fan-out of each connection's transmitter (default: counted from ``pre``). Pass it when ``pre``
        is a partition of the network's connections.

    Returns
    -------
    LinkArrays

    Notes
    -----
    Per connection (Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021)):

    * η_split = 10^(−ℓ_excess ⌈log2 F⌉/10) / F, F = number of connections of the transmitter;
    * T = 10^(−[α L + n_cross ℓ_cross + n_plane ℓ_plane + ℓ_couple + n_facet ℓ_fibre-facet]/10);
    * μ = N_emit η_c η_split T η_det × a_src × a_split, with frozen spreads: a_src per transmitter
      (lognormal, mean 1, σ = ``source_efficiency_spread``), a_split per connection (lognormal in dB,
      mean 1, σ = ``split_ratio_error_db``), and η_det per synapse (lognormal, mean η_det,
      σ = ``detector_efficiency_spread``, capped at 1);
    * delay = t_emit + n_g L / c + fibre length × fibre ps/mm; jitter σ = detector jitter.

    Dead components (``transmitter_yield``, ``detector_yield``) set ``dead`` and μ = 0.
    With ``hardware.ideal``: μ = inf, delay = ``ideal_delay_ns``, jitter 0, dark rate 0, τ_rad 0,
    nothing dead.
    """
    if not isinstance(hardware, Hardware):
        raise TypeError(f"hardware must be a soen.hardware.Hardware, got {type(hardware).__name__}")
    s = seed_value(seed)
    pre = int_array("pre", pre, low=0)
    post = int_array("post", post, low=0)
    if pre.shape != post.shape:
        raise ValueError(f"pre and post must have the same shape (E,), got {pre.shape} and {post.shape}")
    E = pre.shape[0]
    if layout is not None and isinstance(layout, Layout) and E:
        for nm, a in (("pre", pre), ("post", post)):
            if a.max() >= layout.n_neurons:
                raise ValueError(f"{nm} has neuron index {int(a.max())} but the layout has only "
                                 f"{layout.n_neurons} neurons (allowed 0 … {layout.n_neurons - 1})")
    eid = np.arange(E, dtype=np.int64) if edge_ids is None else int_array("edge_ids", edge_ids, low=0)
    if eid.shape != (E,):
        raise ValueError(f"edge_ids must have shape ({E},), got {eid.shape}")
    if fan_out is None:
        F = np.bincount(pre, minlength=int(pre.max()) + 1 if E else 0)[pre].astype(np.float64) if E \
            else np.zeros(0)
    else:
        F = int_array("fan_out", fan_out, low=1).astype(np.float64)
        if F.shape != (E,):
            raise ValueError(f"fan_out must have shape ({E},), got {F.shape}")

    geo = _geometry(hardware, layout, pre, post)
    eta_split = light.split_efficiency(F, hardware.split_excess_loss_db) if E else np.zeros(0)
    facet_db = geo.n_fibre_facets * hardware.fibre_coupling_loss_db
    T = light.transmission(geo.length_um, hardware.loss_db_per_cm, geo.n_crossings, hardware.crossing_loss_db,
                           geo.n_plane_changes, hardware.interplane_loss_db,
                           hardware.coupling_loss_db + facet_db)
    common = dict(emission_tau_ns=hardware.emission_tau_ns, dark_rate_hz=hardware.dark_count_rate_hz,
                  detector_reset_ns=hardware.detector_reset_ns, fan_out=F, split_efficiency=eta_split,
                  transmission=T, fibre_length_um=geo.fibre_length_um, n_crossings=geo.n_crossings,
                  n_plane_changes=geo.n_plane_changes, length_um=geo.length_um)

    if hardware.ideal:
        common.update(emission_tau_ns=0.0, dark_rate_hz=0.0)
        return LinkArrays(mu=np.full(E, np.inf), delay_ns=np.full(E, hardware.ideal_delay_ns),
                          jitter_ns=np.zeros(E), dead=np.zeros(E, bool), **common)

    a_src = sample_device_spread(Spread(1.0, hardware.source_efficiency_spread, "lognormal"), pre,
                                 seed=s, what="source_efficiency")
    eta_det = sample_device_spread(Spread(hardware.detector_efficiency, hardware.detector_efficiency_spread,
                                          "lognormal", high=1.0), eid, seed=s, what="detector_efficiency")
    a_split = sample_device_spread(Spread(1.0, hardware.split_ratio_error_db, "lognormal_db"), eid,
                                   seed=s, what="split_ratio")
    mu = light.mean_detected_photons(hardware.photons_per_spike, hardware.source_coupling_efficiency,
                                     eta_split, T, eta_det) * a_src * a_split
    dead = sample_dead(hardware.transmitter_yield, pre, seed=s, what="transmitter") | \
        sample_dead(hardware.detector_yield, eid, seed=s, what="detector")
    mu = np.where(dead, 0.0, mu)
    delay = light.link_delay_ns(geo.length_um, hardware.group_index, hardware.light_delay_ns,
                                geo.fibre_length_um, hardware.fibre_ps_per_mm)
    jitter = np.full(E, hardware.detector_jitter_ps * 1e-3)
    return LinkArrays(mu=mu, delay_ns=delay, jitter_ns=jitter, dead=dead, **common)
