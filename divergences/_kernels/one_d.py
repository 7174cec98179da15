"""The 1-D transport kernel: a merge of two sorted quantile functions."""

import numpy as np
from numba import njit

from .costs import power


@njit(cache=True, nogil=True)
def _power_distance(x, y, order):
    # On the line every metric of divergences._kernels.costs is |x - y|; the
    # merge is scalar code, where the square (order 2, or 1 of sqeuclidean) is
    # worth its branch.
    d = abs(x - y)
    return d * d if order == 2.0 else power(d, order)


@njit(cache=True, nogil=True)
def transport_cost_sorted(x, a, y, b, order):
    """Optimal cost ``sum pi_ij |x_i - y_j|^order`` between sorted weighted atoms.

    In 1-D the monotone (north-west corner) coupling of the sorted atoms is
    optimal for every convex cost, so one merge of the two cumulative weight
    sequences computes ``int_0^1 |F^-1(t) - G^-1(t)|^order dt`` exactly.

    Parameters
    ----------
    x, y : float64 arrays, sorted ascending
    a, b : float64 arrays of non-negative weights, each summing to one
    order : float
    """
    n, m = x.shape[0], y.shape[0]
    i, j = 0, 0
    left_a, left_b = a[0], b[0]
    total = 0.0
    while i < n and j < m:
        if left_a <= left_b:
            total += left_a * _power_distance(x[i], y[j], order)
            left_b -= left_a
            i += 1
            if i < n:
                left_a = a[i]
        else:
            total += left_b * _power_distance(x[i], y[j], order)
            left_a -= left_b
            j += 1
            if j < m:
                left_b = b[j]
    return total


@njit(cache=True, nogil=True)
def transport_cost_sorted_uniform(x, y, order):
    """As :func:`transport_cost_sorted` with uniform weights ``1/n`` and ``1/m``.

    Works in integer units of ``1/(n m)`` of mass, so no rounding accumulates
    in the cumulative weights however long the merge.
    """
    n, m = x.shape[0], y.shape[0]
    i, j = 0, 0
    left_a, left_b = m, n  # mass of one atom, in units of 1/(n m)
    total = 0.0
    while i < n and j < m:
        step = min(left_a, left_b)
        total += step * _power_distance(x[i], y[j], order)
        left_a -= step
        left_b -= step
        if left_a == 0:
            i += 1
            left_a = m
        if left_b == 0:
            j += 1
            left_b = n
    return total / (float(n) * float(m))


def warm_up():
    """Compile the kernels (used by benchmarks to time compilation apart)."""
    x = np.array([0.0, 1.0])
    w = np.array([0.5, 0.5])
    transport_cost_sorted(x, w, x, w, 1.0)
    transport_cost_sorted_uniform(x, x, 1.0)
