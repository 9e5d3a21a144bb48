"""Networks as data: populations of a morphology, spike sources, projections with connectors.

Nothing here simulates. Connectors and distributions are resolved (with counter-based random
numbers keyed by the simulation seed and the projection) when an engine compiles the network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from soen._validate import (
    FLOAT32_MAX,
    INT32_MAX,
    check_array,
    check_bool,
    check_instance,
    check_int,
    check_name,
    check_number,
    check_real,
    check_sequence,
    show,
)

from .components import Synapse
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
    return check_name(f"{owner}.name", name)


def _check_count(owner: str, n) -> int:
    return check_int(f"{owner}.n", n, low=1, high=INT32_MAX)


@dataclass(frozen=True, eq=False)
class Population:
    """``n`` neurons of one morphology. ``positions_um``: optional (n, 2) or (n, 3) coordinates in µm.

    ``name`` is identifier-like; ``n`` an integer in [1, 2**31 - 1]. ``homeostasis``: None or a
    :class:`soen.Homeostasis` (each neuron's threshold adapts toward a target rate during the run).
    """

    name: str
    n: int
    neuron: Neuron = field(default_factory=Neuron)
    positions_um: np.ndarray | None = None
    homeostasis: object = None

    def __post_init__(self) -> None:
        from soen.plasticity import Homeostasis

        _check_name("Population", self.name)
        object.__setattr__(self, "n", _check_count("Population", self.n))
        check_instance("Population.homeostasis", self.homeostasis, Homeostasis, allow_none=True)
        if not isinstance(self.neuron, Neuron) and not getattr(self.neuron, "_point_model", False):
            raise TypeError(f"Population.neuron must be a Neuron morphology or a standard point model "
                            f"(soen.models); got {show(self.neuron)} ({type(self.neuron).__name__})")
        if self.positions_um is not None:
            p = check_array("Population.positions_um", self.positions_um, ndim=2)
            if p.shape[0] != self.n or p.shape[1] not in (2, 3):
                raise ValueError(
                    f"Population.positions_um must have shape ({self.n}, 2) or ({self.n}, 3); got shape {p.shape}"
                )
            object.__setattr__(self, "positions_um", p)


@dataclass(frozen=True, eq=False)
class SpikeSource:
    """Input channels that spike at given times. ``times_ns``: one array of times (ns) per channel
    (a sequence of arrays, or a 2-D array with one row per channel); times are finite and >= 0."""

    name: str
    times_ns: tuple

    def __post_init__(self) -> None:
        _check_name("SpikeSource", self.name)
        chans = check_sequence("SpikeSource.times_ns", self.times_ns,
                               "a sequence with one array of spike times (ns) per channel")
        if not chans:
            raise ValueError("SpikeSource.times_ns must hold at least one channel; got an empty sequence")
        if len(chans) > INT32_MAX:
            raise ValueError(f"SpikeSource.times_ns must hold at most {INT32_MAX} channels; got {len(chans)}")
        arrs = []
        for k, t in enumerate(chans):
            a = check_array(f"SpikeSource.times_ns[{k}]", t, low=0.0, unit="ns")
            if a.ndim > 1:
                raise ValueError(f"SpikeSource.times_ns[{k}] must be a number or a 1-D array of times (ns); "
                                 f"got shape {a.shape}")
            arrs.append(np.sort(np.atleast_1d(a)))
        object.__setattr__(self, "times_ns", tuple(arrs))

    @property
    def n(self) -> int:
        return len(self.times_ns)

    def spike_times(self, duration_ns: float, seed: int, source_index: int) -> list[np.ndarray]:
        return [t[t < duration_ns] for t in self.times_ns]


@dataclass(frozen=True, eq=False)
class RegularSource:
    """``n`` channels spiking every ``period_ns`` from ``start_ns`` (a regular train; 20 MHz ↔ 50 ns).

    ``period_ns`` > 0 and ``start_ns`` >= 0, finite.
    """

    name: str
    n: int = 1
    period_ns: float = 50.0
    start_ns: float = 0.0

    def __post_init__(self) -> None:
        _check_name("RegularSource", self.name)
        object.__setattr__(self, "n", _check_count("RegularSource", self.n))
        object.__setattr__(self, "period_ns", check_real("RegularSource.period_ns", self.period_ns, low=0.0,
                                                         low_open=True))
        object.__setattr__(self, "start_ns", check_real("RegularSource.start_ns", self.start_ns, low=0.0))

    def spike_times(self, duration_ns: float, seed: int, source_index: int) -> list[np.ndarray]:
        t = np.arange(self.start_ns, duration_ns, self.period_ns)
        return [t] * self.n


@dataclass(frozen=True, eq=False)
class PoissonSource:
    """``n`` independent Poisson channels at ``rate_hz`` (e.g. 20e6 for 20 MHz), optionally from ``start_ns``.

    Counter-based: channel c of this source draws from stream ``poisson_input`` keyed by
    (seed, source index, c), so the trains do not depend on threads or on other sources.
    ``rate_hz`` in [0, MAX_RATE_HZ] (1e12 Hz, one spike per ps), ``start_ns`` >= 0.
    """

    #: Highest allowed rate (Hz): one spike per ps on average, far beyond any SPD (tens of ns reset).
    MAX_RATE_HZ = 1e12

    name: str
    n: int = 1
    rate_hz: float = 20e6
    start_ns: float = 0.0

    def __post_init__(self) -> None:
        _check_name("PoissonSource", self.name)
        object.__setattr__(self, "n", _check_count("PoissonSource", self.n))
        object.__setattr__(self, "rate_hz", check_real("PoissonSource.rate_hz", self.rate_hz, low=0.0,
                                                       high=self.MAX_RATE_HZ))
        object.__setattr__(self, "start_ns", check_real("PoissonSource.start_ns", self.start_ns, low=0.0))

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

    def __post_init__(self):
        object.__setattr__(self, "allow_self", check_bool("AllToAll.allow_self", self.allow_self))

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
        object.__setattr__(self, "p", check_real("FixedProbability.p", self.p, low=0.0, high=1.0))
        object.__setattr__(self, "allow_self", check_bool("FixedProbability.allow_self", self.allow_self))

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
        object.__setattr__(self, "k", check_int("FixedInDegree.k", self.k, low=0, high=INT32_MAX))
        object.__setattr__(self, "allow_self", check_bool("FixedInDegree.allow_self", self.allow_self))

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
    """Explicit connections: arrays ``pre`` and ``post`` of neuron indices within the populations
    (1-D integer arrays of equal length, indices >= 0; checked against the population sizes when the
    network is compiled)."""

    pre: np.ndarray
    post: np.ndarray

    def __post_init__(self):
        pre = check_array("FromList.pre", self.pre, integer=True, ndim=1, low=0, high=INT32_MAX)
        post = check_array("FromList.post", self.post, integer=True, ndim=1, low=0, high=INT32_MAX)
        if pre.shape != post.shape:
            raise ValueError(f"FromList.pre and FromList.post must have the same length (one entry per connection); "
                             f"got {pre.size} and {post.size}")
        object.__setattr__(self, "pre", pre)
        object.__setattr__(self, "post", post)

    def pairs(self, n_pre, n_post, same, rng):
        pre = np.asarray(self.pre)
        post = np.asarray(self.post)
        if pre.shape != post.shape or pre.ndim != 1:
            raise ValueError(f"FromList.pre and .post must be 1-D of equal length, got {pre.shape}, {post.shape}")
        if pre.size and not (np.issubdtype(pre.dtype, np.integer) and np.issubdtype(post.dtype, np.integer)):
            raise TypeError("FromList.pre and .post must be integer arrays")
        for what, idx, n in (("pre", pre, n_pre), ("post", post, n_post)):
            bad = np.flatnonzero((idx < 0) | (idx >= n)) if idx.size else ()
            if len(bad):
                raise ValueError(f"FromList.{what} must hold indices in [0, {n - 1}] (the {what} population has "
                                 f"{n} neurons); got {int(idx[bad[0]])} (entry {int(bad[0])}) (dangling connection)")
        return pre.astype(np.int64), post.astype(np.int64)


@dataclass(frozen=True, eq=False)
class FromMatrix:
    """Connections from a (n_pre, n_post) dense or scipy.sparse matrix of finite numbers; its values
    become the weights when the projection's ``weight`` is None."""

    matrix: object

    def __post_init__(self):
        import scipy.sparse as sp

        if sp.issparse(self.matrix):
            if len(self.matrix.shape) != 2:
                raise ValueError(f"FromMatrix.matrix must be 2-D; got shape {self.matrix.shape}")
            check_array("FromMatrix.matrix values", sp.coo_matrix(self.matrix).data, ndim=1)
        else:
            object.__setattr__(self, "matrix", check_array("FromMatrix.matrix", self.matrix, ndim=2))

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
    """Uniform distribution on [low, high) (finite, ``low <= high``)."""

    low: float
    high: float

    def __post_init__(self):
        object.__setattr__(self, "low", check_real("Uniform.low", self.low))
        object.__setattr__(self, "high", check_real("Uniform.high", self.high, low=self.low))

    def sample(self, rng, n):
        return rng.uniform(self.low, self.high, size=n)


@dataclass(frozen=True)
class Normal:
    """Normal distribution N(mean, std²), clipped to [low, high] when given.

    ``mean`` finite, ``std`` finite and >= 0; ``low <= high``, either may be infinite (not NaN).
    """

    mean: float
    std: float
    low: float = -math.inf
    high: float = math.inf

    def __post_init__(self):
        object.__setattr__(self, "mean", check_real("Normal.mean", self.mean))
        object.__setattr__(self, "std", check_real("Normal.std", self.std, low=0.0))
        low = check_number("Normal.low", self.low, allow_inf=True)
        high = check_number("Normal.high", self.high, allow_inf=True)
        if low == math.inf:
            raise ValueError("Normal.low must be a number < inf (-inf for no lower clip); got inf")
        if high == -math.inf:
            raise ValueError("Normal.high must be a number > -inf (inf for no upper clip); got -inf")
        if high < low:
            raise ValueError(f"Normal.high must be >= Normal.low = {low!r}; got {high!r}")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

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
    :class:`Normal`). ``synapse`` overrides the post neuron's default synapse. Weights are finite and
    within ±3.4e38 (single precision); delays are finite and >= 0 ns, so a delay distribution must not
    draw negative values (``Uniform(low >= 0, ...)``, ``Normal(..., low=0.0)``). ``weight=None`` takes the
    weights from a :class:`FromMatrix` connector's values.

    ``same_step`` (point models only; discrete-time graphs such as NIR): a spike made in step n is
    integrated by its targets within the same step n instead of step n + 1 (the post population is then
    updated after the pre population; a loop of such projections is refused).

    ``plasticity``: None (static weights), a :class:`soen.STDP` or a :class:`soen.FluxStorage` rule
    (:mod:`soen.plasticity`); the weights then evolve during the run (``Result.weights``).
    """

    pre: str
    post: str
    connector: object = field(default_factory=AllToAll)
    weight: object = 1.0
    delay_ns: object = 1.0
    target: object = "sites"
    synapse: Synapse | None = None
    same_step: bool = False
    plasticity: object = None

    def __post_init__(self):
        from soen.plasticity import check_plasticity

        check_name("Projection.pre", self.pre)
        check_plasticity("Projection.plasticity", self.plasticity)
        check_name("Projection.post", self.post)
        object.__setattr__(self, "same_step", check_bool("Projection.same_step", self.same_step))
        if not hasattr(self.connector, "pairs"):
            raise TypeError(f"Projection.connector must be a connector (AllToAll, OneToOne, FixedProbability, "
                            f"FixedInDegree, FromList, FromMatrix); got {show(self.connector)} "
                            f"({type(self.connector).__name__})")
        check_instance("Projection.synapse", self.synapse, Synapse, allow_none=True)
        t = self.target
        if isinstance(t, str):
            check_name("Projection.target", t)
        else:
            object.__setattr__(self, "target", check_int(
                "Projection.target (a dendrite index, a dendrite name or 'sites')", t, low=0, high=INT32_MAX))
        if self.weight is None and isinstance(self.connector, FromMatrix):
            _check_weight_values("Projection.weight (from FromMatrix.matrix)", self.connector.values())
        else:
            object.__setattr__(self, "weight", _check_value("Projection.weight", self.weight, weight=True))
        object.__setattr__(self, "delay_ns", _check_value("Projection.delay_ns", self.delay_ns, weight=False))


def _check_weight_values(name: str, arr: np.ndarray) -> None:
    """Weights must fit in single precision (the point-model engine stores them as float32)."""
    big = np.flatnonzero(np.abs(arr) > FLOAT32_MAX) if arr.size else ()
    if len(big):
        where = "" if arr.ndim == 0 else f" (entry {int(big[0])})"
        raise ValueError(f"{name} must be finite with magnitude <= {FLOAT32_MAX:.6g} (weights are stored in single "
                         f"precision); got {show(float(arr.ravel()[big[0]]))}{where}")


def _check_value(name: str, value, *, weight: bool):
    """A weight or delay: a number, a 1-D array (one per connection) or a distribution."""
    if hasattr(value, "sample") and not isinstance(value, np.ndarray):
        if not weight and isinstance(value, Uniform) and value.low < 0:
            raise ValueError(f"{name} = Uniform(low={value.low!r}, ...) must not draw negative delays; "
                             f"Uniform.low must be >= 0")
        if not weight and isinstance(value, Normal) and value.low < 0 and (value.std > 0 or value.mean < 0):
            raise ValueError(f"{name} = Normal(..., low={value.low!r}) must clip delays at Normal.low >= 0 "
                             f"(delays are >= 0 ns)")
        if weight and isinstance(value, Uniform):
            _check_weight_values(f"{name} (Uniform bounds)", np.array([value.low, value.high]))
        return value
    low = None if weight else 0.0
    unit = "" if weight else "ns"
    kinds = ("a number, a 1-D array of numbers (one per connection) or a distribution (Uniform, Normal)"
             + (" or None with FromMatrix" if weight else ""))
    if value is None or isinstance(value, (str, bytes, bool, np.bool_)) or not (
            isinstance(value, (list, tuple, np.ndarray)) or np.isscalar(value)):
        raise TypeError(f"{name} must be {kinds}; got {show(value)} ({type(value).__name__})")
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim != 0):
        arr = check_array(name, value, ndim=1, low=low, unit=unit)
        if weight:
            _check_weight_values(name, arr)
        return arr
    v = check_number(name, value.item() if isinstance(value, np.ndarray) else value, low=low, unit=unit)
    if weight:
        _check_weight_values(name, np.array(v))
    return v


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
        for p in check_sequence("Network.populations", populations, "a sequence of Population objects"):
            self.add_population(check_instance("Network.populations[...]", p, Population))
        for s in check_sequence("Network.sources", sources, "a sequence of spike sources"):
            self.add_source(s)
        for pr in check_sequence("Network.projections", projections, "a sequence of Projection objects"):
            self.add_projection(pr)

    def _check_new_name(self, name, what: str = "name"):
        if name in self.populations or name in self.sources:
            kind = "population" if name in self.populations else "source"
            raise ValueError(f"{what} {name!r} is already used by a {kind} of this network; population and "
                             f"source names must be unique")

    def add_population(self, name_or_pop, n: int | None = None, neuron: Neuron | None = None, *,
                       positions_um=None, homeostasis=None) -> Population:
        """Add ``Population(name, n, neuron)`` (or a ready Population, with no further arguments) and return it."""
        if isinstance(name_or_pop, Population):
            given = [k for k, v in (("n", n), ("neuron", neuron), ("positions_um", positions_um),
                                    ("homeostasis", homeostasis)) if v is not None]
            if given:
                raise TypeError(f"Network.add_population: a ready Population ({name_or_pop.name!r}) takes no further "
                                f"arguments; got {', '.join(given)} (set them in the Population)")
            pop = name_or_pop
        else:
            pop = Population(name_or_pop, n, neuron if neuron is not None else Neuron(), positions_um, homeostasis)
        self._check_new_name(pop.name, "Population.name")
        self.populations[pop.name] = pop
        return pop

    def add_source(self, source):
        """Add a spike source (:class:`SpikeSource`, :class:`RegularSource`, :class:`PoissonSource`)."""
        if not isinstance(source, (SpikeSource, RegularSource, PoissonSource)):
            raise TypeError(f"Network.add_source: source must be a SpikeSource, RegularSource or PoissonSource; "
                            f"got {show(source)} ({type(source).__name__})")
        self._check_new_name(source.name, f"{type(source).__name__}.name")
        self.sources[source.name] = source
        return source

    def add_projection(self, projection: Projection) -> Projection:
        if not isinstance(projection, Projection):
            raise TypeError(f"Network.add_projection: projection must be a Projection; got {show(projection)} "
                            f"({type(projection).__name__})")
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
