"""Counter-based random numbers.

Every random draw in soen is a pure function of ``(seed, stream, element, counter)``: a stream names
*what* is drawn (Poisson input, photon count, jitter, device spread …), ``element`` *which* element
(neuron, synapse, connection) and ``counter`` *which* event or sub-draw. Nothing carries RNG state, so
results are identical whatever the thread count, partitioning or engine, and a resumed run draws
exactly what an uninterrupted one would.

The bit mixer is the SplitMix64 finaliser (Steele, Lea & Flood, "Fast splittable pseudorandom number
generators", OOPSLA 2014), applied in a keyed chain over the four 64-bit words. It passes BigCrush when
used as a counter-based generator; we test uniformity and independence in ``tests/test_rng.py``.

All functions are Numba-compiled scalar functions usable from kernels, with NumPy wrappers for arrays.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

__all__ = [
    "STREAMS",
    "hash64",
    "hash64_prefix",
    "hash64_finish",
    "uniform",
    "normal",
    "exponential",
    "poisson",
    "uniform_array",
    "normal_array",
    "philox",
]

#: Stream identifiers: one per kind of random quantity. Never renumber (it changes results).
STREAMS = {
    "poisson_input": 1,
    "photon_count": 2,
    "emission_time": 3,
    "jitter": 4,
    "dark_count": 5,
    "device_spread": 6,
    "connectivity": 7,
    "weights": 8,
    "delays": 9,
    "yield": 10,
    "thermal_noise": 11,
    "layout": 12,
    "plasticity_timing": 13,
    "plasticity_photon": 14,
    "initial_state": 64,
}

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@nb.njit(inline="always", cache=True)
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@nb.njit(inline="always", cache=True)
def hash64_prefix(seed, stream, element):
    """The first three links of :func:`hash64`'s chain: a kernel that draws many counters of one
    element computes this once and finishes each draw with :func:`hash64_finish` (one mix, not four)."""
    x = _mix(np.uint64(seed) + _GOLDEN)
    x = _mix(x ^ (np.uint64(stream) * _GOLDEN + _M1))
    return _mix(x ^ (np.uint64(element) + _M2))


@nb.njit(inline="always", cache=True)
def hash64_finish(prefix, counter):
    """Last link of the chain: ``hash64_finish(hash64_prefix(s, t, e), c) == hash64(s, t, e, c)``."""
    return _mix(prefix ^ (np.uint64(counter) * _M1 + _GOLDEN))


@nb.njit(cache=True)
def hash64(seed, stream, element, counter):
    """64-bit hash of four non-negative integers (the counter-based generator's core)."""
    return hash64_finish(hash64_prefix(seed, stream, element), counter)


@nb.njit(cache=True)
def hash64_prefix_array(seed, stream, elements):
    """:func:`hash64_prefix` of every entry of ``elements`` (int64 array) as a uint64 array."""
    out = np.empty(elements.shape[0], dtype=np.uint64)
    for j in range(elements.shape[0]):
        out[j] = hash64_prefix(seed, stream, elements[j])
    return out


@nb.njit(cache=True)
def uniform(seed, stream, element, counter):
    """Uniform draw in the open interval (0, 1) with 53-bit resolution."""
    # the 53-bit value converted as int64: exact, and one instruction (uint64 → float is a slow path)
    return (float(np.int64(hash64(seed, stream, element, counter) >> _S11)) + 0.5) * _INV53


@nb.njit(cache=True)
def normal(seed, stream, element, counter):
    """Standard normal draw (Box–Muller on two sub-counters 2c and 2c+1)."""
    u1 = uniform(seed, stream, element, 2 * counter)
    u2 = uniform(seed, stream, element, 2 * counter + 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@nb.njit(cache=True)
def exponential(seed, stream, element, counter):
    """Exponential draw with unit mean."""
    return -math.log(uniform(seed, stream, element, counter))


@nb.njit(cache=True)
def poisson(mu, seed, stream, element, counter):
    """Poisson draw with mean ``mu`` (inversion by sequential search; ``mu`` up to ~700).

    Sub-draws use counters ``counter * 1024 + j``; for mu > 500 a normal approximation is used.
    """
    if mu <= 0.0:
        return 0
    if mu > 500.0:
        k = int(math.floor(mu + math.sqrt(mu) * normal(seed, stream, element, counter) + 0.5))
        return k if k > 0 else 0
    u = uniform(seed, stream, element, counter)
    p = math.exp(-mu)
    cdf = p
    k = 0
    while u > cdf and k < 100000:
        k += 1
        p *= mu / k
        cdf += p
        if p < 1e-300 and k > mu:
            break
    return k


@nb.njit(cache=True)
def _uniform_fill(out, seed, stream, elements, counter):
    for j in range(elements.shape[0]):
        out[j] = uniform(seed, stream, elements[j], counter)


@nb.njit(cache=True)
def _normal_fill(out, seed, stream, elements, counter):
    for j in range(elements.shape[0]):
        out[j] = normal(seed, stream, elements[j], counter)


def uniform_array(seed: int, stream: int, elements, counter: int = 0) -> np.ndarray:
    """Uniform draws, one per entry of ``elements`` (integer ids), as a float64 array."""
    el = np.ascontiguousarray(elements, dtype=np.int64).ravel()
    out = np.empty(el.shape[0])
    _uniform_fill(out, int(seed), int(stream), el, int(counter))
    return out


def normal_array(seed: int, stream: int, elements, counter: int = 0) -> np.ndarray:
    """Standard normal draws, one per entry of ``elements`` (integer ids), as a float64 array."""
    el = np.ascontiguousarray(elements, dtype=np.int64).ravel()
    out = np.empty(el.shape[0])
    _normal_fill(out, int(seed), int(stream), el, int(counter))
    return out


def philox(seed: int, stream: str | int, index: int, block: int = 0) -> np.random.Generator:
    """A NumPy Philox generator keyed by (seed, stream, index) and started at counter block ``block``.

    For bulk draws at compile time. Counter-based like the scalar functions above: the draws of
    (index, block) do not depend on any other element or block, nor on the order generators are made.
    """
    sid = STREAMS[stream] if isinstance(stream, str) else int(stream)
    key = [int(seed) & (2**64 - 1), (sid << 48) | (int(index) & (2**48 - 1))]
    return np.random.Generator(np.random.Philox(key=key, counter=[0, 0, int(block) & (2**64 - 1), 0]))
