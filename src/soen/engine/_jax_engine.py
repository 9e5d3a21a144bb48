"""The JAX engine object (:class:`JAX`): runs a :class:`soen.Compiled` under the one driver
(:func:`soen.simulate` with ``engine=soen.engines.JAX()``).

The forward passes are those of :mod:`soen.engine._jax_core` (the same the training API differentiates).
A run steps fixed blocks of ``block_steps`` steps (one compiled ``lax.scan``; the last block of a chunk
is masked), so the driver's chunking never recompiles. JAX is imported when a run is prepared.

float64: each call runs inside ``jax.enable_x64(True)`` (a context manager: the process-wide default
``jax_enable_x64`` is left as it is); ``dtype="float32"`` runs in single precision.
"""

from __future__ import annotations

import numpy as np

from ._jax_lower import PointLowered, initial_params, lower

__all__ = ["JAX", "JaxRun", "DTYPES"]

DTYPES = ("float64", "float32")


def x64_context(enabled: bool):
    """``jax.enable_x64(enabled)`` (JAX ≥ 0.6; ``jax.experimental.enable_x64`` before): 64-bit types
    inside the block only, the process default ``jax_enable_x64`` untouched."""
    import jax

    f = getattr(jax, "enable_x64", None)
    if f is not None:
        return f(bool(enabled))
    from jax.experimental import enable_x64, disable_x64  # noqa: I001

    return enable_x64() if enabled else disable_x64()


def _check_jax(what: str):
    try:
        import jax  # noqa: F401
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(f"{what} needs JAX: pip install 'soen[jax]' (jax, optax)") from e


class JaxRun:
    """State and compiled block function of one run on the JAX engine (made by :meth:`JAX.prepare`)."""

    def __init__(self, engine, c, rec_idx, rec_rows: int):
        import jax

        self.c = c
        self.engine = engine
        self.low = lower(c, engine_name="soen.engines.JAX")
        self.point = isinstance(self.low, PointLowered)
        self.rec_idx = np.asarray(rec_idx, dtype=np.int64)
        self.B = int(engine.block_steps)
        self._x64 = engine.dtype == "float64"
        with x64_context(self._x64):
            import jax.numpy as jnp

            from . import _jax_core as core

            dt = jnp.float64 if self._x64 else jnp.float32
            self._dtype = dt
            params = {k: jnp.asarray(v, dt) for k, v in initial_params(c).items()}
            rec = self.rec_idx if self.rec_idx.size else None
            fwd = core.point_forward if self.point else core.soen_forward
            kw = dict(dtype=dt, record=rec)
            if engine.surrogate is not None:
                kw["surrogate"] = engine.surrogate
            self.state_j = (core.point_state0 if self.point else core.soen_state0)(self.low, dt)

            def block(state, inputs, active, n0):
                return fwd(self.low, params, inputs, state=state, n0=n0, active=active, **kw)

            self._block = jax.jit(block)
        n_in = self.low.n_in
        self.in_count = np.zeros(n_in, dtype=np.int64)
        self._spk_step, self._spk_id, self._rec_a, self._rec_b = [], [], [], []
        self._n_spikes = 0
        self._n_in_spikes = 0
        self._err = None
        self.parallel = False

    # ---- driver protocol -----------------------------------------------------------------------
    def advance(self, n0: int, n1: int, src_step, src_node, rec_every: int) -> int:
        import jax

        n_in = self.low.n_in
        T = n1 - n0
        x = np.zeros((max(T, 0), n_in))
        if T > 0 and np.size(src_step):
            np.add.at(x, (np.asarray(src_step, np.int64) - n0, np.asarray(src_node, np.int64) - self.low.node0_in), 1.0)
            np.add.at(self.in_count, np.asarray(src_node, np.int64) - self.low.node0_in, 1)
            self._n_in_spikes += int(np.size(src_step))
        B = self.B
        with x64_context(self._x64):
            import jax.numpy as jnp

            if T <= 0:  # compile (the driver's zero-step call)
                z = jnp.zeros((B, n_in), self._dtype)
                jax.block_until_ready(self._block(self.state_j, z, jnp.zeros(B, bool), jnp.int32(n0)))
                return n1
            for b0 in range(0, T, B):
                nb_ = min(B, T - b0)
                xb = np.zeros((B, n_in))
                xb[:nb_] = x[b0:b0 + nb_]
                act = np.zeros(B, bool)
                act[:nb_] = True
                outs, st = self._block(self.state_j, jnp.asarray(xb, self._dtype), jnp.asarray(act),
                                       jnp.int32(n0 + b0))
                spk = np.asarray(outs["spikes"])[:nb_]
                probe = np.asarray(outs["v"] if self.point else outs["s_soma"])[:nb_]
                bad = ~np.isfinite(probe)
                if bad.any():
                    t, i = (int(a[0]) for a in np.nonzero(bad))
                    elem = i if self.point else int(self.low.nr_soma[i])
                    self._err = (elem, n0 + b0 + t)
                    self._collect(spk[:t], outs, n0 + b0, t, rec_every)
                    self.state_j = st
                    return n0 + b0 + t
                self._collect(spk, outs, n0 + b0, nb_, rec_every)
                self.state_j = st
        return n1

    def _collect(self, spk, outs, nstart, nb_, rec_every):
        t, i = np.nonzero(spk > 0)
        self._spk_step.append(nstart + t.astype(np.int64) + 1)
        self._spk_id.append(i.astype(np.int64))
        self._n_spikes += t.size
        if self.rec_idx.size and rec_every > 0:
            ns = nstart + np.arange(nb_)
            keep = ns % rec_every == 0
            ka, kb = ("rec_v", "rec_x") if self.point else ("rec_s", "rec_phi")
            self._rec_a.append(np.asarray(outs[ka])[:nb_][keep])
            self._rec_b.append(np.asarray(outs[kb])[:nb_][keep])

    def read(self):
        e = np.empty(0, dtype=np.int64)
        st = np.concatenate(self._spk_step) if self._spk_step else e
        sid = np.concatenate(self._spk_id) if self._spk_id else e
        o = np.lexsort((sid, st))
        k = self.rec_idx.size
        ra = np.concatenate(self._rec_a).astype(np.float64) if self._rec_a else np.zeros((0, k))
        rb = np.concatenate(self._rec_b).astype(np.float64) if self._rec_b else np.zeros((0, k))
        self._spk_step, self._spk_id, self._rec_a, self._rec_b = [], [], [], []
        return st[o], sid[o], ra, rb

    def error(self):
        return self._err

    def describe_element(self, i: int) -> str:
        if self.point:
            pops = self.c.populations
            pop = next(k for k, (o, m) in pops.items() if o <= i < o + m)
            return f"neuron {pop}[{i - pops[pop][0]}]"
        return f"dendrite {i}"

    def counts(self, n_spikes: int, n_pending_drives: int) -> dict:
        return dict(spikes=n_spikes, input_spikes=int(self._n_in_spikes))

    def input_counts(self) -> np.ndarray:
        return self.in_count.copy()

    def fluxons(self) -> np.ndarray:
        if self.point:
            return np.empty(0)
        return np.asarray(self.state_j["fluxons"], dtype=np.float64) * (float(self.c.meta["h_tau"]) / (2 * np.pi))

    @property
    def arrays(self) -> dict:
        """numpy views of the state (the driver reads ``ref_until`` of SOEN runs)."""
        return {k: np.asarray(v) for k, v in self.state_j.items()}

    def state(self) -> dict:
        return {**{k: np.asarray(v) for k, v in self.state_j.items()},
                "_counts": np.array([self._n_in_spikes], dtype=np.int64), "_in_count": self.in_count}

    def load_state(self, z) -> None:

        with x64_context(self._x64):
            import jax.numpy as jnp

            new = {}
            for k, v in self.state_j.items():
                a = np.asarray(z[k])
                if a.shape != v.shape:
                    raise ValueError(f"resume: checkpoint array {k!r} has shape {a.shape}, expected {v.shape}")
                new[k] = jnp.asarray(a, v.dtype)
            self.state_j = new
        self._n_in_spikes = int(np.asarray(z["_counts"])[0])
        self.in_count = np.asarray(z["_in_count"]).copy()


class JAX:
    """The JAX engine: LIF-family point networks (LIF, LI, CubaLIF, IF, I) and SOEN networks with ideal
    delivery, on a differentiable forward pass (:mod:`soen.engine._jax_core`).

    Parameters
    ----------
    dtype : ``"float64"`` (default; runs inside ``jax.enable_x64(True)``) or ``"float32"``.
    block_steps : steps per compiled block (a ``lax.scan``; the driver's chunks are cut into blocks).
    surrogate : surrogate derivative of the spikes used when this engine's forward pass is
        differentiated (``"fast_sigmoid"``, ``"arctan"``, ``"triangle"``); irrelevant for a simulation.

    Inputs: ``SpikeSource`` and ``RegularSource`` (Poisson sources are refused: use the CPU engine).
    """

    kind = "any"

    def __init__(self, dtype: str = "float64", block_steps: int = 256, surrogate: str | None = None):
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {list(DTYPES)}, got {dtype!r}")
        if isinstance(block_steps, bool) or not isinstance(block_steps, (int, np.integer)) or block_steps < 1:
            raise ValueError(f"block_steps must be a positive integer (steps), got {block_steps!r}")
        from ._jax_lower import SURROGATE_NAMES

        if surrogate is not None and surrogate not in SURROGATE_NAMES:
            raise ValueError(f"surrogate must be one of {list(SURROGATE_NAMES)} or None, got {surrogate!r}")
        self.dtype = dtype
        self.block_steps = int(block_steps)
        self.surrogate = surrogate
        self.integrator = "euler"

    def describe(self, compiled=None) -> str:
        return f"jax|{self.dtype}"

    def prepare(self, compiled, rec_idx, rec_rows: int) -> JaxRun:
        _check_jax("soen.engines.JAX")
        return JaxRun(self, compiled, rec_idx, rec_rows)

    def __repr__(self) -> str:
        return f"JAX(dtype={self.dtype!r}, block_steps={self.block_steps})"
