"""Transport between histograms on the same regular grid, using the grid's structure.

Two solvers that no dense method can match at image sizes (a 256 x 256 image
has 65,536 cells; the dense cost matrix between two of them is 34 GB):

* **Exact W1 with the L1 (cityblock) ground metric** as a min-cost flow on
  the grid graph (Ling & Okada 2007, EMD-L1): the L1 distance between two
  cells is the length of a shortest path through neighbouring cells, so an
  optimal coupling is an optimal flow along the 2 d N arcs between neighbours
  (4 per cell in 2-D, 6 in 3-D) -- N nodes and O(N) arcs instead of N^2 pairs.
  Solved by a Numba network simplex (:mod:`divergences._kernels.grid_flow`),
  started from the optimal tree of the grid coarsened 2x per axis (solved
  first, recursively: a multiscale start),
  then certified: flow conservation (the marginals), dual feasibility on
  every arc (``|phi_u - phi_v| <= spacing``, which makes ``(phi, -phi)``
  feasible for the L1 cost between *all* pairs of cells) and the duality gap.
  scipy's HiGHS on the same sparse LP was measured and is far slower (dual
  simplex 135 s, interior point about 10 s already at 128 x 128; see
  benchmarks/bench_grids.py).
* **Entropic OT with the squared Euclidean cost** by separable log-domain
  Sinkhorn (Solomon et al. 2015, "Convolutional Wasserstein distances",
  ACM TOG 34(4)): ``exp(-|x - y|^2 / eps)`` factorises over the axes, so
  each soft-min is one 1-D log-sum-exp per axis -- O(N^(1 + 1/d)) work and
  O(N) memory per iteration. Each 1-D pass is a matrix product (BLAS) with
  the rows shifted by their maximum, exact while the 1-D kernel does not
  underflow (largest cost along an axis below 600 eps); below that eps a
  Numba log-sum-exp pass, exact for any eps, takes over, each sum taken over
  a window around the diagonal outside which every term is provably below
  e^-50 of it (:mod:`divergences._kernels.grid_sinkhorn`).
"""

import functools
import math
import warnings
from typing import NamedTuple

import numpy as np

from .._threads import get_threads, run_kernel, single_threaded_blas
from ..exceptions import ConvergenceWarning, MethodError
from ..results import OTResult

__all__ = ["on_same_grid", "applies", "solve_exact", "solve_sinkhorn", "grid_edges", "SINKHORN_BLAS_LIMIT"]

_REL_TOL = 1e-9
_ABS_TOL = 1e-13
# The BLAS pass exponentiates -C / eps along one axis: exact while that stays
# far above the float64 underflow (-745), with room for 1e6 terms lost below it.
SINKHORN_BLAS_LIMIT = 600.0
# From this many cells the separable passes are split over the library's threads.
_PARALLEL_CELLS = 2**14


def on_same_grid(p, q):
    """Both histograms made by ``Histogram.from_grid`` on the same grid."""
    grid = getattr(p, "grid", None)
    return grid is not None and grid == getattr(q, "grid", None)


def applies(p, q, options):
    """Two histograms on the same regular grid."""
    return on_same_grid(p, q)


def grid_edges(shape, spacing):
    """The arcs between neighbouring cells (both directions) and their lengths.

    Returns ``(src, dst, cost)``; cells are numbered in C order.
    """
    index = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    sources, targets, costs = [], [], []
    for axis, step in enumerate(spacing):
        if shape[axis] < 2:
            continue
        head = [slice(None)] * len(shape)
        tail = [slice(None)] * len(shape)
        head[axis], tail[axis] = slice(1, None), slice(None, -1)
        u, v = index[tuple(tail)].ravel(), index[tuple(head)].ravel()
        sources += [u, v]
        targets += [v, u]
        costs.append(np.full(2 * u.shape[0], float(step)))
    if not sources:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    return np.concatenate(sources), np.concatenate(targets), np.concatenate(costs)


def _graph(src, dst, n):
    """Each arc's reverse, and the arcs leaving each node (CSR: offsets, arc indices)."""
    # Sorted by their endpoints as a set, an arc and its reverse are neighbours.
    order = np.lexsort((src, np.maximum(src, dst), np.minimum(src, dst)))
    pairs = order.reshape(-1, 2)
    reverse = np.empty(src.shape[0], dtype=np.int64)
    reverse[pairs[:, 0]] = pairs[:, 1]
    reverse[pairs[:, 1]] = pairs[:, 0]
    adjacent = np.argsort(src, kind="stable").astype(np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=offsets[1:])
    return reverse, offsets, adjacent


def solve_exact(p, q, *, order=1.0, metric="euclidean", return_plan=False, max_memory=None,
                solver="auto", max_iter=None, progress=False):
    """Exact W_p between two histograms on the same grid.

    With ``metric="cityblock"`` and ``order=1``: a min-cost flow on the grid
    graph (O(N) memory), certified. Otherwise the point-cloud solver
    (:func:`divergences.ot.exact.solve`) on the cells' coordinates.

    Parameters
    ----------
    p, q : Histogram
        Made by :meth:`Histogram.from_grid` on the same grid.
    order : float
    metric : str
        ``"cityblock"`` (with ``order=1``) for the grid flow; ``"euclidean"``
        (default) goes to the point-cloud solver.
    return_plan, max_memory, solver, max_iter, progress
        As :func:`divergences.ot.exact.solve`. The grid flow has no n-by-m
        plan to return (``return_plan=True`` is an error there; its flow along
        the grid's arcs is ``details["edge_flow"]``); its ``max_iter`` bounds
        the pivots.

    Returns
    -------
    OTResult
        For the grid flow: ``value = cost = W1``; ``potentials = (phi, -phi)``
        (feasible for the L1 cost between every pair of cells); ``details``
        holds ``solver="grid_network_simplex"``, ``duality_gap``,
        ``dual_violation``, ``error_bound``, ``tolerance``, ``n_pivots`` (on
        the grid itself), ``coarse_pivots`` (on each coarser grid of the
        multiscale start, finest first), ``edges`` (``src, dst``) and
        ``edge_flow``.

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> a = np.zeros((4, 4)); a[0, 0] = 1.0
    >>> b = np.zeros((4, 4)); b[3, 2] = 1.0
    >>> r = dv.wasserstein(dv.Histogram.from_grid(a), dv.Histogram.from_grid(b), metric="cityblock")
    >>> float(r), r.details["solver"], r.converged
    (5.0, 'grid_network_simplex', True)
    """
    from . import exact

    if metric == "cityblock" and float(order) == 1.0:
        if return_plan:
            raise MethodError(
                "the grid flow (metric='cityblock', order=1) forms no n-by-m coupling: its flow "
                "along the grid's arcs is in details['edge_flow']; drop return_plan, or use "
                "metric='euclidean'."
            )
        if solver not in ("auto", "grid_network_simplex"):
            raise MethodError(f"solver={solver!r}: the grid flow has one solver, 'grid_network_simplex'.")
        return _grid_flow(p, q, max_iter)
    a, b = p.probabilities, q.probabilities
    if (metric in _CELL_COST_METRICS and float(order) == 1.0 and p.size <= _CELL_COST_CELLS
            and solver in ("auto", "network_simplex") and max_memory is None
            and not exact.auction_applies(a, b)):
        return _exact_on_cells(p, q, metric, return_plan, max_iter)
    options = {"order": order, "metric": metric, "return_plan": return_plan,
               "max_memory": max_memory, "solver": solver, "max_iter": max_iter, "progress": progress}
    return exact.solve(p, q, **options)


# Small grids (digits: 8 x 8) keep their cells' cost matrix: the same for every image.
_CELL_COST_CELLS = 1024
_CELL_COST_METRICS = ("euclidean", "sqeuclidean")  # cityblock at order 1 is the grid flow


@functools.lru_cache(maxsize=4)
def _cell_costs(grid, metric):
    """The cost matrix between a grid's cells (read-only) and the bound on its costs."""
    from .._grid import grid_points
    from ._ground import as_ground_cost

    ground = as_ground_cost(metric, None, 1.0)
    points = grid_points(grid)
    matrix = ground.matrix(points, points)
    matrix.flags.writeable = False
    scale = ground.cost_scale(points, points)
    return matrix, scale if scale > 0.0 else 1.0  # one cell: tolerances stay positive


def _exact_on_cells(p, q, metric, return_plan, max_iter):
    """Exact W1 on a small grid by the network simplex on the cells' cost matrix, kept per grid.

    What :func:`divergences.ot.exact.solve` does for these histograms (the
    same simplex on the bit-identical scaled matrix, the same certificate and
    result), less what a loop over many images of one grid repeats: the
    coordinates' scaling, the cost matrix and its bound.
    """
    from . import exact
    from ._ground import as_ground_cost

    matrix, scale = _cell_costs(p.grid, metric)
    a, b = p.probabilities, q.probabilities
    outcome = exact._solve_simplex(None, a, None, b, None, max_iter, None, matrix=matrix.copy())
    return exact.certified_result(p, q, outcome, solver="network_simplex", scale=scale, order=1.0,
                                  ground=as_ground_cost(metric, None, 1.0),
                                  return_plan=return_plan, stacklevel=6)


# Below this many cells the breadth-first start is as good as a coarser solve's.
_COARSEST = 1024


def _coarsened(shape, supply):
    """The supplies summed over blocks of 2^d cells (a ragged last block where a side is odd)."""
    padded = np.zeros(tuple(k + k % 2 for k in shape))
    padded[tuple(slice(0, k) for k in shape)] = supply.reshape(shape)
    split = []
    for k in padded.shape:
        split += [k // 2, 2]
    blocks = padded.reshape(split)
    return tuple(k // 2 for k in padded.shape), blocks.sum(axis=tuple(range(1, 2 * len(shape), 2)))


class _Flow(NamedTuple):
    """The grid flow at one level: arcs, flow, potentials, final tree, pivots."""

    src: np.ndarray
    dst: np.ndarray
    cost: np.ndarray
    flow: np.ndarray
    potentials: np.ndarray
    parent: np.ndarray
    root: int
    n_pivots: int
    status: int
    coarse_pivots: tuple


def _flow(shape, spacing, supply, tol, max_pivots):
    """The grid flow by network simplex, started from the coarsened problem's optimal tree.

    The coarser levels are solved first, recursively (each a quarter of the
    cells in 2-D, so together about a third of the work), down to
    ``_COARSEST`` cells; each level keeps only the tree of the one below.
    """
    from .._kernels.grid_flow import lift_tree, network_simplex

    n = supply.shape[0]
    src, dst, cost = grid_edges(shape, spacing)
    reverse, offsets, adjacent = _graph(src, dst, n)
    no_tree = np.empty(0, dtype=np.int64)
    start_parent, start_pred = no_tree, no_tree
    root = int(np.ravel_multi_index(tuple(k // 2 for k in shape), shape))
    coarse_pivots = ()
    if n > _COARSEST and max(shape) > 2:
        coarse_shape, coarse_supply = _coarsened(shape, supply)
        coarse = _flow(coarse_shape, tuple(2.0 * h for h in spacing), coarse_supply.ravel(), tol,
                       max_pivots)
        coarse_pivots = (coarse.n_pivots,) + coarse.coarse_pivots
        if coarse.status == 0:  # else the breadth-first start
            root, start_parent, start_pred = lift_tree(
                coarse.parent, coarse.root, np.array(coarse_shape, dtype=np.int64),
                np.array(shape, dtype=np.int64), offsets, adjacent, dst)
    flow, phi, parent, _, n_pivots, status = network_simplex(
        src, dst, cost, reverse, offsets, adjacent, supply, root, tol, max_pivots, start_parent,
        start_pred)
    return _Flow(src, dst, cost, flow, phi, parent, root, int(n_pivots), int(status), coarse_pivots)


def _grid_flow(p, q, max_iter):
    grid = p.grid
    a, b = np.asarray(p.probabilities), np.asarray(q.probabilities)
    # Costs at unit scale, by a power of two (exact): the largest spacing in [1/2, 1).
    shift = int(np.frexp(max(grid.spacing))[1])
    spacing = tuple(math.ldexp(h, -shift) for h in grid.spacing)
    supply = a - b
    longest = sum((k - 1) * h for k, h in zip(grid.shape, spacing))
    max_pivots = 2**62 if max_iter is None else int(max_iter)
    solved_flow = _flow(grid.shape, spacing, supply, 1e-14 * max(spacing), max_pivots)
    src, dst, cost, flow, phi = solved_flow[:5]
    n_pivots, status = solved_flow.n_pivots, solved_flow.status
    total = float(cost @ flow)
    net = np.bincount(src, flow, a.shape[0]) - np.bincount(dst, flow, a.shape[0])
    # The flow is a coupling of a and b exactly when it carries a - b.
    marginal_error = float(np.abs(net - supply).sum())
    violation = max(float(np.max(phi[src] - phi[dst] - cost, initial=0.0)), 0.0)
    # Sum of reduced costs along the flow: no cancellation.
    gap = float(flow @ (cost - phi[src] + phi[dst]))
    bound = gap + violation
    tolerance = _REL_TOL * abs(total) + _ABS_TOL * longest
    solved = status == 0
    converged = solved and marginal_error <= 1e-9 and bound <= tolerance
    unit = lambda amount: math.ldexp(amount, shift)  # noqa: E731 -- back to the caller's units
    details = {"solver": "grid_network_simplex", "duality_gap": unit(gap),
               "dual_violation": unit(violation), "error_bound": unit(bound),
               "tolerance": unit(tolerance), "n_pivots": int(n_pivots),
               "coarse_pivots": solved_flow.coarse_pivots,
               "edges": (src, dst),
               "edge_flow": flow}
    if not converged:
        stopped = "stopped at max_iter pivots and " if status == 1 else ""
        warnings.warn(
            f"exact W1 on the grid (network simplex) {stopped}could not certify optimality: "
            f"duality gap + dual violation = {details['error_bound']:.3g} (allowed "
            f"{details['tolerance']:.3g}), marginal error {marginal_error:.3g}. Raise max_iter.",
            ConvergenceWarning,
            stacklevel=4,
        )
    total = unit(max(total, 0.0))
    phi = np.ldexp(phi, shift)
    return OTResult(
        value=total,
        cost=total,
        order=1.0,
        method="exact",
        sizes=(p.size, q.size),
        stderr=0.0 if converged else None,
        converged=converged,
        potentials=(phi, -phi),
        n_iter=int(n_pivots),
        marginal_error=marginal_error,
        note="W1 with the L1 (cityblock) ground metric: min-cost flow on the grid graph",
        details=details,
    )


class _SeparableKernel:
    """The Gibbs kernel ``exp(-|x - y|^2 / eps)`` of a grid, one 1-D factor per axis.

    ``apply(log_values)`` returns ``log sum_j exp(log_values_j - C_ij / eps)``
    for every cell ``i``: one 1-D pass per axis. ``weight_axis=k`` multiplies
    the factor of axis ``k`` by its cost ``C_k`` (for ``<pi, C>``).
    """

    def __init__(self, grid, eps, weight_axis=None):
        self.shape = grid.shape
        self.passes = []
        for axis in range(grid.ndim):
            x = grid.spacing[axis] * np.arange(grid.shape[axis], dtype=np.float64)
            cost = (x[:, None] - x[None, :]) ** 2
            with np.errstate(divide="ignore"):
                log_kernel = -cost / eps + (np.log(cost) if axis == weight_axis else 0.0)
            blas = float(cost.max()) / eps <= SINKHORN_BLAS_LIMIT
            self.passes.append((axis, np.exp(log_kernel) if blas else log_kernel, blas))
        # The window of the exact pass needs a kernel decreasing away from the diagonal.
        self.monotone = weight_axis is None

    def apply(self, log_values, pool=None):
        """One soft-min pass per axis; ``pool`` (an executor) splits each pass in pieces."""
        from .._kernels import grid_sinkhorn

        h = log_values.reshape(self.shape)
        for axis, matrix, blas in self.passes:
            if blas:
                h = _blas_pass(h, axis, matrix, pool)
                continue
            moved = np.moveaxis(h, axis, -1)
            rows = np.ascontiguousarray(moved).reshape(-1, moved.shape[-1])
            out = run_kernel(grid_sinkhorn.axis_logsumexp, grid_sinkhorn.axis_logsumexp_serial,
                             rows.size * rows.shape[1], grid_sinkhorn.SERIAL_BELOW, rows, matrix,
                             np.empty_like(rows), self.monotone)
            h = np.ascontiguousarray(np.moveaxis(out.reshape(moved.shape), -1, axis))
        return h.reshape(-1)


def _blas_pass(h, axis, kernel, pool):
    """``log sum_l K_jl exp(h_..l..)`` along ``axis``: each line shifted by its maximum, one GEMM.

    The array is seen as ``(before, n, after)``, so no axis is moved (no
    copies): the last axis is ``rows @ K``, any other a (batched) ``K @ block``
    (``K`` is symmetric). With a pool, the pieces -- along ``before`` where it
    is long enough, else along ``after`` -- run in its threads, each with a
    one-thread BLAS (numpy releases the GIL): idle pool threads sleep, where
    BLAS's own spin and, on a shared machine, made a product up to 25 times
    slower (benchmarks/bench_grids.py).
    """
    shape = h.shape
    n = shape[axis]
    before = int(np.prod(shape[:axis], dtype=np.int64))
    after = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    h3 = np.ascontiguousarray(h).reshape(before, n, after)
    out = np.empty_like(h3)
    pieces = 1 if pool is None else pool._max_workers
    along_before = after == 1 or before >= pieces
    length = before if along_before else after
    bounds = np.linspace(0, length, min(pieces, length) + 1).astype(np.int64)

    def piece(start, stop):
        where = (slice(start, stop), slice(None), slice(None)) if along_before else (
            slice(None), slice(None), slice(start, stop))
        block = h3[where]
        top = block.max(axis=1, keepdims=True)
        top[~np.isfinite(top)] = 0.0  # a line without mass: exp(-inf) = 0, its log -inf
        scaled = np.exp(block - top)
        summed = (scaled[:, :, 0] @ kernel)[:, :, None] if after == 1 else np.matmul(kernel, scaled)
        with np.errstate(divide="ignore"):
            out[where] = np.log(summed) + top

    if pool is None or len(bounds) == 2:
        piece(0, length)
    else:
        for future in [pool.submit(piece, lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])]:
            future.result()
    return out.reshape(shape)


def _log(w):
    with np.errstate(divide="ignore"):
        return np.log(w)


def solve_sinkhorn(p, q, *, eps, order=1.0, metric="euclidean", tol=1e-6, max_iter=10_000,
                   eps_scaling=0.5, return_plan=False, max_memory=None, progress=False):
    """Entropic OT between two histograms on the same grid.

    With the squared Euclidean cost (``order=2``, or ``metric="sqeuclidean"``
    with ``order=1``): separable log-domain Sinkhorn, O(N) memory and
    O(N^(1 + 1/d)) work per iteration. Otherwise the point-cloud solver
    (:func:`divergences.ot.sinkhorn.solve`) on the cells' coordinates.

    Parameters
    ----------
    p, q : Histogram
        Made by :meth:`Histogram.from_grid` on the same grid.
    eps : float
        In cost units ``|x - y|^2`` (POT's ``reg`` on ``M = |x - y|^2``;
        :func:`ot.bregman.convolutional_barycenter2d`'s ``reg`` for an image
        on ``[0, 1]^2``, i.e. ``spacing = 1 / (n - 1)``).
    order, metric, tol, max_iter, eps_scaling, progress
        As :func:`divergences.ot.sinkhorn.solve`.
    return_plan, max_memory
        Not for the separable solver (its plan is N x N); passed on otherwise.

    Returns
    -------
    OTResult
        As :func:`divergences.ot.sinkhorn.solve`: ``value = <pi, C>^(1/order)``,
        ``cost = OT_eps``, ``details["solver"] = "separable"``.

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> a = np.zeros((8, 8)); a[2, 2] = 1.0
    >>> b = np.zeros((8, 8)); b[2, 5] = 1.0
    >>> r = dv.wasserstein(dv.Histogram.from_grid(a), dv.Histogram.from_grid(b), order=2,
    ...                    method="sinkhorn", eps=0.01)
    >>> round(float(r), 9), r.details["solver"]
    (3.0, 'separable')
    """
    from .._progress import SolverProgress
    from . import sinkhorn
    from ._sinkhorn_loop import alternate, entropic_result

    separable = (float(order) == 2.0 and metric == "euclidean") or (
        float(order) == 1.0 and metric == "sqeuclidean")
    if not separable:
        options = {"eps": eps, "order": order, "metric": metric, "tol": tol, "max_iter": max_iter,
                   "eps_scaling": eps_scaling, "return_plan": return_plan,
                   "max_memory": max_memory, "progress": progress}
        return sinkhorn.solve(p, q, **options)
    if return_plan or max_memory is not None:
        raise MethodError(
            "the separable grid Sinkhorn holds no N x N plan (return_plan / max_memory); the "
            "potentials (f, g) describe it: pi_ij = a_i b_j exp((f_i + g_j - C_ij) / eps)."
        )
    eps, tol, max_iter, eps_scaling = sinkhorn._check_options(eps, tol, max_iter, eps_scaling)
    grid = p.grid
    a, b = np.asarray(p.probabilities), np.asarray(q.probabilities)
    log_a, log_b = _log(a), _log(b)
    kernels = {}

    def kernel(level):
        if level not in kernels:
            kernels.clear()
            kernels[level] = _SeparableKernel(grid, level)
        return kernels[level]

    def to_columns(f, level, out):
        out[:] = -level * kernel(level).apply(log_a + f / level, pool)
        return out

    def to_rows(g, level, out):
        out[:] = -level * kernel(level).apply(log_b + g / level, pool)
        return out

    scale = sum((h * (k - 1)) ** 2 for h, k in zip(grid.spacing, grid.shape))
    reporter = SolverProgress(progress, "sinkhorn (grid)")
    threads = get_threads() if a.shape[0] >= _PARALLEL_CELLS else 1
    with single_threaded_blas(), _executor(threads) as pool:
        f, g, info = alternate(to_columns, to_rows, a, b, eps=eps, scale=max(scale, eps), tol=tol,
                               max_iter=max_iter, scaling=eps_scaling,
                               progress=reporter.stage("OT(p, q)"))
        reporter.close()
        transport, marginal_error = _plan_sums(grid, eps, log_a, log_b, a, b, f, g, pool)
    if not info["converged"]:
        sinkhorn._warn_not_converged("Sinkhorn on the grid", info, tol)
    transport = max(transport, 0.0)
    order = float(order)
    return entropic_result(
        p, q, f, g, info, transport=transport, marginal_error=marginal_error, eps=eps, tol=tol,
        value=transport ** (1.0 / order), order=order, solver="separable",
        note=f"entropic plan at eps={eps:g} (separable grid kernel); cost is the regularised "
             "objective OT_eps",
    )


solve_sinkhorn.required_help = {"eps": "the entropic regularisation, in cost units |x - y|^2"}


def _executor(threads):
    """A thread pool of ``threads`` workers, or no pool (``None``) for one."""
    import contextlib
    from concurrent.futures import ThreadPoolExecutor

    if threads <= 1:
        return contextlib.nullcontext(None)
    return ThreadPoolExecutor(threads, thread_name_prefix="grid-sinkhorn")


def _plan_sums(grid, eps, log_a, log_b, a, b, f, g, pool=None):
    """``<pi, C>`` and the L1 marginal error of ``pi = a b exp((f + g - C) / eps)``."""
    from scipy.special import logsumexp

    row_log = log_a + f / eps
    col_log = log_b + g / eps
    base = _SeparableKernel(grid, eps)
    rows = np.exp(row_log + base.apply(col_log, pool))
    cols = np.exp(col_log + base.apply(row_log, pool))
    marginal_error = float(np.abs(np.nan_to_num(rows) - a).sum()
                           + np.abs(np.nan_to_num(cols) - b).sum())
    parts = []
    for axis in range(grid.ndim):
        weighted = _SeparableKernel(grid, eps, weight_axis=axis).apply(col_log, pool)
        parts.append(logsumexp(row_log + weighted))
    return float(np.exp(logsumexp(parts))), marginal_error
