"""Every public model constructor answers bad input with a clear TypeError/ValueError naming the parameter.

The first block is the list of facts of issue 11 (each was silently accepted, or answered in numpy's
words); the parametrised blocks sweep bools, NaN/inf, strings and out-of-range values over every
constructor of soen.model.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import soen


def _net():
    net = soen.Network()
    net.add_population("a", 3, soen.point_neuron())
    return net


# --- the facts of issue 11 -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (lambda: soen.Projection("a", "a", weight=True), TypeError, r"Projection\.weight must be a number.*got True \(bool\)"),
        (lambda: _net().connect("a", "a", weight=True), TypeError, r"Projection\.weight .*got True \(bool\)"),
        (lambda: soen.exc_inh_neuron(n_exc=True), TypeError, r"exc_inh_neuron\.n_exc must be an integer .*got True"),
        (lambda: soen.Normal(0.0, 1.0, low=5, high=-5), ValueError, r"Normal\.high must be >= Normal\.low = 5\.0; got -5\.0"),
        (lambda: soen.Normal(0.0, 1.0, low=math.nan), ValueError, r"Normal\.low must be a number .*not NaN.*got nan"),
        (lambda: soen.Normal(0.0, 1.0, high=math.nan), ValueError, r"Normal\.high .*got nan"),
        (lambda: soen.tree_neuron((2.7, 9)), TypeError, r"tree_neuron\.layers\[0\] must be an integer .*got 2\.7 \(float\)"),
        (lambda: soen.tree_neuron("39"), TypeError, r"tree_neuron\.layers must be a sequence .*got '39' \(str\)"),
        (lambda: _net().add_population(soen.Population("b", 5), 10), TypeError,
         r"add_population: a ready Population \('b'\) takes no further arguments; got n"),
        (lambda: soen.SpikeSource("s", "abc"), TypeError, r"SpikeSource\.times_ns must be a sequence .*got 'abc'"),
        (lambda: soen.SpikeSource("s", ["abc"]), TypeError, r"SpikeSource\.times_ns\[0\] must be .*got 'abc'"),
        (lambda: _net().connect("a", "a", weight="abc"), TypeError, r"Projection\.weight must be .*got 'abc' \(str\)"),
        (lambda: _net().connect("a", "a", weight=1e39), ValueError,
         r"Projection\.weight must be finite with magnitude <= 3\.40282e\+38 .*single precision.*got 1e\+39"),
        (lambda: _net().connect("a", "a", weight=np.full(6, -1e39)), ValueError,
         r"Projection\.weight must be finite with magnitude .*got -1e\+39 \(entry 0\)"),
        (lambda: _net().connect("a", "a", weight=soen.Uniform(0.0, 1e39)), ValueError, r"Projection\.weight \(Uniform bounds\)"),
        (lambda: _net().connect("a", "a", soen.FromMatrix(np.full((3, 3), 1e39)), weight=None), ValueError,
         r"Projection\.weight \(from FromMatrix\.matrix\) must be finite with magnitude"),
    ],
)
def test_issue_facts(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_ready_population_alone_is_still_fine():
    net = soen.Network()
    assert net.add_population(soen.Population("b", 5)).n == 5
    assert net.add_population("c", np.int64(2)).n == 2


# --- a sweep over the constructors -----------------------------------------------------------------
CASES = [
    # (factory taking one bad value, parameter name in the message)
    (lambda v: soen.Synapse(tau_rise_ns=v), r"Synapse\.tau_rise_ns"),
    (lambda v: soen.Synapse(tau_fall_ns=v), r"Synapse\.tau_fall_ns"),
    (lambda v: soen.Synapse(hotspot_ns=v), r"Synapse\.hotspot_ns"),
    (lambda v: soen.Synapse(phi_peak=v), r"Synapse\.phi_peak"),
    (lambda v: soen.Synapse(dead_time_ns=v), r"Synapse\.dead_time_ns"),
    (lambda v: soen.Dendrite(tau_ns=v), r"Dendrite\.tau_ns"),
    (lambda v: soen.Dendrite(beta=v), r"Dendrite\.beta"),
    (lambda v: soen.Dendrite(bias=v), r"Dendrite\.bias"),
    (lambda v: soen.Dendrite(phi_offset=v), r"Dendrite\.phi_offset"),
    (lambda v: soen.Dendrite(self_coupling=v), r"Dendrite\.self_coupling"),
    (lambda v: soen.Soma(threshold=v), r"Soma\.threshold"),
    (lambda v: soen.Soma(refractory_ns=v), r"Soma\.refractory_ns"),
    (lambda v: soen.Soma(refractory_tau_ns=v), r"Soma\.refractory_tau_ns"),
    (lambda v: soen.Soma(refractory_phi_peak=v), r"Soma\.refractory_phi_peak"),
    (lambda v: soen.Soma(refractory_coupling=v), r"Soma\.refractory_coupling"),
    (lambda v: soen.tree_neuron((3, v)), r"tree_neuron\.layers\[1\]"),
    (lambda v: soen.tree_neuron((3, 9), coupling=v), r"tree_neuron\.coupling"),
    (lambda v: soen.tree_neuron((3, 9), coupling=(0.5, v)), r"tree_neuron\.coupling\[1\]"),
    (lambda v: soen.exc_inh_neuron(n_exc=v), r"exc_inh_neuron\.n_exc"),
    (lambda v: soen.exc_inh_neuron(n_inh=v), r"exc_inh_neuron\.n_inh"),
    (lambda v: soen.exc_inh_neuron(J_exc=v), r"exc_inh_neuron\.J_exc"),
    (lambda v: soen.exc_inh_neuron(J_inh=v), r"exc_inh_neuron\.J_inh"),
    (lambda v: soen.dag_neuron([soen.Dendrite()], [(1, 0, v)]), r"Neuron\.couplings\[0\] J"),
    (lambda v: soen.Population("p", v), r"Population\.n"),
    (lambda v: soen.Population("p", 2, positions_um=[[0.0, v], [1.0, 1.0]]), r"Population\.positions_um"),
    (lambda v: soen.SpikeSource("s", ([1.0, v],)), r"SpikeSource\.times_ns\[0\]"),
    (lambda v: soen.RegularSource("r", n=v), r"RegularSource\.n"),
    (lambda v: soen.RegularSource("r", period_ns=v), r"RegularSource\.period_ns"),
    (lambda v: soen.RegularSource("r", start_ns=v), r"RegularSource\.start_ns"),
    (lambda v: soen.PoissonSource("p", n=v), r"PoissonSource\.n"),
    (lambda v: soen.PoissonSource("p", rate_hz=v), r"PoissonSource\.rate_hz"),
    (lambda v: soen.PoissonSource("p", start_ns=v), r"PoissonSource\.start_ns"),
    (lambda v: soen.FixedProbability(v), r"FixedProbability\.p"),
    (lambda v: soen.FixedInDegree(v), r"FixedInDegree\.k"),
    (lambda v: soen.FromList([0, v], [0, 1]), r"FromList\.pre"),
    (lambda v: soen.FromList([0, 1], [v, 1]), r"FromList\.post"),
    (lambda v: soen.FromMatrix([[0.0, v]]), r"FromMatrix\.matrix"),
    (lambda v: soen.Uniform(v, 1.0), r"Uniform\.low"),
    (lambda v: soen.Uniform(0.0, v), r"Uniform\.high"),
    (lambda v: soen.Normal(v, 1.0), r"Normal\.mean"),
    (lambda v: soen.Normal(0.0, v), r"Normal\.std"),
    (lambda v: soen.Projection("a", "a", weight=v), r"Projection\.weight"),
    (lambda v: soen.Projection("a", "a", delay_ns=v), r"Projection\.delay_ns"),
    (lambda v: soen.Projection("a", "a", delay_ns=[1.0, v]), r"Projection\.delay_ns"),
    (lambda v: soen.Projection("a", "a", weight=[1.0, v]), r"Projection\.weight"),
]
BAD = [True, math.nan, math.inf, "1", None, -1e300]  # -1e300 is out of range for most; skipped where allowed
NO_RANGE = {r"Dendrite\.phi_offset", r"Dendrite\.self_coupling", r"tree_neuron\.coupling", r"tree_neuron\.coupling\[1\]",
            r"Neuron\.couplings\[0\] J", r"Normal\.mean", r"Projection\.weight", r"exc_inh_neuron\.J_inh",
            r"Population\.positions_um", r"Uniform\.low", r"FromMatrix\.matrix", r"Soma\.refractory_coupling"}
NONE_OK = {r"Synapse\.hotspot_ns", r"Soma\.refractory_coupling"}
#: integer parameters: a float (even NaN or inf) is the wrong type, not a bad value
INTEGER = {r"tree_neuron\.layers\[1\]", r"exc_inh_neuron\.n_exc", r"exc_inh_neuron\.n_inh", r"Population\.n",
           r"RegularSource\.n", r"PoissonSource\.n", r"FixedInDegree\.k", r"FromList\.pre", r"FromList\.post"}


@pytest.mark.parametrize("factory, name", CASES, ids=[c[1].replace("\\", "") for c in CASES])
@pytest.mark.parametrize("bad", BAD, ids=repr)
def test_bad_values_name_the_parameter(factory, name, bad):
    if bad == -1e300 and name in NO_RANGE:
        pytest.skip("any finite value is allowed")
    if bad is None and name in NONE_OK:
        pytest.skip("None is allowed")
    with pytest.raises((TypeError, ValueError), match=name) as info:
        factory(bad)
    if isinstance(bad, bool) or isinstance(bad, str) or bad is None or name in INTEGER:
        assert info.type is TypeError
    else:
        assert info.type is ValueError


@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (lambda: soen.Population("a b", 3), ValueError, r"Population\.name must be an identifier-like string"),
        (lambda: soen.Population(5, 3), TypeError, r"Population\.name must be an identifier-like string"),
        (lambda: soen.Population("a", 2**31), ValueError, r"Population\.n must be an integer in \[1, 2147483647\]"),
        (lambda: soen.Population("a", 3.0), TypeError, r"Population\.n must be an integer"),
        (lambda: soen.Population("a", 3, neuron="LIF"), TypeError, r"Population\.neuron must be a Neuron"),
        (lambda: soen.Population("a", 2, positions_um=np.zeros((3, 2))), ValueError, r"shape \(2, 2\) or \(2, 3\)"),
        (lambda: soen.SpikeSource("s", ()), ValueError, r"at least one channel"),
        (lambda: soen.SpikeSource("s", ([[1.0]],)), ValueError, r"SpikeSource\.times_ns\[0\] must be a number or a 1-D"),
        (lambda: soen.AllToAll(allow_self="yes"), TypeError, r"AllToAll\.allow_self must be True or False"),
        (lambda: soen.FixedProbability(0.5, allow_self=1), TypeError, r"FixedProbability\.allow_self"),
        (lambda: soen.FixedInDegree(2.0), TypeError, r"FixedInDegree\.k must be an integer"),
        (lambda: soen.FixedInDegree(3, allow_self=None), TypeError, r"FixedInDegree\.allow_self"),
        (lambda: soen.FromList(np.array([0.0, 1.0]), [0, 1]), TypeError, r"FromList\.pre must be an array of integers; got array of float64"),
        (lambda: soen.FromList([-1], [0]), ValueError, r"FromList\.pre must be in \[0, 2147483647\]; got -1 \(entry 0\)"),
        (lambda: soen.FromList([0, 1], [0]), ValueError, r"must have the same length"),
        (lambda: soen.FromList([[0]], [[0]]), ValueError, r"FromList\.pre must be a 1-D array"),
        (lambda: soen.FromList([True], [0]), TypeError, r"not bools"),
        (lambda: soen.FromMatrix(np.zeros(3)), ValueError, r"FromMatrix\.matrix must be a 2-D array"),
        (lambda: soen.Uniform(1.0, 0.0), ValueError, r"Uniform\.high must be a finite number >= 1; got 0\.0"),
        (lambda: soen.Normal(0.0, 1.0, low=math.inf), ValueError, r"Normal\.low must be a number < inf"),
        (lambda: soen.Normal(0.0, 1.0, high=-math.inf), ValueError, r"Normal\.high must be a number > -inf"),
        (lambda: soen.Projection(1, "a"), TypeError, r"Projection\.pre must be an identifier-like string"),
        (lambda: soen.Projection("a", "a", connector="AllToAll"), TypeError, r"Projection\.connector must be a connector"),
        (lambda: soen.Projection("a", "a", synapse=soen.Dendrite()), TypeError, r"Projection\.synapse must be a Synapse"),
        (lambda: soen.Projection("a", "a", target=True), TypeError, r"Projection\.target"),
        (lambda: soen.Projection("a", "a", target=-1), ValueError, r"Projection\.target"),
        (lambda: soen.Projection("a", "a", target="no such"), ValueError, r"Projection\.target"),
        (lambda: soen.Projection("a", "a", same_step=1), TypeError, r"Projection\.same_step must be True or False"),
        (lambda: soen.Projection("a", "a", weight=None), TypeError, r"or None with FromMatrix"),
        (lambda: soen.Projection("a", "a", weight=[[1.0]]), ValueError, r"Projection\.weight must be a 1-D array"),
        (lambda: soen.Projection("a", "a", weight={"a": 1}), TypeError, r"Projection\.weight"),
        (lambda: soen.Projection("a", "a", delay_ns=-1.0), ValueError, r"Projection\.delay_ns must be a finite number >= 0 ns"),
        (lambda: soen.Projection("a", "a", delay_ns=soen.Uniform(-1.0, 1.0)), ValueError, r"negative delays"),
        (lambda: soen.Projection("a", "a", delay_ns=soen.Normal(2.0, 0.5)), ValueError, r"low=0|low >= 0"),
        (lambda: soen.Network(populations="abc"), TypeError, r"Network\.populations must be a sequence"),
        (lambda: soen.Network(populations=[3]), TypeError, r"must be a Population"),
        (lambda: soen.Network(sources=5), TypeError, r"Network\.sources must be a sequence"),
        (lambda: _net().add_source("drive"), TypeError, r"add_source: source must be a SpikeSource"),
        (lambda: _net().add_projection(("a", "a")), TypeError, r"add_projection: projection must be a Projection"),
        (lambda: _net().add_population("a", 2), ValueError, r"'a' is already used"),
        (lambda: _net().connect("a", "a", soen.AllToAll(), bogus=1), TypeError, r"bogus"),
        (lambda: soen.Synapse(tau_rise_ns=1.0, tau_fall_ns=0.5), ValueError, r"Synapse\.tau_fall_ns must be > tau_rise_ns"),
        (lambda: soen.Neuron(soma=soen.Dendrite()), TypeError, r"Neuron\.soma must be a Soma"),
        (lambda: soen.Neuron(dendrites=(soen.Soma(),)), TypeError, r"Neuron\.dendrites\[0\] must be a Dendrite"),
        (lambda: soen.Neuron(dendrites=soen.Dendrite()), TypeError, r"Neuron\.dendrites must be a sequence"),
        (lambda: soen.Neuron(synapse=None), TypeError, r"Neuron\.synapse must be a Synapse"),
        (lambda: soen.Neuron(names=("x",)), ValueError, r"Neuron\.names must name the 0 non-soma dendrites"),
        (lambda: soen.dag_neuron([soen.Dendrite()] * 2, [], names=("x", "x")), ValueError, r"unique"),
        (lambda: soen.dag_neuron([soen.Dendrite()], [], names=("a-b",)), ValueError, r"Neuron\.names\[0\] must be an identifier"),
        (lambda: soen.dag_neuron([soen.Dendrite()], [(1, 0)]), ValueError, r"Neuron\.couplings\[0\] must be a \(source, target, J\)"),
        (lambda: soen.dag_neuron([soen.Dendrite()], [(1.0, 0, 0.5)]), TypeError, r"Neuron\.couplings\[0\] source must be a dendrite index"),
        (lambda: soen.dag_neuron([soen.Dendrite()], [(1, 0, 0.5)], synaptic_sites="d1"), TypeError, r"Neuron\.synaptic_sites must be a sequence"),
        (lambda: soen.dag_neuron([soen.Dendrite()], [(1, 0, 0.5)], synaptic_sites=()), ValueError, r"Neuron\.synaptic_sites must name at least one"),
        (lambda: soen.dag_neuron(5, []), TypeError, r"dag_neuron\.dendrites must be a sequence"),
        (lambda: soen.point_neuron(soma=0), TypeError, r"point_neuron\.soma must be a Soma or None; got 0"),
        (lambda: soen.point_neuron(synapse=soen.Soma()), TypeError, r"point_neuron\.synapse must be a Synapse"),
        (lambda: soen.tree_neuron((3, 9), dendrite=soen.Soma()), TypeError, r"tree_neuron\.dendrite must be a Dendrite \(not a Soma\)"),
        (lambda: soen.tree_neuron(()), ValueError, r"tree_neuron\.layers must hold at least one level"),
        (lambda: soen.tree_neuron((9, 3)), ValueError, r"must not shrink outward"),
        (lambda: soen.tree_neuron((10**7,)), ValueError, r"tree_neuron\.layers\[0\] must be an integer in \[1, 9999999\]"),
        (lambda: soen.tree_neuron((5_000_000, 5_000_000)), ValueError, r"must sum to at most 9999999"),
        (lambda: soen.tree_neuron((3, 9), coupling=(0.5,)), ValueError, r"one J per level \(2\); got 1"),
        (lambda: soen.exc_inh_neuron(0, 0), ValueError, r"at least one branch"),
        (lambda: soen.exc_inh_neuron(2.0), TypeError, r"exc_inh_neuron\.n_exc must be an integer"),
        (lambda: soen.exc_inh_neuron(J_exc=-0.1), ValueError, r"exc_inh_neuron\.J_exc must be a finite number >= 0"),
        (lambda: soen.exc_inh_neuron(J_inh=0.1), ValueError, r"exc_inh_neuron\.J_inh must be a finite number <= 0"),
        (lambda: soen.exc_inh_neuron(1, 1).index(0.0), TypeError, r"must be a dendrite index \(int\) or name"),
    ],
)
def test_clear_errors(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_target_name_is_checked_at_compile():
    net = _net()
    net.connect("a", "a", target="nope")
    with pytest.raises(ValueError, match="unknown dendrite name 'nope'"):
        soen.simulate(net, 1.0)


def test_from_list_indices_beyond_the_population_are_named_when_compiled():
    net = _net()
    net.connect("a", "a", soen.FromList([0, 1], [2, 7]))
    with pytest.raises(ValueError, match=r"FromList\.post must hold indices in \[0, 2\] \(the post population has 3 "
                                         r"neurons\); got 7 \(entry 1\) \(dangling connection\)"):
        soen.simulate(net, 1.0)


def test_valid_values_are_normalised():
    assert type(soen.Dendrite(tau_ns=np.int64(100)).tau_ns) is float
    assert soen.FixedInDegree(np.int32(3)).k == 3 and type(soen.FixedInDegree(np.int32(3)).k) is int
    fl = soen.FromList([0, 1], np.array([1, 0], dtype=np.uint8))
    assert fl.pre.dtype == np.int64 and fl.post.dtype == np.int64
    assert soen.FromList([], []).pre.shape == (0,)
    p = soen.Projection("a", "a", weight=[0.5, 1], delay_ns=np.float32(2.0))
    assert p.weight.dtype == np.float64 and p.delay_ns == 2.0
    assert soen.Projection("a", "a", delay_ns=soen.Normal(2.0, 0.5, low=0.0)).delay_ns.low == 0.0
    assert soen.Projection("a", "a", delay_ns=soen.Normal(2.0, 0.0)).delay_ns.std == 0.0
    assert soen.Normal(0.0, 1.0).low == -math.inf
    src = soen.SpikeSource("s", np.array([[3.0, 1.0], [2.0, 0.0]]))
    assert src.n == 2 and src.times_ns[0].tolist() == [1.0, 3.0]
    assert soen.SpikeSource("s", (5.0, [])).times_ns[0].tolist() == [5.0]
    assert soen.tree_neuron([np.int64(2), 4], coupling=np.array([0.5, 0.25])).n_dendrites == 7
