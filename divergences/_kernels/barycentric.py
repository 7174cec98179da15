"""The gradient of an entropic transport cost with respect to the target points, online.

For the entropic plan ``pi_ij = a_i b_j exp((f_i + g_j - C_ij) / eps)`` with
``C_ij = |x_i - y_j|^order``, the envelope theorem gives the gradient of
``OT_eps`` with respect to ``y_j`` as the plan-weighted gradient of the cost,

    G_j = sum_i pi_ij grad_y C(x_i, y_j)
        = sum_i pi_ij order |y_j - x_i|^(order - 2) (y_j - x_i),

which for ``order = 2`` is ``2 (sum_i pi_ij) (y_j - T(y_j))`` with ``T`` the
barycentric map (Feydy et al. 2019, "Interpolating between optimal transport
and MMD using Sinkhorn divergences", sec. 3; Cuturi & Doucet 2014). It is
computed column by column without storing the plan: for each ``j`` the
exponents ``log a_i + (f_i - C_ij) / eps`` of one column are written to a
scratch vector of length ``n``, their maximum factored out (so nothing
overflows whatever ``eps``), and the column's weighted sum of
``grad_y C`` accumulated. Memory: O(n) scratch per thread and the (m, d)
result -- no n-by-m array and no n-by-m-by-d tensor. Time: O(n m d), one
pass of the soft-min's cost.

``grad_y C`` is taken as 0 where ``y_j = x_i`` for ``order < 2`` (where
``|y - x|^order`` has a kink or a cusp): a subgradient.
"""

import math

import numpy as np
from numba import njit, prange

from .fast_exp import exp_nonpositive
from .costs import power  # |x - y|^order = (squared distance)^(order / 2), as the soft-min

# Below this many plan entries the serial twin runs (the same rule as the
# soft-min's: see divergences._kernels.sinkhorn).
SERIAL_BELOW = 128 * 128
_FAST = {"nnan", "ninf", "nsz", "reassoc", "contract", "arcp"}


@njit(cache=True, nogil=True, fastmath=_FAST)
def _column(j, x, y, offset_x, log_b, g, inv, order, v, sq, out):
    """``out[j] = sum_i pi_ij grad_y C(x_i, y_j)``; ``v``, ``sq`` are scratch of length n."""
    n, d = x.shape
    top = -1.7976931348623157e308
    for i in range(n):
        s = 0.0
        for k in range(d):
            t = y[j, k] - x[i, k]
            s += t * t
        sq[i] = s
        e = offset_x[i] - power(s, 0.5 * order) * inv
        v[i] = e
        top = max(top, e)
    for k in range(d):
        out[j, k] = 0.0
    total = 0.0
    for i in range(n):
        w = exp_nonpositive(v[i] - top)
        total += w
        if order == 2.0:
            scale = 2.0 * w
        elif sq[i] > 0.0:
            scale = w * order * sq[i] ** (0.5 * order - 1.0)
        else:
            scale = 0.0
        for k in range(d):
            out[j, k] += scale * (y[j, k] - x[i, k])
    # pi_ij = exp(log b_j + g_j / eps + top) * w_i
    mass = math.exp(log_b[j] + g[j] * inv + top)
    for k in range(d):
        out[j, k] *= mass


@njit(cache=True, nogil=True, parallel=True, fastmath=_FAST)
def plan_gradient(x, y, log_a, f, log_b, g, eps, order):
    """``G[j] = sum_i pi_ij grad_y |x_i - y_j|^order``, shape (m, d); columns in parallel.

    Parameters
    ----------
    x : (n, d) float64
    y : (m, d) float64
    log_a, f : (n,) float64
        Log-weights (finite: :func:`divergences._kernels.sinkhorn.log_weights`)
        and potential of ``x``.
    log_b, g : (m,) float64
        The same for ``y``.
    eps, order : float
    """
    n, m = x.shape[0], y.shape[0]
    inv = 1.0 / eps
    offset_x = log_a + f * inv
    out = np.empty((m, x.shape[1]))
    n_tasks = (m + 31) // 32
    for task in prange(n_tasks):
        v = np.empty(n)
        sq = np.empty(n)
        for j in range(task * 32, min(m, (task + 1) * 32)):
            _column(j, x, y, offset_x, log_b, g, inv, order, v, sq, out)
    return out


@njit(cache=True, nogil=True, fastmath=_FAST)
def plan_gradient_serial(x, y, log_a, f, log_b, g, eps, order):
    """:func:`plan_gradient` on the calling thread (the serial path for small problems)."""
    n, m = x.shape[0], y.shape[0]
    inv = 1.0 / eps
    offset_x = log_a + f * inv
    out = np.empty((m, x.shape[1]))
    v = np.empty(n)
    sq = np.empty(n)
    for j in range(m):
        _column(j, x, y, offset_x, log_b, g, inv, order, v, sq, out)
    return out


def warm_up():
    """Compile the kernels (benchmarks time compilation apart)."""
    x = np.zeros((2, 2))
    w = np.log(np.full(2, 0.5))
    h = np.zeros(2)
    for order in (1.0, 2.0):
        plan_gradient(x, x, w, h, w, h, 1.0, order)
        plan_gradient_serial(x, x, w, h, w, h, 1.0, order)
