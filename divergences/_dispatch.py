"""Choosing a method: the registry shared by every divergence.

Each divergence keeps an ordered table of :class:`Method` entries. A method
states which pairs of measures it applies to and computes the result;
``method="auto"`` takes the first applicable entry of the table, so the order
of the table *is* the auto policy, written down once.
"""

import functools
import inspect
from dataclasses import dataclass
from typing import Callable

from .exceptions import MethodError

__all__ = ["Method", "resolve_method", "run_method", "method_names", "planned"]


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
    """

    name: str
    applies: Callable
    compute: Callable
    requires: str
    auto: bool = True

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
    """Call ``chosen.compute(p, q, **options)``, rejecting options it does not take.

    An option that the chosen method would silently ignore (``k=`` for an
    exact method, say) is an error: the caller believes it had an effect.
    """
    parameters = _parameters(chosen.compute)
    _check_required(chosen, parameters, options, divergence)
    if any(par.kind is par.VAR_KEYWORD for par in parameters.values()):
        return chosen.compute(p, q, **options)
    accepted = [name for name, par in parameters.items() if par.kind is par.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        takes = ", ".join(accepted) if accepted else "no options"
        raise TypeError(
            f"{divergence}(method={chosen.name!r}) does not take "
            f"{', '.join(repr(u) for u in unknown)}; it takes: {takes}."
        )
    return chosen.compute(p, q, **options)


@functools.lru_cache(maxsize=256)
def _parameters(compute):
    """``compute``'s parameters, read once (inspect.signature costs ~0.1 ms a call)."""
    return inspect.signature(compute).parameters


def _check_required(chosen, parameters, options, divergence):
    """A required option left out is named with what it is, not as a missing argument."""
    missing = [
        name for name, par in parameters.items()
        if par.kind is par.KEYWORD_ONLY and par.default is par.empty and name not in options
    ]
    if missing:
        helps = getattr(chosen.compute, "required_help", {})
        what = "; ".join(
            f"{name}=..., {helps[name]}" if name in helps else f"{name}=..." for name in missing
        )
        raise TypeError(f"{divergence}(method={chosen.name!r}) needs {what}.")


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
