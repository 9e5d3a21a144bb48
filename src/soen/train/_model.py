"""The trainable view of a compiled network: :class:`Model` (pure forward pass, bounds, write-back)."""

from __future__ import annotations

import numpy as np

from soen.engine._jax_lower import (
    SURROGATE_NAMES,
    PointLowered,
    full_params,
    initial_params,
    lower,
    params_to_compiled,
)

__all__ = ["Model"]


class Model:
    """A compiled network (:func:`soen.compile`) as a differentiable function of its parameters.

    Parameters
    ----------
    compiled : a :class:`soen.Compiled` of LIF-family point models (LIF, LI, CubaLIF, IF, I) or SOEN neurons
        (ideal delivery).
    trainable : names of the trained parameters. Point models: ``out_w`` (synapse weights, nA), ``bias``
        (constant input per neuron, nA), ``v_threshold_mV`` (one per population, mV); SOEN: ``sy_w``
        (synapse weights, dimensionless), ``cp_J`` (dendrite couplings), ``d_offset`` (flux offsets, Φ0),
        ``d_bias`` (dendrite biases, I_c), ``nr_thresh`` (soma thresholds, I_c). Default: the weights
        (``out_w`` or ``sy_w``).
    dtype : ``"float64"`` (computations inside ``jax.enable_x64(True)``, see :meth:`context`) or ``"float32"``.
    surrogate : surrogate derivative of the spike step: ``"fast_sigmoid"`` (SuperSpike, Zenke & Ganguli
        2018, Neural Comput. 30:1514, doi:10.1162/neco_a_01086), ``"arctan"`` or ``"triangle"``; see
        Neftci, Mostafa & Zenke 2019, IEEE Signal Process. Mag. 36:51, doi:10.1109/MSP.2019.2931595.
    slope : steepness of the surrogate (1/mV for point models, default 5; 1/I_c for SOEN, default 20).
    detach_reset : the reset after a spike carries no gradient (default True).
    readout : SOEN only: dendrite ids whose loop currents the forward pass returns as ``s_read``.
    weight_max : bound on |weight| enforced by :meth:`project` (nA for point models; dimensionless for
        SOEN, default 1.0); None: no bound (point models' default).
    fan_in : SOEN only: keep every dendrite's largest applied flux within ±½ Φ0 (the SQUID response
        folds back beyond it; :meth:`project` scales the dendrite's incoming weights and couplings).
    rate_grad : SOEN only: ``"full"`` (exact derivative of the fluxon rate, default) or ``"smooth"`` (a
        surrogate for training: the loop current's feedback on its own SQUID bias is left out of the
        backward pass and the derivative of g = sqrt(q) is bounded; forward values unchanged; see
        ``soen.engine._jax_core._soen_forward_hoisted``).
    """

    def __init__(self, compiled, *, trainable=None, dtype: str = "float64", surrogate: str = "fast_sigmoid",
                 slope: float | None = None, detach_reset: bool = True, readout=None, weight_max=None,
                 fan_in: bool = True, rate_grad: str = "full"):
        if dtype not in ("float64", "float32"):
            raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        if surrogate not in SURROGATE_NAMES:
            raise ValueError(f"surrogate must be one of {list(SURROGATE_NAMES)}, got {surrogate!r}")
        self.compiled = compiled
        self.low = lower(compiled, engine_name="soen.train.Model")
        self.point = isinstance(self.low, PointLowered)
        if trainable is None:
            trainable = ("out_w",) if self.point else ("sy_w",)
        self.trainable = tuple(trainable)
        self.params0 = initial_params(compiled, self.trainable)
        self._all0 = full_params(compiled, {})
        self.dtype = dtype
        self.x64 = dtype == "float64"
        self.surrogate = surrogate
        self.slope = float(slope if slope is not None else (5.0 if self.point else 20.0))
        if not self.slope > 0:
            raise ValueError(f"slope must be > 0, got {slope!r}")
        self.detach_reset = bool(detach_reset)
        self.readout = None if readout is None else np.asarray(readout, dtype=np.int64)
        if weight_max is None and not self.point:
            weight_max = 1.0
        if weight_max is not None and not weight_max > 0:
            raise ValueError(f"weight_max must be > 0 or None, got {weight_max!r}")
        self.weight_max = weight_max
        self.fan_in = bool(fan_in)
        if rate_grad not in ("full", "smooth"):
            raise ValueError(f"rate_grad must be 'full' or 'smooth', got {rate_grad!r}")
        self.rate_grad = rate_grad
        self.w32 = self.point and np.asarray(compiled.params["out_w"]).dtype == np.float32

    @property
    def n_inputs(self) -> int:
        """Input channels (the columns of ``inputs``)."""
        return int(self.low.n_in)

    @property
    def n_neurons(self) -> int:
        return int(self.low.n if self.point else self.low.nn)

    def context(self):
        """``jax.enable_x64(True)`` for float64 models (a context manager; process defaults untouched).
        :meth:`forward`, :func:`soen.train.fit` and :meth:`evaluate` enter it themselves; enter it around
        your own ``jax.jit``/``jax.grad`` of :meth:`forward` in float64."""
        from soen.engine._jax_engine import x64_context

        return x64_context(self.x64)

    def init_params(self) -> dict:
        """The trainable parameters as compiled (a dict of numpy float64 arrays; copies)."""
        return {k: v.copy() for k, v in self.params0.items()}

    # ---- the pure forward pass -------------------------------------------------------------------
    def forward(self, params, inputs):
        """Outputs of the network for ``inputs`` (n_steps, channels) or (batch, n_steps, channels) of spike
        counts per step: a dict with ``spikes`` ([batch,] n_steps, neurons; spike stamped t_{n+1}) and
        ``v`` (point: potentials at t_{n+1}) or ``s_soma`` (SOEN: soma loop currents) and ``s_read``
        (SOEN with ``readout``). Pure and differentiable in ``params``."""
        import jax
        import jax.numpy as jnp

        from soen.engine import _jax_core as core

        dt = jnp.float64 if self.x64 else jnp.float32
        full = {k: jnp.asarray(v, dt) for k, v in self._all0.items()}
        full.update({k: jnp.asarray(v, dt) for k, v in params.items()})
        if self.w32:  # the CPU engine keeps point weights in float32: round in the forward pass (straight through)
            w = full["out_w"]
            full["out_w"] = w + jax.lax.stop_gradient(w.astype(jnp.float32).astype(dt) - w)
        kw = dict(dtype=dt, surrogate=self.surrogate, slope=self.slope, detach_reset=self.detach_reset)
        if self.point:
            one = lambda x: core.point_forward(self.low, full, x, **kw)[0]
        else:
            one = lambda x, u=None: core.soen_forward(self.low, full, x, readout=self.readout,
                                                      rate_grad=self.rate_grad, traces=u, **kw)[0]
        x = jnp.asarray(inputs, dt)
        if x.ndim == 2:
            return one(x)
        if x.ndim != 3:
            raise ValueError(f"inputs must be (n_steps, channels) or (batch, n_steps, channels), got shape {x.shape}")
        if x.shape[-1] != self.n_inputs:
            raise ValueError(f"inputs have {x.shape[-1]} channels; the network has {self.n_inputs} input channels")
        if not self.point and core.batched_traces(self.low):
            # the input traces of the whole batch in one time-major scan: (T, batch, groups), the layout the
            # weight-gradient product of the hoisted pass reads without a transpose
            U = core.input_traces(self.low, jnp.swapaxes(x, 0, 1), dt)
            return jax.vmap(one, in_axes=(0, 1))(x, U)
        return jax.vmap(one)(x)

    # ---- physical bounds ---------------------------------------------------------------------------
    def project(self, params):
        """``params`` within their physical bounds (applied after every optimiser step, jnp-traceable):

        * point models: |out_w| ≤ ``weight_max`` (if set); thresholds above the reset values;
        * SOEN: biases within the rate table's bias grid [i_min, i_max] (I_c); flux offsets within ±½ Φ0;
          thresholds within [0.01, 1] I_c; |sy_w| ≤ ``weight_max``; refractory drives and refractory
          couplings kept at their compiled values; with ``fan_in``, every dendrite's incoming weights and
          couplings scaled down so that its largest applied flux stays within ±½ Φ0 (the bound of
          ``soen.FanInWarning``: a synapse contributes w·[0, A], a coupling J·[0, s_max])."""
        import jax.numpy as jnp

        out = dict(params)
        if self.point:
            if self.weight_max is not None and "out_w" in out:
                out["out_w"] = jnp.clip(out["out_w"], -self.weight_max, self.weight_max)
            if "v_threshold_mV" in out:
                reset = jnp.asarray(self.compiled.params["pop_row"][:, 3])
                out["v_threshold_mV"] = jnp.maximum(out["v_threshold_mV"], reset + 1e-3)
            return out
        low = self.low
        lo_i, hi_i = low.i_range
        if "d_bias" in out:
            out["d_bias"] = jnp.clip(out["d_bias"], lo_i, hi_i)
        if "d_offset" in out:
            out["d_offset"] = jnp.clip(out["d_offset"], -0.5, 0.5)
        if "nr_thresh" in out:
            out["nr_thresh"] = jnp.clip(out["nr_thresh"], 0.01, 1.0)
        if "sy_w" in out:
            w = jnp.clip(out["sy_w"], -self.weight_max, self.weight_max)
            out["sy_w"] = jnp.where(jnp.asarray(low.sy_fixed), jnp.asarray(self._all0["sy_w"]), w)
        if "cp_J" in out:
            out["cp_J"] = jnp.where(jnp.asarray(low.cp_fixed), jnp.asarray(self._all0["cp_J"]), out["cp_J"])
        if self.fan_in and ("sy_w" in out or "cp_J" in out or "d_offset" in out):
            out = self._fan_in(out)
        return out

    def _fan_in(self, out):
        import jax
        import jax.numpy as jnp

        low = self.low
        w = out.get("sy_w", jnp.asarray(self._all0["sy_w"]))
        J = out.get("cp_J", jnp.asarray(self._all0["cp_J"]))
        off = out.get("d_offset", jnp.asarray(self._all0["d_offset"]))
        sy_dend = jnp.asarray(low.ch_dend)[jnp.asarray(low.sy_ch)]
        free_s = ~jnp.asarray(low.sy_fixed)
        free_c = ~jnp.asarray(low.cp_fixed)
        cs = jnp.where(free_s, w * jnp.asarray(low.sy_A), 0.0)
        cc = jnp.where(free_c, J * jnp.asarray(low.s_max_src)[jnp.asarray(low.cp_src)], 0.0)
        seg = jax.ops.segment_sum
        pos = seg(jnp.maximum(cs, 0.0), sy_dend, low.nd) + seg(jnp.maximum(cc, 0.0), jnp.asarray(low.cp_tgt), low.nd)
        neg = seg(jnp.minimum(cs, 0.0), sy_dend, low.nd) + seg(jnp.minimum(cc, 0.0), jnp.asarray(low.cp_tgt), low.nd)
        room_hi = jnp.maximum(0.5 - off, 0.0)
        room_lo = jnp.maximum(0.5 + off, 0.0)
        scale = jnp.minimum(jnp.where(pos > room_hi, room_hi / jnp.maximum(pos, 1e-300), 1.0),
                            jnp.where(-neg > room_lo, room_lo / jnp.maximum(-neg, 1e-300), 1.0))
        scale = jax.lax.stop_gradient(scale)
        if "sy_w" in out:
            out["sy_w"] = jnp.where(free_s, w * scale[sy_dend], w)
        if "cp_J" in out:
            out["cp_J"] = jnp.where(free_c, J * scale[jnp.asarray(low.cp_tgt)], J)
        return out

    # ---- back to the simulator ---------------------------------------------------------------------
    def to_compiled(self, params):
        """The compiled network with ``params`` written back (:meth:`soen.Compiled.with_params`): run it on
        the CPU engine with ``soen.simulate(model.to_compiled(params), duration_ns)``."""
        return params_to_compiled(self.compiled, {k: np.asarray(v, dtype=np.float64) for k, v in params.items()})

    def __repr__(self) -> str:
        return (f"Model({'point' if self.point else 'soen'}, neurons={self.n_neurons}, inputs={self.n_inputs}, "
                f"trainable={list(self.trainable)}, dtype={self.dtype!r}, surrogate={self.surrogate!r})")
