"""Sliced transport costs of many relabellings of one pooled sample, without re-sorting.

The projections of the pooled points on each direction are sorted once; a
relabelling (a permutation test's split) picks its two sorted sets out of the
pooled order by a linear scan, so each split costs O(L N) instead of
O(L N log N) sorts.
"""

import numpy as np
from numba import njit, prange

from .one_d import transport_cost_sorted_uniform

# Below this size (labellings times directions times points) the serial twin runs:
# the rule of the sliced costs' linear scans (sliced.py), the same work per entry.
SERIAL_BELOW = 32 * 128


@njit(cache=True, nogil=True, parallel=True)
def permuted_sliced_costs(sorted_projections, order_index, labels, n, order):
    """Mean over directions of ``W_p^p`` between the two labelled sets, for each labelling.

    Parameters
    ----------
    sorted_projections : (L, N) float64 -- each row the pooled projections, sorted
    order_index : (L, N) intp -- ``sorted_projections[k] = projections[k, order_index[k]]``
    labels : (B, N) bool -- True for the points of the first set (``n`` of them per row)
    n : int
    order : float

    Returns
    -------
    (B,) float64
    """
    out = np.empty(labels.shape[0])
    for b in prange(labels.shape[0]):
        out[b] = _labelled_cost(sorted_projections, order_index, labels[b], n, order)
    return out


@njit(cache=True, nogil=True)
def permuted_sliced_costs_serial(sorted_projections, order_index, labels, n, order):
    """:func:`permuted_sliced_costs` on the calling thread (the serial path for small problems)."""
    out = np.empty(labels.shape[0])
    for b in range(labels.shape[0]):
        out[b] = _labelled_cost(sorted_projections, order_index, labels[b], n, order)
    return out


@njit(cache=True, nogil=True)
def _labelled_cost(sorted_projections, order_index, labelled, n, order):
    """The mean over directions of ``W_p^p`` between the points labelled True and the others."""
    count, total = sorted_projections.shape
    xs = np.empty(n)
    ys = np.empty(total - n)
    acc = 0.0
    for k in range(count):
        ix = 0
        iy = 0
        for t in range(total):
            value = sorted_projections[k, t]
            if labelled[order_index[k, t]]:
                xs[ix] = value
                ix += 1
            else:
                ys[iy] = value
                iy += 1
        acc += transport_cost_sorted_uniform(xs, ys, order)
    return acc / count
