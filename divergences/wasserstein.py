"""Wasserstein distances: the public entry points, dispatching to :mod:`divergences.ot`."""

from ._dispatch import Method, planned, resolve_method, run_method
from ._validation import check_order, check_positive, check_same_dim
from .exceptions import MethodError
from .measures import as_measure
from .ot import critic, exact, gaussian, one_d
from .ot._common import is_point_cloud

__all__ = ["wasserstein", "sinkhorn_divergence", "WASSERSTEIN_METHODS"]


def _point_clouds(p, q, options):
    return is_point_cloud(p) and is_point_cloud(q)


WASSERSTEIN_METHODS = (
    Method("gaussian", gaussian.applies, gaussian.solve, "two Gaussians and order=2"),
    Method(
        "1d",
        one_d.applies,
        one_d.solve,
        "two 1-D measures, both discrete or both densities with quantile functions",
    ),
    Method(
        "exact",
        exact.applies,
        exact.solve,
        "two point clouds (samples, or histograms with support points)",
    ),
    Method(
        "sinkhorn",
        _point_clouds,
        planned("wasserstein", "sinkhorn", "online log-domain Sinkhorn"),
        "two point clouds",
        auto=False,
    ),
    Method(
        "sliced",
        _point_clouds,
        planned("wasserstein", "sliced", "sliced Wasserstein over random projections"),
        "two point clouds",
        auto=False,
    ),
    Method(
        "critic",
        critic.applies,
        critic.solve,
        "samples, densities or histograms with support, and order=1",
        auto=False,
    ),
)


def wasserstein(p, q, /, *, order=1, method="auto", **options):
    """The Wasserstein distance W_p(P, Q) = (min over couplings of E|x - y|^p)^(1/p).

    Parameters
    ----------
    p, q : Measure, array_like or frozen scipy.stats distribution
        The two distributions; arrays are sample sets (see :func:`as_measure`).
        The ground distance is Euclidean.
    order : float, optional
        The order ``p >= 1`` (default 1).
    method : str, optional
        ``"auto"`` (default) picks the first that applies, in this order:

        * ``"gaussian"`` -- two Gaussians with ``order=2`` (Bures closed form);
        * ``"1d"`` -- two 1-D measures (quantile functions: exact for discrete
          measures and uniforms, adaptive quadrature for other densities);
        * ``"exact"`` -- two point clouds, certified optimal: an epsilon-scaling
          auction computing costs on the fly (O(n) memory) for uniform clouds
          of equal size, POT's network simplex otherwise; options
          ``return_plan``, ``max_memory``, ``solver``, ``max_iter`` (see
          :func:`divergences.ot.exact.solve`).

        Named explicitly: ``"sinkhorn"``, ``"sliced"``, and ``"critic"`` (W_1 by
        the Kantorovich--Rubinstein dual with a trained neural critic, WGAN-GP
        penalty by default; options ``penalty``, ``lam``, ``steps``, ``rng``,
        ... -- see :func:`divergences.ot.critic.solve`).
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
    """
    p = as_measure(p, "p")
    q = as_measure(q, "q")
    check_same_dim(p, q)
    if p.dim is None or q.dim is None:
        raise MethodError(
            "wasserstein needs a ground distance, but a histogram without support points has "
            "none; give support= to dv.Histogram."
        )
    options = {"order": check_order(order), **options}
    chosen = resolve_method(WASSERSTEIN_METHODS, method, p, q, options, "wasserstein")
    return run_method(chosen, p, q, options, "wasserstein")


def sinkhorn_divergence(p, q, /, *, eps, order=2, **options):
    """The debiased Sinkhorn divergence S_eps = OT_eps(p, q) - OT_eps(p, p)/2 - OT_eps(q, q)/2.

    Parameters
    ----------
    p, q : Measure or array_like
        Two point clouds.
    eps : float
        The entropic regularisation, in cost units (cost ``|x - y|^order``,
        no factor 1/2): POT's ``reg`` on ``M = |x - y|^order``.
    order : float, optional
        Exponent of the ground cost (default 2).

    Returns
    -------
    OTResult
    """
    p = as_measure(p, "p")
    q = as_measure(q, "q")
    check_same_dim(p, q)
    check_positive(eps, "eps")
    check_order(order)
    raise NotImplementedError(
        "sinkhorn_divergence -- the online log-domain Sinkhorn solver -- is not implemented "
        "yet in this version of divergences."
    )
