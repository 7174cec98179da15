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

The queries use :class:`scipy.spatial.cKDTree` with ``workers=-1`` (all
cores); ``benchmarks/bench_knn.py`` compares it with alternatives.
"""

import numpy as np

from .exceptions import InvalidMeasureError

__all__ = [
    "build_tree",
    "nearest_positive",
    "kth_neighbor_distance",
    "neighbors_within",
    "unit_ball_log_volume",
]


def build_tree(points):
    """A k-d tree over ``points`` of shape ``(n, d)`` (float64, C-contiguous)."""
    from scipy.spatial import cKDTree

    # balanced_tree=False builds several times faster on large sets and queries as fast.
    return cKDTree(points, balanced_tree=False, compact_nodes=False)


def _query(tree, points, k, workers):
    distances, indices = tree.query(points, k=k, workers=workers)
    return distances.reshape(points.shape[0], k), indices.reshape(points.shape[0], k)


def nearest_positive(tree, points, k, *, name="p", workers=-1):
    """The ``k`` nearest tree points at positive distance from each of ``points``.

    Parameters
    ----------
    tree : cKDTree
        Built by :func:`build_tree`; may be built on ``points`` themselves
        (each point then skips itself, being at distance zero).
    points : ndarray, shape (n, d)
    k : int
        How many neighbours, among tree points at positive distance.
    name : str
        The sample's name, for the error message.
    workers : int
        Threads for the query (``-1``: all cores).

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
            worst = int(pending[0])
            raise InvalidMeasureError(
                f"k={k} is too large for {name}: point {worst} has only "
                f"{size - int(zeros[~enough][0])} neighbours at positive distance (duplicates "
                "are skipped). Use a smaller k, or add noise of the order of the rounding "
                "to the data."
            )
        # Duplicates ate the budget for these rows: ask again for enough to pass them.
        budget = min(max(2 * budget, int(zeros[~enough].max()) + k), size)
        distances, indices = _query(tree, points[pending], budget, workers)


def kth_neighbor_distance(tree, points, k, *, name="p", workers=-1):
    """Distance from each of ``points`` to its k-th nearest tree point at positive distance.

    See :func:`nearest_positive` for the parameters and errors.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [0.0], [1.0], [3.0]])
    >>> kth_neighbor_distance(build_tree(x), x, 1).tolist()
    [1.0, 1.0, 1.0, 2.0]
    """
    return nearest_positive(tree, points, k, name=name, workers=workers)[0][:, -1]


def neighbors_within(tree, points, radius, start, *, workers=-1):
    """Count the tree points at positive distance ``<= radius`` and the farthest of them.

    Parameters
    ----------
    tree : cKDTree
    points : ndarray, shape (n, d)
    radius : ndarray, shape (n,)
        One radius per point.
    start : int
        A first guess of the largest count (the query doubles it as needed).
    workers : int

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
