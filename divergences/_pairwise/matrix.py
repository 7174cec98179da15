"""Matrices of divergences: every set against every other, in-process or on a cluster.

:func:`pairwise` validates every measure first, computes each needed pair
once -- one direction for the symmetric divergences (their registry record
says which), both for KL -- and assembles a :class:`PairwiseResult`. The
pairs run on a backend (:mod:`divergences._pairwise.backends`): a thread pool
of this process by default, or a dask.distributed cluster with ``client=``
(:mod:`divergences._pairwise.cluster`).

Task size. Two probe pairs are computed here first and timed (the first call
may include imports and Numba compilation, hence two); with ``t`` the faster,
a task gets ``k = ceil(target / t)`` pairs (the backend's ``target``: 0.1 s on
a cluster, where one task costs the scheduler about a millisecond, and 10 ms
on threads), but never so many that there would be fewer than four
tasks per worker thread (load balance wins over overhead when the whole
matrix is small). Tasks are square tiles of the matrix, ``b = sqrt(k)`` on a
side: such a task does ``b^2`` pairs with ``2b`` measures.

Reproducibility. With ``rng=``, pair ``(i, j)`` draws from its own stream
``SeedSequence(root, spawn_key=(i, j))`` (see :func:`divergences.pair_rng`):
the same seed gives the same matrix whatever the backend, the number of
workers, the tiling or the order in which tasks finish.
"""

import hashlib
import math
import time
import warnings
from collections.abc import Mapping

import numpy as np

from .._multiple_testing import CORRECTIONS, adjust_pvalues
from .._progress import CountProgress, check_progress
from .._threads import resolve_workers
from .._validation import check_choice
from ..exceptions import ConvergenceWarning, InvalidMeasureError, MethodError
from ..measures import Gaussian, Histogram, Measure, Samples, Uniform, as_measure
from ..registry import divergence_info
from .backends import ThreadBackend, Work
from .result import IDENTICAL, PairwiseResult
from .tasks import TASKS_PER_SLOT, Tile, compute_tile, name_pair, plan_tiles, seed_root

__all__ = ["pairwise", "pairs_per_task"]

_PROGRESS_AFTER_SECONDS = 10.0
_PROBE_AGAIN_BELOW_SECONDS = 30.0
# Tasks a matrix is cut into at most: the scheduler keeps ~1 KB of state per task.
_MAX_TASKS = 100_000


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
    """The record of ``kind``; errors for a bad kind, ``workers`` or ``progress`` first."""
    info = divergence_info(kind)
    resolve_workers(workers)
    check_progress(progress, "None (a bar on long runs), True, False or a callable "
                   "progress(done, total)")
    return info


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


def _probe(work, shape, symmetric, identical):
    """Compute up to two pairs here, timed: they size the tasks and catch bad options early."""
    chunks, seconds = [], []
    first_pairs = plan_tiles(*shape, symmetric=symmetric, pairs_per_task=1, skip=identical)
    for tile in first_pairs:
        for pair in tile.pairs():
            start = time.perf_counter()
            single = Tile(rows=(pair[0],), cols=(pair[1],))
            try:
                chunks.append(compute_tile(work.kind, work.options, work.root, single,
                                           [work.rows[pair[0]]], [work.cols[pair[1]]],
                                           test=work.test))
            except Exception as exc:
                name_pair(exc, work.labels, pair)
                raise
            seconds.append(time.perf_counter() - start)
            # The first call may include imports and compilation, hence a second probe,
            # unless this pair is slow enough that its tasks hold one pair anyway.
            if len(seconds) == 2 or seconds[-1] > _PROBE_AGAIN_BELOW_SECONDS:
                return chunks, seconds
    return chunks, seconds


def pairs_per_task(pair_seconds, n_pairs, slots, target):
    """How many pairs one task gets.

    Enough for ``target`` seconds of work, and enough that there are at most
    ``_MAX_TASKS`` tasks (the scheduler keeps state per task); but at least
    ``TASKS_PER_SLOT`` tasks per worker thread when the matrix is small.
    """
    wanted = max(math.ceil(target / max(pair_seconds, 1e-6)), math.ceil(n_pairs / _MAX_TASKS))
    balanced = max(1, n_pairs // (TASKS_PER_SLOT * max(slots, 1)))
    return max(1, min(wanted, balanced))


class _Assembly:
    """The matrix, filled in as tile results arrive (in any order)."""

    def __init__(self, shape, mirror, any_identical, report):
        self.values = np.zeros(shape)
        self.stderrs = np.zeros(shape)
        self.converged = np.ones(shape, dtype=bool)
        self.codes = np.zeros(shape, dtype=np.int8)
        # p-values of the tests (identical measures: 1, no split of theirs is less alike).
        self.pvalues = np.ones(shape)
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
            self.pvalues[cell] = chunk["pvalue"]
            if len(lookup):
                self.codes[cell] = lookup[chunk["code"]]
        self.units.update(chunk["units"])
        if self.report is not None:
            self.report.advance(len(chunk["value"]))

    def fields(self, info, labels, options):
        kind = info.name
        computed = [name for name in self.methods if name != IDENTICAL]
        if len(self.units) > 1:  # cannot happen for one kind and one base; guard it anyway
            raise RuntimeError(
                f"pairwise {kind}: pairs came back in different units {sorted(self.units)}"
            )
        # Every pair identical: no call told the unit, so the record says it.
        unit = next(iter(self.units)) if self.units else info.unit_for(options)
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


def _backend(client, workers):
    """The backend of a call: threads of this process, or a dask cluster for ``client=``."""
    if client is None:
        return ThreadBackend(resolve_workers(workers))
    from .cluster import ClusterBackend  # imports dask: only when asked for

    return ClusterBackend(client)


def pairwise(measures, others=None, /, *, kind="wasserstein", client=None, progress=None,
             workers=None, test=False, correction="holm", **options):
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
    test : bool, optional
        Also test P = Q for every pair (default False): each pair is then
        :func:`divergences.two_sample_test` with the divergence as its
        statistic (``n_permutations=`` and ``standardize=`` pass through with
        the divergence's options), and the result holds ``pvalues`` and
        ``adjusted_pvalues``. Needs sample sets. ``standardize`` defaults to
        ``"none"`` here, unlike in :func:`~divergences.two_sample_test`: each
        pair's test would standardise by its own pooled sample, and the
        matrix's values, the tests' statistics, would no longer be comparable
        across pairs; pass ``standardize="whiten"`` for tests that no change of
        units or correlated features can sway, at that price.
    correction : {"holm", "bonferroni", "fdr_bh", "none"}, optional
        How ``adjusted_pvalues`` allow for testing many pairs at once
        (:mod:`divergences._multiple_testing`): ``"holm"`` (default) keeps the
        chance of any false rejection below alpha under any dependence between
        the tests; ``"fdr_bh"`` (Benjamini--Hochberg) the expected share of false
        rejections; ``"bonferroni"``; ``"none"``. The family is the distinct
        pairs computed: each unordered pair once for a symmetric divergence of a
        list with itself, every ordered pair otherwise. Pairs of identical
        measures (the diagonal of a list with itself) are not tested: their
        p-value is 1, outside the family.
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

    Which days differ from the first? A permutation test per pair, Holm's
    correction over the three tested days:

    >>> tested = dv.pairwise(days, {"day0": days["day0"]}, kind="energy_distance",
    ...                      test=True, n_permutations=199, rng=0)
    >>> tested.adjusted_pvalues[:, 0].round(3).tolist()
    [1.0, 0.225, 0.02, 0.015]
    >>> tested.significant(0.05)[:, 0].tolist()
    [False, False, True, True]
    """
    info = _check_options(kind, workers, progress)
    if not isinstance(test, bool):
        raise TypeError(f"test must be True or False, got {test!r}.")
    correction = check_choice(correction, CORRECTIONS, "correction")
    if not test and correction != "holm":
        raise MethodError(f"correction={correction!r} applies to p-values: pass test=True too.")
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
    if test:
        # Each pair's test would otherwise whiten by its own pooled sample, and the
        # matrix entries would be on as many scales as there are pairs.
        options.setdefault("standardize", "none")
    symmetric = same and info.symmetric
    labels = (row_labels, col_labels)
    shape = (len(rows), len(cols))
    identical = _identical_pairs(rows, cols, same, symmetric)
    n_pairs = _region_size(*shape, symmetric) - len(identical)

    start = time.perf_counter()
    work = Work(kind=kind, options=options, root=root, rows=rows, cols=cols, same=same,
                labels=labels, test=test)
    probed, probe_times = _probe(work, shape, symmetric, identical)
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
        long_run = pair_seconds * n_pairs / slots > _PROGRESS_AFTER_SECONDS
        assembly.report = CountProgress(progress, n_pairs, desc="pairwise", unit="pair",
                                        show=long_run)
        assembly.report.advance(len(probed))
        return plan_tiles(*shape, symmetric=symmetric, pairs_per_task=per_task, skip=skip)

    try:
        if remaining == 0:  # the probes did it all: nothing to send anywhere
            ran = {"backend": "probes only", "tasks": 0, "task_seconds": 0.0}
            details["pairs_per_task"] = 1
        else:
            ran = _backend(client, workers).run(work, plan, assembly)
    finally:
        if assembly.report is not None:
            assembly.report.close()
    details.update(ran, wall_seconds=time.perf_counter() - start)
    fields = assembly.fields(info, labels, options)
    if test:
        fields.update(_tested(assembly.pvalues, same, symmetric, identical, correction))
    return PairwiseResult(**fields, labels=row_labels, other_labels=col_labels,
                          symmetric=symmetric, details=details)


def _tested(pvalues, same, symmetric, identical, correction):
    """The raw and the adjusted p-values of the tested pairs, and the correction's name.

    The family is the computed region less the pairs of identical measures,
    which were not tested (their p-value is 1).
    """
    family = np.ones(pvalues.shape, dtype=bool)
    if same:
        family = np.triu(family, 1) if symmetric else ~np.eye(len(pvalues), dtype=bool)
    for cell in identical:
        family[cell] = False
    adjusted = np.ones(pvalues.shape)
    adjusted[family] = adjust_pvalues(pvalues[family], correction)
    if symmetric:
        adjusted = np.triu(adjusted, 1)
        adjusted = adjusted + adjusted.T + np.eye(len(adjusted))
    return {"pvalues": pvalues, "adjusted_pvalues": adjusted, "correction": correction}
