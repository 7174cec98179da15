"""The ground cost of the transport solvers: ``metric(x, y) ** order``, chosen once.

:func:`as_ground_cost` turns the user's ``metric=`` (and ``metric_p=``, and
``order``) into a :class:`GroundCost`, which every solver asks for what it
needs: the arguments of the Numba kernels (the cost is computed inside
them, :mod:`divergences._kernels.costs`), a dense matrix (the network
simplex), the cost scale (one rule, :meth:`GroundCost.cost_scale`), and how
the cost scales with the points (for :class:`~divergences.ot._common.LengthScale`).

Metrics
-------
``"euclidean"`` (the default), ``"sqeuclidean"``, ``"cityblock"``,
``"chebyshev"`` and ``"minkowski"`` (with ``metric_p``, scipy's ``p`` of
:func:`scipy.spatial.distance.minkowski`, ``1 <= metric_p <= inf``) are
computed inside the kernels, so every method works with them, online. Any
other name that :func:`scipy.spatial.distance.cdist` knows, or a callable
``metric(u, v) -> float`` on two points, gives a dense cost matrix: only
the network simplex (``method="exact"``) takes it, and since such a metric
need not be homogeneous the points are not rescaled.

Scaling: the four norms are homogeneous of degree 1, ``d(s x, s y) = s
d(x, y)``, so the cost scales as ``s^order`` and W as ``s``; the squared
Euclidean metric has degree 2: its cost ``|x - y|^(2 order)`` scales as
``s^(2 order)`` and ``W = (min E |x - y|^(2 order))^(1 / order)`` as ``s^2``.
"""

import math
import numbers
from dataclasses import dataclass

import numpy as np

__all__ = ["GroundCost", "as_ground_cost", "KERNEL_METRICS"]

#: The metrics the kernels compute themselves (on the online paths too).
KERNEL_METRICS = ("euclidean", "sqeuclidean", "cityblock", "chebyshev", "minkowski")


@dataclass(frozen=True)
class GroundCost:
    """The cost ``metric(x, y) ** order`` as the solvers use it.

    Attributes
    ----------
    metric : str or callable
        The metric's name (``"minkowski"`` keeps its name whatever ``metric_p``)
        or the user's callable.
    metric_p : float or None
        Minkowski's exponent; None for other metrics.
    order : float
        The exponent applied to the metric.
    """

    metric: object = "euclidean"
    metric_p: float | None = None
    order: float = 1.0

    @property
    def online(self):
        """True when the kernels compute this cost (any method applies)."""
        return isinstance(self.metric, str) and self.metric in KERNEL_METRICS

    @property
    def is_default(self):
        """The Euclidean metric: the results say nothing about the metric then."""
        return self.metric == "euclidean"

    @property
    def degree(self):
        """The metric's degree of homogeneity (2 for sqeuclidean); None if not known to be."""
        if not self.online:
            return None
        return 2.0 if self.metric == "sqeuclidean" else 1.0

    @property
    def cost_degree(self):
        """The cost's degree of homogeneity, ``degree * order`` (None if not homogeneous)."""
        return None if self.degree is None else self.degree * self.order

    @property
    def value_unit(self):
        """The unit of W_p's value: ``"distance"``, or ``"distance^2"`` for sqeuclidean."""
        return "distance^2" if self.degree == 2.0 else "distance"

    @property
    def kernel(self):
        """``(kind, q, order)``: the metric code, Minkowski's q and the exponent on the metric.

        The squared Euclidean metric is the Euclidean one at twice the order;
        Minkowski's ``p`` of 1, 2 and inf are the city block, Euclidean and
        Chebyshev metrics (their kernels are faster).
        """
        from .._kernels import costs

        if not self.online:
            raise TypeError(f"the metric {self.name} has no kernel (dense paths only).")
        order = float(self.order)
        metric, q = self.metric, 2.0
        if metric == "minkowski":
            metric = {1.0: "cityblock", 2.0: "euclidean", math.inf: "chebyshev"}.get(
                self.metric_p, "minkowski")
            q = self.metric_p if metric == "minkowski" else 2.0
        if metric == "sqeuclidean":
            metric, order = "euclidean", 2.0 * order
        kind = {"euclidean": costs.EUCLIDEAN, "cityblock": costs.CITYBLOCK,
                "chebyshev": costs.CHEBYSHEV, "minkowski": costs.MINKOWSKI}[metric]
        return kind, float(q), order

    @property
    def exponent(self):
        """``e`` with ``cost = reduced ** e`` in the kernels (see :mod:`divergences._kernels.costs`)."""
        from .._kernels.costs import reduced_exponent

        return float(reduced_exponent(*self.kernel))

    def positive_definite(self, dim):
        """Whether the Gibbs kernel ``exp(-cost / eps)`` is positive definite for every eps.

        It is exactly when the cost is conditionally negative definite
        (Schoenberg 1938): ``|x - y|_2^order`` for ``order <= 2``, and
        ``|x - y|_q^order`` for ``1 <= q <= 2`` and ``order <= 1`` (l_q
        embeds in L_1, whose metric is of negative type: Bretagnolle,
        Dacunha-Castelle & Krivine 1966); so the city block metric to the
        order 1, and Chebyshev's in at most 2 dimensions (where it is the
        city block metric rotated by 45 degrees and scaled), ``dim`` the
        points' dimension; on the line every one of them is ``|x - y|``, to
        the power ``cost_degree``. The Sinkhorn divergence is then
        non-negative (Feydy et al. 2019, Theorem 1). False means "not known
        to be", for the other metrics.
        """
        if not self.online:
            return False
        if dim == 1:
            return self.cost_degree <= 2.0
        kind, q, order = self.kernel
        from .._kernels import costs

        if kind == costs.EUCLIDEAN:
            return order <= 2.0
        if kind == costs.CHEBYSHEV:
            return order <= 1.0 and dim is not None and dim <= 2
        return order <= 1.0 and q <= 2.0

    @property
    def name(self):
        """The metric as a message names it: ``'cityblock'``, ``minkowski (metric_p=3)``, ..."""
        if callable(self.metric):
            return getattr(self.metric, "__name__", repr(self.metric))
        if self.metric == "minkowski":
            return f"minkowski (metric_p={self.metric_p:g})"
        return repr(self.metric)

    def describe(self):
        """The cost in words, for notes: ``|x - y|^2``, ``cityblock(x, y)^1``, ..."""
        if self.is_default:
            return f"|x - y|^{self.order:g}"
        name = self.metric if isinstance(self.metric, str) else "metric"
        if self.metric == "minkowski":
            name = f"minkowski_{self.metric_p:g}"
        return f"{name}(x, y)^{self.order:g}"

    def details(self):
        """What a result's ``details`` records about the metric (nothing for the default)."""
        if self.is_default:
            return {}
        out = {"metric": self.metric if isinstance(self.metric, str) else self.name}
        if self.metric_p is not None:
            out["metric_p"] = self.metric_p
        return out

    def matrix(self, x, y):
        """The dense (n, m) cost matrix, checked finite and non-negative."""
        from scipy.spatial.distance import cdist

        order = float(self.order)
        if self.online:
            # The kernels' matrix (rows in parallel, the power fused): for the
            # Euclidean metric at orders 1 and 2 the same bits as cdist, faster.
            from .._kernels.costs import dense_costs
            from .._threads import get_threads

            kind, q, order = self.kernel
            return dense_costs(kind, q, order, x, y, threads=get_threads())[0]
        else:
            try:
                cost = np.asarray(cdist(x, y, self.metric), dtype=np.float64)
            except Exception as error:
                raise ValueError(
                    f"metric={self.name} failed on these points ({error})."
                ) from error
            if not (np.all(np.isfinite(cost)) and np.all(cost >= 0.0)):
                raise ValueError(
                    f"metric={self.name} gave negative, NaN or infinite distances on these "
                    "points; a ground metric must give finite values >= 0."
                )
        if order != 1.0:
            np.power(cost, order, out=cost)
        return cost

    def cost_scale(self, x, y):
        """An upper bound on every cost: the metric's length of the joint bounding box's diagonal,
        to the power ``order``.

        The metrics are monotone in each coordinate's absolute difference, and
        no difference exceeds the box's side. 0 when all the points coincide.
        Metrics known only through a matrix have no such bound: the largest
        entry of their matrix is used. Raises ValueError when the bound
        overflows float64.
        """
        low = np.minimum(x.min(axis=0), y.min(axis=0))
        high = np.maximum(x.max(axis=0), y.max(axis=0))
        if self.online:
            kind, q, order = self.kernel
            sides = high - low
            diameter = _metric_length(kind, q, sides)
        else:
            diameter, order = float(self.matrix(x, y).max()), float(self.order)
        with np.errstate(over="ignore"):
            scale = diameter**order
        if not math.isfinite(scale):
            raise ValueError(
                f"the cost {self.describe()} overflows float64 on these points (diameter "
                f"{diameter:g}, order {order:g}); rescale the points or lower order."
            )
        return scale


def _metric_length(kind, q, sides):
    """The metric's length of a vector of non-negative sides (the Euclidean one as before)."""
    from .._kernels import costs

    if kind == costs.EUCLIDEAN:
        return float(np.sqrt(np.sum(sides**2)))
    if kind == costs.CITYBLOCK:
        return float(np.sum(sides))
    if kind == costs.CHEBYSHEV:
        return float(np.max(sides))
    return float(np.sum(sides**q) ** (1.0 / q))


def as_ground_cost(metric="euclidean", metric_p=None, order=1.0):
    """Check ``metric`` and ``metric_p`` and return the :class:`GroundCost` of ``order``.

    Parameters
    ----------
    metric : str or callable
        One of ``"euclidean"``, ``"sqeuclidean"``, ``"cityblock"``,
        ``"chebyshev"``, ``"minkowski"`` (computed in the kernels), another
        :func:`scipy.spatial.distance.cdist` name, or a callable ``(u, v) ->
        float`` (dense paths only).
    metric_p : float, optional
        Minkowski's exponent, ``>= 1`` (``inf`` allowed); required with
        ``metric="minkowski"`` and refused with any other metric.
    order : float

    Examples
    --------
    >>> from divergences.ot._ground import as_ground_cost
    >>> as_ground_cost("minkowski", 3, order=2).describe()
    'minkowski_3(x, y)^2'
    >>> as_ground_cost("sqeuclidean").kernel   # |x - y|^2: Euclidean at order 2
    (0, 2.0, 2.0)
    """
    if isinstance(metric, GroundCost):
        return metric
    if isinstance(metric, str):
        if metric not in KERNEL_METRICS:
            from scipy.spatial.distance import _METRICS_NAMES

            if metric not in _METRICS_NAMES:
                names = ", ".join(repr(m) for m in KERNEL_METRICS)
                raise ValueError(
                    f"unknown metric={metric!r}; choose one of {names} (computed on the fly), "
                    "another scipy.spatial.distance.cdist name, or a callable (u, v) -> float."
                )
    elif not callable(metric):
        raise TypeError(
            f"metric must be a string or a callable (u, v) -> float, got {type(metric).__name__}."
        )
    if metric == "minkowski":
        if metric_p is None:
            raise TypeError("metric='minkowski' needs metric_p=..., its exponent p >= 1 "
                            "(scipy's p; 1 is cityblock, 2 euclidean, inf chebyshev).")
        if isinstance(metric_p, bool) or not isinstance(metric_p, numbers.Real):
            raise TypeError(f"metric_p must be a real number >= 1, got {metric_p!r}.")
        if not metric_p >= 1.0:
            raise ValueError(
                f"metric_p must be >= 1 (below 1 Minkowski's formula is not a metric), "
                f"got {metric_p!r}."
            )
        metric_p = float(metric_p)
    elif metric_p is not None:
        raise TypeError(
            f"metric_p is Minkowski's exponent and only goes with metric='minkowski', "
            f"not metric={metric!r}."
        )
    return GroundCost(metric, metric_p, float(order))
