"""Sliced transport kernel: many 1-D transports, one per projection, in parallel."""

import numpy as np
from numba import njit, prange

from .one_d import transport_cost_sorted, transport_cost_sorted_uniform

# Below this size (directions times points, n + m) the serial twin runs: a launch
# on two threads costs ~10 us more (bench_threads.py --crossover, loaded machine),
# under 30% of the kernel's time from here on.
SERIAL_BELOW = 32 * 128


@njit(cache=True, nogil=True)
def _projected_cost(x, a, y, b, direction, order, uniform):
    # One projection at a time per thread: O(n + m) memory per thread.
    px = x @ direction
    py = y @ direction
    if uniform:
        return transport_cost_sorted_uniform(np.sort(px), np.sort(py), order)
    ix = np.argsort(px, kind="mergesort")
    iy = np.argsort(py, kind="mergesort")
    return transport_cost_sorted(px[ix], a[ix], py[iy], b[iy], order)


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
    out = np.empty(directions.shape[0])
    for k in prange(directions.shape[0]):
        out[k] = _projected_cost(x, a, y, b, directions[k], order, uniform)
    return out


@njit(cache=True, nogil=True)
def projected_costs_serial(x, a, y, b, directions, order, uniform):
    """:func:`projected_costs` on the calling thread (the serial path for small problems)."""
    out = np.empty(directions.shape[0])
    for k in range(directions.shape[0]):
        out[k] = _projected_cost(x, a, y, b, directions[k], order, uniform)
    return out


def warm_up():
    """Compile the kernel (benchmarks time compilation apart)."""
    x = np.zeros((2, 2))
    w = np.full(2, 0.5)
    d = np.array([[1.0, 0.0]])
    for kernel in (projected_costs, projected_costs_serial):
        kernel(x, w, x, w, d, 1.0, True)
        kernel(x, w, x, w, d, 1.0, False)
