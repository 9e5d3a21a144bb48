"""The simulation core: one frozen compiled network, inputs drawn as the run goes in every engine,
randomness keyed by stable ids (partitions and unrelated changes leave draws alone), checkpoints that
name what differs."""

from __future__ import annotations

import numpy as np
import pytest

import soen
from soen import _rng, models
from soen.circuits import default_table
from soen.engine._connect import connection_keys, name_id
from soen.engine.compile import resolve_projection

TABLE = default_table()


def _sources(net):
    net.add_source(soen.PoissonSource("drive", 40, rate_hz=30e6, start_ns=5.0))
    net.add_source(soen.RegularSource("clk", 3, period_ns=7.3, start_ns=0.25))
    net.add_source(soen.SpikeSource("kick", ([1.0, 2.0, 2.04], [3.3])))


def test_inputs_identical_in_both_engines_and_equal_to_the_counter_based_reference():
    soen_net = soen.Network()
    soen_net.add_population("n", 45, soen.point_neuron())
    point_net = soen.Network()
    point_net.add_population(soen.Population("n", 45, neuron=models.LIF()))
    for net in (soen_net, point_net):
        _sources(net)
        net.connect("drive", "n", soen.FromList(np.arange(40), np.arange(40)), weight=0.1)
        net.connect("clk", "n", soen.FromList(np.arange(3), 40 + np.arange(3)), weight=0.1)
        net.connect("kick", "n", soen.FromList(np.arange(2), 43 + np.arange(2)), weight=0.1)
    dur, dt, seed = 300.0, 0.1, 9
    a = soen.simulate(soen_net, dur, dt_ns=dt, seed=seed, table=TABLE)
    b = soen.simulate(point_net, dur, dt_ns=dt, seed=seed)
    assert a.metadata["engine"].startswith("cpu-soen") and b.metadata["engine"] == "cpu-point|dense"
    for name in ("drive", "clk", "kick"):
        np.testing.assert_array_equal(a.input_counts[name], b.input_counts[name])
    # the reference: per step n and channel c, soen._rng.poisson keyed by the source's stable name id
    start = round(5.0 / dt)
    ref = [sum(_rng.poisson(30e6 * dt * 1e-9, seed, 1, (name_id("drive") << 32) | c, n)
               for n in range(start, round(dur / dt))) for c in range(40)]
    np.testing.assert_array_equal(a.input_counts["drive"], ref)
    mean = 40 * 30e6 * (dur - 5.0) * 1e-9
    assert abs(sum(ref) - mean) < 4 * np.sqrt(mean)  # a Poisson count: within 4 σ
    # regular: t = 0.25 + 7.3 k < 300 ns; explicit: 2.0 and 2.04 fall in one step, both count
    assert list(a.input_counts["clk"]) == [len(np.arange(0.25, 300.0 - 0.05, 7.3))] * 3
    assert list(a.input_counts["kick"]) == [3, 1]
    assert a.counts["input_spikes"] == b.counts["input_spikes"] == sum(ref) + 3 * a.input_counts["clk"][0] + 4


def test_inputs_do_not_depend_on_chunking_or_duration():
    net = soen.Network()
    net.add_population("n", 10, soen.point_neuron())
    _sources(net)
    net.connect("drive", "n", soen.FixedInDegree(4), weight=0.5)
    long = soen.simulate(net, 400.0, seed=3, table=TABLE)
    short = soen.simulate(net, 200.0, seed=3, table=TABLE)
    m = long.spike_times_ns < 200.0 - 1e-9
    np.testing.assert_array_equal(long.spike_times_ns[m], short.spike_times_ns)
    np.testing.assert_array_equal(long.spike_ids[m], short.spike_ids)


CONNECTORS = [
    soen.FixedProbability(0.15),
    soen.FixedInDegree(7),
    soen.AllToAll(),
    soen.FromList(np.array([0, 3, 3, 9, 12]), np.array([1, 1, 30, 39, 2])),
]


@pytest.mark.parametrize("connector", CONNECTORS, ids=lambda c: type(c).__name__)
def test_connections_onto_two_halves_are_the_full_network(connector):
    net = soen.Network()
    net.add_population("a", 40, soen.point_neuron())
    net.connect("a", "a", connector, weight=soen.Normal(0.5, 0.2, low=0.0), delay_ns=soen.Uniform(1.0, 3.0))
    full = resolve_projection(net, 0, seed=11)
    halves = [resolve_projection(net, 0, seed=11, posts=np.arange(lo, hi)) for lo, hi in ((0, 20), (20, 40))]
    assert full[0].size > 0

    def rows(parts):
        pre, post, w, d = (np.concatenate(x) for x in zip(*parts)) if isinstance(parts, list) else parts
        o = np.lexsort((w, pre, post))
        return pre[o], post[o], w[o], d[o]

    for x, y in zip(rows(full), rows(halves)):
        np.testing.assert_array_equal(x, y)
    # photonic draws are keyed by the connection, not by its position: the same keys and link values
    pid = np.full(full[0].size, name_id("a->a"))
    k_full = connection_keys(pid, full[0], full[1])
    for lo, hi in ((0, 20), (20, 40)):
        m = (full[1] >= lo) & (full[1] < hi)
        k_half = connection_keys(pid[m], full[0][m], full[1][m])
        np.testing.assert_array_equal(np.sort(k_full[m]), np.sort(k_half))
    from soen.photonics import compile_links

    hw = soen.Hardware(photons_per_spike=50.0, split_ratio_error_db=0.8, detector_efficiency_spread=0.05)
    la = compile_links(hw, None, full[0], full[1], seed=2, edge_ids=k_full, fan_out=np.full(full[0].size, 10))
    m = full[1] < 20
    lb = compile_links(hw, None, full[0][m], full[1][m], seed=2, edge_ids=k_full[m], fan_out=np.full(m.sum(), 10))
    np.testing.assert_array_equal(la.mu[m], lb.mu)


def test_unrelated_projections_and_sources_change_no_other_draws():
    def build(extra: bool):
        net = soen.Network()
        if extra:
            net.add_population("z", 7, soen.point_neuron())
            net.add_source(soen.PoissonSource("other", 5, rate_hz=10e6))
        net.add_population("a", 30, soen.point_neuron())
        if extra:
            net.connect("other", "z", soen.FixedInDegree(2))
            net.connect("a", "z", soen.FixedProbability(0.3), weight=soen.Uniform(0, 1))
        net.add_source(soen.PoissonSource("drive", 30, rate_hz=40e6))
        net.connect("drive", "a", soen.FixedInDegree(3), weight=soen.Uniform(0.5, 1.0))
        net.connect("a", "a", soen.FixedProbability(0.2), weight=soen.Normal(0.4, 0.1), delay_ns=2.0)
        return net

    plain, extended = build(False), build(True)
    for k in (0, 1):
        for x, y in zip(resolve_projection(plain, k, 5), resolve_projection(extended, k + 2, 5)):
            np.testing.assert_array_equal(x, y)
    ra = soen.simulate(plain, 300.0, seed=5, table=TABLE)
    rb = soen.simulate(extended, 300.0, seed=5, table=TABLE)
    np.testing.assert_array_equal(ra.input_counts["drive"], rb.input_counts["drive"])
    ta, ia = ra.spikes("a")
    tb, ib = rb.spikes("a")  # "a" receives nothing from the added parts: identical spikes
    np.testing.assert_array_equal(ta, tb)
    np.testing.assert_array_equal(ia, ib)


def test_compiled_is_frozen_complete_and_runs_for_any_duration():
    net = soen.Network()
    net.add_population("a", 20, soen.tree_neuron((2, 3)))
    net.add_source(soen.PoissonSource("drive", 20, rate_hz=40e6))
    net.connect("drive", "a", soen.FixedInDegree(3))
    hw = soen.Hardware(photons_per_spike=100.0, critical_current_spread=0.03, thermal_noise=True)
    c = soen.compile(net, dt_ns=0.1, seed=4, table=TABLE, hardware=hw)
    assert isinstance(c, soen.Compiled) and c.kind == "soen"
    for d in (c.params, c.structure):
        with pytest.raises(TypeError):
            d["x"] = 1  # a read-only mapping
        for v in d.values():
            if isinstance(v, np.ndarray):
                assert not v.flags.writeable
    assert "d_noise" in c.params and c.params["d_noise"].shape == c.params["d_bias"].shape
    nominal = soen.compile(net, dt_ns=0.1, seed=4, table=TABLE)
    assert not np.array_equal(c.params["d_bias"], nominal.params["d_bias"])  # the spread is inside
    r1 = soen.simulate(c, 100.0)
    r2 = soen.simulate(c, 250.0)
    m = r2.spike_times_ns < 100.0 - 1e-9
    np.testing.assert_array_equal(r1.spike_times_ns, r2.spike_times_ns[m])
    with pytest.raises(ValueError, match="hardware"):
        soen.simulate(c, 100.0, hardware=hw)
    # the incoming synapses of every neuron: exactly the connections onto it
    st = c.structure
    for i in (0, 7, 19):
        syn = st["in_syn"][st["in_ptr"][i]:st["in_ptr"][i + 1]]
        assert syn.size == 3 and np.all(st["conn_post"][syn] == i)
    # with_params: a new compiled network, the old one unchanged
    w = np.array(c.params["sy_w"])
    w[:60] = 0.0
    c0 = c.with_params(sy_w=w)
    assert c0.params["sy_w"][0] == 0.0 and c.params["sy_w"][0] == 1.0
    assert c0.fingerprint() != c.fingerprint()


def _busy_point_net():
    net = soen.Network()
    net.add_population(soen.Population("e", 200, neuron=models.DeltaLIF(V_init_mV=soen.Uniform(0.0, 20.0))))
    net.add_source(soen.PoissonSource("ext", 200, rate_hz=20000.0))
    net.connect("ext", "e", soen.OneToOne(), weight=1.0)
    net.connect("e", "e", soen.FixedProbability(0.05), weight=soen.Uniform(0.1, 0.5), delay_ns=soen.Uniform(1e5, 5e5))
    return net


def test_point_engine_resume_is_bit_identical_and_streams_to_a_file(tmp_path):
    net = _busy_point_net()
    kw = dict(dt_ns=1e5, seed=2, record=("e", [0, 5]), record_every_ns=2e5)
    full = soen.simulate(net, 2e8, **kw)
    assert full.spike_ids.size > 500
    ck = tmp_path / "p.npz"
    soen.simulate(net, 1e8, checkpoint=ck, output=tmp_path / "half.h5", **kw)
    rest = soen.simulate(net, 2e8, resume=ck, output=tmp_path / "rest.h5", **kw)
    np.testing.assert_array_equal(full.spike_times_ns, rest.spike_times_ns)
    np.testing.assert_array_equal(full.spike_ids, rest.spike_ids)
    np.testing.assert_array_equal(full.traces_s, rest.traces_s)
    loaded = soen.load(tmp_path / "rest.h5")
    np.testing.assert_array_equal(loaded.spike_ids, full.spike_ids)
    assert loaded.complete and loaded.t_end_ns == pytest.approx(2e8)


def test_resume_with_thermal_noise_and_spread_is_bit_identical(tmp_path):
    net = soen.Network()
    net.add_population("a", 60, soen.tree_neuron((2, 3), coupling=0.6))
    net.add_source(soen.PoissonSource("drive", 60, rate_hz=60e6))
    net.connect("drive", "a", soen.FixedInDegree(3))
    net.connect("a", "a", soen.FixedInDegree(5), weight=0.4, delay_ns=soen.Uniform(1.0, 4.0))
    hw = soen.Hardware(photons_per_spike=200.0, thermal_noise=True, critical_current_spread=0.02,
                       dark_count_rate_hz=2e5)
    kw = dict(seed=6, table=TABLE, hardware=hw, record=("a", [1], "all"))
    full = soen.simulate(net, 1200.0, **kw)
    ck = tmp_path / "n.npz"
    soen.simulate(net, 500.0, checkpoint=ck, **kw)
    rest = soen.simulate(net, 1200.0, resume=ck, **kw)
    assert full.spike_ids.size > 50 and full.counts["dark_counts"] > 0
    np.testing.assert_array_equal(full.spike_times_ns, rest.spike_times_ns)
    np.testing.assert_array_equal(full.traces_s, rest.traces_s)
    assert full.counts == rest.counts
    # a checkpoint made with thermal noise refuses a run without it, naming the part
    with pytest.raises(ValueError, match=r"params\.d_noise differs"):
        soen.simulate(net, 1200.0, resume=ck, **{**kw, "hardware": soen.Hardware(
            photons_per_spike=200.0, critical_current_spread=0.02, dark_count_rate_hz=2e5)})


@pytest.mark.parametrize("change, part", [
    (dict(weight=0.5), "params.cls_w"),  # (the compact layout keeps one weight per projection)
    (dict(integrator="heun"), "engine"),
    (dict(seed=2), "seed"),
    (dict(dt_ns=0.05), "dt_ns"),
])
def test_checkpoint_refuses_any_change_and_names_it(tmp_path, change, part):
    def net_with(weight):
        net = soen.Network()
        net.add_population("a", 5, soen.point_neuron())
        net.add_source(soen.PoissonSource("d", 5, rate_hz=50e6))
        net.connect("d", "a", soen.OneToOne(), weight=weight)
        return net

    ck = tmp_path / "c.npz"
    soen.simulate(net_with(1.0), 50.0, seed=1, table=TABLE, checkpoint=ck)
    kw = dict(seed=1, table=TABLE, resume=ck)
    kw.update({k: v for k, v in change.items() if k != "weight"})
    with pytest.raises(ValueError, match=rf"{part.replace('.', '[.]')} differs"):
        soen.simulate(net_with(change.get("weight", 1.0)), 100.0, **kw)


@pytest.mark.parametrize("threads", [1, 2])
def test_point_event_delivery_reads_weights_at_arrival_and_equals_the_dense_ring(threads):
    net = _busy_point_net()
    net.add_source(soen.SpikeSource("kick", ([2e5, 3e5], [4e5])))
    net.connect("kick", "e", soen.FromList(np.array([0, 1]), np.array([3, 4])), weight=5.0, delay_ns=0.0)
    kw = dict(dt_ns=1e5, seed=4, record=("e", [3, 4]))
    dense = soen.simulate(net, 5e7, engine=soen.engines.CPU(threads=threads), **kw)
    ev = soen.simulate(net, 5e7, engine=soen.engines.CPU(threads=threads, delivery="events"), **kw)
    assert dense.spike_ids.size > 100
    np.testing.assert_array_equal(dense.spike_times_ns, ev.spike_times_ns)
    np.testing.assert_array_equal(dense.spike_ids, ev.spike_ids)
    np.testing.assert_array_equal(dense.traces_s, ev.traces_s)
    assert dense.counts == ev.counts


def test_point_event_delivery_of_a_volley_larger_than_a_ring_slot_equals_the_dense_ring():
    """300 neurons kicked into spiking in the same steps put 900 events into one slot of the event ring
    (it starts with room for 64 and doubles while a spike's events are pushed): the recorded potentials,
    spikes and counts must equal the dense ring's, where weights are summed at send time (independent
    path)."""
    rng = np.random.default_rng(5)
    net = soen.Network()
    net.add_population("pre", 300, neuron=soen.models.LIF(tau_ms=10.0, v_threshold_mV=1.0))
    net.add_population("post", 3, neuron=soen.models.LIF(tau_ms=10.0, v_threshold_mV=1.0))
    times = [np.sort(np.concatenate([[10e6, 30e6], rng.uniform(1e6, 45e6, 3).round(-5)])) for _ in range(300)]
    net.add_source(soen.SpikeSource("kick", times))
    net.connect("kick", "pre", soen.OneToOne(), weight=1000.0, delay_ns=0.0)
    net.connect("pre", "post", soen.AllToAll(), weight=soen.Uniform(0.0, 0.2), delay_ns=2e6)  # below threshold
    kw = dict(dt_ns=1e5, seed=2, record=("post", [0, 1, 2]))
    dense = soen.simulate(net, 5e7, **kw)
    ev = soen.simulate(net, 5e7, engine=soen.engines.CPU(delivery="events"), **kw)
    pre_spikes = np.bincount(dense.spike_ids, minlength=303)[:300]
    assert pre_spikes.min() >= 2 and pre_spikes.sum() > 1200  # the volleys at 10 and 30 ms at least
    assert dense.traces_s.max() > 0.1  # the volleys reach the recorded neurons
    np.testing.assert_array_equal(dense.traces_s, ev.traces_s)
    np.testing.assert_array_equal(dense.spike_times_ns, ev.spike_times_ns)
    np.testing.assert_array_equal(dense.spike_ids, ev.spike_ids)
    assert dense.counts == ev.counts


def test_incoming_synapse_lists_of_the_point_engine():
    net = _busy_point_net()
    c = soen.compile(net, dt_ns=1e5, seed=1)
    st = c.structure
    n = c.n_neurons
    post = st["out_tgt"] % n
    for i in (0, 17, 199):
        syn = st["in_syn"][st["in_ptr"][i]:st["in_ptr"][i + 1]]
        np.testing.assert_array_equal(np.sort(syn), np.flatnonzero(post == i))
