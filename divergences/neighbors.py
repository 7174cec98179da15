"""k-nearest-neighbour queries used by the sample estimators.

Every query here follows one rule for ties and duplicate points, which the
estimators document and rely on:

    **neighbours at distance zero are skipped.** The k-th neighbour of a point
    is its k-th nearest neighbour *at positive distance*; the point itself and
    any exact copies of it (in either sample) are ignored.

Rounded data make exact duplicates common; without the rule a duplicate gives
a zero distance and the estimators a ``log 0``. With it every distance used
is positive, so every estimate is finite. A point that has fewer than ``k``
neighbours at positive distance (say, a sample of only a few distinct values)
cannot be handled and raises :class:`~divergences.exceptions.InvalidMeasureError`
naming ``k``.

Two engines answer the queries, chosen by dimension in :func:`build_tree`:
the Numba k-d tree of :mod:`divergences._kernels.kdtree` for ``d`` in
:data:`NUMBA_DIMENSIONS` (1 to 10, where ``benchmarks/bench_knn.py`` measures
it faster), and :class:`scipy.spatial.cKDTree` above. They return the same
distances bit for bit -- the kernel sums squared coordinate differences in
cKDTree's grouping -- so the dispatch never changes a result; indices can
differ only between neighbours at exactly the same distance.

Every query takes ``workers`` -- ``None`` (the default): the library's thread
setting, :func:`divergences.get_threads`; ``-1``: all cores; or a positive count;
the Numba kernels release the GIL and run on a thread pool -- and an optional
processing ``order``:
queries taken in a tree's leaf order (``tree.indices``) visit the same leaves
one after another, which keeps them in cache; on either engine that is worth
up to a factor of two over random order.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._threads import resolve_workers
from .exceptions import InvalidMeasureError

__all__ = [
    "NUMBA_DIMENSIONS",
    "KDTree",
    "build_tree",
    "nearest_positive",
    "neighbor_columns",
    "kth_neighbor_distance",
    "neighbors_within",
    "unit_ball_log_volume",
    "safe_scale",
]

#: Dimensions answered by the Numba tree (the rest by scipy's cKDTree); from the
#: "neighbour search by dimension" table of benchmarks/bench_knn.py.
NUMBA_DIMENSIONS = range(1, 11)


class KDTree:
    """The Numba k-d tree over ``points`` of shape ``(n, d)`` (float64, C-contiguous).

    Built with ``workers`` threads (``None``: :func:`divergences.get_threads`,
    ``-1``: all cores); see
    :mod:`divergences._kernels.kdtree` for the layout.

    Attributes
    ----------
    n, m : int
        Number of points and dimension (cKDTree's names).
    indices : ndarray of int, shape (n,)
        The points in leaf order: a good order in which to query them.
    """

    engine = "numba"

    def __init__(self, points, *, leaf_size=None, workers=None):
        from ._kernels import kdtree

        self.n, self.m = points.shape
        size = kdtree.LEAF_SIZE if leaf_size is None else int(leaf_size)
        work, order, start, end, lower, upper, levels = kdtree.prepare(points, size)
        threads = _thread_count(workers, self.n)

        def split(first, last):
            kdtree.split_nodes(work, order, lower, upper, start, end, first, last)

        if threads == 1:
            for level in range(levels - 1):
                split(2**level - 1, 2 ** (level + 1) - 1)
        else:
            with ThreadPoolExecutor(threads) as pool:
                for level in range(levels - 1):
                    first, last = 2**level - 1, 2 ** (level + 1) - 1
                    # The nodes of a level own disjoint rows: split them across threads.
                    bounds = np.linspace(first, last, min(threads, last - first) + 1).astype(int)
                    list(pool.map(split, bounds[:-1], bounds[1:]))
        points_t = kdtree.finish(work, start, end, lower, upper, levels)
        self._arrays = (points_t, order, start, end, lower, upper, 2 ** (levels - 1) - 1)
        self.indices = order


def build_tree(points, *, engine=None, workers=None):
    """A k-d tree over ``points`` of shape ``(n, d)`` (float64, C-contiguous).

    ``engine``: ``"numba"`` (:class:`KDTree`, built with ``workers`` threads),
    ``"scipy"`` (cKDTree) or ``None``, which picks by dimension
    (:data:`NUMBA_DIMENSIONS`).
    """
    resolve_workers(workers)  # every estimator builds a tree first: a bad value fails here
    if engine is None:
        engine = "numba" if points.shape[1] in NUMBA_DIMENSIONS else "scipy"
    if engine == "numba":
        return KDTree(points, workers=workers)
    from scipy.spatial import cKDTree

    # balanced_tree=False builds several times faster on large sets and queries as fast.
    return cKDTree(points, balanced_tree=False, compact_nodes=False)


# Below this many points a thread pool costs more than it saves.
_PARALLEL_FROM = 4096


def _thread_count(workers, size):
    """Threads for ``size`` points: ``workers`` resolved, or 1 below ``_PARALLEL_FROM``."""
    threads = resolve_workers(workers)
    return threads if size >= _PARALLEL_FROM else 1


def _in_threads(run, order, workers):
    """``run(chunk)`` over contiguous chunks of ``order``, on ``workers`` threads."""
    threads = _thread_count(workers, order.shape[0])
    if threads == 1:
        run(order)
        return
    # A few chunks per thread even out the load; each stays contiguous in leaf order.
    chunks = np.array_split(order, 4 * threads)
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, chunks))


def _query(tree, points, k, workers):
    distances, indices = tree.query(points, k=k, workers=_thread_count(workers, len(points)))
    return distances.reshape(points.shape[0], k), indices.reshape(points.shape[0], k)


def _too_few(k, name, point, found):
    return InvalidMeasureError(
        f"k={k} is too large for {name}: point {point} has only {found} neighbours at "
        "positive distance (neighbours at distance 0 are skipped: exact duplicates, or points "
        "so much closer than the data's range that their squared distance underflows). Use a "
        "smaller k, or add noise of the order of the rounding to the data."
    )


def _order(order, n):
    return np.arange(n) if order is None else np.asarray(order)


def neighbor_columns(tree, points, k, *, distances=None, indices=None, required=None, name="p",
                     workers=None, order=None):
    """Selected columns of the ``k`` nearest tree points at positive distance.

    What the estimators need without materialising the rest: the *last*
    ``distances`` columns of the ``k`` ascending distances (default all) and the
    tree indices of the *first* ``indices`` neighbours (default all).

    Parameters
    ----------
    tree, points, k, name, workers
        As in :func:`nearest_positive`.
    distances, indices : int, optional
        How many columns of each to return.
    required : int, optional
        Only the first ``required`` neighbours must exist (default ``k``);
        where a point has fewer than ``k`` at positive distance, the missing
        distances are ``inf`` and indices ``-1``.
    order : array of int, optional
        The order in which to process the points (a permutation of their rows,
        e.g. ``tree.indices`` when ``tree`` was built on ``points``); the
        results are in the rows' own order either way.

    Returns
    -------
    distances : ndarray, shape (n, distances)
    indices : ndarray of int, shape (n, indices)

    Raises
    ------
    InvalidMeasureError
        If some point has fewer than ``required`` tree points at positive distance.
    """
    n = points.shape[0]
    n_dist = k if distances is None else distances
    n_index = k if indices is None else indices
    required = k if required is None else required
    if getattr(tree, "engine", None) == "numba":
        from ._kernels import kdtree

        out_d = np.empty((n, n_dist))
        # int32 indices halve the memory of the jackknife's index table.
        out_i = np.empty((n, n_index), dtype=np.int32 if tree.n < 2**31 else np.int64)
        _in_threads(lambda chunk: kdtree.k_nearest(*tree._arrays, points, chunk, k, out_d, out_i),
                    _order(order, n), workers)
        # The kernel leaves inf where a point has too few neighbours; the required-th
        # neighbour's distance must then be among the columns kept.
        column = n_dist - (k - required) - 1
        if column < 0:
            raise ValueError("neighbor_columns: keep the required-th distance column.")
        short = np.isinf(out_d[:, column])
        if short.any():
            worst = int(np.flatnonzero(short)[0])
            full_d = np.empty((1, k))
            kdtree.k_nearest(*tree._arrays, points[worst:worst + 1], np.zeros(1, np.int64), k,
                             full_d, out_i[:1, :0])
            raise _too_few(required, name, worst, int(np.isfinite(full_d).sum()))
        return out_d, out_i
    if required < k:
        try:
            out_d, out_i = nearest_positive(tree, points, k, name=name, workers=workers,
                                            order=order)
        except InvalidMeasureError:
            out_d, out_i = nearest_positive(tree, points, required, name=name, workers=workers,
                                            order=order)
            out_d = np.hstack([out_d, np.full((n, k - required), np.inf)])
            out_i = np.hstack([out_i, np.full((n, k - required), -1, dtype=out_i.dtype)])
    else:
        out_d, out_i = nearest_positive(tree, points, k, name=name, workers=workers, order=order)
    return out_d[:, k - n_dist:], out_i[:, :n_index]


def nearest_positive(tree, points, k, *, name="p", workers=None, order=None):
    """The ``k`` nearest tree points at positive distance from each of ``points``.

    Parameters
    ----------
    tree : KDTree or cKDTree
        Built by :func:`build_tree`; may be built on ``points`` themselves
        (each point then skips itself, being at distance zero).
    points : ndarray, shape (n, d)
    k : int
        How many neighbours, among tree points at positive distance.
    name : str
        The sample's name, for the error message.
    workers : int or None
        Threads for the query (``None``: :func:`divergences.get_threads`; ``-1``:
        all cores).
    order : array of int, optional
        The order in which to process the points (see :func:`neighbor_columns`).

    Returns
    -------
    distances : ndarray, shape (n, k)
        Positive, ascending along each row.
    indices : ndarray of int, shape (n, k)
        The neighbours' rows in the tree's data.

    Raises
    ------
    InvalidMeasureError
        If some point has fewer than ``k`` tree points at positive distance.
    """
    if getattr(tree, "engine", None) == "numba":
        return neighbor_columns(tree, points, k, name=name, workers=workers, order=order)
    if order is not None:
        # cKDTree takes queries in the order given: hand them over in ``order``, put back after.
        order = np.asarray(order)
        distances, indices = nearest_positive(tree, points[order], k, name=name,
                                              workers=workers)
        out_d, out_i = np.empty_like(distances), np.empty_like(indices)
        out_d[order], out_i[order] = distances, indices
        return out_d, out_i
    size = tree.n
    n = points.shape[0]
    out_distances = np.empty((n, k))
    out_indices = np.empty((n, k), dtype=np.int64)
    # One extra neighbour covers the usual zero: the point itself when tree holds it.
    budget = min(k + 1, size)
    distances, indices = _query(tree, points, budget, workers)
    pending = np.arange(n)
    columns = np.arange(k)
    while True:
        zeros = np.count_nonzero(distances == 0.0, axis=1)
        enough = zeros + k <= budget
        rows = np.flatnonzero(enough)
        take = zeros[rows, None] + columns
        out_distances[pending[rows]] = distances[rows[:, None], take]
        out_indices[pending[rows]] = indices[rows[:, None], take]
        pending = pending[~enough]
        if pending.size == 0:
            return out_distances, out_indices
        if budget == size:
            raise _too_few(k, name, int(pending[0]), size - int(zeros[~enough][0]))
        # Duplicates ate the budget for these rows: ask again for enough to pass them.
        budget = min(max(2 * budget, int(zeros[~enough].max()) + k), size)
        distances, indices = _query(tree, points[pending], budget, workers)


def kth_neighbor_distance(tree, points, k, *, name="p", workers=None, order=None):
    """Distance from each of ``points`` to its k-th nearest tree point at positive distance.

    See :func:`nearest_positive` for the parameters and errors.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [0.0], [1.0], [3.0]])
    >>> kth_neighbor_distance(build_tree(x), x, 1).tolist()
    [1.0, 1.0, 1.0, 2.0]
    """
    return neighbor_columns(tree, points, k, distances=1, indices=0, name=name, workers=workers,
                            order=order)[0][:, 0]


def neighbors_within(tree, points, radius, start, *, workers=None, order=None):
    """Count the tree points at positive distance ``<= radius`` and the farthest of them.

    Parameters
    ----------
    tree : KDTree or cKDTree
    points : ndarray, shape (n, d)
    radius : ndarray, shape (n,)
        One radius per point.
    start : int
        A first guess of the largest count (cKDTree's k-query doubles it as
        needed; the Numba tree counts directly and ignores it).
    workers : int
    order : array of int, optional
        The order in which the Numba tree processes the points (see
        :func:`neighbor_columns`); cKDTree ignores it.

    Returns
    -------
    counts : ndarray of int, shape (n,)
    farthest : ndarray, shape (n,)
        Distance of the farthest counted point (``0`` where the count is 0).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [2.0], [4.0]])
    >>> counts, far = neighbors_within(build_tree(x), x[:1], np.array([2.5]), 1)
    >>> counts.tolist(), far.tolist()
    ([2], [2.0])
    """
    size = tree.n
    counts = np.empty(points.shape[0], dtype=np.int64)
    farthest = np.empty(points.shape[0])
    if getattr(tree, "engine", None) == "numba":
        from ._kernels import kdtree

        points_t, _, start_, end_, lower, upper, first_leaf = tree._arrays
        radius = np.ascontiguousarray(radius, dtype=np.float64)
        _in_threads(lambda chunk: kdtree.count_within(points_t, start_, end_, lower, upper,
                                                      first_leaf, points, chunk, radius, counts,
                                                      farthest),
                    _order(order, points.shape[0]), workers)
        return counts, farthest
    pending = np.arange(points.shape[0])
    budget = min(max(int(start), 1), size)
    while pending.size:
        distances = _query(tree, points[pending], budget, workers)[0]
        inside = (distances > 0.0) & (distances <= radius[pending, None])
        # The query may stop inside the ball only when the budget ran out.
        done = (distances[:, -1] > radius[pending]) | (budget == size)
        found = np.count_nonzero(inside, axis=1)
        counts[pending[done]] = found[done]
        last = np.where(inside, distances, 0.0).max(axis=1)
        farthest[pending[done]] = last[done]
        pending = pending[~done]
        budget = min(2 * budget, size)
    return counts, farthest


def unit_ball_log_volume(d):
    """``log`` of the volume of the Euclidean unit ball in ``d`` dimensions.

    Examples
    --------
    >>> import math
    >>> round(math.exp(unit_ball_log_volume(2)), 12) == round(math.pi, 12)
    True
    """
    from scipy.special import gammaln

    return 0.5 * d * np.log(np.pi) - gammaln(0.5 * d + 1.0)


# ----------------------------------------------------------------------------- scale
# The trees compare squared distances: coordinates beyond ~1e154 overflow them and
# differences below ~1e-154 underflow. Between these exponents nothing is lost.
_SAFE_EXPONENTS = (-450, 450)


def safe_scale(*point_sets):
    """The point sets divided by one power of two when their magnitude endangers squared distances.

    Data at 1e200 (or 1e-300) have squared distances that overflow (or
    underflow) float64, and every neighbour then looks like a duplicate. The
    ratio and count estimators (k-NN KL and JS between two samples) are
    invariant under one common scaling, so dividing all sets by the same power
    of two -- exact in binary floating point -- removes the problem without
    changing the estimate. Sets whose largest coordinate has its binary
    exponent within ``_SAFE_EXPONENTS`` are returned as they are (bit for bit
    the same estimates). Not for estimators that compare with a density
    (``log q`` is not scale-invariant).

    Returns
    -------
    tuple of ndarray
        The sets, all divided by the same ``2^e``.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = safe_scale(np.array([[1e200], [3e200]]), np.array([[2e200]]))
    >>> np.vstack([x, y])[:, 0].tolist() == (np.array([1e200, 3e200, 2e200]) / 2.0**666).tolist()
    True
    """
    largest = max(float(np.abs(points).max()) for points in point_sets)
    if largest == 0.0:
        return point_sets
    exponent = np.frexp(largest)[1]
    if _SAFE_EXPONENTS[0] <= exponent <= _SAFE_EXPONENTS[1]:
        return point_sets
    return tuple(np.ascontiguousarray(np.ldexp(points, -exponent)) for points in point_sets)
