"""Property-based fuzzing of every public constructor of the model, the hardware registry and the generators.

Random argument values (numbers including bool, NaN, ±inf, huge and negative ones, strings, None,
lists, tuples, numpy arrays of several dtypes, soen objects in the wrong place) are passed to each
constructor. The only exceptions allowed are ``TypeError`` and ``ValueError`` (soen's own errors
derive from them), each with a one-line message that names the owner or a parameter that was given;
every example runs under a deadline and a hard time limit (no hangs). A second property builds a tiny
valid network from fuzzed *valid* parameters and simulates it: nothing may raise.

Examples per target: the "default" Hypothesis profile (tests/fuzz/conftest.py) or
``SOEN_HYPOTHESIS_PROFILE=slow`` (10×).
"""

from __future__ import annotations

import contextlib
import math
import re
import signal
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import soen
from soen import generators as gen
from soen.circuits import SquidParams
from soen.hardware import PARAMETERS, Hardware
from soen.units import JJ

HARD_LIMIT_S = 5.0
FUZZ = settings(deadline=1000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@contextlib.contextmanager
def hard_limit(seconds: float = HARD_LIMIT_S):
    """Fail (instead of hanging) when one example runs longer than ``seconds``."""

    def _boom(signum, frame):
        raise TimeoutError(f"example ran longer than {seconds} s (a hang)")

    old = signal.signal(signal.SIGALRM, _boom)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# --- values ---------------------------------------------------------------------------------------
SPECIAL_NUMBERS = [True, False, 0, 1, -1, 2, 3, 0.0, -0.0, 0.5, -0.5, 1.5, 2.7, 1e-300, -1e-300, 1e39, -1e39,
                   1e308, -1e308, math.nan, math.inf, -math.inf, 2**31, 2**31 - 1, 2**63, -(2**63), 10**400,
                   np.int64(3), np.uint8(2), np.float32(0.5), np.float64(math.nan), np.bool_(True), 1 + 2j]
numbers = st.one_of(
    st.sampled_from(SPECIAL_NUMBERS),
    st.integers(-5, 40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-3.0, 3.0),
)
strings = st.one_of(st.sampled_from(["", "a", "39", "abc", "1e3", "soma", "sites", "a b", "nan", "exc0", "L1_0"]),
                    st.text(max_size=6))
arrays = st.one_of(
    st.lists(numbers, max_size=5).map(lambda xs: np.array(xs, dtype=object)),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=5).map(np.array),
    st.lists(st.integers(-3, 10), max_size=5).map(lambda xs: np.array(xs, dtype=np.int64)),
    st.lists(st.booleans(), max_size=4).map(np.array),
    st.sampled_from([np.zeros((2, 2)), np.zeros((3, 2)), np.zeros((2, 3)), np.arange(3.0), np.array(1.0),
                     np.array(["1", "2"]), np.array([1 + 1j]), np.empty(0), np.zeros((0, 2)),
                     np.array([2**64 - 1], dtype=np.uint64), np.array([1.0, 2.0], dtype=np.longdouble)]),
)
soen_objects = st.sampled_from([soen.Synapse(), soen.Dendrite(), soen.Soma(), soen.point_neuron(), soen.AllToAll(),
                                soen.Uniform(0.0, 1.0), soen.Normal(0.5, 0.1, low=0.0), soen.PoissonSource("q", 2),
                                soen.Population("pp", 2), Hardware(), object(), {"a": 1}, {1, 2}, b"bytes"])
leaves = st.one_of(numbers, strings, st.none(), arrays, soen_objects)
values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.lists(inner, max_size=4).map(tuple)), max_leaves=8)


# --- targets --------------------------------------------------------------------------------------
def _net():
    net = soen.Network()
    net.add_population("a", 3, soen.point_neuron())
    net.add_source(soen.RegularSource("s", 3))
    return net


TARGETS = {
    # name: (callable, parameter names, required positional names)
    "Synapse": (soen.Synapse, ["tau_rise_ns", "tau_fall_ns", "hotspot_ns", "phi_peak", "dead_time_ns"], []),
    "Dendrite": (soen.Dendrite, ["tau_ns", "beta", "bias", "phi_offset", "self_coupling"], []),
    "Soma": (soen.Soma, ["tau_ns", "beta", "bias", "phi_offset", "self_coupling", "threshold", "refractory_ns",
                         "refractory_tau_ns", "refractory_phi_peak", "refractory_coupling"], []),
    "Neuron": (soen.Neuron, ["soma", "dendrites", "couplings", "synapse", "synaptic_sites", "names"], []),
    "point_neuron": (soen.point_neuron, ["soma", "synapse"], []),
    "tree_neuron": (soen.tree_neuron, ["layers", "coupling", "dendrite", "soma", "synapse"], []),
    "dag_neuron": (soen.dag_neuron, ["dendrites", "couplings", "soma", "synapse", "synaptic_sites", "names"],
                   ["dendrites", "couplings"]),
    "exc_inh_neuron": (soen.exc_inh_neuron, ["n_exc", "n_inh", "J_exc", "J_inh", "dendrite", "soma", "synapse"], []),
    "Population": (soen.Population, ["name", "n", "neuron", "positions_um"], ["name", "n"]),
    "SpikeSource": (soen.SpikeSource, ["name", "times_ns"], ["name", "times_ns"]),
    "RegularSource": (soen.RegularSource, ["name", "n", "period_ns", "start_ns"], ["name"]),
    "PoissonSource": (soen.PoissonSource, ["name", "n", "rate_hz", "start_ns"], ["name"]),
    "AllToAll": (soen.AllToAll, ["allow_self"], []),
    "FixedProbability": (soen.FixedProbability, ["p", "allow_self"], ["p"]),
    "FixedInDegree": (soen.FixedInDegree, ["k", "allow_self"], ["k"]),
    "FromList": (soen.FromList, ["pre", "post"], ["pre", "post"]),
    "FromMatrix": (soen.FromMatrix, ["matrix"], ["matrix"]),
    "Uniform": (soen.Uniform, ["low", "high"], ["low", "high"]),
    "Normal": (soen.Normal, ["mean", "std", "low", "high"], ["mean", "std"]),
    "Projection": (soen.Projection, ["pre", "post", "connector", "weight", "delay_ns", "target", "synapse",
                                     "same_step"], ["pre", "post"]),
    "Network": (soen.Network, ["populations", "sources", "projections"], []),
    "Network.add_population": (lambda **kw: _net().add_population(**kw),
                               ["name_or_pop", "n", "neuron", "positions_um"], ["name_or_pop"]),
    "Network.add_source": (lambda **kw: _net().add_source(**kw), ["source"], ["source"]),
    "Network.connect": (lambda **kw: _net().connect(**kw),
                        ["pre", "post", "connector", "weight", "delay_ns", "target", "synapse", "same_step"],
                        ["pre", "post"]),
    "JJ": (JJ, ["ic_uA", "beta_c", "gamma_F_per_A"], []),
    "SquidParams": (SquidParams, ["beta_c", "beta_1", "beta_2", "ic_1", "ic_2", "beta_di", "alpha"], []),
    "erdos_renyi": (gen.erdos_renyi, ["n_nodes", "p", "directed", "seed"], ["n_nodes", "p"]),
    "ring_lattice": (gen.ring_lattice, ["n_nodes", "k", "directed"], ["n_nodes", "k"]),
    "grid_2d": (gen.grid_2d, ["n_rows", "n_cols", "spacing_um", "periodic"], ["n_rows", "n_cols"]),
    "watts_strogatz": (gen.watts_strogatz, ["n_nodes", "k", "p", "directed", "seed"], ["n_nodes", "k", "p"]),
    "modular_hierarchical": (gen.modular_hierarchical, ["module_size", "branching", "n_levels", "p_levels",
                                                        "directed", "seed"],
                             ["module_size", "branching", "n_levels", "p_levels"]),
    "spatial_growth": (gen.spatial_growth, ["n_nodes", "n_edges", "length_scale", "degree_exponent", "dim",
                                            "box_size", "directed", "seed"], ["n_nodes", "n_edges", "length_scale"]),
}

#: plausible valid values mixed in, so that examples also get past the first parameter
PLAUSIBLE = {
    "name": "x", "name_or_pop": "x", "pre": "a", "post": "a", "n": 2, "n_nodes": 6, "n_rows": 3, "n_cols": 3, "k": 2,
    "p": 0.3, "module_size": 2, "branching": 2, "n_levels": 1, "p_levels": [0.5, 0.1], "n_edges": 4,
    "length_scale": 0.5, "low": 0.0, "high": 1.0, "mean": 0.5, "std": 0.1, "times_ns": ([1.0, 2.0],),
    "layers": (2, 3), "dendrites": (soen.Dendrite(),), "couplings": [(1, 0, 0.5)], "matrix": np.eye(3),
    "source": soen.PoissonSource("q", 2), "connector": soen.OneToOne(),
}


_QUALIFIED = re.compile(r"[A-Za-z_]\w*\.[A-Za-z_]\w*")  # Owner.param


def _message_names_something(err: BaseException, owner: str, params) -> bool:
    """The message names the owner, one of its parameters, or an ``Owner.param``."""
    text = str(err)
    short = owner.split(".")[-1]
    return bool(text) and (short in text or any(k in text for k in params) or bool(_QUALIFIED.search(text))
                           or "Hardware parameter" in text)


def _call_and_check(owner: str, fn, kwargs: dict, params=()) -> None:
    with hard_limit(), warnings.catch_warnings():
        warnings.simplefilter("ignore", soen.FanInWarning)
        try:
            fn(**kwargs)
        except (TypeError, ValueError) as err:
            text = str(err)
            assert "\n" not in text, f"{owner}: multi-line message {text!r}"
            assert _message_names_something(err, owner, [*params, *kwargs]), \
                f"{owner}({kwargs!r}): message names nothing: {text!r}"


@st.composite
def _kwargs(draw, params, required):
    out = {}
    for name in params:
        choice = draw(st.integers(0, 3)) if name not in required else draw(st.integers(1, 3))
        if choice == 0:
            continue  # keep the default
        if choice == 1 and name in PLAUSIBLE:
            out[name] = PLAUSIBLE[name]
        else:
            out[name] = draw(values)
    return out


@pytest.mark.parametrize("owner", list(TARGETS))
@FUZZ
@given(data=st.data())
def test_constructor_fuzz(owner, data):
    fn, params, required = TARGETS[owner]
    kwargs = data.draw(_kwargs(params, required), label="kwargs")
    _call_and_check(owner, fn, kwargs, params)


@FUZZ
@given(st.dictionaries(st.one_of(st.sampled_from(sorted(PARAMETERS)), st.sampled_from(["bogus", "loss_db_per_mm"])),
                       values, max_size=4))
def test_hardware_fuzz(kwargs):
    _call_and_check("Hardware", Hardware, kwargs)


# --- valid networks simulate without surprises ---------------------------------------------------------
@settings(max_examples=max(3, settings().max_examples // 8), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    tau_ns=st.floats(5.0, 500.0),
    bias=st.floats(1.5, 2.0),
    threshold=st.floats(0.1, 0.9),
    phi_peak=st.floats(0.0, 0.5),
    weight=st.one_of(st.floats(-1.0, 1.0), st.builds(lambda a, b: soen.Uniform(min(a, b), max(a, b)),
                                                     st.floats(-1.0, 1.0), st.floats(-1.0, 1.0))),
    delay_ns=st.one_of(st.integers(0, 50).map(lambda k: round(k * 0.1, 10)),  # whole steps of dt = 0.1 ns
                       st.just(soen.Normal(1.0, 0.5, low=0.0))),
    period_ns=st.floats(2.0, 100.0),
    two=st.booleans(),
    tree=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_valid_tiny_network_simulates(tau_ns, bias, threshold, phi_peak, weight, delay_ns, period_ns, two, tree, seed):
    soma = soen.Soma(tau_ns=tau_ns, bias=bias, threshold=threshold)
    syn = soen.Synapse(phi_peak=phi_peak)
    neuron = soen.tree_neuron((2,), coupling=0.4, soma=soma, synapse=syn) if tree else soen.point_neuron(soma, syn)
    net = soen.Network()
    net.add_population("n", 2 if two else 1, neuron)
    net.add_source(soen.RegularSource("drive", 1, period_ns=period_ns))
    net.connect("drive", "n", soen.AllToAll(), weight=weight, delay_ns=delay_ns)
    if two:
        net.connect("n", "n", soen.AllToAll(), weight=0.3, delay_ns=1.0)
    with hard_limit(60.0), warnings.catch_warnings():
        warnings.simplefilter("ignore", soen.FanInWarning)
        res = soen.simulate(net, 20.0, dt_ns=0.1, seed=seed)
    times, ids = res.spikes("n")
    assert np.all((times >= 0) & (times <= 20.0)) and np.all((ids >= 0) & (ids < (2 if two else 1)))
