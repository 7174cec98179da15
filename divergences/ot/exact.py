"""Exact discrete optimal transport, with an optimality certificate.

The linear program min <pi, C> over couplings of two weighted point clouds is
solved by POT's network simplex (:func:`ot.emd`), given an iteration budget
large enough to finish (POT's default of 100,000 stops early from a few
thousand points on, returning a sub-optimal value with only a warning). The
answer is then *checked* rather than trusted: the plan's marginals (primal
feasibility), the reduced costs ``C_ij - f_i - g_j >= 0`` (dual feasibility)
and the duality gap. A solution that fails the check is returned with
``converged=False`` and a :class:`ConvergenceWarning`.
"""

import warnings

import numpy as np

from ..exceptions import ConvergenceWarning
from ..results import OTResult
from ._common import check_dense_fits, is_point_cloud, point_cloud

__all__ = ["applies", "solve", "ground_cost", "certify"]

# Enough for any problem that fits in memory: the simplex terminates long before.
_MAX_ITER = 2**40
_ROW_BLOCK = 1024


def applies(p, q, options):
    """Two point clouds (samples, or histograms with support points)."""
    return is_point_cloud(p) and is_point_cloud(q)


def ground_cost(x, y, order):
    """The dense cost matrix ``|x_i - y_j|^order`` (Euclidean norm)."""
    from scipy.spatial.distance import cdist

    if order == 2.0:
        return cdist(x, y, "sqeuclidean")
    cost = cdist(x, y, "euclidean")
    if order != 1.0:
        np.power(cost, order, out=cost)
    return cost


def certify(plan, cost, a, b, f, g):
    """Check optimality of a plan and potentials; return the three residuals.

    Returns
    -------
    dict
        ``marginal_error`` (L1), ``dual_violation`` (largest negative reduced
        cost, >= 0) and ``duality_gap`` (|primal - dual|).
    """
    marginal_error = float(np.abs(plan.sum(axis=1) - a).sum() + np.abs(plan.sum(axis=0) - b).sum())
    violation = 0.0
    for start in range(0, cost.shape[0], _ROW_BLOCK):
        block = cost[start : start + _ROW_BLOCK] - f[start : start + _ROW_BLOCK, None] - g[None, :]
        violation = max(violation, float(-block.min()))
    primal = float(np.sum(plan * cost))
    dual = float(a @ f + b @ g)
    return {
        "marginal_error": marginal_error,
        "dual_violation": max(violation, 0.0),
        "duality_gap": abs(primal - dual),
    }


def solve(p, q, *, order=1.0, return_plan=False, max_memory=None):
    """Exact W_p between two point clouds by the network simplex.

    Parameters
    ----------
    p, q : Samples or Histogram with support
    order : float
        The exponent of the cost ``|x - y|^order``.
    return_plan : bool
        Keep the optimal coupling (an n-by-m array) in the result.
    max_memory : int, optional
        Bytes the dense cost matrix and plan may use; by default half of the
        physical memory. Beyond it the method refuses and names the online one.
    """
    import ot

    x, a = point_cloud(p)
    y, b = point_cloud(q)
    check_dense_fits(x.shape[0], y.shape[0], 2, "exact", "sinkhorn", max_memory)
    cost = ground_cost(x, y, order)
    with warnings.catch_warnings():
        # We check optimality ourselves below, with a certificate, and warn then.
        warnings.simplefilter("ignore", UserWarning)
        plan, log = ot.emd(a, b, cost, numItermax=_MAX_ITER, log=True)
    f, g = np.asarray(log["u"], dtype=np.float64), np.asarray(log["v"], dtype=np.float64)
    check = certify(plan, cost, a, b, f, g)
    total = float(np.sum(plan * cost))
    scale = max(float(np.abs(cost).max()), np.finfo(float).tiny)
    # Residuals of an exact simplex solution are a few ulps of the cost scale.
    tolerance = 1e-9 * scale
    converged = (
        log["result_code"] == 1
        and check["marginal_error"] <= 1e-9
        and check["dual_violation"] <= tolerance
        and check["duality_gap"] <= tolerance
    )
    if not converged:
        warnings.warn(
            f"exact OT could not certify optimality (solver status {log['result_code']}, "
            f"{check}); the value may be too high.",
            ConvergenceWarning,
            stacklevel=4,
        )
    total = max(total, 0.0)
    return OTResult(
        value=total ** (1.0 / order),
        cost=total,
        order=order,
        method="exact",
        sizes=(p.size, q.size),
        stderr=0.0 if converged else None,
        converged=converged,
        plan=plan if return_plan else None,
        potentials=(f, g),
        marginal_error=check["marginal_error"],
        details=check,
    )
