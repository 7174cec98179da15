"""Sums of a translation-invariant kernel over pairs of points, without the pair matrix.

The kernel two-sample statistics (MMD, energy distance) need only weighted
sums ``sum_j w_j k(x_i, y_j)`` for every row ``i``. These kernels compute
them row by row, rows in parallel, so memory is O(n + m) whatever the sizes;
:func:`gram_rows_transposed` fills a block of rows of the kernel matrix for
callers that reuse it (the permutation test).

Kernels, by code (``inv`` is the precomputed inverse scale):

* ``GAUSSIAN = 0``: ``exp(-|x - y|^2 * inv)``, ``inv = 1 / (2 bandwidth^2)``;
* ``LAPLACIAN = 1``: ``exp(-|x - y| * inv)``, ``inv = 1 / bandwidth``;
* ``ENERGY = 2``: ``-|x - y|`` (``inv`` unused), the distance kernel of the
  energy distance.

No ``fastmath``: the sums are compared against each other in the callers
(MMD^2 is a difference of three such sums), and the plain sequential
summation keeps them reproducible from run to run. The row sums call libm's
``exp``; the block of rows uses the vectorising
:func:`~divergences._kernels.fast_exp.exp_nonpositive` (a few ulps; ``exp``
below ``-700`` gives ``exp(-700)`` instead of 0, far below rounding of sums
whose diagonal terms are 1).
"""

import math

import numpy as np
from numba import njit, prange

from .costs import EUCLIDEAN, reduced_block
from .fast_exp import exp_nonpositive

GAUSSIAN = 0
LAPLACIAN = 1
ENERGY = 2

# Below this many kernel evaluations (rows times columns) the serial twins run: the
# rule of the kernel gradient's row sums (kernel_gradient.py), the same work per pair.
SERIAL_BELOW = 128 * 128


@njit(cache=True, nogil=True)
def _kernel(s, code, inv):
    """The kernel's value at squared distance ``s``."""
    if code == GAUSSIAN:
        return math.exp(-s * inv)
    if code == LAPLACIAN:
        return math.exp(-math.sqrt(s) * inv)
    return -math.sqrt(s)


@njit(cache=True, nogil=True)
def _row_sum(xi, y, w, code, inv):
    total = 0.0
    d = y.shape[1]
    for j in range(y.shape[0]):
        s = 0.0
        for k in range(d):
            t = xi[k] - y[j, k]
            s += t * t
        total += w[j] * _kernel(s, code, inv)
    return total


@njit(cache=True, nogil=True, parallel=True)
def weighted_row_sums(x, y, w, code, inv):
    """``out[i] = sum_j w[j] k(x[i], y[j])``, shape ``(n,)``; O(n + m) memory.

    Parameters
    ----------
    x, y : (n, d), (m, d) float64, C-contiguous
    w : (m,) float64 weights of ``y`` (any real numbers)
    code : int -- GAUSSIAN, LAPLACIAN or ENERGY
    inv : float -- the inverse scale (see the module docstring)
    """
    n = x.shape[0]
    out = np.empty(n)
    for i in prange(n):
        out[i] = _row_sum(x[i], y, w, code, inv)
    return out


@njit(cache=True, nogil=True)
def weighted_row_sums_serial(x, y, w, code, inv):
    """:func:`weighted_row_sums` on the calling thread (the serial path for small problems)."""
    n = x.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = _row_sum(x[i], y, w, code, inv)
    return out


@njit(cache=True, nogil=True, parallel=True)
def gram_rows_transposed(x, yt, start, code, inv, out):
    """``out[i, j] = k(x[i], y[start + j])``, the columns' points given transposed.

    ``yt`` has shape ``(d, m)`` and ``out`` ``(len(x), m - start)``. The
    squared distances of a row are accumulated one coordinate at a time over
    all its columns and the kernel is applied to the finished row, so every
    loop runs over contiguous memory and vectorises, ``exp`` included
    (:func:`~divergences._kernels.fast_exp.exp_nonpositive`, within a few
    ulps of libm's): 2-4 times faster, under load, than
    a loop over the columns with the coordinates innermost.
    """
    for i in prange(x.shape[0]):
        _gram_row(x[i], yt, start, code, inv, out[i])


@njit(cache=True, nogil=True)
def gram_rows_transposed_serial(x, yt, start, code, inv, out):
    """:func:`gram_rows_transposed` on the calling thread (the serial path for small problems)."""
    for i in range(x.shape[0]):
        _gram_row(x[i], yt, start, code, inv, out[i])


@njit(cache=True, nogil=True)
def _gram_row(xi, yt, start, code, inv, row):
    width = yt.shape[1] - start
    reduced_block(EUCLIDEAN, 2.0, xi, yt, start, width, row)  # the squared distances
    if code == GAUSSIAN:
        for j in range(width):
            row[j] = exp_nonpositive(-row[j] * inv)
    elif code == LAPLACIAN:
        for j in range(width):
            row[j] = exp_nonpositive(-math.sqrt(row[j]) * inv)
    else:
        for j in range(width):
            row[j] = -math.sqrt(row[j])


def warm_up():
    """Compile the kernels (benchmarks time compilation apart)."""
    x = np.zeros((2, 2))
    w = np.full(2, 0.5)
    out = np.empty((2, 2))
    for code in (GAUSSIAN, LAPLACIAN, ENERGY):
        weighted_row_sums(x, x, w, code, 1.0)
        weighted_row_sums_serial(x, x, w, code, 1.0)
        gram_rows_transposed(x, np.ascontiguousarray(x.T), 0, code, 1.0, out)
        gram_rows_transposed_serial(x, np.ascontiguousarray(x.T), 0, code, 1.0, out)
