"""Tasks generated locally (numpy only, seeded, offline): the random-manifold spike-timing task.

:func:`randman` implements the random-manifold ("RandMan") data set of Zenke & Vogels (2021), "The
remarkable robustness of surrogate gradient learning for instilling complex function in spiking neural
networks", Neural Computation 33(4):899–925, doi:10.1162/neco_a_01367, from the recipe the paper
publishes (written anew here; no code is taken from the authors' package):

1. every class c owns one smooth random map f_c : [0, 1)^D → [0, 1]^n from a D-dimensional manifold
   coordinate x to the n input units. Component i is a product over the manifold dimensions of
   random Fourier sums,

   .. math::

       f_{c,i}(x) = \\prod_{d=1}^{D} \\sum_{k=1}^{K} a_{idk}\\, k^{-α}
                    \\sin\\bigl(2π (k\\, b_{idk}\\, x_d + c_{idk})\\bigr),

   with amplitudes, frequency factors and phases a, b, c drawn uniformly from [0, 1). The spectrum
   k^(−α) sets the smoothness (large α: smooth, nearly linear manifolds; small α: rough ones); the
   sum is cut at K = min(⌈precision^(−1/α)⌉, max_frequencies), the first k whose weight falls below
   ``precision``;
2. a sample of class c draws x uniformly from [0, 1)^D and evaluates f_c(x); each unit's values are
   then standardised over the samples of the class to [0, 1] (minimum → 0, maximum → 1);
3. the value of unit i is the time of the one spike unit i fires in the sample (a fraction of the
   trial): every sample has exactly one spike on every unit, so spike counts are identical for all
   classes and only the timing carries the class.

Chance level is 1 / n_classes. :func:`randman_spikes` turns the times into the dense
(samples, n_steps, units) spike-count array of :meth:`soen.train.Model.forward`, and
:func:`train_test_split` splits the samples (stratified, seeded).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["RandmanData", "randman", "randman_spikes", "train_test_split"]


def _posint(name: str, v, low: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
        raise ValueError(f"{name} must be an integer ≥ {low}, got {v!r}")
    return int(v)


@dataclass(frozen=True)
class RandmanData:
    """A RandMan data set (:func:`randman`).

    Attributes
    ----------
    times : (samples, units) float64 spike times as a fraction of the trial, in [0, 1].
    labels : (samples,) int64 class of every sample (0 … n_classes − 1), samples ordered by class.
    coords : (samples, manifold_dim) the manifold coordinate x of every sample (for analysis).
    n_classes, n_units, manifold_dim, alpha, n_frequencies, seed : the generator's parameters
        (``n_frequencies`` = K, the terms of every Fourier sum).
    """

    times: np.ndarray
    labels: np.ndarray
    coords: np.ndarray
    n_classes: int
    n_units: int
    manifold_dim: int
    alpha: float
    n_frequencies: int
    seed: int

    @property
    def chance(self) -> float:
        """Chance-level accuracy, 1 / n_classes."""
        return 1.0 / self.n_classes


def _manifold(rng, n_units, dim, K, alpha, x):
    """f(x) of one random manifold (samples, units) for coordinates x (samples, dim)."""
    a, b, c = (rng.random((n_units, dim, K)) for _ in range(3))
    k = np.arange(1, K + 1, dtype=np.float64)
    amp = a * k ** (-alpha)  # (units, dim, K)
    out = np.ones((x.shape[0], n_units))
    for d in range(dim):
        # (samples, 1, 1) × (1, units, K)
        arg = 2.0 * np.pi * (k * b[None, :, d, :] * x[:, d, None, None] + c[None, :, d, :])
        out *= np.einsum("uk,suk->su", amp[:, d, :], np.sin(arg))
    return out


def randman(n_classes: int = 10, n_units: int = 20, manifold_dim: int = 1, alpha: float = 2.0,
            n_samples: int = 1000, *, seed: int = 0, precision: float = 1e-3,
            max_frequencies: int = 1000) -> RandmanData:
    """Generate the random-manifold spike-timing task (Zenke & Vogels 2021, doi:10.1162/neco_a_01367).

    Parameters
    ----------
    n_classes : number of classes (one random manifold each), ≥ 2.
    n_units : input units (embedding dimension n); every unit spikes once per sample.
    manifold_dim : intrinsic dimension D of every manifold, ≥ 1.
    alpha : smoothness exponent α > 0 of the k^(−α) spectrum (larger: smoother).
    n_samples : samples per class.
    seed : integer seed of ``numpy.random.default_rng``; the same seed gives the same data set.
    precision : the Fourier sums stop at the first frequency whose weight k^(−α) is below it, in (0, 1).
    max_frequencies : upper bound on the number of Fourier terms K.

    Returns
    -------
    RandmanData: spike times (fraction of the trial, in [0, 1]) of every unit in every sample, labels,
    manifold coordinates.
    """
    n_classes = _posint("n_classes", n_classes, 2)
    n_units = _posint("n_units", n_units)
    manifold_dim = _posint("manifold_dim", manifold_dim)
    n_samples = _posint("n_samples", n_samples, 2)
    max_frequencies = _posint("max_frequencies", max_frequencies)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating, np.integer)) \
            or not math.isfinite(alpha) or not alpha > 0:
        raise ValueError(f"alpha must be a finite number > 0 (smoothness exponent), got {alpha!r}")
    if isinstance(precision, bool) or not isinstance(precision, (int, float, np.floating)) \
            or not 0.0 < precision < 1.0:
        raise ValueError(f"precision must be in (0, 1), got {precision!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    K = int(min(math.ceil(precision ** (-1.0 / float(alpha))), max_frequencies))
    root = np.random.SeedSequence(int(seed))
    times, labels, coords = [], [], []
    for c, ss in enumerate(root.spawn(n_classes)):
        r_man, r_x = (np.random.default_rng(s) for s in ss.spawn(2))
        x = r_x.random((n_samples, manifold_dim))
        y = _manifold(r_man, n_units, manifold_dim, K, float(alpha), x)
        lo, hi = y.min(axis=0), y.max(axis=0)
        times.append((y - lo) / np.where(hi > lo, hi - lo, 1.0))
        labels.append(np.full(n_samples, c, dtype=np.int64))
        coords.append(x)
    return RandmanData(times=np.clip(np.concatenate(times), 0.0, 1.0), labels=np.concatenate(labels),
                       coords=np.concatenate(coords), n_classes=n_classes, n_units=n_units,
                       manifold_dim=manifold_dim, alpha=float(alpha), n_frequencies=K, seed=int(seed))


def randman_spikes(times, n_steps: int, *, first_step: int = 0, last_step: int | None = None) -> np.ndarray:
    """Dense spike counts (samples, n_steps, units) of spike ``times`` (samples, units) in [0, 1]: unit i
    spikes once, at step first_step + round(t·(last_step − first_step)) (default: the whole trial,
    last_step = n_steps − 1)."""
    t = np.asarray(times, dtype=float)
    if t.ndim != 2:
        raise ValueError(f"times must be (samples, units), got shape {t.shape}")
    if not np.isfinite(t).all() or t.min(initial=0.0) < 0.0 or t.max(initial=0.0) > 1.0:
        raise ValueError("times must be finite fractions of the trial in [0, 1]")
    T = _posint("n_steps", n_steps)
    lo = int(first_step)
    hi = T - 1 if last_step is None else int(last_step)
    if not 0 <= lo <= hi < T:
        raise ValueError(f"need 0 ≤ first_step ≤ last_step < n_steps; got first_step={first_step!r}, "
                         f"last_step={last_step!r}, n_steps={n_steps!r}")
    k = lo + np.rint(t * (hi - lo)).astype(np.int64)
    out = np.zeros((t.shape[0], T, t.shape[1]))
    s, u = np.indices(t.shape)
    out[s, k, u] = 1.0
    return out


def train_test_split(labels, test_fraction: float = 0.2, *, seed: int = 0):
    """Indices (train, test) of a split stratified by class: in every class a fraction ``test_fraction``
    of its samples, chosen by ``numpy.random.default_rng(seed)``, goes to the test set."""
    y = np.asarray(labels)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    rng = np.random.default_rng(seed)
    tr, te = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_te = max(1, round(test_fraction * idx.size))
        te.append(idx[:n_te])
        tr.append(idx[n_te:])
    return rng.permutation(np.concatenate(tr)), rng.permutation(np.concatenate(te))
