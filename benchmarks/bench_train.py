"""Time of one training step of soen.train: a 64 → 100 → 10 LIF network, batch 64, 100 time steps.

One step = forward pass (lax.scan over the steps, vmap over the batch), backward pass (surrogate
gradient), Adam update and the bound projection, all in one jitted function. The inputs are a fixed
rate-coded random batch. Reported: the median wall time of ``--repeats`` steps after a warm-up (the
first call compiles; its time is reported separately), for float64 and float32.

Run: ``python3 benchmarks/bench_train.py`` (2-core machine: see docs/training.md for the numbers).
Side by side with snnTorch: ``benchmarks/bench_train_compare.py`` (uses :func:`make_step`).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import soen
import soen.train as st
from soen import models
from soen.train import encoders, losses


def network():
    net = soen.Network()
    neuron = models.LIF(tau_ms=10e-6, r_MOhm=10.0, v_threshold_mV=1.0, reset="subtract")
    net.add_population(soen.Population("hid", 100, neuron=neuron))
    net.add_population(soen.Population("out", 10, neuron=neuron))
    net.add_source(soen.SpikeSource("x", tuple([] for _ in range(64))))
    net.connect("x", "hid", soen.AllToAll(), weight=soen.Normal(0.0, 0.12), delay_ns=0.0)
    net.connect("hid", "out", soen.AllToAll(), weight=soen.Normal(0.0, 0.15), delay_ns=0.0)
    return soen.compile(net, dt_ns=1.0, seed=0)


def make_step(dtype: str, n_steps: int = 100, batch: int = 64):
    """The jitted training step of the benchmark: returns ``(run, model)``; ``run()`` does one step
    (updating the parameters and optimiser state it holds) and returns when its result is ready."""
    import jax
    import jax.numpy as jnp
    import optax

    c = network()
    m = st.Model(c, trainable=("out_w", "bias"), dtype=dtype)
    x = encoders.rate(np.random.default_rng(0).random((batch, 64)), n_steps, max_per_step=0.5)
    y = np.random.default_rng(1).integers(0, 10, batch)
    o, n = c.populations["out"]
    out_ids = np.arange(o, o + n)
    opt = optax.adam(1e-3)
    with m.context():
        p = {k: jnp.asarray(v) for k, v in m.init_params().items()}
        s = opt.init(p)

        @jax.jit
        def step(p, s, xb, yb):
            val, g = jax.value_and_grad(lambda q: losses.count_cross_entropy(m.forward(q, xb), yb, neurons=out_ids))(p)
            u, s = opt.update(g, s, p)
            return m.project(optax.apply_updates(p, u)), s, val

        xb, yb = jnp.asarray(x), jnp.asarray(y)
    state = [p, s]

    def run():
        with m.context():
            state[0], state[1], v = step(state[0], state[1], xb, yb)
            jax.block_until_ready(v)
        return v

    return run, m


def bench(dtype: str, repeats: int, n_steps: int = 100, batch: int = 64) -> dict:
    run, _ = make_step(dtype, n_steps, batch)
    t0 = time.perf_counter()
    run()
    t_first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return dict(dtype=dtype, batch=batch, n_steps=n_steps, first_call_s=t_first, step_ms_median=1e3 * float(np.median(times)),
                step_ms_min=1e3 * float(np.min(times)), repeats=repeats)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    rows = [bench(d, a.repeats) for d in ("float64", "float32")]
    for r in rows:
        print(f"{r['dtype']}: one training step (batch {r['batch']}, {r['n_steps']} steps) median "
              f"{r['step_ms_median']:.1f} ms (min {r['step_ms_min']:.1f} ms); first call with compilation "
              f"{r['first_call_s']:.1f} s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    return rows


if __name__ == "__main__":
    main()
