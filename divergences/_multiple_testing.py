"""Adjusted p-values for a family of tests: the corrections :func:`divergences.pairwise` names.

A matrix of two-sample tests asks many questions at once ("which of these
days differs from the reference?"), so the chance that some p-value falls
below alpha by luck grows with their number. The adjusted p-value of a test
is the smallest level at which the correction would reject it:

* ``"holm"`` (default) -- Holm (1979), "A simple sequentially rejective
  multiple test procedure": controls the family-wise error rate (the chance
  of any false rejection) under any dependence between the tests, and never
  rejects less than Bonferroni;
* ``"bonferroni"`` -- ``min(1, m p)``: the same guarantee, simpler, weaker;
* ``"fdr_bh"`` -- Benjamini and Hochberg (1995): controls the expected share
  of false rejections among the rejections (the false discovery rate), for
  independent or positively dependent tests. Computed by
  :func:`scipy.stats.false_discovery_control`;
* ``"none"`` -- the raw p-values.
"""

import numpy as np
from scipy import stats

from ._validation import check_choice

__all__ = ["CORRECTIONS", "adjust_pvalues"]

#: The corrections :func:`adjust_pvalues` knows, by name.
CORRECTIONS = ("holm", "bonferroni", "fdr_bh", "none")


def adjust_pvalues(pvalues, correction="holm"):
    """The adjusted p-values of a family of tests (a 1-D array, in the given order).

    Parameters
    ----------
    pvalues : array_like, shape (m,)
        The raw p-values, each in (0, 1].
    correction : {"holm", "bonferroni", "fdr_bh", "none"}
        See the module's docstring.

    Returns
    -------
    ndarray, shape (m,)
        Each test's adjusted p-value: reject test i at level alpha when it is <= alpha.

    Examples
    --------
    >>> from divergences._multiple_testing import adjust_pvalues
    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bonferroni").round(2).tolist()
    [0.03, 0.12, 0.09]
    """
    correction = check_choice(correction, CORRECTIONS, "correction")
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"pvalues must be a 1-D array, got shape {p.shape}.")
    if p.size and not (np.all(p > 0.0) and np.all(p <= 1.0)):
        raise ValueError("pvalues must lie in (0, 1]; permutation p-values are never 0.")
    m = p.size
    if m == 0 or correction == "none":
        return p.copy()
    if correction == "bonferroni":
        return np.minimum(1.0, m * p)
    if correction == "fdr_bh":
        return stats.false_discovery_control(p, method="bh")
    # Holm: the k-th smallest p-value (k = 0, 1, ...) is compared with alpha / (m - k);
    # its adjusted value is the running maximum of (m - k) p_(k), capped at 1.
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1.0, stepped)
    return adjusted
