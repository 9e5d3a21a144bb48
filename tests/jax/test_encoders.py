"""soen.train.encoders (numpy only: runs without JAX)."""

from __future__ import annotations

import numpy as np
import pytest

from soen.train import encoders


def test_encoders_place_the_spikes_they_promise():
    x = np.array([[0.0, 0.25, 1.0]])
    r = encoders.rate(x, 40, max_per_step=0.5)
    assert r.shape == (1, 40, 3)
    np.testing.assert_array_equal(r.sum(axis=1)[0], [0, 5, 20])  # x · 0.5 spikes per step · 40 steps
    assert set(np.unique(r)) <= {0.0, 1.0}
    lat = encoders.latency(x, 11)
    np.testing.assert_array_equal(np.argmax(lat[0], axis=0)[1:], [round(0.75 * 10), 0])
    assert lat[0, :, 0].sum() == 0  # x = 0 is below the threshold: no spike
    seq = np.array([[[0.0], [0.3], [0.35], [0.0]]])
    d = encoders.delta(seq, threshold=0.2)
    np.testing.assert_array_equal(d[0, :, 0], [0, 1, 0, 0])  # up
    np.testing.assert_array_equal(d[0, :, 1], [0, 0, 0, 1])  # down
    t = encoders.to_spike_times(r[0], dt_ns=0.5, t0_ns=1.0)
    assert len(t) == 3 and t[2].size == 20 and t[2][0] == 1.0 + 0.5 * np.flatnonzero(r[0, :, 2])[0]
    with pytest.raises(ValueError, match=r"x must lie in \[0, 1\]"):
        encoders.rate([[2.0]], 5)
    with pytest.raises(ValueError, match="n_steps must be a positive integer"):
        encoders.latency([[0.5]], 0)
