"""Optimal transport on a cost matrix given by the caller (``cost=M``).

POT's users bring the matrix: ``ot.emd2(a, b, M)``. Here ``M[i, j]`` is the
cost of moving a unit of mass from atom ``i`` of ``p`` to atom ``j`` of
``q`` (the bins of two histograms, with or without support points, or two
weighted sample sets, in the order given). There is no ground distance and no
order: the optimal cost ``min <pi, M>`` is the answer, with no root taken.

* ``"exact"`` -- POT's network simplex (:func:`ot.emd`) on ``M``, then the
  certificate of :func:`divergences.ot.exact.certify` (marginals, most
  negative reduced cost, duality gap); ``value = cost = <pi, M>``.
* ``"sinkhorn"`` -- log-domain Sinkhorn on the dense matrix (never
  underflows, whatever ``eps``), annealed from the largest cost down to
  ``eps``, in the units of ``M`` (POT's ``reg``); ``value = <pi, M>`` for
  the entropic plan (what :func:`ot.sinkhorn2` returns), ``cost = OT_eps``,
  the regularised objective.

``+inf`` entries are forbidden pairs, honoured by both: Sinkhorn's kernel is
zero there; the simplex sees a finite penalty ``B`` a million times the
largest finite cost (POT's simplex needs finite costs), and its plan must
then put no mass on them. A feasible plan costs at most ``max M``, so a
penalised optimum moving more than ``max M / B`` of mass through forbidden
pairs proves that no coupling avoids them (an error); one moving less,
but some, is not certified (a warning).
"""

import warnings

import numpy as np

from .._validation import check_positive_int
from ..exceptions import ConvergenceWarning, InvalidMeasureError, MethodError
from ..results import OTResult
from ._common import check_dense_fits

__all__ = ["applies", "solve_exact", "solve_sinkhorn", "check_cost", "discrete_weights"]

# Forbidden pairs cost this many times the largest finite cost in the simplex.
_PENALTY = 1e6
_REL_TOL = 1e-9
_ABS_TOL = 1e-13
_MAX_ITER = 2**40


def applies(p, q, options):
    """Two discrete measures (histograms, with or without support, or sample sets)."""
    return p.kind in ("samples", "histogram") and q.kind in ("samples", "histogram")


def discrete_weights(measure):
    """The masses of a discrete measure's atoms, in the order its cost rows/columns use."""
    return measure.weights if measure.kind == "samples" else measure.probabilities


def check_cost(cost, n, m):
    """``cost`` as a float64 ``(n, m)`` array: finite or ``+inf``, and non-negative.

    Returns ``(matrix, forbidden)`` with ``forbidden`` the boolean mask of the
    ``+inf`` entries, or None when there are none.
    """
    try:
        matrix = np.asarray(cost, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InvalidMeasureError(f"cost must be a numeric (n, m) array: {error}") from None
    if matrix.shape != (n, m):
        raise InvalidMeasureError(
            f"cost must have shape (n, m) = ({n}, {m}), one row per atom of p and one column "
            f"per atom of q, got shape {matrix.shape}."
        )
    if np.isnan(matrix).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(matrix))[0])
        raise InvalidMeasureError(f"cost has NaN entries (first at {where}); costs must be numbers.")
    if (matrix < 0.0).any():
        where = tuple(int(i) for i in np.argwhere(matrix < 0.0)[0])
        raise InvalidMeasureError(
            f"cost has negative entries (first {matrix[where]:g} at {where}); costs must be >= 0 "
            "(add a constant: it shifts every coupling's cost alike)."
        )
    forbidden = np.isinf(matrix)
    return matrix, (forbidden if forbidden.any() else None)


def _check_order(order):
    if order != 1.0:
        raise MethodError(
            f"order={order:g} has no meaning with cost=M: M is the cost itself and no root is "
            "taken; pass cost=D**order for the order-th power of a distance matrix D."
        )


def _check_feasible_pattern(matrix, forbidden, a, b):
    """Each atom with mass needs an allowed partner with mass."""
    if forbidden is None:
        return
    allowed = ~forbidden[np.ix_(a > 0, b > 0)]
    for axis, side, measure in ((1, "row", "p"), (0, "column", "q")):
        lonely = ~allowed.any(axis=axis)
        if lonely.any():
            index = int(np.flatnonzero((a if axis == 1 else b) > 0)[np.argmax(lonely)])
            raise InvalidMeasureError(
                f"cost row/column pattern forbids every move of atom {index} of {measure} "
                f"({side} {index} of cost is +inf wherever the other measure has mass): no "
                "coupling exists."
            )


def solve_exact(p, q, *, cost, order=1.0, return_plan=False, max_memory=None, max_iter=None):
    """Exact OT on a given cost matrix: POT's network simplex, then a certificate.

    Parameters
    ----------
    p, q : Histogram or Samples
        ``n`` and ``m`` atoms, in the order of the rows and columns of ``cost``.
    cost : array_like, shape (n, m)
        Non-negative costs; ``+inf`` forbids a pair.
    order : float
        Must be 1: ``M`` is the cost itself (pass ``D**order`` for a power).
    return_plan : bool
        Keep the optimal coupling (dense) in the result.
    max_memory : int, optional
        Bytes the solver's two dense n-by-m arrays (the scaled matrix and the
        plan) may take; half the physical memory by default.
    max_iter : int, optional
        Pivots allowed (unlimited in practice by default); a simplex stopped
        by it warns.

    Returns
    -------
    OTResult
        ``value = cost = <pi, M>`` (no root); ``potentials`` ``(f, g)`` with
        ``f_i + g_j <= M_ij`` on the allowed pairs; ``details`` as
        :func:`divergences.ot.exact.solve`, plus ``forbidden_mass``.

    Examples
    --------
    >>> import divergences as dv
    >>> r = dv.wasserstein(dv.Histogram([0.5, 0.5]), dv.Histogram([0.5, 0.5]),
    ...                    cost=[[0.0, 1.0], [1.0, 0.0]])
    >>> float(r), r.converged
    (0.0, True)
    """
    from ._simplex import dense_network_simplex

    _check_order(order)
    a, b = discrete_weights(p), discrete_weights(q)
    n, m = a.shape[0], b.shape[0]
    check_dense_fits(n, m, 2, "exact", "sinkhorn", max_memory)
    matrix, forbidden = check_cost(cost, n, m)
    _check_feasible_pattern(matrix, forbidden, a, b)
    if max_iter is not None:
        max_iter = check_positive_int(max_iter, "max_iter")
    largest = float(matrix.max(initial=0.0, where=np.isfinite(matrix)))
    # The simplex's tolerances are absolute: its largest cost brought to [1/2, 1) by
    # a power of two (exactly), and the answer back.
    shift = int(np.frexp(largest)[1]) if largest > 0.0 else 0
    scaled = np.ldexp(matrix, -shift)
    if forbidden is not None:
        scaled[forbidden] = _PENALTY
    # Optimality is checked below with a certificate, which warns itself.
    plan, f, g, solved, check, total = dense_network_simplex(
        np.asarray(a), np.asarray(b), scaled, max_iter or _MAX_ITER)
    forbidden_mass = 0.0 if forbidden is None else float(plan[forbidden].sum())
    if forbidden_mass > 1.0 / _PENALTY:
        raise InvalidMeasureError(
            f"no coupling of p and q avoids the +inf entries of cost: the best plan with those "
            f"pairs penalised still moves {forbidden_mass:.3g} of the mass through them (a "
            f"feasible plan would move at most {1.0 / _PENALTY:g})."
        )
    total_scale = max(largest * 2.0**-shift, 1.0) if largest > 0 else 1.0
    bound = check["duality_gap"] + check["dual_violation"]
    tolerance = _REL_TOL * abs(total) + _ABS_TOL * total_scale
    converged = solved and check["marginal_error"] <= 1e-9 and bound <= tolerance
    converged = converged and forbidden_mass == 0.0
    unit = lambda amount: float(np.ldexp(amount, shift))  # noqa: E731 -- back to M's units
    details = {"solver": "network_simplex", "marginal_error": check["marginal_error"],
               "dual_violation": unit(check["dual_violation"]),
               "duality_gap": unit(check["duality_gap"]), "error_bound": unit(bound),
               "tolerance": unit(tolerance), "forbidden_mass": forbidden_mass}
    if not converged:
        why = (f"it moves {forbidden_mass:.3g} of the mass through forbidden (+inf) pairs"
               if forbidden_mass > 0.0 else
               f"duality gap + dual violation = {details['error_bound']:.3g} (allowed "
               f"{details['tolerance']:.3g}), marginal error {check['marginal_error']:.3g}")
        warnings.warn(
            f"exact OT on cost=M {'stopped at max_iter and ' if not solved else ''}could not "
            f"certify optimality: {why}. Raise max_iter, or check M.",
            ConvergenceWarning,
            stacklevel=4,
        )
    total = unit(max(total, 0.0))
    return OTResult(
        value=total,
        cost=total,
        unit="cost",
        order=1.0,
        method="exact",
        sizes=(p.size, q.size),
        stderr=0.0 if converged else None,
        converged=converged,
        plan=plan if return_plan else None,
        potentials=(np.ldexp(f, shift), np.ldexp(g, shift)),
        marginal_error=check["marginal_error"],
        note="cost=M: value and cost are both <pi, M>",
        details=details,
    )


def _softmin(log_w, h, matrix, eps, axis, out):
    """``out = -eps log sum_k w_k exp((h_k - M) / eps)`` along ``axis`` (0: over rows)."""
    from scipy.special import logsumexp

    terms = (h + eps * log_w)[:, None] - matrix if axis == 0 else (h + eps * log_w)[None, :] - matrix
    with np.errstate(invalid="ignore"):
        out[:] = -eps * logsumexp(terms / eps, axis=axis)
    return out


def _log(w):
    with np.errstate(divide="ignore"):
        return np.log(w)


def solve_sinkhorn(
    p,
    q,
    *,
    cost,
    eps,
    order=1.0,
    tol=1e-6,
    max_iter=10_000,
    eps_scaling=0.5,
    return_plan=False,
    max_memory=None,
    progress=False,
):
    """Entropic OT on a given cost matrix by log-domain Sinkhorn (dense).

    Parameters
    ----------
    p, q : Histogram or Samples
        ``n`` and ``m`` atoms, in the order of the rows and columns of ``cost``.
    cost : array_like, shape (n, m)
        Non-negative costs; ``+inf`` forbids a pair (its kernel entry is 0).
    eps : float
        The regularisation, in the units of ``M`` (POT's ``reg``).
    order : float
        Must be 1 (``M`` is the cost itself).
    tol, max_iter, eps_scaling, progress
        As :func:`divergences.ot.sinkhorn.solve`: stop at L1 marginal error
        ``tol``; beyond ``max_iter`` iterations a :class:`ConvergenceWarning`.
    return_plan : bool
        Keep the dense plan.
    max_memory : int, optional
        Bytes the working n-by-m arrays may take; half the physical memory by default.

    Returns
    -------
    OTResult
        ``value = <pi, M>`` for the entropic plan ``pi`` (POT's
        :func:`ot.sinkhorn2`), ``cost = OT_eps = <pi, M> + eps KL(pi | a x b)``;
        ``details`` holds ``eps``, ``transport_cost`` and ``entropic_term``.

    Examples
    --------
    >>> import divergences as dv
    >>> r = dv.wasserstein(dv.Histogram([0.5, 0.5]), dv.Histogram([0.5, 0.5]),
    ...                    cost=[[0.0, 1.0], [1.0, 0.0]], method="sinkhorn", eps=1.0)
    >>> round(float(r), 6), r.converged
    (0.268941, True)
    """
    from .._progress import SolverProgress
    from .sinkhorn import _check_options, _warn_not_converged
    from ._sinkhorn_loop import alternate, entropic_result

    _check_order(order)
    eps, tol, max_iter, eps_scaling = _check_options(eps, tol, max_iter, eps_scaling)
    a, b = np.asarray(discrete_weights(p)), np.asarray(discrete_weights(q))
    n, m = a.shape[0], b.shape[0]
    check_dense_fits(n, m, 3, "sinkhorn on cost=M", "exact", max_memory)
    matrix, forbidden = check_cost(cost, n, m)
    _check_feasible_pattern(matrix, forbidden, a, b)
    log_a, log_b = _log(a), _log(b)
    largest = float(matrix.max(initial=0.0, where=np.isfinite(matrix)))
    reporter = SolverProgress(progress, "sinkhorn (cost=M)")
    stage = reporter.stage("OT(p, q)")
    f, g, info = alternate(
        lambda f, e, out: _softmin(log_a, f, matrix, e, 0, out),
        lambda g, e, out: _softmin(log_b, g, matrix, e, 1, out),
        a, b, eps=eps, scale=max(largest, eps), tol=tol, max_iter=max_iter, scaling=eps_scaling,
        progress=stage,
    )
    reporter.close()
    if not info["converged"]:
        _warn_not_converged("Sinkhorn on cost=M", info, tol)
    with np.errstate(invalid="ignore", over="ignore"):
        plan = np.exp(log_a[:, None] + log_b[None, :] + (f[:, None] + g[None, :] - matrix) / eps)
    plan[~np.isfinite(plan)] = 0.0
    allowed = np.isfinite(matrix)
    transport = float(np.sum(plan[allowed] * matrix[allowed]))
    marginal = float(np.abs(plan.sum(axis=1) - a).sum() + np.abs(plan.sum(axis=0) - b).sum())
    return entropic_result(
        p, q, f, g, info, transport=transport, marginal_error=marginal, eps=eps, tol=tol,
        value=transport, order=1.0, unit="cost", plan=plan if return_plan else None,
        note=f"entropic plan on cost=M at eps={eps:g}; value is <pi, M>, cost the regularised "
             "objective OT_eps",
    )


solve_sinkhorn.required_help = {
    "eps": "the entropic regularisation in the units of cost=M (POT's reg)"
}
