"""The shared measure interface: what a divergence is computed between.

Three kinds of measure cover what people have in hand:

* :class:`Samples` -- points drawn from a distribution, optionally weighted
  (an empirical measure);
* :class:`Histogram` -- probabilities on finitely many bins, with or without
  the locations (support points) of the bins;
* densities -- :class:`Gaussian`, :class:`Uniform` and any frozen
  ``scipy.stats`` distribution through :class:`ScipyDensity`, each able to
  evaluate ``logpdf`` and draw ``sample(n, rng=...)``.

:func:`as_measure` turns plain inputs into measures, so every public function
accepts arrays and frozen scipy distributions wherever it accepts a measure.
All measures are immutable: their arrays are private read-only copies.
"""

import abc
import math

import numpy as np

from ._validation import (
    as_points,
    as_probabilities,
    as_rng,
    as_vector,
    as_weights,
    check_positive_int,
    frozen,
    warn_if_misread,
)
from .exceptions import InvalidMeasureError

__all__ = [
    "Measure",
    "Samples",
    "Histogram",
    "Density",
    "Gaussian",
    "Uniform",
    "ScipyDensity",
    "as_measure",
]

_LOG_2PI = math.log(2 * math.pi)


class Measure(abc.ABC):
    """A probability measure: the common base of samples, histograms and densities.

    Attributes
    ----------
    kind : str
        ``"samples"``, ``"histogram"`` or ``"density"``; the divergences choose
        their method by the kinds of their two arguments.
    dim : int or None
        Dimension of the space the measure lives in; ``None`` for a histogram
        over abstract categories (no support points).
    """

    kind = None
    dim = None

    @property
    def size(self):
        """Number of atoms (sample points or bins), or ``None`` for a density."""
        return None

    @abc.abstractmethod
    def sample(self, n, rng=None):
        """Draw ``n`` points from the measure as an array of shape ``(n, dim)``."""


class Samples(Measure):
    """An empirical measure: sample points with optional non-negative weights.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        The sample points; a 1-D array is ``n`` points on the line.
    weights : array_like, shape (n,), optional
        Non-negative weights, normalised to sum to one. Uniform if omitted.

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> s = dv.Samples(np.array([[0.0, 1.0], [2.0, 3.0]]), weights=[1, 3])
    >>> s.size, s.dim, s.weights.tolist()
    (2, 2, [0.25, 0.75])
    """

    kind = "samples"

    def __init__(self, x, weights=None):
        self._points = as_points(x, "x")
        n = self._points.shape[0]
        self._uniform = weights is None
        if weights is None:
            self._weights = frozen(np.full(n, 1.0 / n))
        else:
            self._weights = as_weights(weights, n, "weights")

    @property
    def points(self):
        """The sample points, a read-only array of shape ``(n, d)``."""
        return self._points

    @property
    def weights(self):
        """The normalised weights, a read-only array of shape ``(n,)``."""
        return self._weights

    @property
    def is_uniform(self):
        """True when no weights were given (every point weighs ``1/n``)."""
        return self._uniform

    @property
    def dim(self):
        return self._points.shape[1]

    @property
    def size(self):
        return self._points.shape[0]

    def __len__(self):
        return self.size

    def mean(self):
        """The weighted mean of the points, shape ``(d,)``."""
        return self._weights @ self._points

    def cov(self):
        """The weighted covariance of the points (normalised by the total weight)."""
        centred = self._points - self.mean()
        return (centred * self._weights[:, None]).T @ centred

    def sample(self, n, rng=None):
        """Resample ``n`` points with replacement, in proportion to the weights."""
        n = check_positive_int(n, "n")
        index = as_rng(rng).choice(self.size, size=n, p=None if self._uniform else self._weights)
        return self._points[index]

    def __repr__(self):
        weighted = "" if self._uniform else ", weighted"
        return f"Samples(n={self.size}, dim={self.dim}{weighted})"


class Histogram(Measure):
    """A discrete distribution: probabilities on bins, optionally located in space.

    Parameters
    ----------
    p : array_like, shape (k,)
        Non-negative masses of the bins; normalised to sum to one (as
        :func:`scipy.stats.entropy` does).
    support : array_like, shape (k,) or (k, d), optional
        The location of each bin. Without it the bins are abstract categories:
        KL and JS compare two such histograms bin by bin, while transport
        distances, which need a ground distance, require a support. Two
        histograms with supports are compared on the union of their support
        points; repeated points within one support are merged.

    Examples
    --------
    >>> import divergences as dv
    >>> h = dv.Histogram([2, 1, 1], support=[0.0, 1.0, 5.0])
    >>> h.probabilities.tolist(), h.dim
    ([0.5, 0.25, 0.25], 1)
    """

    kind = "histogram"

    #: The regular grid of the bins (a :class:`divergences._grid.Grid`) for a
    #: histogram made by :meth:`from_grid`, else ``None``.
    grid = None

    def __init__(self, p, support=None):
        self._probabilities = as_probabilities(p, "p")
        if support is None:
            self._support = None
        else:
            self._support = as_points(support, "support")
            if self._support.shape[0] != self._probabilities.shape[0]:
                raise InvalidMeasureError(
                    f"support must have one point per bin ({self._probabilities.shape[0]}), "
                    f"got {self._support.shape[0]} points."
                )

    @classmethod
    def from_grid(cls, masses, spacing=1.0, origin=0.0):
        """A histogram on the cells of a regular grid: an image (2-D) or a volume (3-D).

        The bins are the cells in C order (``masses.ravel()``), located at
        ``origin + spacing * index``; the grid is kept (:attr:`grid`) so that
        transport solvers can use its structure: W1 with ``metric="cityblock"``
        as a min-cost flow on the grid graph, entropic OT with the squared
        Euclidean cost by separable convolutions (see
        :func:`divergences.wasserstein`).

        Parameters
        ----------
        masses : array_like, 1-D, 2-D or 3-D
            Non-negative, finite masses (e.g. pixel intensities), normalised
            to sum to one.
        spacing : float or sequence of floats, optional
            The distance between neighbouring cells along each axis (default 1).
        origin : float or sequence of floats, optional
            The coordinates of cell ``(0, 0, ...)`` (default 0).

        Examples
        --------
        >>> import numpy as np
        >>> import divergences as dv
        >>> h = dv.Histogram.from_grid(np.array([[1.0, 0.0], [0.0, 3.0]]), spacing=0.5)
        >>> h.probabilities.tolist(), h.support.tolist(), h.grid.shape
        ([0.25, 0.0, 0.0, 0.75], [[0.0, 0.0], [0.0, 0.5], [0.5, 0.0], [0.5, 0.5]], (2, 2))
        """
        from ._grid import Grid, grid_points
        from ._validation import as_vector

        array = np.asarray(masses)
        if array.ndim not in (1, 2, 3):
            raise InvalidMeasureError(
                f"masses must be a 1-D, 2-D or 3-D array (a signal, an image, a volume), got "
                f"{array.ndim} dimensions (shape {array.shape})."
            )
        if array.size == 0:
            raise InvalidMeasureError(f"masses is empty (shape {array.shape}).")
        def per_axis(value, name):
            # A plain number (the usual case) without the array checks' overhead.
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                return (float(value),) * array.ndim
            return tuple(float(v) for v in as_vector(value, name, array.ndim))

        steps = per_axis(spacing, "spacing")
        if not all(h > 0 for h in steps):
            raise InvalidMeasureError(f"spacing must be > 0 along every axis, got {list(steps)}.")
        grid = Grid(tuple(int(k) for k in array.shape), steps, per_axis(origin, "origin"))
        histogram = cls.__new__(cls)
        histogram._probabilities = as_probabilities(np.reshape(array, -1), "masses")
        # The cells' coordinates, finite by construction (and shared, read-only).
        histogram._support = grid_points(grid)
        histogram.grid = grid
        return histogram

    @property
    def probabilities(self):
        """The normalised bin probabilities, a read-only array of shape ``(k,)``."""
        return self._probabilities

    @property
    def support(self):
        """The bin locations, shape ``(k, d)``, or ``None`` for abstract bins."""
        return self._support

    @property
    def dim(self):
        return None if self._support is None else self._support.shape[1]

    @property
    def size(self):
        return self._probabilities.shape[0]

    def __len__(self):
        return self.size

    def sample(self, n, rng=None):
        """Draw ``n`` support points (or bin indices, without a support)."""
        n = check_positive_int(n, "n")
        index = as_rng(rng).choice(self.size, size=n, p=self._probabilities)
        if self._support is None:
            return index
        return self._support[index]

    def __repr__(self):
        if self.grid is not None:
            return f"Histogram(bins={self.size}, grid={'x'.join(map(str, self.grid.shape))})"
        where = "abstract bins" if self._support is None else f"dim={self.dim}"
        return f"Histogram(bins={self.size}, {where})"


class Density(Measure):
    """A distribution given by its density: subclasses provide ``logpdf`` and ``sample``."""

    kind = "density"

    @abc.abstractmethod
    def logpdf(self, x):
        """Log-density at the points ``x`` of shape ``(n, d)`` (or ``(n,)`` in 1-D)."""

    def pdf(self, x):
        """Density at the points ``x``."""
        return np.exp(self.logpdf(x))

    def ppf(self, t):
        """Quantile function (1-D only); raises if the density does not provide one."""
        raise NotImplementedError(f"{type(self).__name__} has no quantile function.")

    @property
    def has_ppf(self):
        """True when :meth:`ppf` is available (1-D densities with a quantile function)."""
        return type(self).ppf is not Density.ppf and self.dim == 1

    def _points(self, x):
        points = as_points(x, "x")
        if points.shape[1] != self.dim:
            raise InvalidMeasureError(
                f"x has points of dimension {points.shape[1]}, but the density lives in "
                f"dimension {self.dim}."
            )
        return points


class Gaussian(Density):
    """A multivariate normal distribution N(mean, cov).

    Parameters
    ----------
    mean : float or array_like, shape (d,)
        The mean.
    cov : float or array_like, shape (d,) or (d, d)
        The covariance matrix, which must be symmetric positive definite. A
        scalar is a multiple of the identity -- in 1-D, the *variance*, not the
        standard deviation (as in :func:`scipy.stats.multivariate_normal`); a
        vector is a diagonal.

    Examples
    --------
    >>> import divergences as dv
    >>> g = dv.Gaussian([0.0, 1.0], [[2.0, 0.5], [0.5, 1.0]])
    >>> g.dim, g.sample(3, rng=0).shape
    (2, (3, 2))
    """

    def __init__(self, mean, cov):
        self._mean = as_vector(mean, "mean")
        d = self._mean.shape[0]
        cov = np.array(cov, dtype=np.float64)
        if cov.ndim == 0 or (cov.ndim == 1 and cov.shape[0] == d):
            cov = np.diag(np.broadcast_to(cov, (d,)).astype(np.float64))
        if cov.shape != (d, d):
            raise InvalidMeasureError(
                f"cov must be a scalar, a vector of {d} variances or a {d}x{d} matrix "
                f"to match mean; got shape {cov.shape}."
            )
        if not np.all(np.isfinite(cov)):
            raise InvalidMeasureError("cov contains NaN or infinite values.")
        if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-14 * np.abs(cov).max()):
            raise InvalidMeasureError("cov must be symmetric.")
        cov = 0.5 * (cov + cov.T)
        try:
            chol = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise InvalidMeasureError(
                "cov must be positive definite (a degenerate Gaussian has no density); "
                "add a small multiple of the identity if it is nearly singular."
            ) from None
        self._cov = frozen(cov)
        self._chol = frozen(chol)

    @property
    def mean(self):
        """The mean vector, shape ``(d,)``."""
        return self._mean

    @property
    def cov(self):
        """The covariance matrix, shape ``(d, d)``."""
        return self._cov

    @property
    def cholesky(self):
        """Lower Cholesky factor ``L`` of ``cov = L @ L.T``."""
        return self._chol

    @property
    def dim(self):
        return self._mean.shape[0]

    def logdet_cov(self):
        """``log det cov``, computed stably from the Cholesky factor."""
        return 2.0 * float(np.sum(np.log(np.diag(self._chol))))

    def logpdf(self, x):
        from scipy.linalg import solve_triangular

        points = self._points(x)
        z = solve_triangular(self._chol, (points - self._mean).T, lower=True)
        return -0.5 * (np.sum(z * z, axis=0) + self.dim * _LOG_2PI + self.logdet_cov())

    def sample(self, n, rng=None):
        n = check_positive_int(n, "n")
        z = as_rng(rng).standard_normal((n, self.dim))
        return self._mean + z @ self._chol.T

    def ppf(self, t):
        from scipy.special import ndtri

        self._require_1d("ppf")
        return self._mean[0] + math.sqrt(self._cov[0, 0]) * ndtri(np.asarray(t, dtype=np.float64))

    def entropy(self):
        """Differential entropy in nats: ``d/2 log(2 pi e) + 1/2 log det cov``."""
        return 0.5 * (self.dim * (_LOG_2PI + 1.0) + self.logdet_cov())

    def _require_1d(self, what):
        if self.dim != 1:
            raise ValueError(f"{what} is defined for 1-D Gaussians only (this one has dim={self.dim}).")

    def __repr__(self):
        if self.dim == 1:
            return f"Gaussian(mean={self._mean[0]:g}, var={self._cov[0, 0]:g})"
        return f"Gaussian(dim={self.dim})"


class Uniform(Density):
    """The uniform distribution on the box ``[low, high]`` (a product of intervals).

    Parameters
    ----------
    low, high : float or array_like, shape (d,)
        The corners of the box; ``high > low`` in every coordinate. A scalar
        paired with a vector is broadcast.

    Examples
    --------
    >>> import divergences as dv
    >>> u = dv.Uniform(0.0, [1.0, 2.0])
    >>> u.dim, u.volume
    (2, 2.0)
    """

    def __init__(self, low, high):
        low, high = as_vector(low, "low"), as_vector(high, "high")
        if low.shape != high.shape:
            if low.shape[0] != 1 and high.shape[0] != 1:
                raise InvalidMeasureError(
                    f"low and high must have the same number of entries, got {low.shape[0]} "
                    f"and {high.shape[0]}."
                )
            # A scalar corner is broadcast against a vector one.
            low, high = np.broadcast_arrays(low, high)
        self._low = frozen(np.array(low))
        self._high = frozen(np.array(high))
        if np.any(self._high <= self._low):
            raise InvalidMeasureError(
                "high must exceed low in every coordinate (a flat box has no density)."
            )

    @property
    def low(self):
        return self._low

    @property
    def high(self):
        return self._high

    @property
    def dim(self):
        return self._low.shape[0]

    @property
    def volume(self):
        """The volume of the box."""
        return float(np.prod(self._high - self._low))

    def logpdf(self, x):
        points = self._points(x)
        inside = np.all((points >= self._low) & (points <= self._high), axis=1)
        return np.where(inside, -math.log(self.volume), -np.inf)

    def sample(self, n, rng=None):
        n = check_positive_int(n, "n")
        return as_rng(rng).uniform(self._low, self._high, size=(n, self.dim))

    def ppf(self, t):
        if self.dim != 1:
            raise ValueError(f"ppf is defined for 1-D uniforms only (this one has dim={self.dim}).")
        return self._low[0] + (self._high[0] - self._low[0]) * np.asarray(t, dtype=np.float64)

    def entropy(self):
        """Differential entropy in nats: ``log volume``."""
        return float(np.sum(np.log(self._high - self._low)))

    def __repr__(self):
        if self.dim == 1:
            return f"Uniform(low={self._low[0]:g}, high={self._high[0]:g})"
        return f"Uniform(dim={self.dim})"


class ScipyDensity(Density):
    """Adapter for a frozen continuous ``scipy.stats`` distribution.

    Parameters
    ----------
    dist : frozen scipy.stats distribution
        A univariate continuous one (``scipy.stats.gamma(2.0)``) or a
        multivariate one with ``logpdf`` and ``rvs``
        (``scipy.stats.multivariate_t(...)``).

    Notes
    -----
    :func:`as_measure` turns frozen normal and uniform distributions into
    :class:`Gaussian` and :class:`Uniform` instead, so that their closed forms
    apply; construct ``ScipyDensity`` directly to avoid that.

    Examples
    --------
    >>> from scipy import stats
    >>> import divergences as dv
    >>> g = dv.ScipyDensity(stats.gamma(2.0))
    >>> g.dim, round(float(g.logpdf([1.0])[0]), 6)
    (1, -1.0)
    """

    def __init__(self, dist):
        _refuse_unusable_scipy_law(dist)
        if not (hasattr(dist, "logpdf") and hasattr(dist, "rvs")):
            raise TypeError(
                "dist must be a frozen scipy.stats distribution with logpdf and rvs, "
                f"got {type(dist).__name__}."
            )
        self._dist = dist
        self._univariate = _is_univariate_frozen(dist)
        if self._univariate:
            self._dim = 1
        else:
            probe = np.atleast_1d(dist.rvs(size=1, random_state=np.random.default_rng(0)))
            self._dim = int(probe.shape[-1]) if probe.ndim >= 1 else 1

    @property
    def dist(self):
        """The wrapped frozen scipy.stats distribution."""
        return self._dist

    @property
    def dim(self):
        return self._dim

    def logpdf(self, x):
        points = self._points(x)
        if self._univariate:
            return np.asarray(self._dist.logpdf(points[:, 0]), dtype=np.float64)
        return np.atleast_1d(np.asarray(self._dist.logpdf(points), dtype=np.float64))

    def sample(self, n, rng=None):
        n = check_positive_int(n, "n")
        draws = np.asarray(self._dist.rvs(size=n, random_state=as_rng(rng)), dtype=np.float64)
        return draws.reshape(n, self._dim)

    def ppf(self, t):
        if not self._univariate:
            raise ValueError("ppf is available for univariate scipy distributions only.")
        return np.asarray(self._dist.ppf(t), dtype=np.float64)

    @property
    def has_ppf(self):
        return self._univariate

    def entropy(self):
        """Differential entropy in nats, as scipy computes it."""
        return float(self._dist.entropy())

    def __repr__(self):
        name = getattr(getattr(self._dist, "dist", None), "name", type(self._dist).__name__)
        return f"ScipyDensity({name}, dim={self.dim})"


#: The multivariate scipy.stats laws whose ``logpdf`` takes points of shape (n, d)
#: and is a density on all of R^d; the others (dirichlet and von Mises--Fisher live
#: on a simplex or a sphere, wishart on matrices, multinomial is discrete) cannot be
#: used as densities here.
_USABLE_MULTIVARIATE = ("multivariate_normal", "multivariate_t")


def _refuse_unusable_scipy_law(dist):
    module = type(dist).__module__ or ""
    if not module.startswith("scipy.stats") or _is_univariate_frozen(dist):
        return
    law = type(dist).__name__.removesuffix("_frozen")
    if law not in _USABLE_MULTIVARIATE:
        usable = ", ".join(_USABLE_MULTIVARIATE)
        raise TypeError(
            f"scipy.stats.{law} cannot be used as a measure here: among multivariate scipy laws "
            f"only {usable} are densities on R^d that the library can evaluate. Compare samples "
            "instead: an array from .rvs(size=n, random_state=...) (for a law on the simplex, "
            "its first d - 1 coordinates)."
        )


def _is_univariate_frozen(dist):
    from scipy.stats._distn_infrastructure import rv_frozen

    return isinstance(dist, rv_frozen)


def _from_scipy(dist):
    """Turn a frozen scipy.stats distribution into the most specific measure."""
    from scipy import stats
    from scipy.stats._distn_infrastructure import rv_discrete_frozen

    if isinstance(dist, rv_discrete_frozen):
        low, high = dist.support()
        if not (math.isfinite(low) and math.isfinite(high)) or high - low > 10**7:
            raise InvalidMeasureError(
                "a discrete scipy distribution needs a finite support (at most 10^7 values) "
                "to become a Histogram; build dv.Histogram(pmf, support) over the range you need."
            )
        support = np.arange(low, high + 1, dtype=np.float64)
        return Histogram(dist.pmf(support), support=support)
    if _is_univariate_frozen(dist):
        name = dist.dist.name
        if name == "norm":
            return Gaussian(dist.mean(), dist.var())
        if name == "uniform":
            low, high = dist.support()
            return Uniform(low, high)
        return ScipyDensity(dist)
    if isinstance(dist, type(stats.multivariate_normal(mean=[0.0]))):
        return Gaussian(dist.mean, dist.cov)
    return ScipyDensity(dist)


def as_measure(obj, name="p"):
    """Turn ``obj`` into a :class:`Measure`.

    Parameters
    ----------
    obj : Measure, array_like or frozen scipy.stats distribution
        A measure is returned unchanged. An array of shape ``(n,)`` or ``(n, d)``
        becomes :class:`Samples`, with an :class:`~divergences.InputWarning`
        when it looks like a probability vector or like transposed data (see
        :func:`divergences._validation.warn_if_misread`). A frozen scipy.stats
        distribution becomes a density: normal and multivariate normal become
        :class:`Gaussian`, uniform becomes :class:`Uniform`, discrete ones with
        finite support a :class:`Histogram`, multivariate t a
        :class:`ScipyDensity`; other multivariate scipy laws (dirichlet, ...)
        raise :class:`TypeError`. Any other object with ``logpdf`` and ``rvs``
        becomes a :class:`ScipyDensity`.
    name : str, optional
        The argument's name, used in error messages.

    Returns
    -------
    Measure

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> import divergences as dv
    >>> dv.as_measure(np.zeros((5, 2)))
    Samples(n=5, dim=2)
    >>> dv.as_measure(stats.norm(1.0, 2.0))
    Gaussian(mean=1, var=4)
    """
    if isinstance(obj, Measure):
        return obj
    if hasattr(obj, "logpdf") and hasattr(obj, "rvs") or hasattr(obj, "pmf"):
        return _from_scipy(obj)
    if isinstance(obj, (np.ndarray, list, tuple)) or hasattr(obj, "__array__"):
        points = as_points(obj, name)
        warn_if_misread(points, name)
        return Samples(points)
    raise TypeError(
        f"{name} must be a measure (dv.Samples, dv.Histogram, dv.Gaussian, ...), an array of "
        f"samples or a frozen scipy.stats distribution; got {type(obj).__name__}."
    )


# -- measures as arrays, for the solvers and estimators (one home for each reading) -------


def is_point_cloud(measure):
    """True for measures made of weighted atoms with locations (samples, or a histogram with support)."""
    return measure.kind == "samples" or (measure.kind == "histogram" and measure.support is not None)


def point_cloud(measure):
    """The atoms and weights of a discrete measure: ``(points (n, d), weights (n,))``.

    For :class:`Samples` its points and normalised weights, for a
    :class:`Histogram` with support its support points and probabilities.

    Examples
    --------
    >>> import divergences as dv
    >>> from divergences.measures import point_cloud
    >>> points, weights = point_cloud(dv.Histogram([0.25, 0.75], support=[0.0, 1.0]))
    >>> points.tolist(), weights.tolist()
    ([[0.0], [1.0]], [0.25, 0.75])
    """
    if measure.kind == "samples":
        return measure.points, measure.weights
    return measure.support, measure.probabilities


def unweighted_points(measure, name, needed_by):
    """The points of the unweighted sample set ``measure``; an error naming ``name`` otherwise.

    ``needed_by`` names the estimators that need them, for the message.

    Examples
    --------
    >>> import divergences as dv
    >>> from divergences.measures import unweighted_points
    >>> unweighted_points(dv.Samples([0.0, 1.0]), "p", "these estimators").ravel().tolist()
    [0.0, 1.0]
    """
    if not measure.is_uniform:
        raise InvalidMeasureError(
            f"{name} is a weighted sample set; {needed_by} need unweighted samples "
            "(resample by the weights first, e.g. with .sample(n))."
        )
    return np.asarray(measure.points)
