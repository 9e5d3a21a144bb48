"""The Numba helpers of the engines: the prefetch hint compiles for the array kinds the kernels use
(contiguous, strided record fields, 2-D with a tuple index, 32-bit indices) and changes no result;
an index that does not fit the array is refused at compile time; cache-aligned state arrays start on
a 64-byte boundary."""

from __future__ import annotations

import numba as nb
import numpy as np
import pytest

from soen.engine._jit import prefetch
from soen.engine._plastic import SYNAPSE_STATE, cache_aligned, neuron_state, synapse_state


@nb.njit
def _sum_with_prefetch(a, rec_w, idx, b2):
    s = 0.0
    for q in range(idx.shape[0]):
        if q + 4 < idx.shape[0]:
            prefetch(a, idx[q + 4])  # int32 index
            prefetch(rec_w, idx[q + 4])  # a strided view (a field of a record array)
            prefetch(b2, (q % b2.shape[0], 1))  # 2-D, one index per dimension
        s += a[idx[q]] + rec_w[idx[q]] + b2[q % b2.shape[0], 1]
    return s


def test_prefetch_changes_no_result():
    rng = np.random.default_rng(0)
    a = rng.random(1000)
    rec = np.zeros(1000, dtype=SYNAPSE_STATE)
    rec["w"] = rng.random(1000)
    idx = rng.integers(0, 1000, 500).astype(np.int32)
    b2 = rng.random((7, 3))
    expect = float(np.sum(a[idx]) + np.sum(rec["w"][idx]) + np.sum(b2[np.arange(500) % 7, 1]))
    assert _sum_with_prefetch(a, rec["w"], idx, b2) == pytest.approx(expect, rel=1e-13)


def test_prefetch_refuses_an_index_that_does_not_fit_the_array():
    @nb.njit
    def bad(b2):
        prefetch(b2, 1)  # a 2-D array needs one index per dimension

    with pytest.raises(nb.core.errors.TypingError):
        bad(np.zeros((2, 2)))


def test_state_arrays_are_cache_aligned_views():
    for n in (1, 3, 1000):
        a = cache_aligned(n, SYNAPSE_STATE)
        assert a.ctypes.data % 64 == 0 and a.size == n and a.dtype == SYNAPSE_STATE
        assert not a.view(np.uint8).any()
    s = synapse_state(np.arange(5.0), np.arange(5), np.zeros(5, dtype=np.int16))
    assert s["w"].ctypes.data % 64 == 0 and s["w"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert s["sxl"].tolist() == [-1] * 5 and s["tgt"].tolist() == [0, 1, 2, 3, 4]
    blk = neuron_state(10, 8)
    assert blk["hn"].ctypes.data % 64 == 0 and blk["hs"].shape == (10, 8) and blk["syl"].tolist() == [-1] * 10
    blk["hs"][3, 7] = 5  # views of one block: a write through one is seen by no other field
    assert blk["hn"].sum() == 0 and blk["syl"].tolist() == [-1] * 10
