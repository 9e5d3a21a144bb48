"""Plasticity updates shared by the CPU engines (Numba), event by event.

The rules and their equations are described in :mod:`soen.plasticity`; a rule is lowered to one row
of ``rules`` (:data:`soen.plasticity.RULE_FIELDS`). The engines pass the rows extended by :func:`with_decay_tables`. State of a run:

* per synapse: ``w`` (float64 weight, read at delivery), ``x`` (presynaptic trace at the last
  arrival), ``xl`` (the step of that arrival, −1: none yet);
* per (rule, neuron): ``y`` (postsynaptic trace at the neuron's last spike); per neuron ``yl`` (the
  step of its last spike, −1: none yet);
* ``pc`` counters: [0] steps up, [1] steps down, [2] flux-storage update attempts, [3] of which
  detected, [4] STDP updates, [5 + r] the attempts of rule r.

Traces decay exactly between events (x(t) = x·e^(−(t − t_last)/τ)); nothing is swept per step. The
SOEN engine potentiates a neuron's incoming synapses at its spike (:func:`post_spike`); the point
engine keeps each neuron's last spikes pending (``hs``, ``hn``) and applies them to a synapse when it
is next read, at its next arrival or when the list is full (:func:`catch_up`, :func:`flush_neuron`):
the same operations in the same order, so the same weights bit for bit, without a pass over the
incoming synapses at every spike. The
photon of a flux-storage step is detected with probability 1 − e^(−μ) (a counter-based uniform keyed
by the synapse's stable key and the step); μ = the rule's photons per update × ``eta[k]``, the
efficiency of the synapse's photonic link (1 without ``hardware=``).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from soen._rng import STREAMS, uniform

from ._jit import prefetch

STREAM_TIMING = STREAMS["plasticity_timing"]
STREAM_PHOTON = STREAMS["plasticity_photon"]


@nb.njit(cache=True, inline="always")
def _clip(w, lo, hi):
    return lo if w < lo else (hi if w > hi else w)


#: synapses ahead that flush_neuron prefetches
PF_FLUSH = 8

#: steps of the decay tables the engines append to the rule rows (exp(−d·dt/τ±) for d < DECAY_STEPS)
DECAY_STEPS = 4096
_NF = 11  # fields of a rule row (soen.plasticity.RULE_FIELDS)


def with_decay_tables(rules, dt_ns: float):
    """The rule rows followed by their trace decays per step, exp(−d·dt/τ+) and exp(−d·dt/τ−) for
    d = 0 … DECAY_STEPS − 1 (a table lookup instead of an exponential per event)."""
    d = np.arange(DECAY_STEPS) * float(dt_ns)
    tabs = [np.concatenate([np.exp(-d / r[1]), np.exp(-d / r[2])]) for r in rules]
    return np.hstack([np.asarray(rules, dtype=np.float64), np.array(tabs).reshape(len(rules), -1)]) if len(rules) \
        else np.zeros((0, _NF + 2 * DECAY_STEPS))


@nb.njit(cache=True, inline="always")
def _decay(rules, r, which, steps, dt_ns):
    """exp(−steps·dt/τ) of τ+ (which = 0) or τ− (1), from the row's table when it covers ``steps``."""
    if steps < DECAY_STEPS:
        return rules[r, _NF + which * DECAY_STEPS + steps]
    return math.exp(-steps * dt_ns / rules[r, 1 + which])


@nb.njit(cache=True)
def _flux_step(k, n, up, prob, r, rules, w, seed, key, eta, pc):
    """Try one level up or down on synapse ``k`` (probability ``prob`` from the timing rule, then the
    update photon's detection)."""
    if prob <= 0.0:
        return
    c = 2 * n + (0 if up else 1)
    if uniform(seed, STREAM_TIMING, key[k], c) >= prob:
        return
    pc[2] += 1
    pc[5 + r] += 1  # attempts of this rule (its photons go to the energy ledger)
    mu = rules[r, 10] * eta[k]  # photons of the update reaching its detector
    if mu < 1e300 and uniform(seed, STREAM_PHOTON, key[k], c) >= -math.expm1(-mu):
        return
    pc[3] += 1
    lo, hi = rules[r, 5], rules[r, 6]
    step = (hi - lo) / (rules[r, 9] - 1.0)
    level = round((w[k] - lo) / step) + (1 if up else -1)
    top = rules[r, 9] - 1.0
    level = 0.0 if level < 0.0 else (top if level > top else level)
    w[k] = lo + level * step
    pc[0 if up else 1] += 1


#: one record per synapse: its weight, its pre trace, the step of that trace, and (the point engine)
#: its ring column and rule; the fields an arrival reads and writes share a cache line (separate
#: arrays cost a cache miss each)
SYNAPSE_STATE = np.dtype([("w", np.float64), ("x", np.float64), ("xl", np.int64), ("t", np.int32), ("r", np.int16),
                          ("_pad", np.int16)])


def cache_aligned(n: int, dtype) -> np.ndarray:
    """``n`` zeros of ``dtype`` starting on a 64-byte boundary (a cache line): two 32-byte synapse
    records then share one line, and prefetching one line brings both in."""
    dtype = np.dtype(dtype)
    buf = np.zeros(n * dtype.itemsize + 64, dtype=np.uint8)
    off = (-buf.ctypes.data) % 64
    return buf[off:off + n * dtype.itemsize].view(dtype)


def synapse_state(w0, tgt=None, rule_of=None) -> dict:
    """Per-synapse plastic state ``w`` (from ``w0``), ``sx`` (0) and ``sxl`` (−1), and the constant
    columns ``tgt`` and ``rule_of`` when given: strided views of one record array
    (:data:`SYNAPSE_STATE`), so that restore must copy into them, not replace them."""
    rec = cache_aligned(np.size(w0), SYNAPSE_STATE)
    rec["w"] = w0
    rec["xl"] = -1
    out = dict(w=rec["w"], sx=rec["x"], sxl=rec["xl"])
    if tgt is not None:
        rec["t"] = tgt
        rec["r"] = rule_of
        out.update(tgt=rec["t"], rule_of=rec["r"])
    return out


def neuron_state(n: int, pending: int) -> dict:
    """Per-neuron plastic state of the point engine as views of one (n, 2 + pending) int64 block, so
    that an arrival finds them in one cache line: ``hn`` (pending spikes), ``syl`` (the step of the
    last spike, −1: none) and ``hs`` (the pending spikes' steps)."""
    blk = cache_aligned(n * (2 + pending), np.int64).reshape(n, 2 + pending)
    blk[:, 1] = -1
    return dict(hn=blk[:, 0], syl=blk[:, 1], hs=blk[:, 2:])


@nb.njit(cache=True)
def pre_event(k, n, dt_ns, mult, i, rule_of, rules, w, x, xl, y, yl, seed, key, eta, pc):
    """A presynaptic spike (``mult`` of them) arrives at synapse ``k`` (onto neuron ``i``) at step ``n``,
    after its effect was delivered with the current weight: depression from the post trace, then the
    pre trace bump."""
    r = rule_of[k]
    if r < 0:
        return
    yv = 0.0
    if yl[i] >= 0:
        yv = y[r, i] * _decay(rules, r, 1, n - yl[i], dt_ns)
    xv = 0.0
    if xl[k] >= 0:
        xv = x[k] * _decay(rules, r, 0, n - xl[k], dt_ns)
    if rules[r, 0] == 1.0:  # flux storage: one arrival, one possible step down; nearest-spike traces
        _flux_step(k, n, False, rules[r, 4] * yv, r, rules, w, seed, key, eta, pc)
        xv = 1.0
    else:
        for _ in range(mult):
            wk = w[k]
            if rules[r, 7] != 0.0:
                wk -= rules[r, 4] * (wk - rules[r, 5]) * yv
            else:
                wk -= rules[r, 4] * yv
            w[k] = _clip(wk, rules[r, 5], rules[r, 6])
            pc[4] += 1
            xv = 1.0 if rules[r, 8] != 0.0 else xv + 1.0
    x[k] = xv
    xl[k] = n


@nb.njit(cache=True, inline="always")
def potentiate(k, m, r, rules, dt_ns, w, x, xl, seed, key, eta, pc):
    """The potentiation of synapse ``k`` (row ``r`` of ``rules``) by a spike of its neuron stamped step
    ``m``, from its pre trace at that step (x decays exactly since the last arrival ``xl[k]`` ≥ 0)."""
    xv = x[k] * _decay(rules, r, 0, m - xl[k], dt_ns)
    if rules[r, 0] == 1.0:
        _flux_step(k, m, True, rules[r, 3] * xv, r, rules, w, seed, key, eta, pc)
    else:
        wk = w[k]
        if rules[r, 7] != 0.0:
            wk += rules[r, 3] * (rules[r, 6] - wk) * xv
        else:
            wk += rules[r, 3] * xv
        w[k] = _clip(wk, rules[r, 5], rules[r, 6])
        pc[4] += 1


@nb.njit(cache=True, inline="always")
def post_traces(i, m, dt_ns, rules, y, yl):
    """Neuron ``i`` spikes at step ``m``: the post trace bump of every rule."""
    for r in range(rules.shape[0]):
        yv = 0.0
        if yl[i] >= 0:
            yv = y[r, i] * _decay(rules, r, 1, m - yl[i], dt_ns)
        y[r, i] = 1.0 if rules[r, 8] != 0.0 else yv + 1.0
    yl[i] = m


@nb.njit(cache=True)
def post_spike(i, m, dt_ns, in_ptr, in_syn, rule_of, rules, w, x, xl, y, yl, seed, key, eta, pc):
    """Neuron ``i`` spikes at step ``m``: potentiation of its plastic incoming synapses from their pre
    traces, then the post trace bump of every rule. An empty ``in_syn`` says that the per-synapse arrays
    are stored in incoming order (synapse q of ``in_ptr``), which keeps this loop contiguous in memory."""
    direct = in_syn.shape[0] == 0  # the state arrays are in incoming order already
    for q in range(in_ptr[i], in_ptr[i + 1]):
        k = q if direct else in_syn[q]
        r = rule_of[k]
        if r < 0 or xl[k] < 0:
            continue
        potentiate(k, m, r, rules, dt_ns, w, x, xl, seed, key, eta, pc)
    post_traces(i, m, dt_ns, rules, y, yl)


@nb.njit(cache=True, inline="always")
def catch_up(k, i, r, rules, dt_ns, w, x, xl, hs, hn, seed, key, eta, pc):
    """Lazy potentiation (the point engine): apply to synapse ``k`` the spikes of its neuron ``i`` still
    pending for it, those in ``hs[i, :hn[i]]`` (ascending steps) stamped at or after its last arrival.
    The same operations in the same order as :func:`post_spike` at each spike: a synapse's weight
    changes only at its own arrivals and its neuron's spikes, so bringing it up to date when it is next
    read (an arrival, a flush) gives bit-identical weights."""
    cnt = hn[i]
    xk = xl[k]
    if cnt == 0 or xk < 0 or hs[i, cnt - 1] < xk:
        return
    j = cnt - 1
    while j > 0 and hs[i, j - 1] >= xk:
        j -= 1
    for jj in range(j, cnt):
        potentiate(k, hs[i, jj], r, rules, dt_ns, w, x, xl, seed, key, eta, pc)


@nb.njit(cache=True)
def flush_neuron(i, dt_ns, in_ptr, in_syn, rule_of, rules, w, x, xl, hs, hn, seed, key, eta, pc):
    """Bring every incoming synapse of neuron ``i`` up to date with its pending spikes; none pend after."""
    cnt = hn[i]
    if cnt == 0:
        return
    n_up = 0
    q1 = in_ptr[i + 1]
    for q in range(in_ptr[i], q1):
        if q + PF_FLUSH < q1:  # the incoming synapses' records lie anywhere: overlap their misses
            prefetch(rule_of, in_syn[q + PF_FLUSH])
        k = in_syn[q]
        r = rule_of[k]
        if r < 0:
            continue
        if rules[r, 0] != 0.0:
            catch_up(k, i, r, rules, dt_ns, w, x, xl, hs, hn, seed, key, eta, pc)
            continue
        # pair STDP written out (potentiate): a call with arrays per synapse costs more than the update
        xk = xl[k]
        if xk < 0 or hs[i, cnt - 1] < xk:
            continue
        a_plus, lo, hi, mult_form = rules[r, 3], rules[r, 5], rules[r, 6], rules[r, 7] != 0.0
        wk = w[k]
        for j in range(cnt):
            m = hs[i, j]
            if m < xk:
                continue
            wk += a_plus * ((hi - wk) if mult_form else 1.0) * (x[k] * _decay(rules, r, 0, m - xk, dt_ns))
            wk = lo if wk < lo else (hi if wk > hi else wk)
            n_up += 1
        w[k] = wk
    pc[4] += n_up
    hn[i] = 0


@nb.njit(cache=True)
def flush_all(dt_ns, in_ptr, in_syn, rule_of, rules, w, x, xl, hs, hn, seed, key, eta, pc):
    """:func:`flush_neuron` for every neuron (before the weights are read or saved)."""
    for i in range(hn.shape[0]):
        flush_neuron(i, dt_ns, in_ptr, in_syn, rule_of, rules, w, x, xl, hs, hn, seed, key, eta, pc)


def lower_soen(network, params: dict, structure: dict, meta: dict) -> None:
    """Add the plasticity of a SOEN network's projections to its compiled parts (in place): one rule row
    per plastic projection (``params["plastic_rules"]``), the rule of every synapse (``rule_of``, −1:
    static; the refractory drives are static) and the stable key of every plastic synapse (``syn_key``,
    hash of projection, pre, post, repeat) for its update draws."""
    import numpy as np

    from soen.plasticity import rule_row

    from ._connect import connection_keys, name_id

    plastic = [(k, p) for k, p in enumerate(network.projections) if p.plasticity is not None]
    if not plastic:
        return
    names = meta["projections"]
    n_syn = int(meta["n_synapses"])
    rule_of = np.full(n_syn, -1, dtype=np.int16)
    keys = np.zeros(n_syn, dtype=np.int64)
    ptr = structure["out_ptr"]
    sender = np.repeat(np.arange(ptr.size - 1, dtype=np.int64), np.diff(ptr))
    offs = {**meta["pop_offset"], **meta["src_offset"]}
    rules = []
    for rid, (k, proj) in enumerate(plastic):
        idx = np.flatnonzero(structure["conn_proj"] == k)
        rule_of[idx] = rid
        rules.append(rule_row(proj.plasticity))
        pre = sender[idx] - offs[proj.pre]
        post = structure["conn_post"][idx].astype(np.int64) - meta["pop_offset"][proj.post]
        keys[idx] = connection_keys(np.full(idx.size, name_id(names[k]), dtype=np.int64), pre, post)
    params["plastic_rules"] = np.array(rules)
    structure["rule_of"] = rule_of
    structure["syn_key"] = keys
    meta["plastic_projections"] = [names[k] for k, _ in plastic]


def snap_levels(w, rule_of, rules):
    """Weights of flux-storage synapses moved to their nearest level (in place; a flux-storage loop
    holds a whole number of flux quanta from the start)."""
    import numpy as np

    for r in range(rules.shape[0]):
        rr = rules[r]
        if rr[0] != 1.0:
            continue
        idx = np.flatnonzero(rule_of[: w.size] == r)
        step = (rr[6] - rr[5]) / (rr[9] - 1.0)
        level = np.clip(np.rint((w[idx] - rr[5]) / step), 0.0, rr[9] - 1.0)
        w[idx] = rr[5] + level * step
    return w


def homeostasis_meta(network, pop_offset: dict) -> list:
    """The homeostasis of each population (for ``Compiled.meta["homeostasis"]``): name, first neuron,
    size and the rule's numbers."""
    out = []
    for name, pop in network.populations.items():
        h = getattr(pop, "homeostasis", None)
        if h is None:
            continue
        if getattr(pop.neuron, "_point_model", False) and type(pop.neuron).__name__ in ("CondExpLIF", "DeltaLIF"):
            raise ValueError(f"Population {name!r}: homeostasis adapts an input offset, which "
                             f"{type(pop.neuron).__name__} has not; use it with LIF, CubaLIF, IF or SOEN neurons")
        out.append(dict(population=name, first=int(pop_offset[name]), n=int(pop.n),
                        target_rate_hz=float(h.target_rate_hz), interval_ns=float(h.interval_ns), eta=float(h.eta),
                        max_shift=float(h.max_shift)))
    return out


#: run arrays of homeostasis (checkpointed): the adapted per-neuron threshold (SOEN) or input offset
#: (point models), spikes in the current interval, the accumulated shift
HOMEO_STATE = ("h_thresh", "h_count", "h_shift")


def homeostasis_steps(c) -> list:
    """(rule, interval in steps) of each homeostatic population of ``c`` (intervals on the time grid)."""
    from ._validate import steps_of

    return [(h, steps_of(f"Homeostasis.interval_ns of {h['population']!r}", h["interval_ns"], c.dt_ns, low=1))
            for h in c.meta.get("homeostasis", [])]


def homeostasis_arrays(c, base) -> dict:
    n = c.n_neurons
    return dict(h_thresh=np.array(base, dtype=np.float64), h_count=np.zeros(n, dtype=np.int64), h_shift=np.zeros(n))


def homeostasis_update(arrays, rules, base, n_done: int, dt_ns: float, sign: float) -> None:
    """At the end of each rule's interval: θ_i ← θ_i,0 + sign · clip(Σ η (n_i − r T)) (soen.Homeostasis)."""
    for h, steps in rules:
        if n_done == 0 or n_done % steps:
            continue
        sl = slice(h["first"], h["first"] + h["n"])
        err = arrays["h_count"][sl] - h["target_rate_hz"] * steps * dt_ns * 1e-9
        m = h["max_shift"]
        arrays["h_shift"][sl] = np.clip(arrays["h_shift"][sl] + h["eta"] * err, -m, m)
        arrays["h_thresh"][sl] = base[sl] + sign * arrays["h_shift"][sl]
        arrays["h_count"][sl] = 0


class PlasticRun:
    """What the CPU runs share for plasticity and homeostasis (mixed into ``SoenRun`` and ``PointRun``):
    ``WEIGHTS`` names the synapse weights in ``Compiled.params``, ``HOMEO_BASE`` the per-neuron array
    homeostasis adapts, ``HOMEO_SIGN`` its direction (+1: a threshold, −1: an input offset)."""

    WEIGHTS = HOMEO_BASE = ""
    HOMEO_SIGN = 1.0

    def count_spikes(self, ids) -> None:
        """Spikes of the chunk just read (for homeostasis)."""
        if self.homeo:
            np.add.at(self.arrays["h_count"], ids, 1)

    def homeostasis(self, n_done: int) -> None:
        if self.homeo:  # a neuron that fired too much becomes harder to excite
            homeostasis_update(self.arrays, self.homeo, self.c.params[self.HOMEO_BASE], n_done, self.c.dt_ns,
                               self.HOMEO_SIGN)

    def weights(self) -> np.ndarray:
        """The current weight of every synapse (engine order; plastic ones as they evolved)."""
        return self.arrays["w"].copy() if self.plastic else np.asarray(self.c.params[self.WEIGHTS], dtype=np.float64)

    def plasticity_counts(self) -> dict:
        pc = self.arrays["pc"]
        rules = self.c.params["plastic_rules"]
        photons = float(sum(pc[5 + r] * rules[r, 10] for r in range(rules.shape[0]) if np.isfinite(rules[r, 10])))
        return dict(steps_up=int(pc[0]), steps_down=int(pc[1]), update_attempts=int(pc[2]),
                    updates_detected=int(pc[3]), stdp_updates=int(pc[4]), update_photons=photons)
