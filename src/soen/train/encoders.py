"""Input encoders: features → spike counts per time step (numpy only; no JAX needed).

Every encoder returns a dense array ``(samples, n_steps, channels)`` of spike counts per step, the
input format of :meth:`soen.train.Model.forward`, and :func:`to_spike_times` turns one sample into the
spike times of a :class:`soen.SpikeSource` (so that the CPU engine sees exactly the same spikes).

* :func:`rate` — rate code: feature x ∈ [0, 1] → x·``max_per_step`` spikes per step, as a regular
  (deterministic, phase-accumulator) train or as Bernoulli draws from a seeded generator;
* :func:`latency` — time-to-first-spike code: one spike at step round((1 − x)·(n_steps − 1)) for
  x > ``threshold`` (bright → early; Thorpe, Delorme & Van Rullen 2001 Neural Netw. 14:715);
* :func:`delta` — change code for sequences: a spike on the "up" (or "down") channel of a feature
  when it has moved by more than ``threshold`` since its last spike.
"""

from __future__ import annotations

import numpy as np

__all__ = ["rate", "latency", "delta", "to_spike_times", "normalise"]


def _features(x, name="x") -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise ValueError(f"{name} must be (samples, features) or (features,), got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must be finite")
    if a.min(initial=0.0) < 0.0 or a.max(initial=0.0) > 1.0:
        raise ValueError(f"{name} must lie in [0, 1] (use soen.train.encoders.normalise), got "
                         f"[{a.min():.4g}, {a.max():.4g}]")
    return a


def _steps(n_steps) -> int:
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer (time steps), got {n_steps!r}")
    return int(n_steps)


def normalise(x, max_value: float | None = None) -> np.ndarray:
    """``x / max_value`` clipped to [0, 1] (default ``max_value``: the largest value of ``x``)."""
    a = np.asarray(x, dtype=float)
    m = float(a.max()) if max_value is None else float(max_value)
    if not m > 0:
        raise ValueError(f"max_value must be > 0, got {m!r}")
    return np.clip(a / m, 0.0, 1.0)


def rate(x, n_steps: int, *, max_per_step: float = 0.5, stochastic: bool = False, seed: int = 0) -> np.ndarray:
    """Rate code of features ``x`` in [0, 1]: (samples, n_steps, features) spike counts.

    ``max_per_step``: spikes per step at x = 1 (in (0, 1]); deterministic trains put spike k of a
    feature at the step where the accumulated phase x·max_per_step·(n + 1) passes k (evenly spaced);
    ``stochastic=True`` draws Bernoulli spikes with probability x·max_per_step from ``seed``."""
    a = _features(x)
    T = _steps(n_steps)
    if not 0.0 < max_per_step <= 1.0:
        raise ValueError(f"max_per_step must be in (0, 1] (spikes per step), got {max_per_step!r}")
    p = a * max_per_step
    if stochastic:
        rng = np.random.default_rng(seed)
        return (rng.random((a.shape[0], T, a.shape[1])) < p[:, None, :]).astype(float)
    n = np.arange(1, T + 1, dtype=float)[None, :, None]
    acc = np.floor(p[:, None, :] * n + 1e-9)
    return np.diff(acc, axis=1, prepend=0.0)


def latency(x, n_steps: int, *, threshold: float = 0.0) -> np.ndarray:
    """Latency code: one spike per feature with x > ``threshold`` at step round((1 − x)(n_steps − 1))."""
    a = _features(x)
    T = _steps(n_steps)
    out = np.zeros((a.shape[0], T, a.shape[1]))
    s, f = np.nonzero(a > threshold)
    k = np.rint((1.0 - a[s, f]) * (T - 1)).astype(np.int64)
    out[s, k, f] = 1.0
    return out


def delta(seq, *, threshold: float, signed: bool = True) -> np.ndarray:
    """Delta (change) code of sequences ``seq`` (samples, n_steps, features): a spike when a feature has
    changed by more than ``threshold`` since its last spike (the reference then moves by the change).
    ``signed``: 2·features channels (up, then down); else one channel per feature (|change|)."""
    a = np.asarray(seq, dtype=float)
    if a.ndim != 3:
        raise ValueError(f"seq must be (samples, n_steps, features), got shape {a.shape}")
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0 (units of the features), got {threshold!r}")
    ref = a[:, 0, :].copy()
    up = np.zeros_like(a)
    dn = np.zeros_like(a)
    for t in range(1, a.shape[1]):
        d = a[:, t, :] - ref
        u, v = d > threshold, d < -threshold
        up[:, t][u] = 1.0
        dn[:, t][v] = 1.0
        ref = np.where(u | v, a[:, t, :], ref)
    return np.concatenate([up, dn], axis=2) if signed else up + dn


def to_spike_times(counts, dt_ns: float, t0_ns: float = 0.0) -> tuple:
    """The spikes of one encoded sample (n_steps, channels) as per-channel time arrays (ns) for a
    :class:`soen.SpikeSource`: a count k at step n gives k spikes at t0 + n·dt."""
    c = np.asarray(counts)
    if c.ndim != 2:
        raise ValueError(f"counts must be (n_steps, channels) of one sample, got shape {c.shape}")
    if not dt_ns > 0:
        raise ValueError(f"dt_ns must be > 0, got {dt_ns!r}")
    out = []
    for ch in range(c.shape[1]):
        steps = np.repeat(np.arange(c.shape[0]), np.rint(c[:, ch]).astype(np.int64))
        out.append(t0_ns + steps * float(dt_ns))
    return tuple(out)
