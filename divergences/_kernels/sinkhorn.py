"""Log-domain Sinkhorn kernels with costs computed on the fly (O(n + m) memory).

The one operation of every Sinkhorn iteration is the *soft-min*

    out_i = -eps * log sum_j exp(log w_j + (h_j - C(x_i, y_j)) / eps),

with ``C(x, y) = metric(x, y)^order`` (:mod:`divergences._kernels.costs`:
the metric's code ``kind`` and parameter ``q`` select it). It is computed
row by row without ever storing the cost matrix, rows in parallel, as a
log-sum-exp with the row's largest term factored out, so nothing overflows
or underflows whatever ``eps``.

Speed comes from three things:

* **Vectorisation.** The points summed over are stored transposed, ``(d, m)``,
  and visited in blocks of at most 256: the costs, the exponents and their
  maximum are computed for a whole block in loops that LLVM turns into
  AVX2 instructions, and so is ``exp`` itself
  (:func:`~divergences._kernels.fast_exp.exp_nonpositive`; libm's scalar
  ``exp`` was most of the time before).
* **Kernel truncation, with a proof.** The blocks are the leaves of a box
  tree (spatially compact). Before touching a block, an upper bound on its
  largest term follows from its bounding box and the largest ``log w_j +
  h_j / eps`` inside it. A block whose bound is more than 50 below the
  row's largest term so far contributes less than ``e^-50 ~ 2e-22`` of it
  per point and is skipped; the row starts with the block of largest bound
  so that the threshold is high from the start. At small ``eps`` the dual
  potentials make the plan sparse and most blocks are skipped; at large
  ``eps`` none are and the bound costs a few operations per block.
* **Rows in parallel**, in chunks, each chunk with its own scratch buffers.
  Each parallel kernel has a serial twin (``*_serial``, the same body) that
  the callers run through :func:`divergences._threads.run_kernel` when one
  thread is asked for or the problem is too small to split.

The exponents are finite by construction: zero weights are passed as
``log w = -1e300`` (see :func:`log_weights`), whose terms are ``exp(-700)``
after clamping -- below ``1e-300`` of the row's sum -- so the kernels can be
compiled with ``fastmath`` (reassociated reductions) without infinities.
"""

import math

import numpy as np
from numba import njit, prange

from .costs import EUCLIDEAN, box_reduced, point_cost, power, reduced_block, reduced_exponent
from .fast_exp import exp_nonpositive

BLOCK = 256
# A block whose terms are all below e^-50 of the row's largest term is skipped:
# even 10^6 such terms change the sum by 2e-16 of itself.
_NEGLIGIBLE = 50.0
_ROWS_PER_TASK = 32
# Below these sizes (cost entries) the serial twins run. A launch on two threads
# costs ~10 us more than the serial call (bench_threads.py --crossover, loaded
# machine); at 128 x 128 that is under 30% of either kernel's time, so even when
# the second thread gets no core the parallel path is at most ~1.3x slower.
SOFTMIN_SERIAL_BELOW = 128 * 128
PLAN_SERIAL_BELOW = 128 * 128
_LOG_ZERO = -1e300
# Reassociation lets LLVM vectorise the max and sum reductions; every value
# is finite (see the module docstring), so nnan/ninf hold.
_FAST = {"nnan", "ninf", "nsz", "reassoc", "contract", "arcp"}


def log_weights(w):
    """``log w`` with zero weights mapped to ``-1e300`` (finite: see the module docstring)."""
    out = np.full(w.shape, _LOG_ZERO)
    np.log(w, out=out, where=w > 0)
    return out


@njit(cache=True, nogil=True, fastmath=_FAST)
def _squares(xi, yt, j0, size, dims, v):
    """``v[:size]``: squared distances from ``xi`` over the first ``dims >= 1`` dimensions."""
    x0 = xi[0]
    for jj in range(size):
        t = x0 - yt[0, j0 + jj]
        v[jj] = t * t
    for k in range(1, dims):
        xk = xi[k]
        for jj in range(size):
            t = xk - yt[k, j0 + jj]
            v[jj] += t * t


@njit(cache=True, nogil=True, fastmath=_FAST)
def _block_exponents(xi, yt, j0, j1, offset, inv, e, v):
    """``v[:L] = offset_j - C(x_i, y_j) / eps`` for ``j`` in ``[j0, j1)``; returns their max.

    The Euclidean metric, ``C = (squared distance)^e``; ``offset_j = log w_j +
    h_j / eps``. The last dimension, the power and the exponent are one loop,
    specialised for 1-D and 2-D points (no pass over ``v`` before it), which
    LLVM vectorises after unswitching on ``e``.
    """
    size = j1 - j0
    d = yt.shape[0]
    top = -1.7976931348623157e308
    if d == 1:
        x0 = xi[0]
        for jj in range(size):
            t = x0 - yt[0, j0 + jj]
            t = offset[j0 + jj] - power(t * t, e) * inv
            v[jj] = t
            top = max(top, t)
    elif d == 2:
        x0, x1 = xi[0], xi[1]
        for jj in range(size):
            t0 = x0 - yt[0, j0 + jj]
            t1 = x1 - yt[1, j0 + jj]
            t = offset[j0 + jj] - power(t0 * t0 + t1 * t1, e) * inv
            v[jj] = t
            top = max(top, t)
    else:
        _squares(xi, yt, j0, size, d - 1, v)
        xl = xi[d - 1]
        for jj in range(size):
            t = xl - yt[d - 1, j0 + jj]
            t = offset[j0 + jj] - power(v[jj] + t * t, e) * inv
            v[jj] = t
            top = max(top, t)
    return top


@njit(cache=True, nogil=True, fastmath=_FAST)
def _block_exponents_metric(xi, yt, j0, j1, offset, inv, kind, q, e, v):
    """As :func:`_block_exponents` for any metric of :mod:`divergences._kernels.costs`
    (one pass more: the reduced distances, then the exponents)."""
    size = j1 - j0
    reduced_block(kind, q, xi, yt, j0, size, v)
    top = -1.7976931348623157e308
    for jj in range(size):
        t = offset[j0 + jj] - power(v[jj], e) * inv
        v[jj] = t
        top = max(top, t)
    return top


@njit(cache=True, nogil=True, fastmath=_FAST)
def _block_costs_exponents(xi, yt, j0, j1, offset, inv, kind, q, e, v, c):
    """As :func:`_block_exponents`, also leaving the costs in ``c[:L]`` (unfused)."""
    size = j1 - j0
    reduced_block(kind, q, xi, yt, j0, size, c)
    for jj in range(size):
        c[jj] = power(c[jj], e)
    top = -1.7976931348623157e308
    for jj in range(size):
        t = offset[j0 + jj] - c[jj] * inv
        v[jj] = t
        top = max(top, t)
    return top


@njit(cache=True, nogil=True, fastmath=_FAST)
def _sum_exp(v, size, top):
    total = 0.0
    for jj in range(size):
        total += exp_nonpositive(v[jj] - top)
    return total


@njit(cache=True, nogil=True, fastmath=_FAST)
def _sum_exp_cost(v, c, size, top):
    total = 0.0
    moment = 0.0
    for jj in range(size):
        e = exp_nonpositive(v[jj] - top)
        total += e
        moment += e * c[jj]
    return total, moment


@njit(cache=True, nogil=True, fastmath=_FAST)
def _block_bounds(xi, lo, hi, block_top, inv, kind, q, e, bound):
    """``bound[b]``: an upper bound on every exponent of block ``b`` for the point ``xi``."""
    best = 0
    for b in range(lo.shape[0]):
        bound[b] = block_top[b] - power(box_reduced(kind, q, xi, lo, hi, b), e) * inv
        if bound[b] > bound[best]:
            best = b
    return best


@njit(cache=True, nogil=True, fastmath=_FAST)
def _softmin_offsets(starts, log_w, h, inv):
    """The exponent offsets ``log w_j + h_j / eps`` and each block's largest one."""
    n_blocks = starts.shape[0] - 1
    offset = log_w + h * inv
    block_top = np.empty(n_blocks)
    for b in range(n_blocks):
        block_top[b] = offset[starts[b]:starts[b + 1]].max()
    return offset, block_top


@njit(cache=True, nogil=True, fastmath=_FAST)
def _softmin_task(task, x, yt, starts, lo, hi, offset, block_top, eps, order, kind, q, out,
                  moment):
    """Rows ``task * _ROWS_PER_TASK`` onwards of :func:`softmin`, with their own scratch."""
    n = x.shape[0]
    n_blocks = lo.shape[0]
    inv = 1.0 / eps
    e = reduced_exponent(kind, q, order)
    with_moment = moment.shape[0] == n
    v = np.empty(BLOCK)
    c = np.empty(BLOCK)
    bound = np.empty(n_blocks)
    for i in range(task * _ROWS_PER_TASK, min(n, (task + 1) * _ROWS_PER_TASK)):
        xi = x[i]
        first = _block_bounds(xi, lo, hi, block_top, inv, kind, q, e, bound)
        top = 0.0  # set by the first block (no infinities under fastmath)
        total = 0.0
        weighted = 0.0
        for step in range(n_blocks):
            # The most promising block first, then the rest in order.
            b = first if step == 0 else (step - 1 if step <= first else step)
            if step > 0 and bound[b] < top - _NEGLIGIBLE:
                continue
            j0, j1 = starts[b], starts[b + 1]
            if with_moment:
                block_max = _block_costs_exponents(xi, yt, j0, j1, offset, inv, kind, q, e, v, c)
            elif kind == EUCLIDEAN:
                block_max = _block_exponents(xi, yt, j0, j1, offset, inv, e, v)
            else:
                block_max = _block_exponents_metric(xi, yt, j0, j1, offset, inv, kind, q, e, v)
            if step > 0 and block_max < top - _NEGLIGIBLE:
                continue
            if with_moment:
                s, sc = _sum_exp_cost(v, c, j1 - j0, block_max)
            else:
                s, sc = _sum_exp(v, j1 - j0, block_max), 0.0
            if step == 0:
                top, total, weighted = block_max, s, sc
            elif block_max > top:
                scale = math.exp(top - block_max)
                top = block_max
                total = total * scale + s
                weighted = weighted * scale + sc
            else:
                scale = math.exp(block_max - top)
                total += s * scale
                weighted += sc * scale
        out[i] = -eps * (top + math.log(total))
        if with_moment:
            moment[i] = weighted / total


@njit(cache=True, nogil=True, parallel=True, fastmath=_FAST)
def softmin(x, yt, starts, lo, hi, log_w, h, eps, order, kind, q, out, moment):
    """``out[i] = -eps log sum_j exp(log_w[j] + (h[j] - metric(x_i, y_j)^order) / eps)``.

    Parameters
    ----------
    x : (n, d) float64
        The points the result lives on.
    yt : (d, m) float64, C-contiguous
        The points summed over, transposed, grouped into blocks.
    starts : (n_blocks + 1,) int64
        Block ``b`` is ``yt[:, starts[b]:starts[b + 1]]`` (at most ``BLOCK`` points).
    lo, hi : (n_blocks, d) float64
        The blocks' bounding boxes.
    log_w : (m,) float64
        Log-weights of ``y``, finite (:func:`log_weights`).
    h : (m,) float64
        The potential on ``y``.
    eps, order : float
    kind : int
        The metric (:mod:`divergences._kernels.costs`: ``EUCLIDEAN``, ...).
    q : float
        Minkowski's exponent (unused by the other metrics).
    out : (n,) float64
        Written in place.
    moment : (n,) or (0,) float64
        If of length ``n``, also receives the mean cost under each row's
        terms, ``sum_j e_ij C_ij / sum_j e_ij`` with ``e_ij`` the summands
        (the row-conditional transport cost of a plan).
    """
    offset, block_top = _softmin_offsets(starts, log_w, h, 1.0 / eps)
    n_tasks = (x.shape[0] + _ROWS_PER_TASK - 1) // _ROWS_PER_TASK
    for task in prange(n_tasks):
        _softmin_task(task, x, yt, starts, lo, hi, offset, block_top, eps, order, kind, q, out,
                      moment)


@njit(cache=True, nogil=True, fastmath=_FAST)
def softmin_serial(x, yt, starts, lo, hi, log_w, h, eps, order, kind, q, out, moment):
    """:func:`softmin` on the calling thread (the serial path for small problems)."""
    offset, block_top = _softmin_offsets(starts, log_w, h, 1.0 / eps)
    for task in range((x.shape[0] + _ROWS_PER_TASK - 1) // _ROWS_PER_TASK):
        _softmin_task(task, x, yt, starts, lo, hi, offset, block_top, eps, order, kind, q, out,
                      moment)


@njit(cache=True, nogil=True)
def _plan_row(i, x, y, log_a, log_b, f, g, inv, kind, q, e, plan):
    xi = x[i]
    for j in range(y.shape[0]):
        cost = point_cost(kind, q, e, xi, y, j)
        plan[i, j] = math.exp(log_a[i] + log_b[j] + (f[i] + g[j] - cost) * inv)


@njit(cache=True, nogil=True, parallel=True)
def dense_plan(x, y, log_a, log_b, f, g, eps, order, kind=EUCLIDEAN, q=2.0):
    """The plan ``pi_ij`` as a dense (n, m) array (only when asked for and it fits)."""
    plan = np.empty((x.shape[0], y.shape[0]))
    e = reduced_exponent(kind, q, order)
    for i in prange(x.shape[0]):
        _plan_row(i, x, y, log_a, log_b, f, g, 1.0 / eps, kind, q, e, plan)
    return plan


@njit(cache=True, nogil=True)
def dense_plan_serial(x, y, log_a, log_b, f, g, eps, order, kind=EUCLIDEAN, q=2.0):
    """:func:`dense_plan` on the calling thread (the serial path for small problems)."""
    plan = np.empty((x.shape[0], y.shape[0]))
    e = reduced_exponent(kind, q, order)
    for i in range(x.shape[0]):
        _plan_row(i, x, y, log_a, log_b, f, g, 1.0 / eps, kind, q, e, plan)
    return plan


def warm_up():
    """Compile the kernels (benchmarks time compilation apart)."""
    x = np.zeros((2, 2))
    w = np.log(np.full(2, 0.5))
    h = np.zeros(2)
    out = np.empty(2)
    starts = np.array([0, 2])
    box = np.zeros((1, 2))
    for kernel in (softmin, softmin_serial):
        kernel(x, np.ascontiguousarray(x.T), starts, box, box, w, h, 1.0, 2.0, 0, 2.0, out, out)
        kernel(x, np.ascontiguousarray(x.T), starts, box, box, w, h, 1.0, 2.0, 0, 2.0, out, out[:0])
    dense_plan(x, x, w, w, h, h, 1.0, 2.0, 0, 2.0)
    dense_plan_serial(x, x, w, w, h, h, 1.0, 2.0, 0, 2.0)
