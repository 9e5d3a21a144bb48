"""NIR files and graphs treated as hostile: every bad input is a clear ValueError naming the file/node."""

from __future__ import annotations

import pathlib
import shutil

import h5py
import numpy as np
import pytest

nir = pytest.importorskip("nir")

from soen.io.nir import from_nir  # noqa: E402

FIX = pathlib.Path(__file__).parent.parent / "fixtures" / "snntorch_lif.nir"


def lif(n=2, **kw):
    p = dict(tau=np.ones(n), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.ones(n))
    p.update(kw)
    return nir.LIF(**p)


def graph(nodes, edges):
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def small():
    return graph(
        {
            "in": nir.Input(input_type={"input": np.array([2])}),
            "lif": lif(),
            "out": nir.Output(output_type={"output": np.array([2])}),
        },
        [("in", "lif"), ("lif", "out")],
    )


def bad_file(tmp_path, edit, name="bad.nir"):
    p = tmp_path / name
    shutil.copy(FIX, p)
    with h5py.File(p, "r+") as f:
        edit(f)
    return p


def fails(path_or_graph, match, **kw):
    with pytest.raises(ValueError, match=match) as info:
        from_nir(path_or_graph, dt=1e-4, **kw)
    msg = str(info.value)
    assert "\n" not in msg
    if isinstance(path_or_graph, pathlib.Path):
        assert msg.startswith(path_or_graph.name + ": "), msg
    return msg


def test_empty_text_and_truncated_files_name_the_file(tmp_path):
    empty = tmp_path / "empty.nir"
    empty.write_bytes(b"")
    text = tmp_path / "text.nir"
    text.write_text("this is not a NIR graph\n")
    trunc = tmp_path / "trunc.nir"
    trunc.write_bytes(FIX.read_bytes()[: FIX.stat().st_size // 3])
    fails(empty, "not an HDF5 file")
    fails(text, "not an HDF5 file")
    fails(trunc, "damaged|unreadable|missing|truncated")
    other = tmp_path / "other.nir"
    with h5py.File(other, "w") as f:
        f["x"] = 1
    fails(other, "no 'node' group")
    with pytest.raises(FileNotFoundError, match="missing.nir"):
        from_nir(tmp_path / "missing.nir", dt=1e-4)


def test_tampered_type_names_the_node(tmp_path):
    def magic(f):
        del f["node/nodes/1/type"]
        f["node/nodes/1"].create_dataset("type", data="Magic", dtype=h5py.string_dtype())

    fails(bad_file(tmp_path, magic), r"NIR node '1' of type 'Magic' is not supported")
    fails(
        bad_file(tmp_path, lambda f: f["node/nodes/1"].__delitem__("type"), "notype.nir"),
        r"NIR node '1' has no 'type' text",
    )

    def number(f):
        del f["node/nodes/1/type"]
        f["node/nodes/1"]["type"] = 7

    fails(bad_file(tmp_path, number, "num.nir"), r"NIR node '1' has no 'type' text \(got 7 \(int\)\)")


def test_tampered_edges(tmp_path):
    def missing(f):
        del f["node/edges"]
        f["node"].create_dataset(
            "edges", data=np.array([[b"input", b"nowhere"]], dtype=object), dtype=h5py.string_dtype()
        )

    fails(bad_file(tmp_path, missing), r"NIR edge 'input' -> 'nowhere' names a missing node 'nowhere'")

    def three(f):
        del f["node/edges"]
        f["node"].create_dataset(
            "edges", data=np.array([[b"a", b"b", b"c"]], dtype=object), dtype=h5py.string_dtype()
        )

    fails(bad_file(tmp_path, three, "three.nir"), r"edges must be a list of \(source, target\) pairs")
    fails(
        graph({"in": nir.Input(input_type={"input": np.array([2])})}, [("in", "ghost")]),
        r"NIR edge 'in' -> 'ghost' names a missing node",
    )


def test_mismatched_parameter_shapes_name_the_node(tmp_path):
    def short_r(f):
        del f["node/nodes/1/r"]
        f["node/nodes/1"]["r"] = np.ones(5, dtype=np.float32)

    fails(bad_file(tmp_path, short_r), r"NIR node '1' \(LIF\): parameter 'r' has 5 values for 20 neurons")

    def words(f):
        del f["node/nodes/0/weight"]
        f["node/nodes/0"].create_dataset("weight", data=np.array([b"a", b"b"]))

    fails(bad_file(tmp_path, words, "w.nir"), r"NIR node '0' \(Affine\): parameter 'weight' must be numbers")

    def nan(f):
        f["node/nodes/1/tau"][0] = np.nan

    fails(
        bad_file(tmp_path, nan, "nan.nir"), r"NIR node '1' \(LIF\): parameter 'tau' holds non-finite values"
    )
    g = graph(
        {
            "in": nir.Input(input_type={"input": np.array([3])}),
            "lin": nir.Linear(weight=np.ones((2, 4))),
            "lif": lif(2),
        },
        [("in", "lin"), ("lin", "lif")],
    )
    fails(g, r"NIR node 'lin' \(Linear\): weight of shape \(2, 4\) does not fit an input of 3 elements")
    g = graph({"in": nir.Input(input_type={"input": np.array([3])}), "lif": lif(2)}, [("in", "lif")])
    fails(g, r"NIR node 'lif' \(LIF\): receives 3 values from 'in' for 2 neurons")
    g = graph(
        {"in": nir.Input(input_type={"input": np.array([2])}), "lif": lif(2, tau=np.array([1.0, -1.0]))},
        [("in", "lif")],
    )
    fails(g, r"NIR node 'lif' \(LIF\): invalid parameters")


def test_nested_graphs_are_refused_with_the_node_name(tmp_path):
    g = graph({"in": nir.Input(input_type={"input": np.array([2])}), "sub": small()}, [("in", "sub")])
    fails(g, r"NIR node 'sub' is a nested graph")
    p = tmp_path / "nested.nir"
    nir.write(p, g)
    fails(p, r"NIR node 'sub' is a nested graph")


def test_huge_declared_shapes_and_deep_chains(tmp_path):
    g = graph({"in": nir.Input(input_type={"input": np.array([10**6, 10**6])})}, [])
    fails(g, r"NIR node 'in' \(Input\): input shape must be 1 to 6 positive sizes with at most")
    # a chain of 3000 linear nodes: walked without recursion
    nodes = {"in": nir.Input(input_type={"input": np.array([2])})}
    edges, prev = [], "in"
    for k in range(3000):
        nodes[f"s{k}"] = nir.Scale(scale=np.ones(2))
        edges.append((prev, f"s{k}"))
        prev = f"s{k}"
    nodes["lif"] = lif(2)
    edges.append((prev, "lif"))
    imp = from_nir(graph(nodes, edges), dt=1e-4)
    assert len(imp.network.projections) == 1
    # a dense chain that would make 10^12 connections is refused before allocating
    big = graph(
        {
            "in": nir.Input(input_type={"input": np.array([2000])}),
            "a": nir.Linear(weight=np.ones((200, 2000))),
            "b": nir.Linear(weight=np.ones((2000, 200))),
            "lif": lif(2000),
        },
        [("in", "a"), ("a", "b"), ("b", "lif")],
    )
    fails(big, r"NIR node 'b' \(Linear\): the linear maps up to here make 800,000,000 connections")


def test_wrong_kinds_of_argument():
    with pytest.raises(TypeError, match="nir.NIRGraph or a path"):
        from_nir(42, dt=1e-4)
    with pytest.raises(ValueError, match="dt must be a positive number"):
        from_nir(small(), dt=True)
    with pytest.raises(ValueError, match="dt must be a positive number"):
        from_nir(small(), dt=float("nan"))
    imp = from_nir(small(), dt=1e-4)
    with pytest.raises(ValueError, match=r"input 'in' must have shape \(T, 2\)"):
        imp.simulate(np.zeros((3, 5)))
    with pytest.raises(TypeError, match="spike counts"):
        imp.simulate("abc")


def test_tampered_soen_metadata_names_the_node(tmp_path):
    import soen
    from soen import models
    from soen.io.nir import to_nir

    net = soen.Network()
    net.add_population(soen.Population("a", 2, neuron=models.LIF(tau_ms=3.0)))
    net.add_population(soen.Population("b", 2, neuron=models.LIF()))
    net.connect("a", "b", soen.OneToOne(), weight=1.0)
    p = tmp_path / "m.nir"
    nir.write(p, to_nir(net))
    assert from_nir(p, dt=1e-4).network.populations["a"].neuron.tau_ms == 3.0

    def evil(f):
        del f["node/nodes/a/metadata/soen/model"]
        f["node/nodes/a/metadata/soen"].create_dataset("model", data="os.system", dtype=h5py.string_dtype())

    q = tmp_path / "evil.nir"
    shutil.copy(p, q)
    with h5py.File(q, "r+") as f:
        evil(f)
    fails(q, r"NIR node 'a' \(LIF\): soen metadata: metadata\.soen\.model: unknown point model 'os\.system'")
    shutil.copy(p, q)
    with h5py.File(q, "r+") as f:
        f["node/nodes/a/metadata/soen/params/tau_ms"][()] = -1.0
    fails(q, r"NIR node 'a' \(LIF\): soen metadata: .*tau_ms")
