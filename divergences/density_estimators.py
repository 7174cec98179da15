"""KL and Jensen--Shannon between two densities without a closed form.

Two methods:

* Monte Carlo -- draw from the densities, average the log-ratio; the
  standard error is the usual ``std / sqrt(n)`` and is trustworthy here (the
  draws are independent and the estimate unbiased for KL).
* adaptive quadrature in 1-D -- :func:`scipy.integrate.quad` over the region
  that holds all but ``1e-14`` of each measure's mass (by the quantile
  functions), split at the quartiles of both so that kinks and edges of the
  densities fall on sub-interval boundaries. For KL the two tails of P
  beyond it are integrated too, in P's quantile variable (their share can
  be far larger than their mass); for JS the integrand is at most ``log 2``
  times the mass, so the cut tails' share is bounded and added to the error.
"""

import math

import numpy as np

from ._constants import LOG2
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
    return LOG2 + log_own - np.logaddexp(log_own, log_other)


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
    return _result(min(max(raw, 0.0), LOG2), "js", "monte-carlo", stderr, details)


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


def _kl_body_points(p, q):
    """P's quantile range ``[F_P^-1(tau), F_P^-1(1 - tau)]``, split at both laws' quartiles.

    Outside it P has mass ``tau`` at each end, integrated in :func:`_kl_tail`.
    """
    low, high = float(p.ppf(_TAIL)), float(p.ppf(1.0 - _TAIL))
    inner = {float(m.ppf(t)) for m in (p, q) for t in (_TAIL, 0.25, 0.5, 0.75, 1.0 - _TAIL)}
    return [low, *sorted(t for t in inner if low < t < high), high]


def _kl_tail(p, q, end):
    """``int log(p/q) dP`` beyond P's ``tau`` quantile at one end, in P's quantile variable.

    ``u -> log(p/q)(F_P^-1(u))`` on ``(0, tau)`` (or ``1 - u`` there, for the
    upper end). That integrand grows like ``u^-beta`` when P's tail is heavier
    than Q's (``log(p/q) ~ x^2/2`` against a normal); ``beta >= 1`` (a Cauchy
    against a normal) makes KL infinite. Cutting the tails off instead lost
    their share (1.1e-8 for a t(5) against a normal) and reported an error
    bound (6e-14) that did not contain it.

    Returns ``(value, abserr, note)``, ``note`` saying why the value is inf.
    """
    from scipy.integrate import quad

    from .ot.one_d import _EXPONENT_SLACK, _TAIL_LEVELS, tail_exponent, upper_quantile

    # The body stops at fl(1 - tau): the upper tail starts there exactly.
    width = _TAIL if end == "lower" else 1.0 - (1.0 - _TAIL)

    def locate(u):
        return p.ppf(u) if end == "lower" else upper_quantile(p, u)

    def log_ratio(u):
        x = np.asarray(locate(np.atleast_1d(u)), dtype=np.float64)
        # Quantiles beyond float64 (inf) or lost by scipy (NaN) say nothing: NaN.
        out = np.full(x.shape, np.nan)
        known = np.isfinite(x)
        with np.errstate(all="ignore"):
            log_p, log_q = p.logpdf(x[known, None]), q.logpdf(x[known, None])
            ratio = np.where(np.isneginf(log_p), 0.0, log_p - log_q)
            # log q = -inf inside Q's support is overflow (-x^2/2 at x = 1e200), not q = 0.
            inside = (q_support[0] < x[known]) & (x[known] < q_support[1])
            ratio[np.isposinf(ratio) & inside] = np.nan
        out[known] = ratio
        return out

    q_support = (float(q.ppf(0.0)), float(q.ppf(1.0)))
    deep = _TAIL_LEVELS[_TAIL_LEVELS < width]
    ratios = log_ratio(deep)
    if np.any(np.isposinf(ratios)):
        return math.inf, 0.0, f"{_NOT_ABS_CONT} (q = 0 in P's {end} tail, where p > 0)"
    exponent = tail_exponent(np.abs(ratios), deep)
    known = ratios[np.isfinite(ratios)]
    if exponent is not None and exponent >= 1.0 - _EXPONENT_SLACK and known[-1] > 0.0:
        return math.inf, 0.0, (
            f"KL is infinite: P's {end} tail is heavier than Q's, log(p/q) grows like "
            f"u^-{exponent:.3g} in P's quantile u (integrable only for exponents below 1)"
        )

    def integrand(u):
        if not 0.0 < u:
            return 0.0
        value = float(log_ratio(u)[0])
        return value if math.isfinite(value) else 0.0

    value, abserr = quad(integrand, 0.0, width, limit=200, epsabs=1e-16, epsrel=1e-10)
    return value, abserr, ""


def kl_quadrature(p, q):
    """KL(P||Q) between two 1-D densities with quantile functions, by adaptive quadrature.

    The body, P's central ``1 - 2e-14`` of mass, is integrated in x; the two
    tails beyond it in P's quantile variable, so nothing is cut off and the
    error estimate covers the whole line. Where ``p > 0 = q`` the value is
    ``inf``; so it is where P's tail makes ``E_P log(p/q)`` diverge.
    """
    points = _kl_body_points(p, q)
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
    for end in ("lower", "upper"):
        tail, tail_error, note = _kl_tail(p, q, end)
        details[f"{end}_tail"] = tail
        if note:
            return _result(math.inf, "kl", "quadrature", 0.0, details, note)
        value += tail
        abserr += tail_error
    details["abserr"] = abserr
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
                total += math.exp(log_own) * (LOG2 + log_own - log_mix)
        return 0.5 * total

    value, abserr = _integrate(integrand, points)
    error = abserr + 2 * _TAIL * LOG2
    details = {"abserr": abserr, "range": (points[0], points[-1])}
    return _result(min(max(value, 0.0), LOG2), "js", "quadrature", error, details)
