"""A killed process leaves a valid, incomplete results file holding everything up to the last chunk."""

from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import soen
from soen.io import load

CHILD = Path(__file__).with_name("_kill_child.py")
sys.path.insert(0, str(CHILD.parent))
import _kill_child  # noqa: E402


def _run_and_kill(path: Path, mode: str, *, min_spikes: int, min_samples: int) -> soen.Result:
    """Start the child, wait until the file holds data, load it while it runs, SIGKILL the child."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    err_path = path.with_suffix(".stderr")
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(path), mode], env=env, stdout=subprocess.DEVNULL, stderr=err
        )
    try:
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"child ended early: {err_path.read_text()[-2000:]}")
            try:  # peek without the HDF5 lock; a half-written state just means "try again"
                with h5py.File(path, "r", locking=False) as f:
                    if f.attrs["n_spikes"] >= min_spikes and f.attrs["n_samples"] >= min_samples:
                        break
            except (OSError, KeyError, RuntimeError):
                pass
            time.sleep(0.05)
        else:
            raise AssertionError("the child wrote no data within 60 s")
        live = load(path)  # a file being written reads as what it has committed so far
        time.sleep(0.3)  # let it be in the middle of later chunks
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return live


def test_killed_writer_leaves_every_finished_chunk(tmp_path):
    path = tmp_path / "killed.h5"
    live = _run_and_kill(path, "writer", min_spikes=150, min_samples=300)
    assert not live.complete and live.spike_ids.size >= 150
    r = load(path)
    assert not r.complete and "not finished" in r.message
    assert r.spike_ids.size >= live.spike_ids.size
    n_chunks = r.trace_times_ns.size // 100
    assert n_chunks >= 3
    parts = [_kill_child.chunk(k) for k in range(n_chunks)]
    t = np.concatenate([p[0] for p in parts])
    ids = np.concatenate([p[1] for p in parts])
    order = np.lexsort((ids, t))
    # everything of the finished chunks is there, nothing invented
    assert r.spike_times_ns.size in (t.size, t.size + 50)
    np.testing.assert_array_equal(r.spike_times_ns[: t.size], t[order])
    np.testing.assert_array_equal(r.spike_ids[: t.size], ids[order])
    np.testing.assert_array_equal(r.traces_s[:, 0], np.sin(np.arange(n_chunks * 100.0)))


@pytest.mark.skipif(
    "output" not in inspect.signature(soen.simulate).parameters, reason="soen.simulate has no output= yet"
)
def test_killed_simulation_file_matches_a_rerun_up_to_its_end(tmp_path):
    path = tmp_path / "killed_sim.h5"
    _run_and_kill(path, "simulate", min_spikes=50, min_samples=200)
    r = load(path)
    assert not r.complete and r.t_end_ns >= 199.0 and r.t_end_ns < 3e5
    assert r.duration_ns == 3e5
    ref = soen.simulate(_kill_child.network(), r.t_end_ns + 5.0, **_kill_child.SIM)
    keep = ref.spike_times_ns <= r.t_end_ns
    mine = r.spike_times_ns <= r.t_end_ns
    np.testing.assert_array_equal(r.spike_times_ns[mine], ref.spike_times_ns[keep])
    np.testing.assert_array_equal(r.spike_ids[mine], ref.spike_ids[keep])
    n = r.trace_times_ns.size
    np.testing.assert_array_equal(r.traces_s, ref.traces_s[:n])
