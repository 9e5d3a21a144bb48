"""Losses on the outputs of :meth:`soen.train.Model.forward` (jnp; batched outputs (batch, n_steps, neurons)).

``neurons`` selects the output neurons (global neuron ids, e.g. ``range(o, o + 10)`` for a population
starting at o; see ``Compiled.populations``). Class scores:

* spike counts (:func:`count_cross_entropy`, :func:`count_mse`);
* first-spike times (:func:`first_spike_cross_entropy`): the expected number of steps before the first
  spike, Σ_n Π_{m≤n}(1 − z_m), differentiable through the surrogate of each z_m;
* membrane / loop-current readouts (:func:`readout_cross_entropy`): the maximum or mean over time of
  ``v`` (point models) or ``s_read`` (SOEN, ``Model(readout=...)``).

:func:`predict` gives the class of numpy spike counts with ties broken by the earliest first spike, then the
lowest index, the same rule for the JAX and the CPU engine.
"""

from __future__ import annotations

import numpy as np

__all__ = ["count_cross_entropy", "count_mse", "first_spike_cross_entropy", "readout_cross_entropy",
           "spike_counts", "predict"]


def _sel(outputs, key, neurons):
    import jax.numpy as jnp

    return outputs[key][..., jnp.asarray(np.asarray(neurons, dtype=np.int64))]


def _ce(logits, labels):
    import jax
    import jax.numpy as jnp

    lp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.mean(jnp.take_along_axis(lp, jnp.asarray(labels)[..., None].astype(jnp.int32), axis=-1))


def spike_counts(outputs, neurons):
    """Spikes of ``neurons`` summed over time: ([batch,] len(neurons))."""
    return _sel(outputs, "spikes", neurons).sum(axis=-2)


def count_cross_entropy(outputs, labels, *, neurons, scale: float = 1.0):
    """Softmax cross entropy of ``scale`` · spike counts (scale per spike) against integer ``labels``."""
    return _ce(scale * spike_counts(outputs, neurons), labels)


def count_mse(outputs, target_counts, *, neurons):
    """Mean squared difference between spike counts and ``target_counts`` (spikes)."""
    import jax.numpy as jnp

    return jnp.mean((spike_counts(outputs, neurons) - jnp.asarray(target_counts)) ** 2)


def first_spike_cross_entropy(outputs, labels, *, neurons, scale: float = 1.0):
    """Cross entropy of −``scale`` · (steps before the first spike) / n_steps: the right neuron should fire first."""
    import jax.numpy as jnp

    z = _sel(outputs, "spikes", neurons)
    surv = jnp.cumprod(1.0 - z, axis=-2)
    t_first = surv.sum(axis=-2) / z.shape[-2]
    return _ce(-scale * t_first, labels)


def readout_cross_entropy(outputs, labels, *, neurons, key: str = "v", reduce: str = "max", scale: float = 1.0):
    """Cross entropy of ``scale`` · max (or mean) over time of the readout ``key`` (``"v"``, mV, or
    ``"s_read"``, I_c)."""
    x = _sel(outputs, key, neurons)
    if reduce == "max":
        r = x.max(axis=-2)
    elif reduce == "mean":
        r = x.mean(axis=-2)
    else:
        raise ValueError(f"reduce must be 'max' or 'mean', got {reduce!r}")
    return _ce(scale * r, labels)


def predict(counts, first_step=None) -> np.ndarray:
    """Class of every row of ``counts`` (samples, classes): the largest count; ties go to the earliest
    ``first_step`` (step of the first spike, ≥ n_steps or inf when none), then to the lowest index."""
    c = np.asarray(counts, dtype=float)
    if c.ndim == 1:
        c = c[None]
    f = np.zeros_like(c) if first_step is None else np.asarray(first_step, dtype=float).reshape(c.shape)
    f = np.where(np.isfinite(f), f, 1e18)
    # lexicographic: count descending, first step ascending, index ascending
    key = c * 1e20 - f
    return np.argmax(key, axis=1)
