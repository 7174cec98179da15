"""Matrices of divergences: every set against every other, in-process or on a cluster.

:func:`pairwise` validates every measure first, computes each needed pair
once -- one direction for the symmetric divergences, both for KL -- and
assembles a :class:`PairwiseResult`. The pairs run on a thread pool of this
process by default (the Numba kernels, POT's network simplex and scipy's
k-d trees release the GIL, so threads use every core without copying any
data), or on a dask.distributed cluster with ``client=`` (see
:mod:`divergences._pairwise_dask`).

Task size. Two probe pairs are computed here first and timed (the first call
may include imports and Numba compilation, hence two); with ``t`` the faster,
a task gets ``k = ceil(target / t)`` pairs (``target`` is 0.1 s on a cluster,
where one task costs the scheduler about a millisecond, and 10 ms on
threads), but never so many that there would be fewer than four
tasks per worker thread (load balance wins over overhead when the whole
matrix is small). Tasks are square tiles of the matrix, ``b = sqrt(k)`` on a
side: such a task does ``b^2`` pairs with ``2b`` measures.

Reproducibility. With ``rng=``, pair ``(i, j)`` draws from its own stream
``SeedSequence(root, spawn_key=(i, j))`` (see :func:`pair_rng`): the same seed
gives the same matrix whatever the backend, the number of workers, the tiling
or the order in which tasks finish.
"""

import hashlib
import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ._pairwise_tasks import Tile, compute_tile, pair_seed, plan_tiles, seed_root
from ._threads import available_cores, resolve_workers  # noqa: F401 -- bench_pairwise
from .exceptions import ConvergenceWarning, InvalidMeasureError, MethodError
from .measures import Gaussian, Histogram, Measure, Samples, Uniform, as_measure

__all__ = ["pairwise", "PairwiseResult", "pair_rng", "SYMMETRIC_KINDS"]

#: Divergences with D(P, Q) = D(Q, P): the matrix computes one of each pair.
SYMMETRIC_KINDS = frozenset(
    {"wasserstein", "js", "js_distance", "sinkhorn", "energy_distance", "mmd"}
)

#: ``method`` recorded for a pair of identical measures, whose divergence is 0 by definition.
IDENTICAL = "identical"

_THREAD_TASK_SECONDS = 0.01
_CLUSTER_TASK_SECONDS = 0.1
_TASKS_PER_SLOT = 4
_PROGRESS_AFTER_SECONDS = 10.0
_PROBE_AGAIN_BELOW_SECONDS = 30.0
# Tasks a matrix is cut into at most: the scheduler keeps ~1 KB of state per task.
_MAX_TASKS = 100_000


@dataclass(frozen=True, eq=False)
class PairwiseResult:
    """A matrix of divergences and the facts of its computation.

    Attributes
    ----------
    values : ndarray, shape (n, m)
        ``values[a, b]`` is the divergence between set ``a`` of ``measures``
        and set ``b`` of ``others`` (of ``measures`` itself when ``others`` is
        omitted). Read-only.
    stderrs : ndarray, shape (n, m)
        Standard errors: 0 for exact values, NaN where the method gives none.
    kind : str
        The divergence (``"kl"``, ``"js"``, ``"js_distance"``, ``"wasserstein"``,
        ``"sinkhorn"``, ``"energy_distance"``, ``"mmd"``).
    method : str
        The method of every computed pair, or ``"mixed"`` when they differ.
    methods : tuple of str
        The distinct methods used; ``"identical"`` marks pairs of identical
        measures, set to 0 without a call.
    method_codes : ndarray of int8, shape (n, m)
        ``methods[method_codes[a, b]]`` is the method of pair ``(a, b)``.
    unit : str
        The unit of the values (``"nats"``, ``"bits"``, ``"distance"``).
    labels, other_labels : tuple
        The rows' and columns' labels: the keys of a dict input, the indices of
        a list. Equal when ``others`` is omitted.
    converged : ndarray of bool, shape (n, m)
        False where an iterative solver stopped early.
    symmetric : bool
        True when ``others`` was omitted and the kind is symmetric: each
        unordered pair was computed once and mirrored.
    details : dict
        How the work ran: ``backend``, ``pairs_computed``, ``tasks``,
        ``pairs_per_task``, ``wall_seconds``, ``task_seconds`` (time spent
        computing inside the tasks), ``probe_seconds`` (the probe pairs,
        computed in this process before the tasks), and for a cluster
        ``workers``, ``threads``, ``broadcast``, ``tasks_resubmitted`` and
        ``measures_rescattered``.

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> sets = {"a": [0.0, 1.0], "b": [0.0, 2.0], "c": [5.0, 6.0]}
    >>> r = dv.pairwise(sets, kind="wasserstein")
    >>> r.values.tolist()
    [[0.0, 0.5, 5.0], [0.5, 0.0, 4.5], [5.0, 4.5, 0.0]]
    >>> r["a", "c"], r.method, r.labels
    (5.0, '1d', ('a', 'b', 'c'))
    """

    values: np.ndarray
    stderrs: np.ndarray
    kind: str
    method: str
    methods: tuple
    method_codes: np.ndarray = field(repr=False)
    unit: str
    labels: tuple
    other_labels: tuple
    converged: np.ndarray = field(repr=False)
    symmetric: bool
    details: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for name in ("values", "stderrs", "method_codes", "converged"):
            getattr(self, name).setflags(write=False)

    @property
    def shape(self):
        """``(n, m)``: the number of row and column sets."""
        return self.values.shape

    def __array__(self, dtype=None, copy=None):
        if copy is False and dtype not in (None, self.values.dtype):
            raise ValueError("a copy is needed to change the dtype of a PairwiseResult")
        array = self.values if dtype is None else self.values.astype(dtype)
        return array.copy() if copy else array

    def _position(self, key):
        if not (isinstance(key, tuple) and len(key) == 2):
            raise KeyError(f"index a PairwiseResult by a pair of labels, e.g. r[a, b]; got {key!r}")
        a, b = key
        try:
            return self.labels.index(a), self.other_labels.index(b)
        except ValueError:
            missing = a if a not in self.labels else b
            raise KeyError(f"no set labelled {missing!r}") from None

    def __getitem__(self, key):
        """``r[a, b]``: the value between the sets labelled ``a`` and ``b``."""
        return float(self.values[self._position(key)])

    def method_of(self, a, b):
        """The method that computed the pair labelled ``(a, b)``."""
        return self.methods[self.method_codes[self._position((a, b))]]

    @property
    def all_converged(self):
        """True when no pair's solver stopped early."""
        return bool(self.converged.all())

    def __repr__(self):
        n, m = self.shape
        return (f"PairwiseResult({self.kind}: {n}x{m}, method={self.method!r}, "
                f"unit={self.unit!r}, symmetric={self.symmetric})")

    def to_pandas(self):
        """The matrix as a :class:`pandas.DataFrame`: rows by ``labels``, columns by ``other_labels``.

        Needs pandas (``pip install pandas``); the values are copied.

        Examples
        --------
        >>> import divergences as dv
        >>> r = dv.pairwise({"a": [0.0, 1.0], "b": [0.0, 2.0]}, kind="wasserstein")
        >>> r.to_pandas()
             a    b
        a  0.0  0.5
        b  0.5  0.0
        """
        try:
            import pandas
        except ImportError:
            raise ImportError("PairwiseResult.to_pandas needs pandas: pip install pandas") from None
        return pandas.DataFrame(np.array(self.values), index=list(self.labels),
                                columns=list(self.other_labels))

    def plot(self, ax=None, *, annotate=None, cmap="viridis"):
        """Draw the matrix as a heatmap, labelled, with a colour bar; returns the axes.

        The colour scale spans the entries off the diagonal when the rows and
        columns are the same sets (the zero diagonal would otherwise squeeze
        every other value into one end of the scale); entries below it -- the
        diagonal -- are drawn in light grey, infinite ones left blank.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure's axes by default.
        annotate : bool, optional
            Write each value in its cell; by default when the matrix is at
            most 12 x 12.
        cmap : str or Colormap
            The colour map.

        Examples
        --------
        >>> import divergences as dv
        >>> r = dv.pairwise({"a": [0.0, 1.0], "b": [0.0, 2.0], "c": [5.0, 6.0]})
        >>> ax = r.plot()
        >>> [round(v, 3) for v in ax.images[0].get_clim()], len(ax.texts)
        ([0.5, 5.0], 9)
        """
        import matplotlib

        if ax is None:
            from matplotlib.figure import Figure

            n, m = self.shape
            size = min(max(4.0, 0.45 * max(n, m) + 2.0), 20.0)
            ax = Figure(figsize=(size + 1.2, size)).subplots()
        n, m = self.shape
        values = np.where(np.isfinite(self.values), self.values, np.nan)
        scaled = values
        if self.labels == self.other_labels and n > 1:
            scaled = values.copy()
            np.fill_diagonal(scaled, np.nan)
        low, high = (np.nanmin(scaled), np.nanmax(scaled)) if np.isfinite(scaled).any() else (0, 1)
        colours = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
        image = ax.imshow(values, cmap=colours.with_extremes(under="0.85", bad="white"),
                          vmin=low, vmax=high if high > low else low + 1.0)
        ax.figure.colorbar(image, ax=ax, label=f"{self.kind} ({self.unit})")
        if max(n, m) <= 40:  # beyond that, tick labels only overlap
            ax.set_xticks(range(m), [str(label) for label in self.other_labels], rotation=90)
            ax.set_yticks(range(n), [str(label) for label in self.labels])
        if annotate if annotate is not None else max(n, m) <= 12:
            middle = 0.5 * (low + high)
            for (i, j), value in np.ndenumerate(self.values):
                colour = "black" if (np.isfinite(value) and value > middle) or value < low \
                    else "white"
                ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=8,
                        color=colour)
        ax.set_title(f"pairwise {self.kind}")
        return ax


def pair_rng(rng, i, j):
    """The random Generator that :func:`pairwise` gives pair ``(i, j)`` for ``rng=rng``.

    Use it to reproduce one entry of a matrix by a single call.

    Parameters
    ----------
    rng : int or numpy.random.SeedSequence
        The matrix's seed. (A Generator passed to :func:`pairwise` is advanced
        to make the root, so it cannot be replayed here.)
    i, j : int
        The pair's row and column indices.

    Examples
    --------
    >>> import divergences as dv
    >>> from divergences.pairwise import pair_rng
    >>> sets = [dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 2.0)]
    >>> r = dv.pairwise(sets, kind="kl", method="monte-carlo", n_samples=1000, rng=7)
    >>> one = dv.kl_divergence(sets[1], sets[0], method="monte-carlo", n_samples=1000,
    ...                        rng=pair_rng(7, 1, 0))
    >>> bool(r.values[1, 0] == one.value)
    True
    """
    if isinstance(rng, np.random.Generator):
        raise TypeError("pair_rng needs the matrix's int seed or SeedSequence, not a Generator.")
    return np.random.default_rng(pair_seed(seed_root(rng), i, j))


# --------------------------------------------------------------------------- inputs


def _labelled(collection, name):
    """``(labels, items, names)`` of a dict (its keys) or a sequence (its indices)."""
    if isinstance(collection, Measure) or (
        isinstance(collection, np.ndarray) and collection.ndim < 2
    ):
        raise TypeError(
            f"{name} must be a list or dict of measures (or a 3-D array of sample sets), "
            f"got a single {type(collection).__name__}; wrap it in a list."
        )
    if isinstance(collection, np.ndarray) and collection.ndim == 2:
        rows, cols = collection.shape
        raise TypeError(
            f"{name} is a single {rows}x{cols} array, which would be read as {rows} sets of one "
            f"row each; pass a list of sample arrays [x1, x2, ...] (or a 3-D array of equal-size "
            f"sets), or list({name}) if each row really is a set of {cols} values on the line."
        )
    if isinstance(collection, Mapping):
        labels = tuple(collection.keys())
        items = [collection[key] for key in labels]
    else:
        try:
            items = list(collection)
        except TypeError:
            raise TypeError(
                f"{name} must be a list or dict of measures, got {type(collection).__name__}."
            ) from None
        labels = tuple(range(len(items)))
    if not items:
        raise InvalidMeasureError(f"{name} is empty; give at least one measure.")
    return labels, items, [f"{name}[{label!r}]" for label in labels]


def _validate(items, names):
    measures = []
    for item, name in zip(items, names):
        try:
            measures.append(as_measure(item, name))
        except (ValueError, TypeError) as exc:
            message = str(exc)
            if name not in message:
                message = f"{name}: {message}"
            raise type(exc)(message) from None
    return measures


def _check_dimensions(measures, names):
    reference = bins = None
    for measure, name in zip(measures, names):
        if measure.dim is None:
            # Histograms over abstract bins compare bin by bin: they need equally many.
            if bins is None:
                bins = (measure.size, name)
            elif measure.size != bins[0]:
                raise InvalidMeasureError(
                    f"{name} has {measure.size} bins, but {bins[1]} has {bins[0]}; histograms "
                    "without support points must all have the same bins (or give support=)."
                )
            continue
        if reference is None:
            reference = (measure.dim, name)
        elif measure.dim != reference[0]:
            raise InvalidMeasureError(
                f"{name} lives in dimension {measure.dim}, but {reference[1]} in dimension "
                f"{reference[0]}; every set must have points of the same dimension."
            )


def _fingerprint(measure):
    """A digest equal for measures that are identical (same type and same numbers)."""
    digest = hashlib.blake2b(type(measure).__name__.encode(), digest_size=16)
    if isinstance(measure, Samples):
        arrays = (measure.points, measure.weights)
    elif isinstance(measure, Histogram):
        arrays = (measure.probabilities,) + (() if measure.support is None else (measure.support,))
    elif isinstance(measure, Gaussian):
        arrays = (measure.mean, measure.cov)
    elif isinstance(measure, Uniform):
        arrays = (measure.low, measure.high)
    else:
        return ("object", id(measure))
    for array in arrays:
        digest.update(repr(array.shape).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _check_options(kind, workers, progress):
    from .registry import DIVERGENCES

    if kind not in DIVERGENCES:
        names = ", ".join(repr(name) for name in DIVERGENCES)
        raise MethodError(f"unknown divergence kind {kind!r}; choose one of {names}.")
    resolve_workers(workers)
    if not (progress is None or isinstance(progress, bool) or callable(progress)):
        raise TypeError(
            "progress must be None (a bar on long runs), True, False or a callable "
            f"progress(done, total); got {type(progress).__name__}."
        )


# --------------------------------------------------------------------------- progress


class _Progress:
    """Reports finished pairs to a tqdm bar, a callable, or nowhere."""

    def __init__(self, progress, total, estimated_seconds):
        self.callback = progress if callable(progress) and not isinstance(progress, bool) else None
        self.done = 0
        self.total = total
        self.bar = None
        long_run = estimated_seconds > _PROGRESS_AFTER_SECONDS
        show = progress is True or (progress is None and long_run)
        if show and self.callback is None:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # tqdm is an optional extra: no bar, no fuss
                return
            self.bar = tqdm(total=total, unit="pair", desc="pairwise", leave=False)

    def advance(self, count):
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
        if self.callback is not None:
            self.callback(self.done, self.total)

    def close(self):
        if self.bar is not None:
            self.bar.close()


# --------------------------------------------------------------------------- the work


def _identical_pairs(rows, cols, same, symmetric):
    """The pairs of the computed region whose measures are identical: 0 without a call.

    Found by grouping fingerprints, never by visiting the n-by-m pairs. The
    diagonal of a self-comparison is among them (a fingerprint equals itself),
    except for symmetric kinds, whose tiles never reach it.
    """
    row_prints = [_fingerprint(m) for m in rows]
    col_prints = row_prints if same else [_fingerprint(m) for m in cols]
    where = {}
    for j, digest in enumerate(col_prints):
        where.setdefault(digest, []).append(j)
    identical = set()
    for i, digest in enumerate(row_prints):
        for j in where.get(digest, ()):
            if not (symmetric and j <= i):
                identical.add((i, j))
    return identical


def _region_size(n, m, symmetric):
    """Pairs of the computed region: above the diagonal if symmetric, else all."""
    return n * (n - 1) // 2 if symmetric else n * m


def _probe(kind, options, root, rows, cols, shape, symmetric, identical, labels):
    """Compute up to two pairs here, timed: they size the tasks and catch bad options early."""
    chunks, seconds = [], []
    first_pairs = plan_tiles(*shape, symmetric=symmetric, pairs_per_task=1, skip=identical)
    for tile in first_pairs:
        for pair in tile.pairs():
            start = time.perf_counter()
            single = Tile(rows=(pair[0],), cols=(pair[1],))
            try:
                chunks.append(compute_tile(kind, options, root, single, [rows[pair[0]]],
                                           [cols[pair[1]]]))
            except Exception as exc:
                _name_pair(exc, labels, pair)
                raise
            seconds.append(time.perf_counter() - start)
            # The first call may include imports and compilation, hence a second probe,
            # unless this pair is slow enough that its tasks hold one pair anyway.
            if len(seconds) == 2 or seconds[-1] > _PROBE_AGAIN_BELOW_SECONDS:
                return chunks, seconds
    return chunks, seconds


def _name_pair(exc, labels, pair):
    i, j = pair
    if hasattr(exc, "add_note"):
        exc.add_note(f"(while computing the pair {labels[0][i]!r}, {labels[1][j]!r} of pairwise)")


def pairs_per_task(pair_seconds, n_pairs, slots, target):
    """How many pairs one task gets.

    Enough for ``target`` seconds of work, and enough that there are at most
    ``_MAX_TASKS`` tasks (the scheduler keeps state per task); but at least
    ``_TASKS_PER_SLOT`` tasks per worker thread when the matrix is small.
    """
    wanted = max(math.ceil(target / max(pair_seconds, 1e-6)), math.ceil(n_pairs / _MAX_TASKS))
    balanced = max(1, n_pairs // (_TASKS_PER_SLOT * max(slots, 1)))
    return max(1, min(wanted, balanced))


def _run_threads(kind, options, root, rows, cols, tiles, workers, sink, labels):
    """Run the tiles on a thread pool, at most ``4 * workers`` in flight; returns details."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    pending = iter(tiles)
    running, tasks, task_seconds = {}, 0, 0.0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pairwise") as pool:

        def refill():
            nonlocal tasks
            while len(running) < _TASKS_PER_SLOT * workers:
                tile = next(pending, None)
                if tile is None:
                    return
                rows_here = [rows[i] for i in tile.rows]
                future = pool.submit(compute_tile, kind, options, root, tile, rows_here,
                                     [cols[j] for j in tile.cols])
                running[future] = tile
                tasks += 1

        refill()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                tile = running.pop(future)
                try:
                    chunk = future.result()
                except BaseException as exc:
                    for other in running:
                        other.cancel()
                    _name_pair(exc, labels, getattr(exc, "pair", next(tile.pairs())))
                    raise
                task_seconds += chunk["seconds"]
                sink(chunk)
            refill()
    return {"backend": "threads", "workers": workers, "tasks": tasks,
            "task_seconds": task_seconds}


class _Assembly:
    """The matrix, filled in as tile results arrive (in any order)."""

    def __init__(self, shape, mirror, any_identical, report):
        self.values = np.zeros(shape)
        self.stderrs = np.zeros(shape)
        self.converged = np.ones(shape, dtype=bool)
        self.codes = np.zeros(shape, dtype=np.int8)
        self.methods = {IDENTICAL: 0} if any_identical else {}
        self.units = set()
        self.mirror = mirror
        self.report = report

    def __call__(self, chunk):
        lookup = np.array([self.methods.setdefault(name, len(self.methods))
                           for name in chunk["methods"]], dtype=np.int8)
        cells = [(chunk["i"], chunk["j"])] + ([(chunk["j"], chunk["i"])] if self.mirror else [])
        for cell in cells:
            self.values[cell] = chunk["value"]
            self.stderrs[cell] = chunk["stderr"]
            self.converged[cell] = chunk["converged"]
            if len(lookup):
                self.codes[cell] = lookup[chunk["code"]]
        self.units.update(chunk["units"])
        if self.report is not None:
            self.report.advance(len(chunk["value"]))

    def fields(self, kind, labels, options):
        computed = [name for name in self.methods if name != IDENTICAL]
        if len(self.units) > 1:  # cannot happen for one kind and one base; guard it anyway
            raise RuntimeError(
                f"pairwise {kind}: pairs came back in different units {sorted(self.units)}"
            )
        unit = next(iter(self.units)) if self.units else _unit_without_calls(kind, options)
        if not self.converged.all():
            stuck = np.argwhere(~self.converged)
            i, j = stuck[0]
            warnings.warn(
                f"pairwise {kind}: {len(stuck)} pair(s) did not converge, first "
                f"({labels[0][i]!r}, {labels[1][j]!r}); see result.converged.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return dict(
            values=self.values,
            stderrs=self.stderrs,
            kind=kind,
            method=computed[0] if len(computed) == 1 else ("mixed" if computed else IDENTICAL),
            methods=tuple(self.methods),
            method_codes=self.codes,
            unit=unit,
            converged=self.converged,
        )


def _unit_without_calls(kind, options):
    # Every pair was identical: no call told us the unit, so derive it as the functions do.
    from .results import _unit_name

    if kind in ("wasserstein", "sinkhorn", "energy_distance"):
        return "distance"
    if kind == "mmd":
        from .kernel_distances import kernel_unit

        return kernel_unit(options.get("kernel", "gaussian"), options.get("squared", True))
    return _unit_name(options.get("base"))


def pairwise(measures, others=None, /, *, kind="wasserstein", client=None, progress=None,
             workers=None, **options):
    """The matrix of a divergence between every set and every other.

    Parameters
    ----------
    measures : list or dict of (Measure, array_like or frozen scipy.stats distribution)
        The sets to compare; a dict's keys (a list's indices) label the rows and
        columns. Every set is validated before any work starts: a bad one
        raises an error that names its label.
    others : list or dict, optional
        Compare every set of ``measures`` (rows) with every set of ``others``
        (columns), an n-by-m matrix; by default ``measures`` with itself.
    kind : str, optional
        The divergence, by the names :func:`divergences.divergence` takes:
        ``"wasserstein"`` (default), ``"kl"``, ``"js"``, ``"js_distance"``,
        ``"sinkhorn"``, ``"energy_distance"``, ``"mmd"``. For the symmetric ones
        (all but ``"kl"``), comparing a
        list with itself computes each unordered pair once; KL computes both
        directions.
    client : dask.distributed.Client, str or None, optional
        Where to run. ``None`` (default): a thread pool in this process. A
        ``Client``: its cluster. A scheduler address (``"tcp://host:8786"``):
        a client is opened on it and closed afterwards. ``"local"``: a
        ``LocalCluster`` sized to this machine is started and closed
        afterwards. Needs ``pip install divergences[distributed]``.
    progress : bool, callable or None, optional
        ``None`` (default): a tqdm bar when the run is estimated to take more
        than 10 s (and tqdm is installed); ``True``: always; ``False``: never;
        a callable: called as ``progress(done, total)`` (pairs) as tasks finish.
    workers : int, optional
        Threads of the in-process pool: ``None`` (default) the library's setting
        (:func:`divergences.get_threads`, every core unless set), ``-1`` every
        core, or a positive count. Each pair then runs single-threaded (inside
        ``dv.threads(1)``, unless ``options`` name ``workers`` for the method),
        since the parallelism is across pairs.
    **options
        Passed to every call (``method=``, ``order=``, ``base=``, ``k=``,
        ``eps=``, ...). ``rng=`` (an int seed, SeedSequence or Generator) is
        not passed as is: each pair gets its own stream (:func:`pair_rng`),
        so the matrix does not depend on where or in which order pairs run.

    Returns
    -------
    PairwiseResult
        The values (n-by-m), standard errors, methods, labels and how the work
        ran. Pairs of identical measures (the diagonal; any set given twice)
        are 0 exactly, without a call, and their method is ``"identical"``.

    Raises
    ------
    InvalidMeasureError
        For a set that is not a valid measure (named by its label), or sets of
        different dimensions.
    MethodError, TypeError
        For an unknown kind, method or option; raised by the first pair,
        computed here before anything is sent to a cluster.

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> rng = np.random.default_rng(0)
    >>> days = {f"day{d}": rng.normal(0.1 * d, 1.0, size=(200, 2)) for d in range(4)}
    >>> r = dv.pairwise(days, kind="wasserstein")
    >>> r.shape, r.method, r.labels[-1]
    ((4, 4), 'exact', 'day3')
    >>> bool(np.all(r.values == r.values.T)), float(r.values[0, 0])
    (True, 0.0)
    >>> drift = dv.pairwise(days, {"reference": days["day0"]}, kind="js")
    >>> drift.shape, drift.other_labels, float(drift["day0", "reference"])
    ((4, 1), ('reference',), 0.0)
    """
    _check_options(kind, workers, progress)
    row_labels, row_items, row_names = _labelled(measures, "measures")
    same = others is None or others is measures
    if same:
        col_labels, col_items, col_names = row_labels, row_items, row_names
    else:
        col_labels, col_items, col_names = _labelled(others, "others")
    rows = _validate(row_items, row_names)
    cols = rows if same else _validate(col_items, col_names)
    _check_dimensions(rows + ([] if same else cols), row_names + ([] if same else col_names))
    root = seed_root(options.pop("rng", None))
    symmetric = same and kind in SYMMETRIC_KINDS
    labels = (row_labels, col_labels)
    shape = (len(rows), len(cols))
    identical = _identical_pairs(rows, cols, same, symmetric)
    n_pairs = _region_size(*shape, symmetric) - len(identical)

    start = time.perf_counter()
    probed, probe_times = _probe(kind, options, root, rows, cols, shape, symmetric, identical,
                                 labels)
    pair_seconds = min(probe_times, default=0.0)
    remaining = n_pairs - len(probed)
    skip = frozenset(identical.union((int(c["i"][0]), int(c["j"][0])) for c in probed))
    details = {"pairs_computed": n_pairs, "probe_seconds_per_pair": pair_seconds,
               "probe_seconds": sum(probe_times)}
    assembly = _Assembly(shape, symmetric, bool(identical) or same, None)
    for chunk in probed:
        assembly(chunk)

    def plan(slots, target):
        """The tiles and the progress report, once the number of worker threads is known."""
        per_task = pairs_per_task(pair_seconds, remaining, slots, target)
        details["pairs_per_task"] = per_task
        assembly.report = _Progress(progress, n_pairs, pair_seconds * n_pairs / slots)
        assembly.report.advance(len(probed))
        return plan_tiles(*shape, symmetric=symmetric, pairs_per_task=per_task, skip=skip)

    try:
        if remaining == 0:  # the probes did it all: nothing to send anywhere
            ran = {"backend": "probes only", "tasks": 0, "task_seconds": 0.0}
            details["pairs_per_task"] = 1
        elif client is None:
            slots = resolve_workers(workers)
            tiles = plan(slots, _THREAD_TASK_SECONDS)
            ran = _run_threads(kind, options, root, rows, cols, tiles, slots, assembly, labels)
        else:
            from ._pairwise_dask import run_on_cluster

            ran = run_on_cluster(client, kind, options, root, rows, cols, same, plan,
                                 _CLUSTER_TASK_SECONDS, assembly, labels)
    finally:
        if assembly.report is not None:
            assembly.report.close()
    details.update(ran, wall_seconds=time.perf_counter() - start)
    fields = assembly.fields(kind, labels, options)
    return PairwiseResult(**fields, labels=row_labels, other_labels=col_labels,
                          symmetric=symmetric, details=details)
