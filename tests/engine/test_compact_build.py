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
