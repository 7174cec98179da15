"""POT's network simplex on a dense cost matrix, called without :func:`ot.emd`'s per-call overhead.

:func:`ot.emd` wraps the C++ solver in backend detection, marginal checks
(``numpy.testing``), dual centring and a dual completion for empty bins,
about as long as the solve itself on 64-bin problems (digits: 8 x 8 images).
Here the solver is called directly on the atoms with mass, and the potentials
of the atoms without mass are completed by c-transforms, which keeps them
dual feasible (the certificate checks every pair). Where POT's private
binding is missing or differs (another POT version), :func:`ot.emd` is used.
"""

import warnings

import numpy as np

__all__ = ["dense_network_simplex"]


def _emd_c():
    try:
        from ot.lp.emd_wrap import emd_c
    except ImportError:  # pragma: no cover - another POT layout
        return None
    return emd_c


def dense_network_simplex(a, b, cost, max_iter):
    """``(plan, f, g, solved)`` of the transport problem ``min <pi, cost>`` (cost finite).

    ``f_i + g_j <= cost_ij`` for every pair (to the solver's tolerance), also
    for atoms without mass.
    """
    emd_c = _emd_c()
    rows, cols = a > 0, b > 0
    every_row, every_col = bool(rows.all()), bool(cols.all())
    sub = cost if every_row and every_col else np.ascontiguousarray(cost[np.ix_(rows, cols)])
    a_sub = np.ascontiguousarray(a[rows], dtype=np.float64)
    b_sub = np.ascontiguousarray(b[cols], dtype=np.float64)
    b_sub = b_sub * (a_sub.sum() / b_sub.sum())
    result = None
    if emd_c is not None:
        for args in ((max_iter, 1, None, None), (max_iter, 1)):
            try:
                result = emd_c(a_sub, b_sub, np.ascontiguousarray(sub, dtype=np.float64), *args)
                break
            except TypeError:
                continue
    if result is None:
        import ot

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            plan, log = ot.emd(a, b, cost, numItermax=max_iter, log=True)
        return (plan, np.asarray(log["u"], dtype=np.float64), np.asarray(log["v"], dtype=np.float64),
                log["result_code"] == 1)
    plan_sub, _, f_sub, g_sub, code = result
    if every_row and every_col:
        return plan_sub, np.asarray(f_sub, dtype=np.float64), np.asarray(g_sub, dtype=np.float64), code == 1
    plan = np.zeros(cost.shape)
    plan[np.ix_(rows, cols)] = plan_sub
    f = np.zeros(cost.shape[0])
    g = np.zeros(cost.shape[1])
    f[rows], g[cols] = f_sub, g_sub
    # c-transforms: the largest feasible potentials of the empty atoms.
    if not every_row:
        f[~rows] = np.min(cost[np.ix_(~rows, cols)] - g[cols][None, :], axis=1)
    if not every_col:
        g[~cols] = np.min(cost[:, ~cols] - f[:, None], axis=0)
    return plan, f, g, code == 1
