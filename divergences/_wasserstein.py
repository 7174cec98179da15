"""Wasserstein distances: the public entry points, dispatching to :mod:`divergences.ot`."""

from ._dispatch import Method, Permutation, resolve_method, run_method
from ._nn.critic import BIAS_INITS, CRITIC_REGULARISERS
from ._options import (REQUIRED, Anything, Boolean, Choice, Integer, Option, Order, Progress,
                       Real, Seed)
from ._validation import check_order, check_positive, check_same_dim
from .exceptions import MethodError
from .measures import as_measure
from .ot import cost_matrix, critic, exact, gaussian, grid, one_d, sinkhorn, sliced
from .ot._ground import as_ground_cost

__all__ = ["wasserstein", "sinkhorn_divergence", "WASSERSTEIN_METHODS", "SINKHORN_METHODS"]


def _order(default):
    return Option("order", Order(), default, "the cost d(x, y)^order (d: the metric)")


_RETURN_PLAN = Option("return_plan", Boolean(), False, "keep the n-by-m plan")
_MAX_MEMORY = Option("max_memory", Anything("bytes"), None,
                     "the most a dense matrix may take; default from the machine")
_PROGRESS = Option("progress", Progress(), False, "a tqdm bar, or progress(stage, step, error)")
_SINKHORN_ITERATION = (
    Option("tol", Real(), 1e-6, "L1 error of the plan's marginals"),
    Option("max_iter", Integer(), 10_000, "iterations at the target eps"),
    Option("eps_scaling", Real(0.0, 1.0), 0.5, "ratio of successive eps"),
)
_EPS = Option("eps", Real(), REQUIRED, sinkhorn.EPS_HELP)
# Checked by divergences.ot._ground.as_ground_cost, whose messages say what each method takes.
_METRIC = (
    Option("metric", Anything("a metric name, or a callable (u, v) -> float"), "euclidean",
           "the ground metric d; the cost is d(x, y)^order"),
    Option("metric_p", Anything("float >= 1, or inf"), None, "Minkowski's exponent"),
)

WASSERSTEIN_METHODS = (
    Method("gaussian", gaussian.applies, gaussian.solve, "two Gaussians and order=2",
           options=(_order(2.0),)),
    Method(
        "1d",
        one_d.applies,
        one_d.solve,
        "two 1-D measures, both discrete or both densities with quantile functions",
        options=(_order(1.0), *_METRIC),
    ),
    Method(
        "exact",
        exact.applies,
        exact.solve,
        "two point clouds (samples, or histograms with support points)",
        options=(
            _order(1.0), *_METRIC, _RETURN_PLAN, _MAX_MEMORY,
            Option("solver", Choice(*exact.SOLVERS), "auto", "'auto' picks by the clouds"),
            Option("max_iter", Integer(), None, "of the network simplex"),
            _PROGRESS,
        ),
    ),
    Method("sinkhorn", sinkhorn.applies, sinkhorn.solve, "two point clouds", auto=False,
           options=(_EPS, _order(1.0), *_METRIC, *_SINKHORN_ITERATION, _RETURN_PLAN,
                    _MAX_MEMORY, _PROGRESS)),
    Method("sliced", sliced.applies, sliced.solve, "two point clouds", auto=False,
           options=(
               _order(1.0),
               Option("n_projections", Integer(), None, "random directions; default 100"),
               Option("rng", Seed(), None, "of the directions"),
               Option("directions", Anything("array (n_projections, d)"), None,
                      "instead of random ones"),
           ),
           # Fixed directions: each split's projections are read off one pooled sort.
           permutation=Permutation(null="pooled sorted projections", seeded=True)),
    Method(
        "critic",
        critic.applies,
        critic.solve,
        "samples, densities or histograms with support, and order=1",
        auto=False,
        options=(
            _order(1.0),
            Option("penalty", Choice(*CRITIC_REGULARISERS), "gp",
                   "the critic's Lipschitz regulariser"),
            Option("lam", Real(), None, "the penalty's weight"),
            Option("clip", Real(), None, "weight clipping bound (penalty='clip')"),
            Option("steps", Integer(), 1000, "training steps"),
            Option("batch_size", Integer(), 256, "samples per step"),
            Option("hidden", Anything("tuple of layer widths"), (64, 64), "the critic's layers"),
            Option("activation", Anything("an activation name"), "leaky_relu",
                   "the critic's activation"),
            Option("bias_init", Choice(*BIAS_INITS), "zero",
                   "the critic's first-layer biases (data: kinks through data points)"),
            Option("lr", Real(), None, "the optimiser's step"),
            Option("holdout", Real(0.0, 1.0), 0.3, "share of samples kept to evaluate"),
            Option("n_eval", Integer(), 4096, "samples of the final estimate"),
            Option("normalize", Boolean(), None, "standardise the inputs"),
            Option("rng", Seed(), None, "of the batches and the network"),
        ),
        permutation=Permutation(seeded=True),  # its batches and network: one seed per test
    ),
)


def _grid_flow_applies(p, q, options):
    return (grid.on_same_grid(p, q) and options.get("metric") == "cityblock"
            and options.get("order") == 1.0)


_GRID_METRIC = Option("metric", Choice("euclidean", "sqeuclidean", "cityblock"), "euclidean",
                      "the ground metric between the grid's cells")
_GRID_SOLVERS = {"exact": grid.solve_exact, "sinkhorn": grid.solve_sinkhorn}

#: The methods of :func:`wasserstein` between two histograms on the same grid
#: (``Histogram.from_grid``): the grid flow first for W1 with the L1 metric,
#: then the table above with "exact" and "sinkhorn" using the grid where they can.
def _on_grid(options):
    """A point-cloud method's options with the grid's metric in place of the general one."""
    return (*(o for o in options if o.name not in ("metric", "metric_p")), _GRID_METRIC)


GRID_METHODS = (
    Method("exact", _grid_flow_applies, grid.solve_exact,
           "two histograms on the same grid, metric='cityblock' and order=1",
           options=_on_grid(next(m for m in WASSERSTEIN_METHODS if m.name == "exact").options)),
    *(
        Method(m.name, m.applies, _GRID_SOLVERS[m.name], m.requires, m.auto,
               options=_on_grid(m.options)) if m.name in _GRID_SOLVERS else m
        for m in WASSERSTEIN_METHODS
    ),
)

_COST = Option("cost", Anything("array (n, m), >= 0, +inf forbids a pair"), REQUIRED,
               "the cost matrix between the atoms of p and q")
_COST_EPS = Option("eps", Real(), REQUIRED, "the entropic regularisation in the units of cost=M "
                   "(POT's reg)")

#: The methods of :func:`wasserstein` with a given cost matrix (``cost=M``).
COST_MATRIX_METHODS = (
    Method("exact", cost_matrix.applies, cost_matrix.solve_exact,
           "two discrete measures (histograms or sample sets) and cost=M",
           options=(_COST, _order(1.0), _RETURN_PLAN, _MAX_MEMORY,
                    Option("max_iter", Integer(), None, "of the network simplex"))),
    Method("sinkhorn", cost_matrix.applies, cost_matrix.solve_sinkhorn,
           "two discrete measures (histograms or sample sets) and cost=M", auto=False,
           options=(_COST, _COST_EPS, _order(1.0), *_SINKHORN_ITERATION, _RETURN_PLAN,
                    _MAX_MEMORY, _PROGRESS)),
)


#: The methods of :func:`sinkhorn_divergence`: one, so that ``method="auto"`` and
#: ``method="sinkhorn"`` are accepted like every divergence's (``dv.divergence``,
#: ``pairwise`` and the command line pass ``method=`` to every kind).
SINKHORN_METHODS = (
    Method("sinkhorn", sinkhorn.applies, sinkhorn.divergence, "two point clouds",
           options=(_EPS, _order(2.0), *_METRIC, *_SINKHORN_ITERATION, _PROGRESS)),
)


def wasserstein(p, q, /, *, order=1, method="auto", metric="euclidean", metric_p=None, **options):
    """The Wasserstein distance W_p(P, Q) = (min over couplings of E d(x, y)^p)^(1/p).

    The ground cost is ``metric(x, y) ** order``, ``d = metric`` (the
    Euclidean distance by default).

    Parameters
    ----------
    p, q : Measure, array_like or frozen scipy.stats distribution
        The two distributions; arrays are sample sets (see :func:`as_measure`).
    order : float, optional
        The order ``p >= 1`` (default 1).
    cost : array_like, shape (n, m), optional
        A cost matrix in place of the ground distance (POT's ``M``): ``cost[i,
        j]`` is the cost of moving a unit of mass from atom ``i`` of ``p`` to
        atom ``j`` of ``q`` (histogram bins, with or without support, or
        weighted samples, in their order); ``+inf`` forbids a pair. With it
        ``order`` must be 1 and no root is taken: ``"exact"`` (the default;
        POT's network simplex, certified) gives ``value = cost = <pi, M>``;
        ``"sinkhorn"`` (``eps`` in the units of ``M``, POT's ``reg``) gives
        ``value = <pi, M>`` for the entropic plan and ``cost = OT_eps``. See
        :mod:`divergences.ot.cost_matrix`.
    metric : str or callable, optional
        The ground metric ``d``. ``"euclidean"`` (default), ``"sqeuclidean"``,
        ``"cityblock"``, ``"chebyshev"`` and ``"minkowski"`` (with
        ``metric_p``) are computed on the fly by every solver of ``"1d"``,
        ``"exact"`` and ``"sinkhorn"``; any other
        :func:`scipy.spatial.distance.cdist` name, or a callable ``(u, v) ->
        float``, gives a dense cost matrix for ``method="exact"`` (the network
        simplex; such a metric need not be homogeneous, so the points are not
        rescaled). With ``"sqeuclidean"`` the cost is ``|x - y|^(2 order)``:
        ``order=1`` gives POT's ``emd2`` on ``ot.dist(x, y)``, and the value
        is a squared distance. On the line all of them are ``|x - y|`` except
        ``"sqeuclidean"``. The methods ``"gaussian"``, ``"sliced"`` and
        ``"critic"`` are Euclidean only. ``details`` records a metric other
        than the Euclidean one.
    metric_p : float, optional
        Minkowski's exponent ``1 <= metric_p <= inf`` (scipy's ``p``), with
        ``metric="minkowski"`` only.
    method : str, optional
        ``"auto"`` (default) picks the first that applies, in this order:

        * ``"gaussian"`` -- two Gaussians with ``order=2`` (Bures closed form);
        * ``"1d"`` -- two 1-D measures (quantile functions: exact for discrete
          measures and uniforms, adaptive quadrature for other densities;
          ``inf``, with a ``note``, where the quantiles' tails make W_p
          infinite, e.g. a Cauchy against anything with a mean);
        * ``"exact"`` with ``metric="cityblock"`` and ``order=1`` -- two
          histograms on the same grid (``Histogram.from_grid``): W1 with the L1
          ground metric as a min-cost flow on the grid graph, certified, O(N)
          memory (see :mod:`divergences.ot.grid`);
        * ``"exact"`` -- two point clouds, certified optimal: an epsilon-scaling
          auction computing costs on the fly (O(n) memory) for uniform clouds
          of equal size, POT's network simplex otherwise; options
          ``return_plan``, ``max_memory``, ``solver``, ``max_iter``,
          ``progress`` (a bar of the auction's phases; see
          :func:`divergences.ot.exact.solve`).

        Named explicitly:

        * ``"sinkhorn"`` -- entropic OT by online log-domain Sinkhorn, O(n + m)
          memory; options ``eps`` (required, in cost units ``|x - y|^order``),
          ``tol`` (L1 marginal error, 1e-6), ``max_iter``, ``eps_scaling``,
          ``return_plan``, ``max_memory``, ``progress`` (a bar of the
          iterations); on two histograms on the same grid with the squared
          Euclidean cost (``order=2``) a separable (convolutional) log-domain
          Sinkhorn, O(N) memory. ``value`` is ``<pi, C>^(1/order)``
          for the entropic plan ``pi`` (-> W_p as eps -> 0), ``cost`` the
          regularised objective ``OT_eps``;
        * ``"sliced"`` -- sliced W_p, ``(mean over random directions of
          W_p^p)^(1/p)``, with its standard error; options ``n_projections``
          (100), ``rng``, ``directions``;
        * ``"critic"`` -- W_1 by the Kantorovich--Rubinstein dual with a trained
          neural critic, WGAN-GP penalty by default; options ``penalty``,
          ``lam``, ``steps``, ``rng``, ... (see :func:`divergences.ot.critic.solve`).
    **options
        Options of the chosen method; unknown ones are an error.

    Returns
    -------
    OTResult
        ``value`` is W_p itself, not its p-th power (that is ``cost``).

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> x = np.array([[0.0, 0.0], [1.0, 0.0]])
    >>> r = dv.wasserstein(x, x + [3.0, 4.0], order=2)
    >>> float(r), r.method
    (5.0, 'exact')
    >>> float(dv.wasserstein(dv.Gaussian(0.0, 1.0), dv.Gaussian(2.0, 1.0), order=2))
    2.0
    >>> float(dv.wasserstein(dv.Histogram([0.5, 0.5]), dv.Histogram([0.5, 0.5]),
    ...                      cost=[[0.0, 1.0], [1.0, 0.0]]))    # POT's ot.emd2 example
    0.0
    """
    p = as_measure(p, "p")
    q = as_measure(q, "q")
    if options.get("cost") is not None:
        options = {"order": check_order(order), **options}
        chosen = resolve_method(COST_MATRIX_METHODS, method, p, q, options, "wasserstein")
        return run_method(chosen, p, q, options, "wasserstein")
    check_same_dim(p, q)
    if p.dim is None or q.dim is None:
        raise MethodError(
            "wasserstein needs a ground distance, but a histogram without support points has "
            "none; give support= to dv.Histogram."
        )
    options = {"order": check_order(order), **_metric_options(metric, metric_p, order), **options}
    table = GRID_METHODS if grid.on_same_grid(p, q) else WASSERSTEIN_METHODS
    chosen = resolve_method(table, method, p, q, options, "wasserstein")
    return run_method(chosen, p, q, options, "wasserstein")


def _metric_options(metric, metric_p, order):
    """``metric`` and ``metric_p`` checked, as options; none for the default (Euclidean) metric,
    so that every method, Euclidean-only ones included, is called as without them."""
    if isinstance(metric, str) and metric == "euclidean" and metric_p is None:
        return {}
    as_ground_cost(metric, metric_p, order)  # a bad metric is refused before any method runs
    return {"metric": metric, **({} if metric_p is None else {"metric_p": metric_p})}


def sinkhorn_divergence(p, q, /, *, eps=None, order=2, method="auto", metric="euclidean",
                        metric_p=None, **options):
    """The debiased Sinkhorn divergence S_eps = OT_eps(p, q) - OT_eps(p, p)/2 - OT_eps(q, q)/2.

    ``OT_eps(a, b) = min_pi <pi, C> + eps KL(pi | a x b)`` is entropic optimal
    transport with cost ``C = |x - y|^order``, solved by log-domain Sinkhorn
    with costs computed on the fly (O(n + m) memory, rows in parallel) and
    eps-scaling; problems above 2,000 x 2,000 points are solved coarse to
    fine (first between clusters of a few points, then on the full clouds to
    the same ``tol``), which takes n = m = 100,000 in minutes. Subtracting
    the two symmetric terms removes the entropic bias:
    ``S_eps(p, p) = 0`` exactly (also when ``q`` lists the atoms of ``p`` in
    another order), ``S_eps >= 0`` (for ``order <= 2``, where the Gibbs kernel
    is positive definite: a negative value within the solvers' error bound,
    from their marginal errors, is rounding and is clipped to 0 with a
    ``note``; one beyond it is kept, with a warning), and ``S_eps ->
    W_order^order`` as ``eps -> 0`` (Feydy et al. 2019).

    Parameters
    ----------
    p, q : Measure or array_like
        Two point clouds (samples, or histograms with support points).
    eps : float
        Required. The entropic regularisation, in cost units (cost ``|x - y|^order``,
        no factor 1/2): POT's ``reg`` on ``M = |x - y|^order``. GeomLoss's
        ``blur`` relates as ``eps = 2 * blur**2`` for ``p=2`` (it halves the
        cost) and ``eps = blur`` for ``p=1``.
    order : float, optional
        Exponent of the ground cost (default 2).
    metric : str, optional
        The ground metric, the cost being ``metric(x, y) ** order``:
        ``"euclidean"`` (default), ``"sqeuclidean"``, ``"cityblock"``,
        ``"chebyshev"`` or ``"minkowski"`` (with ``metric_p``), computed inside
        the kernel as the Euclidean one is (see :func:`wasserstein`).
        ``S_eps >= 0`` holds where the Gibbs kernel ``exp(-cost / eps)`` is
        positive definite: the Euclidean metric to an order ``<= 2``, the
        squared Euclidean, city block and Minkowski (``metric_p <= 2``) ones
        to an order ``<= 1``, Chebyshev's to order 1 in at most 2 dimensions.
    metric_p : float, optional
        Minkowski's exponent (``metric="minkowski"`` only).
    method : str, optional
        ``"auto"`` (default) or ``"sinkhorn"``, the only method: accepted so
        that every divergence takes ``method=`` alike.
    tol : float, optional
        Stop each of the three problems when the L1 error of its plan's
        marginals is below ``tol`` (default 1e-6).
    max_iter : int, optional
        The most iterations per problem at the target eps (default 10,000);
        beyond it a :class:`ConvergenceWarning` and ``converged=False``.
    eps_scaling : float, optional
        Ratio between successive eps of the annealing that starts at the
        cost scale (default 0.5).
    progress : bool or callable, optional
        ``True``: a tqdm bar of the iterations of the three problems (if
        tqdm is installed); a callable: called as ``progress(stage, n_iter,
        marginal_error)`` after each iteration, ``stage`` one of
        ``"OT(p, p)"``, ``"OT(q, q)"``, ``"OT(p, q)"``. Default ``False``.

    Returns
    -------
    OTResult
        ``value`` is S_eps, in cost units (a squared distance for
        ``order=2``), not a root; ``potentials`` are the debiased ``(f - p,
        g - q)``; ``details`` holds the three ``OT_eps`` values, and the
        iterations of each problem on the full clouds (``n_iter_each``) and
        on its coarse levels (``coarse_n_iter_each``).

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> x = np.random.default_rng(0).normal(size=(100, 2))
    >>> float(dv.sinkhorn_divergence(x, x, eps=0.1))
    0.0
    >>> r = dv.sinkhorn_divergence(x, x + [0.6, 0.8], eps=0.5)  # a translation by |t| = 1
    >>> round(float(r), 6), r.converged
    (1.0, True)
    """
    p = as_measure(p, "p")
    q = as_measure(q, "q")
    check_same_dim(p, q)
    if eps is None:
        raise TypeError(f"sinkhorn_divergence needs eps=..., {sinkhorn.EPS_HELP}.")
    check_positive(eps, "eps")
    order = check_order(order)
    if not (sinkhorn.applies(p, q, {}) and p.dim is not None):
        raise MethodError(
            f"sinkhorn_divergence needs two point clouds (samples, or histograms with support "
            f"points), got {p!r} and {q!r}; draw samples from a density with .sample(n, rng=...)."
        )
    options = {"eps": eps, "order": order, **_metric_options(metric, metric_p, order), **options}
    chosen = resolve_method(SINKHORN_METHODS, method, p, q, options, "sinkhorn_divergence")
    return run_method(chosen, p, q, options, "sinkhorn_divergence")
