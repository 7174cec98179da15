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
from ._common import is_point_cloud, is_uniform, point_cloud

__all__ = ["applies", "solve", "wasserstein_1d_cost"]


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
    # The quantile difference is affine, A + B t, and d/du [sign(u)|u|^(p+1)/(p+1)] = |u|^p.
    shift = p.low[0] - q.low[0]
    stretch = (p.high[0] - p.low[0]) - (q.high[0] - q.low[0])
    if stretch == 0.0:
        return abs(shift) ** order

    def antiderivative(u):
        return math.copysign(abs(u) ** (order + 1), u) / (order + 1)

    return (antiderivative(shift + stretch) - antiderivative(shift)) / stretch


def _quadrature_cost(p, q, order):
    from scipy.integrate import quad

    def integrand(t):
        return abs(float(p.ppf(t)) - float(q.ppf(t))) ** order

    value, abserr = quad(integrand, 0.0, 1.0, limit=200, epsabs=1e-13, epsrel=1e-11)
    return value, abserr


def solve(p, q, *, order=1.0):
    """W_p between two 1-D measures; see the module docstring."""
    details = {}
    stderr = 0.0
    if is_point_cloud(p):
        x, a = point_cloud(p)
        y, b = point_cloud(q)
        uniform = is_uniform(p) and is_uniform(q)
        cost = wasserstein_1d_cost(
            x[:, 0], y[:, 0], None if uniform else a, None if uniform else b, order
        )
        how = "merge of sorted atoms"
    elif isinstance(p, Uniform) and isinstance(q, Uniform):
        cost, how = _uniform_cost(p, q, order), "closed form"
    else:
        cost, abserr = _quadrature_cost(p, q, order)
        details["quadrature_abserr"] = abserr
        # quad's error estimate bounds the integral, not an estimator's spread.
        stderr = None
        how = "adaptive quadrature of the quantile functions"
    cost = max(cost, 0.0)
    return OTResult(
        value=cost ** (1.0 / order),
        cost=cost,
        order=order,
        method="1d",
        sizes=(p.size, q.size),
        stderr=stderr,
        note=how,
        details=details,
    )
