"""RateTable: the shipped default table, its interpolator (rate_nb), files, cache and the analytic model."""

import json
import math

import numpy as np
import pytest
from numba import njit

from soen.circuits import RateTable, default_table, rate_nb, squid_rate
from soen.circuits.rate_table import default_path

VALIDATION = [
    (1.415, 0.50, 0.3537),
    (1.725, 0.50, 0.5148),
    (2.035, 0.25, 0.5529),
    (2.345, 0.00, 0.6359),
    (2.500, 0.50, 0.8874),
]


@pytest.fixture(scope="module")
def table():
    return default_table()


def test_shipped_table_metadata(table):
    assert default_table() is table  # memoised
    assert table.model == "rcsj"
    assert table.params["beta_c"] == 0.3
    assert table.params["beta_1"] == pytest.approx(math.pi / 2)
    assert table.g.dtype == np.float64 and table.g.flags.c_contiguous
    assert table.g.shape == (table.i_grid.size, table.phi_grid.size)
    assert table.i_grid[0] == pytest.approx(0.95) and table.i_grid[-1] == pytest.approx(2.5)
    assert table.phi_grid[0] == 0.0 and table.phi_grid[-1] == 0.5
    assert default_path().stat().st_size < 1_000_000


def test_shipped_table_threshold_consistency(table):
    # the dynamic table (g > 0) and the static critical current agree at every node
    eps = table.i_grid[:, None] - table.ic_phi[None, :]
    assert not np.any((table.g == 0) & (eps > 0))
    assert not np.any((table.g > 0) & (eps < 0))


def test_shipped_table_validation_points(table):
    for i, phi, ref in VALIDATION:
        assert abs(float(table(phi, i)) - ref) <= max(0.01 * ref, 0.003)
    assert float(table.i_c(0.5)) == pytest.approx(1.047, abs=0.005)
    assert float(table.i_c(0.0)) == pytest.approx(2.00, abs=0.01)
    assert float(table.phi_th(1.8024)) == pytest.approx(0.1675, abs=0.005)


def test_interpolation_matches_fresh_solves(table):
    rng = np.random.default_rng(10)
    phi = rng.uniform(0.0, 0.5, 60)
    i = rng.uniform(0.95, 2.5, 60)
    fresh = squid_rate(phi, i)
    interp = table(phi, i)
    away = np.abs(i - table.i_c(phi)) > 0.02  # the onset region is tested separately
    assert np.max(np.abs(interp - fresh)[away]) < 3e-3


def test_threshold_edge_is_sharp(table):
    rng = np.random.default_rng(11)
    phi = rng.uniform(0.0, 0.5, 200)
    ic = table.i_c(phi)
    assert np.all(table(phi, ic - 2e-3) == 0.0)
    assert np.all(table(phi, ic + 5e-3) > 0.0)
    # near onset the interpolated rate stays close to a fresh solve (no smearing over a grid cell)
    sel = phi[:12]
    i_on = table.i_c(sel) + 0.01
    assert np.max(np.abs(table(sel, i_on) - squid_rate(sel, i_on))) < 0.01


def test_fold_symmetry_and_periodicity(table):
    rng = np.random.default_rng(12)
    phi = rng.uniform(-3, 3, 2000)
    i = rng.uniform(0.9, 2.6, 2000)
    g = table(phi, i)
    assert np.max(np.abs(table(phi + 1.0, i) - g)) <= 1e-3
    assert np.max(np.abs(table(1.0 - phi, i) - g)) <= 1e-3
    assert np.max(np.abs(table(-phi, i) - g)) <= 1e-3


def test_monotone_and_nonnegative(table):
    assert np.all(table.g >= 0)
    assert np.all(np.diff(table.g, axis=0) >= -2e-3)
    assert np.all(np.diff(table.g, axis=1) >= -2e-3)
    rng = np.random.default_rng(13)
    phi = rng.uniform(0, 0.5, 5000)
    i = rng.uniform(0.0, 2.5, 5000)
    g = table(phi, i)
    assert np.all(g >= 0) and np.all(np.isfinite(g))
    assert np.all(table(phi, i + 0.01) >= g - 2e-3)
    assert np.all(table(np.minimum(phi + 0.01, 0.5), i) >= g - 2e-3)
    # above the grid g stays monotone in i (in phi it is not, physically, beyond i_sq ~ 2.7)
    i_hi = rng.uniform(2.5, 10.0, 5000)
    assert np.all(table(phi, i_hi + 0.01) >= table(phi, i_hi))


def test_outside_the_grid(table):
    # below the grid (all critical currents exceed 0.95): zero
    assert np.all(table(np.linspace(0, 1, 11), 0.5) == 0.0)
    assert float(table(0.5, 0.0)) == 0.0
    # above the grid: continuous, increasing, ohmic asymptote g -> i/2
    phi = np.array([0.0, 0.25, 0.5])
    top = table(phi, 2.5)
    assert np.allclose(table(phi, 2.5 + 1e-9), top, atol=1e-6)
    i_hi = np.array([3.0, 3.5, 8.0])
    ext = table(phi[:, None], i_hi[None, :])
    fresh = squid_rate(phi[:, None], i_hi[None, :])
    assert np.all(np.abs(ext / fresh - 1) < 0.06)
    assert np.all(np.abs(ext[:, -1] / fresh[:, -1] - 1) < 0.02)


def test_rate_nb_inside_njit_and_nonfinite(table):
    @njit
    def engine_like(phi, i_sq, q, i0, di, dphi, c_inf):
        out = np.empty(phi.shape[0])
        for n in range(phi.shape[0]):
            out[n] = rate_nb(phi[n], i_sq[n], q, i0, di, dphi, c_inf)
        return out

    ka = table.kernel_arrays()
    assert all(isinstance(a, (float, np.ndarray)) for a in ka)
    assert all(a.dtype == np.float64 for a in ka if isinstance(a, np.ndarray))
    phi = np.array([0.1, 0.3, np.nan, 0.2, np.inf, -np.inf, 1e12, 0.3, 0.3, -1e300])
    i = np.array([2.0, 1.9, 2.0, np.nan, 2.0, 2.0, 2.2, 1e300, -1e300, 2.0])
    out = engine_like(phi, i, *ka)
    assert np.all(np.isfinite(out)) and np.all(out >= 0)
    assert out[2] == out[3] == out[4] == out[5] == 0.0
    assert np.allclose(out[:2], table(phi[:2], i[:2]), rtol=0, atol=0)


def test_s_max_and_phi_th(table):
    assert float(table.s_max(0.0, 2.0)) == pytest.approx(0.0, abs=0.01)
    assert float(table.s_max(0.25, 2.0)) == pytest.approx(2.0 - float(table.i_c(0.25)))
    assert float(table.s_max(0.5, 1.0)) == 0.0
    assert float(table.phi_th(2.2)) == 0.0
    assert np.isnan(table.phi_th(1.0))
    ph = np.array([0.1, 0.2, 0.3, 0.45])
    assert np.allclose(table.phi_th(table.i_c(ph)), ph, atol=1e-4)


def test_save_load_roundtrip(tmp_path, table):
    p = table.save(tmp_path / "t.npz")
    t2 = RateTable.load(p)
    assert np.array_equal(t2.g, table.g) and t2.params == table.params and t2.model == table.model
    p32 = table.save(tmp_path / "t32.npz", dtype="float32")
    t3 = RateTable.load(p32)
    assert np.max(np.abs(t3.g - table.g)) < 1e-6


def _write(path, **over):
    base = {
        "format_version": np.array(1),
        "i_grid": np.linspace(1.0, 2.0, 3),
        "phi_grid": np.linspace(0.0, 0.5, 3),
        "g": np.zeros((3, 3)),
        "ic_phi": np.array([2.0, 1.5, 1.05]),
        "params_json": np.array(
            json.dumps({"beta_c": 0.3, "beta_1": 1.5, "beta_2": 1.5, "ic_1": 1.0, "ic_2": 1.0})
        ),
        "model": np.array("rcsj"),
        "meta_json": np.array("{}"),
    }
    base.update(over)
    base = {k: v for k, v in base.items() if v is not None}
    np.savez(path, **base)
    return path


def test_load_validation(tmp_path):
    assert RateTable.load(_write(tmp_path / "ok.npz")).g.shape == (3, 3)
    cases = [
        ({"g": np.zeros((3, 4))}, "shape"),
        ({"g": -np.ones((3, 3))}, "g must be"),
        ({"g": np.full((3, 3), np.nan)}, "g must be"),
        ({"i_grid": np.array([1.0, 1.5, 3.0])}, "uniform"),
        ({"phi_grid": np.linspace(0, 1, 3)}, "phi_grid"),
        ({"ic_phi": None}, "missing"),
        ({"format_version": np.array(99)}, "format_version"),
        ({"params_json": np.array('{"beta_c": 0.3}')}, "params"),
        ({"g": np.array([["a"] * 3] * 3)}, "float"),
    ]
    for k, (over, match) in enumerate(cases):
        with pytest.raises(ValueError, match=match):
            RateTable.load(_write(tmp_path / f"bad{k}.npz", **over))
    # object arrays (pickles) are refused
    obj = np.empty(1, dtype=object)
    obj[0] = {"evil": 1}
    with pytest.raises(ValueError):
        RateTable.load(_write(tmp_path / "pickle.npz", g=obj))


def test_build_uses_disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SOEN_CACHE_DIR", str(tmp_path))
    kw = dict(i_min=1.8, i_max=2.4, n_i=4, n_phi=3, numerics={"t_max": 3000.0})
    calls = []
    t = RateTable.build(progress=lambda d, n: calls.append((d, n)), **kw)
    assert calls and calls[-1][0] == calls[-1][1] == 12
    files = list(tmp_path.glob("rate_table_*.npz"))
    assert len(files) == 1
    import soen.circuits.rate_table as rt

    def no_solve(*args):
        raise AssertionError("the cached table should have been loaded, not rebuilt")

    monkeypatch.setattr(rt, "squid_rate_kernel", no_solve)
    t2 = RateTable.build(**kw)
    assert np.array_equal(t.g, t2.g)
    monkeypatch.undo()
    monkeypatch.setenv("SOEN_CACHE_DIR", str(tmp_path))
    # different parameters -> different cache entry
    RateTable.build(beta_c=0.4, **kw)
    assert len(list(tmp_path.glob("rate_table_*.npz"))) == 2
    # node values equal the direct solver
    I, P = np.meshgrid(t.i_grid, t.phi_grid, indexing="ij")
    assert np.array_equal(t.g, squid_rate(P, I, t_max=3000.0))


def test_analytic_table_is_labelled_and_follows_formula():
    a = RateTable.analytic(n_i=50, n_phi=21)
    assert "approximation" in a.model
    phi, i = 0.25, 2.2
    ic = float(a.i_c(phi))
    assert float(a(phi, i)) == pytest.approx(0.5 * math.sqrt(i * i - ic * ic), rel=1e-3)
    assert ic == pytest.approx(float(default_table().i_c(phi)), abs=1e-4)
    c = RateTable.analytic(ic_model="cos", n_i=50, n_phi=21)
    assert float(c.i_c(0.25)) == pytest.approx(2 * math.cos(math.pi / 4), abs=1e-9)
    with pytest.raises(ValueError, match="ic_model"):
        RateTable.analytic(ic_model="tanh")


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n_i": 1}, ValueError, "n_i"),
        ({"n_phi": 0}, ValueError, "n_phi"),
        ({"i_min": 2.0, "i_max": 1.0}, ValueError, "i_max"),
        ({"i_min": -1.0}, ValueError, "i_min"),
        ({"beta_c": 0.0}, ValueError, "beta_c"),
        ({"beta_c": -0.3}, ValueError, "beta_c"),
        ({"ic_1": 0.9}, ValueError, "symmetric"),
        ({"numerics": {"dt": 1.0}}, ValueError, "dt"),
        ({"numerics": {"foo": 1.0}}, TypeError, "foo"),
    ],
)
def test_build_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        RateTable.build(cache=False, **kwargs)


def test_constructor_and_call_validation(table):
    with pytest.raises(ValueError, match="i_grid"):
        RateTable(np.array([]), table.phi_grid, table.g, table.ic_phi, table.params, "x")
    with pytest.raises(ValueError, match="g must have shape"):
        RateTable(table.i_grid, table.phi_grid, table.g[:, :-1], table.ic_phi, table.params, "x")
    with pytest.raises(ValueError, match="broadcastable"):
        table(np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match="i_sq"):
        table(0.1, np.nan)


@pytest.mark.slow
def test_full_rebuild_reproduces_shipped_table():
    """Rebuilding the default grid from scratch gives the shipped table (≈ 20 s on 2 cores)."""
    t = RateTable.build(cache=False)
    ref = default_table()
    assert np.max(np.abs(t.g - ref.g)) < 1e-9
    assert np.allclose(t.ic_phi, ref.ic_phi, rtol=0, atol=1e-12)
