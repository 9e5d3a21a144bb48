"""The photonic layer in the training loop: finite photons per spike, dark counts, timing spread and frozen
device spread while training a feed-forward SOEN network with gradients.

The CPU engine delivers a spike of neuron j over connection e as k ~ Poisson(μ_e) detected photons: the
synapse fires iff k ≥ 1, i.e. with probability p_e = 1 − e^(−μ_e), later by the first of the k emission
times, Exp(τ_rad/k), and a Gaussian detector jitter; every SPD also sees dark counts, a Poisson process
of rate r_dark (Shainline et al., Phys. Rev. Applied 7, 034013 (2017); Shainline, Appl. Phys. Lett. 118,
160501 (2021); soen.photonics.links). Nothing of this is reimplemented here: μ_e, the link delays, the
jitter, τ_rad, r_dark and the frozen device spread (junction I_c → dendrite biases) are read from the
network compiled with the hardware by ``soen.compile(network, hardware=...)`` — the arrays the CPU
engine runs (``out_mu``, ``out_delay``, ``out_jitter_ns``, ``emission_tau_ns``, ``dark_rate_hz``,
``d_bias``, ``d_alpha``), made by ``soen.photonics.compile_links`` — and p_e by
``soen.photonics.light.detection_probability``.

How the layer enters the forward pass without touching the engine: the network is feed-forward,
``inputs → pre population → post population``, and the projection pre → post is photonic (a
SpikeSource's connections are always ideal in the CPU engine). :class:`PhotonicModel` compiles a
*relay* copy of the network in which that projection is replaced by a SpikeSource with one channel
per connection e, connected to e's own synapse (same target neuron, dendrite, synapse type, weight).
One forward pass runs the relay network twice with the JAX engine (:class:`soen.train.Model`):

1. pass 1 gives the spikes z_j(n) of the pre population (stamped t_{n+1});
2. :func:`transmit` turns them into the relay inputs: spike n of j reaches connection e at step
   n + 1 + d_e + δ (d_e the compiled delay of e in steps, link delay included; δ =
   round(τ_rad·Exp/k + σ_jitter·N), drawn per spike and connection), detected iff k ≥ 1 with
   k ~ Poisson(μ_e), plus dark counts ~ Poisson(r_dark·dt) per step and SPD;
3. pass 2 runs the post population on these inputs (the pre population, which feeds nothing in the
   relay network, is recomputed and ignored).

For a feed-forward network this is the full network's forward pass with the photonic delivery of the
CPU engine (in distribution; the random numbers are JAX's, not the CPU engine's counter-based ones).
Gradients through the Bernoulli detection (``grad=``):

* ``"expected"`` (default): the forward pass uses the sampled detections b ∈ {0, 1}, the backward pass
  the expected value, ∂(delivered)/∂z = p_e (a straight-through estimator scaled by the detection
  probability; cf. the stochastic-neuron estimators of Bengio, Léonard & Courville 2013, arXiv:1308.3432);
* ``"straight_through"``: ∂(delivered)/∂z = b (gradient only through the photons that arrived).

With ``photonic=False`` the same relay model delivers every spike at its nominal delay (ideal delivery,
no device spread): the network trained "without the photonic layer", directly comparable.
:meth:`PhotonicModel.to_compiled` writes trained parameters back into the network compiled with any
``Hardware`` (e.g. a sweep of ``photons_per_spike``) for the CPU engine; :meth:`PhotonicModel.ideal_hardware`
gives certain delivery at the link delay the model trains with (``Hardware(ideal=True)`` adds no link delay
on the CPU engine).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["LinkModel", "links_from_compiled", "transmit", "PhotonicModel", "with_inputs"]


@dataclass(frozen=True, eq=False)
class LinkModel:
    """The photonic connections of one projection, as the CPU engine runs them (read from a compiled network).

    Attributes
    ----------
    conn : (E,) indices of the connections in the compiled network (CSR order of senders).
    pre : (E,) sender of every connection, index within the pre population.
    post : (E,) target of every connection, global neuron id.
    mu : (E,) mean detected photons per spike μ_e (frozen device spread included; inf when ideal).
    delay_steps : (E,) delay of the connection in time steps (projection delay + link delay).
    jitter_steps : (E,) Gaussian σ of the detection time, in steps.
    emission_tau_steps : τ_rad of the source in steps (first of k photons after Exp(τ_rad/k)).
    dark_per_step : dark counts per SPD and step, r_dark·dt.
    dt_ns : the time step (ns).
    """

    conn: np.ndarray
    pre: np.ndarray
    post: np.ndarray
    mu: np.ndarray
    delay_steps: np.ndarray
    jitter_steps: np.ndarray
    emission_tau_steps: float
    dark_per_step: float
    dt_ns: float

    @property
    def n(self) -> int:
        return int(self.conn.size)

    @property
    def detection_probability(self) -> np.ndarray:
        """p_e = 1 − e^(−μ_e) (``soen.photonics.light.detection_probability``)."""
        from soen.photonics.light import detection_probability

        return detection_probability(self.mu)

    @property
    def ideal(self) -> bool:
        return bool(np.all(np.isinf(self.mu))) and self.dark_per_step == 0.0


def _senders(c) -> np.ndarray:
    ptr = np.asarray(c.structure["out_ptr"]).astype(np.int64)
    return np.repeat(np.arange(ptr.size - 1, dtype=np.int64), np.diff(ptr))


def links_from_compiled(c, pre: str, post: str) -> LinkModel:
    """The connections ``pre`` → ``post`` (population names) of compiled SOEN network ``c`` with their photonic
    delivery: ``c = soen.compile(network, dt_ns=..., seed=..., hardware=soen.Hardware(...))`` (without
    ``hardware`` the links are ideal: μ = inf, no dark counts, no jitter)."""
    if c.kind != "soen":
        raise ValueError(f"links_from_compiled: the photonic layer connects SOEN neurons; got a {c.kind!r} network")
    pops = c.populations
    for what, name in (("pre", pre), ("post", post)):
        if name not in pops:
            raise ValueError(f"links_from_compiled: {what}={name!r} is not a population; populations: {sorted(pops)}")
    (p0, pn), (q0, qn) = pops[pre], pops[post]
    snd = _senders(c)[: int(c.meta["n_connections"])]
    tgt = np.asarray(c.structure["conn_post"]).astype(np.int64)
    sel = np.flatnonzero((snd >= p0) & (snd < p0 + pn) & (tgt >= q0) & (tgt < q0 + qn))
    if sel.size == 0:
        raise ValueError(f"links_from_compiled: no connections from {pre!r} to {post!r}")
    p = c.params
    dt = float(c.dt_ns)
    if "out_mu" in p:
        mu = np.asarray(p["out_mu"], float)[sel]
        jit = np.asarray(p["out_jitter_ns"], float)[sel] / dt
        tau = float(np.asarray(p["emission_tau_ns"])[0]) / dt
        dark = float(np.asarray(p["dark_rate_hz"])[0]) * 1e-9 * dt
    else:
        mu, jit, tau, dark = np.full(sel.size, np.inf), np.zeros(sel.size), 0.0, 0.0
    return LinkModel(conn=sel, pre=snd[sel] - p0, post=tgt[sel], mu=mu,
                     delay_steps=np.asarray(c.structure["out_delay"]).astype(np.int64)[sel], jitter_steps=jit,
                     emission_tau_steps=tau, dark_per_step=dark, dt_ns=dt)


def transmit(z, links: LinkModel, key=None, *, photonic: bool = True, grad: str = "expected"):
    """Relay inputs (T, E) of the spikes ``z`` (T, pre neurons; stamped t_{n+1}, as in
    ``Model.forward``'s ``spikes``) over the connections of ``links`` (jnp, differentiable in ``z``).

    ``photonic=False`` (or ideal links): every spike arrives at step n + 1 + d_e. Otherwise (``key``: a
    ``jax.random`` key) each (spike, connection) is detected with probability 1 − e^(−μ_e) (k ≥ 1 of
    k ~ Poisson(μ_e)), arriving δ = round(t₁/dt + σ·N) steps later (delay clipped at 0), t₁ the emission
    time of the first of the k photons (Exp(τ_rad/k), drawn jointly with the detection from one uniform);
    dark counts (probability r_dark·dt per step and connection) are added (no gradient). ``grad``: ``"expected"`` (backward ∂/∂z = p_e) or
    ``"straight_through"`` (backward ∂/∂z = b, the sampled detection)."""
    import jax
    import jax.numpy as jnp

    if grad not in ("expected", "straight_through"):
        raise ValueError(f"grad must be 'expected' or 'straight_through', got {grad!r}")
    T = z.shape[0]
    E = links.n
    zs = z[:, jnp.asarray(links.pre)]  # (T, E): the sender's spike at every step
    d = jnp.asarray(links.delay_steps)[None, :]
    steps = jnp.arange(T)[:, None]
    if not photonic or links.ideal:
        arrive = steps + 1 + d
        return jnp.zeros((T, E), z.dtype).at[arrive, jnp.arange(E)[None, :]].add(zs, mode="drop")
    if key is None:
        raise ValueError("transmit: photonic=True needs a jax.random key (key=...)")
    k_u, k_j, k_d = jax.random.split(key, 3)
    # One uniform per (spike, connection) draws both whether a photon is detected and when the first one
    # was emitted: the detected photons' emission times form a Poisson process of intensity
    # (μ/τ)·e^(−t/τ), so P(first after t) = exp(−μ(1 − e^(−t/τ))) and t₁ = −τ·ln(1 + ln(U)/μ), with no
    # photon at all iff U ≤ e^(−μ) (probability e^(−μ)). This is the CPU engine's k ~ Poisson(μ), first of
    # k emissions ~ Exp(τ/k), in distribution.
    fin = np.isfinite(links.mu)
    mu = jnp.asarray(np.where(fin, links.mu, 1.0), z.dtype)[None, :]
    p = jnp.asarray(links.detection_probability, z.dtype)
    u = jax.random.uniform(k_u, (T, E), z.dtype, minval=jnp.finfo(z.dtype).tiny, maxval=1.0)
    arg = 1.0 + jnp.log(u) / mu
    b = jnp.where(jnp.asarray(fin)[None, :], (arg > 0).astype(z.dtype), 1.0)
    extra = jnp.zeros((T, E), z.dtype)
    if links.emission_tau_steps > 0:
        t1 = -links.emission_tau_steps * jnp.log(jnp.where(arg > 0, arg, 1.0))
        extra = extra + jnp.where(jnp.asarray(fin)[None, :], t1, 0.0)
    if np.any(links.jitter_steps > 0):
        extra = extra + jnp.asarray(links.jitter_steps, z.dtype)[None, :] * jax.random.normal(k_j, (T, E), z.dtype)
    shift = jnp.maximum(jnp.floor(extra + 0.5).astype(jnp.int32), -d)  # the CPU engine clips the delay at 0
    arrive = steps + 1 + d + shift
    sg = jax.lax.stop_gradient
    if grad == "expected":
        val = sg(zs * b) + p[None, :] * (zs - sg(zs))
    else:
        val = zs * b
    out = jnp.zeros((T, E), z.dtype).at[arrive, jnp.arange(E)[None, :]].add(val, mode="drop")
    if links.dark_per_step > 0:  # r_dark·dt ≪ 1: a Bernoulli draw per step is the Poisson count to O((r·dt)²)
        out = out + (jax.random.uniform(k_d, (T, E), z.dtype) < links.dark_per_step).astype(z.dtype)
    return out


def with_inputs(c, sources):
    """Compiled network ``c`` with the spike times of its sources replaced (``sources``: SpikeSource objects
    with the names and channel counts of ``c``'s sources), without compiling again: the parameters, the
    frozen device spread and the links stay those of ``c``."""
    from soen.engine._inputs import input_specs
    from soen.model.network import Network

    old = {s.name: s for s in c.inputs}
    net = Network()
    for s in sources:
        if s.name not in old or old[s.name].n != s.n:
            raise ValueError(f"with_inputs: source {s.name!r} ({s.n} channels) does not replace a source of the "
                             f"compiled network; it has {[(x.name, x.n) for x in c.inputs]}")
        net.add_source(s)
    new = {s.name: s for s in input_specs(net, 0)}
    specs = tuple(dataclasses.replace(new[s.name], node0=s.node0) if s.name in new else s for s in c.inputs)
    return dataclasses.replace(c, inputs=specs)


class PhotonicModel:
    """A feed-forward SOEN network trained with its photonic projection ``pre`` → ``post`` in the loop.

    Parameters
    ----------
    network : the :class:`soen.Network` (SOEN neurons; ``pre`` fed by sources and/or populations, no
        connection back from ``post`` or ``pre``'s successors into ``pre``).
    pre, post : population names of the photonic projection (its connections are replaced by relay
        channels, see the module docstring).
    hardware : the :class:`soen.Hardware` of the links (μ, delays, jitter, dark counts, device spread).
    photonic : True: train with the photonic layer in the loop (sampled detections, dark counts, timing
        spread, the frozen I_c spread in the dendrite biases); False: ideal delivery at the same delays
        and nominal devices.
    grad : ``"expected"`` or ``"straight_through"`` (:func:`transmit`).
    train_pre : True (default): gradients flow through the photonic links into the layers before them
        (pass 2 then runs the engine's plain ``lax.scan`` pass, which passes gradients to its inputs);
        False: only the synapses onto ``post`` (and the other trainable arrays of ``post``'s dendrites)
        are trained, the synapses onto the other populations keep their compiled weights, and both passes
        may use the engine's fastest form.
    dt_ns, seed : time step (ns) and seed of :func:`soen.compile` (the seed fixes the frozen device spread).
    model options (``trainable``, ``surrogate``, ``slope``, ``weight_max``, ``dtype``, …) go to
    :class:`soen.train.Model`. ``d_bias`` cannot be trained here (it carries the device spread).
    """

    stochastic = True

    def __init__(self, network, *, pre: str, post: str, hardware, photonic: bool = True, grad: str = "expected",
                 dt_ns: float, seed: int = 0, train_pre: bool = True, **model_kw):
        import soen
        from soen.train._model import Model

        if grad not in ("expected", "straight_through"):
            raise ValueError(f"grad must be 'expected' or 'straight_through', got {grad!r}")
        if "d_bias" in tuple(model_kw.get("trainable") or ()):
            raise ValueError("PhotonicModel: trainable 'd_bias' is not allowed (the dendrite biases carry the "
                             "frozen I_c spread of the hardware)")
        self.network, self.pre, self.post = network, pre, post
        self.hardware, self.photonic, self.grad = hardware, bool(photonic), grad
        self.dt_ns, self.seed = float(dt_ns), int(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", soen.FanInWarning)
            self.c_hw = soen.compile(network, dt_ns=dt_ns, seed=seed, hardware=hardware)
            self.c_nom = soen.compile(network, dt_ns=dt_ns, seed=seed)
        self.links = links_from_compiled(self.c_hw, pre, post)
        proj = [p for p in network.projections if p.pre == pre and p.post == post]
        if len(proj) != 1:
            raise ValueError(f"PhotonicModel: need exactly one projection {pre!r} → {post!r}, found {len(proj)}")
        self._relay_name = "_photonic_relay"
        relay, self._syn_map = self._relay(network, proj[0])
        base = self.c_hw if self.photonic else self.c_nom
        upd = dict(sy_w=np.asarray(self.c_hw.params["sy_w"], float)[self._syn_map])
        for k in ("d_bias", "d_alpha"):
            upd[k] = np.asarray(base.params[k], float)
        self.c_relay = relay.with_params(**upd)
        self.model = Model(self.c_relay, **model_kw)
        self.relay_node0 = next(s for s in self.c_relay.inputs if s.name == self._relay_name).node0
        self.n_x = self.model.n_inputs - self.links.n
        pp = self.c_relay.populations[pre]
        self.pre_ids = np.arange(pp[0], pp[0] + pp[1])
        self.train_pre = bool(train_pre)
        # synapses and dendrites of the post population (the only ones trained with train_pre=False)
        q0, qn = self.c_relay.populations[post]
        cr = self.c_relay
        ch_dend = np.repeat(np.arange(int(cr.meta["n_dendrites"])), np.diff(np.asarray(cr.structure["ch_ptr"]).astype(np.int64)))
        dend_off = np.asarray(cr.structure["dend_offset"]).astype(np.int64)
        d_lo, d_hi = dend_off[q0], dend_off[q0 + qn]
        sy_d = ch_dend[np.asarray(cr.structure["sy_ch"]).astype(np.int64)]
        self._post_syn = (sy_d >= d_lo) & (sy_d < d_hi)
        self._post_dend = (np.arange(int(cr.meta["n_dendrites"])) >= d_lo) & (np.arange(int(cr.meta["n_dendrites"])) < d_hi)

    # ---- construction --------------------------------------------------------------------------
    def _relay(self, net, proj):
        import soen

        L = self.links
        p0 = self.c_hw.populations[self.post][0]
        r = soen.Network()
        for pop in net.populations.values():
            r.add_population(pop)
        for s in net.sources.values():
            r.add_source(s)
        r.add_source(soen.SpikeSource(self._relay_name, tuple([] for _ in range(L.n))))
        for p in net.projections:
            if p is proj:
                r.connect(self._relay_name, self.post, soen.FromList(np.arange(L.n), L.post - p0), weight=0.0,
                          delay_ns=0.0, target=p.target, synapse=p.synapse)
            else:
                r.add_projection(p)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", soen.FanInWarning)
            c_r = soen.compile(r, dt_ns=self.dt_ns, seed=self.seed)
        # synapse k of the relay network ↔ synapse syn_map[k] of the hardware network
        hw, cr = self.c_hw, c_r
        n_hw, n_r = int(hw.meta["n_connections"]), int(cr.meta["n_connections"])
        s_hw, s_r = _senders(hw)[:n_hw], _senders(cr)[:n_r]
        t_hw = np.asarray(hw.structure["conn_post"]).astype(np.int64)
        t_r = np.asarray(cr.structure["conn_post"]).astype(np.int64)
        relay0 = next(s for s in cr.inputs if s.name == self._relay_name).node0
        # the sender of a relay connection stands for the photonic connection it carries
        key_hw = {}
        for e in range(n_hw):
            key_hw.setdefault((int(s_hw[e]), int(t_hw[e])), []).append(e)
        photonic_of = {int(relay0 + i): int(e) for i, e in enumerate(L.conn)}
        syn_map = np.empty(int(cr.meta["n_synapses"]), dtype=np.int64)
        used = np.zeros(n_hw, bool)
        for k in range(n_r):
            s = int(s_r[k])
            if s in photonic_of:
                e = photonic_of[s]
            else:
                cand = [e for e in key_hw.get((s, int(t_r[k])), []) if not used[e]]
                if not cand:
                    raise ValueError("PhotonicModel: the relay network has a connection the network does not have "
                                     f"(sender node {s}, target {int(t_r[k])}); is the network feed-forward?")
                e = cand[0]
            used[e] = True
            syn_map[k] = e
        if not used.all():
            raise ValueError("PhotonicModel: connections of the network are missing in the relay network")
        ref_hw = np.asarray(hw.structure["nr_ref_syn"]).astype(np.int64)
        ref_r = np.asarray(cr.structure["nr_ref_syn"]).astype(np.int64)
        syn_map[ref_r] = ref_hw
        # every synapse must sit on the same dendrite with the same kernel in both networks
        ch_dend = lambda c: np.repeat(np.arange(int(c.meta["n_dendrites"])),
                                      np.diff(np.asarray(c.structure["ch_ptr"]).astype(np.int64)))
        dend_hw = ch_dend(hw)[np.asarray(hw.structure["sy_ch"]).astype(np.int64)]
        dend_r = ch_dend(cr)[np.asarray(cr.structure["sy_ch"]).astype(np.int64)]
        ty_hw, ty_r = (np.asarray(c.structure["sy_type"]).astype(np.int64) for c in (hw, cr))
        if not (np.array_equal(dend_r, dend_hw[syn_map]) and np.array_equal(
                np.asarray(cr.params["st_tf_ns"])[ty_r], np.asarray(hw.params["st_tf_ns"])[ty_hw[syn_map]])):
            raise ValueError("PhotonicModel: the relay synapses do not land on the same dendrites as the photonic "
                             f"projection {self.pre!r} → {self.post!r}; give that projection an explicit target=")
        return c_r, syn_map

    # ---- the Model interface used by soen.train.fit / evaluate ----------------------------------
    @property
    def trainable(self):
        return self.model.trainable

    @property
    def n_inputs(self) -> int:
        """Input channels of the original network's sources (the columns of ``inputs``)."""
        return int(self.n_x)

    def context(self):
        return self.model.context()

    def init_params(self) -> dict:
        return self.model.init_params()

    def project(self, params):
        """:meth:`soen.train.Model.project`; with ``train_pre=False`` the arrays outside the post population
        are kept at their compiled values."""
        import jax.numpy as jnp

        out = self.model.project(params)
        if not self.train_pre:
            for k in list(out):
                a0 = jnp.asarray(self.model.params0[k])
                if k == "sy_w":
                    out[k] = jnp.where(jnp.asarray(self._post_syn), out[k], a0)
                elif k in ("d_offset", "d_bias", "d_alpha"):
                    out[k] = jnp.where(jnp.asarray(self._post_dend), out[k], a0)
        return out

    def forward(self, params, inputs, key=None, *, photonic: bool | None = None):
        """Outputs of the network (as :meth:`soen.train.Model.forward`) for ``inputs`` ([batch,] n_steps,
        n_inputs) with the photonic layer in the loop; ``key`` (a ``jax.random`` key) draws the photons
        (required when photonic); ``photonic`` overrides the model's setting (False: ideal delivery)."""
        import jax
        import jax.numpy as jnp

        ph = self.photonic if photonic is None else bool(photonic)
        x = jnp.asarray(inputs)
        if x.ndim == 2:
            return self._one(params, x, key, ph)
        if x.ndim != 3 or x.shape[-1] != self.n_x:
            raise ValueError(f"inputs must be ([batch,] n_steps, {self.n_x}), got shape {x.shape}")
        if ph:
            if key is None:
                raise ValueError("PhotonicModel.forward: photonic=True needs key= (a jax.random key)")
            keys = jax.random.split(key, x.shape[0])
            return jax.vmap(lambda xi, ki: self._one(params, xi, ki, True))(x, keys)
        return jax.vmap(lambda xi: self._one(params, xi, None, False))(x)

    def _one(self, params, x, key, photonic):
        import jax.numpy as jnp

        T = x.shape[0]
        E = self.links.n
        # the relay channels follow the original sources in the relay network
        zero = jnp.zeros((T, E), x.dtype)
        o1 = self.model.forward(params, self._cat(x, zero))
        z = o1["spikes"][:, jnp.asarray(self.pre_ids)]
        r = transmit(z, self.links, key, photonic=photonic, grad=self.grad)
        x2 = self._cat(x, r.astype(x.dtype))
        return self._pass_through_inputs(params, x2) if self.train_pre else self.model.forward(params, x2)

    def _pass_through_inputs(self, params, x):
        """One sample's forward pass whose gradient reaches its input spikes (the straight-through photon
        of the engine's plain ``lax.scan`` pass, :func:`soen.engine._jax_core.soen_forward`); a faster form
        of the engine that treats inputs as data (``fast=``) is switched off for it."""
        import inspect

        import jax.numpy as jnp

        from soen.engine import _jax_core as core

        m = self.model
        if "fast" not in inspect.signature(core.soen_forward).parameters:
            return m.forward(params, x)
        dt = jnp.float64 if m.x64 else jnp.float32
        full = {k: jnp.asarray(v, dt) for k, v in m._all0.items()}
        full.update({k: jnp.asarray(v, dt) for k, v in params.items()})
        return core.soen_forward(m.low, full, jnp.asarray(x, dt), dtype=dt, surrogate=m.surrogate, slope=m.slope,
                                 detach_reset=m.detach_reset, readout=m.readout, fast=False)[0]

    def _cat(self, x, r):
        import jax.numpy as jnp

        k = self.relay_node0 - self.model.low.node0_in  # relay channels start here among the inputs
        return jnp.concatenate([x[:, :k], r, x[:, k:]], axis=1)

    # ---- back to the simulator -------------------------------------------------------------------
    def ideal_hardware(self):
        """Hardware whose links deliver every spike with certainty at the links' nominal delay (light delay +
        time of flight, as compiled with the model's ``hardware``), with nominal devices: no spread, no
        jitter, no emission-time spread, no dark counts, no dead components, photons per spike at the
        registry's maximum (p = 1 − e^(−μ) = 1). The CPU engine then runs the network this model trains with
        ``photonic=False``. ``soen.Hardware(ideal=True)`` is not that network: ``soen.compile`` adds no link
        delay to photonic connections in ideal mode (only the projection's own delay), and one link
        delay could not stand for links of different lengths."""
        import soen

        h = self.hardware
        n_max = soen.Hardware().max_photons_per_spike
        return soen.Hardware(photons_per_spike=n_max, source_efficiency_spread=0.0, detector_efficiency_spread=0.0,
                             split_ratio_error_db=0.0, critical_current_spread=0.0, time_constant_spread=0.0,
                             thermal_noise=False, detector_jitter_ps=0.0, emission_tau_ns=0.0,
                             dark_count_rate_hz=0.0, transmitter_yield=1.0, detector_yield=1.0,
                             light_delay_ns=h.light_delay_ns, material=h.material, group_index=h.group_index,
                             loss_db_per_cm=h.loss_db_per_cm, default_length_um=h.default_length_um)

    def to_compiled(self, params, hardware=None):
        """The network compiled with ``hardware`` (default: the model's) holding the trained ``params``
        (mapped from the relay synapses back to the photonic projection), ready for the CPU engine."""
        import soen

        hw = self.hardware if hardware is None else hardware
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", soen.FanInWarning)
            c = self.c_hw if hardware is None else soen.compile(self.network, dt_ns=self.dt_ns, seed=self.seed,
                                                                 hardware=hw)
        new = {}
        for k, v in params.items():
            a = np.asarray(v, dtype=np.float64)
            if k == "sy_w":
                w = np.array(c.params["sy_w"], dtype=np.float64)
                w[self._syn_map] = a
                a = w
            new[k] = a
        return c.with_params(**new)

    def __repr__(self) -> str:
        return (f"PhotonicModel({self.pre!r} → {self.post!r}, {self.links.n} photonic connections, "
                f"photonic={self.photonic}, grad={self.grad!r}, trainable={list(self.trainable)})")
