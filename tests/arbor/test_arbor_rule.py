"""The supervised arbor rule (O'Loughlin, Primavera & Shainline 2023): its update against the formula
Δφ_offset,d = η e ⟨s_d⟩ evaluated from an independent run, the nine-pixel task with one neuron and with
a three-neuron winner-take-all layer (100 % after training, checked by running the written-back
network again), and named errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import soen
from soen.arbor import ArborRule, fit_arbor, nine_pixel_patterns

DUR = 500.0


def _samples(period_ns=25.0):
    t = np.arange(5.0, DUR - 5.0, period_ns)
    return [[t if on else np.empty(0) for on in p.ravel()] for p in nine_pixel_patterns().values()]


def _net(names=("out",), inhibit=0.0):
    net = soen.Network()
    for nm in names:
        net.add_population(nm, 1, soen.tree_neuron((3, 9), coupling=0.5))
    net.add_source(soen.SpikeSource("px", [np.empty(0)] * 9))
    for nm in names:  # pixel i onto leaf i (sites round-robin)
        net.connect("px", nm, soen.FromList(np.arange(9), np.zeros(9, dtype=int)), weight=0.5)
    for a in names:
        for b in names:
            if a != b and inhibit:
                net.connect(a, b, soen.AllToAll(), weight=-inhibit, target="soma")
    return net


def _counts(net, sample, names):
    from soen.arbor import _with_source

    r = soen.simulate(_with_source(net, soen.SpikeSource("px", sample)), DUR, seed=0)
    off = {k: v[0] for k, v in r.populations.items()}
    return np.array([np.count_nonzero(r.spike_ids == off[n]) for n in names])


def test_one_update_equals_eta_error_mean_current_from_an_independent_run():
    net, samples = _net(), _samples()
    rule = ArborRule(eta=0.01)
    targets = np.array([[3.0], [7.0], [11.0]])
    fit = fit_arbor(net, samples[:2], targets[:2], populations="out", source="px", duration_ns=DUR, rule=rule,
                    epochs=1, stop_when_converged=False)
    # reference: run sample 0 with the initial offsets, then sample 1 with the updated ones
    from soen.arbor import _with_source

    c = soen.compile(_with_source(net, soen.SpikeSource("px", samples[0])), dt_ns=0.1, seed=0)
    off = np.array(c.params["d_offset"])
    learns = np.ones(off.size, dtype=bool)
    learns[0] = learns[-1] = False  # soma (dendrite 0) and refractory dendrite (the last) do not learn
    for k in range(2):
        ck = soen.compile(_with_source(net, soen.SpikeSource("px", samples[k])), dt_ns=0.1, seed=0)
        r = soen.simulate(ck.with_params(d_offset=off), DUR, record=[("out", None, "all")], record_every_ns=1.0)
        e = targets[k, 0] - r.spike_ids.size
        off = np.clip(off + np.where(learns, 0.01 * e * r.traces_s.mean(axis=0), 0.0), -0.5, 0.5)
    np.testing.assert_allclose(fit.d_offset, off, rtol=0, atol=1e-15)
    assert np.abs(off).max() > 1e-3  # the update did something


def test_one_neuron_learns_the_three_nine_pixel_patterns_and_the_network_keeps_it():
    net, samples = _net(), _samples()
    targets = np.array([[1.0], [4.0], [7.0]])
    fit = fit_arbor(net, samples, targets, populations="out", source="px", duration_ns=DUR, epochs=60,
                    stop_when_converged=False)
    assert fit.converged_epoch is not None and fit.converged_epoch < 40
    assert all(a == 1.0 for a in fit.accuracy[fit.converged_epoch:])  # and it stays there
    assert fit.accuracy[0] < 1.0  # it had something to learn
    assert np.abs(fit.d_offset).max() <= 0.5
    # the trained offsets written back into the network: an independent run classifies all three
    counts = np.array([_counts(fit.network, s, ["out"]) for s in samples], dtype=float)
    for k in range(3):
        assert np.argmin(np.abs(targets[:, 0] - counts[k, 0])) == k


def test_winner_take_all_layer_learns_the_patterns():
    names = ["nz", "nv", "nn"]
    net, samples = _net(names, inhibit=0.5), _samples()
    fit = fit_arbor(net, samples, 6.0 * np.eye(3), populations=names, source="px", duration_ns=DUR, epochs=100)
    assert fit.converged_epoch is not None and fit.accuracy[-1] == 1.0
    counts = np.array([_counts(fit.network, s, names) for s in samples])
    assert np.all(np.argmax(counts, axis=1) == np.arange(3))
    assert np.all(counts.max(axis=1) > np.sort(counts, axis=1)[:, -2])  # a strict winner


@pytest.mark.parametrize("kw, match", [
    (dict(eta=0.0), "ArborRule.eta"),
    (dict(offset_bound=0.7), "ArborRule.offset_bound"),
])
def test_bad_rule_parameters_are_named(kw, match):
    with pytest.raises(ValueError, match=match):
        ArborRule(**kw)


def test_bad_fit_arguments_are_named():
    net, samples = _net(), _samples()
    with pytest.raises(ValueError, match="targets must have shape"):
        fit_arbor(net, samples, [[1.0], [2.0]], populations="out", source="px", duration_ns=DUR)
    with pytest.raises(ValueError, match="populations: 'nope'"):
        fit_arbor(net, samples, [[1.0], [2.0], [3.0]], populations="nope", source="px", duration_ns=DUR)
    with pytest.raises(ValueError, match="source='drive'"):
        fit_arbor(net, samples, [[1.0], [2.0], [3.0]], populations="out", source="drive", duration_ns=DUR)
