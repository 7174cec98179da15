"""divergences: KL, Jensen--Shannon and Wasserstein between samples and densities.

Every divergence takes two measures -- sample sets, histograms or densities,
or plain arrays and frozen scipy.stats distributions standing for them --
and returns a result object that records its value, unit, the method used,
and, for estimates, sample sizes and standard error.

>>> import divergences as dv
>>> float(dv.kl_divergence(dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 1.0)))
0.5

Submodules: :mod:`divergences.datasets` (toy data, the parallel-lines
example), :mod:`divergences.gan` and :mod:`divergences.testing` (hypothesis
strategies; needs hypothesis), imported on first use.
"""

import importlib

from .exceptions import (
    ConvergenceWarning,
    DenseMemoryError,
    InputWarning,
    DivergenceError,
    EstimatorWarning,
    InvalidMeasureError,
    MethodError,
)
from .jensen_shannon import js_distance, js_divergence
from .kernel_distances import energy_distance, mmd
from .kl import kl_divergence
from ._pairwise import PairwiseResult, pair_rng, pairwise
from .measures import Density, Gaussian, Histogram, Measure, Samples, ScipyDensity, Uniform, as_measure
from .registry import DIVERGENCES, divergence
from .results import DivergenceResult, OTResult
from ._threads import get_threads, set_threads, threads
from .two_sample import TwoSampleTestResult, two_sample_test
from ._wasserstein import sinkhorn_divergence, wasserstein

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "InputWarning",
    "DenseMemoryError",
    "DivergenceError",
    "EstimatorWarning",
    "InvalidMeasureError",
    "MethodError",
    "Measure",
    "Samples",
    "Histogram",
    "Density",
    "Gaussian",
    "Uniform",
    "ScipyDensity",
    "as_measure",
    "DivergenceResult",
    "OTResult",
    "kl_divergence",
    "js_divergence",
    "js_distance",
    "wasserstein",
    "sinkhorn_divergence",
    "energy_distance",
    "mmd",
    "divergence",
    "DIVERGENCES",
    "pairwise",
    "PairwiseResult",
    "pair_rng",
    "two_sample_test",
    "TwoSampleTestResult",
    "get_threads",
    "set_threads",
    "threads",
    "datasets",
    "gan",
    "testing",
]

_LAZY_SUBMODULES = {"datasets", "gan", "testing"}


def __getattr__(name):
    # PEP 562: submodules load on first access, so `import divergences` stays light
    # and hypothesis is needed only by those who use divergences.testing.
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'divergences' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY_SUBMODULES)
