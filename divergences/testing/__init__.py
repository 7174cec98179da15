"""Hypothesis strategies for property-based tests of code that uses measures.

Every strategy here generates *valid* :mod:`divergences` measures -- or plain
arrays describing them -- that are well scaled (no subnormal or huge numbers
that would make any tolerance meaningless) and that shrink to small, simple
examples (one bin, one point, the identity covariance, a zero shift), so a
failing property reports a counterexample a person can read.

Measures
    :func:`probability_vectors`, :func:`histograms`, :func:`histogram_tuples`,
    :func:`points`, :func:`samples`, :func:`spd_matrices`, :func:`gaussians`,
    :func:`uniforms`, :func:`wasserstein_orders`.
Pairs with a known divergence (:class:`KnownPair`)
    :func:`shifted_copies`, :func:`planted_permutations`, :func:`parallel_lines`,
    :func:`diracs`, :func:`dirac_and_samples`, :func:`disjoint_histograms`.
Continuous laws with known KL and JS, to calibrate sample estimators (:class:`CalibrationPair`)
    :func:`mean_shift`, :func:`scale_change`, :func:`mixture`, :func:`student_t`,
    :func:`log_normal`, :func:`banana`, and the panel :func:`calibration_pairs`.
Point clouds for transport solvers (issue 18's panel: shifts, scale, mixture)
    :func:`panel_inputs`, :func:`panel_clouds`, :data:`PANEL_SHIFTS`.

Needs the ``hypothesis`` package (``pip install hypothesis``); ``import
divergences`` does not import it, only ``divergences.testing`` does.

Examples
--------
>>> from hypothesis import given, settings
>>> import divergences as dv
>>> from divergences import testing as dvt
>>> @settings(max_examples=20, deadline=None)
... @given(dvt.histogram_tuples(2))
... def test_js_is_symmetric(pair):
...     p, q = pair
...     assert abs(float(dv.js_divergence(p, q)) - float(dv.js_divergence(q, p))) < 1e-12
>>> test_js_is_symmetric()
"""

try:
    import hypothesis  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "divergences.testing needs the hypothesis package: pip install hypothesis"
    ) from exc

from ._calibration import (
    CalibrationPair,
    banana,
    calibration_pairs,
    log_normal,
    mean_shift,
    mixture,
    scale_change,
    student_t,
)
from ._known import (
    KnownPair,
    diracs,
    dirac_and_samples,
    disjoint_histograms,
    parallel_lines,
    planted_permutations,
    shifted_copies,
)
from ._panel import PANEL_SHIFTS, panel_clouds, panel_inputs
from ._strategies import (
    gaussians,
    histogram_tuples,
    histograms,
    points,
    probability_vectors,
    samples,
    spd_matrices,
    uniforms,
    wasserstein_orders,
    well_scaled_floats,
)

__all__ = [
    "PANEL_SHIFTS",
    "panel_inputs",
    "panel_clouds",
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
    "KnownPair",
    "shifted_copies",
    "planted_permutations",
    "parallel_lines",
    "diracs",
    "dirac_and_samples",
    "disjoint_histograms",
    "CalibrationPair",
    "mean_shift",
    "scale_change",
    "mixture",
    "student_t",
    "log_normal",
    "banana",
    "calibration_pairs",
]
