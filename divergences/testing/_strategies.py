"""Hypothesis strategies for measures: histograms, sample sets, Gaussians, uniforms.

Design rules, so that properties tested with these strategies are meaningful
and their failures readable:

* *well scaled*: coordinates lie in ``[-scale, scale]`` and magnitudes below
  ``1e-6 * scale`` are snapped to zero, masses are either zero or at least
  ``min_mass`` relative to the largest, covariance eigenvalues lie in a
  bounded range with a bounded condition number -- so rounding errors stay
  at the level of ``n * eps`` and a stated tolerance means something;
* *small first*: sizes are drawn from small ranges (default 1 to 8 atoms)
  and every choice shrinks towards the simplest case (one atom, coordinate
  0, zero mass, the identity rotation), so a failing example is minimal.
"""

import math

import numpy as np
from hypothesis import strategies as st

from ..measures import Gaussian, Histogram, Samples, Uniform

__all__ = [
    "well_scaled_floats",
    "probability_vectors",
    "histograms",
    "histogram_tuples",
    "points",
    "samples",
    "spd_matrices",
    "gaussians",
    "uniforms",
    "wasserstein_orders",
]

# Below this fraction of the scale a coordinate is snapped to 0: a value like
# 1e-300 next to values of order 1 only tests underflow, not the mathematics.
_RESOLUTION = 1e-6


def _strategy(value):
    """Accept a plain value or a strategy wherever a parameter may vary."""
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


def _sizes(size, min_size, max_size):
    if size is not None:
        return _strategy(size)
    if not 1 <= min_size <= max_size:
        raise ValueError(f"need 1 <= min_size <= max_size, got {min_size} and {max_size}.")
    return st.integers(min_size, max_size)


def well_scaled_floats(scale=10.0, *, min_value=None, max_value=None):
    """Finite floats in ``[-scale, scale]`` with no subnormal or tiny values.

    Parameters
    ----------
    scale : float
        Magnitude bound; values smaller than ``1e-6 * scale`` in magnitude
        become exactly ``0.0``.
    min_value, max_value : float, optional
        Narrower bounds inside ``[-scale, scale]`` (e.g. ``min_value=0``).

    Returns
    -------
    SearchStrategy of float
        Shrinks towards ``0.0`` (or the bound nearest to it).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from divergences.testing import well_scaled_floats
    >>> @settings(max_examples=30, deadline=None)
    ... @given(well_scaled_floats(2.0))
    ... def test_bounded(x):
    ...     assert x == 0.0 or 2e-6 <= abs(x) <= 2.0
    >>> test_bounded()
    """
    low = -scale if min_value is None else min_value
    high = scale if max_value is None else max_value
    tiny = _RESOLUTION * scale
    base = st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    return base.map(lambda x: 0.0 if abs(x) < tiny else x).filter(lambda x: low <= x <= high)


def _masses(size, allow_zeros, min_mass):
    positive = st.floats(min_mass, 1.0, allow_nan=False, allow_infinity=False)
    element = st.one_of(st.just(0.0), positive) if allow_zeros else positive
    return st.lists(element, min_size=size, max_size=size)


@st.composite
def probability_vectors(
    draw, size=None, *, min_size=1, max_size=8, allow_zeros=True, min_mass=1e-3
):
    """Probability vectors: non-negative entries summing to one.

    Parameters
    ----------
    size : int or SearchStrategy of int, optional
        The number of entries; by default drawn from ``[min_size, max_size]``.
    min_size, max_size : int
        Range of the size when ``size`` is not given (small first: 1 to 8).
    allow_zeros : bool
        Whether entries may be exactly zero (at least one is always positive).
    min_mass : float
        Smallest non-zero mass *relative to the largest*, before normalising,
        so every non-zero probability is at least ``min_mass / size`` and
        ``log p`` stays of order ``log(size / min_mass)``.

    Returns
    -------
    SearchStrategy of ndarray, shape (size,)

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from divergences.testing import probability_vectors
    >>> @settings(max_examples=30, deadline=None)
    ... @given(probability_vectors(4, allow_zeros=False))
    ... def test_normalised(p):
    ...     assert p.shape == (4,) and np.all(p > 0) and abs(p.sum() - 1) < 1e-12
    >>> test_normalised()
    """
    if not 0 < min_mass <= 1:
        raise ValueError(f"min_mass must lie in (0, 1], got {min_mass}.")
    n = draw(_sizes(size, min_size, max_size))
    masses = np.array(draw(_masses(n, allow_zeros, min_mass)), dtype=np.float64)
    if not masses.any():
        # All zeros is not a measure; the simplest valid repair is a point mass.
        masses[0] = 1.0
    return masses / math.fsum(masses)


@st.composite
def points(draw, size=None, *, min_size=1, max_size=8, dim=1, scale=10.0, unique=False):
    """Arrays of ``size`` points in ``dim`` dimensions, shape ``(size, dim)``.

    Parameters
    ----------
    size : int or SearchStrategy of int, optional
        The number of points; by default drawn from ``[min_size, max_size]``.
    dim : int or SearchStrategy of int
        The dimension (default 1; the result is still 2-D, ``(size, 1)``).
    scale : float
        Coordinates lie in ``[-scale, scale]`` (see :func:`well_scaled_floats`).
    unique : bool
        Whether the points must be distinct. By default repeats are allowed,
        and common: ties are where many estimators break.

    Returns
    -------
    SearchStrategy of ndarray, shape (size, dim)

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from divergences.testing import points
    >>> @settings(max_examples=20, deadline=None)
    ... @given(points(dim=3, max_size=5))
    ... def test_shape(x):
    ...     assert x.ndim == 2 and x.shape[1] == 3 and 1 <= x.shape[0] <= 5
    >>> test_shape()
    """
    n = draw(_sizes(size, min_size, max_size))
    d = draw(_strategy(dim))
    coordinate = well_scaled_floats(scale)
    rows = draw(
        st.lists(st.tuples(*[coordinate] * d), min_size=n, max_size=n, unique=unique)
    )
    return np.array(rows, dtype=np.float64).reshape(n, d)


@st.composite
def histograms(
    draw,
    size=None,
    *,
    min_size=1,
    max_size=8,
    dim=None,
    allow_zeros=True,
    min_mass=1e-3,
    scale=10.0,
):
    """:class:`~divergences.Histogram` measures, on abstract bins or located in space.

    Parameters
    ----------
    size : int or SearchStrategy of int, optional
        The number of bins; by default drawn from ``[min_size, max_size]``.
    dim : int or SearchStrategy of int, optional
        ``None`` (default): abstract bins, no support points. An integer:
        support points in that dimension, coordinates in ``[-scale, scale]``
        (repeated points are allowed; the library merges them).
    allow_zeros, min_mass
        As in :func:`probability_vectors`.

    Returns
    -------
    SearchStrategy of Histogram

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import divergences as dv
    >>> from divergences.testing import histograms
    >>> @settings(max_examples=20, deadline=None)
    ... @given(histograms(dim=2))
    ... def test_self_distance_is_zero(h):
    ...     assert float(dv.wasserstein(h, h)) < 1e-12
    >>> test_self_distance_is_zero()
    """
    n = draw(_sizes(size, min_size, max_size))
    probs = draw(probability_vectors(n, allow_zeros=allow_zeros, min_mass=min_mass))
    if dim is None:
        return Histogram(probs)
    support = draw(points(n, dim=dim, scale=scale))
    return Histogram(probs, support=support)


@st.composite
def histogram_tuples(
    draw,
    count=2,
    *,
    size=None,
    min_size=1,
    max_size=8,
    dim=None,
    shared_support=True,
    allow_zeros=True,
    min_mass=1e-3,
    scale=10.0,
):
    """Tuples of ``count`` histograms with the same number of bins.

    Parameters
    ----------
    count : int
        How many histograms (2 for a pair, 3 for a triangle inequality).
    size, min_size, max_size, allow_zeros, min_mass, scale
        As in :func:`histograms`; the size is drawn once for the tuple.
    dim : int or SearchStrategy of int, optional
        ``None`` for abstract bins (compared bin by bin), else the dimension
        of the support points.
    shared_support : bool
        With ``dim`` given, whether all histograms sit on the same support
        points (so they differ only in their masses).
    allow_zeros : bool or sequence of bool
        One flag for all, or one per histogram (e.g. ``(True, False)`` for a
        ``q`` with full support, so that ``KL(p||q)`` is finite).

    Returns
    -------
    SearchStrategy of tuple of Histogram

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import divergences as dv
    >>> from divergences.testing import histogram_tuples
    >>> @settings(max_examples=20, deadline=None)
    ... @given(histogram_tuples(2, allow_zeros=(True, False)))
    ... def test_kl_finite_and_nonnegative(pair):
    ...     assert 0.0 <= float(dv.kl_divergence(*pair)) < float("inf")
    >>> test_kl_finite_and_nonnegative()
    """
    n = draw(_sizes(size, min_size, max_size))
    zeros = (allow_zeros,) * count if isinstance(allow_zeros, bool) else tuple(allow_zeros)
    if len(zeros) != count:
        raise ValueError(f"allow_zeros needs one flag per histogram ({count}), got {len(zeros)}.")
    d = None if dim is None else draw(_strategy(dim))
    shared = draw(points(n, dim=d, scale=scale)) if d is not None and shared_support else None
    result = []
    for flag in zeros:
        probs = draw(probability_vectors(n, allow_zeros=flag, min_mass=min_mass))
        if d is None:
            result.append(Histogram(probs))
        else:
            support = shared if shared is not None else draw(points(n, dim=d, scale=scale))
            result.append(Histogram(probs, support=support))
    return tuple(result)


@st.composite
def samples(
    draw,
    size=None,
    *,
    min_size=1,
    max_size=8,
    dim=1,
    weighted=None,
    scale=10.0,
    allow_zero_weights=True,
    min_weight=1e-3,
    unique=False,
):
    """:class:`~divergences.Samples` -- weighted or unweighted point sets.

    Parameters
    ----------
    size, min_size, max_size, dim, scale, unique
        As in :func:`points`.
    weighted : bool, optional
        ``False``: no weights (each point weighs ``1/n``); ``True``: weights
        from :func:`probability_vectors`; ``None`` (default): either.
    allow_zero_weights, min_weight
        As ``allow_zeros`` and ``min_mass`` in :func:`probability_vectors`.

    Returns
    -------
    SearchStrategy of Samples

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import divergences as dv
    >>> from divergences.testing import samples
    >>> @settings(max_examples=20, deadline=None)
    ... @given(samples(dim=2), samples(dim=2))
    ... def test_wasserstein_symmetric(x, y):
    ...     assert abs(float(dv.wasserstein(x, y)) - float(dv.wasserstein(y, x))) < 1e-8
    >>> test_wasserstein_symmetric()
    """
    x = draw(
        points(size, min_size=min_size, max_size=max_size, dim=dim, scale=scale, unique=unique)
    )
    use_weights = draw(st.booleans()) if weighted is None else weighted
    if not use_weights:
        return Samples(x)
    weights = draw(
        probability_vectors(x.shape[0], allow_zeros=allow_zero_weights, min_mass=min_weight)
    )
    return Samples(x, weights=weights)


@st.composite
def spd_matrices(draw, dim=2, *, min_eigenvalue=0.1, max_eigenvalue=10.0, max_condition=100.0):
    """Symmetric positive definite matrices with a bounded condition number.

    Built as ``Q diag(lambda) Q^T``: ``Q`` orthogonal (from the QR
    factorisation of a drawn matrix), eigenvalues log-spread in
    ``[min_eigenvalue, max_eigenvalue]`` and within a factor
    ``max_condition`` of each other.

    Parameters
    ----------
    dim : int or SearchStrategy of int
    min_eigenvalue, max_eigenvalue : float
        Range of the eigenvalues (variances along the principal axes).
    max_condition : float
        Bound on the condition number ``lambda_max / lambda_min``.

    Returns
    -------
    SearchStrategy of ndarray, shape (dim, dim)
        Shrinks towards the identity (when 1 lies in the eigenvalue range).

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from divergences.testing import spd_matrices
    >>> @settings(max_examples=20, deadline=None)
    ... @given(spd_matrices(3, max_condition=50.0))
    ... def test_well_conditioned(s):
    ...     assert np.allclose(s, s.T) and np.linalg.cond(s) <= 50.0 * (1 + 1e-9)
    >>> test_well_conditioned()
    """
    if not 0 < min_eigenvalue <= max_eigenvalue or max_condition < 1:
        raise ValueError("need 0 < min_eigenvalue <= max_eigenvalue and max_condition >= 1.")
    d = draw(_strategy(dim))
    lo, hi = math.log(min_eigenvalue), math.log(max_eigenvalue)
    logs = np.array(draw(st.lists(st.floats(lo, hi), min_size=d, max_size=d)))
    # Raise the small eigenvalues into the window [max - log(kappa), max].
    logs = np.maximum(logs, logs.max() - math.log(max_condition))
    raw = np.array(
        draw(st.lists(st.floats(-1.0, 1.0), min_size=d * d, max_size=d * d))
    ).reshape(d, d)
    # Householder QR returns an orthogonal Q even for a singular (e.g. shrunk-to-zero) input.
    rotation, _ = np.linalg.qr(raw)
    matrix = (rotation * np.exp(logs)) @ rotation.T
    return 0.5 * (matrix + matrix.T)


@st.composite
def gaussians(
    draw,
    dim=1,
    *,
    mean_scale=5.0,
    min_variance=0.1,
    max_variance=10.0,
    max_condition=100.0,
):
    """:class:`~divergences.Gaussian` measures with well-conditioned covariances.

    Parameters
    ----------
    dim : int or SearchStrategy of int
    mean_scale : float
        Mean coordinates lie in ``[-mean_scale, mean_scale]``.
    min_variance, max_variance, max_condition
        The covariance's eigenvalue range and condition bound (see
        :func:`spd_matrices`).

    Returns
    -------
    SearchStrategy of Gaussian
        Shrinks towards the standard normal.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import divergences as dv
    >>> from divergences.testing import gaussians
    >>> @settings(max_examples=20, deadline=None)
    ... @given(gaussians(2), gaussians(2))
    ... def test_kl_nonnegative(p, q):
    ...     assert float(dv.kl_divergence(p, q)) >= 0.0
    >>> test_kl_nonnegative()
    """
    d = draw(_strategy(dim))
    mean = np.array(draw(st.lists(well_scaled_floats(mean_scale), min_size=d, max_size=d)))
    cov = draw(
        spd_matrices(
            d,
            min_eigenvalue=min_variance,
            max_eigenvalue=max_variance,
            max_condition=max_condition,
        )
    )
    return Gaussian(mean, cov)


@st.composite
def uniforms(draw, dim=1, *, scale=5.0, min_width=0.1, max_width=10.0):
    """:class:`~divergences.Uniform` boxes.

    Parameters
    ----------
    dim : int or SearchStrategy of int
    scale : float
        Lower corners lie in ``[-scale, scale]``.
    min_width, max_width : float
        Range of the side lengths.

    Returns
    -------
    SearchStrategy of Uniform

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import divergences as dv
    >>> from divergences.testing import uniforms
    >>> @settings(max_examples=20, deadline=None)
    ... @given(uniforms(), uniforms())
    ... def test_js_bounded(p, q):
    ...     assert 0.0 <= float(dv.js_divergence(p, q)) <= 0.6931471805599453
    >>> test_js_bounded()
    """
    d = draw(_strategy(dim))
    low = np.array(draw(st.lists(well_scaled_floats(scale), min_size=d, max_size=d)))
    width = np.array(draw(st.lists(st.floats(min_width, max_width), min_size=d, max_size=d)))
    return Uniform(low, low + width)


def wasserstein_orders(orders=(1.0, 2.0, 1.5, 3.0)):
    """Orders ``p >= 1`` of W_p, shrinking to the first (``1.0``).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from divergences.testing import wasserstein_orders
    >>> @settings(max_examples=10, deadline=None)
    ... @given(wasserstein_orders())
    ... def test_order(p):
    ...     assert p >= 1
    >>> test_order()
    """
    return st.sampled_from(tuple(float(p) for p in orders))
