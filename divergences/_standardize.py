"""Put two sample sets on the pooled sample's scale before a permutation test.

A permutation test stays exact under any transformation that depends only on
the pooled sample (the multiset of all points): every split of the pooled
points is transformed the same way. Two such transformations are offered:

* ``"scale"``: each coordinate centred and divided by its pooled standard
  deviation, so that no coordinate decides a distance-based statistic by its
  units alone;
* ``"whiten"``: the scaled coordinates multiplied by ``C^(-1/2)``, with ``C``
  the Ledoit--Wolf shrinkage estimate of their correlation matrix. Distances
  then measure departures in units of the pooled sample's spread *in every
  direction*, so a change that breaks a correlation between features (one
  feature shifted while a feature that tracks it is not) is as visible as a
  change along a feature. Shrinkage (Ledoit and Wolf 2004, "A
  well-conditioned estimator for large-dimensional covariance matrices",
  J. Multivariate Anal. 88:365-411) keeps ``C`` well conditioned when the
  dimension is not small against the number of points: plain whitening of
  ``N`` points in ``d >= N`` dimensions would place them at equal mutual
  distances and leave no statistic anything to see, while the shrunk
  estimate tends to the identity there, and whitening to scaling.
"""

import numpy as np

__all__ = ["STANDARDIZATIONS", "check_standardize", "ledoit_wolf", "standardized_points"]

STANDARDIZATIONS = ("whiten", "scale", "none")


def check_standardize(standardize):
    """The rule's name: ``True`` is ``"scale"``, ``False`` and ``None`` are ``"none"``."""
    if standardize is True:
        return "scale"
    if standardize is False or standardize is None:
        return "none"
    if isinstance(standardize, str) and standardize in STANDARDIZATIONS:
        return standardize
    names = ", ".join(repr(name) for name in STANDARDIZATIONS)
    raise ValueError(f"standardize must be one of {names} (or True for 'scale', False for "
                     f"'none'), got {standardize!r}")


def ledoit_wolf(z):
    """The Ledoit--Wolf shrinkage estimate of the covariance of centred rows ``z``.

    ``S = z^T z / N`` is shrunk towards ``mu I`` (``mu`` its mean eigenvalue):
    ``(1 - delta) S + delta mu I``, with the asymptotically optimal weight
    ``delta = min(b2, d2) / d2``, where ``d2 = |S - mu I|^2`` and ``b2 = sum_k
    |z_k z_k^T - S|^2 / N^2`` (Frobenius norms divided by the dimension;
    Ledoit and Wolf 2004, Lemma 3.2 and Theorem 3.2). ``sum_k |z_k z_k^T -
    S|^2 = sum_k |z_k|^4 - N |S|^2`` gives ``b2`` in one pass over the points.

    Returns
    -------
    covariance : ndarray, shape (d, d)
    delta : float
        The shrinkage weight in ``[0, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.random.default_rng(0).normal(size=(50, 3))
    >>> covariance, delta = ledoit_wolf(z - z.mean(axis=0))
    >>> covariance.shape, 0.0 <= delta <= 1.0
    ((3, 3), True)
    """
    total, dim = z.shape
    s = z.T @ z / total
    mu = np.trace(s) / dim
    d2 = (np.sum(s * s) - 2.0 * mu * np.trace(s) + mu * mu * dim) / dim
    if d2 <= 0.0:  # S is already a multiple of the identity
        return s, 0.0
    fourth = float(np.sum(np.einsum("ij,ij->i", z, z) ** 2))
    b2 = max((fourth / total - np.sum(s * s)) / (total * dim), 0.0)
    delta = min(b2, d2) / d2
    covariance = (1.0 - delta) * s
    covariance[np.diag_indices(dim)] += delta * mu
    return covariance, float(delta)


def standardized_points(points, rule):
    """``points`` (the pooled sample, N x d) transformed by ``rule``; and a record of it.

    Coordinates constant over the pooled sample tell no split apart: they are
    left at 0 (unscaled) and take no part in the whitening.

    Returns
    -------
    points : ndarray, shape (N, d)
    record : dict
        ``rule``, and for ``"whiten"`` the shrinkage weight ``shrinkage``.
    """
    if rule == "none":
        return points, {"rule": "none"}
    centre, scale = points.mean(axis=0), points.std(axis=0)
    varying = scale > 0
    scale[~varying] = 1.0
    z = (points - centre) / scale
    if rule == "scale" or np.count_nonzero(varying) < 2:
        return z, {"rule": "scale" if rule == "scale" else "whiten", "shrinkage": 1.0}
    correlation, delta = ledoit_wolf(z[:, varying])
    eigenvalues, eigenvectors = np.linalg.eigh(correlation)
    # With delta = 0 (no shrinkage needed) C may still be singular: a direction
    # with no pooled variance is left unscaled, like a constant coordinate.
    floor = eigenvalues.max() * varying.sum() * np.finfo(float).eps
    inverse_root = np.where(eigenvalues > floor, 1.0 / np.sqrt(np.maximum(eigenvalues, floor)), 1.0)
    whitened = z.copy()
    whitened[:, varying] = z[:, varying] @ (eigenvectors * inverse_root) @ eigenvectors.T
    return whitened, {"rule": "whiten", "shrinkage": delta}
