"""Result objects: a value, and how it was obtained.

Every divergence returns one of these instead of a bare float, so that the
method used, the unit, the sample sizes, the standard error and, for the
iterative solvers, convergence travel with the number. ``float(result)``
gives the value, so results drop into arithmetic and formatting unchanged.
"""

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from ._constants import LOG2

__all__ = ["DivergenceResult", "OTResult", "in_base"]


@dataclass(frozen=True, kw_only=True)
class DivergenceResult:
    """The value of a divergence and the facts of its computation.

    Attributes
    ----------
    value : float
        The divergence, in ``unit``. May be ``inf`` only where the divergence
        itself is infinite, and then ``note`` says why.
    divergence : str
        What was computed: ``"kl"``, ``"js"``, ``"js_distance"``,
        ``"wasserstein"``, ``"sinkhorn"``.
    method : str
        The method that produced the value; with ``method="auto"`` this is the
        method that was picked.
    unit : str
        ``"nats"``, ``"bits"`` (``base=2``), ``"log{base}"`` for another base, or
        ``"distance"`` (the ground distance's unit) for transport distances.
    sizes : tuple of (int or None)
        Number of sample points (or histogram bins) behind each argument;
        ``None`` for an argument given as a density.
    stderr : float or None
        Standard error of an estimate; ``0.0`` for exact values and ``None``
        where the method cannot tell.
    converged : bool
        False when an iterative method stopped before meeting its tolerance.
    note : str
        A human-readable remark, e.g. why the value is infinite.
    details : dict
        Method-specific extra information (never needed to use ``value``).

    The ``repr`` shows the value to six significant digits and the standard
    error to three; ``float(result)`` and ``result.value`` hold every digit.

    Examples
    --------
    >>> import divergences as dv
    >>> r = dv.kl_divergence(dv.Histogram([0.5, 0.5]), dv.Histogram([0.9, 0.1]))
    >>> r
    DivergenceResult(kl: value=0.510826, method='exact', unit='nats', sizes=(2, 2))
    >>> f"{float(r):.12f}"
    '0.510825623766'
    """

    value: float
    divergence: str
    method: str
    unit: str = "nats"
    sizes: tuple = (None, None)
    stderr: float | None = None
    converged: bool = True
    note: str = ""
    details: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "value", float(self.value))
        if math.isnan(self.value):
            # A NaN here is always a bug upstream: refuse to hand it out.
            raise FloatingPointError(
                f"{self.divergence} ({self.method}) produced NaN; please report this as a bug."
            )

    def __float__(self):
        return self.value

    def __format__(self, spec):
        return format(self.value, spec) if spec else repr(self)

    @property
    def is_exact(self):
        """True when the value is exact up to rounding (no sampling error)."""
        return self.stderr == 0.0

    def interval(self, level=0.95):
        """The sampling interval ``value +- z stderr`` at ``level``, within the divergence's range.

        ``z`` is the normal quantile of ``(1 + level) / 2``; the interval is cut
        to the values the divergence can take (every divergence here but the
        Sinkhorn divergence is >= 0, JS <= log 2 and the JS distance
        <= sqrt(log 2), in the result's unit).
        It is ``(value, value)`` for an exact value and ``None`` where the
        method gives no standard error. Where the estimator records a bound
        on its bias measured on the calibration grid (``details["bias_bound"]``,
        in nats: the k-NN KL's default variant) the interval is widened by it on
        both sides, ``value +- (z stderr + bias_bound)``: if the bias is within
        the bound, the interval covers at least as often as ``level`` says.
        Where the estimator's own check failed (``details["reliable"] is
        False``) the interval is the divergence's whole range, or, where the
        check found a bias that can only lower the estimate
        (``details["ci_holds"] == "lower"``: the k-NN heavy-tail check), it
        keeps its lower end and reaches the top of the range.
        Without a bias bound it accounts for sampling noise only:
        it covers the truth as often as ``level`` says only where the
        estimator's bias is small next to its standard error. That coverage
        is measured, per estimator and pair of laws, by
        ``benchmarks/bench_estimators.py`` (README, "Bias").

        Examples
        --------
        >>> import divergences as dv
        >>> r = dv.DivergenceResult(value=0.02, divergence="kl", method="knn", stderr=0.015)
        >>> [round(v, 4) for v in r.interval()]
        [0.0, 0.0494]
        """
        if self.stderr is None or not math.isfinite(self.value):
            return None
        if not 0.0 < level < 1.0:
            raise ValueError(f"level must lie strictly between 0 and 1, got {level!r}.")
        from scipy.special import ndtri

        # S_eps can be negative above order 2; every other divergence here is >= 0.
        floor = -math.inf if self.divergence == "sinkhorn" else 0.0
        ceiling = _ceiling(self.divergence, self.unit)
        unreliable = self.details.get("reliable") is False
        if unreliable and self.details.get("ci_holds") != "lower":
            return floor, ceiling  # an estimate that failed its own check bounds nothing
        half = float(ndtri(0.5 + 0.5 * level)) * self.stderr
        bias = self.details.get("bias_bound")
        if bias:
            half += bias / _nats_per_unit(self.unit)
        low, high = self.value - half, self.value + half
        if unreliable:  # a check found a bias that only lowers the estimate: keep the floor
            high = ceiling
        # (An estimate far outside the range, e.g. a k-NN KL below 0 by more than z
        # stderr, gives the range's end point, not an interval that ends below its start.)
        return min(max(low, floor), ceiling), max(min(high, ceiling), floor)

    @property
    def ci(self):
        """:meth:`interval` at 95%."""
        return self.interval(0.95)

    def __repr__(self):
        # Six significant digits, as a reader wants to see; float(result) has them all.
        parts = [f"value={_short(self.value)}", f"method={self.method!r}", f"unit={self.unit!r}"]
        if self.sizes != (None, None):
            parts.append(f"sizes={self.sizes}")
        if self.stderr is not None and self.stderr != 0.0:
            parts.append(f"stderr={self.stderr:.3g}")
        if not self.converged:
            parts.append("converged=False")
        if self.note:
            parts.append(f"note={self.note!r}")
        return f"{type(self).__name__}({self.divergence}: {', '.join(parts)})"


def _nats_per_unit(unit):
    """How many nats one ``unit`` holds (``"nats"``, ``"bits"``, ``"log{base}"``)."""
    if unit == "bits":
        return LOG2
    if unit.startswith("log"):
        return math.log(float(unit[3:]))
    return 1.0


def _ceiling(divergence, unit):
    """The largest value ``divergence`` can take in ``unit`` (inf where unbounded)."""
    if divergence not in ("js", "js_distance"):
        return math.inf
    log2 = {"nats": LOG2, "bits": 1.0}.get(unit)
    if log2 is None and unit.startswith("log"):
        log2 = LOG2 / math.log(float(unit[3:]))
    if log2 is None:
        return math.inf
    return log2 if divergence == "js" else math.sqrt(log2)


@dataclass(frozen=True, kw_only=True, repr=False)
class OTResult(DivergenceResult):
    """A transport distance, with the solver's certificate.

    Attributes
    ----------
    order : float
        The order ``p`` of W_p; ``value`` is W_p itself, not its p-th power.
    cost : float
        The optimal transport cost ``min E|x - y|^p`` (``value ** order`` for
        exact methods; the regularised cost for entropic ones).
    plan : ndarray or scipy.sparse matrix or None
        The optimal coupling, when asked for with ``return_plan=True``.
    potentials : tuple of ndarray or None
        Dual potentials ``(f, g)`` where the method has them.
    n_iter : int or None
        Iterations used by an iterative solver.
    marginal_error : float or None
        L1 violation of the marginal constraints by the returned plan.
    """

    divergence: str = "wasserstein"
    unit: str = "distance"
    order: float = 1.0
    cost: float = math.nan
    plan: object = field(default=None, compare=False)
    potentials: tuple | None = field(default=None, compare=False)
    n_iter: int | None = None
    marginal_error: float | None = None

    @classmethod
    def from_cost(cls, cost, *, order, **fields):
        """The result of a transport cost ``min E|x - y|^order``: ``value = cost ** (1 / order)``.

        The one place where a solver's cost becomes W_p: a cost below zero
        (rounding of a nearly zero one) is taken as zero, so that its root
        exists. Every other field as in the class.

        Examples
        --------
        >>> from divergences.results import OTResult
        >>> r = OTResult.from_cost(4.0, order=2.0, method="exact", sizes=(3, 3))
        >>> r.value, r.cost, r.order
        (2.0, 4.0, 2.0)
        >>> OTResult.from_cost(-1e-17, order=2.0, method="exact").value
        0.0
        """
        return cls(**cls.cost_fields(cost, order), **fields)

    @staticmethod
    def cost_fields(cost, order):
        """``value``, ``cost`` and ``order`` of :meth:`from_cost`, as a dict (for solvers that
        adjust the fields before making the result)."""
        cost = max(float(cost), 0.0)
        order = float(order)
        return {"value": cost ** (1.0 / order), "cost": cost, "order": order}

    def __post_init__(self):
        super().__post_init__()
        if math.isnan(self.cost):
            object.__setattr__(self, "cost", self.value**self.order)
        if self.potentials is not None:
            object.__setattr__(
                self, "potentials", tuple(np.asarray(f, dtype=np.float64) for f in self.potentials)
            )


def _short(value):
    """``value`` to six significant digits, still reading as a float (``5.0``, not ``5``)."""
    text = f"{value:.6g}"
    return text if any(c in text for c in ".ein") else text + ".0"


def _unit_name(base):
    if base is None or base == math.e:
        return "nats"
    if base == 2:
        return "bits"
    return f"log{base:g}"


def in_base(result, base):
    """Express an information-theoretic result, computed in nats, in ``base`` logs."""
    if base is None or base == math.e:
        return result
    divisor = math.log(base)
    stderr = None if result.stderr is None else result.stderr / divisor
    return dataclasses.replace(
        result, value=result.value / divisor, stderr=stderr, unit=_unit_name(base)
    )
