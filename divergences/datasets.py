"""Toy data sets: the parallel-lines example and the usual 2-D GAN targets.

The parallel lines (Arjovsky, Chintala & Bottou, "Wasserstein GAN", 2017,
Example 1) are the example in which KL and Jensen--Shannon are blind to how
far apart two distributions are and the Wasserstein distance is not:
:func:`parallel_lines` draws samples, :func:`parallel_lines_measures` gives
the two laws discretised on a common grid (so that the library's exact
methods apply), and :func:`parallel_lines_truth` states the true values.

The mixtures :func:`gaussian_ring` and :func:`gaussian_grid` and the
:func:`swiss_roll` are the 2-D targets of Gulrajani et al., "Improved
Training of Wasserstein GANs" (WGAN-GP, 2017); :func:`two_moons` is the
familiar pair of interleaved half circles. Every generator takes ``rng=``
(an int seed or a :class:`numpy.random.Generator`), so the same seed gives
the same points.
"""

import math
import numbers

import numpy as np

from ._constants import LOG2
from ._validation import as_rng, check_base, check_positive, check_positive_int
from .measures import Histogram

__all__ = [
    "parallel_lines",
    "parallel_lines_measures",
    "parallel_lines_truth",
    "gaussian_ring",
    "gaussian_grid",
    "swiss_roll",
    "two_moons",
]


def _check_finite_real(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}.")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    return float(value)


def _check_non_negative(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a non-negative number, got {value!r}.")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}.")
    return float(value)


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def parallel_lines(theta, n, *, rng=None, shared_noise=False):
    """Samples from the two parallel lines P and Q_theta.

    P is the law of ``(0, Z)`` and Q_theta the law of ``(theta, Z)``, with
    ``Z ~ U[0, 1]``: two vertical segments at horizontal distance
    ``|theta|``. For ``theta != 0`` they are mutually singular, so
    ``KL(P || Q_theta) = inf`` and ``JS = log 2`` whatever ``theta``, while
    ``W_1 = W_2 = |theta|`` (see :func:`parallel_lines_truth`).

    Parameters
    ----------
    theta : float
        Horizontal position of the second line; finite.
    n : int
        Number of points drawn from each line, ``>= 1``.
    rng : int, numpy.random.Generator or None, optional
        Source of randomness. The heights ``z`` of ``x`` are drawn first and
        then those of ``y``, so one seed gives the same heights for every
        ``theta`` (common random numbers: results vary smoothly in theta).
    shared_noise : bool, optional
        If False (default), ``x`` and ``y`` have independent heights ``z`` and
        ``z'``, two independent samples of P and Q_theta. If True, ``y`` reuses
        the heights of ``x`` (``y = x + (theta, 0)``): a coupled pair whose
        empirical W_1 is exactly ``|theta|``, useful to isolate the effect of
        theta from sampling noise.

    Returns
    -------
    x, y : ndarray, shape (n, 2)
        ``x[:, 0] == 0`` and ``y[:, 0] == theta``; the second column holds the
        heights.

    Examples
    --------
    >>> import divergences as dv
    >>> x, y = dv.datasets.parallel_lines(0.5, 4, rng=0)
    >>> x.shape, y.shape, x[:, 0].tolist(), y[:, 0].tolist()
    ((4, 2), (4, 2), [0.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5])
    >>> x, y = dv.datasets.parallel_lines(0.5, 300, rng=0, shared_noise=True)
    >>> round(float(dv.wasserstein(x, y)), 12)  # exact, up to the solver's rounding
    0.5
    """
    theta = _check_finite_real(theta, "theta")
    n = check_positive_int(n, "n")
    shared_noise = _check_bool(shared_noise, "shared_noise")
    generator = as_rng(rng)
    z = generator.random(n)
    z_prime = z if shared_noise else generator.random(n)
    x = np.column_stack([np.zeros(n), z])
    y = np.column_stack([np.full(n, theta), z_prime])
    return x, y


def parallel_lines_measures(theta, n_grid=100):
    """The laws P and Q_theta of the parallel lines, discretised on a common grid.

    Both lines carry ``n_grid`` atoms of equal mass at the heights
    ``z_i = (i + 1/2) / n_grid`` (the midpoints of ``n_grid`` equal cells of
    [0, 1]), P at ``(0, z_i)`` and Q_theta at ``(theta, z_i)``. This is the
    discrete law closest to U[0, 1] in W_1 (at distance ``1 / (4 n_grid)``);
    since both lines use the same heights, every divergence between the two
    histograms equals its value between the continuous laws: ``|theta|`` for
    W_p, ``log 2`` for JS and ``inf`` for KL when ``theta != 0``, and 0 for all
    three when ``theta == 0``.

    Parameters
    ----------
    theta : float
        Horizontal position of the second line; finite.
    n_grid : int, optional
        Number of atoms per line (default 100).

    Returns
    -------
    p, q : Histogram
        Histograms with support points of shape ``(n_grid, 2)``.

    Examples
    --------
    >>> import divergences as dv
    >>> p, q = dv.datasets.parallel_lines_measures(0.5, n_grid=50)
    >>> round(float(dv.wasserstein(p, q)), 12), float(dv.js_divergence(p, q, base=2))
    (0.5, 1.0)
    >>> float(dv.kl_divergence(p, q))
    inf
    """
    theta = _check_finite_real(theta, "theta")
    n_grid = check_positive_int(n_grid, "n_grid")
    heights = (np.arange(n_grid) + 0.5) / n_grid
    masses = np.full(n_grid, 1.0 / n_grid)
    p = Histogram(masses, support=np.column_stack([np.zeros(n_grid), heights]))
    q = Histogram(masses, support=np.column_stack([np.full(n_grid, theta), heights]))
    return p, q


def parallel_lines_truth(theta, *, base=None):
    """The true divergences between the parallel lines P and Q_theta.

    These are the values stated by the theory (Arjovsky et al. 2017,
    Example 1), not computed: they are what the library's results are
    checked against.

    Parameters
    ----------
    theta : float
        Horizontal position of the second line; finite.
    base : float, optional
        Logarithm base of ``"kl"`` and ``"js"``; ``None`` (default) gives
        nats, ``2`` bits.

    Returns
    -------
    dict
        ``"wasserstein"``: W_1 = W_p = ``|theta|`` for every order p;
        ``"js"``: ``log 2`` (one bit) if ``theta != 0``, else 0;
        ``"kl"``: ``inf`` if ``theta != 0``, else 0;
        ``"tv"``: total variation, 1 if ``theta != 0``, else 0.

    Examples
    --------
    >>> import divergences as dv
    >>> dv.datasets.parallel_lines_truth(-0.5, base=2)
    {'wasserstein': 0.5, 'js': 1.0, 'kl': inf, 'tv': 1.0}
    >>> dv.datasets.parallel_lines_truth(0.0)
    {'wasserstein': 0.0, 'js': 0.0, 'kl': 0.0, 'tv': 0.0}
    """
    theta = _check_finite_real(theta, "theta")
    divisor = check_base(base)
    apart = theta != 0.0
    return {
        "wasserstein": abs(theta),
        "js": LOG2 / divisor if apart else 0.0,
        "kl": math.inf if apart else 0.0,
        "tv": 1.0 if apart else 0.0,
    }


def _mixture(centres, n, std, rng, return_labels):
    labels = rng.integers(centres.shape[0], size=n)
    points = centres[labels] + std * rng.standard_normal((n, centres.shape[1]))
    return (points, labels) if return_labels else points


def gaussian_ring(n, *, n_modes=8, radius=2.0, std=0.02, rng=None, return_labels=False):
    """Samples from a ring of equally weighted Gaussians (the "8 Gaussians").

    The ``n_modes`` centres lie at ``radius * (cos a_k, sin a_k)`` with
    ``a_k = 2 pi k / n_modes``; each point picks a centre uniformly at random
    and adds isotropic Gaussian noise of standard deviation ``std``. The
    defaults are those of WGAN-GP's "8gaussians" (Gulrajani et al. 2017),
    before the division of all points by 1.414 that their code applies.

    Parameters
    ----------
    n : int
        Number of points, ``>= 1``.
    n_modes : int, optional
        Number of Gaussians on the ring (default 8).
    radius : float, optional
        Radius of the ring (default 2), ``> 0``.
    std : float, optional
        Standard deviation of each Gaussian (default 0.02), ``> 0``.
    rng : int, numpy.random.Generator or None, optional
        Source of randomness.
    return_labels : bool, optional
        Also return the index of each point's mode.

    Returns
    -------
    points : ndarray, shape (n, 2)
    labels : ndarray of int, shape (n,)
        Only with ``return_labels=True``.

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> x, labels = dv.datasets.gaussian_ring(1000, rng=0, return_labels=True)
    >>> x.shape, sorted(set(labels.tolist())) == list(range(8))
    ((1000, 2), True)
    >>> bool(np.all(np.abs(np.hypot(x[:, 0], x[:, 1]) - 2.0) < 0.2))
    True
    """
    n = check_positive_int(n, "n")
    n_modes = check_positive_int(n_modes, "n_modes")
    radius = check_positive(radius, "radius")
    std = check_positive(std, "std")
    return_labels = _check_bool(return_labels, "return_labels")
    angles = 2.0 * math.pi * np.arange(n_modes) / n_modes
    centres = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    return _mixture(centres, n, std, as_rng(rng), return_labels)


def gaussian_grid(n, *, side=5, spacing=2.0, std=0.05, rng=None, return_labels=False):
    """Samples from a square grid of equally weighted Gaussians (the "25 Gaussians").

    The ``side * side`` centres are ``spacing * (i - (side - 1) / 2,
    j - (side - 1) / 2)`` for ``i, j = 0, ..., side - 1``, a grid centred on
    the origin; each point picks a centre uniformly at random and adds
    isotropic Gaussian noise of standard deviation ``std``. The defaults are
    those of WGAN-GP's "25gaussians" (Gulrajani et al. 2017), before the
    division of all points by 2.828 that their code applies.

    Parameters
    ----------
    n : int
        Number of points, ``>= 1``.
    side : int, optional
        Number of Gaussians along each axis (default 5).
    spacing : float, optional
        Distance between neighbouring centres (default 2), ``> 0``.
    std : float, optional
        Standard deviation of each Gaussian (default 0.05), ``> 0``.
    rng : int, numpy.random.Generator or None, optional
        Source of randomness.
    return_labels : bool, optional
        Also return the index of each point's mode (row-major, ``i * side + j``).

    Returns
    -------
    points : ndarray, shape (n, 2)
    labels : ndarray of int, shape (n,)
        Only with ``return_labels=True``.

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> x = dv.datasets.gaussian_grid(2000, rng=0)
    >>> x.shape, bool(np.all(np.abs(x) < 4.5))
    ((2000, 2), True)
    """
    n = check_positive_int(n, "n")
    side = check_positive_int(side, "side")
    spacing = check_positive(spacing, "spacing")
    std = check_positive(std, "std")
    return_labels = _check_bool(return_labels, "return_labels")
    offsets = spacing * (np.arange(side) - (side - 1) / 2.0)
    grid_i, grid_j = np.meshgrid(offsets, offsets, indexing="ij")
    centres = np.column_stack([grid_i.ravel(), grid_j.ravel()])
    return _mixture(centres, n, std, as_rng(rng), return_labels)


def swiss_roll(n, *, noise=0.0, rng=None):
    """Samples from a 2-D swiss roll (a spiral), scaled to about [-1.3, 1.9]^2.

    With ``t = 1.5 pi (1 + 2 u)``, ``u ~ U[0, 1]``, the points are
    ``(t cos t, t sin t) / 7.5`` plus isotropic Gaussian noise of standard
    deviation ``noise``. This is the swiss roll of WGAN-GP (Gulrajani et al.
    2017): the ``(x, z)`` coordinates of scikit-learn's ``make_swiss_roll``
    divided by 7.5. Their ``noise=0.25`` before scaling is ``noise=0.25/7.5``
    here, where ``noise`` is in the units of the returned points.

    Parameters
    ----------
    n : int
        Number of points, ``>= 1``.
    noise : float, optional
        Standard deviation of the added noise (default 0: points on the
        spiral), ``>= 0``.
    rng : int, numpy.random.Generator or None, optional
        Source of randomness.

    Returns
    -------
    points : ndarray, shape (n, 2)

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> x = dv.datasets.swiss_roll(500, rng=0)
    >>> radius = np.hypot(x[:, 0], x[:, 1]) * 7.5
    >>> bool(np.all((radius >= 1.5 * np.pi - 1e-9) & (radius <= 4.5 * np.pi + 1e-9)))
    True
    """
    n = check_positive_int(n, "n")
    noise = _check_non_negative(noise, "noise")
    generator = as_rng(rng)
    t = 1.5 * math.pi * (1.0 + 2.0 * generator.random(n))
    points = np.column_stack([t * np.cos(t), t * np.sin(t)]) / 7.5
    if noise > 0:
        points += noise * generator.standard_normal((n, 2))
    return points


def two_moons(n, *, noise=0.0, rng=None, return_labels=False):
    """Samples from two interleaved half circles ("two moons").

    Label 0: ``(cos(pi u), sin(pi u))``; label 1: ``(1 - cos(pi u),
    1/2 - sin(pi u))``, with ``u ~ U[0, 1]`` (the layout of scikit-learn's
    ``make_moons``, with random rather than evenly spaced ``u``). The first
    ``ceil(n / 2)`` points are drawn on the upper moon, the rest on the lower,
    and then shuffled; isotropic Gaussian noise of standard deviation
    ``noise`` is added.

    Parameters
    ----------
    n : int
        Number of points, ``>= 1``.
    noise : float, optional
        Standard deviation of the added noise (default 0), ``>= 0``.
    rng : int, numpy.random.Generator or None, optional
        Source of randomness.
    return_labels : bool, optional
        Also return the moon (0 upper, 1 lower) of each point.

    Returns
    -------
    points : ndarray, shape (n, 2)
    labels : ndarray of int, shape (n,)
        Only with ``return_labels=True``.

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> x, labels = dv.datasets.two_moons(101, rng=0, return_labels=True)
    >>> x.shape, int(np.sum(labels == 0)), int(np.sum(labels == 1))
    ((101, 2), 51, 50)
    """
    n = check_positive_int(n, "n")
    noise = _check_non_negative(noise, "noise")
    return_labels = _check_bool(return_labels, "return_labels")
    generator = as_rng(rng)
    labels = np.zeros(n, dtype=np.int64)
    labels[(n + 1) // 2 :] = 1
    labels = generator.permutation(labels)
    angle = math.pi * generator.random(n)
    lower = labels == 1
    points = np.column_stack([np.cos(angle), np.sin(angle)])
    points[lower] = np.column_stack([1.0 - points[lower, 0], 0.5 - points[lower, 1]])
    if noise > 0:
        points += noise * generator.standard_normal((n, 2))
    return (points, labels) if return_labels else points
