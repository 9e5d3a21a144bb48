r"""Tabulated SQUID fluxon rate g(φ, i_sq) and its fast interpolator (Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976, PHENO).

The reduced dendrite model (PHENO) integrates ``β ds/dτ = g(φ_eff, i_b − s) − α s``; this module provides
g from a table built with the RCSJ solver of :mod:`soen.circuits.squid` (or from a documented analytic
approximation), and the Numba function :func:`rate_nb` that the simulation engine calls every step.

Interpolation scheme (threshold-aware)
--------------------------------------
Near onset the SQUID rate behaves as ``g ≈ sqrt(k(φ) (i − i_c(φ)))`` (saddle-node: the slip period
diverges as (i − i_c)^(−1/2)), so ``q = g²`` is a smooth, nearly linear function across the threshold
curve, while g itself has a square-root edge that bilinear interpolation of g smears. The table stores the
signed quantity

* ``q = g²`` at nodes with g > 0,
* ``q = k(φ_j) (i − i_c(φ_j)) ≤ 0`` at nodes where g = 0: the linear continuation of g² below threshold,
  with the critical current i_c(φ_j) of the static SQUID equations
  (:func:`soen.circuits.rcsj.squid_static_ic`, which agrees with the dynamic onset to 1e-4, checked at
  φ = 0, ¼, ½) and the onset slope k(φ_j) measured from the first table node at least half a grid step
  above i_c.

``rate_nb`` interpolates q bilinearly and returns ``sqrt(max(q, 0))``. The zero level of the interpolated
q therefore follows the true threshold curve to second order in the grid steps, and g is exactly 0 below it
(no onset smearing). Beyond the grid: below the lowest i_sq, q is extrapolated linearly in i from the first
row (so it stays 0 when the lowest row is below every critical current); above the top i_sq, g is
extrapolated along the ohmic asymptote, ``g² = g_top(φ)² + (i² − i_top²)/(a_1 + a_2)²`` (both shunts carry
the current at large bias, g → i/2 for identical junctions): continuous at the top row, measured within
6 % of the RCSJ rate for i_sq ≤ 3.5 and 2 % at i_sq = 8 (docs/circuits.md). Note that above i_sq ≈ 2.7
the true g is no longer monotone in φ. Non-finite inputs return 0 (never NaN).
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

from soen.circuits._params import SquidParams, check_finite_array, check_real
from soen.circuits._table_util import (
    FORMAT_VERSION,
    _cache_key,
    _check_grid,
    _fold,
    _make_grid,
    _signed_q,
    cache_dir,
)
from soen.circuits.rcsj import squid_rate_kernel, squid_static_ic
from soen.circuits.squid import _numerics

__all__ = [
    "RateTable",
    "rate_nb",
    "default_table",
    "default_path",
    "cache_dir",
    "DEFAULT_GRID",
    "FORMAT_VERSION",
]

#: Default grid: i_sq from 0.95 to 2.5 (200 rows), φ from 0 to 0.5 (201 columns, dφ = 0.0025).
DEFAULT_GRID: dict[str, float] = {"i_min": 0.95, "i_max": 2.5, "n_i": 200, "n_phi": 201}
_PARAM_KEYS = ("beta_c", "beta_1", "beta_2", "ic_1", "ic_2")
_G_MAX = 50.0  # sanity bound on stored rates when loading files


# --------------------------------------------------------------------------------------------------------
# The engine kernel
# --------------------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def rate_nb(phi, i_sq, q, i0, di, dphi, c_inf):
    """Interpolated fluxon rate g(φ, i_sq) ≥ 0 (scalar Numba function; see the module docstring).

    Call as ``rate_nb(phi, i_sq, *table.kernel_arrays())``. ``phi`` is folded here
    (φ_eff = min(φ mod 1, 1 − φ mod 1)); ``i_sq`` may be any real number.
    """
    if not (math.isfinite(phi) and math.isfinite(i_sq)):
        return 0.0
    # branch-free folding and clamping (unpredictable branches cost more than the arithmetic)
    x = phi - math.floor(phi)
    x = min(x, 1.0 - x)
    n_i = q.shape[0]
    n_p = q.shape[1]
    fj = x / dphi
    j = min(int(fj), n_p - 2)
    u = fj - j
    fi = (i_sq - i0) / di
    if fi > n_i - 1:
        # above the grid: g² = g_top² + c_inf (i² − i_top²), the ohmic asymptote g → i/(a_1 + a_2)
        top = n_i - 1
        i_top = i0 + di * top
        qt = q[top, j] + u * (q[top, j + 1] - q[top, j])
        ic = min(i_sq, 1e100)  # keep i² finite
        return math.sqrt(max(qt + c_inf * (ic * ic - i_top * i_top), 0.0))
    # below the grid fi < 0: k = 0 and t < 0 extrapolates q linearly from the first row
    fi = max(fi, -1e9)  # keep the int conversion defined for absurdly negative i_sq
    k = min(max(int(fi), 0), n_i - 2)
    t = fi - k
    a = q[k, j] + u * (q[k, j + 1] - q[k, j])
    b = q[k + 1, j] + u * (q[k + 1, j + 1] - q[k + 1, j])
    return math.sqrt(max(a + t * (b - a), 0.0))


@njit(cache=True)
def _rate_many(phi, i_sq, q, i0, di, dphi, c_inf, out):
    for n in range(phi.shape[0]):
        out[n] = rate_nb(phi[n], i_sq[n], q, i0, di, dphi, c_inf)


# --------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------------------
# RateTable
# --------------------------------------------------------------------------------------------------------


class RateTable:
    """Tabulated SQUID fluxon rate g(φ, i_sq) with a threshold-aware interpolator.

    Parameters
    ----------
    i_grid : array_like
        Uniform ascending SQUID bias grid (units of I_c).
    phi_grid : array_like
        Uniform flux grid from 0 to 0.5 (units of Φ0).
    g : array_like
        Rates, shape ``(len(i_grid), len(phi_grid))``, g ≥ 0 (0 below threshold).
    ic_phi : array_like
        Critical current i_c(φ) at each ``phi_grid`` point (positive).
    params : dict
        Circuit parameters (``beta_c``, ``beta_1``, ``beta_2``, ``ic_1``, ``ic_2``).
    model : str
        What produced ``g`` (e.g. ``"rcsj"``, or ``"analytic-approximation: ..."``).
    meta : dict, optional
        Numerical settings and provenance (JSON-serialisable).

    Attributes
    ----------
    i_grid, phi_grid, g, ic_phi, params, model, meta
        As above (float64, C-contiguous).

    Notes
    -----
    Use :meth:`build` (RCSJ, disk-cached), :meth:`analytic`, :meth:`load` or :func:`default_table`.
    ``table(phi, i_sq)`` evaluates the interpolator (same code as :func:`rate_nb`) on arrays.
    """

    def __init__(
        self,
        i_grid: Any,
        phi_grid: Any,
        g: Any,
        ic_phi: Any,
        params: dict[str, float],
        model: str,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.i_grid = _check_grid("i_grid", i_grid)
        self.phi_grid = _check_grid("phi_grid", phi_grid, lo=0.0, hi=0.5)
        g_arr = np.asarray(g)
        if g_arr.dtype.kind not in "fiu":
            raise TypeError(f"g must be a numeric array, got dtype {g_arr.dtype}")
        g_arr = np.ascontiguousarray(g_arr, dtype=np.float64)
        shape = (self.i_grid.size, self.phi_grid.size)
        if g_arr.shape != shape:
            raise ValueError(f"g must have shape (len(i_grid), len(phi_grid)) = {shape}, got {g_arr.shape}")
        if not np.all(np.isfinite(g_arr)) or np.any(g_arr < 0) or np.any(g_arr > _G_MAX):
            raise ValueError(f"g must be finite and within [0, {_G_MAX}]")
        self.g = g_arr
        ic = np.ascontiguousarray(np.asarray(ic_phi, dtype=np.float64))
        if ic.shape != (self.phi_grid.size,):
            raise ValueError(f"ic_phi must have shape ({self.phi_grid.size},), got {ic.shape}")
        if not np.all(np.isfinite(ic)) or np.any(ic <= 0):
            raise ValueError("ic_phi must be finite and positive")
        self.ic_phi = ic
        if not isinstance(params, dict):
            raise TypeError(f"params must be a dict, got {type(params).__name__}")
        self.params = SquidParams.from_kwargs(**params).squid_dict()
        if not isinstance(model, str) or not model:
            raise TypeError(f"model must be a non-empty str, got {model!r}")
        self.model = model
        self.meta = dict(meta or {})
        self._q = _signed_q(self.i_grid, self.g, self.ic_phi)
        # ohmic asymptote: at large bias both shunts (conductances ic_1, ic_2) carry the current
        self._c_inf = 1.0 / (self.params["ic_1"] + self.params["ic_2"]) ** 2

    # ---------------------------------------------------------------- engine interface
    def kernel_arrays(self) -> tuple[np.ndarray, float, float, float, float]:
        """Arguments for :func:`rate_nb` after ``(phi, i_sq)``.

        Returns
        -------
        tuple
            ``(q, i0, di, dphi, c_inf)``: ``q`` float64 C-contiguous ``(n_i, n_phi)`` signed g²
            (see module docstring), ``i0`` = first i_sq grid value, ``di`` and ``dphi`` the grid steps
            (the φ grid starts at 0 and ends at 0.5), ``c_inf`` = 1/(ic_1 + ic_2)² the coefficient of the
            ohmic extrapolation above the grid.
        """
        return (
            self._q,
            float(self.i_grid[0]),
            float(self.i_grid[1] - self.i_grid[0]),
            float(self.phi_grid[1] - self.phi_grid[0]),
            self._c_inf,
        )

    def __call__(self, phi: Any, i_sq: Any) -> np.ndarray:
        """Interpolated g(φ, i_sq) on broadcast arrays (any real φ; i_sq finite)."""
        p = check_finite_array("phi", phi)
        i = check_finite_array("i_sq", i_sq)
        try:
            pb, ib = np.broadcast_arrays(p, i)
        except ValueError:
            raise ValueError(
                f"phi and i_sq must have broadcastable shapes, got {p.shape} and {i.shape}"
            ) from None
        fp = np.ascontiguousarray(pb).ravel()
        fi = np.ascontiguousarray(ib).ravel()
        out = np.empty(fp.size, dtype=np.float64)
        _rate_many(fp, fi, *self.kernel_arrays(), out)
        return out.reshape(pb.shape)

    # ---------------------------------------------------------------- derived curves
    def i_c(self, phi: Any) -> np.ndarray:
        """SQUID critical current i_c(φ) (linear interpolation of ``ic_phi`` after folding φ)."""
        x = _fold(check_finite_array("phi", phi))
        return np.interp(x, self.phi_grid, self.ic_phi)

    def phi_th(self, i_sq: Any) -> np.ndarray:
        """Threshold flux φ_th(i_sq) ∈ [0, ½]: the smallest φ_eff at which the SQUID slips.

        0 where i_sq ≥ i_c(0); NaN where i_sq < i_c(½) (no flux in range reaches threshold).
        """
        i = check_finite_array("i_sq", i_sq)
        ic = self.ic_phi
        order = np.argsort(ic)
        out = np.interp(i, ic[order], self.phi_grid[order])
        out = np.where(i >= ic.max(), self.phi_grid[int(np.argmax(ic))], out)
        return np.where(i < ic.min(), np.nan, out)

    def s_max(self, phi: Any, i_b: Any) -> np.ndarray:
        """Saturation s_max(φ, i_b) = max(i_b − i_c(φ), 0): where the SQUID bias i_b − s falls to i_c(φ)."""
        ib = check_finite_array("i_b", i_b, nonneg=True)
        return np.maximum(ib - self.i_c(phi), 0.0)

    # ---------------------------------------------------------------- constructors
    @classmethod
    def build(
        cls,
        *,
        i_min: float = DEFAULT_GRID["i_min"],
        i_max: float = DEFAULT_GRID["i_max"],
        n_i: int = int(DEFAULT_GRID["n_i"]),
        n_phi: int = int(DEFAULT_GRID["n_phi"]),
        cache: bool = True,
        progress: Callable[[int, int], None] | None = None,
        numerics: dict[str, Any] | None = None,
        **circuit: Any,
    ) -> RateTable:
        """Build a table with the RCSJ solver (:func:`soen.circuits.squid_rate`), using the disk cache.

        Parameters
        ----------
        i_min, i_max, n_i, n_phi
            Grid: ``n_i`` rows of i_sq from ``i_min`` to ``i_max``, ``n_phi`` columns of φ from 0 to ½.
        cache
            Read/write ``cache_dir()/rate_table_<hash>.npz``; the hash covers circuit parameters, grid,
            numerical settings and :data:`FORMAT_VERSION`.
        progress
            Called as ``progress(done, total)`` (points) while building.
        numerics
            Overrides of :data:`soen.circuits.squid.DEFAULT_NUMERICS`.
        **circuit
            SQUID parameters (``beta_c``, ``beta_1``, ``beta_2``, ``ic_1``, ``ic_2``); the table folds φ and
            therefore needs a symmetric SQUID (β_1 = β_2, ic_1 = ic_2).
        """
        p = SquidParams.from_kwargs(**circuit)
        if not p.symmetric:
            raise ValueError(
                "RateTable folds φ into [0, ½] and needs a symmetric SQUID (beta_1 == beta_2, ic_1 == ic_2); "
                f"got beta_1={p.beta_1}, beta_2={p.beta_2}, ic_1={p.ic_1}, ic_2={p.ic_2}. "
                "Use squid_rate() directly for asymmetric circuits."
            )
        num = _numerics(dict(numerics or {}))
        i_grid, phi_grid = _make_grid(i_min, i_max, n_i, n_phi)
        key = _cache_key(p.squid_dict(), i_grid, phi_grid, num)
        path = cache_dir() / f"rate_table_{key}.npz"
        if cache and path.exists():
            try:
                return cls.load(path)
            except (ValueError, TypeError, OSError):
                pass  # corrupt cache entry: rebuild
        I, P = np.meshgrid(i_grid, phi_grid, indexing="ij")
        flat_i, flat_p = I.ravel(), P.ravel()
        # interleave the points so that expensive near-threshold points are spread over chunks/threads
        perm = np.random.default_rng(12345).permutation(flat_i.size)
        g_flat = np.zeros(flat_i.size)
        n_chunks = 40 if progress is not None else 1
        chunks = np.array_split(perm, n_chunks)
        done = 0
        for idx in chunks:
            pi = np.ascontiguousarray(flat_p[idx])
            ii = np.ascontiguousarray(flat_i[idx])
            out = np.zeros(idx.size)
            squid_rate_kernel(
                pi, ii, p.beta_c, p.beta_1, p.beta_2, p.ic_1, p.ic_2,
                num["dt"], num["t_transient"], num["n_slips"], num["t_window"], num["t_max"], out,
            )  # fmt: skip
            g_flat[idx] = out
            done += idx.size
            if progress is not None:
                progress(done, flat_i.size)
        ic_phi = squid_static_ic(phi_grid, p.beta_1, p.beta_2, p.ic_1, p.ic_2)
        meta = {"numerics": num, "format_version": FORMAT_VERSION, "cache_key": key}
        table = cls(i_grid, phi_grid, g_flat.reshape(I.shape), ic_phi, p.squid_dict(), "rcsj", meta)
        if cache:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".tmp{os.getpid()}.npz")
                table.save(tmp)
                os.replace(tmp, path)
            except OSError:
                pass  # a read-only cache is not an error
        return table

    @classmethod
    def analytic(
        cls,
        *,
        ic_model: str = "static",
        amplitude: float = 0.5,
        i_min: float = DEFAULT_GRID["i_min"],
        i_max: float = DEFAULT_GRID["i_max"],
        n_i: int = int(DEFAULT_GRID["n_i"]),
        n_phi: int = int(DEFAULT_GRID["n_phi"]),
        **circuit: Any,
    ) -> RateTable:
        r"""An analytic APPROXIMATION of the SQUID rate on the same grid (not the RCSJ solution).

        ``g ≈ amplitude · sqrt(i_sq² − i_c(φ)²)`` for i_sq > i_c(φ), else 0: the overdamped (β_c → 0)
        lumped-SQUID formula, i.e. one junction of critical current i_c(φ) with the two unit shunts in
        parallel (amplitude ½). ``ic_model`` selects i_c(φ):

        * ``"static"``: i_c(φ) from the static SQUID equations with the given β_1, β_2
          (:func:`soen.circuits.rcsj.squid_static_ic`; exact critical current);
        * ``"cos"``: i_c(φ) = 2 |cos πφ| (zero loop inductance).

        Measured error against the RCSJ table at the defaults (β_c = 0.3): see ``docs/circuits.md``
        (tens of percent at high bias; use it only for qualitative work). ``model`` says
        ``"analytic-approximation: ..."``.
        """
        p = SquidParams.from_kwargs(**circuit)
        amplitude = check_real("amplitude", amplitude, positive=True)
        i_grid, phi_grid = _make_grid(i_min, i_max, n_i, n_phi)
        if ic_model == "static":
            if not p.symmetric:
                raise ValueError(
                    "analytic(ic_model='static') needs a symmetric SQUID (beta_1 == beta_2, ic_1 == ic_2)"
                )
            ic_phi = squid_static_ic(phi_grid, p.beta_1, p.beta_2, p.ic_1, p.ic_2)
        elif ic_model == "cos":
            ic_phi = np.maximum(2.0 * np.abs(np.cos(np.pi * phi_grid)), 1e-12)
        else:
            raise ValueError(f"ic_model must be 'static' or 'cos', got {ic_model!r}")
        q = amplitude**2 * (i_grid[:, None] ** 2 - ic_phi[None, :] ** 2)
        g = np.sqrt(np.maximum(q, 0.0))
        model = f"analytic-approximation: g = {amplitude:g}*sqrt(i^2 - i_c(phi)^2), i_c from '{ic_model}'"
        table = cls(i_grid, phi_grid, g, ic_phi, p.squid_dict(), model, {"ic_model": ic_model})
        # exact signed continuation of the formula below threshold
        table._q = np.ascontiguousarray(q)
        return table

    # ---------------------------------------------------------------- files
    def save(self, path: str | os.PathLike[str], *, dtype: str = "float64") -> Path:
        """Write the table as compressed NPZ (no pickles). ``dtype='float32'`` halves the size of ``g``."""
        if dtype not in ("float64", "float32"):
            raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        path = Path(path)
        np.savez_compressed(
            path,
            format_version=np.array(FORMAT_VERSION, dtype=np.int64),
            i_grid=self.i_grid,
            phi_grid=self.phi_grid,
            g=self.g.astype(dtype),
            ic_phi=self.ic_phi,
            params_json=np.array(json.dumps(self.params, sort_keys=True)),
            model=np.array(self.model),
            meta_json=np.array(json.dumps(self.meta, sort_keys=True)),
        )
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RateTable:
        """Read a table written by :meth:`save`, validating keys, shapes, dtypes and ranges."""
        path = Path(path)
        required = (
            "format_version", "i_grid", "phi_grid", "g", "ic_phi", "params_json", "model", "meta_json"
        )
        try:
            with open(path, "rb") as fh:  # (opened here: np.load leaves a bad file open)
                data = np.load(fh, allow_pickle=False)
                if not isinstance(data, np.lib.npyio.NpzFile):
                    raise ValueError(f"{path}: not a soen rate table (a single .npy array, not a .npz archive)")
                with data:
                    missing = [k for k in required if k not in data.files]
                    if missing:
                        raise ValueError(f"{path}: not a soen rate table, missing arrays {missing}")
                    arrays = {k: data[k] for k in required}
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # a damaged or non-.npz file
            raise ValueError(f"{path}: not a readable soen rate table (a NumPy .npz archive written by "
                             f"RateTable.save): {type(exc).__name__}: {exc}") from None
        except ValueError as exc:
            if str(exc).startswith(f"{path}:"):
                raise
            raise ValueError(f"{path}: not a readable soen rate table (a NumPy .npz archive written by "
                             f"RateTable.save): {exc}") from None
        version = arrays["format_version"]
        if version.shape != () or version.dtype.kind not in "iu" or int(version) != FORMAT_VERSION:
            raise ValueError(f"{path}: format_version must be {FORMAT_VERSION}, got {version!r}")
        for k in ("i_grid", "phi_grid", "g", "ic_phi"):
            if arrays[k].dtype.kind != "f":
                raise ValueError(f"{path}: {k} must be a float array, got dtype {arrays[k].dtype}")
        for k in ("params_json", "model", "meta_json"):
            if arrays[k].dtype.kind != "U" or arrays[k].shape != ():
                raise ValueError(
                    f"{path}: {k} must be a scalar string, got {arrays[k].dtype} {arrays[k].shape}"
                )
        try:
            params = json.loads(str(arrays["params_json"]))
            meta = json.loads(str(arrays["meta_json"]))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: bad JSON in table metadata: {exc}") from None
        if not isinstance(params, dict) or set(params) != set(_PARAM_KEYS):
            raise ValueError(f"{path}: params must hold exactly {list(_PARAM_KEYS)}, got {params!r}")
        if not isinstance(meta, dict):
            raise ValueError(f"{path}: meta must be a JSON object")
        i_grid = arrays["i_grid"].astype(np.float64)
        if i_grid.ndim == 1 and i_grid.size and (i_grid[0] < 0 or i_grid[-1] > 100):
            raise ValueError(f"{path}: i_grid must lie within [0, 100], got {i_grid[0]}..{i_grid[-1]}")
        try:
            return cls(
                i_grid, arrays["phi_grid"], arrays["g"], arrays["ic_phi"], params, str(arrays["model"]), meta
            )
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path}: invalid rate table: {exc}") from None

    def __repr__(self) -> str:
        return (
            f"RateTable(model={self.model!r}, "
            f"i_sq {self.i_grid[0]:g}..{self.i_grid[-1]:g} ({self.i_grid.size}), "
            f"phi 0..0.5 ({self.phi_grid.size}), params={self.params})"
        )


_DEFAULT: list[RateTable] = []


def default_path() -> Path:
    """Path of the shipped default table (``soen/data/default_rate_table.npz``)."""
    return Path(__file__).resolve().parent.parent / "data" / "default_rate_table.npz"


def default_table() -> RateTable:
    """The shipped default table (β_c = 0.3, β_1 = β_2 = π/2; RCSJ), loaded once and memoised."""
    if not _DEFAULT:
        _DEFAULT.append(RateTable.load(default_path()))
    return _DEFAULT[0]
