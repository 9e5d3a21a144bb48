"""The SOEN-Toolkit's training step (PyTorch) for the SOEN comparison of bench_train_compare.py.

Runs in ``.venv/soen_toolkit`` (Python 3.12: the toolkit uses 3.12 syntax) with the toolkit's sources
on ``sys.path`` (``.venv/soen_toolkit_src/src``, unpacked by setup_venvs.sh; nothing of it is in soen).
The network is built with the toolkit's own ``soen_toolkit.nn`` API, as its tutorials' MNIST spec
(``MNIST_SOENSpec.yaml``: dt = 100, forward Euler, source function ``Heaviside_fit_state_dep``,
φ_offset = 0.02, bias current U(1.8, 2.1), γ+ = 1e-3, γ− = 1e-4, input weights U(−0.1, 0.1)), at the
sizes of issue 13: ``n_in`` → 100 SingleDendrite → 10 SingleDendrite, all-to-all, no recurrence,
batch 64, 28 time steps (its MNIST-as-sequence length), loss = cross entropy of the maximum over
time of the output layer (the spec's time pooling), Adam (lr 1e-3), BPTT through torch autograd.
The input is a fixed random batch, U(0, 1), (batch, time, n_in).

    .venv/soen_toolkit/bin/python soen_toolkit_train_step.py --threads 1 [--n-in 784] [--serve]
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import _train_serve

SRC = pathlib.Path(__file__).resolve().parent / ".venv" / "soen_toolkit_src" / "src"


SOURCE = "Heaviside_fit_state_dep"


def build(a):
    sys.path.insert(0, str(SRC))
    import torch

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    from soen_toolkit.nn import Graph, init, layers, param_specs, structure

    def dend(dim):
        # the core reads params["source_func"]; nn.layers' source_func_type alone leaves RateArray
        return layers.SingleDendrite(dim=dim, solver="FE", source_func_type=SOURCE, source_func=SOURCE,
                                     bias_current=param_specs.uniform(1.8, 2.1), phi_offset=0.02,
                                     gamma_plus=1e-3, gamma_minus=1e-4)

    g = Graph(dt=100.0, network_evaluation_method="layerwise")
    g.add_layer(0, layers.Linear(dim=a.n_in))
    g.add_layer(1, dend(a.hidden))
    g.add_layer(2, dend(10))
    g.connect(0, 1, structure=structure.dense(), init=init.uniform(-0.1, 0.1))
    g.connect(1, 2, structure=structure.dense(), init=init.normal(0.0, 0.1))
    g.compile()
    opt = torch.optim.Adam(g.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(a.batch, a.n_steps, a.n_in, generator=gen)
    y = torch.randint(0, 10, (a.batch,), generator=gen)

    def step():
        opt.zero_grad(set_to_none=True)
        out = g(x)  # (batch, time [+1], 10)
        loss = torch.nn.functional.cross_entropy(out.max(dim=1).values, y)
        loss.backward()
        opt.step()
        return loss.item()

    import soen_toolkit

    src = type(g._compiled_core.layers[1]._source_function).__name__
    n_par = sum(p.numel() for p in g.parameters() if p.requires_grad)
    out_shape = tuple(g(x).shape)
    meta = dict(simulator="soen-toolkit", toolkit=getattr(soen_toolkit, "__version__", "?"), torch=torch.__version__,
                threads=a.threads, batch=a.batch, n_steps=a.n_steps, network=f"{a.n_in}-{a.hidden}-10 SingleDendrite",
                dtype=str(x.dtype).replace("torch.", ""), trainable_parameters=n_par, source_function=src, output_shape=out_shape)
    return step, meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _train_serve.add_args(ap)
    ap.add_argument("--n-in", type=int, default=784)
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--n-steps", type=int, default=28)
    a = ap.parse_args(argv)
    step, meta = build(a)
    _train_serve.main(step, meta, a)


if __name__ == "__main__":
    main()
