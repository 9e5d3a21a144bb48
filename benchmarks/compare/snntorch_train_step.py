"""snnTorch's training step for the network of benchmarks/bench_train.py (runs in .venv/snntorch).

64 → 100 → 10 LIF, batch 64, 100 time steps, BPTT, Adam (lr 1e-3), written the way snnTorch's
tutorials write it: ``nn.Linear`` + ``snn.Leaky`` per layer, a Python loop over the time steps, the
loss a cross entropy of the output spike counts. The neurons are soen's LIF of bench_train
(τ = 10 ns, dt = 1 ns, exact integration: β = exp(−0.1) = 0.9048; threshold 1 mV; subtract reset,
reset carries no gradient; fast-sigmoid surrogate of slope 5 per mV). soen's input jump
(1 − β)·R·w is folded into the initial weights (w ~ N(0, 0.12 nA) · (1 − β) · 10 MΩ), so that the
layers compute the same functions; the cost of a step does not depend on it. The input is a
fixed random spike batch (p = 0.25 per step and channel, like soen's rate code of U(0, 1)
intensities at 0.5 per step).

    .venv/snntorch/bin/python snntorch_train_step.py --threads 1 [--serve]

Threads: ``torch.set_num_threads(threads)``, one inter-op thread.
"""

from __future__ import annotations

import argparse
import math

import _train_serve


def build(a):
    import snntorch as snn
    import torch
    from snntorch import surrogate

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    beta = math.exp(-0.1)
    scale = (1.0 - beta) * 10.0  # soen: v += (1 - beta) * R * (W x + b)
    fc1, fc2 = torch.nn.Linear(64, 100), torch.nn.Linear(100, 10)
    with torch.no_grad():
        fc1.weight.normal_(0.0, 0.12 * scale)
        fc2.weight.normal_(0.0, 0.15 * scale)
        fc1.bias.zero_()
        fc2.bias.zero_()
    grad = surrogate.fast_sigmoid(slope=5.0)
    lif1 = snn.Leaky(beta=beta, threshold=1.0, spike_grad=grad, reset_mechanism="subtract")
    lif2 = snn.Leaky(beta=beta, threshold=1.0, spike_grad=grad, reset_mechanism="subtract")
    params = list(fc1.parameters()) + list(fc2.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(a.n_steps, a.batch, 64, generator=g) < 0.25).float()
    y = torch.randint(0, 10, (a.batch,), generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        mem1, mem2 = lif1.init_leaky(), lif2.init_leaky()
        count = 0.0
        for t in range(a.n_steps):
            spk1, mem1 = lif1(fc1(x[t]), mem1)
            spk2, mem2 = lif2(fc2(spk1), mem2)
            count = count + spk2
        loss = torch.nn.functional.cross_entropy(count, y)
        loss.backward()
        opt.step()
        return loss.item()

    meta = dict(simulator="snntorch", snntorch=snn.__version__, torch=torch.__version__, threads=a.threads,
                batch=a.batch, n_steps=a.n_steps, network="64-100-10 LIF", dtype="float32")
    return step, meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _train_serve.add_args(ap)
    ap.add_argument("--n-steps", type=int, default=100)
    a = ap.parse_args(argv)
    step, meta = build(a)
    _train_serve.main(step, meta, a)


if __name__ == "__main__":
    main()
