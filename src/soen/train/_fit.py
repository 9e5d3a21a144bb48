"""Training loop: :func:`fit` (optax optimiser, seeded shuffling, bounds after every step, text progress,
checkpoints) and :func:`evaluate`."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["fit", "evaluate", "FitResult", "save_params", "load_params"]


@dataclass
class FitResult:
    """What :func:`fit` returns: the final (projected) ``params`` (numpy), the ``best`` params by the
    validation metric (or the final ones) and the per-epoch ``history`` (loss, metrics, seconds)."""

    params: dict
    best: dict
    history: dict = field(default_factory=dict)


def save_params(path, params: dict, **extra) -> Path:
    """Write ``params`` (and scalar ``extra`` values) to an ``.npz`` file."""
    p = Path(path)
    np.savez(p, **{f"param.{k}": np.asarray(v) for k, v in params.items()},
             **{f"extra.{k}": np.asarray(v) for k, v in extra.items()})
    return p if str(p).endswith(".npz") else Path(str(p) + ".npz")  # (numpy appends .npz)


def load_params(path) -> dict:
    """Parameters written by :func:`save_params` (or a :func:`fit` checkpoint)."""
    with np.load(path) as z:
        return {k[6:]: z[k] for k in z.files if k.startswith("param.")}


def _batches(n, batch_size, rng):
    order = rng.permutation(n)
    for b in range(n // batch_size):
        yield order[b * batch_size:(b + 1) * batch_size]


def evaluate(model, params, inputs, fn, *, batch_size: int = 128, key=None):
    """``fn(outputs)`` (a numpy-able pytree) of the forward pass on ``inputs`` (samples, n_steps, channels),
    batch by batch, concatenated along the first axis. ``key``: a ``jax.random`` key for stochastic models
    (``model.stochastic``, e.g. :class:`soen.train.photonic.PhotonicModel`); batch i uses
    ``jax.random.fold_in(key, i)``."""
    import jax

    with model.context():
        if key is None:
            f = jax.jit(lambda p, x: fn(model.forward(p, x)))
            parts = [jax.device_get(f(params, inputs[i:i + batch_size])) for i in range(0, len(inputs), batch_size)]
        else:
            g = jax.jit(lambda p, x, k: fn(model.forward(p, x, key=k)))
            parts = [jax.device_get(g(params, inputs[i:i + batch_size], jax.random.fold_in(key, i)))
                     for i in range(0, len(inputs), batch_size)]
    return jax.tree_util.tree_map(lambda *a: np.concatenate(a, axis=0), *parts)


def fit(model, loss, x, y, *, epochs: int, batch_size: int = 64, optimizer=None, learning_rate: float = 1e-2,
        seed: int = 0, params=None, metric=None, progress: bool = True, checkpoint=None,
        time_limit_s: float | None = None, log=None) -> FitResult:
    """Train ``model`` (:class:`soen.train.Model`) on inputs ``x`` (samples, n_steps, channels) and targets ``y``.

    ``loss(outputs, y_batch) -> scalar`` (e.g. ``lambda o, y: losses.count_cross_entropy(o, y, neurons=out)``);
    ``optimizer``: an optax transformation (default ``optax.adam(learning_rate)``); batches of
    ``batch_size`` samples in an order shuffled per epoch by ``numpy.random.default_rng(seed)`` (the last
    partial batch of an epoch is left out, a different one every epoch); after every step the parameters
    are projected into their physical bounds (:meth:`Model.project`). ``metric(params) -> float`` is called
    after every epoch (e.g. a validation accuracy; higher is better; ``best`` keeps the best params).
    ``checkpoint``: a path; the params and the epoch are written there after every epoch
    (:func:`load_params` reads them; pass them back as ``params=`` to continue). ``time_limit_s``: stop after
    the epoch that passes this wall time (s). ``progress``: one line per epoch on stderr (or ``log``).
    Stochastic models (``model.stochastic`` true, e.g. :class:`soen.train.photonic.PhotonicModel`) get
    ``key=jax.random.fold_in(jax.random.PRNGKey(seed), step)`` in ``model.forward``: fresh draws every step."""
    import jax
    import jax.numpy as jnp
    import optax

    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 3 or x.shape[0] != y.shape[0]:
        raise ValueError(f"x must be (samples, n_steps, channels) with one target per sample; got x {x.shape}, "
                         f"y {y.shape}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= len(x):
        raise ValueError(f"batch_size must be an integer in 1..{len(x)} (samples), got {batch_size!r}")
    out = log if log is not None else sys.stderr
    rng = np.random.default_rng(seed)
    opt = optimizer if optimizer is not None else optax.adam(learning_rate)
    hist = dict(epoch=[], loss=[], metric=[], seconds=[])
    t0 = time.perf_counter()
    with model.context():
        p = {k: jnp.asarray(v) for k, v in (params if params is not None else model.init_params()).items()}
        p = model.project(p)
        state = opt.init(p)

        stochastic = bool(getattr(model, "stochastic", False))
        key0 = jax.random.PRNGKey(seed)

        @jax.jit
        def step(p, s, xb, yb, n):
            if stochastic:
                k = jax.random.fold_in(key0, n)
                fwd = lambda q: model.forward(q, xb, key=k)
            else:
                fwd = lambda q: model.forward(q, xb)
            val, g = jax.value_and_grad(lambda q: loss(fwd(q), yb))(p)
            upd, s = opt.update(g, s, p)
            p = model.project(optax.apply_updates(p, upd))
            return p, s, val

        best, best_m = jax.device_get(p), -np.inf
        n_step = 0
        for ep in range(1, epochs + 1):
            te = time.perf_counter()
            vals = []
            for idx in _batches(len(x), batch_size, rng):
                p, state, v = step(p, state, jnp.asarray(x[idx]), jnp.asarray(y[idx]), n_step)
                n_step += 1
                vals.append(v)
            lv = float(np.mean(jax.device_get(vals))) if vals else float("nan")
            pn = {k: np.asarray(v) for k, v in jax.device_get(p).items()}
            m = float(metric(pn)) if metric is not None else float("nan")
            if metric is None or m > best_m:
                best, best_m = pn, m
            hist["epoch"].append(ep)
            hist["loss"].append(lv)
            hist["metric"].append(m)
            hist["seconds"].append(time.perf_counter() - t0)
            if progress:
                print(f"epoch {ep:3d}/{epochs}  loss {lv:.4f}  metric {m:.4f}  epoch {time.perf_counter() - te:6.1f} s  "
                      f"total {time.perf_counter() - t0:7.1f} s", file=out, flush=True)
            if checkpoint is not None:
                save_params(checkpoint, pn, epoch=ep, loss=lv, metric=m)
            if time_limit_s is not None and time.perf_counter() - t0 > time_limit_s:
                break
    return FitResult(params=pn, best=best, history=hist)
