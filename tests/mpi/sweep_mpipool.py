"""Run under ``mpiexec -n 3 python -m mpi4py.futures sweep_mpipool.py``: the sweep of the tests on an
MPIPoolExecutor (2 workers) and serially, printed as one JSON line."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mpi4py.futures import MPIPoolExecutor  # noqa: E402

from soen.sweep import sweep  # noqa: E402
from sweep_fn import noisy_product  # noqa: E402

GRID = {"a": [1, 2, 3, 4], "b": [0.5, 1.0, 2.0, 4.0]}

if __name__ == "__main__":
    serial = sweep(noisy_product, GRID, executor="serial", seed=7)
    with MPIPoolExecutor() as ex:
        pool = sweep(noisy_product, GRID, executor=ex, seed=7)
    print(json.dumps(dict(serial=serial, pool=pool, parent=os.getpid())), flush=True)
