"""soen.sweep.sweep: one table, identical on any executor, seeds from the point (not its position)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

from soen.sweep import grid_points, point_seed, sweep, to_array
from sweep_fn import noisy_product

GRID = {"a": [1, 2, 3], "b": [0.5, 2.0]}


def strip(rows):
    return [{k: v for k, v in r.items() if k != "pid"} for r in rows]


def test_the_table_is_identical_serial_and_on_a_process_pool_and_follows_the_grid():
    serial = sweep(noisy_product, GRID, executor="serial", seed=7)
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as ex:
        pool = sweep(noisy_product, GRID, executor=ex, seed=7)  # (spawn: forking a process that runs JAX warns)
    assert strip(pool) == strip(serial)
    assert len({r["pid"] for r in pool} - {r["pid"] for r in serial}) >= 1  # it did run elsewhere
    assert [(r["a"], r["b"]) for r in serial] == [(a, b) for a in GRID["a"] for b in GRID["b"]]
    # the reference: fn called directly with the point's seed
    for r in serial:
        assert r["seed"] == point_seed(7, {"a": r["a"], "b": r["b"]})
        assert r["x"] == noisy_product(r["a"], r["b"], r["seed"])["x"]
    assert strip(sweep(noisy_product, GRID, seed=7, max_workers=2)) == strip(serial)  # the default pool
    with ThreadPoolExecutor(2) as ex:
        assert strip(sweep(noisy_product, GRID, executor=ex, seed=7)) == strip(serial)


def test_seeds_depend_on_the_point_not_its_position():
    full = {(r["a"], r["b"]): r for r in sweep(noisy_product, GRID, executor="serial", seed=1)}
    part = sweep(noisy_product, {"b": [2.0], "a": [3, 1]}, executor="serial", seed=1)
    for r in part:
        assert r["seed"] == full[(r["a"], r["b"])]["seed"] and r["x"] == full[(r["a"], r["b"])]["x"]
    assert len({r["seed"] for r in full.values()}) == len(full)
    assert point_seed(1, {"a": 1}) != point_seed(2, {"a": 1}) != point_seed(1, {"a": 1.0})


def test_table_as_a_structured_array_and_bad_input():
    rows = sweep(noisy_product, [{"a": 1, "b": 2}, {"a": 4, "b": 0.5}], executor="serial")
    arr = to_array(strip(rows))
    assert arr.dtype.names == ("a", "b", "seed", "x") and arr["a"].dtype == np.int64
    np.testing.assert_array_equal(arr["x"], [r["x"] for r in rows])
    assert len(grid_points({"a": [1, 2], "b": [1, 2, 3]})) == 6
    with pytest.raises(ValueError, match="'seed' is given by sweep"):
        sweep(noisy_product, {"seed": [1]}, executor="serial")
    with pytest.raises(TypeError, match=r"grid\['a'\] must be a sequence"):
        sweep(noisy_product, {"a": 3}, executor="serial")
    with pytest.raises(TypeError, match="executor must be None, 'serial' or an object with submit"):
        sweep(noisy_product, GRID, executor="threads")
    with pytest.raises(ValueError, match="seed must be an integer"):
        sweep(noisy_product, GRID, executor="serial", seed=-1)
