"""Homeostasis: populations started at about 5x their target rate settle within 10 % of it (SOEN somas
by their threshold, LIF neurons by their input offset), deterministically across checkpoints."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import soen
from soen import models
from soen.circuits import default_table
from soen.plasticity import Homeostasis

TABLE = default_table()
MS = 1e6


def _rate(r, a_ns, b_ns, n):
    t = r.spike_times_ns
    return np.count_nonzero((t >= a_ns) & (t < b_ns)) / n / ((b_ns - a_ns) * 1e-9)


def _soen_net(homeostasis):
    net = soen.Network()
    net.add_population("p", 50, soen.point_neuron(), homeostasis=homeostasis)
    net.add_source(soen.PoissonSource("inp", 50, rate_hz=40e6))
    net.connect("inp", "p", soen.FixedInDegree(3), weight=0.5)
    return net


def test_soen_population_at_five_times_its_target_settles_within_ten_percent():
    target = 2e6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # three strong inputs per soma exceed Φ0/2 on purpose
        free = soen.simulate(_soen_net(None), 2000.0, seed=1, table=TABLE)
        r = soen.simulate(_soen_net(Homeostasis(target_rate_hz=target, interval_ns=500.0, eta=0.01)), 30000.0,
                          seed=1, table=TABLE)
    start = _rate(free, 0, 2000.0, 50)
    assert start > 4.5 * target  # the population starts far above its target
    assert abs(_rate(r, 20000.0, 30000.0, 50) / target - 1) < 0.10


def _lif_net(homeostasis):
    net = soen.Network()
    net.add_population(soen.Population("p", 100, neuron=models.LIF(tau_ms=10.0), homeostasis=homeostasis))
    net.add_source(soen.PoissonSource("inp", 100, rate_hz=800.0))
    net.connect("inp", "p", soen.FixedInDegree(20), weight=0.9, delay_ns=0.1 * MS)
    return net


def test_lif_population_at_five_times_its_target_settles_within_ten_percent(tmp_path):
    h = Homeostasis(target_rate_hz=10.0, interval_ns=50 * MS, eta=0.05)
    free = soen.simulate(_lif_net(None), 1000 * MS, dt_ns=0.1 * MS, seed=1)
    assert _rate(free, 0, 1000 * MS, 100) > 4.5 * 10.0
    r = soen.simulate(_lif_net(h), 5000 * MS, dt_ns=0.1 * MS, seed=1)
    assert abs(_rate(r, 3000 * MS, 5000 * MS, 100) / 10.0 - 1) < 0.10
    # the adapted offsets travel in the checkpoint: a resumed run equals the uninterrupted one
    soen.simulate(_lif_net(h), 2025 * MS, dt_ns=0.1 * MS, seed=1, checkpoint=tmp_path / "c.npz")
    rest = soen.simulate(_lif_net(h), 5000 * MS, dt_ns=0.1 * MS, seed=1, resume=tmp_path / "c.npz")
    np.testing.assert_array_equal(r.spike_times_ns, rest.spike_times_ns)


def test_bad_homeostasis_is_named():
    with pytest.raises(ValueError, match="Homeostasis.target_rate_hz"):
        Homeostasis(target_rate_hz=-1.0)
    with pytest.raises(ValueError, match="Homeostasis.interval_ns"):
        Homeostasis(target_rate_hz=1.0, interval_ns=0.0)
    with pytest.raises(TypeError, match="Population.homeostasis"):
        soen.Population("p", 2, homeostasis=0.5)
    net = soen.Network()
    net.add_population(soen.Population("p", 2, neuron=models.DeltaLIF(), homeostasis=Homeostasis(1.0)))
    with pytest.raises(ValueError, match="homeostasis adapts an input offset"):
        soen.compile(net, dt_ns=0.1 * MS)
    net = soen.Network()
    net.add_population("p", 2, soen.point_neuron(), homeostasis=Homeostasis(1.0, interval_ns=0.15))
    with pytest.raises(ValueError, match="Homeostasis.interval_ns of 'p'"):
        soen.simulate(net, 10.0, table=TABLE)
