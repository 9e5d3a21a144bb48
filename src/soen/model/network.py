"""Networks as data: populations of a morphology, spike sources, projections with connectors.

Nothing here simulates. Connectors and distributions are resolved (with counter-based random
numbers keyed by the simulation seed and the projection) when an engine compiles the network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .components import Synapse, check_real
from .morphology import Neuron

__all__ = [
    "Population",
    "SpikeSource",
    "RegularSource",
    "PoissonSource",
    "AllToAll",
    "OneToOne",
    "FixedProbability",
    "FixedInDegree",
    "FromList",
    "FromMatrix",
    "Uniform",
    "Normal",
    "Projection",
    "Network",
]


# --------------------------------------------------------------------------------------------
# populations and sources
# --------------------------------------------------------------------------------------------
def _check_name(owner: str, name) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"{owner}.name must be an identifier-like string, got {name!r}")
    return name


def _check_count(owner: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{owner}.n must be a positive integer, got {n!r}")
    return int(n)


@dataclass(frozen=True, eq=False)
class Population:
    """``n`` neurons of one morphology. ``positions_um``: optional (n, 2) or (n, 3) coordinates in µm."""

    name: str
    n: int
    neuron: Neuron = field(default_factory=Neuron)
    positions_um: np.ndarray | None = None

    def __post_init__(self) -> None:
        _check_name("Population", self.name)
        object.__setattr__(self, "n", _check_count("Population", self.n))
        if not isinstance(self.neuron, Neuron) and not getattr(self.neuron, "_point_model", False):
            raise TypeError(f"Population.neuron must be a Neuron morphology or a standard point model "
                            f"(soen.models), got {type(self.neuron).__name__}")
        if self.positions_um is not None:
            p = np.asarray(self.positions_um, dtype=float)
            if p.ndim != 2 or p.shape[0] != self.n or p.shape[1] not in (2, 3) or not np.isfinite(p).all():
                raise ValueError(
                    f"Population.positions_um must be a finite ({self.n}, 2 or 3) array, got shape {p.shape}"
                )
            object.__setattr__(self, "positions_um", p)


@dataclass(frozen=True, eq=False)
class SpikeSource:
    """Input channels that spike at given times. ``times_ns``: one array of times (ns) per channel."""

    name: str
    times_ns: tuple

    def __post_init__(self) -> None:
        _check_name("SpikeSource", self.name)
        arrs = []
        for k, t in enumerate(self.times_ns):
            a = np.sort(np.atleast_1d(np.asarray(t, dtype=float)))
            if a.size and (not np.isfinite(a).all() or a[0] < 0):
                raise ValueError(f"SpikeSource.times_ns[{k}] must be finite and >= 0 ns, got {t!r}")
            arrs.append(a)
        if not arrs:
            raise ValueError("SpikeSource.times_ns must hold at least one channel")
        object.__setattr__(self, "times_ns", tuple(arrs))

    @property
    def n(self) -> int:
        return len(self.times_ns)

    def spike_times(self, duration_ns: float, seed: int, source_index: int) -> list[np.ndarray]:
        return [t[t < duration_ns] for t in self.times_ns]


@dataclass(frozen=True, eq=False)
class RegularSource:
    """``n`` channels spiking every ``period_ns`` from ``start_ns`` (a regular train; 20 MHz ↔ 50 ns)."""

    name: str
    n: int = 1
    period_ns: float = 50.0
    start_ns: float = 0.0

    def __post_init__(self) -> None:
        _check_name("RegularSource", self.name)
        object.__setattr__(self, "n", _check_count("RegularSource", self.n))
        check_real("RegularSource", "period_ns", self.period_ns, low=0.0, low_open=True)
        check_real("RegularSource", "start_ns", self.start_ns, low=0.0)

    def spike_times(self, duration_ns: float, seed: int, source_index: int) -> list[np.ndarray]:
        t = np.arange(self.start_ns, duration_ns, self.period_ns)
        return [t] * self.n


@dataclass(frozen=True, eq=False)
class PoissonSource:
    """``n`` independent Poisson channels at ``rate_hz`` (e.g. 20e6 for 20 MHz), optionally from ``start_ns``.

    Counter-based: channel c of this source draws from stream ``poisson_input`` keyed by
    (seed, source index, c), so the trains do not depend on threads or on other sources.
    """

    name: str
    n: int = 1
    rate_hz: float = 20e6
    start_ns: float = 0.0

    def __post_init__(self) -> None:
        _check_name("PoissonSource", self.name)
        object.__setattr__(self, "n", _check_count("PoissonSource", self.n))
        check_real("PoissonSource", "rate_hz", self.rate_hz, low=0.0)
        check_real("PoissonSource", "start_ns", self.start_ns, low=0.0)

    #: Poisson trains are drawn in blocks of this length (ns), each from its own counter block, so a
    #: train does not depend on the simulated duration (a resumed run sees the same input).
    BLOCK_NS = 1000.0

    def spike_times(self, duration_ns: float, seed: int, source_index: int) -> list[np.ndarray]:
        from soen._rng import philox

        rate_per_ns = self.rate_hz * 1e-9
        span = max(duration_ns - self.start_ns, 0.0)
        if rate_per_ns == 0 or span == 0:
            return [np.empty(0) for _ in range(self.n)]
        parts: list[list[np.ndarray]] = [[] for _ in range(self.n)]
        for b in range(int(np.ceil(span / self.BLOCK_NS))):
            gen = philox(seed, "poisson_input", source_index, block=b)
            counts = gen.poisson(rate_per_ns * self.BLOCK_NS, size=self.n)
            times = self.start_ns + self.BLOCK_NS * (b + gen.random(int(counts.sum())))
            for c, t in enumerate(np.split(times, np.cumsum(counts)[:-1])):
                parts[c].append(t[t < duration_ns])
        return [np.sort(np.concatenate(p)) for p in parts]


# --------------------------------------------------------------------------------------------
# connectors
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AllToAll:
    """Every pre to every post (self-connections only if ``allow_self`` and pre is post)."""

    allow_self: bool = False

    def pairs(self, n_pre, n_post, same, rng):
        pre, post = np.meshgrid(np.arange(n_pre), np.arange(n_post), indexing="ij")
        pre, post = pre.ravel(), post.ravel()
        if same and not self.allow_self:
            keep = pre != post
            pre, post = pre[keep], post[keep]
        return pre, post


@dataclass(frozen=True)
class OneToOne:
    """pre i → post i (populations of equal size)."""

    def pairs(self, n_pre, n_post, same, rng):
        if n_pre != n_post:
            raise ValueError(f"OneToOne needs equal population sizes, got {n_pre} and {n_post}")
        i = np.arange(n_pre)
        return i, i.copy()


@dataclass(frozen=True)
class FixedProbability:
    """Each pair connected independently with probability ``p``."""

    p: float
    allow_self: bool = False

    def __post_init__(self):
        check_real("FixedProbability", "p", self.p, low=0.0, high=1.0)

    def pairs(self, n_pre, n_post, same, rng):
        pre_l, post_l = [], []
        for j in range(n_post):  # column by column keeps memory bounded
            k = rng.binomial(n_pre, self.p)
            src = rng.choice(n_pre, size=k, replace=False)
            if same and not self.allow_self:
                src = src[src != j]
            pre_l.append(np.sort(src))
            post_l.append(np.full(src.size, j))
        return np.concatenate(pre_l), np.concatenate(post_l)


@dataclass(frozen=True)
class FixedInDegree:
    """Each post neuron receives exactly ``k`` connections from distinct random pre neurons."""

    k: int
    allow_self: bool = False

    def __post_init__(self):
        if isinstance(self.k, bool) or not isinstance(self.k, (int, np.integer)) or self.k < 0:
            raise ValueError(f"FixedInDegree.k must be a non-negative integer, got {self.k!r}")

    def pairs(self, n_pre, n_post, same, rng):
        no_self = same and not self.allow_self
        avail = n_pre - (1 if no_self else 0)
        if self.k > avail:
            raise ValueError(f"FixedInDegree.k={self.k} exceeds the {avail} available pre neurons")
        post = np.repeat(np.arange(n_post, dtype=np.int64), self.k)
        if self.k == 0:
            return np.empty(0, dtype=np.int64), post
        from ._sampling import distinct_rows

        pre = distinct_rows(rng, n_post, self.k, avail)  # k distinct pre per post (rejection sampling)
        if no_self:  # shift indices >= j by one to skip neuron j itself
            pre += pre >= np.arange(n_post)[:, None]
        return pre.ravel(), post


@dataclass(frozen=True, eq=False)
class FromList:
    """Explicit connections: arrays ``pre`` and ``post`` of neuron indices within the populations."""

    pre: np.ndarray
    post: np.ndarray

    def pairs(self, n_pre, n_post, same, rng):
        pre = np.asarray(self.pre)
        post = np.asarray(self.post)
        if pre.shape != post.shape or pre.ndim != 1:
            raise ValueError(f"FromList.pre and .post must be 1-D of equal length, got {pre.shape}, {post.shape}")
        if pre.size and not (np.issubdtype(pre.dtype, np.integer) and np.issubdtype(post.dtype, np.integer)):
            raise TypeError("FromList.pre and .post must be integer arrays")
        if pre.size and (pre.min() < 0 or pre.max() >= n_pre):
            raise ValueError(f"FromList.pre has an index outside 0..{n_pre - 1} (dangling connection)")
        if post.size and (post.min() < 0 or post.max() >= n_post):
            raise ValueError(f"FromList.post has an index outside 0..{n_post - 1} (dangling connection)")
        return pre.astype(np.int64), post.astype(np.int64)


@dataclass(frozen=True, eq=False)
class FromMatrix:
    """Connections from a (n_pre, n_post) dense or scipy.sparse matrix; its values become the weights
    when the projection's ``weight`` is None."""

    matrix: object

    def pairs(self, n_pre, n_post, same, rng):
        import scipy.sparse as sp

        m = sp.coo_matrix(self.matrix)
        if m.shape != (n_pre, n_post):
            raise ValueError(f"FromMatrix.matrix must have shape ({n_pre}, {n_post}), got {m.shape}")
        order = np.lexsort((m.row, m.col))
        return m.row[order].astype(np.int64), m.col[order].astype(np.int64)

    def values(self):
        import scipy.sparse as sp

        m = sp.coo_matrix(self.matrix)
        order = np.lexsort((m.row, m.col))
        return np.asarray(m.data, dtype=float)[order]


# --------------------------------------------------------------------------------------------
# distributions for weights and delays
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Uniform:
    """Uniform distribution on [low, high)."""

    low: float
    high: float

    def __post_init__(self):
        check_real("Uniform", "low", self.low)
        check_real("Uniform", "high", self.high)
        if self.high < self.low:
            raise ValueError(f"Uniform.high ({self.high}) must be >= low ({self.low})")

    def sample(self, rng, n):
        return rng.uniform(self.low, self.high, size=n)


@dataclass(frozen=True)
class Normal:
    """Normal distribution N(mean, std²), clipped to [low, high] when given."""

    mean: float
    std: float
    low: float = -math.inf
    high: float = math.inf

    def __post_init__(self):
        check_real("Normal", "mean", self.mean)
        check_real("Normal", "std", self.std, low=0.0)

    def sample(self, rng, n):
        return np.clip(rng.normal(self.mean, self.std, size=n), self.low, self.high)


# --------------------------------------------------------------------------------------------
# projections and the network
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Projection:
    """Connections from ``pre`` (a population or source name) to ``post`` (a population name).

    Each connection ends on its own SPD synapse on the post neuron's dendrite ``target``: a name or
    index, or ``"sites"`` (default) to spread the connections of each post neuron round-robin over
    its synaptic sites. ``weight`` (dimensionless, multiplies the SPD flux) and ``delay_ns`` are a
    scalar, an array with one value per connection, or a distribution (:class:`Uniform`,
    :class:`Normal`). ``synapse`` overrides the post neuron's default synapse.

    ``same_step`` (point models only; discrete-time graphs such as NIR): a spike made in step n is
    integrated by its targets within the same step n instead of step n + 1 (the post population is then
    updated after the pre population; a loop of such projections is refused).
    """

    pre: str
    post: str
    connector: object = field(default_factory=AllToAll)
    weight: object = 1.0
    delay_ns: object = 1.0
    target: object = "sites"
    synapse: Synapse | None = None
    same_step: bool = False

    def __post_init__(self):
        if not isinstance(self.same_step, bool):
            raise TypeError(f"Projection.same_step must be True or False, got {self.same_step!r}")
        if not hasattr(self.connector, "pairs"):
            raise TypeError(f"Projection.connector must be a connector (AllToAll, …), got {self.connector!r}")
        if self.synapse is not None and not isinstance(self.synapse, Synapse):
            raise TypeError(f"Projection.synapse must be a Synapse, got {self.synapse!r}")
        for name in ("weight", "delay_ns"):
            v = getattr(self, name)
            if v is None and name == "weight" and isinstance(self.connector, FromMatrix):
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                check_real("Projection", name, v, low=0.0 if name == "delay_ns" else None)


class Network:
    """A network description: populations, spike sources and projections (plain data).

    Example
    -------
    >>> import soen
    >>> net = soen.Network()
    >>> exc = net.add_population("exc", 10, soen.point_neuron())
    >>> inp = net.add_source(soen.PoissonSource("inp", n=10, rate_hz=20e6))
    >>> net.connect("inp", "exc", soen.OneToOne(), weight=1.0, delay_ns=1.0)
    """

    def __init__(self, populations=(), sources=(), projections=()):
        self.populations: dict[str, Population] = {}
        self.sources: dict[str, object] = {}
        self.projections: list[Projection] = []
        for p in populations:
            self.add_population(p)
        for s in sources:
            self.add_source(s)
        for pr in projections:
            self.add_projection(pr)

    def _check_new_name(self, name):
        if name in self.populations or name in self.sources:
            raise ValueError(f"name {name!r} is already used in this network")

    def add_population(self, name_or_pop, n: int | None = None, neuron: Neuron | None = None, *,
                       positions_um=None) -> Population:
        """Add ``Population(name, n, neuron)`` (or a ready Population) and return it."""
        pop = name_or_pop if isinstance(name_or_pop, Population) else Population(
            name_or_pop, n, neuron if neuron is not None else Neuron(), positions_um)
        self._check_new_name(pop.name)
        self.populations[pop.name] = pop
        return pop

    def add_source(self, source):
        """Add a spike source (:class:`SpikeSource`, :class:`RegularSource`, :class:`PoissonSource`)."""
        if not isinstance(source, (SpikeSource, RegularSource, PoissonSource)):
            raise TypeError(f"add_source expects a SpikeSource, RegularSource or PoissonSource, got {source!r}")
        self._check_new_name(source.name)
        self.sources[source.name] = source
        return source

    def add_projection(self, projection: Projection) -> Projection:
        if not isinstance(projection, Projection):
            raise TypeError(f"add_projection expects a Projection, got {projection!r}")
        if projection.pre not in self.populations and projection.pre not in self.sources:
            raise ValueError(f"Projection.pre {projection.pre!r} is not a population or source of this network "
                             f"(dangling connection); known: {sorted([*self.populations, *self.sources])}")
        if projection.post not in self.populations:
            raise ValueError(f"Projection.post {projection.post!r} is not a population of this network "
                             f"(dangling connection); known: {sorted(self.populations)}")
        self.projections.append(projection)
        return projection

    def connect(self, pre: str, post: str, connector=None, **kwargs) -> Projection:
        """Shorthand for ``add_projection(Projection(pre, post, connector, **kwargs))``."""
        return self.add_projection(Projection(pre, post, connector if connector is not None else AllToAll(), **kwargs))

    @property
    def n_neurons(self) -> int:
        return sum(p.n for p in self.populations.values())

    def __repr__(self) -> str:
        pops = ", ".join(f"{p.name}[{p.n}]" for p in self.populations.values())
        return f"Network(populations=[{pops}], sources={list(self.sources)}, projections={len(self.projections)})"
