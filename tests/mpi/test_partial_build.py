"""Partial builds (``compile_soen(owned=...)``, what each MPI rank compiles) together are exactly the
whole network of ``soen.compile``: the same connections, weights, delays, photonic links and per-dendrite
draws. Needs no MPI."""

from __future__ import annotations

import numpy as np
import pytest
from child import hardware, network

import soen
from soen.circuits import default_table
from soen.engine.compile import compile_soen

TABLE = default_table()


def connections(c, gids):
    """(pre node, post global neuron, projection, delay steps, weight[, μ, jitter, key]) rows, sorted."""
    st, p = c.structure, c.params
    n = c.meta["n_connections"]
    pre = np.repeat(np.arange(st["out_ptr"].size - 1), np.diff(st["out_ptr"]))
    cols = [pre, gids[st["conn_post"]], st["conn_proj"], st["out_delay"], p["sy_w"][:n]]
    if "out_mu" in p:
        cols += [p["out_mu"], p["out_jitter_ns"], st["conn_key"]]
    rows = np.stack([np.asarray(x, dtype=float) for x in cols], axis=1)
    return rows[np.lexsort(rows.T[::-1])]


@pytest.mark.parametrize("net", ["rec", "photonic"])
@pytest.mark.parametrize("partition", ["round_robin", "blocks"])
def test_parts_together_are_the_whole_network(net, partition):
    from soen.engine._mpi import partition_ranks

    network_, hw = network(net), hardware(net)
    full = compile_soen(network_, dt_ns=0.1, seed=3, table=TABLE, hardware=hw)
    n = full.n_neurons
    fan_out = np.diff(full.structure["out_ptr"])[:n]  # the whole network's, from the reference build
    rank_of = partition_ranks(network_, 3, partition)
    parts, owned = [], []
    for r in range(3):
        ids = np.flatnonzero(rank_of == r)
        parts.append(compile_soen(network_, dt_ns=0.1, seed=3, table=TABLE, hardware=hw, owned=ids,
                                  sender_totals=lambda local: fan_out))
        owned.append(ids)
        np.testing.assert_array_equal(parts[-1].meta["owned"], ids)
        assert parts[-1].structure["out_ptr"].size == full.structure["out_ptr"].size  # global senders
    got = np.concatenate([connections(c, ids) for c, ids in zip(parts, owned)])
    got = got[np.lexsort(got.T[::-1])]
    np.testing.assert_array_equal(got, connections(full, np.arange(n)))
    assert sum(c.meta["n_connections"] for c in parts) == full.meta["n_connections"] > 500
    # per-dendrite values (keys, device spread, thermal noise) at the parts' global dendrites
    off = full.structure["dend_offset"]
    for c, ids in zip(parts, owned):
        g = np.concatenate([np.arange(off[i], off[i + 1]) for i in ids])
        for group, k in (("structure", "d_key"), ("params", "d_bias"), ("params", "d_alpha"), ("params", "d_noise"),
                         ("params", "nr_thresh")):
            a, b = getattr(c, group), getattr(full, group)
            if k not in b:
                continue
            np.testing.assert_array_equal(a[k], b[k][ids] if k == "nr_thresh" else b[k][g])


def test_partial_builds_refuse_what_they_cannot_do():
    net = network("photonic")
    with pytest.raises(ValueError, match="sender_totals"):
        compile_soen(net, dt_ns=0.1, seed=1, table=TABLE, hardware=hardware("photonic"), owned=[0, 2, 4])
    with pytest.raises(ValueError, match="owned: neuron ids must be sorted"):
        compile_soen(net, dt_ns=0.1, seed=1, table=TABLE, owned=[3, 1])
    with pytest.raises(ValueError, match=r"owned: neuron ids must lie in 0\.\.60"):
        compile_soen(net, dt_ns=0.1, seed=1, table=TABLE, owned=[0, 61])
    with pytest.raises(ValueError, match="crossing estimates"):
        compile_soen(net, dt_ns=0.1, seed=1, table=TABLE, hardware=soen.Hardware(),
                     layout=soen.photonics.Layout.grid(61), owned=[0, 1])
