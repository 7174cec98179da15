"""Exact discrete optimal transport, with an optimality certificate.

Three solvers of the linear program ``min <pi, C>`` over couplings of two
weighted point clouds, all answering with a plan *and* dual potentials
``(f, g)``, so that the answer is checked rather than trusted:

* ``"auction"`` -- two uniform clouds of the same size are an assignment
  problem; of sizes n and m, one of ``lcm(n, m)`` repeated atoms (used while
  that is at most 4 max(n, m)). An epsilon-scaling auction (Numba,
  :mod:`divergences._kernels.auction`) computes costs on the fly from the
  points: O(n) memory, and on 2-D data several times faster than the network
  simplex from a few thousand points on.
* ``"network_simplex"`` -- any weights and sizes: POT's :func:`ot.emd` on the
  dense cost matrix, given an iteration budget large enough to finish (POT's
  default of 100,000 stops early from a few thousand points on, returning a
  sub-optimal value with only a warning).
* ``"network_simplex_online"`` -- the same without the cost matrix
  (:func:`ot.lp.emd2_lazy`, in recent POT: 0.9.7 has it): O(n + m) memory, much slower.

The certificate: the plan's marginals (primal feasibility), the most negative
reduced cost ``C_ij - f_i - g_j`` (dual feasibility, computed over all pairs,
on the fly where the matrix is not held) and the duality gap. Together they
bound the distance from the returned cost to the optimum,
``primal - optimum <= gap + violation``; a result whose bound exceeds
``1e-9`` of the cost (plus ``1e-13`` of the cost scale, for rounding) is
returned with ``converged=False`` and a :class:`ConvergenceWarning`; so is
one whose bound leaves W_p itself uncertain by more than ``3.2e-7`` of the
diameter plus ``1e-9`` of W_p (binding only for orders above 2, where a cost
certified to a fraction of the cost scale says little about its root).
"""

import math
import threading
import warnings

import numpy as np

from .._progress import SolverProgress
from .._threads import get_threads
from ..exceptions import ConvergenceWarning, DenseMemoryError, MethodError
from ..results import OTResult
from ._common import LengthScale, check_dense_fits, is_point_cloud, point_cloud
from ._ground import KERNEL_METRICS, as_ground_cost

__all__ = ["applies", "solve", "ground_cost", "certify", "certified_result", "SOLVERS"]

SOLVERS = ("auto", "auction", "network_simplex", "network_simplex_online")

# Enough for any problem that fits in memory: the simplex terminates long before.
_MAX_ITER = 2**40
# Certified when (duality gap + dual violation) <= _REL_TOL * cost + _ABS_TOL * scale.
_REL_TOL = 1e-9
_ABS_TOL = 1e-13
# ... and W_p's own interval is at most _VALUE_ABS_TOL * diameter + _REL_TOL * W_p wide
# (what the cost tolerance gives at order 2; binding only for larger orders).
_VALUE_ABS_TOL = math.sqrt(_ABS_TOL)
# The auction stops its phases once its own bound n * eps is 100 times smaller.
_AUCTION_REL_TOL = 1e-11
_AUCTION_ABS_TOL = 1e-15
# Auction tuning, measured on 2-D uniform clouds (benchmarks/bench_exact.py):
# first eps a quarter of the cost scale, divided by 8 per phase, 10 cached columns.
_AUCTION_EPS_START = 0.25
_AUCTION_THETA = 8.0
_AUCTION_CACHE = 10
# Uniform clouds of sizes n, m go to the auction while lcm(n, m) <= this * max(n, m).
_SPLIT_MAX = 4
# Up to this dimension a row's best columns are found by branch and bound over
# a box tree of the columns, beyond it by scanning them all.
_TREE_MAX_DIM = 3
_TREE_LEAF_SIZE = 16
# solver="auto": the network simplex below _SMALL atoms, and at order 1 up to
# _TREE_MAX_DIM dimensions below _SIMPLEX_FROM; from _SIMPLEX_FROM atoms on at order 1:
# the network simplex when the means are _FAR_APART of the clouds' spread apart, or,
# below _MOVED_UNTIL atoms, _NEAR_APART, or when the sliced W_1 over _SLICES fixed
# directions is _FAR_MOVED of the spread (see _auto_solver).
_SMALL = 250
_SIMPLEX_FROM = 500
_FAR_APART = 0.45
_NEAR_APART = 0.3
_MOVED_UNTIL = 4_000
_FAR_MOVED = 0.36
_SLICES = 16


def applies(p, q, options):
    """Two point clouds (samples, or histograms with support points)."""
    return is_point_cloud(p) and is_point_cloud(q)


def auction_applies(a, b):
    """The auction solves two uniform clouds whose sizes have a small common multiple.

    Clouds of sizes n and m become two clouds of ``lcm(n, m)`` equal atoms
    (each point repeated), an assignment problem; allowed while that is at
    most ``_SPLIT_MAX`` times the larger size (n = m, or m dividing n, ...).
    """
    n, m = a.shape[0], b.shape[0]
    if max(n, m) < 2 or not (_uniform(a) and _uniform(b)):
        return False
    return math.lcm(n, m) <= _SPLIT_MAX * max(n, m)


def _auto_solver(x, a, y, b, cost, max_memory):
    """``solver="auto"``'s choice, and why when it is not the plain one (else None).

    The auction where it applies, except for W_1 in low dimension when much
    of the mass moves in parallel: the cost |x - y| is then nearly linear
    along the parallel transport rays, so many plans are nearly optimal, the
    bids drag on and the tree search prunes little, while the network simplex
    is unaffected. Measured on the panel of ``benchmarks/bench_exact.py
    --cases panel --forced`` (2-D, N(0, I) against mean shifts of 0.5 to 10
    along an axis and the diagonal, a covariance change and a +-2 mixture;
    POT's ``emd2`` as the yardstick, on a machine under load):

    * clouds apart, ``_separation`` (mean gap over spread) at least
      ``_FAR_APART`` (0.45): the auction was 0.25-0.77x ``emd2`` at
      n = 1,000 and 2,000 on the six such shifts, and 4x slower at n = 5,000
      shifted by (10, 0); the simplex, POT's own solver, is about 1x;
    * below ``_MOVED_UNTIL`` (4,000) atoms, smaller shifts and mass moved
      far without a mean shift: the shift of 0.5 along an axis (separation
      0.34) took the auction 0.79-0.85x ``emd2`` at n = 1,000 and
      0.72-0.74x at 2,000 (two runs each), but 1.26x at 5,000, hence
      ``_NEAR_APART`` (0.3) below that size; the +-2 mixture (separation
      0.03, sliced W_1 0.42 of the spread; ``_moved``) 0.48x at n = 1,000
      and 0.40x at 2,000, but 1.55x at 5,000, while the covariance change
      (sliced 0.30) was 1.06-1.16x, 1.35x and 2.75x: so from ``_FAR_MOVED``
      (0.36, between 0.30 and 0.42) of the spread on, the simplex below
      that size too.

    Re-measured on the whole panel on 2026-12-02 in CPU seconds (load 5-15):
    where this rule picks the simplex, 0.81-1.20x ``emd2`` at n = 1,000 and
    0.85-1.17x at 2,000 (POT's solver plus about 4% of ours: parity), 1.22-1.50x
    at 5,000; every case the auction kept, 1.17x and up. Again at n = 1,000 and
    2,000, best of 3 (load 10-23; benchmarks/results/2026-12-02/
    exact_panel_1000_2000_repeat3.md): the simplex cases 0.73-1.25x and 0.87-1.17x
    (the same pivots as POT's, since the matrices differ by a power of two: parity
    and scatter), the auction's 1.31x and up.

    Small problems (raw output: benchmarks/results/2026-12-02/
    exact_small_n.txt; both solvers forced, certified, best of 5 in CPU
    seconds, load 5-9, the ten panel inputs, d = 2 and 5, orders 1 and 2;
    below, "x" is the auction's speed over the simplex's):

    * n = 100: the simplex faster on all 40 cases (auction 0.19-0.70x); n = 200:
      on 28 of 40, every 2-D one (0.19-0.73x), the auction ahead on 12 in 5-D
      by at most 1.31x; n = 300: the auction ahead on all 20 in 5-D
      (1.12-1.83x) and 7 of 10 W_2 in 2-D (0.68-1.17x). Hence ``_SMALL`` (250):
      below it, the simplex whatever the order and dimension.
    * W_1 in 2-D: the simplex faster on all ten inputs at n = 300 and 400
      (auction 0.27-0.79x), on nine of ten at 500 and 700 (0.31-0.98x); the
      tenth, the covariance change, which the rule above keeps for the
      auction (separation 0.03, sliced W_1 0.30), 1.48x and 1.42x. Hence
      ``_SIMPLEX_FROM`` (500): below it the simplex for W_1 in low dimension,
      from it the rule above (measured from n = 1,000 on, and at 500 and 700
      sending the other nine inputs to the simplex).

    Uniform clouds in a square (sliced W_1 0.02 of the spread) keep the
    auction, 3-6x faster than ``emd2`` at n = 2,000. A pilot auction on 512
    points (its count of column searches told these cases apart) was tried
    and dropped: it cost more than it saved. Order 2 needs no rule: it is
    solved on the centred clouds (:func:`_centred`); above ``_TREE_MAX_DIM``
    dimensions the auction scans every column and was 3-16x faster than
    ``emd2`` on every input of the panel. Other ground metrics (``cost``, a
    :class:`~divergences.ot._ground.GroundCost`): those the kernels compute
    follow the same rule by the cost's degree (a norm to the power 1 is linear
    along rays too; ``sqeuclidean`` at order 1 is order 2), the others go to
    the simplex, which alone takes a dense metric.
    """
    if not (cost.online and auction_applies(a, b)):
        return "network_simplex", None
    size = math.lcm(x.shape[0], y.shape[0])
    low_order_one = cost.cost_degree == 1.0 and x.shape[1] <= _TREE_MAX_DIM
    if size < _SMALL:
        why = (f"{size:,} atoms, below {_SMALL:,}: at this size the network simplex is "
               "faster than the auction")
    elif low_order_one and size < _SIMPLEX_FROM:
        why = (f"W_1 in {x.shape[1]}-D on {size:,} atoms, below {_SIMPLEX_FROM:,}: at this "
               "size the network simplex is faster than the auction")
    elif not low_order_one:
        return "auction", None
    elif (separation := _separation(x, y)) >= _FAR_APART:
        why = (f"the clouds' means are {separation:.2g} of their spread apart (at least "
               f"{_FAR_APART:g}): W_1 between clouds apart for their size, where the network "
               "simplex is faster than the auction")
    elif size < _MOVED_UNTIL and separation >= _NEAR_APART:
        why = (f"the clouds' means are {separation:.2g} of their spread apart (at least "
               f"{_NEAR_APART:g} below {_MOVED_UNTIL:,} atoms): W_1 between clouds apart for "
               "their size, where the network simplex is faster than the auction")
    elif size < _MOVED_UNTIL and (moved := _moved(x, y)) >= _FAR_MOVED:
        why = (f"a sliced W_1 of {moved:.2g} of the clouds' spread (at least {_FAR_MOVED:g}) "
               f"below {_MOVED_UNTIL:,} atoms: W_1 moving mass far for the clouds' size, where "
               "the network simplex is faster than the auction")
    else:
        return "auction", None
    try:
        check_dense_fits(x.shape[0], y.shape[0], 2, "exact", "sinkhorn", max_memory)
    except DenseMemoryError:
        return "auction", None  # the simplex would not fit: nothing to choose
    return "network_simplex", why


def _spread(x, y):
    """The clouds' spread: the root mean squared distance to their means, averaged."""
    return math.sqrt(0.5 * (float(x.var(axis=0).sum()) + float(y.var(axis=0).sum())))


def _separation(x, y):
    """``|mean(x) - mean(y)|`` over the clouds' spread (:func:`_spread`)."""
    gap = x.mean(axis=0) - y.mean(axis=0)
    spread = _spread(x, y)
    return float(np.linalg.norm(gap)) / spread if spread > 0.0 else math.inf


def _moved(x, y):
    """A sliced W_1 of two uniform clouds over their spread: how far the mass moves.

    The mean over ``_SLICES`` fixed directions (the same on every call) of the
    1-D W_1 between the projections, by sorting; sizes n and m are compared
    on ``lcm(n, m)`` repeated atoms, as the auction sees them. A lower bound
    of W_1 (projections are 1-Lipschitz), O(n log n) per direction.
    """
    spread = _spread(x, y)
    if spread == 0.0:
        return 0.0
    directions = np.random.default_rng(0).normal(size=(_SLICES, x.shape[1]))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    size = math.lcm(x.shape[0], y.shape[0])
    px = np.repeat(np.sort(x @ directions.T, axis=0), size // x.shape[0], axis=0)
    py = np.repeat(np.sort(y @ directions.T, axis=0), size // y.shape[0], axis=0)
    return float(np.mean(np.abs(px - py))) / spread


def _uniform(weights):
    return bool(np.all(weights == weights[0]))


def ground_cost(x, y, order, metric="euclidean", metric_p=None):
    """The dense cost matrix ``metric(x_i, y_j)^order`` (see :mod:`divergences.ot._ground`)."""
    return as_ground_cost(metric, metric_p, order).matrix(x, y)


def cost_scale(x, y, order, metric="euclidean", metric_p=None):
    """An upper bound on every cost (:meth:`GroundCost.cost_scale
    <divergences.ot._ground.GroundCost.cost_scale>`), for tolerances relative to it.

    One (not zero) when every point is the same point, so that tolerances
    relative to it stay positive.
    """
    return _positive_scale(as_ground_cost(metric, metric_p, order), x, y)


def _positive_scale(cost, x, y):
    scale = cost.cost_scale(x, y)
    return scale if scale > 0.0 else 1.0


def certify(plan, cost, a, b, f, g):
    """Check optimality of a dense plan and potentials; return the three residuals.

    Potentials of atoms without mass are checked as given (copies are completed
    by c-transforms only inside the solver, :mod:`divergences.ot._simplex`).

    Returns
    -------
    dict
        ``marginal_error`` (L1), ``dual_violation`` (largest negative reduced
        cost, >= 0) and ``duality_gap`` (primal - dual).
    """
    from .._kernels.dense_check import certify_plan

    marginal_error, violation, primal, dual = certify_plan(
        *(np.ascontiguousarray(v, dtype=np.float64) for v in (plan, cost, a, b, f, g)))
    return {"marginal_error": float(marginal_error), "dual_violation": float(violation),
            "duality_gap": float(primal - dual)}


def _online_violation(x, y, cost, f, g):
    """``max_ij f_i + g_j - C_ij`` (>= 0 part), without the n-by-m matrix."""
    from .._kernels.auction import row_minima
    from .._kernels.kdtree import no_tree

    kind, q, order = cost.kernel
    tree, _, _ = no_tree(y.shape[0])
    u, _ = row_minima(np.array(x), np.array(y), order, -g, tree, np.empty(0, dtype=np.int64),
                      threads=get_threads(), kind=kind, q=q)
    return max(float(np.max(f - u)), 0.0)


def solve(
    p,
    q,
    *,
    order=1.0,
    metric="euclidean",
    metric_p=None,
    return_plan=False,
    max_memory=None,
    solver="auto",
    max_iter=None,
    progress=False,
):
    """Exact W_p between two point clouds, certified optimal.

    Parameters
    ----------
    p, q : Samples or Histogram with support
    order : float
        The exponent of the cost ``metric(x, y)^order``.
    metric : str or callable
        The ground metric (:mod:`divergences.ot._ground`): ``"euclidean"``
        (default), ``"sqeuclidean"``, ``"cityblock"``, ``"chebyshev"``,
        ``"minkowski"`` (with ``metric_p``) on every solver; another
        :func:`scipy.spatial.distance.cdist` name or a callable ``(u, v) ->
        float`` with ``solver="network_simplex"`` only (the default for them).
    metric_p : float, optional
        Minkowski's exponent (``metric="minkowski"`` only).
    return_plan : bool
        Keep the optimal coupling in the result: a dense array from the
        network simplex, a ``scipy.sparse.csr_array`` from the other solvers.
    max_memory : int, optional
        Bytes the dense cost matrix and plan may use; by default half of the
        physical memory. Beyond it ``"network_simplex"`` refuses and names the
        online solvers.
    solver : {"auto", "auction", "network_simplex", "network_simplex_online"}
        ``"auto"``: the auction for uniform clouds of equal sizes (or sizes
        n, m with ``lcm(n, m) <= 4 max(n, m)``), the network simplex otherwise
        -- and also below 250 atoms, for W_1 in up to three dimensions below
        500, and for it from 500 on when the clouds' means are 0.45 of their
        spread apart, or below 4,000 atoms when they are 0.3 apart or a sliced
        W_1 is 0.36 of the spread (mass moving far), where the simplex is
        measured faster (see the rule's
        measurements in :func:`_auto_solver`); ``details["auto_rule"]`` then
        says which rule chose it.
        The auction and ``"network_simplex_online"`` never hold the n-by-m
        cost matrix; ``max_memory`` concerns ``"network_simplex"`` only.
    max_iter : int, optional
        Bids (auction) or pivots (network simplex) allowed; unlimited in
        practice by default. A solver stopped by it warns.
    progress : bool or callable
        ``True``: a tqdm bar (if tqdm is installed) of the auction's
        eps-scaling phases, with the eps of each; a callable: called as
        ``progress("auction", phase, eps)`` as each phase begins (see
        :class:`divergences._progress.SolverProgress`). The network simplex
        (POT) reports nothing while it runs: one step when it is done, with
        its duality gap. Default ``False``.

    Returns
    -------
    OTResult
        ``potentials`` ``(f, g)`` satisfy ``f_i + g_j <= C_ij = metric(x_i, y_j)^order``
        and ``a @ f + b @ g = cost`` (to the certified tolerance; a constant
        may be moved from ``f`` to ``g``). ``details`` holds ``solver``,
        ``duality_gap``, ``dual_violation``, ``error_bound`` (their sum, a
        bound on ``cost - optimum``) and the ``tolerance`` it was held to,
        and ``metric`` (and ``metric_p``) when not Euclidean.

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 2))
    >>> r = dv.wasserstein(x, x[::-1] + [0.6, 0.8])   # a translation by a vector of norm 1
    >>> round(r.value, 12), r.details["solver"], r.converged
    (1.0, 'network_simplex', True)
    >>> "means are" in r.details["auto_rule"]   # W_1 between clouds apart: the simplex
    True
    >>> dv.wasserstein(x, x[::-1] + [0.6, 0.8], solver="auction").details["solver"]
    'auction'
    >>> f, g = r.potentials
    >>> bool(abs(f.mean() + g.mean() - r.cost) <= r.details["tolerance"])
    True
    """
    x, a = point_cloud(p)
    y, b = point_cloud(q)
    order = float(order)
    cost = as_ground_cost(metric, metric_p, order)
    # Solved at unit scale, so that no cost over- or underflows (see LengthScale).
    geometry = _Geometry.of(x, y, order, cost)
    length, x, y = geometry.length, geometry.x, geometry.y
    # solver= and max_iter= are checked by their declarations (WASSERSTEIN_METHODS).
    rule = None
    if solver == "auto":
        solver, rule = _auto_solver(x, a, y, b, cost, max_memory)
    elif solver != "network_simplex" and not cost.online:
        raise MethodError(
            f"solver={solver!r} computes costs on the fly, which it cannot do for "
            f"metric={cost.name} (only for {', '.join(repr(m) for m in KERNEL_METRICS)}); "
            "use solver='network_simplex', which takes the dense cost matrix."
        )
    elif solver == "auction" and not auction_applies(a, b):
        raise MethodError(
            "solver='auction' needs two clouds with uniform weights whose sizes n, m have "
            f"lcm(n, m) <= {_SPLIT_MAX} max(n, m) (equal sizes, say); got {x.shape[0]} and "
            f"{y.shape[0]} points{'' if _uniform(a) and _uniform(b) else ', weighted'}. Use "
            "solver='network_simplex' (or 'network_simplex_online' without the cost matrix)."
        )
    reporter = SolverProgress(progress, f"exact OT ({solver})")
    update = _in_cost_units(reporter.stage(solver), length)
    if solver == "auction":
        outcome = _solve_auction(x, y, cost, max_iter, update)
    elif solver == "network_simplex":
        outcome = _solve_simplex(x, a, y, b, cost, max_iter, max_memory, geometry.unit_matrix)
    else:
        outcome = _solve_simplex_online(x, a, y, b, cost, max_iter)
    total, plan, f, g, check, n_iter, solved = outcome
    if update is not None and solver != "auction":
        update(check["duality_gap"])
    reporter.close()
    return certified_result(p, q, outcome, solver=solver, scale=geometry.scale(), order=order,
                            ground=cost, return_plan=return_plan, rule=rule, length=length)


class _Geometry:
    """Two clouds at the solvers' scale, with their cost matrix and cost bound made on demand.

    :meth:`of` keeps the last small one (at most ``_GEOMETRY_PAIRS`` pairs):
    a loop over many histograms on one support (digits, images, a fixed
    vocabulary) scales the points and builds the matrix once. The key is the
    points' bytes, so a hit is the same problem bit for bit; the matrix is
    handed out as a copy (the simplex scales it in place).
    """

    _last = None

    def __init__(self, x, y, order, cost):
        self.length = LengthScale(x, y, order, cost.degree)
        self.x, self.y = self.length.points(x), self.length.points(y)
        self.x.flags.writeable = self.y.flags.writeable = False  # shared by the calls that hit
        self._cost, self._matrix, self._scale = cost, None, None
        self._kept = False  # True once of() keeps it for later calls

    @classmethod
    def of(cls, x, y, order, cost):
        if x.shape[0] * y.shape[0] > _GEOMETRY_PAIRS or not cost.online:
            return cls(x, y, order, cost)
        key = (x.shape, y.shape, x.tobytes(), y.tobytes(), float(order), cost.degree, cost.kernel)
        last = cls._last
        if last is not None and last[0] == key:
            return last[1]
        geometry = cls(x, y, order, cost)
        geometry._kept = True
        cls._last = (key, geometry)  # one assignment: safe for concurrent callers
        return geometry

    def matrix(self):
        """The dense cost matrix between the scaled clouds, the caller's to overwrite.

        A kept geometry hands out copies of its matrix; another one the matrix
        itself, made on each call (a copy would cost a pass over n m entries).
        """
        if not self._kept:
            return self._cost.matrix(self.x, self.y)
        if self._matrix is None:
            matrix = self._cost.matrix(self.x, self.y)
            matrix.flags.writeable = False
            self._matrix = matrix
        return self._matrix.copy()

    def unit_matrix(self):
        """``(matrix, k)``: :meth:`matrix` multiplied by ``2**-k``, its largest entry in [1/2, 1).

        For the metrics the kernels compute, one parallel pass builds the
        matrix and finds its largest entry, and a second scales it only when
        ``k != 0`` (:func:`divergences._kernels.costs.dense_costs`): at
        n = m = 1,000 in 2-D, 1.2-1.6 ms where ``cdist`` alone took 2.0 ms and
        its ``max`` and ``ldexp`` two more passes (CPU, load 7;
        benchmarks/bench_exact_parts.py).
        """
        if self._kept or not self._cost.online:
            return _to_unit_largest(self.matrix())
        from .._kernels.costs import dense_costs

        kind, q, order = self._cost.kernel
        cost, _, shift = dense_costs(kind, q, order, self.x, self.y, _largest_exponent,
                                     threads=get_threads())
        return cost, shift

    def scale(self):
        if self._scale is None:
            self._scale = _positive_scale(self._cost, self.x, self.y)
        return self._scale


# Pairs of points (n m) up to which a cloud pair's geometry is kept: a 512 KiB matrix.
_GEOMETRY_PAIRS = 2**16


def certified_result(p, q, outcome, *, solver, scale, order, ground, return_plan, rule=None,
                     stacklevel=5, length=None):
    """The :class:`OTResult` of a solved transport problem, certified or warned about.

    ``outcome`` is a solver's ``(total, plan, f, g, check, n_iter, solved)``
    and ``scale`` bounds every cost (tolerances are relative to it), both in
    the same units; the result is in those units, or brought back to the
    caller's by ``length`` (a :class:`~divergences.ot._common.LengthScale`).
    """
    total, plan, f, g, check, n_iter, solved = outcome
    bound = check["duality_gap"] + check["dual_violation"]
    tolerance = min(_REL_TOL * abs(total) + _ABS_TOL * scale, _value_tolerance(total, order, scale))
    converged = solved and check["marginal_error"] <= 1e-9 and bound <= tolerance
    details = {"solver": solver, **check, "error_bound": bound, "tolerance": tolerance,
               **ground.details()}
    if rule is not None:
        details["auto_rule"] = rule
    if not converged:
        warnings.warn(
            _not_certified(solver, solved, check, total, bound, tolerance),
            ConvergenceWarning,
            stacklevel=stacklevel,
        )
    fields = dict(
        OTResult.cost_fields(total, order),
        method="exact",
        unit=ground.value_unit,
        sizes=(p.size, q.size),
        stderr=0.0 if converged else None,
        converged=converged,
        plan=plan if return_plan else None,
        potentials=(f, g),
        n_iter=n_iter,
        marginal_error=check["marginal_error"],
        details=details,
    )
    if length is not None:
        fields = length.restore_fields(fields, _COST_DETAILS)
    return OTResult(**fields)


# The entries of ``details`` in cost units, rescaled with the cost.
_COST_DETAILS = ("duality_gap", "dual_violation", "error_bound", "tolerance", "final_eps")


def _in_cost_units(update, length):
    """``update`` fed amounts in the caller's cost units (the solvers report at unit scale)."""
    if update is None:
        return None
    return lambda amount: update(length.to_cost_units(amount))


def _of_cost(amount, total):
    """``amount`` relative to the cost (scale free: the cost may not be representable)."""
    return f"{amount / total:.3g} of the cost" if total > 0.0 else f"{amount:.3g} (cost 0)"


def _value_tolerance(total, order, scale):
    """The cost tolerance that pins W_p itself to ``_VALUE_ABS_TOL * diameter + _REL_TOL * W_p``.

    A cost certified to ``delta`` puts W_p in ``[(cost - delta)^(1/p),
    cost^(1/p)]``. For ``p <= 2`` the cost tolerance above already keeps that
    interval this narrow; for large orders it does not: ``1e-13 * scale``
    can exceed the optimal cost by hundreds of orders of magnitude (at
    ``order=400`` a plan 30% too long in W_400 passed), so the interval's width
    is held to the same bound as at ``p = 2``. Where W_p itself is below it,
    ``[0, W_p]`` is narrow enough and any bound will do.
    """
    value = max(total, 0.0) ** (1.0 / order)
    width = _VALUE_ABS_TOL * scale ** (1.0 / order) + _REL_TOL * value
    if width >= value:
        return math.inf
    # total - (value - width)^p, without cancellation.
    return -total * math.expm1(order * math.log1p(-width / value))


def _not_certified(solver, solved, check, total, bound, tolerance):
    """What an uncertified solution does and does not say about the optimal cost.

    Potentials violating the dual constraints by ``v`` become feasible once ``v``
    is taken off one of them (the weights sum to 1), so ``dual - v = cost - gap
    - v`` is always a lower bound of the optimum; the plan's cost is an upper
    bound only if the plan meets the marginals. The amounts are given relative
    to the cost: the solver works at unit scale (see LengthScale), so absolute
    numbers here would not be in the caller's units.
    """
    stopped = "stopped at its iteration limit and " if not solved else ""
    if check["marginal_error"] <= 1e-9:
        where = (f"the plan is feasible, so the optimal cost lies below the reported cost by "
                 f"at most {_of_cost(bound, total)}: the value is too high by at most that")
    else:
        known = (f"the potentials only bound it from below, by the cost less "
                 f"{_of_cost(bound, total)}" if bound < total else
                 "the potentials bound it from below by nothing useful either")
        where = (f"the plan misses the marginals by {check['marginal_error']:.3g} (L1), so its "
                 "cost bounds the optimal cost in neither direction and can be far too low; "
                 f"{known}")
    other = ("solver='network_simplex'" if solver == "auction"
             else "solver='auction' where it applies")
    return (
        f"exact OT ({solver}) {stopped}could not certify optimality: the value is not the "
        f"optimum; duality gap + dual violation = {_of_cost(bound, total)} "
        f"(allowed {_of_cost(tolerance, total)}); {where}. Raise max_iter, or try {other}."
    )


def _largest_exponent(largest):
    """The ``k`` with ``largest * 2**-k`` in [1/2, 1) (0 for ``largest <= 0``).

    The simplex's own tolerances are absolute: at high orders every cost of
    the unit-scale clouds can be tiny (0.6^400 = 1e-89), and POT then returns
    meaningless potentials. Its largest cost is brought to [1/2, 1) -- by a
    power of two, so exactly -- and the answer back.
    """
    return int(np.frexp(largest)[1]) if largest > 0.0 else 0


def _to_unit_largest(cost):
    """``(cost, k)``: ``cost`` scaled in place by ``2**-k`` (:func:`_largest_exponent`)."""
    shift = _largest_exponent(float(cost.max()))
    if shift:
        np.ldexp(cost, -shift, out=cost)
    return cost, shift


def _solve_simplex(x, a, y, b, ground, max_iter, max_memory, matrix=None):
    """POT's network simplex on the dense cost, certified.

    ``matrix``: that cost, already made (it is overwritten: scaled in place),
    or a function returning ``(cost, k)``, the cost already multiplied by
    ``2**-k`` (:func:`_largest_exponent`; called once the memory guard has
    passed), such as :meth:`_Geometry.unit_matrix`.
    """
    from ._simplex import dense_network_simplex

    try:
        check_dense_fits(a.shape[0], b.shape[0], 2, "exact", "sinkhorn", max_memory)
    except DenseMemoryError as error:
        uniform = auction_applies(a, b)
        raise DenseMemoryError(
            f"{error} Exact alternatives without the matrix: "
            + (
                "solver='auction' (the default for these uniform clouds, "
                "fast), or "
                if uniform
                else ""
            )
            + "solver='network_simplex_online' (any weights, O(n + m) memory, slow)."
        ) from None
    if callable(matrix):
        cost, shift = matrix()
    else:
        cost, shift = _to_unit_largest(ground.matrix(x, y) if matrix is None else matrix)
    # Optimality is checked below with a certificate, which warns itself.
    plan, f, g, solved, check, total = dense_network_simplex(a, b, cost, max_iter or _MAX_ITER)
    if shift:
        for key in ("dual_violation", "duality_gap"):
            check[key] = math.ldexp(check[key], shift)
        total, f, g = math.ldexp(total, shift), np.ldexp(f, shift), np.ldexp(g, shift)
    return total, plan, f, g, check, None, solved


def _solve_simplex_online(x, a, y, b, cost, max_iter):
    import ot
    import scipy.sparse

    from .._kernels.costs import EUCLIDEAN, pair_costs

    if not hasattr(ot.lp, "emd2_lazy"):
        raise MethodError(
            "solver='network_simplex_online' needs ot.lp.emd2_lazy, which recent POT has "
            f"(0.9.7 does); this is POT {ot.__version__}. Upgrade POT, or use solver='network_simplex'."
        )
    kind, q, order = cost.kernel
    metric = {1.0: "euclidean", 2.0: "sqeuclidean"}.get(order) if kind == EUCLIDEAN else None
    if metric is None:
        raise MethodError(
            "solver='network_simplex_online' computes only the costs |x - y| and |x - y|^2 "
            f"on the fly (the Euclidean metric, order 1 or 2), not order={cost.order:g}"
            + ("" if cost.is_default else f" with metric={cost.name}")
            + "; use solver='network_simplex'."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        _, log = ot.lp.emd2_lazy(
            x, y, a, b, metric=metric, numItermax=max_iter or _MAX_ITER, log=True,
            return_matrix=True,
        )
    plan = scipy.sparse.csr_array(log["G"]) if not scipy.sparse.issparse(log["G"]) else log["G"]
    plan = scipy.sparse.csr_array(plan)
    f = np.asarray(log["u"], dtype=np.float64)
    g = np.asarray(log["v"], dtype=np.float64)
    coo = plan.tocoo()
    rows = coo.row.astype(np.int64)
    cols = coo.col.astype(np.int64)
    weights = np.asarray(coo.data, dtype=np.float64)
    costs = pair_costs(kind, q, cost.exponent, np.array(x), np.array(y), rows, cols)
    total = float(weights @ costs)
    marginal_error = float(
        np.abs(np.bincount(rows, weights, x.shape[0]) - a).sum()
        + np.abs(np.bincount(cols, weights, y.shape[0]) - b).sum()
    )
    check = {
        "marginal_error": marginal_error,
        "dual_violation": _online_violation(x, y, cost, f, g),
        # Sum of reduced costs on the plan's support: no cancellation.
        "duality_gap": float(weights @ (costs - f[rows] - g[cols])),
    }
    return total, plan, f, g, check, None, log["result_code"] == 1


def _solve_auction(x, y, cost, max_iter, progress=None):
    import scipy.sparse

    from .._kernels.auction import auction, row_minima
    from .._kernels.costs import pair_costs
    from .._kernels.kdtree import box_tree, no_tree

    kind, q, order = cost.kernel
    n, m = x.shape[0], y.shape[0]
    size = math.lcm(n, m)
    # Unequal sizes: repeat every point so that all atoms weigh 1 / size.
    x_copies, y_copies = size // n, size // m
    # Fresh writable arrays: the kernels are compiled for those (the measures'
    # read-only arrays would be a second Numba specialisation to compile).
    xs = np.repeat(x, x_copies, axis=0)
    ys = np.repeat(y, y_copies, axis=0)
    scale = _positive_scale(cost, x, y)
    # The auction's phases stop once n eps <= rel_tol * (summed cost) + abs_tol.
    abs_tol = _AUCTION_ABS_TOL * scale * size
    centred = _centred(x, y, cost)
    if centred is not None:
        # Order 2: the plan is that of the centred clouds, which are as close as
        # they can be: the auction's easy case (see _centred). The stopping rule
        # is the uncentred problem's, whose summed cost is size * |shift|^2 more.
        x_centred, y_centred, shift = centred
        xs, ys = np.repeat(x_centred, x_copies, axis=0), np.repeat(y_centred, y_copies, axis=0)
        abs_tol += _AUCTION_REL_TOL * size * float(shift @ shift)
        scale = _positive_scale(cost, xs, ys)
    if x.shape[1] <= _TREE_MAX_DIM:
        tree, leaf_of, perm = box_tree(ys, _TREE_LEAF_SIZE)
    else:
        tree, leaf_of, perm = no_tree(size)
    y_tree = np.ascontiguousarray(ys[perm])
    max_bids = max_iter if max_iter is not None else 10_000 * size + 1_000_000
    run = auction if progress is None else _reporting_phases(auction, progress)
    assigned, prices, n_bids, n_scans, eps, complete = run(
        xs,
        y_tree,
        order,
        tree,
        leaf_of,
        _AUCTION_EPS_START * scale,
        _AUCTION_THETA,
        _AUCTION_REL_TOL,
        abs_tol,
        max_bids,
        min(_AUCTION_CACHE, size - 1),
        kind,
        q,
        np.zeros(2) if progress is not None else np.zeros(0),
    )
    if not complete:
        # Stopped by the bid budget: match the rows left over to the free
        # columns, so that the plan is still a coupling (its value an upper bound).
        free_rows = np.flatnonzero(assigned < 0)
        taken = np.zeros(size, dtype=bool)
        taken[assigned[assigned >= 0]] = True
        assigned[free_rows] = np.flatnonzero(~taken)
    u, slack = row_minima(xs, y_tree, order, prices, tree, assigned, threads=get_threads(),
                          kind=kind, q=q)
    # Back from the tree's order of the columns, and from copies to points.
    columns = perm[assigned]
    v = np.empty(size)
    v[perm] = -prices
    if centred is not None:
        # Potentials of the centred problem shifted into those of the given one.
        # Its cost |x - y|^2 is the centred |x' - y'|^2 + 2 <x', shift> - 2 <y', shift>
        # + |shift|^2, so the reduced costs, hence slack and gap, are the same.
        u = u + 2.0 * (xs @ shift) + float(shift @ shift)
        v = v - 2.0 * (ys @ shift)
        xs, ys = np.repeat(x, x_copies, axis=0), np.repeat(y, y_copies, axis=0)
    total = float(np.mean(pair_costs(kind, q, cost.exponent, xs, ys, np.arange(size), columns)))
    # Copies of a point have the same u; copies of a column may differ in price
    # (by about eps): the least keeps (f, g) feasible and costs their spread.
    f = u.reshape(n, x_copies).min(axis=1)
    v = v.reshape(m, y_copies)
    g = v.min(axis=1)
    rows = np.arange(size, dtype=np.int64) // x_copies
    plan = scipy.sparse.csr_array(
        (np.full(size, 1.0 / size), (rows, columns // y_copies)), shape=(n, m)
    )
    marginal_error = float(
        np.abs(plan.sum(axis=1) - 1.0 / n).sum() + np.abs(plan.sum(axis=0) - 1.0 / m).sum()
    )
    check = {
        "marginal_error": marginal_error,
        # u is the row minimum of c + prices, so (u, -prices) is feasible by
        # construction (to one rounding of c + prices).
        "dual_violation": 0.0,
        # The assignment's reduced costs, and what taking the least of the
        # copies' potentials cost: sums of non-negative terms, no cancellation.
        "duality_gap": float(
            np.sum(slack) / size
            + np.sum(u.reshape(n, x_copies) - f[:, None]) / size
            + np.sum(v - g[:, None]) / size
        ),
        "n_scans": int(n_scans),
        "final_eps": float(eps),
        "centred": centred is not None,
    }
    return total, plan, f, g, check, int(n_bids), bool(complete)


def _centred(x, y, cost):
    """For the cost |x - y|^2, the clouds moved to a common mean and the shift between them;
    else None (``cost`` a :class:`~divergences.ot._ground.GroundCost`).

    ``|x - y|^2`` differs from ``|x' - y'|^2`` (``x' = x - mean(x)``,
    ``y' = y - mean(y)``) by ``2 <x', s> - 2 <y', s> + |s|^2`` with ``s =
    mean(x) - mean(y)``: a function of ``x`` plus one of ``y``, which changes no
    optimal plan (W_2^2 = |s|^2 + W_2^2 of the centred clouds). Clouds far
    apart for their size are the auction's weak case -- every column then
    costs a row about the same, and the bids drag on -- and centred, no two
    clouds are farther apart. Order 1 has no such identity, nor have the
    other metrics.
    """
    from .._kernels.costs import EUCLIDEAN

    kind, _, order = cost.kernel
    if kind != EUCLIDEAN or order != 2.0:
        return None
    mean_x, mean_y = x.mean(axis=0), y.mean(axis=0)
    return x - mean_x, y - mean_y, mean_x - mean_y


def _reporting_phases(kernel, progress, interval=0.2):
    """``kernel`` run on a worker thread while this one reports its phases to ``progress``.

    The auction kernel releases the GIL and writes its phase and eps into its
    last argument (``status``) once per phase; this thread polls it every
    ``interval`` seconds, so the kernel itself runs as fast as without a
    report, and ``progress`` is called from the caller's thread.
    """

    def run(*args):
        status, outcome = args[-1], {}

        def work():
            try:
                outcome["result"] = kernel(*args)
            except BaseException as exc:  # re-raised on the caller's thread
                outcome["error"] = exc

        worker = threading.Thread(target=work, name="divergences-auction", daemon=True)
        worker.start()
        reported, running = 0, True
        while running:
            worker.join(interval)
            running = worker.is_alive()
            # Phases begun since the last look (a fast phase may be passed over: its
            # report then carries the eps current now).
            begun = int(status[0])
            for _ in range(begun - reported):
                progress(float(status[1]))
            reported = max(reported, begun)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]

    return run
