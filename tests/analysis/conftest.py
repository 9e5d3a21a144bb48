"""Shared synthetic data for the analysis tests (all seeded)."""

from __future__ import annotations

import numpy as np
import pytest


def galton_watson(
    n_avalanches: int, m: float, *, seed: int, max_generations: int = 2000
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Independent Galton–Watson trees with Poisson(m) offspring, one ancestor each.

    Returns sizes, durations (generations, ancestor included) and the per-generation counts of each
    tree. Trees still alive after ``max_generations`` are dropped (P ≈ 2/max_generations at m = 1).
    """
    rng = np.random.Generator(np.random.Philox(key=seed))
    alive = np.arange(n_avalanches)
    counts = np.ones(n_avalanches, dtype=np.int64)
    sizes = np.ones(n_avalanches, dtype=np.int64)
    durations = np.ones(n_avalanches, dtype=np.int64)
    records = [(alive, counts)]
    for _ in range(max_generations):
        nxt = rng.poisson(m * counts)
        keep = nxt > 0
        alive, counts = alive[keep], nxt[keep]
        if alive.size == 0:
            break
        sizes[alive] += counts
        durations[alive] += 1
        records.append((alive, counts))
    finished = np.ones(n_avalanches, dtype=bool)
    finished[alive] = False
    profiles = [np.zeros(d, dtype=np.int64) for d in durations]
    for g, (idx, cnt) in enumerate(records):
        for i, c in zip(idx.tolist(), cnt.tolist()):
            profiles[i][g] = c
    profiles = [p for p, f in zip(profiles, finished) if f]
    sizes, durations = sizes[finished], durations[finished]
    return sizes, durations, profiles


def to_spike_train(profiles: list[np.ndarray], *, bin_ns: float, gap_bins: int = 3) -> np.ndarray:
    """Lay avalanches end to end (``gap_bins`` empty bins apart) as event times at bin centres."""
    times = []
    offset = 0
    for prof in profiles:
        k = np.repeat(np.arange(prof.size) + offset, prof)
        times.append((k + 0.5) * bin_ns)
        offset += prof.size + gap_bins
    return np.concatenate(times)


def concatenate_profiles(profiles: list[np.ndarray], *, gap_bins: int = 3) -> np.ndarray:
    """Binned activity of avalanches laid end to end, ``gap_bins`` empty bins apart."""
    gap = np.zeros(gap_bins, dtype=np.int64)
    return np.concatenate([np.concatenate((p, gap)) for p in profiles])


@pytest.fixture(scope="session")
def critical_gw():
    """20 000 critical (m = 1) Poisson Galton–Watson avalanches: (sizes, durations, profiles)."""
    return galton_watson(20000, 1.0, seed=11)


@pytest.fixture(scope="session")
def subcritical_gw():
    """20 000 subcritical (m = 0.8) avalanches."""
    return galton_watson(20000, 0.8, seed=12)


@pytest.fixture(scope="session")
def gw_tools():
    """The helper functions, for tests that need their own trees or spike trains."""
    return {"galton_watson": galton_watson, "to_spike_train": to_spike_train,
            "concatenate_profiles": concatenate_profiles}
