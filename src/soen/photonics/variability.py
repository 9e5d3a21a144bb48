"""Frozen device spread and yield, drawn once per device with the counter-based RNG (Shainline et al., Phys. Rev. Applied 7, 034013 (2017)).

Every draw is a pure function of ``(seed, stream, element id, kind)``: the stream is
``STREAMS["device_spread"]`` (spreads) or ``STREAMS["yield"]`` (dead components), the element id names
the device (neuron, synapse, connection) and the *kind* (``what``) selects the quantity through a fixed
counter (:data:`SPREAD_KINDS`, :data:`YIELD_KINDS`). Hence a device gets the same value whatever the
order of the elements, the subset requested or the partitioning of the network.

Distributions (``Spread.distribution``)
---------------------------------------
* ``"normal"``: x = nominal (1 + σ z), z ~ N(0, 1), then clipped to [low, high].
* ``"lognormal"``: x = nominal exp(s z − s²/2) with s² = ln(1 + σ²), so that E[x] = nominal and
  sd[x] / nominal = σ exactly (before clipping).
* ``"lognormal_db"``: x = nominal 10^(σ_dB z / 10) e^(−(σ_dB ln10/10)²/2): a lognormal with σ given in
  dB (the split-ratio error of Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118, 160501 (2021)), normalised to mean ``nominal``.

Example
-------
>>> import numpy as np
>>> a = sample_device_spread(Spread(1.0, 0.03), 5, seed=1, what="critical_current")
>>> b = sample_device_spread(Spread(1.0, 0.03), np.array([4, 2]), seed=1, what="critical_current")
>>> bool(a[4] == b[0] and a[2] == b[1])
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from soen._rng import STREAMS, normal_array, uniform_array

from ._validate import int_array, real_scalar, seed_value

__all__ = [
    "SPREAD_KINDS",
    "YIELD_KINDS",
    "Spread",
    "sample_device_spread",
    "sample_dead",
    "critical_current_factors",
    "effective_bias",
]

#: Counter id of each spread kind inside ``STREAMS["device_spread"]``. Never renumber.
SPREAD_KINDS: dict[str, int] = {
    "critical_current": 1,
    "time_constant": 2,
    "bias": 3,
    "inductance": 4,
    "source_efficiency": 5,
    "detector_efficiency": 6,
    "split_ratio": 7,
    "coupling": 8,
    "threshold": 9,
    "spd_time_constant": 10,
}

#: Counter id of each component kind inside ``STREAMS["yield"]``. Never renumber.
YIELD_KINDS: dict[str, int] = {
    "transmitter": 1,
    "detector": 2,
    "dendrite": 3,
    "neuron": 4,
    "waveguide": 5,
    "junction": 6,
}

_DISTRIBUTIONS = ("normal", "lognormal", "lognormal_db")


@dataclass(frozen=True)
class Spread:
    """A frozen per-device spread of one quantity.

    Parameters
    ----------
    nominal : float
        Design value (any unit; the draws carry the same unit).
    sigma : float
        Relative 1σ spread (``normal``/``lognormal``) or σ in dB (``lognormal_db``); 0 → no spread.
    distribution : {"normal", "lognormal", "lognormal_db"}
    low, high : float
        Clip bounds applied after drawing (default: no clipping).
    """

    nominal: float = 1.0
    sigma: float = 0.0
    distribution: str = "normal"
    low: float = -math.inf
    high: float = math.inf

    def __post_init__(self) -> None:
        object.__setattr__(self, "nominal", real_scalar("nominal", self.nominal))
        object.__setattr__(self, "sigma", real_scalar("sigma", self.sigma, low=0.0))
        if self.distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"distribution = {self.distribution!r} is not allowed; use one of {_DISTRIBUTIONS}"
            )
        lo = float(self.low)
        hi = float(self.high)
        if math.isnan(lo) or math.isnan(hi) or lo > hi:
            raise ValueError(f"clip bounds must satisfy low ≤ high, got low={self.low!r}, high={self.high!r}")
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", hi)


def _elements(n_or_elements) -> np.ndarray:
    if isinstance(n_or_elements, int | np.integer) and not isinstance(n_or_elements, bool):
        if n_or_elements < 0:
            raise ValueError(f"n must be ≥ 0, got {n_or_elements!r}")
        return np.arange(int(n_or_elements), dtype=np.int64)
    return int_array("elements", n_or_elements, low=0)


def _kind(what: str, table: dict[str, int], label: str) -> int:
    if what not in table:
        raise ValueError(f"what = {what!r} is not a known {label} kind; use one of {', '.join(table)}")
    return table[what]


def sample_device_spread(spec: Spread | float, n_or_elements, *, seed: int, what: str) -> np.ndarray:
    """Frozen per-device values of one quantity.

    Parameters
    ----------
    spec : Spread or float
        The spread; a bare float σ means ``Spread(1.0, σ, "normal")`` (a factor around 1).
    n_or_elements : int or array of int
        Either a count n (elements 0 … n−1) or the global element ids to draw for.
    seed : int
        Network seed.
    what : str
        Kind of quantity, one of :data:`SPREAD_KINDS` (selects an independent counter).

    Returns
    -------
    numpy.ndarray
        float64 values, one per element; the value of an element does not depend on the others.
    """
    if not isinstance(spec, Spread):
        spec = Spread(1.0, real_scalar("spec", spec, low=0.0), "normal")
    el = _elements(n_or_elements)
    s = seed_value(seed)
    counter = _kind(what, SPREAD_KINDS, "spread")
    if spec.sigma == 0.0:
        x = np.full(el.shape, spec.nominal)
    else:
        z = normal_array(s, STREAMS["device_spread"], el, counter)
        if spec.distribution == "normal":
            x = spec.nominal * (1.0 + spec.sigma * z)
        elif spec.distribution == "lognormal":
            s2 = math.log1p(spec.sigma**2)
            x = spec.nominal * np.exp(math.sqrt(s2) * z - 0.5 * s2)
        else:
            sl = spec.sigma * math.log(10.0) / 10.0
            x = spec.nominal * np.exp(sl * z - 0.5 * sl * sl)
    return np.clip(x, spec.low, spec.high)


def sample_dead(yield_fraction: float, n_or_elements, *, seed: int, what: str) -> np.ndarray:
    """Frozen dead/alive flags: element i is dead iff U(seed, yield, i, kind) > yield_fraction.

    Returns a boolean array (True = dead, to be removed from the graph). ``yield_fraction`` in [0, 1].
    """
    y = real_scalar("yield_fraction", yield_fraction, low=0.0, high=1.0)
    el = _elements(n_or_elements)
    s = seed_value(seed)
    counter = _kind(what, YIELD_KINDS, "yield")
    if y == 1.0:
        return np.zeros(el.shape, dtype=bool)
    return uniform_array(s, STREAMS["yield"], el, counter) > y


def critical_current_factors(n_or_elements, *, seed: int, sigma_rel: float = 0.03) -> np.ndarray:
    """Per-junction I_c / I_c,nominal: normal, relative σ ``sigma_rel`` (Shainline et al., Phys. Rev. Applied 7, 034013 (2017)), clipped ≥ 0.05."""
    return sample_device_spread(Spread(1.0, sigma_rel, "normal", low=0.05), n_or_elements, seed=seed,
                                what="critical_current")


def effective_bias(i_b, ic_factor) -> np.ndarray:
    """Normalised bias of a device whose junction I_c is ``ic_factor`` × nominal.

    The bias current in amperes is fixed by the bias network; normalised to the device's own critical
    current it becomes i_b,eff = i_b / (I_c / I_c,nominal). A junction 3 % strong behaves as if biased 3 %
    lower (thresholds and saturation shift accordingly, Shainline et al., Phys. Rev. Applied 7, 034013 (2017)).
    """
    ib = np.asarray(i_b, dtype=np.float64)
    f = np.asarray(ic_factor, dtype=np.float64)
    if np.any(~np.isfinite(f)) or np.any(f <= 0):
        raise ValueError("ic_factor must be positive and finite")
    return ib / f
