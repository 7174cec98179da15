"""Log-domain Sinkhorn kernels with costs computed on the fly (O(n + m) memory).

The one operation of every Sinkhorn iteration is the *soft-min*

    out_i = -eps * log sum_j exp(log w_j + (h_j - C(x_i, y_j)) / eps),

with ``C(x, y) = |x - y|^order``. It is computed row by row without ever
storing the cost matrix, rows in parallel. Each row is a log-sum-exp with the
row's running maximum subtracted (a one-pass streaming log-sum-exp), so
nothing overflows or underflows whatever ``eps``.
"""

import math

import numpy as np
from numba import njit, prange

_NEGLIGIBLE = 50.0


@njit(cache=True, nogil=True, inline="always")
def _cost(x, i, y, j, order):
    s = 0.0
    for k in range(x.shape[1]):
        t = x[i, k] - y[j, k]
        s += t * t
    if order == 2.0:
        return s
    if order == 1.0:
        return math.sqrt(s)
    return s ** (0.5 * order)


@njit(cache=True, nogil=True, parallel=True)
def softmin(x, y, log_w, h, eps, order, out):
    """``out[i] = -eps log sum_j exp(log_w[j] + (h[j] - |x_i - y_j|^order) / eps)``.

    Parameters
    ----------
    x : (n, d) float64 -- the points the result lives on
    y : (m, d) float64 -- the points summed over
    log_w : (m,) float64 -- log-weights of ``y`` (``-inf`` for zero weights)
    h : (m,) float64 -- the potential on ``y``
    eps : float
    order : float
    out : (n,) float64 -- written in place
    """
    n = x.shape[0]
    m = y.shape[0]
    inv = 1.0 / eps
    for i in prange(n):
        # One pass: a running maximum, rescaling the partial sum when it moves.
        top = -np.inf
        total = 0.0
        for j in range(m):
            v = log_w[j] + (h[j] - _cost(x, i, y, j, order)) * inv
            if v <= top:
                # A term below e^-50 (2e-22) of the largest one is lost in
                # rounding even when 10^6 of them add up; skipping its exp
                # saves most of the time at small eps, where most of the
                # kernel is negligible.
                if v > top - _NEGLIGIBLE:
                    total += math.exp(v - top)
            else:
                total = total * math.exp(top - v) + 1.0
                top = v
        out[i] = -eps * (top + math.log(total))


@njit(cache=True, nogil=True, parallel=True)
def plan_sums(x, y, log_a, log_b, f, g, eps, order):
    """Sums over the plan ``pi_ij = a_i b_j exp((f_i + g_j - C_ij) / eps)``.

    Returns
    -------
    transport : float -- ``sum pi_ij C_ij``
    rows : (n,) float64 -- the row marginals ``sum_j pi_ij``
    cols : (m,) float64 -- the column marginals ``sum_i pi_ij``
    """
    n = x.shape[0]
    m = y.shape[0]
    inv = 1.0 / eps
    rows = np.zeros(n)
    row_cost = np.zeros(n)
    for i in prange(n):
        mass = 0.0
        weighted = 0.0
        for j in range(m):
            c = _cost(x, i, y, j, order)
            p = math.exp(log_a[i] + log_b[j] + (f[i] + g[j] - c) * inv)
            mass += p
            weighted += p * c
        rows[i] = mass
        row_cost[i] = weighted
    cols = np.zeros(m)
    for j in prange(m):
        mass = 0.0
        for i in range(n):
            c = _cost(x, i, y, j, order)
            mass += math.exp(log_a[i] + log_b[j] + (f[i] + g[j] - c) * inv)
        cols[j] = mass
    return row_cost.sum(), rows, cols


@njit(cache=True, nogil=True, parallel=True)
def dense_plan(x, y, log_a, log_b, f, g, eps, order):
    """The plan ``pi_ij`` as a dense (n, m) array (only when asked for and it fits)."""
    n = x.shape[0]
    m = y.shape[0]
    inv = 1.0 / eps
    plan = np.empty((n, m))
    for i in prange(n):
        for j in range(m):
            c = _cost(x, i, y, j, order)
            plan[i, j] = math.exp(log_a[i] + log_b[j] + (f[i] + g[j] - c) * inv)
    return plan


def warm_up():
    """Compile the kernels (benchmarks time compilation apart)."""
    x = np.zeros((2, 2))
    w = np.log(np.full(2, 0.5))
    h = np.zeros(2)
    out = np.empty(2)
    softmin(x, x, w, h, 1.0, 2.0, out)
    plan_sums(x, x, w, w, h, h, 1.0, 2.0)
    dense_plan(x, x, w, w, h, h, 1.0, 2.0)
