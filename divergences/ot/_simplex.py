"""POT's network simplex on a dense cost matrix, certified, without :func:`ot.emd`'s per-call overhead.

:func:`ot.emd` wraps the C++ solver in backend detection, marginal checks
(``numpy.testing``), dual centring and a dual completion for empty bins,
about as long as the solve itself on 64-bin problems (digits: 8 x 8 images).
Here the solver is called directly (it leaves out the atoms without mass
itself), and one kernel (:func:`divergences._kernels.dense_check.complete_and_certify`)
completes the potentials of the atoms without mass by c-transforms, which
keeps them dual feasible, and measures the certificate (the certificate checks
every pair). Where POT's private binding is missing or differs (another POT
version), :func:`ot.emd` is used, and certified the same way.

No warm start: POT 0.9.7's ``alpha_init``/``beta_init`` (an initial tree of
the arcs with the least reduced costs) made W_1 solves 3-5x faster given the
optimal potentials, but not given cheap approximate ones -- an auction stopped
at 1e-2 to 1e-4 of the cost, the potentials of a quarter-size subproblem
extended by c-transforms, or the 1-D potential along the clouds' mean shift:
0.6-1.2x, no gain on the panel (benchmarks/results/2026-12-02/
exact_warm_start_trials.txt).
"""

import warnings

import numpy as np

__all__ = ["dense_network_simplex"]

# How POT's emd_c is called, found on the first call: (emd_c, extra arguments) or None.
_BINDING = []


def _binding():
    """``emd_c`` and the trailing arguments this POT version takes, tried once per process."""
    if not _BINDING:
        try:
            from ot.lp.emd_wrap import emd_c
        except ImportError:  # pragma: no cover - another POT layout
            emd_c = None
        found = None
        if emd_c is not None:
            # POT 0.9.7: (max_iter, numThreads, alpha_init, beta_init); older: (max_iter, numThreads).
            for extra in ((1, None, None), (1,)):
                try:
                    emd_c(np.ones(1), np.ones(1), np.zeros((1, 1)), 10, *extra)
                except TypeError:
                    continue
                found = (emd_c, extra)
                break
        _BINDING.append(found)
    return _BINDING[0]


def dense_network_simplex(a, b, cost, max_iter):
    """``(plan, f, g, solved, check, primal)`` of ``min <pi, cost>`` (cost finite), certified.

    ``f_i + g_j <= cost_ij`` for every pair (to the solver's tolerance), also
    for atoms without mass. ``check`` holds the certificate's
    ``marginal_error`` (L1, against ``a`` and ``b``), ``dual_violation`` (>= 0)
    and ``duality_gap`` (``primal - a @ f - b @ g``); ``primal`` is the
    plan's cost ``<plan, cost>``.
    """
    from .._kernels.dense_check import complete_and_certify

    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    cost = np.ascontiguousarray(cost, dtype=np.float64)
    binding = _binding()
    if binding is not None:
        emd_c, extra = binding
        # The same total mass to rounding, as the solver requires (POT does the same).
        plan, _, f, g, code = emd_c(a, b * (a.sum() / b.sum()), cost, max_iter, *extra)
        solved = code == 1
    else:  # pragma: no cover - another POT layout
        import ot

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            plan, log = ot.emd(a, b, cost, numItermax=max_iter, log=True)
        f, g, solved = log["u"], log["v"], log["result_code"] == 1
    plan = np.ascontiguousarray(plan, dtype=np.float64)
    # Fresh arrays from the solver, completed in place (asarray: no copy, also on numpy 1.x).
    f = np.asarray(f, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    marginal_error, violation, primal, dual = complete_and_certify(plan, cost, a, b, f, g)
    check = {"marginal_error": float(marginal_error), "dual_violation": float(violation),
             "duality_gap": float(primal - dual)}
    return plan, f, g, solved, check, float(primal)
