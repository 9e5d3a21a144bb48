"""Property-based fuzzing of NIR import: mutated ``.nir`` files, random in-memory graphs, random
arguments. The only exceptions allowed are ValueError, TypeError and OSError (never AssertionError,
KeyError or IndexError from nir or from the lowering); every example runs under a hard time limit."""

from __future__ import annotations

import pathlib
import shutil
import tempfile

import numpy as np
import pytest
from _hostile import call_allowing, flip_bytes, in_child, mutate_hdf5, scalars
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

nir = pytest.importorskip("nir")

import soen  # noqa: E402
from soen import models  # noqa: E402
from soen.io.nir import NIRNetwork, from_nir, to_nir  # noqa: E402

NIRS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FIX = pathlib.Path(__file__).parent.parent / "fixtures" / "snntorch_lif.nir"
_BASE = pathlib.Path(tempfile.mkdtemp(prefix="soen-fuzz-nir-"))


def _exported() -> pathlib.Path:
    path = _BASE / "exported.nir"
    if not path.exists():
        net = soen.Network()
        net.add_source(soen.SpikeSource("inp", times_ns=[[0.0], [1e5]]))
        net.add_population(
            soen.Population(
                "a",
                2,
                neuron=models.LIF(tau_ms=4.0, i_offset_nA=[0.1, 0.2], v_init_mV=soen.Uniform(0.0, 0.1)),
            )
        )
        net.add_population(soen.Population("b", 2, neuron=models.CubaLIF(i_offset_nA=0.1)))
        net.connect("inp", "a", soen.AllToAll(), weight=2.0)
        net.connect("a", "b", soen.OneToOne(), weight=1.0, delay_ns=1e5)
        nir.write(path, to_nir(net))
    return path


@NIRS
@given(
    data=st.data(),
    which=st.sampled_from(["fixture", "exported"]),
    how=st.sampled_from(["structure", "bytes"]),
)
def test_fuzz_nir_files(data, which, how):
    with tempfile.TemporaryDirectory() as tmp:
        src = FIX if which == "fixture" else _exported()
        path = pathlib.Path(tmp) / "g.nir"
        shutil.copy(src, path)
        if how == "bytes":
            flip_bytes(path, data.draw)
            in_child(from_nir, path, dt=1e-4)  # a damaged file may crash the HDF5 library: in a child
            return
        mutate_hdf5(path, data.draw)
        out = call_allowing(from_nir, path, dt=1e-4)
        if isinstance(out, NIRNetwork):
            assert out.network.populations or out.inputs


def _param(draw, n):
    return draw(
        st.one_of(
            st.just(np.ones(n)),
            st.just(np.ones(1)),
            st.just(np.ones(n + 1)),
            st.lists(st.floats(allow_nan=True, width=32), min_size=1, max_size=4).map(np.array),
            st.sampled_from([np.zeros((n, 2)), np.array([-1.0] * n), np.array(["a"] * n)]),
        )
    )


@st.composite
def random_graph(draw):
    n = draw(st.integers(1, 4))
    kinds = draw(
        st.lists(
            st.sampled_from(
                [
                    "LIF",
                    "CubaLIF",
                    "LI",
                    "IF",
                    "I",
                    "Threshold",
                    "Linear",
                    "Affine",
                    "Scale",
                    "Delay",
                    "Flatten",
                    "Output",
                    "Graph",
                    "Conv1d",
                    "SumPool2d",
                ]
            ),
            min_size=1,
            max_size=5,
        )
    )
    nodes = {
        "in": nir.Input(input_type={"input": np.array(draw(st.sampled_from([[n], [1, n], [2, 2, 2], [0]])))})
    }
    p = lambda: _param(draw, n)  # noqa: E731
    for i, k in enumerate(kinds):
        name = f"{k.lower()}{i}"
        try:
            if k == "LIF":
                node = nir.LIF(tau=p(), r=p(), v_leak=p(), v_threshold=p())
            elif k == "CubaLIF":
                node = nir.CubaLIF(tau_syn=p(), tau_mem=p(), r=p(), v_leak=p(), v_threshold=p(), w_in=p())
            elif k == "LI":
                node = nir.LI(tau=p(), r=p(), v_leak=p())
            elif k == "IF":
                node = nir.IF(r=p(), v_threshold=p())
            elif k == "I":
                node = nir.I(r=p())
            elif k == "Threshold":
                node = nir.Threshold(threshold=p())
            elif k == "Linear":
                node = nir.Linear(
                    weight=draw(st.sampled_from([np.ones((n, n)), np.ones((n + 1, n)), np.ones(n)]))
                )
            elif k == "Affine":
                node = nir.Affine(weight=np.ones((n, n)), bias=p())
            elif k == "Scale":
                node = nir.Scale(scale=p())
            elif k == "Delay":
                node = nir.Delay(delay=p())
            elif k == "Flatten":
                node = nir.Flatten(input_type={"input": np.array([n])}, start_dim=draw(st.integers(-2, 2)))
            elif k == "Output":
                node = nir.Output(output_type={"output": np.array([n])})
            elif k == "Conv1d":
                node = nir.Conv1d(
                    input_shape=draw(st.integers(1, 5)),
                    weight=np.ones((1, 1, draw(st.integers(1, 3)))),
                    stride=draw(st.integers(0, 2)),
                    padding=draw(st.sampled_from([0, 1, "same", "full"])),
                    dilation=1,
                    groups=draw(st.integers(0, 2)),
                    bias=np.zeros(1),
                )
            elif k == "SumPool2d":
                node = nir.SumPool2d(
                    kernel_size=np.array([2, 2]),
                    stride=np.array(draw(st.sampled_from([[1, 1], [0, 0]]))),
                    padding=np.array([0, 0]),
                )
            else:
                node = nir.NIRGraph(
                    nodes={"x": nir.Input(input_type={"input": np.array([n])})}, edges=[], type_check=False
                )
        except Exception:  # nir refused to build the node: that is nir's own check, not an import
            assume(False)
        nodes[name] = node
    names = list(nodes)
    edges = draw(
        st.lists(st.tuples(st.sampled_from(names + ["ghost", "in.port"]), st.sampled_from(names)), max_size=7)
    )
    meta = draw(
        st.sampled_from(
            [
                {},
                {"soen": {"propagation": "next_step"}},
                {"soen": {"propagation": 3}},
                {"soen": "x"},
                {"soen": {"integration": "rk4"}},
            ]
        )
    )
    try:
        return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta, type_check=False)
    except Exception:
        assume(False)


@NIRS
@given(
    g=random_graph(),
    dt=st.sampled_from([1e-4, 1.0, 0.0, -1.0, float("nan"), True, "x", 1e300]),
    propagation=st.sampled_from([None, "same_step", "next_step", "sideways"]),
)
def test_fuzz_nir_graphs(g, dt, propagation):
    out = call_allowing(from_nir, g, dt=dt, propagation=propagation)
    if isinstance(out, NIRNetwork) and out.inputs:
        n = next(iter(out.inputs.values()))[0]
        call_allowing(out.network_for, np.ones((2, n)))


@NIRS
@given(
    kw=st.fixed_dictionaries(
        {},
        optional={
            "time_unit_s": scalars,
            "integration": scalars,
            "euler_order": scalars,
            "reset": scalars,
            "reset_value": scalars,
            "order": scalars,
            "threshold": scalars,
            "propagation": scalars,
            "preset": scalars,
            "use_soen_metadata": scalars,
        },
    ),
    inputs=st.one_of(scalars, st.just(np.ones((3, 12))), st.just(np.ones((3, 5)))),
)
def test_fuzz_nir_arguments(kw, inputs):
    out = call_allowing(from_nir, FIX, dt=1e-4, **kw)
    if isinstance(out, NIRNetwork):
        call_allowing(out.network_for, inputs)
