"""NIR import/export (soen.io.nir): snnTorch fixture, round trip, lowering of linear nodes."""

from __future__ import annotations

import copy
import pathlib

import numpy as np
import pytest

nir = pytest.importorskip("nir")

import soen  # noqa: E402
from soen import models  # noqa: E402
from soen.io.nir import NIRExportWarning, from_nir, to_nir  # noqa: E402

FIX = pathlib.Path(__file__).parent.parent / "fixtures"
MS = 1e6


def test_snntorch_fixture_matches_snntorch_spikes():
    """snnTorch Leaky (β = 1 − dt/τ, R = τ/dt, subtract reset with reset_delay, spike if mem > θ) is
    forward Euler of NIR's LIF with the reset deferred by one step; layers integrate in the same step."""
    data = np.load(FIX / "snntorch_lif.npz")
    imp = from_nir(FIX / "snntorch_lif.nir", dt=1e-4, preset="snntorch")
    assert imp.metadata["integration"] == "euler" and imp.metadata["order"] == "deferred_reset"
    out = imp.simulate(data["input"])
    np.testing.assert_array_equal(out["output"], data["spk2"])
    assert data["spk2"].sum() > 20
    # the hidden layer too
    net = imp.network_for(data["input"])
    T = data["input"].shape[0]
    res = soen.simulate(net, T * imp.dt_ns, dt_ns=imp.dt_ns)
    ((pop, idx),) = imp.node_populations["1"]
    t, ids = res.spikes(pop)
    hid = np.zeros((T, 20))
    hid[np.rint(t / imp.dt_ns).astype(int) - 1, idx[ids]] = 1
    np.testing.assert_array_equal(hid, data["spk1"])


def _run_layers(imp, x, nodes):
    """Spikes (T, n), potentials and synaptic currents after each step of the given NIR nodes."""
    T = x.shape[0]
    net = imp.network_for(x)
    rec = [(pop, None) for node in nodes for pop, _ in imp.node_populations[node]]
    res = soen.simulate(net, (T + 1) * imp.dt_ns, dt_ns=imp.dt_ns, record=rec)
    out = {}
    for node in nodes:
        n = sum(idx.size for _, idx in imp.node_populations[node])
        spk, mem, syn = np.zeros((T, n)), np.zeros((T, n)), np.zeros((T, n))
        for pop, idx in imp.node_populations[node]:
            t, ids = res.spikes(pop)
            step = np.rint(t / imp.dt_ns).astype(int) - 1
            keep = step < T
            np.add.at(spk, (step[keep], idx[ids[keep]]), 1.0)
            cols = [c for c, lab in enumerate(res.trace_labels) if lab[0] == pop]
            mem[:, idx] = res.traces_s[1 : T + 1][:, cols]
            syn[:, idx] = res.traces_phi[1 : T + 1][:, cols]
        out[node] = (spk, mem, syn)
    return out


def test_snntorch_synaptic_fixture_matches_snntorch():
    """snnTorch Synaptic (syn ← α syn + x, mem ← β mem + syn − s_prev θ, spike if mem > θ), exported as
    CubaLIF with τ_syn = dt/(1 − α), τ_mem = dt/(1 − β), R = τ_mem/dt, w_in = τ_syn/dt, is forward Euler
    of NIR's CubaLIF with the current updated first (euler_order="current_first", in the preset)."""
    data = np.load(FIX / "snntorch_synaptic.npz")
    imp = from_nir(FIX / "snntorch_synaptic.nir", dt=1e-4, preset="snntorch")
    assert imp.metadata["euler_order"] == "current_first"
    ((pop, _), *rest) = imp.node_populations["1"]
    assert rest and imp.network.populations[pop].neuron.euler_order == "current_first"  # α, β per neuron
    x = data["input"]
    assert data["spk1"].sum() > 300 and data["spk2"].sum() > 300
    np.testing.assert_array_equal(imp.simulate(x)["output"], data["spk2"])
    got = _run_layers(imp, x, ["1", "3"])
    for node, k in (("1", "1"), ("3", "2")):
        spk, mem, syn = got[node]
        np.testing.assert_array_equal(spk, data[f"spk{k}"])
        # snnTorch runs in float32: potentials up to ≈ 15, currents up to ≈ 5
        np.testing.assert_allclose(mem, data[f"mem{k}"], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(syn, data[f"syn{k}"], rtol=1e-5, atol=1e-5)
    # the textbook (simultaneous) Euler step of the same graph does not reproduce snnTorch
    imp2 = from_nir(FIX / "snntorch_synaptic.nir", dt=1e-4, preset="snntorch", euler_order="simultaneous")
    assert not np.array_equal(imp2.simulate(x)["output"], data["spk2"])
    with pytest.raises(ValueError, match="euler_order"):
        from_nir(FIX / "snntorch_synaptic.nir", dt=1e-4, integration="exact", euler_order="current_first")


def test_snntorch_fixture_other_choices_differ_but_are_recorded():
    data = np.load(FIX / "snntorch_lif.npz")
    imp = from_nir(FIX / "snntorch_lif.nir", dt=1e-4, preset="snntorch", order="integrate_then_threshold")
    assert imp.metadata["order"] == "integrate_then_threshold"
    out = imp.simulate(data["input"])
    assert not np.array_equal(out["output"], data["spk2"])


def _net():
    net = soen.Network()
    net.add_source(soen.SpikeSource("inp", times_ns=[[0.0, 2e5], [1e5], [3e5, 5e5]]))
    net.add_population(
        soen.Population(
            "a",
            4,
            neuron=models.LIF(
                tau_ms=5.0,
                r_MOhm=2.0,
                v_threshold_mV=0.5,
                i_offset_nA=np.array([0.0, 0.1, 0.2, 0.3]),
                t_ref_ms=0.3,
                reset="subtract",
                v_init_mV=soen.Uniform(0.0, 0.2),
            ),
        )
    )
    net.add_population(
        soen.Population(
            "b",
            3,
            neuron=models.CubaLIF(
                tau_syn_ms=2.0, tau_mem_ms=7.0, w_in=1.5, v_threshold_mV=0.3, integration="euler"
            ),
        )
    )
    net.add_population(soen.Population("c", 2, neuron=models.LI(tau_ms=3.0, v_leak_mV=-0.1)))
    net.add_population(
        soen.Population(
            "d", 2, neuron=models.IF(r_mV_per_ms_nA=2.0, v_threshold_mV=0.4, threshold_strict=True)
        )
    )
    net.add_population(soen.Population("e", 2, neuron=models.I(r_mV_per_ms_nA=0.5)))
    net.add_population(soen.Population("f", 2, neuron=models.Threshold(threshold_nA=0.2)))
    net.connect("inp", "a", soen.FixedProbability(0.7), weight=soen.Uniform(10.0, 20.0), delay_ns=0.0)
    net.connect("a", "b", soen.AllToAll(), weight=soen.Normal(20.0, 5.0), delay_ns=2e5)
    net.connect("b", "c", soen.AllToAll(), weight=0.7, delay_ns=1e5)
    net.connect("a", "d", soen.AllToAll(), weight=0.5)
    net.connect("d", "e", soen.OneToOne(), weight=1.0)
    net.connect("a", "f", soen.FixedInDegree(2), weight=0.3)
    return net


def _dense(net, seed=0, dt_ns=1e5):
    """Dense weights and the set of delays in whole steps of ``dt_ns`` of every projection."""
    from soen.engine.point import resolve_projection

    out = {}
    for k, pr in enumerate(net.projections):
        pre, post, w, d = resolve_projection(net, k, seed)
        W = np.zeros((net.populations[pr.post].n, (net.populations.get(pr.pre) or net.sources[pr.pre]).n))
        np.add.at(W, (post, pre), w)
        out[(pr.pre, pr.post)] = (W, set(np.unique(np.rint(d / dt_ns))))
    return out


def test_round_trip_preserves_parameters_and_dynamics(tmp_path):
    net = _net()
    with pytest.warns(NIRExportWarning, match=r"population 'a' \(LIF\): t_ref_ms=0\.3 ms .*kept in the soen metadata"):
        g = to_nir(net, seed=5)  # t_ref is kept in the metadata read back below
    path = tmp_path / "net.nir"
    nir.write(path, g)
    imp = from_nir(nir.read(path), dt=1e-4)
    assert imp.metadata["propagation"] == "next_step"  # from the graph metadata
    for name, pop in net.populations.items():
        ((pname, idx),) = imp.node_populations[name]
        got = imp.network.populations[pname].neuron
        assert type(got) is type(pop.neuron)
        for k, v in pop.neuron.params().items():
            gv = got.params()[k]
            if isinstance(v, np.ndarray):
                np.testing.assert_array_equal(gv, v)
            else:
                assert gv == v, (name, k, gv, v)
    # connections: same weights and delays as the original resolved with the exported seed
    src_of = {p: n for n, parts in imp.node_populations.items() for p, _ in parts}
    src_of.update({s: n for n, (_, s) in imp.inputs.items()})
    ref = _dense(net, seed=5)
    got = {(src_of[a], src_of[b]): v for (a, b), v in _dense(imp.network).items()}
    assert set(got) == set(ref)
    for key, (W, d) in ref.items():
        np.testing.assert_allclose(got[key][0], W, rtol=0, atol=0)
        assert got[key][1] == d
    # dynamics: same spikes as the original network (input from the same spike times)
    dt_ns = 1e5
    x = np.zeros((100, 3))
    for c, times in enumerate(net.sources["inp"].times_ns):
        x[np.rint(times / dt_ns).astype(int), c] += 1
    r_imp = soen.simulate(
        imp.network_for({"inp": x}), 100 * dt_ns, dt_ns=dt_ns, seed=5
    )
    r_ref = soen.simulate(net, 100 * dt_ns, dt_ns=dt_ns, seed=5)
    assert r_ref.spike_ids.size > 5
    for name in net.populations:
        ((pname, _),) = imp.node_populations[name]
        np.testing.assert_array_equal(r_imp.spikes(pname)[0], r_ref.spikes(name)[0])
        np.testing.assert_array_equal(r_imp.spikes(pname)[1], r_ref.spikes(name)[1])


def _offset_net():
    """Every NIR-family model with a constant input (per neuron or one number), no refractoriness."""
    rng = np.random.default_rng(3)
    net = soen.Network()
    times = [np.sort(rng.choice(200, 25, replace=False)) * 1e5 for _ in range(3)]
    net.add_source(soen.SpikeSource("inp", times_ns=times))
    pops = {
        "lif": (3, models.LIF(tau_ms=4.0, r_MOhm=2.0, v_leak_mV=-0.2, i_offset_nA=[0.3, 0.45, 0.6])),
        "cuba": (
            2,
            models.CubaLIF(
                tau_syn_ms=2.0,
                tau_mem_ms=5.0,
                r_MOhm=1.5,
                w_in=1.2,
                v_threshold_mV=0.8,
                i_offset_nA=[0.3, 0.5],
            ),
        ),
        "li": (2, models.LI(tau_ms=3.0, r_MOhm=0.5, i_offset_nA=0.7)),
        "iff": (2, models.IF(r_mV_per_ms_nA=0.8, i_offset_nA=[0.2, 0.35])),
        "integ": (2, models.I(r_mV_per_ms_nA=0.5, i_offset_nA=-0.1)),
        "thr": (2, models.Threshold(threshold_nA=0.5, i_offset_nA=[0.05, 0.25])),
    }
    for name, (n, m) in pops.items():
        net.add_population(soen.Population(name, n, neuron=m))
    net.connect("inp", "lif", soen.AllToAll(), weight=6.0)
    net.connect("lif", "cuba", soen.AllToAll(), weight=15.0, delay_ns=2e5)
    net.connect("inp", "cuba", soen.AllToAll(), weight=5.0)
    net.connect("cuba", "li", soen.AllToAll(), weight=3.0, delay_ns=1e5)
    net.connect("lif", "iff", soen.AllToAll(), weight=2.0)
    net.connect("iff", "integ", soen.OneToOne(), weight=10.0)
    net.connect("lif", "thr", soen.FixedInDegree(2), weight=0.3)
    return net


def _strip(g):
    """The graph as a reader that knows nothing of soen sees it: no node or graph metadata."""
    nodes = {}
    for k, node in g.nodes.items():
        nodes[k] = copy.copy(node)
        nodes[k].metadata = {}
    return nir.NIRGraph(nodes=nodes, edges=list(g.edges), metadata={}, type_check=False)


def test_i_offset_survives_a_reader_without_soen_metadata(tmp_path):
    """i_offset is exported as NIR parameters (LIF, LI: v_leak + R·i_off; Threshold: θ − i_off) or an
    Affine bias in front of the node (CubaLIF, IF, I): without soen's metadata the graph gives the same
    spikes and potentials; with it, the exact parameters come back and the bias is not counted twice."""
    net = _offset_net()
    g = to_nir(net)
    assert np.allclose(g.nodes["lif"].v_leak, -0.2 + 2.0 * np.array([0.3, 0.45, 0.6]))
    assert np.allclose(g.nodes["li"].v_leak, 0.5 * 0.7)
    assert np.allclose(g.nodes["thr"].threshold, [0.45, 0.25])
    assert np.allclose(g.nodes["cuba__offset"].bias, [0.3, 0.5])
    # every incoming edge passes through the offset node
    assert [a for a, b in g.edges if b == "cuba"] == ["cuba__offset"]
    assert len([a for a, b in g.edges if b == "cuba__offset"]) == 2
    path = tmp_path / "plain.nir"
    nir.write(path, _strip(g))
    dt_ns, T = 1e5, 200
    x = np.zeros((T, 3))
    for c, times in enumerate(net.sources["inp"].times_ns):
        x[np.rint(np.asarray(times) / dt_ns).astype(int), c] += 1
    ref = soen.simulate(net, T * dt_ns, dt_ns=dt_ns, record=[("li", None), ("integ", None)])
    assert all(ref.spikes(p)[0].size > 20 for p in ("lif", "cuba", "iff", "thr"))
    for use_meta, graph in ((False, nir.read(path)), (True, g)):
        imp = from_nir(graph, dt=1e-4, propagation="next_step", use_soen_metadata=use_meta)
        parts = {name: pp[0][0] for name, pp in imp.node_populations.items()}
        if not use_meta:  # the Affine bias became the CubaLIF's i_offset
            ((pop, idx),) = imp.node_populations["cuba"]
            np.testing.assert_array_equal(imp.network.populations[pop].neuron.i_offset_nA, [0.3, 0.5])
        else:
            for name, pop in net.populations.items():
                got = imp.network.populations[parts[name]].neuron
                np.testing.assert_array_equal(got.i_offset_nA, pop.neuron.i_offset_nA)
        rec = [(p, None) for node in ("li", "integ") for p, _ in imp.node_populations[node]]
        res = soen.simulate(imp.network_for({"inp": x}), T * dt_ns, dt_ns=dt_ns,
                             record=rec)
        for name, pop in net.populations.items():
            n = pop.n
            a, b = np.zeros((T, n)), np.zeros((T, n))
            t, ids = ref.spikes(name)
            a[np.rint(t / dt_ns).astype(int) - 1, ids] += 1
            for pname, idx in imp.node_populations[name]:
                t, ids = res.spikes(pname)
                b[np.rint(t / dt_ns).astype(int) - 1, idx[ids]] += 1
            np.testing.assert_array_equal(b, a, err_msg=f"{name} (soen metadata used: {use_meta})")
        for name in ("li", "integ"):
            (pname, idx), *_ = imp.node_populations[name]
            cols = [k for k, lab in enumerate(res.trace_labels) if lab[0] == pname]
            rcols = [k for k, lab in enumerate(ref.trace_labels) if lab[0] == name]
            np.testing.assert_allclose(res.traces_s[:, cols], ref.traces_s[:, rcols], rtol=1e-12, atol=1e-12)


def test_export_refusals_for_offset_and_refractoriness():
    net = soen.Network()
    net.add_population(soen.Population("c", 2, neuron=models.CubaLIF(i_offset_nA=0.1)))
    msg = r"population 'c' \(CubaLIF\): i_offset_nA .* no incoming projection"
    with pytest.raises(ValueError, match=msg):
        to_nir(net)
    net = soen.Network()
    net.add_population(soen.Population("x", 2, neuron=models.IF(t_ref_ms=1.0)))
    with pytest.raises(ValueError, match=r"population 'x' \(IF\): t_ref_ms=1 ms has no NIR equivalent"):
        to_nir(net, refractory="error")
    with pytest.raises(ValueError, match="refractory must be"):
        to_nir(net, refractory="ignore")
    g = to_nir(net, refractory="drop")  # no warning (warnings are errors in this suite)
    assert g.nodes["x"].metadata["soen"]["dropped"] == "t_ref_ms"
    m = from_nir(g, dt=1e-4).network.populations["x"].neuron
    assert m.t_ref_ms == 1.0  # back from the metadata


def test_nir_parameters_without_soen_metadata():
    net = soen.Network()
    net.add_population(
        soen.Population(
            "a",
            2,
            neuron=models.LIF(tau_ms=5.0, r_MOhm=2.0, v_leak_mV=-1.0, v_threshold_mV=3.0, v_reset_mV=0.5),
        )
    )
    g = to_nir(net, time_unit_s=1e-3)  # graph times in ms
    assert np.allclose(g.nodes["a"].tau, 5.0)
    imp = from_nir(g, dt=0.1, time_unit_s=1e-3, use_soen_metadata=False, reset="zero", threshold="gt")
    ((pname, _),) = imp.node_populations["a"]
    m = imp.network.populations[pname].neuron
    assert (m.tau_ms, m.r_MOhm, m.v_leak_mV, m.v_threshold_mV, m.v_reset_mV) == (5.0, 2.0, -1.0, 3.0, 0.0)
    assert m.threshold_strict and m.integration == "exact" and imp.dt_ns == 1e5


def _conv_ref(x, w, pad, stride):
    from scipy.signal import correlate

    c_out = w.shape[0]
    xp = np.pad(x, [(0, 0)] + [(pad, pad)] * (x.ndim - 1))
    outs = []
    for co in range(c_out):
        full = sum(correlate(xp[ci], w[co, ci], mode="valid") for ci in range(x.shape[0]))
        outs.append(full[tuple(slice(None, None, stride) for _ in range(x.ndim - 1))])
    return np.array(outs)


def test_conv_pool_flatten_scale_lowering():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(3, 2, 3, 3))
    b = rng.normal(size=3)
    scale = rng.uniform(0.5, 2.0, size=12)
    nodes = {
        "in": nir.Input(input_type={"input": np.array([2, 5, 5])}),
        "conv": nir.Conv2d(input_shape=(5, 5), weight=w, stride=1, padding=1, dilation=1, groups=1, bias=b),
        "pool": nir.SumPool2d(
            kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])
        ),
        "flat": nir.Flatten(input_type={"input": np.array([3, 2, 2])}, start_dim=0),
        "scale": nir.Scale(scale=scale),
        "integ": nir.I(r=np.ones(12)),
        "out": nir.Output(output_type={"output": np.array([12])}),
    }
    edges = [
        ("in", "conv"),
        ("conv", "pool"),
        ("pool", "flat"),
        ("flat", "scale"),
        ("scale", "integ"),
        ("integ", "out"),
    ]
    g = nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)
    imp = from_nir(g, dt=1.0, time_unit_s=1e-3)  # dv/dt = r·I with t in ms, dt = 1 ms
    x = (rng.random((2, 5, 5)) < 0.5).astype(float)
    out = imp.simulate(x.reshape(1, -1))["out"]
    conv = _conv_ref(x, w, 1, 1) + b[:, None, None]
    pooled = conv[:, :4, :4].reshape(3, 2, 2, 2, 2).sum(axis=(2, 4))
    np.testing.assert_allclose(out[0], pooled.ravel() * scale, rtol=1e-5, atol=1e-5)  # float32 weights


def test_conv1d_stride_and_delay():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(2, 1, 3))
    nodes = {
        "in": nir.Input(input_type={"input": np.array([1, 7])}),
        "conv": nir.Conv1d(
            input_shape=7, weight=w, stride=2, padding=0, dilation=1, groups=1, bias=np.zeros(2)
        ),
        "delay": nir.Delay(delay=np.full(6, 2e-3)),
        "integ": nir.I(r=np.ones(6)),
        "out": nir.Output(output_type={"output": np.array([6])}),
    }
    g = nir.NIRGraph(
        nodes=nodes,
        edges=[("in", "conv"), ("conv", "delay"), ("delay", "integ"), ("integ", "out")],
        type_check=False,
    )
    imp = from_nir(g, dt=1e-3)
    x = np.zeros((4, 7))
    x[0] = rng.random(7) < 0.6
    out = imp.simulate(x)["out"]
    ref = _conv_ref(x[0][None], w, 0, 2).ravel() * 1e-3
    np.testing.assert_allclose(out[1], 0.0)  # delayed by 2 steps
    np.testing.assert_allclose(out[2], ref, rtol=1e-5, atol=1e-7)


def test_refusals():
    net = soen.Network()
    net.add_population("s", 2, soen.point_neuron())
    with pytest.raises(ValueError, match="SOEN neurons"):
        to_nir(net)
    net = soen.Network()
    net.add_population(soen.Population("c", 2, neuron=models.CondExpLIF()))
    with pytest.raises(ValueError, match="conductance"):
        to_nir(net)
    with pytest.raises(ValueError, match="integration"):
        from_nir(FIX / "snntorch_lif.nir", dt=1e-4, integration="rk4")
    with pytest.raises(ValueError, match="dt"):
        from_nir(FIX / "snntorch_lif.nir", dt=0.0)
    # recurrent zero-delay loop under same-step propagation
    nodes = {
        "in": nir.Input(input_type={"input": np.array([2])}),
        "lif": nir.LIF(tau=np.ones(2), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2)),
        "rec": nir.Linear(weight=np.eye(2)),
        "out": nir.Output(output_type={"output": np.array([2])}),
    }
    g = nir.NIRGraph(
        nodes=nodes, edges=[("in", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "out")], type_check=False
    )
    imp = from_nir(g, dt=1e-3)
    with pytest.raises(ValueError, match="loop"):
        imp.simulate(np.zeros((3, 2)))
    imp = from_nir(g, dt=1e-3, propagation="next_step")
    assert imp.simulate(np.ones((3, 2)))["out"].shape == (3, 2)
    with pytest.raises(ValueError, match="spike counts"):
        imp.simulate(np.full((3, 2), 0.5))
