"""A point function for the sweep tests (module level: picklable for a process pool)."""

import os

import numpy as np


def noisy_product(a, b, seed):
    rng = np.random.default_rng(seed)
    return {"x": a * b + rng.normal(), "pid": os.getpid()}
