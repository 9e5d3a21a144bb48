"""The SOEN CPU engine object: lowers a :class:`~soen.engine.ir.Compiled` of kind ``"soen"`` to the
arguments of the Numba step kernel (:mod:`soen.engine.cpu`) and steps it chunk by chunk.

What belongs to this engine only (not to the IR): the derived per-step factors (h/β, hα/β, channel
decays e^(−dt/τ)), the hotspot lags in steps, the delay ring (its length covers the longest delay plus
the photonic jitter and emission margin) and the pending-event buffer.
"""

from __future__ import annotations

import math

import numpy as np

from ._inputs import dark_events, poisson_channels
from ._plastic import PlasticRun
from ._poisson import channel_tables
from .ir import Columns

#: integrator name → kernel code
INTEGRATORS = {"euler": 0, "heun": 1}
_PARALLEL_MIN_DENDRITES = 4096
#: state arrays of a run (checkpointed)
STATE = ("s", "s_new", "k1", "gbuf", "phi", "chC", "chR", "chF", "pend", "sy_last", "sy_phi_end",
         "ring", "ring_n", "ref_until", "node_count", "fluxons")
N_COUNTERS = 11
#: plasticity state (networks with plastic projections)
PLASTIC_STATE = ("w", "px", "pxl", "py", "pyl", "pc", "pl_ids", "pl_n")


class SoenRun(PlasticRun):
    """Kernel arguments and mutable state of one run (made by :meth:`SoenCPU.prepare`)."""

    WEIGHTS, HOMEO_BASE, HOMEO_SIGN = "sy_w", "nr_thresh", +1.0

    def __init__(self, engine, c, rec_idx: np.ndarray, rec_rows: int):
        from . import cpu

        p, st, m = c.params, c.structure, c.meta
        self.c = c
        dt = c.dt_ns
        h = float(m["h_tau"])
        nd, nch, nsyn, nn = m["n_dendrites"], st["ch_type"].size, m["n_synapses"], m["n_neurons"]
        self.d_hb = h / p["d_beta"]
        self.d_ahb = h * p["d_alpha"] / p["d_beta"]
        self.ch_dr = np.exp(-dt / p["st_tr_ns"][st["ch_type"]])
        self.ch_df = np.exp(-dt / p["st_tf_ns"][st["ch_type"]])
        ths, tr, tf = p["st_ths_ns"], p["st_tr_ns"], p["st_tf_ns"]
        self.st_hs = np.ceil(ths / dt - 1e-9).astype(np.int64)
        lag = self.st_hs * dt
        self.st_e = np.stack([np.exp(-ths / tr), np.exp(-lag / tr), np.exp(-(lag - ths) / tf)], axis=1)
        self.photonic = "out_mu" in p
        if self.photonic:
            self.out_mu = np.asarray(p["out_mu"])
            self.out_jit = np.asarray(p["out_jitter_ns"]) / dt
            self.out_key = np.asarray(st["conn_key"])
            self.em_tau = float(p["emission_tau_ns"][0]) / dt
            self.dark_hz = float(p["dark_rate_hz"][0])
            margin = int(math.ceil(8 * self.out_jit.max(initial=0.0) + 30 * self.em_tau))
        else:
            self.out_mu = self.out_jit = np.zeros(1)
            self.out_key = np.zeros(1, dtype=np.int64)
            self.em_tau, self.dark_hz, margin = 0.0, 0.0, 0
        n_ring = int(st["out_delay"].max(initial=0)) + margin + 2
        n_pend = int(self.st_hs.max(initial=0)) + 1
        self.noise = np.asarray(p["d_noise"]) if "d_noise" in p else np.zeros(0)
        node, key, lam, start = poisson_channels(c.inputs, dt)
        self.pch = (node, key, lam, start)
        t = channel_tables(lam, c.seed, key)
        self.pch_tab, self.pch_pre, self.tab = t["tab"], t["pre"], (t["off"], t["cdf"], t["guide"])
        self.kernel_tab = m["table"].kernel_arrays()
        self.syn_keys = self.out_key[: m["n_connections"]] if self.photonic else np.zeros(0, dtype=np.int64)
        self.parallel = (engine.threads is None or engine.threads > 1) and nd >= _PARALLEL_MIN_DENDRITES
        self.integrator = engine.integrator
        self.plastic = "plastic_rules" in p
        # the compact layout (soen.engine._soen_build.CompactColumns): the kernel reads the synapses'
        # classes and one row of the synapse tables per class, and the weights per class unless they are
        # stored per synapse (projections of many weights, or weights replaced by Compiled.with_params)
        self.compact = "sy_cls" in st and not self.plastic
        per_class_w = self.compact and "cls_w" in p and not (isinstance(p, Columns) and p.is_stored("sy_w"))
        if self.compact:
            t = np.asarray(st["cls_type"], dtype=np.int64)
            self.k_syn = (p["cls_w"] if per_class_w else p["sy_w"], st["sy_cls"], p["st_A"][t], p["st_ths_ns"][t],
                          np.ascontiguousarray(self.st_e[t]), p["st_tf_ns"][t], p["st_dead_ns"][t], self.st_hs[t])
        else:
            self.k_syn = (None, st["sy_type"], p["st_A"], p["st_ths_ns"], self.st_e, p["st_tf_ns"], p["st_dead_ns"],
                          self.st_hs)
        self.kernel = cpu.get_kernel(self.parallel, heun=INTEGRATORS[engine.integrator] != 0,
                                     noisy=self.noise.size > 0, photonic=self.photonic, poisson=node.size > 0,
                                     plastic=self.plastic, compact=per_class_w)
        self.rec_idx = np.asarray(rec_idx, dtype=np.int64)
        self.arrays = dict(
            s=np.zeros(nd), s_new=np.zeros(nd), k1=np.zeros(nd), gbuf=np.zeros(nd), phi=np.zeros(nd),
            chC=np.zeros(nch), chR=np.zeros(nch), chF=np.zeros(nch), pend=np.zeros((nch, n_pend, 3)),
            sy_last=np.full(nsyn, -1, dtype=np.int64), sy_phi_end=np.zeros(nsyn),
            ring=np.empty((n_ring, 64), dtype=np.int64), ring_n=np.zeros(n_ring, dtype=np.int64),
            ref_until=np.full(nn, -1, dtype=np.int64), node_count=np.zeros(m["n_nodes"], dtype=np.int64),
            fluxons=np.zeros(nd),
        )
        if self.plastic:  # weights in the run (float64), traces, and the photonic efficiency of each synapse
            nr = p["plastic_rules"].shape[0]
            eta = np.ones(nsyn)
            if self.photonic and m.get("hardware"):
                n_ph = float(m["hardware"].get("photons_per_spike", 1.0) or 1.0)
                mu = self.out_mu[: m["n_connections"]]
                eta[: mu.size] = np.where(np.isfinite(mu) & (mu < 1e300), mu / n_ph, 1.0)
            from ._plastic import snap_levels

            w0 = snap_levels(np.array(p["sy_w"], dtype=np.float64), st["rule_of"], p["plastic_rules"])
            self.arrays.update(w=w0, px=np.zeros(nsyn),
                               pxl=np.full(nsyn, -1, dtype=np.int64), py=np.zeros((nr, nn)),
                               pyl=np.full(nn, -1, dtype=np.int64), pc=np.zeros(5 + nr, dtype=np.int64),
                               pl_ids=np.zeros(nn, dtype=np.int64), pl_n=np.zeros(1, dtype=np.int64))
            self.eta = eta
            from ._plastic import with_decay_tables

            self.rules_ext = with_decay_tables(p["plastic_rules"], c.dt_ns)
        from ._plastic import homeostasis_arrays, homeostasis_steps

        self.homeo = homeostasis_steps(c)
        if self.homeo:  # per-neuron thresholds that adapt (soen.Homeostasis)
            self.arrays.update(homeostasis_arrays(c, p["nr_thresh"]))
        self.fired = np.zeros(nn, dtype=np.int64)
        self.src_pos = np.zeros(2, dtype=np.int64)
        self.spk_step = np.empty(1024, dtype=np.int64)
        self.spk_id = np.empty(1024, dtype=np.int64)
        self.counters = np.zeros(N_COUNTERS, dtype=np.int64)
        self.totals = np.zeros(N_COUNTERS, dtype=np.int64)  # counts of the drained chunks
        self.rec_s = np.zeros((rec_rows, self.rec_idx.size))
        self.rec_phi = np.zeros((rec_rows, self.rec_idx.size))

    def advance(self, n0: int, n1: int, src_step, src_node, rec_every: int) -> int:
        c, p, st, a = self.c, self.c.params, self.c.structure, self.arrays
        if self.photonic and self.dark_hz > 0:
            dk_step, dk_syn = dark_events(self.syn_keys, self.dark_hz, c.dt_ns, c.seed, n0, n1)
        else:
            dk_step = dk_syn = np.empty(0, dtype=np.int64)
        self.src_pos[:] = 0
        node, key, lam, start = self.pch
        if self.parallel:
            return self._advance(n0, n1, src_step, src_node, rec_every, dk_step, dk_syn)
        import numba

        threads = numba.get_num_threads()
        numba.set_num_threads(1)  # the serial run: one compilation for both (cpu.get_kernel)
        try:
            return self._advance(n0, n1, src_step, src_node, rec_every, dk_step, dk_syn)
        finally:
            numba.set_num_threads(threads)

    def _advance(self, n0, n1, src_step, src_node, rec_every, dk_step, dk_syn) -> int:
        c, p, st, a = self.c, self.c.params, self.c.structure, self.arrays
        node, key, lam, start = self.pch
        a["ring"], self.spk_step, self.spk_id = self.kernel(
            n0, n1, c.dt_ns, float(c.meta["h_tau"]), c.seed,
            self.d_hb, self.d_ahb, p["d_bias"], p["d_offset"], st["cp_ptr"], st["cp_src"], p["cp_J"], st["ch_ptr"],
            self.ch_dr, self.ch_df,
            st["sy_ch"], *self._synapse_args(),
            st["out_ptr"], st["out_delay"], self.out_mu, self.out_jit, self.out_key, self.em_tau, src_step, src_node,
            dk_step, dk_syn,
            node, key, lam, start, self.pch_tab, self.pch_pre, *self.tab,
            st["nr_soma"], st["nr_ref_syn"], a["h_thresh"] if self.homeo else p["nr_thresh"], st["nr_ref_steps"],
            self.noise, st["d_key"],
            self.kernel_tab,
            a["s"], a["s_new"], a["k1"], a["gbuf"], a["phi"], a["chC"], a["chR"], a["chF"], a["pend"],
            a["sy_last"], a["sy_phi_end"], a["ring"], a["ring_n"], a["ref_until"],
            a["node_count"], self.src_pos, a["fluxons"], self.fired,
            self.spk_step, self.spk_id, self.rec_idx, rec_every, self.rec_s, self.rec_phi, self.counters,
            *self._plastic_args(),
        )
        return int(self.counters[7]) if self.counters[5] else n1

    def _synapse_args(self) -> tuple:
        """Weights, types (or classes) and the synapse-kernel tables the kernel indexes by them."""
        w = self.k_syn[0]
        if w is None:
            w = self.arrays["w"] if self.plastic else self.c.params["sy_w"]
        return (w,) + self.k_syn[1:]

    def _plastic_args(self) -> tuple:
        if not self.plastic:
            return ()
        st, a = self.c.structure, self.arrays
        return ((st["rule_of"], st["conn_post"], self.rules_ext, a["px"], a["pxl"], a["py"], a["pyl"],
                 st["syn_key"], self.eta, a["pc"], a["pl_ids"], a["pl_n"], st["in_ptr"], st["in_syn"]),)

    def read(self):
        """(spike steps, ids, trace rows s, φ) produced since the last read (then forgotten here)."""
        n_spk, n_rec = int(self.counters[2]), int(self.counters[8])
        out = (self.spk_step[:n_spk].copy(), self.spk_id[:n_spk].copy(), self.rec_s[:n_rec].copy(),
               self.rec_phi[:n_rec].copy())
        self.totals[2] += n_spk
        self.totals[8] += n_rec
        self.counters[2] = 0
        self.counters[8] = 0
        return out

    def error(self):
        """(element, step) of a non-finite state, or None."""
        return (int(self.counters[6]), int(self.counters[7])) if self.counters[5] else None

    def describe_element(self, d: int) -> str:
        m = self.c.meta
        nid = int(self.c.structure["d_neuron"][d])
        pop = max((k for k, o in m["pop_offset"].items() if o <= nid), key=lambda k: m["pop_offset"][k])
        local = d - int(self.c.structure["dend_offset"][nid])
        names = m["dend_names"][pop]
        dname = names[local] if local < len(names) else "refractory"
        return f"dendrite {d} ({pop}[{nid - m['pop_offset'][pop]}].{dname})"

    def counts(self, n_spikes: int, n_pending_drives: int) -> dict:
        t = self.totals + self.counters
        drives = n_spikes - n_pending_drives
        return dict(events=int(t[0]) - drives, refractory_drives=drives, dead_time_drops=int(t[1]),
                    spikes=n_spikes, lost=int(t[3]), photons_detected=int(t[4]), dark_counts=int(t[9]),
                    input_spikes=int(t[10]))

    def input_counts(self) -> np.ndarray:
        """Input spikes of every input channel (nodes after the neurons) so far."""
        return self.arrays["node_count"][self.c.n_neurons:].copy()

    def fluxons(self) -> np.ndarray:
        return self.arrays["fluxons"] * (float(self.c.meta["h_tau"]) / (2 * np.pi))

    def state(self) -> dict:
        """Every state array and counter (for a checkpoint)."""
        return {**{k: self.arrays[k] for k in self._state_keys()}, "_fired": self.fired,
                "_counters": self.totals + self.counters}

    def _state_keys(self) -> tuple:
        from ._plastic import HOMEO_STATE

        return STATE + (PLASTIC_STATE if self.plastic else ()) + (HOMEO_STATE if self.homeo else ())

    def load_state(self, z) -> None:
        for k in self._state_keys():
            a = np.asarray(z[k])
            if k != "ring" and a.shape != self.arrays[k].shape:
                raise ValueError(f"resume: checkpoint array {k!r} has shape {a.shape}, expected {self.arrays[k].shape}")
            self.arrays[k] = a.copy()
        self.fired = np.asarray(z["_fired"]).copy()
        self.totals = np.asarray(z["_counters"]).copy()
        self.totals[2] = self.totals[8] = 0
        self.counters[:] = 0


class SoenCPU:
    """SOEN networks on the CPU (Numba): clock-driven dendrites, event-driven synapses and photons."""

    kind = "soen"

    def __init__(self, threads=None, integrator: str = "euler"):
        from ._validate import check_threads

        self.threads = check_threads(threads)
        if integrator not in INTEGRATORS:
            raise ValueError(f"integrator must be one of {sorted(INTEGRATORS)}, got {integrator!r}")
        self.integrator = integrator

    def describe(self, compiled=None) -> str:
        """The options that change results (threads do not)."""
        return f"cpu-soen|{self.integrator}"

    def prepare(self, compiled, rec_idx, rec_rows: int) -> SoenRun:
        if compiled.kind != "soen":
            raise ValueError(f"the SOEN CPU engine runs compiled networks of kind 'soen', got {compiled.kind!r}")
        return SoenRun(self, compiled, rec_idx, rec_rows)
