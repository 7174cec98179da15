"""The options a method takes, declared once: name, type and range, default, meaning.

Each :class:`~divergences._dispatch.Method` lists its :class:`Option` records;
:func:`check_options` is the one place a call's options are checked against
them (an option the method does not take, a required one left out, a value of
the wrong type or out of range), and ``divergences methods`` prints them. In
the spirit of scikit-learn's ``_parameter_constraints`` (one declaration per
estimator, validated by one function), with the checks of
:mod:`divergences._validation` so that the messages stay those of the library.

The solvers may check further what depends on the data (``k`` against the
sample size, a plan that would not fit in memory); the declarations say what
holds for any data.
"""

import math
import numbers
from dataclasses import dataclass

import numpy as np

from ._validation import as_rng, check_choice, check_order, check_positive, check_positive_int

__all__ = ["Option", "REQUIRED", "Integer", "Real", "Choice", "Boolean", "Seed", "Anything",
           "Order", "Workers", "Progress", "Checked", "check_options", "describe"]


class _Required:
    def __repr__(self):
        return "REQUIRED"


#: The ``default`` of an option the call must give.
REQUIRED = _Required()


class Integer:
    """An integer ``>= low`` (``low=1``: a positive count), not a bool."""

    def __init__(self, low=1):
        self.low = low

    def check(self, value, name):
        if self.low == 1:
            check_positive_int(value, name)
            return
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer >= {self.low}, got {value!r}.")
        if value < self.low:
            raise ValueError(f"{name} must be >= {self.low}, got {value}.")

    def __str__(self):
        return "int >= 1" if self.low == 1 else f"int >= {self.low}"


class Real:
    """A finite real number in an interval; ``Real()`` is a positive number."""

    def __init__(self, low=0.0, high=math.inf, *, low_open=True, high_open=True):
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open

    def check(self, value, name):
        if self.low == 0.0 and self.low_open and self.high == math.inf:
            check_positive(value, name)
            return
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a real number in {self._interval()}, got {value!r}.")
        low_ok = value > self.low if self.low_open else value >= self.low
        high_ok = value < self.high if self.high_open else value <= self.high
        if not (math.isfinite(value) and low_ok and high_ok):
            raise ValueError(f"{name} must lie in {self._interval()}, got {value!r}.")

    def _interval(self):
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    def __str__(self):
        if self.low == 0.0 and self.low_open and self.high == math.inf:
            return "float > 0"
        if self.high == math.inf:
            return f"float {'>' if self.low_open else '>='} {self.low:g}"
        return f"float in {self._interval()}"


class Choice:
    """One of some names."""

    def __init__(self, *values):
        self.values = values

    def check(self, value, name):
        check_choice(value, self.values, name)

    def __str__(self):
        return " | ".join(repr(v) for v in self.values)


class Boolean:
    """True or False."""

    def check(self, value, name):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {value!r}.")

    def __str__(self):
        return "bool"


class Checked:
    """A value checked by one of the library's own checks, ``check(value)``, described in words."""

    def __init__(self, check, description):
        self._check, self.description = check, description

    def check(self, value, name):
        self._check(value)

    def __str__(self):
        return self.description


def _workers(value):
    from ._threads import resolve_workers

    resolve_workers(value)


def _progress(value):
    from ._progress import check_progress

    check_progress(value, "True, False or a callable")


def Seed():  # noqa: N802 -- reads as the other constraints: Seed()
    """An ``rng=``: None, an int seed, a SeedSequence or a numpy Generator."""
    return Checked(as_rng, "seed or Generator")


def Order():  # noqa: N802
    """The order ``p >= 1`` of a transport cost ``|x - y|^p``."""
    return Checked(check_order, "float >= 1")


def Workers():  # noqa: N802
    """A thread count: a positive int, or -1 for every core."""
    return Checked(_workers, "int >= 1 or -1 (all cores)")


def Progress():  # noqa: N802
    """A ``progress=``: True, False or a callable."""
    return Checked(_progress, "bool or callable")


class Anything:
    """A value the method itself checks (a model, a callable, an array); described in words."""

    def __init__(self, description):
        self.description = description

    def check(self, value, name):
        pass

    def __str__(self):
        return self.description


@dataclass(frozen=True)
class Option:
    """One option of a method.

    Attributes
    ----------
    name : str
    constraint : Integer, Real, Choice, Boolean, Seed or Anything
        What a value must be; ``None`` is accepted too when ``default`` is None.
    default : object
        The default of the method's function (:data:`REQUIRED` if none: the
        call must give it); kept equal to the function's by a test.
    help : str
        A few words; for a required option, what to give (in its error).
    nullable : bool
        Whether ``None`` is accepted (always, when ``default`` is None).
    """

    name: str
    constraint: object
    default: object = None
    help: str = ""
    nullable: bool = False

    @property
    def required(self):
        return self.default is REQUIRED

    def check(self, value):
        if value is None and (self.nullable or self.default is None):
            return
        self.constraint.check(value, self.name)

    def __str__(self):
        default = "required" if self.required else f"default {self.default!r}"
        return f"{self.name}: {self.constraint} ({default})" + (f" -- {self.help}" if self.help
                                                                    else "")


def check_options(method, options, divergence):
    """Check the options of a call of ``method`` against its declared :class:`Option` s.

    Raises
    ------
    TypeError
        For an option the method does not take (it would be ignored silently:
        the caller believes it had an effect), or a required one left out.
    TypeError, ValueError, MethodError
        For a value of the wrong type or out of range, naming the option.
    """
    declared = {option.name: option for option in method.options}
    unknown = sorted(set(options) - set(declared))
    if unknown:
        takes = ", ".join(declared) if declared else "no options"
        raise TypeError(
            f"{divergence}(method={method.name!r}) does not take "
            f"{', '.join(repr(u) for u in unknown)}; it takes: {takes}."
        )
    missing = [o for o in method.options if o.required and o.name not in options]
    if missing:
        what = "; ".join(f"{o.name}=..., {o.help}" if o.help else f"{o.name}=..." for o in missing)
        raise TypeError(f"{divergence}(method={method.name!r}) needs {what}.")
    for name, value in options.items():
        declared[name].check(value)


def describe(options):
    """One line per option, as ``divergences methods`` prints them."""
    return [str(option) for option in options]
