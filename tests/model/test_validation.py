"""Bad input gets a clear error naming the parameter, its value and what is allowed — before any run."""

from __future__ import annotations

import math

import numpy as np
import pytest

import soen


def test_unknown_parameter_is_named():
    with pytest.raises(TypeError, match="tau"):
        soen.Dendrite(tau=3.0)


@pytest.mark.parametrize(
    "factory,match",
    [
        (lambda: soen.Dendrite(tau_ns=-1.0), r"Dendrite\.tau_ns must be a finite number > 0; got -1\.0"),
        (lambda: soen.Synapse(tau_fall_ns=math.nan), r"Synapse\.tau_fall_ns must be a finite number > 0; got nan"),
        (lambda: soen.Soma(refractory_ns=-2), r"Soma\.refractory_ns must be a finite number >= 0; got -2"),
        (lambda: soen.Dendrite(bias=3.0), r"Dendrite\.bias must be in \[0, 2\.5\]; got 3\.0"),
        (lambda: soen.Synapse(dead_time_ns=0.01), r"dead_time_ns .* hotspot"),
        (lambda: soen.PoissonSource("p", 3, rate_hz=-5.0), r"PoissonSource\.rate_hz"),
        (lambda: soen.FixedProbability(1.5), r"FixedProbability\.p must be in \[0, 1\]; got 1\.5"),
        (lambda: soen.SpikeSource("s", ([1.0, -2.0],)), r"SpikeSource\.times_ns\[0\] must be >= 0 ns; got -2\.0 \(entry 1\)"),
    ],
)
def test_component_validation(factory, match):
    with pytest.raises((ValueError, TypeError), match=match):
        factory()


def test_dangling_connection_is_refused():
    net = soen.Network()
    net.add_population("a", 3, soen.point_neuron())
    with pytest.raises(ValueError, match=r"'ghost' is not a population or source.*dangling"):
        net.connect("ghost", "a")
    with pytest.raises(ValueError, match="dangling"):
        net.connect("a", "a", soen.FromList(np.array([0]), np.array([5])))
        soen.simulate(net, 1.0)


def test_non_finite_weight_is_refused_before_the_run():
    net = soen.Network()
    net.add_population("a", 3, soen.point_neuron())
    with pytest.raises(ValueError, match=r"Projection\.weight must be a finite number; got inf"):
        net.connect("a", "a", weight=math.inf)
    # a per-connection array is checked when the projection is made (not only when it is compiled)
    with pytest.raises(ValueError, match=r"Projection\.weight must be finite; got nan \(entry 1\)"):
        net.connect("a", "a", weight=np.array([1.0, np.nan, 1.0, 1.0, 1.0, 1.0]))
    # a distribution is drawn at compile time: its samples are checked there
    net.connect("a", "a", weight=soen.Normal(0.5, 0.1, low=0.0))
    soen.simulate(net, 1.0)


def test_dt_too_large_is_refused():
    net = soen.Network()
    net.add_population("a", 1, soen.point_neuron(soma=soen.Soma(tau_ns=0.5)))
    with pytest.raises(ValueError, match=r"dt_ns=0.5 is too large: dendrite 0 has τ = 0.5 ns"):
        soen.simulate(net, 10.0, dt_ns=0.5)
    net2 = soen.Network()
    net2.add_population("a", 1, soen.point_neuron())
    with pytest.raises(ValueError, match=r"dt_ns=1.0 is too large.*can gain"):
        soen.simulate(net2, 10.0, dt_ns=1.0)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(duration_ns=-1.0), r"duration_ns must be (a positive finite number|a finite number > 0)"),
        (dict(duration_ns=10.0, dt_ns=0.0), r"dt_ns must be (a positive finite number|a finite number > 0)"),
        (dict(duration_ns=10.0, seed=-3), "seed must be a non-negative integer"),
        (dict(duration_ns=10.0, integrator="rk45"), "integrator must be one of"),
        (dict(duration_ns=10.0, record=[("nope",)]), "record: unknown population 'nope'"),
        (dict(duration_ns=10.0, engine="gpu"), "engine must be 'cpu'"),
    ],
)
def test_simulate_arguments(kwargs, match):
    net = soen.Network()
    net.add_population("a", 1, soen.point_neuron())
    with pytest.raises((ValueError, TypeError), match=match):
        soen.simulate(net, **kwargs)


def test_morphology_validation():
    with pytest.raises(ValueError, match="dendrite index 5 out of range"):
        soen.dag_neuron([soen.Dendrite()], [(5, 0, 0.5)])
    with pytest.raises(ValueError, match="unknown dendrite name 'x'"):
        soen.exc_inh_neuron(1, 1).index("x")
    with pytest.raises(ValueError, match=r"tree_neuron\.layers\[1\] must be an integer in \[1, 9999999\]; got 0"):
        soen.tree_neuron((3, 0))
