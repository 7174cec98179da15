"""KL and Jensen--Shannon between two densities without a closed form.

Two methods:

* Monte Carlo -- draw from the densities, average the log-ratio; the
  standard error is the usual ``std / sqrt(n)`` and is trustworthy here (the
  draws are independent and the estimate unbiased for KL).
* adaptive quadrature in 1-D -- :func:`scipy.integrate.quad` over the region
  that holds all but ``1e-14`` of each measure's mass (by the quantile
  functions), split at the quartiles of both so that kinks and edges of the
  densities fall on sub-interval boundaries.
"""

import math

import numpy as np

from ._validation import as_rng
from .results import DivergenceResult

__all__ = [
    "DEFAULT_MC_SAMPLES",
    "kl_monte_carlo",
    "js_monte_carlo",
    "kl_quadrature",
    "js_quadrature",
]

#: Default number of Monte Carlo draws (per density for JS).
DEFAULT_MC_SAMPLES = 100_000

_LOG2 = math.log(2.0)
_NOT_ABS_CONT = "P is not absolutely continuous with respect to Q"
# Mass left out of the integration range at each end, per measure.
_TAIL = 1e-14


def _result(value, divergence, method, stderr, details, note=""):
    return DivergenceResult(
        value=value,
        divergence=divergence,
        method=method,
        sizes=(None, None),
        stderr=stderr,
        details=details,
        note=note,
    )


def _draws(measure, n, rng):
    return np.ascontiguousarray(measure.sample(n, rng=rng), dtype=np.float64)


def kl_monte_carlo(p, q, *, n_samples=DEFAULT_MC_SAMPLES, rng=None):
    """KL(P||Q) = E_P[log p - log q] by the mean over ``n_samples`` draws from P.

    A draw where ``q = 0`` proves that P is not absolutely continuous with
    respect to Q, and the value is then ``inf`` (with a note).
    """
    x = _draws(p, n_samples, as_rng(rng))
    log_p, log_q = p.logpdf(x), q.logpdf(x)
    details = {"n_samples": n_samples}
    if np.any(np.isneginf(log_q)):
        outside = int(np.count_nonzero(np.isneginf(log_q)))
        note = f"{_NOT_ABS_CONT} ({outside} of {n_samples} draws from P fall where q = 0)"
        return _result(math.inf, "kl", "monte-carlo", 0.0, details, note)
    terms = log_p - log_q
    stderr = float(np.std(terms, ddof=1) / math.sqrt(n_samples)) if n_samples > 1 else None
    return _result(float(np.mean(terms)), "kl", "monte-carlo", stderr, details)


def _js_half(own, other, draws):
    # log(2 p / (p + q)) at draws of p, through logaddexp so that q = 0 or
    # tiny densities neither overflow nor produce 0/0.
    log_own, log_other = own.logpdf(draws), other.logpdf(draws)
    return _LOG2 + log_own - np.logaddexp(log_own, log_other)


def js_monte_carlo(p, q, *, n_samples=DEFAULT_MC_SAMPLES, rng=None):
    """JS(P, Q) by Monte Carlo: ``n_samples`` draws from each of P and Q.

    ``JS = 1/2 E_P log(2p/(p+q)) + 1/2 E_Q log(2q/(p+q))``; the value is
    clipped to ``[0, log 2]`` (each term is at most ``log 2``, but a mean can
    fall below zero by sampling noise when P and Q nearly agree).
    """
    generator = as_rng(rng)
    halves, variance = [], 0.0
    for own, other in ((p, q), (q, p)):
        terms = _js_half(own, other, _draws(own, n_samples, generator))
        halves.append(float(np.mean(terms)))
        if n_samples > 1:
            variance += float(np.var(terms, ddof=1)) / n_samples
    raw = 0.5 * (halves[0] + halves[1])
    stderr = 0.5 * math.sqrt(variance) if n_samples > 1 else None
    details = {"n_samples": n_samples, "unclipped": raw}
    return _result(min(max(raw, 0.0), _LOG2), "js", "monte-carlo", stderr, details)


def _breakpoints(p, q):
    """Integration range and split points from the quantile functions of both."""
    levels = (_TAIL, 0.25, 0.5, 0.75, 1.0 - _TAIL)
    points = sorted({float(m.ppf(t)) for m in (p, q) for t in levels})
    points = [t for t in points if math.isfinite(t)]
    return points


def _integrate(integrand, points):
    from scipy.integrate import quad

    total, error = 0.0, 0.0
    for a, b in zip(points[:-1], points[1:]):
        if b > a:
            value, abserr = quad(integrand, a, b, limit=200, epsabs=1e-12, epsrel=1e-10)
            total += value
            error += abserr
    return total, error


def _log_densities(p, q, t):
    x = np.array([[t]])
    return float(p.logpdf(x)[0]), float(q.logpdf(x)[0])


def kl_quadrature(p, q):
    """KL(P||Q) between two 1-D densities with quantile functions, by adaptive quadrature.

    Where ``p > 0 = q`` on the integration range the value is ``inf``.
    """
    points = _breakpoints(p, q)
    escaped = []

    def integrand(t):
        log_p, log_q = _log_densities(p, q, t)
        if log_p == -math.inf:
            return 0.0
        if log_q == -math.inf:
            escaped.append(t)
            return 0.0
        return math.exp(log_p) * (log_p - log_q)

    value, abserr = _integrate(integrand, points)
    details = {"abserr": abserr, "range": (points[0], points[-1])}
    if escaped:
        note = f"{_NOT_ABS_CONT} (q = 0 at x = {escaped[0]:g} where p > 0)"
        return _result(math.inf, "kl", "quadrature", 0.0, details, note)
    return _result(max(value, 0.0), "kl", "quadrature", abserr, details)


def js_quadrature(p, q):
    """JS(P, Q) between two 1-D densities with quantile functions, by adaptive quadrature.

    ``stderr`` holds quad's own error estimate (summed over sub-intervals)
    plus the mass left out in the tails times ``log 2``: a bound on the
    error, not a standard error of sampling.
    """
    points = _breakpoints(p, q)

    def integrand(t):
        log_p, log_q = _log_densities(p, q, t)
        log_mix = np.logaddexp(log_p, log_q)
        total = 0.0
        for log_own in (log_p, log_q):
            if log_own > -math.inf:
                total += math.exp(log_own) * (_LOG2 + log_own - log_mix)
        return 0.5 * total

    value, abserr = _integrate(integrand, points)
    error = abserr + 2 * _TAIL * _LOG2
    details = {"abserr": abserr, "range": (points[0], points[-1])}
    return _result(min(max(value, 0.0), _LOG2), "js", "quadrature", error, details)
