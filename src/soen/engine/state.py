"""The mutable state of a CPU-engine run, and checkpoints of it.

A checkpoint is an NPZ file (``allow_pickle=False``) holding every state array, the spikes and
traces recorded so far, the step reached and a fingerprint of the compiled network. Resuming
recompiles the same network (same seed and dt) and continues from that step: because every random
draw is counter-based and Poisson inputs are drawn in fixed blocks, the continued run produces
exactly the spikes of an uninterrupted one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .compile import CompiledNetwork

__all__ = ["EngineState", "fingerprint"]

_FORMAT = "soen-checkpoint-1"
_ARRAYS = ("s", "s_new", "k1", "gbuf", "phi", "chC", "chR", "chF", "pend", "sy_last", "sy_phi_end", "sy_t_end",
           "ring", "ring_n", "ref_until", "node_count", "src_pos", "fluxons", "fired")


def fingerprint(c: CompiledNetwork, integrator: str, upto_step: int) -> str:
    """SHA-256 of everything that determines the run up to ``upto_step`` (inputs after it excluded)."""
    h = hashlib.sha256()
    h.update(f"{c.dt_ns!r}|{c.seed}|{integrator}|{c.n_ring}|{c.n_pend}".encode())
    for name in ("d_hb", "d_ahb", "d_bias", "d_offset", "cp_ptr", "cp_src", "cp_J", "ch_ptr", "sy_ch", "sy_w",
                 "sy_type", "st_A", "st_ths_ns", "st_tf_ns", "st_dead_ns", "out_ptr", "out_delay", "nr_soma",
                 "nr_thresh", "nr_ref_steps", "out_mu", "out_jitter_steps"):
        a = getattr(c, name)
        if a is not None:
            h.update(np.ascontiguousarray(a).tobytes())
    for steps, ids in ((c.src_step, c.src_node), (c.dk_step, c.dk_syn)):
        m = steps < upto_step
        h.update(steps[m].tobytes())
        h.update(ids[m].tobytes())
    return h.hexdigest()


@dataclass
class EngineState:
    """State arrays, output buffers and progress of one run."""

    arrays: dict
    spk_step: np.ndarray
    spk_id: np.ndarray
    counters: np.ndarray
    rec_s: np.ndarray
    rec_phi: np.ndarray
    n_done: int = 0

    @classmethod
    def allocate(cls, c: CompiledNetwork, n_rec_t: int, n_rec: int) -> EngineState:
        nd, nch, nsyn = c.n_dendrites, c.ch_decay_r.size, c.n_synapses
        arrays = dict(
            s=np.zeros(nd), s_new=np.zeros(nd), k1=np.zeros(nd), gbuf=np.zeros(nd), phi=np.zeros(nd),
            chC=np.zeros(nch), chR=np.zeros(nch), chF=np.zeros(nch), pend=np.zeros((nch, c.n_pend, 3)),
            sy_last=np.full(nsyn, -1, dtype=np.int64), sy_phi_end=np.zeros(nsyn), sy_t_end=np.zeros(nsyn),
            ring=np.empty((c.n_ring, 64), dtype=np.int64), ring_n=np.zeros(c.n_ring, dtype=np.int64),
            ref_until=np.full(c.n_neurons, -1, dtype=np.int64), node_count=np.zeros(c.n_nodes, dtype=np.int64),
            src_pos=np.zeros(2, dtype=np.int64), fluxons=np.zeros(nd), fired=np.zeros(c.n_neurons, dtype=np.int64),
        )
        return cls(arrays=arrays, spk_step=np.empty(1024, dtype=np.int64), spk_id=np.empty(1024, dtype=np.int64),
                   counters=np.zeros(10, dtype=np.int64), rec_s=np.zeros((n_rec_t, n_rec)),
                   rec_phi=np.zeros((n_rec_t, n_rec)))

    def save(self, path, fp: str) -> None:
        """Write a checkpoint (atomically: a temporary file renamed into place)."""
        path = Path(path)
        n_spk, n_rec = int(self.counters[2]), int(self.counters[8])
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, _format=np.array(_FORMAT), _fingerprint=np.array(fp), _n_done=np.array(self.n_done),
                 _counters=self.counters, _spk_step=self.spk_step[:n_spk], _spk_id=self.spk_id[:n_spk],
                 _rec_s=self.rec_s[:n_rec], _rec_phi=self.rec_phi[:n_rec],
                 **{k: self.arrays[k] for k in _ARRAYS})
        tmp.replace(path)

    @classmethod
    def load(cls, path, c: CompiledNetwork, integrator: str, n_rec_t: int, n_rec: int) -> EngineState:
        """Read a checkpoint for the compiled network ``c``; refuse one made for anything else."""
        path = Path(path)
        try:
            z = np.load(path, allow_pickle=False)
            fmt = str(z["_format"])
        except FileNotFoundError:
            raise
        except Exception as exc:  # noqa: BLE001 - anything unreadable is a bad checkpoint
            raise ValueError(f"resume: {str(path)!r} is not a readable soen checkpoint ({exc})") from None
        if fmt != _FORMAT:
            raise ValueError(f"resume: {str(path)!r} has format {fmt!r}, expected {_FORMAT!r}")
        n_done = int(z["_n_done"])
        if n_done > c.n_steps:
            raise ValueError(f"resume: the checkpoint is at t = {n_done * c.dt_ns:g} ns, beyond duration_ns = "
                             f"{c.n_steps * c.dt_ns:g}")
        if str(z["_fingerprint"]) != fingerprint(c, integrator, n_done):
            raise ValueError("resume: the checkpoint was made for a different network, seed, dt_ns or integrator")
        st = cls.allocate(c, n_rec_t, n_rec)
        for k in _ARRAYS:
            a = z[k]
            if a.shape != st.arrays[k].shape and k != "ring":
                raise ValueError(f"resume: checkpoint array {k!r} has shape {a.shape}, expected {st.arrays[k].shape}")
            st.arrays[k] = a.copy()
        # inputs were compiled for the new duration: continue at the first input spike of step n_done
        st.arrays["src_pos"][0] = np.searchsorted(c.src_step, n_done)
        st.arrays["src_pos"][1] = np.searchsorted(c.dk_step, n_done)
        st.counters = z["_counters"].copy()
        n_spk = int(st.counters[2])
        st.spk_step = np.empty(max(1024, 2 * n_spk), dtype=np.int64)
        st.spk_id = np.empty_like(st.spk_step)
        st.spk_step[:n_spk] = z["_spk_step"]
        st.spk_id[:n_spk] = z["_spk_id"]
        rec_s, rec_phi = z["_rec_s"], z["_rec_phi"]
        if rec_s.shape[1] != n_rec:
            raise ValueError(f"resume: the checkpoint recorded {rec_s.shape[1]} traces, this run asks for {n_rec}")
        k = min(rec_s.shape[0], n_rec_t)
        st.rec_s[:k] = rec_s[:k]
        st.rec_phi[:k] = rec_phi[:k]
        st.counters[8] = k
        st.n_done = n_done
        return st
