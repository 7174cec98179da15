"""The gradient of a kernel sum with respect to the points, without the pair tensor.

For a radial kernel ``k(a, b) = phi(|a - b|)``, ``grad_a k(a, b) = s(a, b) (a - b)``
with ``s = phi'(r) / r``. The MMD objective of :mod:`divergences.gan` needs,
for every generated point ``y_j``,

    K_j = sum_i k(x_i, y_j),   G_j = sum_i s(x_i, y_j) (y_j - x_i),

over the real points ``x`` and again over the generated points themselves.
:func:`kernel_gradient_sums` computes both row by row (rows in parallel, a
serial twin for small problems) in O(n + m) memory: no n-by-m kernel matrix
and no n-by-m-by-d difference tensor. The kernel codes are those of
:mod:`.kernel_sums` (``GAUSSIAN``, ``LAPLACIAN``, ``ENERGY``); ``s`` is taken
as 0 at ``r = 0`` for the Laplacian and energy kernels, whose gradient is
not defined there (a subgradient; the diagonal terms of a U-statistic
vanish anyway).
"""

import math

import numpy as np
from numba import njit, prange

from .kernel_sums import ENERGY, GAUSSIAN

SERIAL_BELOW = 128 * 128


@njit(cache=True, nogil=True)
def _row(j, x, y, code, inv, sums, grad):
    d = x.shape[1]
    total = 0.0
    for k in range(d):
        grad[j, k] = 0.0
    for i in range(x.shape[0]):
        s = 0.0
        for k in range(d):
            t = y[j, k] - x[i, k]
            s += t * t
        if code == GAUSSIAN:
            value = math.exp(-s * inv)
            slope = -2.0 * inv * value
        else:
            r = math.sqrt(s)
            if code == ENERGY:
                value = -r
                slope = -1.0 / r if r > 0.0 else 0.0
            else:
                value = math.exp(-r * inv)
                slope = -inv * value / r if r > 0.0 else 0.0
        total += value
        for k in range(d):
            grad[j, k] += slope * (y[j, k] - x[i, k])
    sums[j] = total


@njit(cache=True, nogil=True)
def _outputs(y):
    return np.empty(y.shape[0]), np.empty(y.shape)


@njit(cache=True, nogil=True, parallel=True)
def kernel_gradient_sums(x, y, code, inv):
    """``(K, G)``: ``K[j] = sum_i k(x_i, y_j)``, ``G[j] = sum_i s(x_i, y_j) (y_j - x_i)``."""
    sums, grad = _outputs(y)
    for j in prange(y.shape[0]):
        _row(j, x, y, code, inv, sums, grad)
    return sums, grad


@njit(cache=True, nogil=True)
def kernel_gradient_sums_serial(x, y, code, inv):
    """:func:`kernel_gradient_sums` on the calling thread."""
    sums, grad = _outputs(y)
    for j in range(y.shape[0]):
        _row(j, x, y, code, inv, sums, grad)
    return sums, grad


def warm_up():
    """Compile the kernels (benchmarks time compilation apart)."""
    x = np.zeros((2, 2))
    for code in (0, 1, 2):
        kernel_gradient_sums(x, x, code, 1.0)
        kernel_gradient_sums_serial(x, x, code, 1.0)
