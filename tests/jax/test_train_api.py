"""soen.train: bounds, write-back into a Compiled, seeded and checkpointed training."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import soen
from soen import models
from soen.train import encoders

pytest.importorskip("jax", reason="soen.train.Model needs jax (pip install 'soen[jax]')")
pytest.importorskip("optax", reason="soen.train.fit needs optax")

import soen.train as st


def _soen_compiled():
    net = soen.Network()
    net.add_population("n", 3, soen.tree_neuron((2, 4), coupling=0.5))
    net.add_source(soen.SpikeSource("x", tuple([] for _ in range(16))))
    net.connect("x", "n", soen.AllToAll(), weight=soen.Uniform(0.0, 0.4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", soen.FanInWarning)
        return soen.compile(net, dt_ns=0.2, seed=0)


def test_soen_projection_keeps_bias_offset_and_fan_in_bounds():
    c = _soen_compiled()
    m = st.Model(c, trainable=("sy_w", "d_offset", "d_bias", "nr_thresh", "cp_J"))
    rng = np.random.default_rng(0)
    p = {k: v + rng.normal(0, 2.0, v.shape) for k, v in m.init_params().items()}
    with m.context():
        q = {k: np.asarray(v) for k, v in m.project(p).items()}
    table = c.meta["table"]
    assert q["d_bias"].min() >= table.i_grid[0] and q["d_bias"].max() <= table.i_grid[-1]
    assert np.abs(q["d_offset"]).max() <= 0.5
    n_conn = c.meta["n_connections"]
    np.testing.assert_array_equal(q["sy_w"][n_conn:], c.params["sy_w"][n_conn:])  # refractory drives
    # the fan-in bound, recomputed here from the compiled arrays: per dendrite, φ_offset plus the
    # positive (negative) maxima of its synapses and of its non-refractory couplings stays within ±½
    st_ = c.structure
    ch_dend = np.repeat(np.arange(c.meta["n_dendrites"]), np.diff(st_["ch_ptr"]))
    dend = ch_dend[st_["sy_ch"][:n_conn]]
    contrib = q["sy_w"][:n_conn] * c.params["st_A"][st_["sy_type"][:n_conn]]
    hi = q["d_offset"].copy()
    lo = q["d_offset"].copy()
    np.add.at(hi, dend, np.maximum(contrib, 0))
    np.add.at(lo, dend, np.minimum(contrib, 0))
    s_max = np.maximum(c.params["d_bias"] - float(table.i_c(0.5)), 0)
    tgt = np.repeat(np.arange(c.meta["n_dendrites"]), np.diff(st_["cp_ptr"]))
    ref_d = st_["dend_offset"][1:] - 1
    keep = ~np.isin(st_["cp_src"], ref_d)
    cc = q["cp_J"][keep] * s_max[st_["cp_src"][keep]]
    np.add.at(hi, tgt[keep], np.maximum(cc, 0))
    np.add.at(lo, tgt[keep], np.minimum(cc, 0))
    assert hi.max() <= 0.5 + 1e-12 and lo.min() >= -0.5 - 1e-12
    c2 = m.to_compiled(q)
    np.testing.assert_array_equal(c2.params["sy_w"], q["sy_w"])
    np.testing.assert_array_equal(c2.params["d_bias"], q["d_bias"])


def _lif():
    net = soen.Network()
    net.add_population(soen.Population("h", 8, neuron=models.LIF(tau_ms=5e-6, r_MOhm=5.0, reset="subtract")))
    net.add_population(soen.Population("o", 2, neuron=models.LIF(tau_ms=5e-6, r_MOhm=5.0, reset="subtract")))
    net.add_source(soen.SpikeSource("x", tuple([] for _ in range(4))))
    net.connect("x", "h", soen.AllToAll(), weight=soen.Normal(0.3, 0.3), delay_ns=0.0)
    net.connect("h", "o", soen.AllToAll(), weight=soen.Normal(0.2, 0.3), delay_ns=0.0)
    return soen.compile(net, dt_ns=1.0, seed=0)


def test_fit_is_seeded_checkpoints_and_writes_back(tmp_path):
    c = _lif()
    m = st.Model(c, trainable=("out_w", "bias", "v_threshold_mV"))
    rng = np.random.default_rng(0)
    x = encoders.rate(rng.random((40, 4)), 12)
    y = (x.sum(axis=(1, 2)) > np.median(x.sum(axis=(1, 2)))).astype(int)
    loss = lambda o, yy: st.losses.count_cross_entropy(o, yy, neurons=[8, 9])
    log = open(tmp_path / "log.txt", "w")  # noqa: SIM115
    a = st.fit(m, loss, x, y, epochs=2, batch_size=8, seed=3, checkpoint=tmp_path / "ck.npz", log=log)
    b = st.fit(m, loss, x, y, epochs=2, batch_size=8, seed=3, progress=False)
    d = st.fit(m, loss, x, y, epochs=2, batch_size=8, seed=4, progress=False)
    log.close()
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert any(not np.array_equal(a.params[k], d.params[k]) for k in a.params)
    assert (tmp_path / "log.txt").read_text().count("epoch") >= 2
    ck = st.load_params(tmp_path / "ck.npz")
    for k in a.params:
        np.testing.assert_array_equal(ck[k], a.params[k])
    c2 = m.to_compiled(a.params)
    np.testing.assert_array_equal(c2.params["pop_row"][:, 2], a.params["v_threshold_mV"])
    np.testing.assert_array_equal(c2.params["out_w"], a.params["out_w"].astype(np.float32))
    with pytest.raises(ValueError, match="trainable: unknown parameter 'sy_w'"):
        st.Model(c, trainable=("sy_w",))
    with pytest.raises(ValueError, match="batch_size must be an integer"):
        st.fit(m, loss, x, y, epochs=1, batch_size=0)
