"""The ground cost ``c(x, y) = metric(x, y) ** order``, defined once for every kernel.

A metric is chosen at the Python level (:mod:`divergences.ot._ground`) and
reaches the kernels as an integer code ``kind`` and its parameter ``q``
(Minkowski's exponent; unused by the others). Every kernel computes the
*reduced* distance ``r`` of its metric -- the quantity that is cheap to
accumulate over the coordinates and monotone in the distance, as in
pynndescent's ``rdist`` -- and turns it into a cost by one power,
``c = r ** e`` with ``e = reduced_exponent(kind, q, order)``:

=============  ==========================  =====================
``kind``       reduced distance ``r``      ``e``
=============  ==========================  =====================
EUCLIDEAN      ``sum_k (x_k - y_k)^2``     ``order / 2``
CITYBLOCK      ``sum_k |x_k - y_k|``       ``order``
CHEBYSHEV      ``max_k |x_k - y_k|``       ``order``
MINKOWSKI      ``sum_k |x_k - y_k|^q``     ``order / q``
=============  ==========================  =====================

(The squared Euclidean metric is EUCLIDEAN at twice the order: ``|x -
y|^(2 p)``.) The same reduced form bounds a box from below
(:func:`box_reduced`, for branch and bound and kernel truncation), and
:func:`reach` inverts the power, so that searches compare reduced
distances and take no root per candidate.

The metric is switched on once per row or block of points, outside the
loops over coordinates and points, which then vectorise as if written for
one metric; inside per-pair loops the switch is a predictable branch. Both
were measured against passing the metric as a first-class njit function
(Numba specialises a kernel per function argument): on 10^6 pairs in 2-D,
a per-pair integer switch costs nothing for the Euclidean metric and about
20% for the city block one (1.64 ms against 1.37 ms, which a hand-written
loop also takes); hoisted out of the loops it costs nothing, and one
compiled kernel serves every metric (no compilation per metric, one cache
file each).

The functions are ``inline="always"``: Numba inlines them into the
calling kernel, which compiles them under its own flags (``fastmath`` in
the Sinkhorn kernels, none elsewhere).
"""

import math

import numpy as np
from numba import njit, prange

EUCLIDEAN = 0
CITYBLOCK = 1
CHEBYSHEV = 2
MINKOWSKI = 3


@njit(cache=True, nogil=True, inline="always")
def reduced_exponent(kind, q, order):
    """The exponent ``e`` with ``cost = reduced ** e`` (see the module docstring)."""
    if kind == EUCLIDEAN:
        return 0.5 * order
    if kind == MINKOWSKI:
        return order / q
    return order


@njit(cache=True, nogil=True, inline="always")
def power(r, e):
    """``r ** e`` for ``r >= 0``, with the common exponents done without ``pow``."""
    if e == 1.0:
        return r
    if e == 0.5:
        return math.sqrt(r)
    # No more special cases: each is one more version of every vectorised loop
    # that LLVM unswitches on e, and past two it stops doing so (measured).
    return r**e


@njit(cache=True, nogil=True, inline="always")
def reach(room, e):
    """The reduced distance whose cost is ``room`` (``room ** (1 / e)``), or -1 if room <= 0.

    Searches compare reduced distances with it, which spares a power per candidate.
    """
    if room <= 0.0:
        return -1.0
    if e == 1.0:
        return room
    if e == 0.5:
        return room * room
    return room ** (1.0 / e)


@njit(cache=True, nogil=True, inline="always")
def _accumulate(kind, q, total, t):
    """One coordinate difference ``t`` added to a reduced distance."""
    if kind == EUCLIDEAN:
        return total + t * t
    if kind == CITYBLOCK:
        return total + abs(t)
    if kind == CHEBYSHEV:
        return max(total, abs(t))
    return total + abs(t) ** q


@njit(cache=True, nogil=True, inline="always")
def reduced_to_row(kind, q, xi, y, j):
    """The reduced distance between the point ``xi`` and the row ``y[j]`` of an (m, d) array."""
    total = 0.0
    if kind == EUCLIDEAN:
        # Switched once per pair, not per coordinate: the auction's tree search
        # was 5% slower in 2-D with the switch inside this loop.
        for k in range(xi.shape[0]):
            t = xi[k] - y[j, k]
            total += t * t
        return total
    for k in range(xi.shape[0]):
        total = _accumulate(kind, q, total, xi[k] - y[j, k])
    return total


@njit(cache=True, nogil=True, inline="always")
def point_cost(kind, q, e, xi, y, j):
    """``metric(xi, y[j]) ** order`` (``e`` from :func:`reduced_exponent`)."""
    return power(reduced_to_row(kind, q, xi, y, j), e)


@njit(cache=True, nogil=True, inline="always")
def box_reduced(kind, q, xi, lo, hi, b):
    """A lower bound of the reduced distance from ``xi`` to every point of the box ``b``.

    The box is ``[lo[b], hi[b]]`` (rows of (n_boxes, d) arrays). The gap to
    it along each coordinate (zero inside), combined as the metric combines
    coordinate differences: every point of the box is at least that far
    along every coordinate, and the metrics are monotone in each
    coordinate's absolute difference.
    """
    total = 0.0
    if kind == EUCLIDEAN:
        for k in range(xi.shape[0]):
            gap = max(lo[b, k] - xi[k], xi[k] - hi[b, k], 0.0)
            total += gap * gap
        return total
    for k in range(xi.shape[0]):
        gap = max(lo[b, k] - xi[k], xi[k] - hi[b, k], 0.0)
        total = _accumulate(kind, q, total, gap)
    return total


@njit(cache=True, nogil=True, inline="always")
def reduced_block(kind, q, xi, yt, j0, size, out):
    """``out[:size]``: reduced distances from ``xi`` to the columns ``j0, ..., j0 + size - 1``.

    ``yt`` is (d, m), the points transposed, so that each loop over the
    points reads contiguous memory and vectorises; the metric is switched on
    once, outside the loops.
    """
    d = yt.shape[0]
    for jj in range(size):
        out[jj] = 0.0
    if kind == EUCLIDEAN:
        for k in range(d):
            xk = xi[k]
            for jj in range(size):
                t = xk - yt[k, j0 + jj]
                out[jj] += t * t
    elif kind == CITYBLOCK:
        for k in range(d):
            xk = xi[k]
            for jj in range(size):
                out[jj] += abs(xk - yt[k, j0 + jj])
    elif kind == CHEBYSHEV:
        for k in range(d):
            xk = xi[k]
            for jj in range(size):
                out[jj] = max(out[jj], abs(xk - yt[k, j0 + jj]))
    else:
        for k in range(d):
            xk = xi[k]
            for jj in range(size):
                out[jj] += abs(xk - yt[k, j0 + jj]) ** q


@njit(cache=True, nogil=True)
def pair_costs(kind, q, e, x, y, rows, cols):
    """``metric(x[rows[t]], y[cols[t]]) ** order`` for a list of pairs (a sparse plan's support)."""
    out = np.empty(rows.shape[0])
    for t in range(rows.shape[0]):
        out[t] = point_cost(kind, q, e, x[rows[t]], y, cols[t])
    return out


@njit(cache=True, nogil=True)
def gibbs_exponent(f, g, cost, inv_eps, out):
    """``out_ij = (f_i + g_j - cost_ij) * inv_eps`` in one pass; returns its largest entry.

    The exponent of a stabilised Gibbs kernel (:mod:`divergences.ot._dense_softmin`),
    whose ``exp`` the caller takes with numpy's vectorised one (Numba's scalar
    ``exp`` was 20x slower at n = 1,000); fusing the outer sum, difference, scaling
    and maximum saves three passes over the matrix (1.6 ms against 4.5 ms measured).
    """
    top = -np.inf
    for i in range(cost.shape[0]):
        fi = f[i]
        for j in range(cost.shape[1]):
            t = (fi + g[j] - cost[i, j]) * inv_eps
            out[i, j] = t
            top = max(top, t)
    return top


@njit(cache=True, nogil=True, inline="always")
def _matrix_row(kind, q, e, x, yt, i, out):
    """Row ``i`` of the cost matrix written into ``out[i]``; returns its largest reduced distance.

    The largest is taken over the reduced distances, before the power (which
    is increasing), in a loop of its own: a max folded into the power's loop
    kept that loop from vectorising.
    """
    row = out[i]
    reduced_block(kind, q, x[i], yt, 0, row.shape[0], row)
    largest = 0.0
    for j in range(row.shape[0]):
        if row[j] > largest:
            largest = row[j]
    if e == 0.5:
        # Its own loop: through power()'s branches the root did not vectorise
        # (n = m = 1,000: 3.7 ms against cdist's 2.2).
        for j in range(row.shape[0]):
            row[j] = math.sqrt(row[j])
    elif e != 1.0:
        for j in range(row.shape[0]):
            row[j] = row[j] ** e
    return largest


@njit(cache=True, nogil=True, parallel=True)
def _dense_costs_parallel(kind, q, e, x, yt, out, row_max):
    for i in prange(x.shape[0]):
        row_max[i] = _matrix_row(kind, q, e, x, yt, i, out)


@njit(cache=True, nogil=True)
def _dense_costs_serial(kind, q, e, x, yt, out, row_max):
    for i in range(x.shape[0]):
        row_max[i] = _matrix_row(kind, q, e, x, yt, i, out)


@njit(cache=True, nogil=True)
def cost_matrix(kind, q, e, x, y):
    """The dense (n, m) matrix ``metric(x_i, y_j) ** order`` on the calling thread.

    The rows of :func:`dense_costs` (the same bits), for callers inside a
    single-threaded solve (the dense Sinkhorn soft-min).
    """
    out = np.empty((x.shape[0], y.shape[0]))
    _dense_costs_serial(kind, q, e, x, np.ascontiguousarray(y.T), out, np.empty(x.shape[0]))
    return out


@njit(cache=True, nogil=True, parallel=True)
def _scale_rows_parallel(out, factor):
    for i in prange(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] *= factor


@njit(cache=True, nogil=True)
def _scale_rows_serial(out, factor):
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] *= factor


# Pairs below which the dense matrix is built on the calling thread: waking the
# pool costs more than splitting saves (n = m = 300 took 0.12 ms serially).
_DENSE_SERIAL_BELOW = 2**17


def dense_costs(kind, q, order, x, y, exponent_of_two=None, threads=1):
    """The dense (n, m) cost matrix ``metric(x_i, y_j) ** order`` and its largest entry.

    Rows are split over up to ``threads`` threads (the calling thread alone
    below ``_DENSE_SERIAL_BELOW`` pairs). With ``exponent_of_two``, a function
    of the largest entry returning an integer ``k``, the matrix is multiplied by
    ``2 ** -k`` (exact: a power of two) in a second pass, skipped when
    ``k == 0``; then ``(matrix, largest, k)`` is returned, ``largest`` before
    the scaling.
    """
    from . import launch

    # Fresh writable arrays: the kernels are compiled for those (read-only
    # points, as the solvers keep them, would be a second specialisation).
    x = np.array(x, dtype=np.float64, order="C")
    yt = np.array(np.asarray(y, dtype=np.float64).T, order="C")
    e = float(reduced_exponent(kind, q, float(order)))
    out = np.empty((x.shape[0], yt.shape[1]))
    row_max = np.zeros(x.shape[0])
    count = threads if out.size >= _DENSE_SERIAL_BELOW else 1
    launch(_dense_costs_parallel, _dense_costs_serial, count, int(kind), float(q), e, x, yt, out,
           row_max)
    largest = float(_power_host(row_max.max(initial=0.0), e))
    if exponent_of_two is None:
        return out, largest
    shift = int(exponent_of_two(largest))
    if shift:
        launch(_scale_rows_parallel, _scale_rows_serial, count, out, math.ldexp(1.0, -shift))
    return out, largest, shift


def _power_host(r, e):
    """:func:`power` in Python (the same special cases, so the same rounding)."""
    if e == 1.0:
        return r
    if e == 0.5:
        return math.sqrt(r)
    return r**e


def warm_up():
    """Compile the kernels of this module (benchmarks time compilation apart)."""
    x = np.zeros((2, 2))
    rows = np.zeros(1, dtype=np.int64)
    pair_costs(EUCLIDEAN, 2.0, 0.5, x, x, rows, rows)
    cost_matrix(EUCLIDEAN, 2.0, 0.5, x, x)
    gibbs_exponent(np.zeros(2), np.zeros(2), x, 1.0, np.empty((2, 2)))
    out, row_max = np.empty((2, 2)), np.empty(2)
    for build in (_dense_costs_parallel, _dense_costs_serial):
        build(EUCLIDEAN, 2.0, 0.5, x, np.ascontiguousarray(x.T), out, row_max)
    for scale in (_scale_rows_parallel, _scale_rows_serial):
        scale(out, 0.5)
