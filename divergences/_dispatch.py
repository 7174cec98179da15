"""Choosing a method: the registry shared by every divergence.

Each divergence keeps an ordered table of :class:`Method` entries. A method
states which pairs of measures it applies to, the options it takes
(:mod:`divergences._options`) and computes the result; ``method="auto"``
takes the first applicable entry of the table, so the order of the table
*is* the auto policy, written down once.
"""

from dataclasses import dataclass, field
from typing import Callable, Optional

from ._options import check_options
from .exceptions import MethodError

__all__ = ["Method", "Permutation", "resolve_method", "run_method", "method_names", "planned"]


@dataclass(frozen=True)
class Permutation:
    """What a permutation test of a method's statistic may reuse across the splits.

    Facts of the method, read by :func:`divergences.two_sample_test`, so that
    the test asks what a statistic allows, never which divergence it is.

    Attributes
    ----------
    null : str or None
        The pooled structure every split's statistic is read from, computed
        once for all of them: ``"pooled kernel sums"`` (a kernel statistic,
        a quadratic form in the labels: needs ``details["kernel"]`` and
        ``details["unbiased"]``), ``"pooled sorted projections"`` (sliced W),
        ``"pooled neighbour lists"`` (the fixed-k k-NN KL), ``"pooled neighbour
        counts"`` (the pooled k-NN JS). None (default):
        every split is recomputed from scratch.
    seeded : bool
        The method draws random numbers (directions, folds, a network): the
        test draws one seed from its ``rng=`` and gives the same to the
        observed statistic and to every split, so that the null is that of
        one fixed statistic.
    defaults : mapping
        Options the test sets unless the call gives them (the k-NN KL's
        ``variant="fixed"``, whose null is read from the pooled lists).
    held_fixed : tuple of str
        Options the statistic may choose from the data and records under the
        same name in ``details`` (MMD's median-heuristic ``bandwidth``): the
        observed choice is passed on to every split.
    """

    null: Optional[str] = None
    seeded: bool = False
    defaults: tuple = ()
    held_fixed: tuple = ()

    def __post_init__(self):
        defaults = self.defaults.items() if hasattr(self.defaults, "items") else self.defaults
        object.__setattr__(self, "defaults", tuple(defaults))
        object.__setattr__(self, "held_fixed", tuple(self.held_fixed))


#: A method whose statistic a permutation test recomputes for every split.
RECOMPUTED = Permutation()


@dataclass(frozen=True)
class Method:
    """One way of computing a divergence.

    Attributes
    ----------
    name : str
        The user-facing name (``method=name``).
    applies : callable (p, q, options) -> bool
        Whether the method can compute the divergence between ``p`` and ``q``
        with the given options.
    compute : callable (p, q, **options) -> DivergenceResult
        The computation itself; the measures are already validated.
    requires : str
        What the method needs, in words, for error messages
        (e.g. "two histograms on the same bins").
    auto : bool
        Whether ``method="auto"`` may pick it.
    options : tuple of divergences._options.Option
        The keyword options ``compute`` takes, declared once: checked by
        :func:`run_method` before the call, printed by ``divergences methods``.
    permutation : Permutation
        What :func:`divergences.two_sample_test` may reuse of its statistic
        across permutations (default: nothing, every split recomputed).
    """

    name: str
    applies: Callable
    compute: Callable
    requires: str
    auto: bool = True
    options: tuple = ()
    permutation: Permutation = field(default=RECOMPUTED, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "options", tuple(self.options))

    @property
    def implemented(self):
        """False for a placeholder made by :func:`planned`."""
        return not getattr(self.compute, "planned", False)


def method_names(table):
    """The method names of a table, in auto-preference order."""
    return tuple(m.name for m in table)


def resolve_method(table, method, p, q, options, divergence):
    """Pick the method to run.

    Parameters
    ----------
    table : sequence of Method
        The divergence's methods, in auto-preference order.
    method : str
        ``"auto"`` or one of the names in ``table``.
    p, q : Measure
    options : dict
        The keyword options of the call (some methods apply only with some).
    divergence : str
        The public function's name, for messages.

    Raises
    ------
    MethodError
        For an unknown method, or one that does not apply to ``p`` and ``q``;
        the message lists the methods that do.
    """
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {type(method).__name__}.")
    applicable = [m for m in table if m.applies(p, q, options)]
    if method == "auto":
        for candidate in applicable:
            if candidate.auto:
                return candidate
        raise MethodError(
            f"{divergence}: no method applies to {_describe(p)} and {_describe(q)}. "
            + _requirements(table)
        )
    by_name = {m.name: m for m in table}
    if method not in by_name:
        names = ", ".join(repr(n) for n in ("auto", *by_name))
        raise MethodError(f"{divergence}: unknown method {method!r}; choose one of {names}.")
    chosen = by_name[method]
    if chosen not in applicable:
        others = ", ".join(repr(m.name) for m in applicable) or "none"
        raise MethodError(
            f"{divergence}: method={method!r} needs {chosen.requires}, but got "
            f"{_describe(p)} and {_describe(q)}. Methods that apply here: {others}."
        )
    return chosen


def _describe(measure):
    if measure.kind == "density":
        return f"a density ({measure!r})"
    return f"{measure.kind} ({measure!r})"


def _requirements(table):
    return "Available methods: " + "; ".join(f"{m.name!r} needs {m.requires}" for m in table) + "."


def run_method(chosen, p, q, options, divergence):
    """Call ``chosen.compute(p, q, **options)`` once the options pass ``chosen.options``.

    An option that the chosen method would silently ignore (``k=`` for an
    exact method, say) is an error: the caller believes it had an effect. So
    are a required one left out and a value of the wrong type or range
    (:func:`divergences._options.check_options`, the one place they are checked).
    """
    check_options(chosen, options, divergence)
    return chosen.compute(p, q, **options)


def planned(divergence, name, what):
    """A placeholder ``compute`` for a method that is designed but not built yet.

    It raises :class:`NotImplementedError` naming the method, so that ``auto``
    can still route to it and the user learns exactly what is missing.
    """

    def compute(p, q, **options):
        raise NotImplementedError(
            f"{divergence}(method={name!r}) -- {what} -- is not implemented yet in this "
            "version of divergences."
        )

    compute.planned = True
    return compute
