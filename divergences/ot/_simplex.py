"""POT's network simplex on a dense cost matrix, called without :func:`ot.emd`'s per-call overhead.

:func:`ot.emd` wraps the C++ solver in backend detection, marginal checks
(``numpy.testing``), dual centring and a dual completion for empty bins,
about as long as the solve itself on 64-bin problems (digits: 8 x 8 images).
Here the solver is called directly (it leaves out the atoms without mass
itself), and the potentials of the atoms without mass are completed by
c-transforms, which keeps them dual feasible (the certificate checks every
pair). Where POT's private
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
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    cost = np.ascontiguousarray(cost, dtype=np.float64)
    # The same total mass to rounding, as the solver requires (POT does the same).
    b = b * (a.sum() / b.sum())
    result = None
    if emd_c is not None:
        # The C++ solver itself leaves out the atoms without mass (POT's own
        # filtering before it copies the sub-matrix for nothing).
        for args in ((max_iter, 1, None, None), (max_iter, 1)):
            try:
                result = emd_c(a, b, cost, *args)
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
    plan, _, f, g, code = result
    f, g = np.asarray(f, dtype=np.float64), np.asarray(g, dtype=np.float64)
    empty_rows, empty_cols = a <= 0.0, b <= 0.0
    # c-transforms give the empty atoms (whose potentials the solver leaves at
    # 0) the largest feasible values: rows against every column, then columns
    # against every (completed) row, so that every pair is feasible.
    if empty_rows.any():
        rows = np.flatnonzero(empty_rows)
        f[rows] = np.min(cost[rows] - g[None, :], axis=1)
    if empty_cols.any():
        cols = np.flatnonzero(empty_cols)
        g[cols] = np.min(cost[:, cols] - f[:, None], axis=0)
    return plan, f, g, code == 1
