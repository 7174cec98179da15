"""Divergences by name: one :class:`DivergenceInfo` record each.

Everything the library knows about a divergence -- its public function, its
method table, whether it is symmetric, its unit, the options it takes and the
GAN objective that trains against it -- is written once, in its record.
:func:`divergence`, :func:`divergences.pairwise`, the ``divergences`` command
(``compute``, ``pairwise``, ``test``, ``methods``) and
:func:`divergences.two_sample_test` read it from here and from nowhere else,
so a divergence added with :func:`register` works in all of them (see
CONTRIBUTING.md for the recipe). In the spirit of scipy's ``MetricInfo``
records behind :func:`scipy.spatial.distance.cdist`.

:data:`DIVERGENCES` is the read-only view name -> public function;
:data:`DIVERGENCE_INFO` the view name -> record.
"""

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Union

from .exceptions import MethodError
from .jensen_shannon import JS_METHODS, js_distance, js_divergence
from .kernel_distances import MMD_METHODS, energy_distance, kernel_unit, mmd
from .kl import KL_METHODS, kl_divergence
from .results import _unit_name
from ._wasserstein import SINKHORN_METHODS, WASSERSTEIN_METHODS, sinkhorn_divergence, wasserstein

__all__ = [
    "divergence",
    "divergence_function",
    "divergence_info",
    "kinds_taking",
    "register",
    "unregister",
    "DivergenceInfo",
    "DIVERGENCES",
    "DIVERGENCE_INFO",
    "UNIT_KINDS",
]

#: The kinds of unit a divergence's values come in, in words (``divergences methods``).
UNIT_KINDS = MappingProxyType({
    "log": "information, in nats; base= sets the logarithm (base=2: bits)",
    "transport": "the ground distance's unit (the cost is |x - y|^order)",
    "kernel": "the kernel's units (kernel= and squared= say which)",
    "fixed": "one unit, always the same",
})


def log_unit(options):
    """The unit of an information divergence called with ``options``: nats, bits, log<b>."""
    return _unit_name(options.get("base"))


@dataclass(frozen=True)
class DivergenceInfo:
    """What the library knows about one divergence: one record, read by every layer above.

    Attributes
    ----------
    name : str
        The name :func:`divergence`, ``pairwise(kind=...)``, the command line
        and :func:`divergences.gan.train` use.
    function : callable ``function(p, q, /, *, method="auto", **options)``
        The public function; it returns a result with ``value``, ``unit``,
        ``method``, ``stderr`` and ``converged``.
    methods : tuple of divergences._dispatch.Method
        Its method table, in ``method="auto"`` order.
    symmetric : bool
        ``D(P, Q) == D(Q, P)``: a matrix of it computes each unordered pair once.
    unit_kind : str
        A key of :data:`UNIT_KINDS`.
    unit : str or callable ``unit(options) -> str``
        The unit of its values for the given call options, known without a
        call (a matrix of identical sets has no result to read it from).
    options : tuple of str
        The options of the function itself, beside ``method=`` and the
        methods' own (``"base"`` for log units, ``"order"`` for transport
        costs): the command line offers ``--base`` and ``--order`` to the
        kinds that take them.
    gan_objective : str, callable or None
        What trains a generator against it in :func:`divergences.gan.train`:
        the name of one of the library's objectives
        (:data:`divergences.gan.OBJECTIVES`), or a factory
        ``factory(**options) -> Objective`` -- typically a subclass of
        :class:`divergences._objective.Objective` written in the divergence's
        own module, so that a new divergence trains with no edit in ``gan/``.
        None: no GAN objective.
    summary : str
        One line, for ``divergences methods``.
    """

    name: str
    function: Callable
    methods: tuple
    symmetric: bool
    unit_kind: str
    unit: Union[str, Callable] = field(repr=False)
    options: tuple = ()
    gan_objective: Union[str, Callable, None] = None
    summary: str = ""

    def __post_init__(self):
        if not (isinstance(self.name, str) and self.name.isidentifier()):
            raise ValueError(f"name must be an identifier-like string, got {self.name!r}.")
        if not callable(self.function):
            raise TypeError(f"function must be callable, got {self.function!r}.")
        if self.unit_kind not in UNIT_KINDS:
            raise ValueError(
                f"unit_kind must be one of {', '.join(map(repr, UNIT_KINDS))}, "
                f"got {self.unit_kind!r}."
            )
        if not (isinstance(self.unit, str) or callable(self.unit)):
            raise TypeError(f"unit must be a string or unit(options) -> str, got {self.unit!r}.")
        if not self.methods:
            raise ValueError(f"{self.name}: give a method table (one Method at least).")
        if not (self.gan_objective is None or isinstance(self.gan_objective, str)
                or callable(self.gan_objective)):
            raise TypeError(
                f"{self.name}: gan_objective must be an objective's name, a factory "
                f"factory(**options) -> Objective, or None; got {self.gan_objective!r}."
            )
        object.__setattr__(self, "methods", tuple(self.methods))
        object.__setattr__(self, "options", tuple(self.options))

    def unit_for(self, options):
        """The unit of the values a call with ``options`` returns."""
        return self.unit if isinstance(self.unit, str) else self.unit(options)

    @property
    def gan_objective_name(self):
        """The GAN objective in words: its name (a factory's ``name``, else its ``__name__``), or None."""
        objective = self.gan_objective
        if objective is None or isinstance(objective, str):
            return objective
        return getattr(objective, "name", None) or getattr(objective, "__name__", repr(objective))

    @property
    def method_names(self):
        """The method names, in ``method="auto"`` order."""
        return tuple(m.name for m in self.methods)


_INFO = {}
_FUNCTIONS = {}

#: Every divergence the library computes, by the name :func:`divergence`,
#: the command line and :func:`divergences.gan.train` use (read-only).
DIVERGENCES = MappingProxyType(_FUNCTIONS)

#: The record of every divergence, by name (read-only; add one with :func:`register`).
DIVERGENCE_INFO = MappingProxyType(_INFO)


def register(info, *, replace=False):
    """Add the divergence of the record ``info`` to every layer at once.

    Parameters
    ----------
    info : DivergenceInfo
    replace : bool
        Allow replacing a record of the same name (default: an error).

    Returns
    -------
    DivergenceInfo
        ``info``, so that a module can write ``INFO = register(DivergenceInfo(...))``.
    """
    if not isinstance(info, DivergenceInfo):
        raise TypeError(f"register takes a DivergenceInfo, got {type(info).__name__}.")
    if info.name in _INFO and not replace:
        raise ValueError(f"a divergence called {info.name!r} is registered already.")
    _INFO[info.name] = info
    _FUNCTIONS[info.name] = info.function
    return info


def unregister(name):
    """Remove the divergence called ``name`` (one added by :func:`register`)."""
    divergence_info(name)
    del _INFO[name], _FUNCTIONS[name]


def _unknown(kind):
    names = ", ".join(repr(name) for name in DIVERGENCES)
    return MethodError(f"unknown divergence kind {kind!r}; choose one of {names}.")


def divergence_info(kind):
    """The record of the divergence called ``kind``; a clear error for an unknown one.

    Examples
    --------
    >>> from divergences.registry import divergence_info
    >>> info = divergence_info("kl")
    >>> info.symmetric, info.unit_for({"base": 2}), info.method_names[:2]
    (False, 'bits', ('exact', 'knn'))
    """
    try:
        return _INFO[kind]
    except (KeyError, TypeError):
        raise _unknown(kind) from None


def divergence_function(kind):
    """The public function of the divergence called ``kind``; a clear error for an unknown one."""
    try:
        return DIVERGENCES[kind]
    except (KeyError, TypeError):
        raise _unknown(kind) from None


def kinds_taking(option):
    """The names of the divergences whose function takes ``option`` (``"base"``, ``"order"``)."""
    return tuple(name for name, info in _INFO.items() if option in info.options)


def divergence(p, q, /, kind, **options):
    """Compute the divergence called ``kind`` between ``p`` and ``q``.

    Parameters
    ----------
    p, q : Measure, array_like or frozen scipy.stats distribution
    kind : str
        One of the keys of :data:`DIVERGENCES`: ``"kl"``, ``"js"``,
        ``"js_distance"``, ``"wasserstein"``, ``"sinkhorn"``,
        ``"energy_distance"``, ``"mmd"``.
    **options
        Passed on to the divergence's function (``method=``, ``base=``,
        ``order=``, ...).

    Examples
    --------
    >>> import divergences as dv
    >>> p, q = dv.Histogram([0.5, 0.5]), dv.Histogram([0.25, 0.75])
    >>> float(dv.divergence(p, q, "js")) == float(dv.js_divergence(p, q))
    True
    """
    return divergence_function(kind)(p, q, **options)


def _mmd_unit(options):
    return kernel_unit(options.get("kernel", "gaussian"), options.get("squared", True))


for _info in (
    DivergenceInfo(
        "kl", kl_divergence, KL_METHODS, symmetric=False, unit_kind="log", unit=log_unit,
        options=("base",), gan_objective="kl",
        summary="Kullback-Leibler divergence KL(P||Q) = E_P[log p/q]",
    ),
    DivergenceInfo(
        "js", js_divergence, JS_METHODS, symmetric=True, unit_kind="log", unit=log_unit,
        options=("base",), gan_objective="js",
        summary="Jensen-Shannon divergence, 0 <= JS <= log 2",
    ),
    DivergenceInfo(
        "js_distance", js_distance, JS_METHODS, symmetric=True, unit_kind="log", unit=log_unit,
        options=("base",), gan_objective="js_distance",
        summary="Jensen-Shannon distance sqrt(JS), a metric",
    ),
    DivergenceInfo(
        "wasserstein", wasserstein, WASSERSTEIN_METHODS, symmetric=True,
        unit_kind="transport", unit="distance", options=("order",), gan_objective="wasserstein",
        summary="Wasserstein distance W_p = (min E|x - y|^p)^(1/p)",
    ),
    DivergenceInfo(
        "sinkhorn", sinkhorn_divergence, SINKHORN_METHODS, symmetric=True,
        unit_kind="transport", unit="distance", options=("eps", "order"),
        gan_objective="sinkhorn",
        summary="debiased Sinkhorn divergence S_eps, in cost units",
    ),
    DivergenceInfo(
        "energy_distance", energy_distance, MMD_METHODS, symmetric=True, unit_kind="fixed",
        unit="distance", options=("unbiased",), gan_objective="energy_distance",
        summary="energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'|",
    ),
    DivergenceInfo(
        "mmd", mmd, MMD_METHODS, symmetric=True, unit_kind="kernel", unit=_mmd_unit,
        options=("kernel", "bandwidth", "squared", "unbiased"), gan_objective="mmd",
        summary="maximum mean discrepancy (squared by default)",
    ),
):
    register(_info)
del _info
