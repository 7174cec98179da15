"""Helpers shared by the transport solvers."""

import math

import numpy as np

# Re-exported for the solvers: the one home of these readings is :mod:`divergences.measures`.
from ..measures import is_point_cloud, point_cloud

__all__ = [
    "point_cloud", "is_point_cloud", "is_uniform", "dense_memory_limit", "check_dense_fits",
    "LengthScale",
]


def is_uniform(measure):
    """True when every atom carries the same mass (no weights given)."""
    return measure.kind == "samples" and measure.is_uniform



def dense_memory_limit():
    """Bytes a dense method may use: half of this machine's physical memory."""
    import os

    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


# Dense arrays this small fit on any machine the library runs on.
_ALWAYS_FITS = 64 * 2**20


def check_dense_fits(n, m, matrices, method, alternative, max_memory=None):
    """Refuse a dense method whose ``matrices`` n-by-m float64 arrays would not fit."""
    from ..exceptions import DenseMemoryError

    needed = 8 * n * m * matrices
    if max_memory is None and needed <= _ALWAYS_FITS:
        return  # not worth asking the OS (two system calls, on every small solve)
    limit = dense_memory_limit() if max_memory is None else max_memory
    if needed > limit:
        raise DenseMemoryError(
            f"method={method!r} needs {matrices} dense {n}x{m} matrices ({needed / 2**30:.1f} GiB), "
            f"more than the {limit / 2**30:.1f} GiB allowed; use method={alternative!r}, "
            "which computes costs on the fly in O(n + m) memory."
        )


class LengthScale:
    """The scale the transport solvers work at: points divided by a power of two ``s``.

    Costs ``|x - y|^p`` are homogeneous in the points, ``W_p(sX, sY) = s
    W_p(X, Y)``, so every solver works on ``x / s`` and ``y / s``, where ``s``
    is the least power of two at or above the clouds' joint diameter: all
    costs are then at most 1 and can neither overflow (data at 1e200, or
    ``order=400``) nor lose the problem to underflow (data at 1e-170, whose
    squared distances are below the smallest float). Costs too small to
    represent after the scaling are below ``1e-308`` of the largest one, far
    inside every solver's tolerance. Dividing by a power of two is exact, so
    for orders 1 and 2 the solvers see bit for bit the problem they would at
    unit scale, and the answer only gains its factor back.

    Other ground metrics (:mod:`divergences.ot._ground`): ``degree`` is the
    metric's degree of homogeneity, 1 for the norms, 2 for the squared
    Euclidean metric (whose costs scale as ``s^(2p)`` and W as ``s^2``);
    ``degree=None`` (a metric not known to be homogeneous) leaves the points
    as they are (``s = 1``, no shift).

    Attributes
    ----------
    length : float
        ``s``; 1.0 when all the points coincide.
    order : float
        ``degree * p``: quantities in cost units scale by ``s^order``.
    degree : float
        Lengths (the value W_p) scale by ``s^degree``.
    """

    def __init__(self, x, y, order, degree=1.0):
        self.degree = 1.0 if degree is None else float(degree)
        self.order = float(order) * self.degree
        if degree is None:
            self.exponent, self.length, self.shift = 0, 1.0, None
            return
        low = np.minimum(x.min(axis=0), y.min(axis=0))
        high = np.maximum(x.max(axis=0), y.max(axis=0))
        # The diameter without overflow: the largest side, then the norm of the sides over it.
        sides = high - low
        largest = float(sides.max())
        diameter = largest * float(np.linalg.norm(sides / largest)) if largest > 0.0 else 0.0
        self.exponent = int(np.frexp(diameter)[1]) if diameter > 0.0 else 0
        self.length = float(np.ldexp(1.0, self.exponent))
        # Far from the origin, a cloud much smaller than its distance to it
        # would overflow when divided by s: move it (costs are translation
        # invariant) -- only then, since the shift rounds.
        magnitude = max(float(np.abs(low).max()), float(np.abs(high).max()))
        far = magnitude > 0.0 and np.frexp(magnitude)[1] - self.exponent > 1000
        self.shift = 0.5 * low + 0.5 * high if far else None

    def points(self, x):
        """``x / s`` (exactly), moved to the origin first if it is far from it."""
        if self.shift is not None:
            x = x - self.shift
        return np.ldexp(x, -self.exponent)

    def to_cost_units(self, value):
        """``value * s^p`` (float or array), overflowing to inf only if the product does."""
        power = self.exponent * self.order
        whole = math.floor(power)
        if (power == whole and type(value) is np.ndarray and value.dtype == np.float64
                and value.ndim > 0):
            # An array (the potentials) at an integer power: one exact pass.
            with np.errstate(over="ignore", under="ignore"):
                return np.ldexp(value, int(whole))
        if isinstance(value, float) and power == whole:
            # The common case (orders 1 and 2, a float): exact, without numpy's overhead.
            try:
                return math.ldexp(value, whole)
            except OverflowError:
                return math.copysign(math.inf, value)
        with np.errstate(over="ignore", under="ignore"):
            scaled = np.ldexp(np.asarray(value, dtype=np.float64) * 2.0 ** (power - whole), whole)
        return float(scaled) if np.ndim(scaled) == 0 else scaled

    def from_cost_units(self, value):
        """``value / s^p``, as :meth:`to_cost_units`."""
        power = -self.exponent * self.order
        whole = math.floor(power)
        with np.errstate(over="ignore", under="ignore"):
            return float(np.ldexp(float(value) * 2.0 ** (power - whole), whole))

    def to_length(self, value):
        """``value * s^degree`` (``s`` for the norms)."""
        try:
            return math.ldexp(float(value), int(self.exponent * self.degree))
        except OverflowError:
            return math.copysign(math.inf, float(value))

    def restore(self, result, cost_details=(), value_in_cost_units=False):
        """``result`` of the scaled problem, in the caller's units.

        ``value`` and ``stderr`` (times ``s``, or ``s^p`` for ``value_in_cost_units``),
        ``cost``, ``potentials`` and the ``details`` named in
        ``cost_details`` (times ``s^p``); plan, marginal error and iteration
        counts are scale free. A cost that over- or underflows float64 when
        brought back is reported as such in ``note``, with the scaled value
        kept in ``details["scaled_cost"]`` (``cost = scaled_cost *
        length_scale ** order``).
        """
        import dataclasses

        if self.exponent == 0 and self.shift is None:
            return result
        fields = {"value": result.value, "cost": result.cost, "stderr": result.stderr,
                  "potentials": result.potentials, "details": result.details,
                  "note": result.note}
        return dataclasses.replace(
            result, **self.restore_fields(fields, cost_details, value_in_cost_units))

    def restore_fields(self, fields, cost_details=(), value_in_cost_units=False):
        """:meth:`restore` on a result's fields before it is made (one construction, not two).

        ``fields`` holds ``value``, ``cost`` and optionally ``stderr``,
        ``potentials``, ``details`` and ``note``; a new dict is returned.
        """
        fields = dict(fields)
        if self.exponent == 0 and self.shift is None:
            return fields
        unscale = self.to_cost_units if value_in_cost_units else self.to_length
        scaled_value, scaled_cost = fields["value"], fields["cost"]
        value = unscale(scaled_value)
        stderr = fields.get("stderr")
        cost = self.to_cost_units(scaled_cost)
        details = dict(fields.get("details") or {})
        for key in cost_details:
            if key in details:
                details[key] = self.to_cost_units(details[key])
        details["length_scale"] = self.length
        note = fields.get("note")
        if _lost(scaled_cost, cost) or _lost(scaled_value, value):
            details["scaled_cost"] = scaled_cost
            details["scaled_value"] = scaled_value
            lost = "overflows" if abs(cost) == math.inf or abs(value) == math.inf else "underflows"
            what = "value and cost" if _lost(scaled_value, value) else "cost"
            note = (
                f"{note}; " if note else ""
            ) + (
                f"the {what} {lost} float64 in the caller's units (length scale "
                f"{self.length:.3g}, order {self.order:g}): details['scaled_cost'] * "
                f"length_scale**order is the cost"
            )
        potentials = fields.get("potentials")
        if potentials is not None:
            potentials = tuple(self.to_cost_units(f) for f in potentials)
        fields.update(value=value, cost=cost, details=details, note=note, potentials=potentials,
                      stderr=None if stderr is None else unscale(stderr))
        return fields


def _lost(scaled, restored):
    """True when bringing a non-zero finite value back over- or underflowed."""
    return math.isfinite(scaled) and scaled != 0.0 and (restored == 0.0 or not math.isfinite(restored))
