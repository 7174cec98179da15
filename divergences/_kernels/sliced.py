"""Sliced transport kernel: many 1-D transports, one per projection, in parallel."""

import numpy as np
from numba import njit, prange

from .one_d import transport_cost_sorted, transport_cost_sorted_uniform


@njit(cache=True, nogil=True, parallel=True)
def projected_costs(x, a, y, b, directions, order, uniform):
    """``W_p^p`` between the projections of two weighted clouds on each direction.

    Parameters
    ----------
    x, y : (n, d), (m, d) float64
    a, b : (n,), (m,) float64 weights, each summing to one
    directions : (L, d) float64 unit vectors
    order : float
    uniform : bool -- ``a`` and ``b`` are uniform (exact integer-mass merge)

    Returns
    -------
    (L,) float64
    """
    count = directions.shape[0]
    out = np.empty(count)
    for k in prange(count):
        # One projection per thread at a time: O(n + m) memory per thread.
        px = x @ directions[k]
        py = y @ directions[k]
        if uniform:
            out[k] = transport_cost_sorted_uniform(np.sort(px), np.sort(py), order)
        else:
            ix = np.argsort(px, kind="mergesort")
            iy = np.argsort(py, kind="mergesort")
            out[k] = transport_cost_sorted(px[ix], a[ix], py[iy], b[iy], order)
    return out


def warm_up():
    """Compile the kernel (benchmarks time compilation apart)."""
    x = np.zeros((2, 2))
    w = np.full(2, 0.5)
    d = np.array([[1.0, 0.0]])
    projected_costs(x, w, x, w, d, 1.0, True)
    projected_costs(x, w, x, w, d, 1.0, False)
