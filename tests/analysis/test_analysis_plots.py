"""Analysis figures build, carry their data and save (soen.plot.analysis)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.figure import Figure

from soen.analysis import Avalanches, fit_power_law, sample_power_law
from soen.generators import spatial_growth
from soen.plot.analysis import (
    plot_avalanche_distributions,
    plot_degree_distribution,
    plot_isi_histogram,
    plot_population_rate,
)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50)
    return buf.getvalue()


@pytest.fixture(scope="module")
def spikes():
    rng = np.random.Generator(np.random.Philox(key=1))
    t = np.sort(rng.uniform(0, 2000.0, 3000))
    ids = rng.integers(0, 20, t.size)
    return t, ids, 20, 2000.0


def test_avalanche_figure():
    s = sample_power_law(2000, alpha=1.5, seed=1)
    d = sample_power_law(2000, alpha=2.0, seed=2)
    av = Avalanches(s.astype(np.int64), d.astype(np.int64), np.arange(2000), 1.5, 0.0)
    fig = plot_avalanche_distributions(av, size_fit=fit_power_law(s), duration_fit=fit_power_law(d))
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 2  # data + fit
    assert _png(fig).startswith(b"\x89PNG")
    assert len(plot_avalanche_distributions(av).axes[1].lines) == 1


def test_degree_figure():
    pre, post, _ = spatial_growth(200, 600, length_scale=0.2, degree_exponent=1.0, seed=3)
    fig = plot_degree_distribution((pre, post))
    assert len(fig.axes[0].lines) == 3
    assert _png(fig).startswith(b"\x89PNG")


def test_rate_and_isi_figures(spikes):
    t, ids, n, dur = spikes
    fig = plot_population_rate(t, n, dur, bin_ns=1.0, smooth_ns=5.0)
    assert len(fig.axes) == 2 and _png(fig).startswith(b"\x89PNG")
    fig = plot_isi_histogram(t, ids, n)
    assert fig.axes[0].get_xscale() == "log" and _png(fig).startswith(b"\x89PNG")
