"""Driver robustness: Ctrl-C returns the partial Result and writes the checkpoint, a non-finite flux or
loop current stops the run naming the element, paths and sizes are checked before the first step."""

from __future__ import annotations

import json
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
from soen.circuits import default_table

TABLE = default_table()
CHILD = Path(__file__).with_name("_sigint_child.py")


def _interrupt(cmd, data_file: Path, **popen):
    """Start ``cmd``, wait until ``data_file`` holds spikes, send SIGINT; return (rc, stdout, stderr)."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
    try:
        _wait_for_data(proc, data_file)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out, err


def _wait_for_data(proc, path: Path, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"child ended early: {proc.stderr.read()[-2000:]}")
        try:
            with h5py.File(path, "r", locking=False) as f:
                if f.attrs.get("n_spikes", 0) > 0:
                    return
        except (OSError, KeyError):
            pass
        time.sleep(0.2)
    raise AssertionError("no data in the results file in time")


@pytest.mark.parametrize("mode", ["simulate", "point"])
def test_ctrl_c_returns_the_partial_result_and_writes_the_checkpoint(tmp_path, mode):
    rc, out, err = _interrupt([sys.executable, str(CHILD), str(tmp_path), mode], tmp_path / "run.h5")
    assert rc == 0, err[-3000:]
    assert "SystemError" not in err and "Traceback" not in err
    state = json.loads(out.strip().splitlines()[-1])
    assert state["complete"] is False and state["message"].startswith("interrupted at t =")
    assert state["n_spikes"] > 0
    back = soen.load(tmp_path / "run.h5")
    assert back.complete is False and back.spike_ids.size == state["n_spikes"]
    assert back.t_end_ns == pytest.approx(state["t_end_ns"])
    z = np.load(tmp_path / "run.npz", allow_pickle=False)
    assert int(z["_n_done"]) * back.dt_ns == pytest.approx(state["t_end_ns"])


def test_soen_run_exits_130_with_one_line_on_ctrl_c(tmp_path):
    cfg = tmp_path / "long.toml"
    cfg.write_text(
        'title = "long"\n[simulation]\nduration_ns = 1e9\ndt_ns = 0.1\nseed = 1\n'
        '[[populations]]\nname = "exc"\nn = 50\nmorphology = "point"\n'
        '[[sources]]\nname = "drive"\ntype = "poisson"\nn = 50\nrate_hz = 4e7\n'
        '[[projections]]\npre = "drive"\npost = "exc"\nconnector = { type = "one_to_one" }\nweight = 1.0\n')
    rc, out, err = _interrupt([sys.executable, "-m", "soen.cli", "run", str(cfg), "-o", str(tmp_path / "long.h5"),
                               "--no-progress"], tmp_path / "long.h5", cwd=tmp_path)
    assert rc == 130, (out, err)
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("soen run:") and "interrupted" in lines[0], err
    assert soen.load(tmp_path / "long.h5").complete is False


def _one_neuron(weight, **soma):
    net = soen.Network()
    net.add_population("n", 2, soen.point_neuron(soma=soen.Soma(**soma)))
    net.add_source(soen.SpikeSource("kick", ([5.0], [7.0])))
    net.connect("kick", "n", soen.OneToOne(), weight=weight)
    return net


def test_a_non_finite_flux_stops_the_run_naming_the_element():
    # after the spike, the refractory loop current s_ref > 0 feeds back J·s_ref, beyond the finite range
    net = _one_neuron(1.0, refractory_coupling=-1e306)
    with pytest.raises(FloatingPointError, match=r"non-finite state in dendrite 0 \(n\[0\]\.soma\) at t = ") as err:
        soen.simulate(net, 40.0, table=TABLE)
    r = err.value.result
    assert r.complete is False and r.spike_ids.size >= 1
    assert r.spike_times_ns[0] < r.t_end_ns < 40.0


def test_a_nan_weight_is_refused_before_the_run():
    import scipy.sparse as sp

    net = soen.Network()
    net.add_population("a", 2, soen.point_neuron())
    with pytest.raises(ValueError, match=r"finite"):
        net.connect("a", "a", soen.FromMatrix(sp.csr_matrix(np.array([[0.0, np.nan], [0.0, 0.0]]))), weight=None)
        soen.simulate(net, 10.0, table=TABLE)


def test_output_and_checkpoint_paths_are_checked_before_the_first_step(tmp_path):
    net = _one_neuron(0.5)
    t0 = time.perf_counter()
    for kw in (dict(output=tmp_path / "no" / "such" / "run.h5"), dict(checkpoint=tmp_path / "missing" / "c.npz"),
               dict(output=tmp_path)):
        with pytest.raises((ValueError, OSError), match="output|checkpoint"):
            soen.simulate(net, 1e6, table=TABLE, **kw)  # 10^7 steps: refused before any of them
    assert time.perf_counter() - t0 < 30.0
    with pytest.raises(FileNotFoundError, match="no checkpoint file"):
        soen.simulate(net, 100.0, table=TABLE, resume=tmp_path / "none.npz")


def test_sizes_are_checked_before_allocating():
    from soen.engine._validate import available_bytes

    net = soen.Network()
    net.add_population("a", 3, soen.point_neuron())
    n_t = int(2 * available_bytes() / (16 * 3 * 2)) + 1
    with pytest.raises(ValueError, match=r"needs about .* GiB, but only .* GiB"):
        soen.simulate(net, n_t * 0.1, table=TABLE, record=("a", None, "all"))
    big = soen.Network()
    big.add_population("a", 200_000, soen.point_neuron())
    big.connect("a", "a", soen.AllToAll())  # 4·10^10 connections
    with pytest.raises(ValueError, match=r"needs about .* GiB"):
        soen.compile(big, dt_ns=0.1, table=TABLE)


def test_file_t_end_never_passes_its_data(tmp_path, monkeypatch):
    from soen.io.results import ResultWriter

    calls = {"n": 0, "t_end": None}
    real = ResultWriter.append_spikes

    def failing(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full (simulated)")
        calls["t_end"] = k.get("t_end_ns")  # the end of the last chunk written completely
        return real(self, *a, **k)

    monkeypatch.setattr(ResultWriter, "append_spikes", failing)
    net = soen.Network()
    net.add_population("exc", 30, soen.point_neuron())
    net.add_source(soen.PoissonSource("drive", 30, rate_hz=40e6))
    net.connect("drive", "exc", soen.OneToOne())
    with pytest.raises(OSError, match="disk full"):
        soen.simulate(net, 5e4, table=TABLE, output=tmp_path / "r.h5", progress=False)
    back = soen.load(tmp_path / "r.h5")
    assert back.complete is False and back.spike_ids.size > 0
    # the file claims no time beyond the chunks it holds completely: the failed chunk's spikes and time
    # are not in it, and every spike it holds lies within its t_end
    assert back.spike_times_ns.max() <= back.t_end_ns < 5e4
    assert back.t_end_ns == pytest.approx(calls["t_end"])
