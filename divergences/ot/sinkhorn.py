"""Entropic optimal transport: log-domain Sinkhorn with costs on the fly.

The entropic problem between weighted point clouds ``(x, a)`` and ``(y, b)``,

    OT_eps(a, b) = min_pi <pi, C> + eps KL(pi | a x b),   C_ij = metric(x_i, y_j)^order,

(the Euclidean metric by default; see :mod:`divergences.ot._ground`)

is solved through its dual: potentials ``f`` on ``x`` and ``g`` on ``y`` with
``pi_ij = a_i b_j exp((f_i + g_j - C_ij) / eps)``. Sinkhorn's iteration
alternates the two soft-min updates

    g_j = -eps log sum_i a_i exp((f_i - C_ij) / eps),
    f_i = -eps log sum_j b_j exp((g_j - C_ij) / eps),

each a log-sum-exp over one row of the cost matrix, computed on the fly in
O(n + m) memory by :mod:`divergences._kernels.sinkhorn` (rows in parallel).
After a ``g`` update the columns of the plan are exact, so the L1 marginal
error is the row error ``sum_i a_i |exp((f_i - f'_i) / eps) - 1|``, which
the next ``f`` update ``f'`` gives for free; iterations stop when it is
below ``tol``. At that point ``OT_eps ~ <a, f> + <b, g>`` (the dual value,
a lower bound whose error is second order in the marginal error).

Small ``eps`` is reached by eps-scaling (annealing): a few iterations at
``eps`` decreasing geometrically from the cost scale, each warm-starting the
next, as in GeomLoss (Feydy 2020, "Geometric data analysis, beyond
convolutions", sec. 3.3) and Schmitzer (2019, "Stabilized sparse scaling
algorithms for entropy regularized transport problems"). Symmetric problems
``OT_eps(a, a)`` (the debiasing terms of the Sinkhorn divergence) use the
damped symmetric update ``p <- p + step (T(p) - p)`` (step 1/2 is the averaged
update of Feydy et al. 2019,
"Interpolating between optimal transport and MMD using Sinkhorn
divergences"), which converges at a rate independent of ``eps``.

Large problems (more than 2,000 x 2,000 cost entries) are solved coarse to
fine, the multiscale strategy of Schmitzer (2019) and GeomLoss: each cloud
is reduced to clusters of at most 8 points (leaves of a median-split box
tree, at their mass-weighted centroids), the problem between the clusters
is solved at the target ``eps`` (recursively, if it is itself large), and
the full problem starts from the c-transform of the coarse potential,
evaluated at every point (the ``start=`` warm start of the shared loop,
:mod:`divergences.ot._sinkhorn_loop`, which also runs the Anderson
acceleration and, for problems small enough, the dense soft-min of
:mod:`divergences.ot._dense_softmin`). The coarse solution is only a starting point: the iterations then
run on the full clouds to the same ``tol``, so the answer is that of the
full problem. The soft-min kernel itself skips, with a proof, the blocks
of points whose terms are negligible (see :mod:`divergences._kernels.sinkhorn`).
"""

import math
import warnings

import numpy as np

from .._progress import SolverProgress
from .._threads import run_kernel
from ..exceptions import ConvergenceWarning, DenseMemoryError
from ..results import OTResult
from ._common import LengthScale, dense_memory_limit, is_point_cloud, point_cloud
from ._ground import GroundCost, as_ground_cost
from ._sinkhorn_loop import MAX_EXPONENT as _MAX_EXPONENT
from ._sinkhorn_loop import MEMORY, alternate, entropic_result, symmetric

__all__ = ["applies", "solve", "divergence", "cost_scale", "entropic_ot", "symmetric_entropic_ot"]

_DEFAULT_TOL = 1e-6
_DEFAULT_MAX_ITER = 10_000
_DEFAULT_SCALING = 0.5
# Problems with more cost entries than this start from the solution between
# clusters of a few points of each cloud (coarse to fine), recursively.
_MULTISCALE_ENTRIES = 2000 * 2000
_POINTS_PER_CLUSTER = 8
# The dense soft-min (_dense_softmin) runs where its two matrices fit in this many bytes
# (64 MiB: 2,000 x 2,000, the size above which the multiscale path starts) ...
_DENSE_BYTES = 64 * 2**20
# ... and eps is at least this (unit-scaled costs, at most 1). Zero: no eps
# where the online kernel wins by a margin. The absorbed kernel cannot
# underflow into a wrong answer at any eps (a soft-min it cannot trust is
# taken online and re-absorbed: _dense_softmin.TAU), so this is a speed rule
# only. Measured n = 1,000, same solve both ways (2026-12-02, load ~12):
# online / dense time, shift 1 at d = 2: 2.6 (eps 10% of the median cost),
# 0.78 (1%), 0.85 (0.1%), 2.2 (0.01%); mixture at d = 5: 4.2, 11, 4.8; values
# within 4e-11 relative, 1 to 3 fallbacks per solve (tests/
# test_sinkhorn_accelerated.py checks dense against online down to 0.1%).
_DENSE_MIN_EPS = 0.0
_MIN_CLUSTERS = 256


def applies(p, q, options):
    """Two point clouds (samples, or histograms with support points)."""
    return is_point_cloud(p) and is_point_cloud(q)


def cost_scale(x, y, order, metric="euclidean", metric_p=None):
    """The largest possible cost between the two clouds' bounding box corners.

    ``(diameter of the joint bounding box) ** order`` (:meth:`GroundCost.cost_scale
    <divergences.ot._ground.GroundCost.cost_scale>`): an upper bound on every
    ``C_ij``, where the annealing starts (at that ``eps`` the plan is close to
    ``a x b`` and one iteration is accurate).
    """
    return as_ground_cost(metric, metric_p, order).cost_scale(x, y)


def _ground(order, metric):
    """The :class:`GroundCost` of a solve: ``metric`` itself, or the Euclidean one of ``order``."""
    return GroundCost("euclidean", None, float(order)) if metric is None else metric


def _writable(points):
    """``points`` as the tree kernel is compiled for them: a writable C-ordered float64 copy.

    (The measures' arrays are read-only, which would be a second Numba
    specialisation of the kernel to compile.)
    """
    return np.array(points, dtype=np.float64, order="C")


class _Cloud:
    """A weighted point cloud in box-tree order, laid out as the soft-min kernel reads it.

    Sorting the points once per solve makes the kernel's blocks spatially
    compact (so whole blocks can be skipped where the plan vanishes) and
    its memory access local. Potentials live in this order during the
    solve; :meth:`unsort` returns them in the caller's order.
    """

    def __init__(self, points, weights):
        from .._kernels.kdtree import box_tree
        from .._kernels.sinkhorn import BLOCK, log_weights

        (lo, hi, start, end, leaf_first), _, perm = box_tree(_writable(points), BLOCK)
        self.perm = perm
        self.points = np.ascontiguousarray(points[perm])
        self.points_t = np.ascontiguousarray(self.points.T)
        self.weights = weights[perm]
        self.log_weights = log_weights(self.weights)
        self.starts = np.append(start[leaf_first:], end[-1])
        self.lo = np.ascontiguousarray(lo[leaf_first:])
        self.hi = np.ascontiguousarray(hi[leaf_first:])

    def __len__(self):
        return self.points.shape[0]

    def unsort(self, values):
        """``values`` (in tree order) back in the order the points were given."""
        out = np.empty_like(values)
        out[self.perm] = values
        return out


_NO_MOMENT = np.empty(0)


def _softmin(target, source, h, eps, order, out, moment=_NO_MOMENT, kind=0, q=2.0):
    """``out_i = -eps log sum_j w_j exp((h_j - C(target_i, source_j)) / eps)`` (tree order).

    ``C = metric^order`` with the metric's kernel code ``kind`` and parameter
    ``q`` (:attr:`GroundCost.kernel`; Euclidean by default).
    """
    from .._kernels import sinkhorn as kernels

    run_kernel(kernels.softmin, kernels.softmin_serial, len(target) * len(source),
               kernels.SOFTMIN_SERIAL_BELOW, target.points, source.points_t, source.starts,
               source.lo, source.hi, source.log_weights, h, eps, float(order), int(kind),
               float(q), out, moment)
    return out


def dense_plan(x, y, log_a, log_b, f, g, eps, order, metric=None):
    """The plan ``pi_ij = a_i b_j exp((f_i + g_j - C_ij) / eps)`` as a dense (n, m) array.

    ``C = |x - y|^order``, or the cost of the :class:`GroundCost` ``metric``.
    """
    from .._kernels import sinkhorn as kernels

    kind, q, order = _ground(order, metric).kernel
    return run_kernel(kernels.dense_plan, kernels.dense_plan_serial, x.shape[0] * y.shape[0],
                      kernels.PLAN_SERIAL_BELOW, x, y, log_a, log_b, f, g, eps, order, kind, q)


def _coarsenable(n):
    return n >= _POINTS_PER_CLUSTER * _MIN_CLUSTERS


def _is_large(n, m):
    """Whether to solve coarse to fine: above ``_MULTISCALE_ENTRIES`` cost entries.

    Clouds of fewer than ``_POINTS_PER_CLUSTER * _MIN_CLUSTERS`` points are
    not coarsened; a problem where neither cloud can be is solved directly,
    which also ends the recursion.
    """
    return n * m > _MULTISCALE_ENTRIES and (_coarsenable(n) or _coarsenable(m))


def _coarsen(points, weights):
    """The cloud's clusters: centroids (mass-weighted) and masses of box-tree leaves.

    Leaves of at most ``_POINTS_PER_CLUSTER`` points of a median-split box
    tree, so spatially compact; clusters without mass are dropped. A cloud
    too small to coarsen is returned as it is.
    """
    from .._kernels.kdtree import box_tree

    if not _coarsenable(points.shape[0]):
        return points, weights
    (_, _, start, _, leaf_first), _, perm = box_tree(_writable(points), _POINTS_PER_CLUSTER)
    starts = start[leaf_first:]
    w = weights[perm]
    mass = np.add.reduceat(w, starts)
    moments = np.add.reduceat(points[perm] * w[:, None], starts, axis=0)
    keep = mass > 0
    return moments[keep] / mass[keep, None], mass[keep]


def _extrapolate(cloud, coarse_points, coarse_weights, coarse_potential, eps, kernel):
    """The c-transform on ``cloud`` (tree order) of a potential on a coarse cloud."""
    kind, q, order = kernel
    coarse = _Cloud(coarse_points, coarse_weights)
    return _softmin(cloud, coarse, coarse_potential[coarse.perm], eps, order, np.empty(len(cloud)),
                    _NO_MOMENT, kind, q)


def _dense_softmin(target_side, other, eps, kernel, to_columns, to_rows):
    """The dense soft-min of a small problem (:class:`DenseSoftmin`), or None for the online one.

    Dense when the cost matrix and its Gibbs kernel (two n-by-m float64
    arrays) take at most ``_DENSE_BYTES`` and ``eps`` is at least
    ``_DENSE_MIN_EPS`` (in units of the unit-scaled costs, whose scale is at
    most 1; see there for the measurement).
    """
    from .._kernels.costs import cost_matrix, reduced_exponent
    from ._dense_softmin import DenseSoftmin

    n, m = len(target_side), len(other)
    if 16 * n * m > _DENSE_BYTES or eps < _DENSE_MIN_EPS:
        return None
    kind, q, order = int(kernel[0]), float(kernel[1]), float(kernel[2])
    cost = cost_matrix(kind, q, reduced_exponent(kind, q, order), target_side.points,
                       other.points)
    return DenseSoftmin(cost, target_side.weights, other.weights, eps, to_columns, to_rows)


def _threads_for(dense):
    """One thread for the dense path; nothing (the library's setting) for the online path.

    The dense path's products are small (at most ``_DENSE_BYTES`` of matrix): a
    spinning BLAS pool costs more under load than it saves at this size, and so do
    two Numba threads for the online soft-mins it falls back to for a few passes.
    Measured 2026-12-02 on 2 cores with 2 busy processes added, 2-D, n = 1,000, eps 1%
    of the median cost (108 iterations, 2 fallback passes), medians of 41 interleaved
    runs, default (2 threads) / one thread: 1.06 and 1.07 with two-thread fallbacks,
    0.83 and 1.00 with them serial (two runs each; a run of 7 had shown 1.48 and
    1.61: under such load a median of a few runs scatters by tens of percent).
    """
    import contextlib

    from .._threads import single_threaded_blas, threads

    if dense is None:
        return contextlib.nullcontext()
    stack = contextlib.ExitStack()
    stack.enter_context(single_threaded_blas())
    stack.enter_context(threads(1))
    return stack


def _softmin_record(dense):
    """Which soft-min ran at eps, for the result's details."""
    return "online" if dense is None else {"kind": "dense", **dense.record()}


def entropic_ot(x, a, y, b, *, eps, order, tol, max_iter, scaling, progress=None, metric=None,
                memory=MEMORY, rule="auto"):
    """Log-domain Sinkhorn between ``(x, a)`` and ``(y, b)``: annealed (or coarse to fine) and
    Anderson-accelerated, by the shared loop :func:`divergences.ot._sinkhorn_loop.alternate`.

    The cost is ``|x - y|^order``, or that of the :class:`GroundCost` ``metric``
    (whose ``order`` is then ``order``). ``memory`` is Anderson's (0: plain Sinkhorn).
    ``rule`` is the annealing rule of :func:`~divergences.ot._sinkhorn_loop.alternate`
    (``"auto"``: annealing only where a trial at ``eps`` converges slowly).

    Returns
    -------
    f, g : ndarray
        The potentials.
    info : dict
        ``dual`` (the dual objective ``<a, f> + <b, g> - eps (mass - 1)``,
        the estimate of OT_eps), ``n_iter`` (on the full clouds, annealing
        included), ``coarse_n_iter`` (on the coarse levels, all of them;
        each costs a fraction of a full one), ``marginal_error`` (L1, rows
        plus columns, of the plan defined by ``f, g``), ``converged``,
        ``acceleration`` (:func:`~divergences.ot._sinkhorn_loop.iterate`),
        ``schedule`` (which route the annealing rule took, and why:
        :func:`~divergences.ot._sinkhorn_loop.alternate`) and ``softmin`` (which
        soft-min ran at eps: ``"online"`` or ``"dense"``).

    ``progress``, when given, is called as ``progress(marginal_error)`` after
    each iteration at the target eps (coarse levels included).
    """
    ground = _ground(order, metric)
    kind, q, k_order = kernel = ground.kernel
    source, target = _Cloud(x, a), _Cloud(y, b)
    a, b = source.weights, target.weights
    settings = {"eps": eps, "order": order, "tol": tol, "max_iter": max_iter, "scaling": scaling,
                "progress": progress, "metric": metric, "memory": memory, "rule": rule}
    start, coarse_iter = None, 0
    if _is_large(len(source), len(target)):
        # Coarse to fine: solve between the clouds' cluster centroids, then
        # extrapolate f to every point as the c-transform of the coarse g.
        coarse_x, coarse_a = _coarsen(x, a)
        coarse_y, coarse_b = _coarsen(y, b)
        _, g_coarse, coarse = entropic_ot(coarse_x, coarse_a, coarse_y, coarse_b, **settings)
        start = _extrapolate(source, coarse_y, coarse_b, g_coarse, eps, kernel)
        coarse_iter = coarse["n_iter"] + coarse["coarse_n_iter"]

    def to_columns(f, level, out):
        return _softmin(target, source, f, level, k_order, out, _NO_MOMENT, kind, q)

    def to_rows(g, level, out):
        return _softmin(source, target, g, level, k_order, out, _NO_MOMENT, kind, q)

    dense = _dense_softmin(source, target, eps, kernel, to_columns, to_rows)
    if dense is not None:
        to_columns, to_rows = dense.to_columns, dense.to_rows
    with _threads_for(dense):
        f, g, info = alternate(to_columns, to_rows, a, b, eps=eps,
                               scale=ground.cost_scale(x, y), tol=tol, max_iter=max_iter,
                               scaling=scaling, progress=progress, start=start, memory=memory,
                               rule=rule)
        if dense is not None:
            # The plan's cost and marginals from the matrix at hand (for solve).
            transport, rows, cols = dense.plan_sums(f, g)
            info["plan_sums"] = (transport, source.unsort(rows), target.unsort(cols))
    info.update(coarse_n_iter=coarse_iter, softmin=_softmin_record(dense))
    return source.unsort(f), target.unsort(g), info


def symmetric_entropic_ot(x, a, *, eps, order, tol, max_iter, scaling, progress=None,
                          metric=None, memory=MEMORY):
    """``OT_eps(a, a)`` by the damped symmetric update ``p <- p + step (T_a(p) - p)``,
    Anderson-accelerated by the shared loop :func:`divergences.ot._sinkhorn_loop.symmetric`.

    ``metric`` and ``memory`` as in :func:`entropic_ot`.

    Returns
    -------
    p : ndarray
        The symmetric potential (``f = g = p``).
    info : dict
        As :func:`entropic_ot`; ``dual`` is ``2 <a, p> - eps (mass - 1)``.
    """
    ground = _ground(order, metric)
    kind, q, k_order = kernel = ground.kernel
    cloud = _Cloud(x, a)
    a = cloud.weights
    start, coarse_iter = None, 0
    if _is_large(len(cloud), len(cloud)):
        coarse_x, coarse_a = _coarsen(x, a)
        p_coarse, coarse = symmetric_entropic_ot(coarse_x, coarse_a, eps=eps, order=order, tol=tol,
                                                 max_iter=max_iter, scaling=scaling,
                                                 progress=progress, metric=metric, memory=memory)
        start = _extrapolate(cloud, coarse_x, coarse_a, p_coarse, eps, kernel)
        coarse_iter = coarse["n_iter"] + coarse["coarse_n_iter"]
    # Near the solution the update's Jacobian is 1 - step (1 + P), with P the
    # plan divided by its marginal: similar to a positive semi-definite
    # matrix with eigenvalues in [0, 1] when exp(-C / eps) is a positive
    # definite kernel (|x - y|^order: order <= 2, Schoenberg 1938; other
    # metrics: GroundCost.positive_definite). Step 2/3 then contracts every
    # mode by 1/3 or better, where averaging (1/2) gives 1/2.
    step = 2.0 / 3.0 if ground.positive_definite(x.shape[1]) else 0.5

    def softmin(p, level, out):
        return _softmin(cloud, cloud, p, level, k_order, out, _NO_MOMENT, kind, q)

    dense = _dense_softmin(cloud, cloud, eps, kernel, softmin, softmin)
    with _threads_for(dense):
        p, info = symmetric(softmin if dense is None else dense.to_columns, a, eps=eps,
                            scale=ground.cost_scale(x, x), tol=tol, max_iter=max_iter,
                            scaling=scaling, step=step, progress=progress, start=start,
                            memory=memory)
    info.update(coarse_n_iter=coarse_iter, softmin=_softmin_record(dense))
    return cloud.unsort(p), info


def _warn_not_converged(what, info, tol, stacklevel=5):
    warnings.warn(
        f"{what} did not converge: marginal error {info['marginal_error']:.3g} > tol={tol:g} "
        f"after {info['n_iter']} iterations; raise max_iter, raise eps or loosen tol.",
        ConvergenceWarning,
        stacklevel=stacklevel,
    )


#: What ``eps`` is, for the error that a call without it gets.
EPS_HELP = (
    "the entropic regularisation, in cost units |x - y|^order (no factor 1/2): POT's "
    "reg on M = |x - y|^order; e.g. eps=0.05 * (a typical |x - y|^order)"
)


def _check_options(eps, tol, max_iter, scaling):
    from .._validation import check_positive, check_positive_int

    eps = check_positive(eps, "eps")
    tol = check_positive(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    scaling = check_positive(scaling, "eps_scaling")
    if not scaling < 1.0:
        raise ValueError(f"eps_scaling must be in (0, 1), got {scaling!r}.")
    return eps, tol, max_iter, scaling


def solve(
    p,
    q,
    *,
    eps,
    order=1.0,
    metric="euclidean",
    metric_p=None,
    tol=_DEFAULT_TOL,
    max_iter=_DEFAULT_MAX_ITER,
    eps_scaling=_DEFAULT_SCALING,
    return_plan=False,
    max_memory=None,
    progress=False,
):
    """Entropic W_p between two point clouds by log-domain Sinkhorn.

    Parameters
    ----------
    p, q : Samples or Histogram with support
    eps : float
        The regularisation ``eps > 0`` in cost units (POT's ``reg`` on
        ``M = metric(x, y)^order``).
    order : float
        The exponent of the cost ``metric(x, y)^order``.
    metric : str
        ``"euclidean"`` (default), ``"sqeuclidean"``, ``"cityblock"``,
        ``"chebyshev"`` or ``"minkowski"`` (with ``metric_p``), computed inside
        the kernel (:mod:`divergences.ot._ground`).
    metric_p : float, optional
        Minkowski's exponent (``metric="minkowski"`` only).
    tol : float
        Stop when the L1 marginal error of the plan is below ``tol``.
    max_iter : int
        The most iterations at the target ``eps``, after the annealing.
    eps_scaling : float in (0, 1)
        Ratio between successive ``eps`` of the annealing.
    return_plan : bool
        Also return the dense n-by-m plan (refused if it would not fit).
    max_memory : int, optional
        Bytes the dense plan may take; half the physical memory by default.
        Only with ``return_plan=True`` (an error otherwise: nothing else is dense).
    progress : bool or callable
        ``True``: a tqdm bar of the iterations and their marginal error (if
        tqdm is installed); a callable: called as ``progress(stage, n_iter,
        marginal_error)`` after each iteration (see
        :class:`divergences._progress.SolverProgress`). Default ``False``.

    Returns
    -------
    OTResult
        ``value = <pi, C>^(1/order)`` for the entropic plan ``pi`` (the
        transport cost of that plan, which tends to W_p as eps -> 0, from
        above up to the marginal error: ``0 <= <pi, C> - W_p^p <= eps log
        min(n, m)``); ``cost = OT_eps`` (the regularised objective, with
        ``KL(pi | a x b)``); ``potentials = (f, g)``; ``details`` holds
        ``transport_cost = <pi, C>`` and ``entropic_term = eps KL``.
    """
    from .._kernels.sinkhorn import log_weights

    eps, tol, max_iter, eps_scaling = _check_options(eps, tol, max_iter, eps_scaling)
    ground = _online_ground(metric, metric_p, order)
    x, a = point_cloud(p)
    y, b = point_cloud(q)
    x, y, length, user_eps, eps = _unit_scale(x, y, ground, eps)
    n, m = x.shape[0], y.shape[0]
    if max_memory is not None and not return_plan:
        raise TypeError(
            "method='sinkhorn': max_memory bounds the dense plan of return_plan=True, and "
            "without it nothing dense is allocated (O(n + m) memory); drop max_memory, or "
            "pass return_plan=True."
        )
    if return_plan:
        limit = dense_memory_limit() if max_memory is None else max_memory
        if 8 * n * m > limit:
            raise DenseMemoryError(
                f"return_plan=True needs a dense {n}x{m} plan ({8 * n * m / 2**30:.1f} GiB), more "
                f"than the {limit / 2**30:.1f} GiB allowed (max_memory); call without "
                "return_plan: the potentials (f, g) describe the plan in O(n + m) memory."
            )
    settings = {"eps": eps, "order": order, "tol": tol, "max_iter": max_iter, "scaling": eps_scaling,
                "metric": ground}
    reporter = SolverProgress(progress, "sinkhorn")
    settings["progress"] = reporter.stage("OT(p, q)")
    same = _same_cloud(x, a, y, b)
    if same is not None:
        # A symmetric problem: the averaged symmetric update converges at a
        # rate independent of eps, where alternating updates crawl (the plan
        # is close to the identity, the slowest case of Sinkhorn).
        f, info = symmetric_entropic_ot(x, a, **settings)
        g = _as_other(f, same, m)
    else:
        f, g, info = entropic_ot(x, a, y, b, **settings)
    reporter.close()
    transport, rows, cols = info.get("plan_sums") or _plan_sums(x, a, y, b, f, g, eps, ground)
    marginal_error = float(np.abs(rows - a).sum() + np.abs(cols - b).sum())
    if not info["converged"]:
        _warn_not_converged("Sinkhorn", info, tol)
    transport = max(float(transport), 0.0)
    plan = None
    if return_plan:
        plan = dense_plan(x, y, log_weights(a), log_weights(b), f, g, eps, order, ground)
    result = entropic_result(
        p, q, f, g, info, transport=transport, marginal_error=marginal_error, eps=eps, tol=tol,
        value=transport ** (1.0 / order), order=order, unit=ground.value_unit, plan=plan,
        note=f"entropic plan at eps={user_eps:g}; cost is the regularised objective OT_eps",
        coarse_n_iter=info["coarse_n_iter"], softmin=info["softmin"],
        schedule=info.get("schedule"), **ground.details())
    return length.restore(result, ("eps", "transport_cost", "entropic_term"))


def _online_ground(metric, metric_p, order):
    """The :class:`GroundCost` of a call, refused unless the kernel computes it."""
    from ..exceptions import MethodError

    ground = as_ground_cost(metric, metric_p, order)
    if not ground.online:
        raise MethodError(
            f"method='sinkhorn' computes costs inside its kernel, which it cannot do for "
            f"metric={ground.name}; use one of 'euclidean', 'sqeuclidean', 'cityblock', "
            "'chebyshev', 'minkowski', or method='exact' (which takes any cdist metric or "
            "callable through a dense cost matrix)."
        )
    return ground


def _unit_scale(x, y, ground, eps):
    """The clouds at unit scale (see :class:`LengthScale`) and eps in its cost units.

    Returns ``(x, y, length, eps, scaled eps)``. eps is a cost, so it scales
    as ``s^order``; one too small or too large to represent next to costs of
    at most 1 is refused rather than turned into 0 or inf.
    """
    length = LengthScale(x, y, ground.order, ground.degree)
    scaled = length.from_cost_units(eps)
    if not np.finfo(np.float64).tiny <= scaled < math.inf:
        side = "small" if scaled < 1.0 else "large"
        raise ValueError(
            f"eps={eps:g} is too {side} for costs {ground.describe()} of these points: relative "
            f"to the cost scale {length.length:.3g}^{length.order:g} (a bound on every cost) it is "
            f"{scaled:.3g}, beyond "
            f"what float64 can resolve; use an eps closer to the cost scale, or a lower order."
        )
    return length.points(x), length.points(y), length, eps, scaled


# run_method names it when a call leaves eps out.
solve.required_help = {"eps": EPS_HELP}


def _plan_sums(x, a, y, b, f, g, eps, ground):
    """``<pi, C>`` and the marginals of ``pi_ij = a_i b_j exp((f_i + g_j - C_ij) / eps)``.

    Two soft-min passes: row ``i`` of the plan sums to ``a_i exp((f_i -
    T_b(g)_i) / eps)`` and carries the cost ``sum_j pi_ij C_ij`` = that sum
    times the kernel's row-conditional mean cost; the columns likewise.
    """
    kind, q, order = ground.kernel
    source, target = _Cloud(x, a), _Cloud(y, b)
    f, g = f[source.perm], g[target.perm]
    row_cost = np.empty(len(source))
    t_g = _softmin(source, target, g, eps, order, np.empty(len(source)), row_cost, kind, q)
    t_f = _softmin(target, source, f, eps, order, np.empty(len(target)), _NO_MOMENT, kind, q)
    rows = source.weights * np.exp(np.minimum((f - t_g) / eps, _MAX_EXPONENT))
    cols = target.weights * np.exp(np.minimum((g - t_f) / eps, _MAX_EXPONENT))
    return float(rows @ row_cost), source.unsort(rows), target.unsort(cols)


def _clip_rounding(value, infos, scale, order, positive_definite=None):
    """S_eps, with a negative value within the solvers' error bound clipped to 0.

    Each ``OT_eps`` is the dual value of a plan whose L1 marginal error is
    ``e``; bringing the plan onto the marginals moves its cost by at most
    ``2 max C e`` (Altschuler, Weed & Rigollet 2017, "Near-linear time
    approximation algorithms for optimal transport via Sinkhorn iteration",
    Lemma 7), with ``max C <= scale``. So ``S_eps`` is known to within
    ``2 scale (e_ab + e_aa / 2 + e_bb / 2)`` plus rounding, and where the
    Gibbs kernel is positive definite (``positive_definite``; by default
    ``order <= 2``, the Euclidean case), so that ``S_eps >= 0``, a negative
    value within that is rounding: it becomes 0, with a note. A negative
    beyond it is kept, with a warning. Returns ``(value, note suffix)``.
    """
    if value >= 0.0:
        return value, ""
    errors = infos["ab"]["marginal_error"] + 0.5 * (
        infos["aa"]["marginal_error"] + infos["bb"]["marginal_error"]
    )
    bound = 2.0 * scale * errors + 64.0 * np.finfo(np.float64).eps * scale
    if positive_definite is None:
        positive_definite = order <= 2.0
        why = f"for order {order:g} > 2"
    else:
        why = "for this ground cost"
    if not positive_definite:
        known = "is not" if why.startswith("for order") else "is not known to be"
        return value, (
            f"; negative: {why} the Gibbs kernel {known} positive definite and S_eps can be "
            "below 0"
        )
    # Scale-free figures: these clouds are at unit scale (LengthScale).
    relative = f"{-value / scale:.3g} of the cost scale, allowed {bound / scale:.3g}"
    holds = "order <= 2" if why.startswith("for order") else "this ground cost"
    if -value <= bound:
        return 0.0, f"; clipped to 0 from below by {relative} (S_eps >= 0 for {holds})"
    warnings.warn(
        f"Sinkhorn divergence came out below 0 by {relative} by the solvers' error bound; "
        f"S_eps >= 0 for {holds}, so this is not rounding: tighten tol, or report it.",
        RuntimeWarning,
        stacklevel=5,
    )
    return value, f"; below 0 by {relative}, beyond the error bound (see the warning)"


def _same_cloud(x, a, y, b):
    """How ``(y, b)`` lists the atoms of ``(x, a)``, or None if the two measures differ.

    Returns ``(ix, iy)`` with ``x[ix] == y[iy]`` and ``a[ix] == b[iy]``: the same
    measure given in another order (a shuffled copy) is recognised, so that
    its problems share one code path and ``S_eps = 0`` exactly. Atoms of zero
    mass are not part of the measure and are ignored.
    """
    if x.shape == y.shape and np.array_equal(x, y) and np.array_equal(a, b):
        every = np.arange(x.shape[0])
        return every, every
    ix, iy = np.flatnonzero(a > 0.0), np.flatnonzero(b > 0.0)
    if ix.shape != iy.shape or x.shape[1] != y.shape[1]:
        return None
    # A necessary condition first, a plain sort of one coordinate: two different clouds
    # (the common case) are told apart without the full lexicographic sort of both.
    if not np.array_equal(np.sort(x[ix, 0]), np.sort(y[iy, 0])):
        return None
    # Sorted lexicographically by coordinates, then weight (np.lexsort's last key is primary).
    ix = ix[np.lexsort(np.column_stack([x[ix], a[ix]]).T[::-1])]
    iy = iy[np.lexsort(np.column_stack([y[iy], b[iy]]).T[::-1])]
    if np.array_equal(x[ix], y[iy]) and np.array_equal(a[ix], b[iy]):
        return ix, iy
    return None


def _as_other(potential, same, size):
    """A potential of ``(x, a)`` carried to the atoms of the same measure ``(y, b)``.

    Atoms of zero mass get the c-transform's value at a coincident atom; they
    carry no mass, so any finite value defines the same plan.
    """
    ix, iy = same
    out = np.full(size, 0.0)
    out[iy] = potential[ix]
    return out


def divergence(
    p,
    q,
    *,
    eps,
    order=2.0,
    metric="euclidean",
    metric_p=None,
    tol=_DEFAULT_TOL,
    max_iter=_DEFAULT_MAX_ITER,
    eps_scaling=_DEFAULT_SCALING,
    progress=False,
):
    """The debiased Sinkhorn divergence between two point clouds; see
    :func:`divergences.sinkhorn_divergence`."""
    eps, tol, max_iter, eps_scaling = _check_options(eps, tol, max_iter, eps_scaling)
    ground = _online_ground(metric, metric_p, order)
    x, a = point_cloud(p)
    y, b = point_cloud(q)
    x, y, length, user_eps, eps = _unit_scale(x, y, ground, eps)
    settings = {"eps": eps, "order": order, "tol": tol, "max_iter": max_iter, "scaling": eps_scaling,
                "metric": ground}
    reporter = SolverProgress(progress, "sinkhorn divergence")
    p_aa, info_aa = symmetric_entropic_ot(x, a, **settings, progress=reporter.stage("OT(p, p)"))
    same = _same_cloud(x, a, y, b)
    if same is not None:
        # Then OT_eps(a, b) *is* the symmetric problem just solved (the same
        # measure, its atoms perhaps in another order): reusing it makes
        # S_eps(a, a) = 0 exactly rather than to within tol (a shuffled copy
        # gave -1.3e-8 after 6,800 iterations of the asymmetric problem).
        q_bb, info_bb = _as_other(p_aa, same, y.shape[0]), info_aa
        f, g, info_ab = p_aa, q_bb, info_aa
    else:
        q_bb, info_bb = symmetric_entropic_ot(y, b, **settings,
                                              progress=reporter.stage("OT(q, q)"))
        f, g, info_ab = entropic_ot(x, a, y, b, **settings, progress=reporter.stage("OT(p, q)"))
    reporter.close()
    value = info_ab["dual"] - 0.5 * info_aa["dual"] - 0.5 * info_bb["dual"]
    infos = {"ab": info_ab, "aa": info_aa, "bb": info_bb}
    value, sign_note = _clip_rounding(value, infos, ground.cost_scale(x, y), order,
                                      None if ground.is_default else ground.positive_definite(
                                          x.shape[1]))
    solved = [info_aa] if info_ab is info_aa else list(infos.values())
    converged = all(i["converged"] for i in infos.values())
    if not converged:
        worst = max(
            (i for i in infos.values() if not i["converged"]), key=lambda i: i["marginal_error"]
        )
        _warn_not_converged("Sinkhorn divergence", worst, tol, stacklevel=4)
    result = OTResult(
        value=value,
        cost=value,
        divergence="sinkhorn",
        unit="distance" if ground.cost_degree == 1.0 else f"distance^{ground.cost_degree:g}",
        order=order,
        method="sinkhorn",
        sizes=(p.size, q.size),
        stderr=None,
        converged=converged,
        potentials=(f - p_aa, g - q_bb),
        n_iter=sum(i["n_iter"] for i in solved),
        marginal_error=max(i["marginal_error"] for i in infos.values()),
        note=f"debiased S_eps at eps={user_eps:g}, in cost units ({ground.describe()})" + sign_note,
        details={
            "eps": eps,
            "ot_ab": info_ab["dual"],
            "ot_aa": info_aa["dual"],
            "ot_bb": info_bb["dual"],
            "n_iter_each": {k: i["n_iter"] for k, i in infos.items()},
            "coarse_n_iter_each": {k: i["coarse_n_iter"] for k, i in infos.items()},
            "marginal_error_each": {k: i["marginal_error"] for k, i in infos.items()},
            # The three problems' own potentials, in the caller's cost units: each
            # defines its plan (the gradient of S_eps in the points is built from
            # them, divergences.gan.SinkhornObjective).
            "potentials_each": {
                "ab": (length.to_cost_units(f), length.to_cost_units(g)),
                "aa": length.to_cost_units(p_aa),
                "bb": length.to_cost_units(q_bb),
            },
            "tol": tol,
            **ground.details(),
        },
    )
    return length.restore(result, ("eps", "ot_ab", "ot_aa", "ot_bb"), value_in_cost_units=True)
