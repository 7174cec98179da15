"""The network simplex's dual completion and optimality certificate, in one kernel.

POT's C++ network simplex leaves the potentials of atoms without mass at 0,
which need not be dual feasible. :func:`complete_and_certify` gives them the
largest feasible values by c-transforms and then measures, in one pass over
the plan and the cost matrix, everything the certificate needs: the plan's
marginals, its cost, the dual objective and the most negative reduced cost.

Done with numpy this took some fifteen whole-array operations and an
``np.nonzero`` of the plan; on the 64-bin problems of a loop over digit
images their per-call overhead was a large part of each solve, and at
n = 1,000 points the passes cost 10-15% of the solve (both measured in
``benchmarks/bench_grids.py`` and ``bench_exact.py --cases panel``). The
sums run over every entry of the plan in order; its zeros add nothing, so
they are sums of the plan's n + m - 1 (or fewer) non-zero terms, in float64,
as before.

Serial only: one pass over an n-by-m array, memory bound, and called once
per solve (the simplex it certifies is itself single-threaded).
"""

import numpy as np
from numba import njit

__all__ = ["complete_and_certify", "certify_plan"]


@njit(cache=True, nogil=True)
def complete_and_certify(plan, cost, a, b, f, g):
    """Complete ``f`` and ``g`` on the atoms without mass (in place), then certify the plan.

    Parameters
    ----------
    plan, cost : (n, m) float64, C-contiguous
    a, b : (n,) and (m,) float64
        The marginals the plan must meet (the certificate's reference).
    f, g : (n,) and (m,) float64
        The solver's potentials; entries of rows with ``a_i <= 0`` and
        columns with ``b_j <= 0`` are replaced by c-transforms: rows against
        every column first, then columns against every (completed) row, so
        that every pair is feasible up to the solver's own tolerance.

    Returns
    -------
    marginal_error : float
        ``sum_i |plan_i. - a_i| + sum_j |plan_.j - b_j|``.
    violation : float
        ``max(0, max_ij f_i + g_j - cost_ij)``.
    primal : float
        ``<plan, cost>``.
    dual : float
        ``a @ f + b @ g``.
    """
    n, m = cost.shape
    for i in range(n):
        if a[i] <= 0.0:
            best = np.inf
            for j in range(m):
                value = cost[i, j] - g[j]
                if value < best:
                    best = value
            f[i] = best
    empty_cols = 0
    for j in range(m):
        if b[j] <= 0.0:
            empty_cols += 1
    if empty_cols > 0:
        column_best = np.full(m, np.inf)
        for i in range(n):
            fi = f[i]
            for j in range(m):
                if b[j] <= 0.0:
                    value = cost[i, j] - fi
                    if value < column_best[j]:
                        column_best[j] = value
        for j in range(m):
            if b[j] <= 0.0:
                g[j] = column_best[j]
    return certify_plan(plan, cost, a, b, f, g)


@njit(cache=True, nogil=True)
def certify_plan(plan, cost, a, b, f, g):
    """The certificate of :func:`complete_and_certify`, of the potentials as they are."""
    n, m = cost.shape
    col_sums = np.zeros(m)
    marginal_error = 0.0
    primal = 0.0
    lowest = np.inf
    for i in range(n):
        row_sum = 0.0
        fi = f[i]
        for j in range(m):
            mass = plan[i, j]
            c = cost[i, j]
            if mass != 0.0:
                row_sum += mass
                col_sums[j] += mass
                primal += mass * c
            reduced = (c - fi) - g[j]
            if reduced < lowest:
                lowest = reduced
        marginal_error += abs(row_sum - a[i])
    for j in range(m):
        marginal_error += abs(col_sums[j] - b[j])
    dual = 0.0
    for i in range(n):
        dual += a[i] * f[i]
    for j in range(m):
        dual += b[j] * g[j]
    return marginal_error, max(-lowest, 0.0), primal, dual


def warm_up():
    """Compile (or load from cache) the kernel on a tiny problem."""
    cost = np.array([[0.0, 1.0], [1.0, 0.0]])
    complete_and_certify(np.eye(2) / 2, cost, np.array([0.5, 0.5]), np.array([0.5, 0.5]),
                         np.zeros(2), np.zeros(2))
