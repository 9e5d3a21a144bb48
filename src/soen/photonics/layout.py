"""Spatial layout of neurons on one or several dies (or wafers) linked by fibre, and connection geometry.

All coordinates are *global* positions in µm. Each neuron belongs to a die (``die`` id); each die is a
rectangle (``die_origin_um``, ``die_size_um``) with one fibre port (``port_um``, default the die
centre). Connections inside a die are routed waveguides; connections between dies run on-chip to the
source die's port, through fibre to the target die's port, and on-chip to the detector.

Connection geometry (:meth:`Layout.connection_geometry`)
------------------------------------------------------
* Routed length: ``routing_factor`` × distance, with distance either Manhattan |Δx| + |Δy| (default)
  or straight-line (``metric="euclidean"``).
* Fibre length between dies: straight-line distance between the two ports + ``fibre_slack_um``.
* Waveguide crossings (an *estimate*, mean-field / Buffon): waveguides are assumed spread over the die
  with uniform length density. Routed pieces are split over ``n_routing_planes`` planes; a piece only
  crosses pieces on its own plane. For Manhattan routing a path with horizontal extent h and vertical
  extent v on a die of area A crosses, on average,
  ``n_cross = [h (V − V_own) + v (H − H_own)] / (A P)``, with H, V the total horizontal and vertical
  waveguide lengths on that die, H_own, V_own those of the path's own splitting tree, and P the number
  of planes (a horizontal segment of length h placed uniformly in A meets a vertical one of length v
  with probability h v / A). For straight-line routing, two isotropic segments of lengths l₁, l₂ cross
  with probability 2 l₁ l₂ / (π A) (Buffon), so ``n_cross = 2 l (Λ − Λ_own) / (π A P)`` with Λ the
  total waveguide length on the die.
* Splitting trees share waveguide: the F branches of one transmitter are not F separate wires. The
  waveguide length of a tree (per transmitter, per die) is estimated as the minimum spanning tree of
  its k end points in their bounding box of area a, ``c sqrt((k + 1) a)`` (Beardwood–Halton–Hammersley;
  c = 0.71 straight-line, c = 0.71 × 4/π ≈ 0.90 Manhattan), clipped between the half-perimeter of the
  bounding box (lower bound) and the sum of the point-to-point paths (a star). Wire density on a die
  is the sum of these tree lengths; each connection's own path length is still point-to-point.
  Edge effects are ignored; the estimate is a mean, not a routing.
* Plane changes: sources and detectors sit on the lowest waveguide plane; a connection is routed on a
  plane p drawn uniformly from 0 … P−1 and needs p transitions up and p down, so its expected number
  of interplane transitions is ``2 E[p] = P − 1``.

Example
-------
>>> lay = Layout.grid(4, pitch_um=100.0)
>>> geo = lay.connection_geometry([0, 0], [1, 3])
>>> geo.length_um.tolist()
[100.0, 200.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from soen._rng import STREAMS, uniform_array

from ._validate import int_array, real_array, real_scalar, seed_value

__all__ = ["Layout", "ConnectionGeometry"]

_METRICS = ("manhattan", "euclidean")


@dataclass(frozen=True)
class ConnectionGeometry:
    """Per-connection geometry, arrays of shape (E,).

    Attributes
    ----------
    length_um : on-chip routed waveguide length (both dies together for inter-die links), µm.
    fibre_length_um : fibre length (0 inside a die), µm.
    n_crossings : expected number of in-plane waveguide crossings (float).
    n_plane_changes : expected number of interplane transitions (float).
    n_fibre_facets : chip–fibre facets on the path (0 or 2).
    inter_die : True where the connection leaves its die.
    """

    length_um: np.ndarray
    fibre_length_um: np.ndarray
    n_crossings: np.ndarray
    n_plane_changes: np.ndarray
    n_fibre_facets: np.ndarray
    inter_die: np.ndarray


@dataclass(frozen=True, eq=False)
class Layout:
    """Neuron positions on dies, and the routing model that turns them into connection geometry.

    Build with :meth:`grid`, :meth:`random_uniform` or :meth:`from_coordinates` rather than directly.

    Attributes
    ----------
    positions_um : (N, 2) global coordinates of the neurons, µm.
    die : (N,) die id of each neuron.
    die_origin_um, die_size_um : (D, 2) lower-left corner and size of each die, µm.
    port_um : (D, 2) global position of each die's fibre port, µm.
    metric : "manhattan" or "euclidean" routing distance.
    routing_factor : routed length / distance (≥ 1).
    n_routing_planes : number of waveguide planes P (≥ 1).
    fibre_slack_um : extra fibre length per inter-die connection, µm.
    """

    positions_um: np.ndarray
    die: np.ndarray
    die_origin_um: np.ndarray
    die_size_um: np.ndarray
    port_um: np.ndarray
    metric: str = "manhattan"
    routing_factor: float = 1.0
    n_routing_planes: int = 1
    fibre_slack_um: float = 0.0

    def __post_init__(self) -> None:
        pos = real_array("positions_um", self.positions_um)
        if pos.ndim != 2 or pos.shape[1] != 2:
            raise ValueError(f"positions_um must have shape (N, 2), got {pos.shape}")
        n = pos.shape[0]
        origin = real_array("die_origin_um", self.die_origin_um)
        size = real_array("die_size_um", self.die_size_um, low=0.0, low_open=True)
        port = real_array("port_um", self.port_um)
        n_dies = origin.shape[0] if origin.ndim == 2 else -1
        for nm, a in (("die_origin_um", origin), ("die_size_um", size), ("port_um", port)):
            if a.ndim != 2 or a.shape != (max(n_dies, 0), 2) or n_dies < 1:
                raise ValueError(f"{nm} must have shape (D, 2) with D ≥ 1 dies, got {a.shape}")
        die = int_array("die", self.die, low=0, high=n_dies - 1)
        if die.shape != (n,):
            raise ValueError(f"die must have shape ({n},) (one id per neuron), got {die.shape}")
        if self.metric not in _METRICS:
            raise ValueError(f"metric = {self.metric!r} is not allowed; use one of {_METRICS}")
        rf = real_scalar("routing_factor", self.routing_factor, low=1.0)
        npl = self.n_routing_planes
        if isinstance(npl, bool) or not isinstance(npl, int | np.integer) or npl < 1:
            raise ValueError(f"n_routing_planes must be an integer ≥ 1, got {self.n_routing_planes!r}")
        slack = real_scalar("fibre_slack_um", self.fibre_slack_um, low=0.0)
        for nm, a in (("positions_um", pos), ("die_origin_um", origin), ("die_size_um", size),
                      ("port_um", port), ("die", die)):
            a = np.array(a, copy=True)
            a.flags.writeable = False
            object.__setattr__(self, nm, a)
        object.__setattr__(self, "routing_factor", rf)
        object.__setattr__(self, "n_routing_planes", int(self.n_routing_planes))
        object.__setattr__(self, "fibre_slack_um", slack)

    # ------------------------------------------------------------------------------------------
    @property
    def n_neurons(self) -> int:
        """Number of neurons N."""
        return int(self.positions_um.shape[0])

    @property
    def n_dies(self) -> int:
        """Number of dies D."""
        return int(self.die_origin_um.shape[0])

    @property
    def die_area_um2(self) -> np.ndarray:
        """(D,) area of each die in µm²."""
        return self.die_size_um[:, 0] * self.die_size_um[:, 1]

    # --- constructors ---------------------------------------------------------------------------
    @staticmethod
    def _dies_in_a_row(n_dies: int, size: np.ndarray, gap_um: float) -> np.ndarray:
        return np.array([[d * (size[0] + gap_um), 0.0] for d in range(n_dies)])

    @classmethod
    def grid(cls, n: int, pitch_um: float = 111.1, *, columns: int | None = None, n_dies: int = 1,
             die_gap_um: float = 1000.0, **routing) -> Layout:
        """Neurons on a square-ish grid of pitch ``pitch_um``, split evenly over ``n_dies`` dies in a row.

        Neuron i sits on die ``i // ceil(n / n_dies)``; each die holds its own grid, with a margin of
        half a pitch around it. ``routing`` is passed on (metric, routing_factor, n_routing_planes,
        fibre_slack_um). Default pitch 111.1 µm = the SOEN-V density of 8,100 neurons per cm².
        """
        n = _count("n", n)
        n_dies = _count("n_dies", n_dies)
        pitch = real_scalar("pitch_um", pitch_um, low=0.0, low_open=True)
        gap = real_scalar("die_gap_um", die_gap_um, low=0.0)
        per_die = math.ceil(n / n_dies)
        cols = columns if columns is not None else max(1, math.ceil(math.sqrt(per_die)))
        cols = _count("columns", cols)
        rows = max(1, math.ceil(per_die / cols))
        size = np.array([cols * pitch, rows * pitch])
        origin = cls._dies_in_a_row(n_dies, size, gap)
        i = np.arange(n)
        die = i // per_die
        local = i % per_die
        pos = origin[die] + pitch * (np.stack([local % cols, local // cols], axis=1) + 0.5)
        sizes = np.tile(size, (n_dies, 1))
        return cls(pos, die, origin, sizes, origin + sizes / 2.0, **routing)

    @classmethod
    def random_uniform(cls, n: int, die_size_um: tuple[float, float] = (1e4, 1e4), *, seed: int,
                       n_dies: int = 1, die_gap_um: float = 1000.0, **routing) -> Layout:
        """Neurons placed uniformly at random on dies of size ``die_size_um`` (counter-based RNG).

        Neuron i sits on die ``i // ceil(n / n_dies)``; its position depends only on (seed, i), so a
        larger network keeps the positions of the smaller one's neurons.
        """
        n = _count("n", n)
        n_dies = _count("n_dies", n_dies)
        size = real_array("die_size_um", die_size_um, low=0.0, low_open=True)
        if size.shape != (2,):
            raise ValueError(f"die_size_um must be (width, height) in µm, got {die_size_um!r}")
        gap = real_scalar("die_gap_um", die_gap_um, low=0.0)
        s = seed_value(seed)
        per_die = math.ceil(n / n_dies)
        origin = cls._dies_in_a_row(n_dies, size, gap)
        ids = np.arange(n)
        die = ids // per_die
        ux = uniform_array(s, STREAMS["layout"], ids, 0)
        uy = uniform_array(s, STREAMS["layout"], ids, 1)
        pos = origin[die] + np.stack([ux * size[0], uy * size[1]], axis=1)
        sizes = np.tile(size, (n_dies, 1))
        return cls(pos, die, origin, sizes, origin + sizes / 2.0, **routing)

    @classmethod
    def from_coordinates(cls, positions_um, die=None, *, die_origin_um=None, die_size_um=None,
                         port_um=None, **routing) -> Layout:
        """Explicit global coordinates (N, 2) in µm, optional die ids (default all on die 0).

        Without ``die_origin_um``/``die_size_um`` each die is the bounding box of its neurons (at least
        1 µm a side); pass sizes for meaningful crossing estimates. Ports default to die centres.
        """
        pos = real_array("positions_um", positions_um)
        if pos.ndim != 2 or pos.shape[1] != 2 or pos.shape[0] < 1:
            raise ValueError(f"positions_um must have shape (N, 2) with N ≥ 1, got {pos.shape}")
        n = pos.shape[0]
        die_arr = np.zeros(n, np.int64) if die is None else int_array("die", die, low=0)
        if die_arr.shape != (n,):
            raise ValueError(f"die must have shape ({n},), got {die_arr.shape}")
        n_dies = int(die_arr.max()) + 1
        if die_origin_um is None or die_size_um is None:
            lo = np.zeros((n_dies, 2))
            hi = np.ones((n_dies, 2))
            for d in range(n_dies):
                sel = pos[die_arr == d]
                if sel.size:
                    lo[d] = sel.min(axis=0)
                    hi[d] = sel.max(axis=0)
                hi[d] = np.maximum(hi[d], lo[d] + 1.0)
            die_origin_um = lo if die_origin_um is None else die_origin_um
            die_size_um = (hi - lo) if die_size_um is None else die_size_um
        origin = np.asarray(die_origin_um, dtype=np.float64)
        size = np.asarray(die_size_um, dtype=np.float64)
        port = origin + size / 2.0 if port_um is None else port_um
        return cls(pos, die_arr, origin, size, port, **routing)

    # --- geometry -------------------------------------------------------------------------------
    def _extent(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Routed (horizontal, vertical) extents between points a and b, routing factor included."""
        d = np.abs(b - a) * self.routing_factor
        return d[:, 0], d[:, 1]

    def _route_len(self, h: np.ndarray, v: np.ndarray) -> np.ndarray:
        return h + v if self.metric == "manhattan" else np.hypot(h, v)

    def connection_geometry(self, pre, post) -> ConnectionGeometry:
        """Length, fibre length, expected crossings and plane changes of connections pre[e] → post[e].

        Crossing estimates depend on *all* connections passed together (they set the wire density);
        pass the whole network's connection list.
        """
        pre = int_array("pre", pre, low=0, high=self.n_neurons - 1)
        post = int_array("post", post, low=0, high=self.n_neurons - 1)
        if pre.shape != post.shape:
            raise ValueError(f"pre and post must have the same shape, got {pre.shape} and {post.shape}")
        E = pre.shape[0]
        p0 = self.positions_um[pre]
        p1 = self.positions_um[post]
        d0 = self.die[pre]
        d1 = self.die[post]
        inter = d0 != d1
        # piece A: on the source die (to the post neuron, or to the port); piece B: target die (port → post)
        endA = np.where(inter[:, None], self.port_um[d0], p1)
        hA, vA = self._extent(p0, endA)
        hB, vB = self._extent(self.port_um[d1], p1)
        hB = np.where(inter, hB, 0.0)
        vB = np.where(inter, vB, 0.0)
        lenA = self._route_len(hA, vA)
        lenB = self._route_len(hB, vB)
        length = lenA + lenB
        fibre = np.where(inter, np.linalg.norm(self.port_um[d1] - self.port_um[d0], axis=1)
                         + self.fibre_slack_um, 0.0)
        P = float(self.n_routing_planes)
        D = self.n_dies
        area = self.die_area_um2
        # splitting trees: piece A grouped by transmitter, piece B by (transmitter, target die)
        fA = self._tree_fraction(pre, p0, endA, hA, vA)
        gB = np.where(inter, pre * D + d1, -1)
        fB = self._tree_fraction(gB, self.port_um[d1], p1, hB, vB)
        if self.metric == "manhattan":
            H = np.bincount(d0, hA * fA, D) + np.bincount(d1, hB * fB, D)
            V = np.bincount(d0, vA * fA, D) + np.bincount(d1, vB * fB, D)
            HoA, VoA = _group_sum(pre, hA * fA), _group_sum(pre, vA * fA)
            HoB, VoB = _group_sum(gB, hB * fB), _group_sum(gB, vB * fB)
            cA = (hA * (V[d0] - VoA) + vA * (H[d0] - HoA)) / (area[d0] * P)
            cB = (hB * (V[d1] - VoB) + vB * (H[d1] - HoB)) / (area[d1] * P)
        else:
            Lam = np.bincount(d0, lenA * fA, D) + np.bincount(d1, lenB * fB, D)
            cA = 2.0 * lenA * (Lam[d0] - _group_sum(pre, lenA * fA)) / (math.pi * area[d0] * P)
            cB = 2.0 * lenB * (Lam[d1] - _group_sum(gB, lenB * fB)) / (math.pi * area[d1] * P)
        cross = np.maximum(cA, 0.0) + np.where(inter, np.maximum(cB, 0.0), 0.0)
        # intra-die: one routed piece, P − 1 expected transitions; inter-die: two pieces.
        planes = np.full(E, P - 1.0) * np.where(inter, 2.0, 1.0)
        facets = np.where(inter, 2.0, 0.0)
        return ConnectionGeometry(length, fibre, cross, planes, facets, inter)


    def _tree_fraction(self, group: np.ndarray, start: np.ndarray, end: np.ndarray, h: np.ndarray,
                       v: np.ndarray) -> np.ndarray:
        """Per piece: (estimated tree length of its group) / (sum of the group's path lengths), ≤ 1.

        Groups with id < 0 are ignored (fraction 1). Tree length: c sqrt((k + 1) a) clipped to
        [half-perimeter of the bounding box, sum of paths], see the module docstring.
        """
        out = np.ones(group.shape[0])
        sel = group >= 0
        if not sel.any():
            return out
        _, inv = np.unique(group[sel], return_inverse=True)
        G = int(inv.max()) + 1
        rf = self.routing_factor
        lens = self._route_len(h[sel], v[sel])
        total = np.bincount(inv, lens, G)
        k = np.bincount(inv, minlength=G).astype(np.float64)
        pts = np.concatenate([start[sel], end[sel]])
        gi = np.concatenate([inv, inv])
        lo = np.full((G, 2), np.inf)
        hi = np.full((G, 2), -np.inf)
        for ax in range(2):
            np.minimum.at(lo[:, ax], gi, pts[:, ax])
            np.maximum.at(hi[:, ax], gi, pts[:, ax])
        span = (hi - lo) * rf
        if self.metric == "manhattan":
            c, lower = 0.7124 * 4.0 / math.pi, span[:, 0] + span[:, 1]
        else:
            c, lower = 0.7124, np.hypot(span[:, 0], span[:, 1])
        est = c * np.sqrt((k + 1.0) * span[:, 0] * span[:, 1])
        tree = np.minimum(np.maximum(est, lower), total)
        frac = np.divide(tree, total, out=np.ones(G), where=total > 0)
        out[sel] = frac[inv]
        return out


def _group_sum(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each entry, the sum of ``values`` over entries with the same group id (0 where id < 0)."""
    out = np.zeros(group.shape[0])
    sel = group >= 0
    if sel.any():
        _, inv = np.unique(group[sel], return_inverse=True)
        out[sel] = np.bincount(inv, values[sel])[inv]
    return out


def _count(name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
        raise ValueError(f"{name} must be an integer ≥ 1, got {v!r}")
    return int(v)
