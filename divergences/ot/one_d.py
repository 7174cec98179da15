"""W_p on the line, exactly, through quantile functions.

In one dimension W_p(P, Q)^p = int_0^1 |F^-1(t) - G^-1(t)|^p dt, where F^-1
and G^-1 are the quantile functions. For discrete measures the integrand is
a step function and the integral is one merge of the sorted atoms (a Numba
kernel); for two uniforms it has a closed form; for other densities with a
quantile function it is computed by adaptive quadrature.
"""

import math

import numpy as np

from ..measures import Uniform
from ..results import OTResult
from ._common import LengthScale, is_point_cloud, is_uniform, point_cloud

__all__ = ["applies", "solve", "wasserstein_1d_cost", "upper_quantile", "tail_exponent"]


def applies(p, q, options):
    """Two 1-D measures, both discrete or both densities with quantile functions."""
    if p.dim != 1 or q.dim != 1:
        return False
    if is_point_cloud(p) and is_point_cloud(q):
        return True
    return p.kind == q.kind == "density" and p.has_ppf and q.has_ppf


def wasserstein_1d_cost(x, y, a=None, b=None, order=1.0):
    """The optimal cost W_p^p between two weighted sets of reals.

    Parameters
    ----------
    x, y : ndarray, shape (n,) and (m,)
        The atoms, in any order.
    a, b : ndarray, optional
        Their weights, each summing to one; uniform when omitted.
    order : float
        The exponent p >= 1 of the cost ``|x - y|^p``.
    """
    from .._kernels.one_d import transport_cost_sorted, transport_cost_sorted_uniform

    if a is None and b is None:
        return transport_cost_sorted_uniform(np.sort(x), np.sort(y), order)
    a = np.full(x.shape[0], 1.0 / x.shape[0]) if a is None else a
    b = np.full(y.shape[0], 1.0 / y.shape[0]) if b is None else b
    # The order among tied atoms does not change the cost, so no stable sort is needed.
    ix, iy = np.argsort(x), np.argsort(y)
    return transport_cost_sorted(x[ix], a[ix], y[iy], b[iy], order)


def _uniform_cost(p, q, order):
    """int_0^1 |A + B t|^p dt for the affine quantile difference of two uniforms.

    Written so that no branch cancels: ``(F(A + B) - F(A)) / B`` with the
    antiderivative ``F`` loses every digit when the widths are nearly equal
    (B tiny next to A), e.g. after translating or scaling both boxes.
    """
    start = p.low[0] - q.low[0]  # A: the quantile difference at t = 0
    end = p.high[0] - q.high[0]  # A + B: at t = 1
    if (start < 0.0) != (end < 0.0) and start != 0.0 and end != 0.0:
        # The difference changes sign: the two pieces add, |B| = |A| + |A + B|.
        a, b = abs(start), abs(end)
        return (a ** (order + 1) + b ** (order + 1)) / ((order + 1) * (a + b))
    low, high = sorted((abs(start), abs(end)))
    if high == 0.0:
        return 0.0
    if low == 0.0:
        return high**order / (order + 1)
    ratio = (high - low) / low
    if ratio > 1.0:
        # high >= 2 low: the difference of powers keeps at least half its digits.
        return (high ** (order + 1) - low ** (order + 1)) / ((order + 1) * (high - low))
    if ratio == 0.0:
        return low**order
    # The divided difference of t^(p+1) at low and high, as
    # low^p ((1 + r)^(p+1) - 1) / ((p+1) r) with expm1/log1p: accurate as r -> 0.
    return low**order * math.expm1((order + 1) * math.log1p(ratio)) / ((order + 1) * ratio)


# Chebyshev-like nodes in (0, 1), dense near both ends where quantiles change fast.
_CROSSING_GRID = 256


def _crossings(p, q):
    """Where the quantile difference F^-1 - G^-1 changes sign, in (0, 1).

    There the integrand |F^-1 - G^-1|^p has a kink; a Gauss--Kronrod rule on a
    wide interval can step over a kink near an end and report a tiny error
    estimate for a wrong value (W_1(U[0,1], U[-2^-9, 2-2^-9]) came out short by
    the 4e-6 of the small triangle). Splitting the integral there removes it.
    Sign changes are bracketed on a fixed grid (Chebyshev nodes, plus
    geometric ones down to 1e-14 from either end, plus the ends where the
    quantiles are finite), then located by Brent's method.
    """
    from scipy.optimize import brentq

    k = np.arange(1, _CROSSING_GRID)
    tails = np.geomspace(1e-14, 1e-4, 20)
    t = np.unique(np.concatenate([
        [0.0, 1.0], tails, 1.0 - tails, 0.5 * (1.0 - np.cos(np.pi * k / _CROSSING_GRID))
    ]))
    with np.errstate(invalid="ignore"):
        diff = np.asarray(p.ppf(t), dtype=np.float64) - np.asarray(q.ppf(t), dtype=np.float64)
    # Unbounded supports give infinite quantiles at 0 and 1: no sign there. Nodes
    # where the quantiles agree carry no sign either (identical laws have none).
    keep = np.isfinite(diff) & (diff != 0.0)
    t, sign = t[keep], np.sign(diff[keep])
    points = []
    for i in np.flatnonzero(sign[:-1] != sign[1:]):

        def gap(u):
            return float(p.ppf(u)) - float(q.ppf(u))

        points.append(brentq(gap, t[i], t[i + 1], xtol=1e-15, rtol=4 * np.finfo(float).eps))
    return sorted(set(points))


def _quadrature_cost(p, q, order):
    from scipy.integrate import quad

    def integrand(t):
        if not 0.0 < t < 1.0:
            return 0.0  # a null set, where unbounded quantiles would give inf - inf
        return abs(float(p.ppf(t)) - float(q.ppf(t))) ** order

    # |x|^p is smooth for even integer p: only other orders have kinks to split at.
    # One QAGS run per piece: each extrapolates through its ends' singularities
    # (Gaussian tails), which a single QAGP run with breakpoints does worse.
    smooth = float(order).is_integer() and int(order) % 2 == 0
    edges = [0.0, 1.0] if smooth else [0.0, *_crossings(p, q), 1.0]
    value = abserr = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        piece, error = quad(integrand, low, high, limit=200, epsabs=1e-13, epsrel=1e-11)
        value += piece
        abserr += error
    return value, abserr


def _solve_discrete(p, q, order):
    x, a = point_cloud(p)
    y, b = point_cloud(q)
    # Solved at unit scale, so that no cost over- or underflows (see LengthScale).
    length = LengthScale(x, y, order)
    x, y = length.points(x), length.points(y)
    uniform = is_uniform(p) and is_uniform(q)
    weights = (None, None) if uniform else (a, b)
    cost = wasserstein_1d_cost(x[:, 0], y[:, 0], *weights, order)
    result = OTResult.from_cost(
        cost,
        order=order,
        method="1d",
        sizes=(p.size, q.size),
        stderr=0.0,
        note="merge of sorted atoms",
    )
    return length.restore(result)


# Tail levels t (and 1 - t) where the quantile functions are read to tell whether
# |F^-1 - G^-1|^p is integrable; scipy's quantiles stay accurate this deep.
_TAIL_LEVELS = 10.0 ** -np.array([8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 300.0])
# A quantile difference this small next to the quantiles is rounding, not tail.
_TAIL_RESOLUTION = 1e-8
# |F^-1 - G^-1|^p ~ t^-beta is integrable iff beta < 1; beta is read off two
# levels 1e44 apart at least, to within 1e-6 for power tails (t, Cauchy,
# Pareto), so beta above 1 - _EXPONENT_SLACK is taken as 1 (the boundary
# itself, W_2 between t(2) and a normal, diverges like log).
_EXPONENT_SLACK = 1e-3


def upper_quantile(measure, s):
    """``F^-1(1 - s)`` for small ``s``, without forming ``1 - s`` where the law allows."""
    from ..measures import Gaussian, ScipyDensity

    if isinstance(measure, ScipyDensity):
        return np.asarray(measure.dist.isf(s), dtype=np.float64)
    if isinstance(measure, Gaussian):
        return -(measure.ppf(s) - measure.mean[0]) + measure.mean[0]
    if isinstance(measure, Uniform):
        return measure.high[0] - (measure.high[0] - measure.low[0]) * s
    # 1 - s keeps s only to about 1e-16: below that, unknown (NaN).
    s = np.asarray(s, dtype=np.float64)
    return np.where(s >= 1e-15, np.asarray(measure.ppf(1.0 - s), dtype=np.float64), np.nan)


def tail_exponent(values, levels):
    """``beta`` with ``values ~ levels^-beta`` at the deepest two usable levels (None if < 2)."""
    usable = np.isfinite(values) & (values > 0.0)
    values, levels = values[usable], levels[usable]
    if values.shape[0] < 2:
        return None
    return -float(np.log(values[-1] / values[-2]) / np.log(levels[-1] / levels[-2]))


def _tails(p, q, order):
    """The growth ``p beta`` of ``|F^-1 - G^-1|^p`` at each end, and of each law's ``|F^-1|^p``.

    Returns ``{"lower": (gap, P, Q), "upper": (gap, P, Q)}`` with exponents
    (or None where the quantiles cannot tell): the integrand behaves like
    ``t^-exponent`` as ``t -> 0`` (lower) or ``1 - t -> 0`` (upper).
    """
    out = {}
    for end in ("lower", "upper"):
        with np.errstate(all="ignore"):
            if end == "lower":
                levels = _TAIL_LEVELS
                qp, qq = (np.asarray(m.ppf(levels), dtype=np.float64) for m in (p, q))
            else:
                levels = _TAIL_LEVELS
                qp, qq = (upper_quantile(m, levels) for m in (p, q))
            gap = np.abs(qp - qq)
            # Where the difference is lost to rounding of the quantiles, it says nothing.
            resolved = gap > _TAIL_RESOLUTION * np.maximum(np.abs(qp), np.abs(qq))
            gap = np.where(resolved | (gap == 0.0), gap, np.nan)
            exponents = [
                tail_exponent(values, levels) for values in (gap, np.abs(qp), np.abs(qq))
            ]
        out[end] = tuple(None if e is None else order * e for e in exponents)
    return out


def _infinite_moment_note(tails, order):
    """Why W_p is infinite, or None where ``|F^-1 - G^-1|^p`` is integrable at both ends."""
    for end, (gap, own_p, own_q) in tails.items():
        if gap is None or gap < 1.0 - _EXPONENT_SLACK:
            continue
        lacking = [
            name
            for name, exponent in (("P", own_p), ("Q", own_q))
            if exponent is not None and exponent >= 1.0 - _EXPONENT_SLACK
        ]
        where = "t -> 0" if end == "lower" else "t -> 1"
        reason = (
            f"; {' and '.join(lacking)} {'has' if len(lacking) == 1 else 'have'} no finite "
            f"moment of order {order:g}"
            if lacking
            else ""
        )
        return (
            f"W_{order:g} is infinite: |F^-1(t) - G^-1(t)|^{order:g} grows like "
            f"{'t' if end == 'lower' else '(1 - t)'}^-{gap:.3g} as {where} (integrable only for "
            f"exponents below 1){reason}"
        )
    return None


def solve(p, q, *, order=1.0):
    """W_p between two 1-D measures; see the module docstring."""
    details = {}
    stderr = 0.0
    if is_point_cloud(p):
        return _solve_discrete(p, q, order)
    if isinstance(p, Uniform) and isinstance(q, Uniform):
        cost, how = _uniform_cost(p, q, order), "closed form"
    else:
        tails = _tails(p, q, order)
        details["tail_exponents"] = tails
        infinite = _infinite_moment_note(tails, order)
        if infinite is not None:
            return OTResult.from_cost(
                math.inf, order=order, method="1d",
                sizes=(p.size, q.size), stderr=0.0, note=infinite, details=details,
            )
        cost, abserr = _quadrature_cost(p, q, order)
        details["quadrature_abserr"] = abserr
        # quad's error estimate bounds the integral, not an estimator's spread.
        stderr = None
        how = "adaptive quadrature of the quantile functions"
    return OTResult.from_cost(
        cost,
        order=order,
        method="1d",
        sizes=(p.size, q.size),
        stderr=stderr,
        note=how,
        details=details,
    )
