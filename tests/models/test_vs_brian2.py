"""Single neurons against Brian2 with identical input: same spike times to the time step.

Brian2 is not importable next to numpy 2.4, so it runs in its own virtual environment (made by
``benchmarks/compare/setup_venvs.sh``; or point ``SOEN_BRIAN2_PYTHON`` at a Python with brian2) via
a subprocess. Stamps: Brian2 stamps a spike found in step n with t_n, soen with t_{n+1}; input spike
times handed to Brian2 are therefore soen's minus dt, and Brian2's output times plus dt must equal
soen's exactly. Brian2's ``refractory`` is given as t_ref + dt (it counts from its earlier stamp).
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import soen
from soen import models

ROOT = pathlib.Path(__file__).resolve().parents[2]
PY = os.environ.get(
    "SOEN_BRIAN2_PYTHON", str(ROOT / "benchmarks" / "compare" / ".venv" / "brian2" / "bin" / "python")
)
MS = 1e6
DT = 0.1


def _job():
    rng = np.random.default_rng(42)
    exc = np.sort(rng.choice(np.arange(10, 3000), 120, replace=False)) * DT
    inh = np.sort(rng.choice(np.arange(10, 3000), 30, replace=False)) * DT
    delta = np.sort(rng.choice(np.arange(10, 3000), 400, replace=False)) * DT
    return dict(
        dt_ms=DT,
        duration_ms=300.0,
        lif=dict(
            tau_ms=10.0, r_MOhm=2.0, i_nA=10.0, v_leak_mV=0.0, v_th_mV=15.0, v_reset_mV=0.0, t_ref_ms=2.0
        ),
        coba=dict(I_e_pA=120.0, w_exc_nS=6.0, w_inh_nS=67.0, exc_ms=exc, inh_ms=inh, delay_ms=1.0),
        delta=dict(J_mV=2.5, times_ms=delta, delay_ms=1.5),
        cuba=dict(
            tau_syn_ms=5.0, tau_mem_ms=10.0, r_MOhm=2.0, w_in=1.5, i_nA=7.0, v_leak_mV=-1.0,
            v_th_mV=15.0, v_reset_mV=0.0, t_ref_ms=0.0,
        ),
        **{"if": dict(r_mV_per_ms_nA=0.7, i_nA=3.0, v_th_mV=10.0, v_reset_mV=-2.0, t_ref_ms=1.5)},
    )


def _soen(job):
    dt_ns = DT * MS
    out = {}
    p = job["coba"]
    net = soen.Network()
    net.add_population(soen.Population("a", 1, neuron=models.CondExpLIF(I_e_pA=p["I_e_pA"])))
    for key, w in (("exc", p["w_exc_nS"]), ("inh", p["w_inh_nS"])):
        net.add_source(soen.SpikeSource(key, times_ns=[np.asarray(p[key + "_ms"]) * MS]))
        net.connect(key, "a", soen.OneToOne(), weight=w, target=key, delay_ns=p["delay_ms"] * MS)
    out["coba"] = soen.simulate(net, job["duration_ms"] * MS, dt_ns=dt_ns).spike_times_ns / MS
    p = job["delta"]
    net = soen.Network()
    net.add_population(soen.Population("a", 1, neuron=models.DeltaLIF()))
    net.add_source(soen.SpikeSource("s", times_ns=[np.asarray(p["times_ms"]) * MS]))
    net.connect("s", "a", soen.OneToOne(), weight=p["J_mV"], delay_ns=p["delay_ms"] * MS)
    out["delta"] = soen.simulate(net, job["duration_ms"] * MS, dt_ns=dt_ns).spike_times_ns / MS
    def drive(p, leaky=True):  # the parameters shared by the constant-input scenarios
        kw = dict(
            i_offset_nA=p["i_nA"],
            v_threshold_mV=p["v_th_mV"],
            v_reset_mV=p["v_reset_mV"],
            t_ref_ms=p["t_ref_ms"],
        )
        if leaky:
            kw.update(r_MOhm=p["r_MOhm"], v_leak_mV=p["v_leak_mV"], v_init_mV=p["v_leak_mV"])
        return kw

    p = job["cuba"]
    cuba = models.CubaLIF(p["tau_syn_ms"], p["tau_mem_ms"], w_in=p["w_in"], **drive(p))
    lif = models.LIF(tau_ms=job["lif"]["tau_ms"], **drive(job["lif"]))
    if_ = models.IF(r_mV_per_ms_nA=job["if"]["r_mV_per_ms_nA"], **drive(job["if"], leaky=False))
    for key, model in (("lif", lif), ("cuba", cuba), ("if", if_)):  # constant input, no sources
        net = soen.Network()
        net.add_population(soen.Population("a", 1, neuron=model))
        out[key] = soen.simulate(net, job["duration_ms"] * MS, dt_ns=dt_ns).spike_times_ns / MS
    return out


def test_single_neurons_match_brian2():
    if not pathlib.Path(PY).exists():
        pytest.skip(
            f"no Brian2 environment at {PY}: run benchmarks/compare/setup_venvs.sh (or set "
            f"SOEN_BRIAN2_PYTHON) to compare with Brian2"
        )
    job = _job()
    brian_job = dict(job)
    for key in ("exc_ms", "inh_ms"):
        brian_job["coba"] = dict(brian_job["coba"], **{key: list(np.round(job["coba"][key] - DT, 6))})
    brian_job["delta"] = dict(job["delta"], times_ms=list(np.round(job["delta"]["times_ms"] - DT, 6)))
    proc = subprocess.run(
        [PY, str(pathlib.Path(__file__).with_name("_brian2_single.py"))],
        input=json.dumps(brian_job, default=list),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    ref = json.loads(proc.stdout.strip().splitlines()[-1])
    mine = _soen(job)
    for key in ("lif", "coba", "delta", "cuba", "if"):
        b = np.round(np.asarray(ref[key]) / DT).astype(int) + 1  # Brian2 stamp + one step = soen stamp
        s = np.round(mine[key] / DT).astype(int)
        assert s.size > 3, key
        np.testing.assert_array_equal(s, b, err_msg=key)
