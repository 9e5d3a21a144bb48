"""The compact SOEN build: connections drawn in blocks of target neurons and reduced to narrow columns
equal the connections of the whole projection drawn at once (the independent reference), ordered by
(sender, delay), with incoming lists per neuron and the narrowest integer types."""

from __future__ import annotations

import numpy as np
import pytest

import soen
from soen.circuits import default_table
from soen.engine import _soen_build
from soen.engine.compile import delay_steps_of, resolve_projection, rounds_delay

TABLE = default_table()


def _net():
    net = soen.Network()
    net.add_population("a", 70, soen.tree_neuron((2, 4), coupling=0.3))
    net.add_population("b", 30, soen.point_neuron())
    net.add_source(soen.PoissonSource("drive", 20, rate_hz=40e6))
    net.connect("drive", "a", soen.FixedProbability(0.3), weight=soen.Uniform(0.1, 0.3))
    net.connect("a", "a", soen.FixedInDegree(5), weight=0.05, delay_ns=soen.Uniform(1.0, 5.0))
    net.connect("a", "b", soen.FixedProbability(0.2), weight=0.02, delay_ns=soen.Uniform(0.5, 3.0), target=0)
    net.connect("b", "a", soen.FromList(np.array([0, 1, 2]), np.array([3, 4, 5])), weight=np.array([0.1, 0.2, 0.3]))
    net.connect("b", "b", soen.OneToOne(), weight=-0.1, synapse=soen.Synapse(tau_fall_ns=20.0))
    return net


def _compile(net, **kw):
    return soen.compile(net, dt_ns=0.1, seed=4, table=TABLE, **kw)


def test_blocks_of_target_neurons_give_exactly_the_whole_projection(monkeypatch):
    net = _net()
    whole = _compile(net)
    monkeypatch.setattr(_soen_build, "BLOCK_CONNECTIONS", 7)  # many blocks per random projection
    assert len(_soen_build.post_blocks(net, net.projections[1])) > 10
    blocked = _compile(net)
    assert whole.fingerprint_parts() == blocked.fingerprint_parts()


@pytest.mark.parametrize("hardware", [None, soen.Hardware(photons_per_spike=3.0)])
def test_compiled_connections_equal_each_projection_drawn_at_once(hardware):
    net = _net()
    c = _compile(net, hardware=hardware)
    st, p, m = c.structure, c.params, c.meta
    n_conn = m["n_connections"]
    sender = np.repeat(np.arange(st["out_ptr"].size - 1), np.diff(st["out_ptr"]))
    assert sender.size == n_conn == st["conn_post"].size == st["conn_proj"].size
    offs = {**m["pop_offset"], **m["src_offset"]}
    for k, proj in enumerate(net.projections):
        pre, post, w, delay = resolve_projection(net, k, 4)
        mine = st["conn_proj"] == k
        ref = np.stack([pre + offs[proj.pre], post + m["pop_offset"][proj.post], w,
                        delay_steps_of(delay, 0.1, "d", drawn=rounds_delay(proj))], axis=1)
        got = np.stack([sender[mine], st["conn_post"][mine], p["sy_w"][:n_conn][mine],
                        st["out_delay"][mine]], axis=1)
        if hardware is not None and proj.pre in m["pop_offset"]:
            got, ref = got[:, :3], ref[:, :3]  # photonic links add their waveguide delay: compare (pre, post, w)
        order = np.lexsort(ref.T[::-1])
        np.testing.assert_array_equal(got[np.lexsort(got.T[::-1])], ref[order])
    # within a sender, delays never decrease (events arriving together are adjacent)
    d = st["out_delay"].astype(np.int64)
    same = sender[1:] == sender[:-1]
    assert np.all(d[1:][same] >= d[:-1][same])
    # incoming lists: every connection once, grouped by its target, ascending
    for i in range(m["n_neurons"]):
        syn = st["in_syn"][st["in_ptr"][i]:st["in_ptr"][i + 1]]
        np.testing.assert_array_equal(syn, np.flatnonzero(st["conn_post"] == i))
    assert st["in_ptr"][-1] == n_conn


def test_narrow_integer_columns():
    c = _compile(_net())
    st = c.structure
    assert st["sy_type"].dtype == np.uint8 and st["out_delay"].dtype == np.int16
    assert st["sy_ch"].dtype == st["conn_post"].dtype == st["in_syn"].dtype == np.int32
    assert st["conn_proj"].dtype == np.int16
    assert _soen_build.smallest_int(40000) == np.int32 and _soen_build.smallest_int(255, signed=False) == np.uint8
    # a delay beyond int16 steps widens the column instead of wrapping
    net = soen.Network()
    net.add_population("a", 3, soen.point_neuron())
    net.connect("a", "a", soen.AllToAll(), delay_ns=4000.0)
    st = soen.compile(net, dt_ns=0.1, seed=1, table=TABLE).structure
    assert st["out_delay"].dtype == np.int32 and int(st["out_delay"].max()) == 40000


# ------------------------------------------------------------------------------------------------
# the compact layout against the reference layout (every column stored)
# ------------------------------------------------------------------------------------------------
from soen.engine.compile import compile_soen  # noqa: E402
from soen.engine.ir import Columns  # noqa: E402

REFERENCE_COLUMNS = ("sy_type", "conn_post", "conn_proj", "in_ptr", "in_syn", "sy_ch", "out_ptr", "out_delay",
                     "ch_ptr", "ch_type", "nr_ref_syn")


def _static_net(one_weight: bool):
    net = soen.Network()
    net.add_population("a", 60, soen.point_neuron())
    net.add_population("b", 20, soen.tree_neuron((2, 4), coupling=0.3))
    net.add_source(soen.PoissonSource("drive", 60, rate_hz=200e6))
    net.connect("drive", "a", soen.OneToOne(), weight=1.0)
    w_aa = 0.05 if one_weight else soen.Uniform(0.02, 0.08)
    net.connect("a", "a", soen.FixedInDegree(6), weight=w_aa, delay_ns=soen.Uniform(1.0, 5.0))
    net.connect("a", "b", soen.FixedProbability(0.3), weight=0.3, delay_ns=soen.Uniform(0.5, 3.0), target="sites")
    net.connect("b", "a", soen.FixedInDegree(3), weight=-0.05, synapse=soen.Synapse(tau_fall_ns=20.0), delay_ns=2.0)
    return net


def _pair(net, **kw):
    ref = compile_soen(net, dt_ns=0.1, seed=4, table=TABLE, connectivity="reference", **kw)
    cmp_ = compile_soen(net, dt_ns=0.1, seed=4, table=TABLE, connectivity="compact", **kw)
    return ref, cmp_


@pytest.mark.parametrize("one_weight", [True, False])
@pytest.mark.parametrize("hardware", [None, soen.Hardware(photons_per_spike=3.0)])
def test_compact_columns_derive_exactly_the_reference_columns(one_weight, hardware):
    ref, c = _pair(_static_net(one_weight), hardware=hardware)
    assert isinstance(c.structure, Columns) and c.meta["connectivity"] == "compact"
    assert ref.meta["connectivity"] == "reference"
    # what the compact layout stores per connection: channel, class, delay (and the weight only when a
    # projection has many)
    n_conn = c.meta["n_connections"]
    per_conn = {k: v for k, v in c.column_bytes().items() if v.ndim == 1 and v.size in (n_conn, n_conn + c.n_neurons)}
    assert set(per_conn) == {"structure.sy_ch", "structure.sy_cls", "structure.out_delay"} | (
        set() if one_weight else {"params.sy_w"}) | ({"structure.conn_key", "params.out_mu", "params.out_jitter_ns"}
                                                    if hardware is not None else set())
    assert ("cls_w" in c.params) == one_weight
    for k in REFERENCE_COLUMNS + (("conn_key",) if hardware is not None else ()):
        a, b = ref.structure[k], c.structure[k]
        assert a.dtype == b.dtype, k
        np.testing.assert_array_equal(a, b, err_msg=k)
    for k in ref.params:
        np.testing.assert_array_equal(ref.params[k], c.params[k], err_msg=k)
    assert set(ref.params) <= set(c.params) and set(ref.structure) <= set(c.structure)


@pytest.mark.parametrize("one_weight", [True, False])
@pytest.mark.parametrize("hardware", [None, soen.Hardware(photons_per_spike=3.0)])
def test_compact_run_gives_the_reference_spikes_and_traces(one_weight, hardware):
    ref, c = _pair(_static_net(one_weight), hardware=hardware)
    kw = dict(seed=4, record=["a", ("b", [0, 5, 7], "all")], progress=False)
    r0 = soen.simulate(ref, 40.0, **kw)
    r1 = soen.simulate(c, 40.0, **kw)
    assert r0.spike_ids.size > 20 and r0.counts["events"] > 150
    np.testing.assert_array_equal(r0.spike_ids, r1.spike_ids)
    np.testing.assert_array_equal(r0.spike_times_ns, r1.spike_times_ns)
    np.testing.assert_allclose(r1.traces_s, r0.traces_s, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r1.traces_phi, r0.traces_phi, rtol=0, atol=1e-12)
    assert r0.counts == r1.counts


def test_compact_with_params_replaces_the_derived_weights():
    ref, c = _pair(_static_net(True))
    w = np.array(ref.params["sy_w"])
    w[: c.meta["n_connections"]] *= 1.5
    r0 = soen.simulate(ref.with_params(sy_w=w), 30.0, seed=4, record="a", progress=False)
    c2 = c.with_params(sy_w=w)
    assert c2.params.is_stored("sy_w") and not c.params.is_stored("sy_w")
    r1 = soen.simulate(c2, 30.0, seed=4, record="a", progress=False)
    np.testing.assert_array_equal(r0.spike_ids, r1.spike_ids)
    np.testing.assert_allclose(r1.traces_s, r0.traces_s, rtol=0, atol=1e-12)


def test_connectivity_choice():
    net = _static_net(True)
    assert soen.compile(net, dt_ns=0.1, seed=1, table=TABLE).meta["connectivity"] == "compact"
    with pytest.raises(ValueError, match="connectivity must be one of"):
        compile_soen(net, dt_ns=0.1, seed=1, table=TABLE, connectivity="tiny")
    net.connect("b", "b", soen.OneToOne(), weight=0.1, plasticity=soen.STDP())
    assert soen.compile(net, dt_ns=0.1, seed=1, table=TABLE).meta["connectivity"] == "reference"
    with pytest.raises(ValueError, match="plastic projections"):
        compile_soen(net, dt_ns=0.1, seed=1, table=TABLE, connectivity="compact")
