"""soen.sweep on the executors of a cluster: a local Dask cluster (worker processes) and
mpi4py.futures.MPIPoolExecutor under mpiexec give the serial table exactly (4 × 4 grid)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from soen.sweep import sweep
from sweep_fn import noisy_product

GRID = {"a": [1, 2, 3, 4], "b": [0.5, 1.0, 2.0, 4.0]}
HERE = Path(__file__).parent


def strip(rows):
    return [{k: v for k, v in r.items() if k != "pid"} for r in rows]


def test_a_local_dask_cluster_gives_the_serial_table(monkeypatch):
    distributed = pytest.importorskip("distributed", reason="Dask executors need dask[distributed] (soen[dask])")
    # the worker processes import the point function's module: they need its folder on their path
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    serial = sweep(noisy_product, GRID, executor="serial", seed=7)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        rows = sweep(noisy_product, GRID, executor=client.get_executor(), seed=7)
    assert strip(rows) == strip(serial)
    assert os.getpid() not in {r["pid"] for r in rows}  # every point ran in a worker process
    assert len(rows) == 16


MPIEXEC = shutil.which("mpiexec", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))


@pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec on PATH (pip install mpich)")
def test_an_mpi_pool_executor_gives_the_serial_table():
    pytest.importorskip("mpi4py", reason="MPIPoolExecutor needs mpi4py (soen[mpi])")
    out = subprocess.run([MPIEXEC, "-n", "3", sys.executable, "-m", "mpi4py.futures", str(HERE / "sweep_mpipool.py")],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "NUMBA_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    line = [x for x in out.stdout.splitlines() if x.startswith("{")][-1]
    d = json.loads(line)
    assert strip(d["pool"]) == strip(d["serial"]) and len(d["pool"]) == 16
    assert d["parent"] not in {r["pid"] for r in d["pool"]}  # the points ran on the pool's worker ranks
    # and the same table as a sweep in this process
    assert strip(d["serial"]) == strip(sweep(noisy_product, GRID, executor="serial", seed=7))
