"""Train a spiking network on the random-manifold spike-timing task (RandMan) with soen.train.

Task (``soen.train.tasks.randman``, the recipe of Zenke & Vogels 2021, Neural Comput. 33(4):899–925,
doi:10.1162/neco_a_01367, generated here, offline, from ``--seed``): 10 classes, 20 input units, 1-D
manifolds, smoothness α = 2, 500 samples per class. Every input unit spikes exactly once per sample,
so spike counts are the same for every class (a classifier of counts is at chance, 10 %) and only the
spike times carry the class. Split: ``tasks.train_test_split(labels, 0.2, seed=0)`` (stratified; 4,000
training, 1,000 test samples), 10 % of the training samples held out (seed 1) to pick the best epoch.

Encoding: the spike of unit i falls at step round(t_i · 47) of a 60-step trial of 1 ns.

Network: 20 input channels → 128 CubaLIF (τ_syn = 5 ns, τ_mem = 10 ns, threshold 1 mV) → 10 LI readout
neurons (τ = 10 ns, no threshold). Loss: cross entropy of the maximum over time of the readout
potentials (the readout of Zenke & Vogels 2021); trained: all weights and the hidden biases; surrogate
fast-sigmoid, slope 5 /mV; Adam 2e-3.

Baselines (scikit-learn, the same split): logistic regression and an MLP (128 ReLU units) on the spike
time vectors (they see the times as analogue numbers) and logistic regression on the spike counts.

After training, the best network is run on the CPU engine (``soen.simulate`` of
``model.to_compiled(params)`` with each test sample as a ``SpikeSource``, readout potentials recorded)
for ``--cpu-samples`` test samples and the predictions are compared.

Run: ``python3 examples/train_temporal.py`` (about 3–5 minutes on 2 cores); writes
``train_temporal.png`` (``--figure``).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import soen
import soen.train as st
from soen import models
from soen.train import encoders, losses, tasks

CFG = dict(n_classes=10, n_units=20, manifold_dim=1, alpha=2.0, n_samples=500, dt_ns=1.0, n_steps=60,
           last_step=47, hidden=128)


def data(seed: int = 0):
    d = tasks.randman(CFG["n_classes"], CFG["n_units"], CFG["manifold_dim"], CFG["alpha"], CFG["n_samples"],
                      seed=seed)
    tr, te = tasks.train_test_split(d.labels, 0.2, seed=0)
    fit_i, val_i = tasks.train_test_split(d.labels[tr], 0.1, seed=1)
    return d, tr[fit_i], tr[val_i], te


def encode(times):
    return tasks.randman_spikes(times, CFG["n_steps"], last_step=CFG["last_step"])


def network(times=None):
    """20 → 128 CubaLIF → 10 LI (readout)."""
    net = soen.Network()
    hid = models.CubaLIF(tau_syn_ms=5e-6, tau_mem_ms=10e-6, r_MOhm=10.0, v_threshold_mV=1.0, reset="subtract")
    net.add_population(soen.Population("hid", CFG["hidden"], neuron=hid))
    net.add_population(soen.Population("out", CFG["n_classes"], neuron=models.LI(tau_ms=10e-6, r_MOhm=10.0)))
    n_in = CFG["n_units"]
    net.add_source(soen.SpikeSource("in", times if times is not None else tuple([] for _ in range(n_in))))
    net.connect("in", "hid", soen.AllToAll(), weight=soen.Normal(0.0, 0.4), delay_ns=0.0)
    net.connect("hid", "out", soen.AllToAll(), weight=soen.Normal(0.0, 0.1), delay_ns=0.0)
    return net


def jax_scores(model, params, xs, out_ids):
    import jax.numpy as jnp

    return st.evaluate(model, params, xs, lambda o: o["v"][..., jnp.asarray(out_ids)].max(axis=1))


def cpu_scores(model, params, xs):
    out = []
    for k in range(len(xs)):
        times = encoders.to_spike_times(xs[k], CFG["dt_ns"])
        c = soen.compile(network(times), dt_ns=CFG["dt_ns"], seed=0)
        c = st.Model(c, trainable=model.trainable).to_compiled(params)
        # one step more: the traces are sampled at t_n, the JAX readout is v at t_{n+1}
        r = soen.simulate(c, (CFG["n_steps"] + 1) * CFG["dt_ns"], record=[("out", list(range(CFG["n_classes"])))],
                          progress=False)
        out.append(r.traces_s[1:CFG["n_steps"] + 1].max(axis=0))
    return np.array(out)


def baselines(d, tr, te):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    X, y = d.times, d.labels
    counts = encode(X).sum(axis=1)  # (samples, units): one spike on every unit
    lr_t = LogisticRegression(max_iter=3000).fit(X[tr], y[tr]).score(X[te], y[te])
    mlp_t = MLPClassifier((128,), max_iter=1000, random_state=0).fit(X[tr], y[tr]).score(X[te], y[te])
    lr_c = LogisticRegression(max_iter=3000).fit(counts[tr], y[tr]).score(counts[te], y[te])
    return dict(logreg_times=float(lr_t), mlp_times=float(mlp_t), logreg_counts=float(lr_c))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--time-limit-s", type=float, default=300.0, help="stop training after the epoch past this (s)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0, help="seed of the data set and of the network")
    ap.add_argument("--cpu-samples", type=int, default=100, help="test samples also run on the CPU engine")
    ap.add_argument("--figure", default="train_temporal.png")
    ap.add_argument("--json", default=None, help="write the numbers to this JSON file")
    a = ap.parse_args(argv)

    d, i_fit, i_val, i_te = data(a.seed)
    X = encode(d.times)
    y = d.labels
    assert np.all(X.sum(axis=1) == 1.0)  # one spike per unit and sample: counts carry nothing
    base = baselines(d, np.concatenate([i_fit, i_val]), i_te)
    print(f"chance {d.chance:.3f}; baselines: logistic regression on spike times {base['logreg_times']:.3f}, "
          f"MLP on spike times {base['mlp_times']:.3f}, logistic regression on spike counts {base['logreg_counts']:.3f}")

    c = soen.compile(network(), dt_ns=CFG["dt_ns"], seed=a.seed)
    o, n = c.populations["out"]
    out_ids = np.arange(o, o + n)
    model = st.Model(c, trainable=("out_w", "bias"), surrogate="fast_sigmoid", slope=5.0)
    print(model)

    def loss(out, yb):
        return losses.readout_cross_entropy(out, yb, neurons=out_ids, key="v", reduce="max", scale=4.0)

    curve = dict(epoch=[], val=[], train_sub=[])
    sub = np.random.default_rng(0).choice(i_fit, 500, replace=False)

    def acc(p, idx):
        return float(np.mean(np.argmax(jax_scores(model, p, X[idx], out_ids), axis=1) == y[idx]))

    def metric(p):
        v = acc(p, i_val)
        curve["epoch"].append(len(curve["epoch"]) + 1)
        curve["val"].append(v)
        curve["train_sub"].append(acc(p, sub))
        return v

    import optax

    t0 = time.perf_counter()
    res = st.fit(model, loss, X[i_fit], y[i_fit], epochs=a.epochs, batch_size=64, optimizer=optax.adam(a.lr),
                 seed=a.seed, metric=metric, time_limit_s=a.time_limit_s)
    t_train = time.perf_counter() - t0
    p = res.best
    s_te = jax_scores(model, p, X[i_te], out_ids)
    acc_jax = float(np.mean(np.argmax(s_te, axis=1) == y[i_te]))
    t1 = time.perf_counter()
    k = min(a.cpu_samples, len(i_te))
    s_cpu = cpu_scores(model, p, X[i_te[:k]])
    pred_cpu = np.argmax(s_cpu, axis=1)
    acc_cpu = float(np.mean(pred_cpu == y[i_te[:k]]))
    agree = float(np.mean(pred_cpu == np.argmax(s_te[:k], axis=1)))
    max_dv = float(np.abs(s_cpu - s_te[:k]).max())
    t_cpu = time.perf_counter() - t1
    out = dict(chance=d.chance, baselines=base, epochs_run=len(res.history["epoch"]), train_s=t_train,
               best_val=max(curve["val"]), test_acc_jax=acc_jax, cpu_samples=k, test_acc_cpu_subset=acc_cpu,
               test_acc_jax_subset=float(np.mean(np.argmax(s_te[:k], axis=1) == y[i_te[:k]])),
               prediction_agreement=agree, max_readout_diff_mV=max_dv, cpu_eval_s=t_cpu, curve=curve,
               loss=res.history["loss"])
    print(f"training {t_train:.1f} s, {out['epochs_run']} epochs; best validation accuracy {out['best_val']:.4f}")
    print(f"test accuracy (JAX engine, {len(i_te)} samples): {acc_jax:.4f}; on the CPU engine for {k} of them: "
          f"{acc_cpu:.4f} (JAX on the same {out['test_acc_jax_subset']:.4f}; same prediction {agree:.4f}; "
          f"largest readout difference {max_dv:.2e} mV; {t_cpu:.1f} s)")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axs = plt.subplots(1, 2, figsize=(9.5, 3.6))
    ax = axs[0]
    for cl, col in zip((0, 1, 2), ("C0", "C1", "C2"), strict=True):
        for j in np.flatnonzero(y == cl)[:2]:
            t = d.times[j] * CFG["last_step"] * CFG["dt_ns"]
            ax.scatter(t, np.arange(CFG["n_units"]), s=10, c=col, marker="o" if j % 2 else "x",
                       label=f"class {cl}" if j == np.flatnonzero(y == cl)[0] else None)
    ax.set_xlabel("spike time (ns)")
    ax.set_ylabel("input unit")
    ax.set_title("RandMan: one spike per unit, class in the timing")
    ax.legend(fontsize=7, loc="upper right")
    ax = axs[1]
    ax.plot(curve["epoch"], curve["train_sub"], label="training (500 samples)")
    ax.plot(curve["epoch"], curve["val"], label="validation")
    ax.axhline(acc_jax, ls="--", c="k", lw=0.8, label=f"test ({acc_jax:.3f})")
    ax.axhline(base["mlp_times"], ls=":", c="C3", lw=0.9, label=f"MLP on spike times ({base['mlp_times']:.3f})")
    ax.axhline(base["logreg_times"], ls=":", c="C4", lw=0.9,
               label=f"log. regression on times ({base['logreg_times']:.3f})")
    ax.axhline(d.chance, ls="-.", c="grey", lw=0.9, label=f"chance = counts only ({base['logreg_counts']:.3f})")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.set_title("20 → 128 CubaLIF → 10 LI (soen.train)")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(a.figure, dpi=120)
    print(f"figure: {a.figure}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main()
