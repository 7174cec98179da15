"""The alternating log-domain Sinkhorn loop, for any soft-min operator.

:mod:`divergences.ot.sinkhorn` runs its loop on point clouds with costs on
the fly; the solvers on a given cost matrix (:mod:`divergences.ot.cost_matrix`)
and on regular grids (:mod:`divergences.ot.grid`) differ only in how one
soft-min ``T`` is computed, so they share this loop: annealing from the cost
scale down to ``eps``, then over-relaxed alternating updates (the factor fitted
as in :class:`divergences.ot.sinkhorn._Relaxation`) until the L1 marginal error
of the plan ``pi_ij = a_i b_j exp((f_i + g_j - C_ij) / eps)`` is below ``tol``.
"""

import math

import numpy as np

from .sinkhorn import _MAX_EXPONENT, _Relaxation, _schedule

__all__ = ["alternate", "marginal_error"]


def marginal_error(w, h, h_plain, eps):
    """L1 error of one marginal: ``sum_i w_i |exp((h_i - T(h')_i) / eps) - 1|``.

    Atoms without mass do not count (their potential may be infinite).
    """
    mass = w > 0.0
    exponent = np.minimum((h[mass] - h_plain[mass]) / eps, _MAX_EXPONENT)
    return float(np.sum(w[mass] * np.abs(np.expm1(exponent))))


def _dot(w, h):
    """``<w, h>`` over the atoms with mass (a potential may be infinite where ``w = 0``)."""
    mass = w > 0.0
    return float(w[mass] @ h[mass])


def alternate(to_columns, to_rows, a, b, *, eps, scale, tol, max_iter, scaling, progress=None):
    """Log-domain Sinkhorn with soft-min operators given as functions.

    Parameters
    ----------
    to_columns : callable (f, eps, out) -> out
        ``out_j = -eps log sum_i a_i exp((f_i - C_ij) / eps)``.
    to_rows : callable (g, eps, out) -> out
        ``out_i = -eps log sum_j b_j exp((g_j - C_ij) / eps)``.
    a, b : ndarray
        The marginals.
    eps, scale : float
        The target regularisation and the cost scale where annealing starts.
    tol, max_iter, scaling
        As :func:`divergences.ot.sinkhorn.solve`.
    progress : callable, optional
        Called as ``progress(marginal_error)`` after each iteration at ``eps``.

    Returns
    -------
    f, g : ndarray
    info : dict
        ``dual`` (``<a, f> + <b, g> - eps (mass - 1)``, the estimate of
        OT_eps), ``n_iter`` (annealing included), ``marginal_error`` and
        ``converged``.
    """
    f, g = np.zeros(a.shape[0]), np.zeros(b.shape[0])
    levels = _schedule(eps, scale, scaling)
    for level in levels:
        to_columns(f, level, g)
        to_rows(g, level, f)
    n_iter = len(levels)
    relax = _Relaxation()
    f_plain, g_plain = np.empty_like(f), np.empty_like(g)
    converged, error = False, math.inf
    for step in range(max_iter):
        omega = relax.omega
        to_columns(f, eps, g_plain)
        g_omega = 1.0 if step == 0 else omega
        # Infinite potentials (atoms without mass) stay as T gives them.
        g[:] = np.where(np.isfinite(g_plain) & np.isfinite(g), (1.0 - g_omega) * g + g_omega * g_plain,
                        g_plain)
        to_rows(g, eps, f_plain)
        n_iter += 1
        error = marginal_error(b, g, g_plain, eps) + marginal_error(a, f, f_plain, eps)
        if progress is not None:
            progress(error)
        if error <= tol:
            converged = True
            break
        f[:] = np.where(np.isfinite(f_plain) & np.isfinite(f), (1.0 - omega) * f + omega * f_plain,
                        f_plain)
        relax.update(error)
    mass_b = b > 0.0
    mass = float(np.sum(b[mass_b] * np.exp(np.minimum((g - g_plain)[mass_b] / eps, _MAX_EXPONENT))))
    dual = _dot(a, f) + _dot(b, g) - eps * (mass - 1.0)
    return f, g, {"dual": dual, "n_iter": n_iter, "marginal_error": error, "converged": converged}


def entropic_result(p, q, f, g, info, *, transport, marginal_error, eps, tol, value, order, note,
                    unit="distance", plan=None, **details):
    """The :class:`OTResult` of an entropic solve: ``cost = OT_eps`` (the dual), ``value`` given."""
    from ..results import OTResult

    return OTResult(
        value=value,
        cost=info["dual"],
        unit=unit,
        order=order,
        method="sinkhorn",
        sizes=(p.size, q.size),
        stderr=None,
        converged=info["converged"],
        plan=plan,
        potentials=(f, g),
        n_iter=info["n_iter"],
        marginal_error=marginal_error,
        note=note,
        details={"eps": eps, "transport_cost": transport,
                 "entropic_term": info["dual"] - transport, "tol": tol, **details},
    )
