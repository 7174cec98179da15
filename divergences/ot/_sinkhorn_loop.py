"""The one Sinkhorn loop: annealing, then an accelerated fixed-point iteration.

Every entropic solver of the library -- point clouds with costs on the fly
(:mod:`divergences.ot.sinkhorn`, also on the coarse levels of its multiscale
path and for the symmetric problems of the Sinkhorn divergence), a given cost
matrix (:mod:`divergences.ot.cost_matrix`) and regular grids
(:mod:`divergences.ot.grid`) -- differs only in how one soft-min ``T`` is
computed, so they share this loop:

* :func:`alternate` solves ``OT_eps(a, b)``: annealing from the cost scale
  down to ``eps`` (or a warm start), then the fixed point of
  ``f -> T_b(T_a(f))``, two soft-mins per iteration;
* :func:`symmetric` solves ``OT_eps(a, a)``: the fixed point of the damped
  symmetric update ``p -> p + step (T_a(p) - p)``, one soft-min per iteration;

both through :func:`iterate`, which accelerates the fixed point by Anderson
mixing (:mod:`divergences.ot._anderson`), safeguarded: a mixed step that
does not reduce the L1 marginal error is undone and the plain step taken
instead. Iterations stop when the L1 marginal error of the plan ``pi_ij =
a_i b_j exp((f_i + g_j - C_ij) / eps)`` is below ``tol``.
"""

import math

import numpy as np

from ._anderson import _RIDGE, Anderson

__all__ = ["alternate", "symmetric", "iterate", "marginal_error", "schedule", "entropic_result"]

# exp() of more than this overflows float64; used to keep error estimates finite.
MAX_EXPONENT = 700.0
# The constants below were measured on a sub-panel of issue #18's inputs
# (shift 0.5, 1 and diag 1 at d = 2, mixture at d = 5, cov at d = 1, all at eps
# = 1% of the median cost; shift 2 at d = 2 and shift 10 at d = 1 at 0.1%;
# diag 2 at d = 5 at 10%), tol 1e-6, total iterations over the eight inputs,
# changing one constant at a time (2026-12-02, load ~12, so times are rough).
#
# Differences Anderson's mixing keeps. n = 300: memory 0 (plain) 31,146
# iterations (6 of 8 not converged in 5,000), 2: 10,230, 4: 4,565, 8: 2,091,
# 12: 1,516, 16: 1,280; n = 1,000: 8: 1,356 (2.9 s), 16: 912 (2.0 s), 24: 948
# (no better). Each mixed step costs O(n memory^2), nothing next to a
# soft-min's n m exponentials.
MEMORY = 16
# A mixed step is accepted unless its error exceeds SLACK times the best so
# far. 1.0 (accept only strict progress) took 11,952 iterations at n = 300,
# 1.5 took 2,136, and 2, 4 and 10 each 2,091: the error of an accelerated
# iteration is not monotone, and rejecting its bumps throws the history away.
SLACK = 2.0
# Each annealing level runs until its marginal error is below LEVEL_TOL, at
# most LEVEL_ITER iterations. n = 300: LEVEL_TOL 1 (one pass per level, the
# old schedule) 2,272 iterations and the worst input 1,082; 0.1: 2,196 / 682;
# 0.01: 2,091 / 644; 0.001: 1,923 / 640 (more work on the levels at eps 10%).
# LEVEL_ITER 1: 2,553 / 1,331; 5: 1,973 / 637; 20 and 50: 2,091 / 644. Both
# are flat near these values: the levels only need the potentials roughly
# right for the next eps.
LEVEL_TOL = 1e-2
LEVEL_ITER = 20
# The "auto" annealing rule of alternate (what entropic_ot runs): first TRIAL_ITER
# iterations at the target eps from zero potentials; if the marginal error is then
# above TRIAL_TOL, anneal instead (from the cost scale down, as rule "scale").
# Measured on issue #18's panel at n = 1,000 (26 inputs, d = 1, 2, 5; 2026-12-02,
# benchmarks/results/2026-12-02/sinkhorn_rule*.txt): after 8 iterations at the
# target the error was 1e-7 to 1.5e-2 on every input at eps = 10% of the median
# cost (all then converged without annealing, in fewer iterations: 4-30 against
# 9-43 annealed), 0.2-0.8 at 1% (2e-7 to 8e-3 for the far-apart shift 10), and
# 0.4-1.8 at 0.1%, where it stalls (1,000-2,800 iterations without annealing,
# against 50-400 annealed). On the dense soft-min each annealing level costs a new
# Gibbs kernel (an exp per cost entry, several iterations' worth at n = 1,000), so
# skipping it where it does not pay matters. Starting the annealing lower (at 16-64
# eps) saved kernels on the panel at d = 2 but not robustly: "scale x2 axis" at d =
# 1, eps 0.1%, took 1,325 / 1,000 / 368 iterations from 16 / 32 / 64 eps against 319
# from the cost scale; so an abandoned trial anneals from the cost scale.
TRIAL_ITER = 8
TRIAL_TOL = 0.1
# Anderson's ridge (relative Tikhonov term, _anderson._RIDGE by default) for a
# solve warm-started near its solution (the coarse-to-fine path). There the
# residuals are small and nearly linear, and the default 1e-4 caps how well
# the least squares resolve the slow modes. Sinkhorn divergence, 2-D, n =
# 5,000, blur 0.05 (issue #18's case; 2026-12-02, load ~9): OT(a, b) took 26
# iterations on the full clouds at 1e-4, 22 at 1e-6, 19 at 1e-8, 1e-10 and
# 1e-12 (0 steps rejected in each); the symmetric terms 7 at all of them. The
# cold-started solves keep the default: on the n = 300 panel of the constants
# above, 1e-10 took 13,137 iterations against 6,558.
WARM_RIDGE = 1e-10


def marginal_error(w, h, h_plain, eps):
    """L1 error of one marginal: ``sum_i w_i |exp((h_i - T(h')_i) / eps) - 1|``.

    Atoms without mass do not count (their potential may be infinite).
    """
    mass = w > 0.0
    exponent = np.minimum((h[mass] - h_plain[mass]) / eps, MAX_EXPONENT)
    return float(np.sum(w[mass] * np.abs(np.expm1(exponent))))


def _mass(w, h, h_plain, eps):
    """The plan's total mass ``sum_i w_i exp((h_i - T(h')_i) / eps)`` (atoms with mass)."""
    mass = w > 0.0
    return float(np.sum(w[mass] * np.exp(np.minimum((h - h_plain)[mass] / eps, MAX_EXPONENT))))


def _dot(w, h):
    """``<w, h>`` over the atoms with mass (a potential may be infinite where ``w = 0``)."""
    mass = w > 0.0
    return float(w[mass] @ h[mass])


def schedule(eps, start, scaling):
    """The annealing values of eps: ``start * scaling^k`` while above ``eps``."""
    levels = []
    level = start
    while level > eps:
        levels.append(level)
        level *= scaling
    return levels


def iterate(apply, x, *, tol, max_iter, weights, memory=MEMORY, active=None, progress=None,
            abandon=None, ridge=_RIDGE):
    """The fixed point of ``x -> G(x)``, Anderson-accelerated and safeguarded.

    Parameters
    ----------
    apply : callable x -> (image, error, aux)
        ``G(x)``, the L1 marginal error of the plan that ``x`` defines, and
        anything the caller needs back with the final ``x`` (the other
        potential, say). One call is one iteration.
    x : ndarray
        The start.
    tol, max_iter
        Stop when the error is at most ``tol``, or after ``max_iter`` calls.
    weights, active
        The norm and the coordinates of the mixing (:class:`Anderson`).
    memory : int
        Anderson's memory; 0 runs the plain iteration.
    progress : callable, optional
        Called as ``progress(error)`` after each call.
    abandon : callable (n_iter, error) -> bool, optional
        Asked after each accepted step; True stops the iteration there, with
        ``info["abandoned"]`` set (the caller then takes another route).
    ridge : float
        Anderson's relative Tikhonov term (:class:`Anderson`).

    Returns
    -------
    x, image, aux : the last accepted iterate, its image and its ``aux``
    info : dict
        ``n_iter`` (calls, rejected steps included), ``marginal_error`` (of
        ``x``), ``converged``, ``abandoned`` and ``acceleration`` (what ran,
        steps accepted and rejected).
    """
    anderson = Anderson(weights, memory, active, ridge)
    image, error, aux = apply(x)
    n_iter = 1
    if progress is not None:
        progress(error)
    best = error
    abandoned = False
    while not error <= tol and n_iter < max_iter:
        if abandon is not None and abandon(n_iter, error):
            abandoned = True
            break
        candidate = anderson.step(x, image)
        c_image, c_error, c_aux = apply(candidate)
        n_iter += 1
        if progress is not None:
            progress(c_error)
        mixed = anderson.mixed
        if mixed and not c_error < SLACK * best:
            # The mixed step went astray: forget the history and take the
            # plain step from x next (its image is already known).
            anderson.judge(False)
            continue
        if mixed:
            anderson.judge(True)
        x, image, error, aux = candidate, c_image, c_error, c_aux
        best = min(best, error)
    info = {"n_iter": n_iter, "marginal_error": error, "converged": bool(error <= tol),
            "abandoned": abandoned, "acceleration": anderson.record()}
    return x, image, aux, info


def alternate(to_columns, to_rows, a, b, *, eps, scale, tol, max_iter, scaling, progress=None,
              start=None, memory=MEMORY, rule="scale"):
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
    start : ndarray, optional
        A warm start for ``f`` (the coarse level's extrapolated potential,
        say): then there is no annealing, and Anderson's ridge is ``WARM_RIDGE``.
    memory : int
        Anderson's memory (:func:`iterate`); 0 for plain Sinkhorn.
    rule : {"scale", "auto", "direct"}
        Without ``start``: ``"scale"`` anneals from ``scale`` down;
        ``"direct"`` runs at ``eps`` from zero potentials; ``"auto"`` tries
        ``TRIAL_ITER`` iterations at ``eps`` and goes on if the marginal error
        is then at most ``TRIAL_TOL``, else anneals as ``"scale"`` (see the
        constants for the measurements).

    Returns
    -------
    f, g : ndarray
        Potentials with ``g = T_a(f)`` (the plan's columns are exact).
    info : dict
        ``dual`` (``<a, f> + <b, g> - eps (mass - 1)``, the estimate of
        OT_eps), ``n_iter`` (annealing and trial included), ``marginal_error``
        (the rows' L1 error, the columns being exact), ``converged``,
        ``acceleration`` and ``schedule`` (what ran: ``rule``, ``route``
        ``"warm start"``, ``"direct"`` or ``"annealed"``, the annealing's
        ``levels`` and, for ``"auto"``, the trial's ``trial_iter`` and
        ``trial_error``).
    """
    def applier(level):
        def apply(f):
            g = to_columns(f, level, np.empty(b.shape[0]))
            image = to_rows(g, level, np.empty(a.shape[0]))
            return image, marginal_error(a, f, image, level), g
        return apply

    if rule not in ("scale", "auto", "direct"):
        raise ValueError(f"rule: must be 'scale', 'auto' or 'direct', got {rule!r}")
    settings = {"tol": tol, "max_iter": max_iter, "weights": a, "memory": memory,
                "active": a > 0.0, "progress": progress}
    record = {"rule": rule, "route": "warm start", "levels": []}
    n_before = 0
    if start is not None:
        f = np.array(start, dtype=np.float64)
        settings["ridge"] = WARM_RIDGE
    elif rule == "scale":
        record["route"] = "annealed"
        f, n_before = _anneal(applier, a, memory, schedule(eps, scale, scaling), record)
    else:
        record["route"] = "direct"
        abandon = None
        if rule == "auto":
            # The trial: abandoned after TRIAL_ITER iterations if the error is still large.
            def abandon(n_iter, error):
                return n_iter == TRIAL_ITER and error > TRIAL_TOL
        f, image, g, info = iterate(applier(eps), np.zeros(a.shape[0]), abandon=abandon,
                                    **settings)
        if rule == "auto":
            record.update(trial_iter=min(info["n_iter"], TRIAL_ITER),
                          trial_error=info["marginal_error"] if info["abandoned"] else None)
        if not info["abandoned"]:
            return _finish(a, b, f, image, g, info, eps, 0, record)
        record["trial_error"] = info["marginal_error"]
        record["route"] = "annealed"
        f, n_before = _anneal(applier, a, memory, schedule(eps, scale, scaling), record)
        n_before += info["n_iter"]
    f, image, g, info = iterate(applier(eps), f, **settings)
    return _finish(a, b, f, image, g, info, eps, n_before, record)


def _anneal(applier, a, memory, levels, record):
    """Each level of the annealing to ``LEVEL_TOL``, warm-starting the next, from zero
    potentials. Returns ``f`` at the last level and the iterations taken; the levels
    go into ``record``."""
    f, n_iter = np.zeros(a.shape[0]), 0
    for level in levels:
        f, _, _, level_info = iterate(applier(level), f, tol=LEVEL_TOL, max_iter=LEVEL_ITER,
                                      weights=a, memory=memory, active=a > 0.0)
        n_iter += level_info["n_iter"]
    record["levels"] = [float(level) for level in levels]
    return f, n_iter


def _finish(a, b, f, image, g, info, eps, n_before, record):
    """The dual value, total iterations and schedule record of :func:`alternate`'s result."""
    # The columns are exact, so the plan's mass is that of its rows.
    info["dual"] = _dot(a, f) + _dot(b, g) - eps * (_mass(a, f, image, eps) - 1.0)
    info["n_iter"] += n_before
    info["schedule"] = record
    del info["abandoned"]
    return f, g, info


def symmetric(softmin, a, *, eps, scale, tol, max_iter, scaling, step, progress=None, start=None,
              memory=MEMORY):
    """``OT_eps(a, a)`` as the fixed point of ``p -> p + step (T_a(p) - p)``.

    ``softmin(p, eps, out)`` computes ``T_a(p)``; ``step`` is the damping
    (1/2 is the averaged update of Feydy et al. 2019, "Interpolating
    between optimal transport and MMD using Sinkhorn divergences"; see
    :func:`divergences.ot.sinkhorn.symmetric_entropic_ot` for 2/3).
    Annealing (at ``step = 1/2``, one update per level) unless ``start``
    (then Anderson's ridge is ``WARM_RIDGE``, as in :func:`alternate`).

    Returns
    -------
    p : ndarray
    info : dict
        As :func:`alternate`; ``dual`` is ``2 <a, p> - eps (mass - 1)``.
    """
    if start is None:
        p = np.zeros(a.shape[0])
        t = np.empty_like(p)
        levels = schedule(eps, scale, scaling)
        for level in levels:
            softmin(p, level, t)
            p = 0.5 * (p + t)
        n_annealing, ridge = len(levels), _RIDGE
    else:
        p, n_annealing, ridge = np.array(start, dtype=np.float64), 0, WARM_RIDGE

    def apply(p):
        t = softmin(p, eps, np.empty(a.shape[0]))
        # Rows and columns are equally off: twice the row error.
        return p + step * (t - p), 2.0 * marginal_error(a, p, t, eps), t

    p, _, t, info = iterate(apply, p, tol=tol, max_iter=max_iter, weights=a, memory=memory,
                            active=a > 0.0, progress=progress, ridge=ridge)
    # The plan's total mass is sum_i a_i exp((p_i - T(p)_i) / eps); the dual
    # objective charges eps for every unit of mass away from one.
    info["dual"] = 2.0 * _dot(a, p) - eps * (_mass(a, p, t, eps) - 1.0)
    info["n_iter"] += n_annealing
    return p, info


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
                 "entropic_term": info["dual"] - transport, "tol": tol,
                 "acceleration": info["acceleration"], **details},
    )
