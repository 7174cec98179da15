"""Sliced Wasserstein: the average of 1-D transports over random directions.

    SW_p(P, Q) = ( E_theta W_p^p(theta#P, theta#Q) )^(1/p),

theta uniform on the unit sphere (Rabin et al. 2011; Bonneel et al. 2015).
The expectation is estimated by a seeded Monte Carlo average over
``n_projections`` directions; each 1-D transport is exact (a merge of the
sorted projections, :mod:`divergences._kernels.one_d`). The standard error of
the average is the sample standard deviation over projections divided by
sqrt(L); that of its p-th root follows by the delta method,
``se(M^(1/p)) = M^(1/p - 1) se(M) / p``.

SW_p <= W_p always (a projection is 1-Lipschitz). In one dimension every
direction is +-1 and the value is the exact W_p, with zero standard error.
"""

import math

import numpy as np

from .._threads import run_kernel
from .._validation import as_rng
from ..results import OTResult
from ._common import LengthScale, is_point_cloud, is_uniform, point_cloud

__all__ = ["applies", "solve", "random_directions"]

# 100 projections: the relative standard error of the mean of W_p^p is then
# (its coefficient of variation over directions)/10 -- a few per cent for
# typical clouds, and reported, so a caller who needs less raises it. The
# cost, L sorts of n + m numbers, stays below a second for n = 10^5.
_DEFAULT_PROJECTIONS = 100


def applies(p, q, options):
    """Two point clouds (samples, or histograms with support points)."""
    return is_point_cloud(p) and is_point_cloud(q)


def random_directions(count, dim, rng):
    """``count`` directions uniform on the unit sphere of R^dim, shape ``(count, dim)``."""
    z = rng.standard_normal((count, dim))
    norms = np.linalg.norm(z, axis=1)
    # A zero normal draw has probability zero; redraw rather than divide by it.
    while np.any(norms == 0.0):
        bad = norms == 0.0
        z[bad] = rng.standard_normal((int(bad.sum()), dim))
        norms = np.linalg.norm(z, axis=1)
    return z / norms[:, None]


def solve(p, q, *, order=1.0, n_projections=None, rng=None, directions=None):
    """Sliced W_p between two point clouds.

    Parameters
    ----------
    p, q : Samples or Histogram with support
    order : float
        The exponent p >= 1.
    n_projections : int, optional
        Number of random directions (default 100).
    rng : None, int or numpy.random.Generator
        Seed of the directions; the same seed gives the same value.
    directions : array_like, shape (L, d), optional
        Explicit directions (normalised here) instead of random ones; then
        ``n_projections`` and ``rng``, which only shape random directions, are
        an error.

    Returns
    -------
    OTResult
        ``value = (mean_theta W_p^p)^(1/p)``, ``stderr`` its Monte Carlo
        standard error (0 in 1-D, where the value is exact).
    """
    from .._kernels import sliced as kernels

    x, a = point_cloud(p)
    y, b = point_cloud(q)
    # Solved at unit scale, so that no cost over- or underflows (see LengthScale).
    length = LengthScale(x, y, order)
    x, y = length.points(x), length.points(y)
    dim = x.shape[1]
    if directions is None:
        # n_projections= is checked by its declaration (WASSERSTEIN_METHODS).
        count = _DEFAULT_PROJECTIONS if n_projections is None else int(n_projections)
        directions = random_directions(count, dim, as_rng(rng))
    else:
        _refuse_with_directions(n_projections=n_projections, rng=rng)
        directions = _as_directions(directions, dim)
        count = directions.shape[0]
    uniform = is_uniform(p) and is_uniform(q)
    work = count * (x.shape[0] + y.shape[0])
    costs = run_kernel(kernels.projected_costs, kernels.projected_costs_serial, work,
                       kernels.SERIAL_BELOW, x, a, y, b, directions, order, uniform)
    costs = np.maximum(costs, 0.0)
    mean = float(costs.mean())
    value = mean ** (1.0 / order)
    if dim == 1:
        # Every direction is +-1: all the costs are the exact W_p^p.
        stderr = 0.0
    elif count < 2:
        stderr = None
    else:
        se_mean = float(costs.std(ddof=1)) / math.sqrt(count)
        stderr = 0.0 if mean == 0.0 else value / mean * se_mean / order
    result = OTResult.from_cost(
        mean,
        order=order,
        method="sliced",
        sizes=(p.size, q.size),
        stderr=stderr,
        note=f"sliced W_p over {count} projections (a lower bound on W_p)",
        details={"n_projections": count, "projected_costs": costs},
    )
    return length.restore(result, ("projected_costs",))


def _refuse_with_directions(**options):
    given = [name for name, value in options.items() if value is not None]
    if given:
        listed = " and ".join(given)
        raise TypeError(
            f"method='sliced': {listed} shape{'s' if len(given) == 1 else ''} random directions "
            f"and would be ignored with directions=; drop {listed}, or drop directions."
        )


def _as_directions(directions, dim):
    from ..exceptions import InvalidMeasureError

    array = np.array(directions, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != dim or array.shape[0] == 0:
        raise InvalidMeasureError(
            f"directions must have shape (L, {dim}) to match the points, got {array.shape}."
        )
    norms = np.linalg.norm(array, axis=1)
    if not np.all(np.isfinite(array)) or np.any(norms == 0.0):
        raise InvalidMeasureError("directions must be finite and non-zero.")
    return np.ascontiguousarray(array / norms[:, None])
