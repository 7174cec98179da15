"""Warnings and errors raised by :mod:`divergences`.

Every error is a subclass of a built-in exception, so callers that catch
``ValueError`` or ``MemoryError`` keep working; the subclasses exist so that
callers who care can tell the library's own conditions apart.
"""

__all__ = [
    "ConvergenceWarning",
    "InputWarning",
    "EstimatorWarning",
    "DivergenceError",
    "InvalidMeasureError",
    "MethodError",
    "DenseMemoryError",
]


class ConvergenceWarning(RuntimeWarning):
    """An iterative solver stopped before meeting its tolerance.

    The result it returned is still the best the solver found, and records
    ``converged=False``; the warning makes sure the caller hears about it.
    """


class InputWarning(UserWarning):
    """A plain array looks like something other than the sample set it is read as.

    A 1-D array of non-negative numbers summing to one looks like a
    probability vector (``dv.Histogram(p)``), and a 2-D array with more
    columns than rows like transposed data (``x.T``). The library computes
    what it was given and names the likely fix; wrap the array in
    :class:`~divergences.Samples` to say that it is a sample set, which
    silences the warning (or filter this class).
    """


class EstimatorWarning(RuntimeWarning):
    """An estimate rests on an assumption that the data put in doubt.

    The result is still returned, and its ``note`` says what was assumed
    (e.g. that a value never seen in Q's sample still has mass under Q).
    """


class DivergenceError(ValueError):
    """Base class of the library's input errors (a :class:`ValueError`)."""


class InvalidMeasureError(DivergenceError):
    """An array, weight vector or parameter does not describe a valid measure."""


class MethodError(DivergenceError):
    """An unknown method, or a method that does not apply to the given measures."""


class DenseMemoryError(MemoryError):
    """A dense method would need more memory than allowed.

    The message names the method that works without the dense matrix.
    """
