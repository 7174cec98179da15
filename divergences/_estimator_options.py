"""The options of the sample estimators shared by KL and JS, declared once for both tables.

Each tuple is the ``options`` of one :class:`~divergences._dispatch.Method`
(see :mod:`divergences._options`); the defaults are those of the estimator
functions, which a test keeps equal.
"""

from ._logistic import FEATURES
from ._options import Anything, Boolean, Choice, Integer, Option, Real, Seed, Workers
from ._ties import TIE_RULES
from .knn_estimators import DEFAULT_K, KL_VARIANTS

__all__ = ["KNN_OPTIONS", "KL_KNN_OPTIONS", "JS_KNN_OPTIONS", "MONTE_CARLO_OPTIONS", "CLASSIFIER_OPTIONS"]

_RNG = Option("rng", Seed(), None, "the seed of any random draws")
_N_SAMPLES = Option("n_samples", Integer(), None, "draws from a density")

#: The ``"knn"`` method of JS (and, with ``variant``, of KL).
KNN_OPTIONS = (
    Option("k", Integer(), DEFAULT_K, "neighbours"),
    _N_SAMPLES,
    _RNG,
    Option("ties", Choice(*TIE_RULES), "auto", "how exact duplicates are handled"),
    Option("workers", Workers(), None, "threads of the neighbour queries"),
)

KL_KNN_OPTIONS = KNN_OPTIONS[:1] + (
    Option("variant", Choice(*KL_VARIANTS), None,
           "default 'corrected'; 'adaptive' for two sample sets only"),
) + KNN_OPTIONS[1:4] + (
    Option("diagnose", Boolean(), True,
           "two sample sets: check that the estimate has converged (subsample trend) and, "
           "also with one side a density, that P's tail is not heavier than Q's"),
) + KNN_OPTIONS[4:]

#: JS's ``"knn"`` method: :data:`KNN_OPTIONS` and its own ``diagnose``.
JS_KNN_OPTIONS = KNN_OPTIONS[:4] + (
    Option("diagnose", Boolean(), True,
           "two sample sets: check that neither sample's tail is heavier than the other's"),
) + KNN_OPTIONS[4:]

MONTE_CARLO_OPTIONS = (
    Option("n_samples", Integer(), 100_000, "draws from P (and from M for JS)"),
    _RNG,
)

CLASSIFIER_OPTIONS = (
    Option("folds", Integer(2), 2, "cross-fitting folds"),
    Option("model", Anything("a classifier with fit and predict_proba"), None,
           "instead of the built-in logistic one"),
    Option("features", Choice(*FEATURES), None, "default 'quadratic'"),
    Option("penalty", Real(0.0, low_open=False), None, "L2 penalty of the logistic fit"),
    Option("n_features", Integer(), None, "random Fourier features"),
    Option("bandwidth", Real(), None, "of the Fourier features"),
    _N_SAMPLES,
    _RNG,
)
