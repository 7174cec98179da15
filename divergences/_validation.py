"""The one place where user input is checked and converted.

Every public function passes its arguments through these helpers exactly
once, at the boundary; everything behind them may assume float64,
C-contiguous, finite, read-only arrays of the right shape. The helpers copy
what they keep, so nothing a caller owns is ever modified, and every error
names the offending argument and says what to do instead.
"""

import math
import numbers
import os
import sys
import warnings

import numpy as np

from .exceptions import InputWarning, InvalidMeasureError, MethodError

__all__ = [
    "as_points",
    "warn_if_misread",
    "as_weights",
    "as_probabilities",
    "as_vector",
    "as_rng",
    "check_base",
    "check_order",
    "check_positive",
    "check_positive_int",
    "check_same_dim",
    "check_choice",
    "frozen",
]


def frozen(array):
    """Return ``array`` marked read-only, so that measures stay immutable."""
    array.setflags(write=False)
    return array


def _as_float_array(value, name):
    _refuse_complex(value, name)
    try:
        array = np.array(value, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InvalidMeasureError(
            f"{name} must be an array of real numbers; could not convert it ({exc})."
        ) from None
    return array


def _refuse_complex(value, name):
    """Complex input would lose its imaginary part to the float64 cast (numpy only warns)."""
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if kind is None and isinstance(value, (list, tuple, complex)):
        kind = np.asarray(value).dtype.kind
    if kind == "c":
        raise InvalidMeasureError(
            f"{name} is complex, but distributions here live on real coordinates; pass "
            f"{name}.real if the imaginary part is rounding noise, or its real and imaginary "
            f"parts as two coordinates: np.column_stack([{name}.real, {name}.imag])."
        )


def _check_finite(array, name):
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        where = tuple(int(i) for i in bad)
        raise InvalidMeasureError(
            f"{name} contains NaN or infinite values (first at index {where}); "
            "remove or impute them before comparing distributions."
        )


def as_points(x, name="x"):
    """Convert sample points to a read-only float64 array of shape ``(n, d)``.

    A 1-D array of ``n`` values is ``n`` points in one dimension.

    Raises
    ------
    InvalidMeasureError
        If ``x`` is empty, has more than two dimensions, or holds NaN/inf.
    """
    array = _as_float_array(x, name)
    if array.ndim == 0:
        raise InvalidMeasureError(
            f"{name} must be an array of shape (n,) or (n, d), got a scalar; "
            "wrap a single point as [[...]]."
        )
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise InvalidMeasureError(
            f"{name} must have shape (n,) or (n, d), got shape {array.shape}; "
            "flatten each sample to a vector first."
        )
    if array.shape[0] == 0:
        raise InvalidMeasureError(f"{name} is empty; at least one sample is needed.")
    if array.shape[1] == 0:
        raise InvalidMeasureError(f"{name} has points of dimension 0; give at least one coordinate.")
    _check_finite(array, name)
    return frozen(np.ascontiguousarray(array))


# float32 unit roundoff, doubled: probabilities that were normalised in float32
# (or float64, 2^29 times finer) sum to 1 within n times this.
_SUM_TOLERANCE = 2.0**-23


def warn_if_misread(points, name):
    """Warn (:class:`InputWarning`) when a plain array read as samples looks like something else.

    ``points`` is the ``(n, d)`` array :func:`as_points` made of the caller's
    plain array. Two shapes are almost never a sample set:

    * one coordinate, ``n >= 2`` entries, all non-negative and below 1,
      summing to 1 within float32 rounding -- a probability vector, whose
      values would be read as ``n`` points on the line (``dv.Histogram(p)``);
    * more coordinates than points (``d > n >= 2``) -- a transposed data
      matrix, ``d`` samples stored as columns (``x.T``). A single point is a
      Dirac, and not suspect.

    Explicit measures (``dv.Samples(x)``) are never checked: they say what they are.
    """
    n, d = points.shape
    if d == 1 and n >= 2:
        column = points[:, 0]
        if (
            column.min() >= 0.0
            and column.max() < 1.0
            # numpy's pairwise sum errs by ~log2(n) 2^-53, far inside the tolerance,
            # and unlike math.fsum costs nothing next to the divergence (1e7 values).
            and abs(float(np.sum(column)) - 1.0) <= n * _SUM_TOLERANCE
        ):
            _warn_input(
                f"{name} looks like a probability vector (1-D, non-negative, sums to 1), but a "
                f"plain array is read as {n} sample points on the line. For probabilities pass "
                f"dv.Histogram({name}) (with support=... for a transport distance); to compare "
                f"the values as samples pass dv.Samples({name}), which silences this warning."
            )
    elif d > n >= 2:
        _warn_input(
            f"{name} has more coordinates than points ({n} points in {d} dimensions): if its "
            f"columns are the samples, pass {name}.T; if these really are {n} points, pass "
            f"dv.Samples({name}), which silences this warning."
        )


def _warn_input(message):
    warnings.warn(message, InputWarning, stacklevel=_outside_the_package())


def _outside_the_package():
    """The ``stacklevel`` of the first caller outside divergences, so the warning points at it."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def as_weights(weights, n, name="weights"):
    """Convert non-negative weights of ``n`` points to read-only probabilities.

    Raises
    ------
    InvalidMeasureError
        If the weights are not a vector of length ``n``, are negative, not
        finite, or sum to zero.
    """
    if (isinstance(weights, np.ndarray) and weights.dtype == np.float64 and weights.ndim == 1
            and weights.shape[0] == n):
        # The common case (a float64 vector) in three reductions: a finite sum of
        # entries >= 0 with a positive peak is all the checks below ask; NaN or
        # inf anywhere, or a sum that overflows, take the general path.
        low, peak, total = float(weights.min()), float(weights.max()), float(weights.sum())
        if low >= 0.0 and peak > 0.0 and math.isfinite(total):
            return frozen(weights / math.fsum(weights))
    array = _as_float_array(weights, name)
    if array.ndim != 1 or array.shape[0] != n:
        raise InvalidMeasureError(
            f"{name} must be a vector with one weight per point ({n}), got shape {array.shape}."
        )
    _check_finite(array, name)
    if np.any(array < 0):
        raise InvalidMeasureError(f"{name} has negative entries; weights must be >= 0.")
    peak = float(array.max())
    if not peak > 0:
        raise InvalidMeasureError(f"{name} sums to zero; at least one weight must be positive.")
    try:
        total = math.fsum(array)
    except OverflowError:
        total = math.inf
    if total == math.inf:
        # Weights near the float64 maximum: their sum overflows, that of weights
        # divided by the largest (all <= 1, the ratios unchanged) cannot.
        array = array / peak
        total = math.fsum(array)
    return frozen(array / total)


def as_probabilities(p, name="p"):
    """Convert a vector of non-negative masses to read-only probabilities.

    The masses are normalised to sum to one, as in :func:`scipy.stats.entropy`.
    """
    if isinstance(p, np.ndarray) and p.dtype == np.float64 and p.ndim == 1 and p.shape[0] > 0:
        return as_weights(p, p.shape[0], name)  # no copy first: as_weights makes a new array
    array = _as_float_array(p, name)
    if array.ndim != 1:
        raise InvalidMeasureError(
            f"{name} must be a 1-D vector of probabilities, got shape {array.shape}."
        )
    if array.shape[0] == 0:
        raise InvalidMeasureError(f"{name} is empty; a histogram needs at least one bin.")
    return as_weights(array, array.shape[0], name)


def as_vector(value, name, dim=None):
    """Convert a scalar or vector parameter to a read-only float64 vector."""
    array = _as_float_array(value, name)
    if array.ndim == 0:
        array = np.full(1 if dim is None else dim, float(array))
    if array.ndim != 1:
        raise InvalidMeasureError(f"{name} must be a scalar or a vector, got shape {array.shape}.")
    if dim is not None and array.shape[0] != dim:
        raise InvalidMeasureError(f"{name} must have {dim} entries, got {array.shape[0]}.")
    if array.shape[0] == 0:
        raise InvalidMeasureError(f"{name} is empty.")
    _check_finite(array, name)
    return frozen(array)


def as_rng(rng):
    """Turn ``rng`` (None, an int seed or a Generator) into a Generator."""
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(
        "rng must be None, an integer seed or a numpy.random.Generator, "
        f"got {type(rng).__name__}."
    )


def check_base(base):
    """Return the divisor that converts nats to units of ``base`` logarithms."""
    if base is None:
        return 1.0
    if isinstance(base, bool) or not isinstance(base, numbers.Real):
        raise TypeError(f"base must be a positive number (2 for bits) or None, got {base!r}.")
    if not (math.isfinite(base) and base > 0 and base != 1):
        raise ValueError(f"base must be positive, finite and not 1 (2 for bits), got {base!r}.")
    return math.log(base)


def check_order(order):
    """Check the order ``p >= 1`` of a Wasserstein distance."""
    if isinstance(order, bool) or not isinstance(order, numbers.Real):
        raise TypeError(f"order must be a real number >= 1, got {order!r}.")
    if not (math.isfinite(order) and order >= 1):
        raise ValueError(
            f"order must be finite and >= 1 (W_p is a metric only for p >= 1), got {order!r}."
        )
    return float(order)


def check_positive(value, name):
    """Check a positive finite real parameter (a tolerance, a regularisation)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {value!r}.")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be positive and finite, got {value!r}.")
    return float(value)


def check_positive_int(value, name):
    """Check a positive integer parameter (a neighbour count, a sample size)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}.")
    return int(value)


def check_same_dim(p, q):
    """Check that two measures live in the same dimension (abstract histograms have none)."""
    if p.dim is not None and q.dim is not None and p.dim != q.dim:
        raise InvalidMeasureError(
            f"p and q live in different dimensions ({p.dim} and {q.dim}); "
            "both must describe points of the same dimension."
        )


def check_choice(value, choices, name):
    """Check that ``value`` is one of ``choices``; the error lists them."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise MethodError(f"unknown {name} {value!r}; choose one of {listed}.")
    return value
