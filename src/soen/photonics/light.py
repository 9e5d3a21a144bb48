"""The light model of a photonic connection: splitting, transmission, detection, delay.

Every function is vectorised (NumPy broadcasting) and checks its inputs. Equations are Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021);
the photon statistics (Poisson detection) follow SOEN-II/PRA17; delays use the group index.

Example
-------
>>> from soen.photonics.light import split_efficiency, transmission, mean_detected_photons
>>> eta = split_efficiency(1024, 0.1)          # 10 stages × 0.1 dB excess, equal split
>>> round(float(eta * 1024), 4)
0.7943
>>> round(float(transmission(10_000.0, 0.5)), 4)   # 1 cm at 0.5 dB/cm
0.8913
"""

from __future__ import annotations

import math

import numpy as np

from soen.units import C_M_PER_S

from ._validate import real_array

__all__ = [
    "split_stages",
    "split_efficiency",
    "transmission",
    "loss_db",
    "mean_detected_photons",
    "detection_probability",
    "mu_for_probability",
    "photons_for_probability",
    "propagation_delay_ns",
    "fibre_delay_ns",
    "link_delay_ns",
    "first_photon_mean_delay_ns",
]


def split_stages(fan_out) -> np.ndarray:
    """Number of 1×2 stages of a passive splitting tree, ⌈log2 F⌉ (0 for F = 1)."""
    f = real_array("fan_out", fan_out, low=1.0)
    if np.any(f != np.round(f)):
        raise ValueError(f"fan_out must be whole numbers ≥ 1, got {fan_out!r}")
    # exact integer ceil(log2 F) = bit length of F−1, computed once per distinct fan-out
    uniq, inv = np.unique(f.ravel(), return_inverse=True)
    stages = np.array([int(x - 1).bit_length() for x in uniq], dtype=np.float64)
    return stages[inv].reshape(f.shape)


def split_efficiency(fan_out, split_excess_loss_db=0.0) -> np.ndarray:
    """Fraction of the transmitter's light reaching one of F equal branches of a passive tree.

    .. math:: η_{split} = 10^{-ℓ_{excess} \\lceil \\log_2 F \\rceil / 10} / F

    (Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021).) ``split_excess_loss_db`` ℓ_excess is the excess loss of one 1×2 stage in dB.
    """
    f = real_array("fan_out", fan_out, low=1.0)
    ex = real_array("split_excess_loss_db", split_excess_loss_db, low=0.0)
    return 10.0 ** (-ex * split_stages(f) / 10.0) / f


def loss_db(length_um, loss_db_per_cm, n_crossings=0.0, crossing_loss_db=0.0, n_planes=0.0,
            interplane_loss_db=0.0, coupling_loss_db=0.0) -> np.ndarray:
    """Total path loss in dB: α L + n_cross ℓ_cross + n_plane ℓ_plane + ℓ_couple (L converted µm → cm)."""
    L = real_array("length_um", length_um, low=0.0)
    a = real_array("loss_db_per_cm", loss_db_per_cm, low=0.0)
    nc = real_array("n_crossings", n_crossings, low=0.0)
    lc = real_array("crossing_loss_db", crossing_loss_db, low=0.0)
    npl = real_array("n_planes", n_planes, low=0.0)
    lp = real_array("interplane_loss_db", interplane_loss_db, low=0.0)
    lk = real_array("coupling_loss_db", coupling_loss_db, low=0.0)
    return a * (L * 1e-4) + nc * lc + npl * lp + lk


def transmission(length_um, loss_db_per_cm, n_crossings=0.0, crossing_loss_db=0.0, n_planes=0.0,
                 interplane_loss_db=0.0, coupling_loss_db=0.0) -> np.ndarray:
    """Power transmission of the waveguide path from splitter to detector.

    .. math:: T = 10^{-[α L + n_{cross} ℓ_{cross} + n_{plane} ℓ_{plane} + ℓ_{couple}]/10}

    (Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021).) ``length_um`` in µm, α in dB/cm, the ℓ's in dB; counts may be fractional
    (expected values from :mod:`soen.photonics.layout`).
    """
    return 10.0 ** (-loss_db(length_um, loss_db_per_cm, n_crossings, crossing_loss_db, n_planes,
                             interplane_loss_db, coupling_loss_db) / 10.0)


def mean_detected_photons(photons_per_spike, source_coupling_efficiency, split_eff, path_transmission,
                          detector_efficiency) -> np.ndarray:
    """Mean number of photons detected at target j per spike.

    .. math:: μ_j = N_{emit} η_c η_{split,j} T_j η_{det,j}

    (Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021), PRA17.)
    """
    n = real_array("photons_per_spike", photons_per_spike, low=0.0)
    c = real_array("source_coupling_efficiency", source_coupling_efficiency, low=0.0, high=1.0)
    s = real_array("split_eff", split_eff, low=0.0, high=1.0)
    t = real_array("path_transmission", path_transmission, low=0.0, high=1.0)
    d = real_array("detector_efficiency", detector_efficiency, low=0.0, high=1.0)
    return n * c * s * t * d


def detection_probability(mu) -> np.ndarray:
    """Probability that a spike fires the synapse: detected count k ~ Poisson(μ), event iff k ≥ 1.

    .. math:: P = 1 - e^{-μ}

    (Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021).) μ = inf gives P = 1.
    """
    m = real_array("mu", mu, low=0.0, allow_inf=True)
    return -np.expm1(-m)


def mu_for_probability(probability) -> np.ndarray:
    """Mean detected photons needed for delivery probability P: μ = −ln(1 − P) (Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021)).

    3.0 for 95 %, 4.6 for 99 %, 6.9 for 99.9 %. P must lie in [0, 1); P = 1 needs μ = ∞.
    """
    p = real_array("probability", probability, low=0.0, high=1.0, high_open=True)
    return -np.log1p(-p)


def photons_for_probability(probability, fan_out, path_efficiency=1.0) -> np.ndarray:
    """Photons per spike the transmitter must emit so each of F targets fires with probability P.

    N_emit = μ(P) F / η_path, where η_path = η_c 10^(−ℓ_excess⌈log2 F⌉/10) T η_det is the whole
    non-splitting efficiency of the path (from μ = N_emit η_c η_split T η_det, Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021)).
    """
    mu = mu_for_probability(probability)
    f = real_array("fan_out", fan_out, low=1.0)
    eta = real_array("path_efficiency", path_efficiency, low=0.0, high=1.0, low_open=True)
    return mu * f / eta


def propagation_delay_ns(length_um, group_index) -> np.ndarray:
    """Time of flight in a waveguide, n_g L / c, in ns (``length_um`` in µm)."""
    L = real_array("length_um", length_um, low=0.0)
    ng = real_array("group_index", group_index, low=1.0)
    return ng * L * 1e-6 / C_M_PER_S * 1e9


def fibre_delay_ns(fibre_length_um, fibre_ps_per_mm) -> np.ndarray:
    """Time of flight in fibre in ns: length × (ps per mm) (Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021): 4.9 ps/mm)."""
    L = real_array("fibre_length_um", fibre_length_um, low=0.0)
    r = real_array("fibre_ps_per_mm", fibre_ps_per_mm, low=0.0)
    return L * 1e-3 * r * 1e-3


def link_delay_ns(length_um, group_index, light_delay_ns=0.0, fibre_length_um=0.0,
                  fibre_ps_per_mm=4.9) -> np.ndarray:
    """Deterministic connection delay τ = t_emit + n_g L / c + fibre delay, in ns (Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021)).

    The random parts (emission time, detector jitter) are added per spike by the engine.
    """
    t0 = real_array("light_delay_ns", light_delay_ns, low=0.0)
    return t0 + propagation_delay_ns(length_um, group_index) + fibre_delay_ns(fibre_length_um,
                                                                               fibre_ps_per_mm)


def first_photon_mean_delay_ns(mu, emission_tau_ns) -> np.ndarray:
    """Mean emission delay of the first detected photon, averaged over k ~ Poisson(μ) given k ≥ 1.

    With k detected photons, each emitted at an Exp(τ_rad) time, the first arrives after Exp(τ_rad / k);
    its mean is E[τ_rad / k | k ≥ 1] = τ_rad Σ_k (μ^k e^{−μ} / k!) / k / (1 − e^{−μ}).
    Useful to predict mean latencies; the engine draws the actual time per spike.
    """
    m = real_array("mu", mu, low=0.0, low_open=True, allow_inf=True)
    tau = real_array("emission_tau_ns", emission_tau_ns, low=0.0)
    out = np.empty(np.broadcast(m, tau).shape)
    mb, tb = np.broadcast_arrays(m, tau)
    for idx in np.ndindex(out.shape):
        mu_v = float(mb[idx])
        if not math.isfinite(mu_v):
            out[idx] = 0.0
            continue
        kmax = int(mu_v + 12.0 * math.sqrt(mu_v) + 30)
        k = np.arange(1, kmax + 1, dtype=np.float64)
        logp = k * math.log(mu_v) - mu_v - np.array([math.lgamma(x + 1.0) for x in k])
        out[idx] = float(tb[idx]) * float(np.sum(np.exp(logp) / k)) / (-math.expm1(-mu_v))
    return out
