"""Pairs of continuous laws with known KL and JS, for calibrating sample estimators.

A sample estimator is only as good as its error bar: to know its bias and the
coverage of its interval, one needs pairs of laws whose divergences are known
and from which one can draw as many samples as one likes. Each function here
builds a :class:`CalibrationPair` in any dimension: the two laws as densities
(``logpdf`` and ``sample``, so they serve samples-vs-samples and
samples-vs-density estimators alike) and the true ``KL(P || Q)`` and
``JS(P, Q)`` in nats.

The panel covers the shapes on which k-NN and classifier estimators are known
to go wrong, with the truth computed exactly or by one-dimensional quadrature:

=====================  ===========================================  ==================
pair                   P and Q                                      truth
=====================  ===========================================  ==================
:func:`mean_shift`     N(0, I) and N(mu 1, I)                       KL closed form; JS
                                                                    by 1-D quadrature
:func:`scale_change`   N(0, I) and N(0, s^2 I)                      KL closed form; JS
                                                                    by radial quadrature
:func:`mixture`        1/2 N(-a v, I) + 1/2 N(a v, I) and N(0, I)   1-D quadrature
:func:`student_t`      multivariate t_nu(0, I) and N(0, I)          KL closed form; JS
                                                                    by radial quadrature
:func:`log_normal`     exp of the two laws of :func:`mean_shift`    as :func:`mean_shift`
:func:`banana`         a shear x2 += b (x1^2 - 1) of the same       as :func:`mean_shift`
=====================  ===========================================  ==================

The last two are non-Gaussian (skewed marginals; a curved, banana-shaped pair)
yet their truths are exact: KL and JS are f-divergences, unchanged when one
bijection is applied to both laws [1]_. An estimator that is right only on
Gaussian shapes shows it on these.

References
----------
.. [1] S. M. Ali and S. D. Silvey, "A general class of coefficients of
   divergence of one distribution from another", J. R. Stat. Soc. B 28 (1966).
"""

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import integrate, optimize, special

from .._constants import LOG2
from .._validation import as_rng, check_positive_int
from ..measures import Density, Gaussian

__all__ = [
    "CalibrationPair",
    "mean_shift",
    "scale_change",
    "mixture",
    "student_t",
    "log_normal",
    "banana",
    "calibration_pairs",
]

#: The KL(P || Q) that the default pairs are tuned to: large enough that bias
#: matters, small enough that the estimators' variance stays moderate.
DEFAULT_KL = 0.625


@dataclass(frozen=True)
class CalibrationPair:
    """Two laws with known divergences, to draw samples from.

    Attributes
    ----------
    name : str
        Short name of the construction (``"mean_shift"``, ``"banana"``, ...).
    p, q : Density
        The two laws: ``logpdf`` and ``sample(n, rng=...)``.
    kl : float
        ``KL(P || Q)`` in nats.
    js : float
        ``JS(P, Q)`` in nats.
    truth_error : float
        A bound on the absolute error of ``kl`` and ``js`` (quadrature error;
        0 for closed forms up to rounding).
    description : str
        The construction in words, with its parameters.

    Examples
    --------
    >>> import divergences as dv
    >>> from divergences.testing import mean_shift
    >>> pair = mean_shift(dim=2)
    >>> pair.kl, round(pair.js, 6)
    (0.625, 0.135651)
    >>> x, y = pair.sample(1000, rng=0)
    >>> x.shape, y.shape
    ((1000, 2), (1000, 2))
    """

    name: str
    p: Density = field(repr=False)
    q: Density = field(repr=False)
    kl: float
    js: float
    truth_error: float
    description: str

    def __post_init__(self):
        for name in ("kl", "js", "truth_error"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def dim(self):
        """The dimension of the space both laws live in."""
        return self.p.dim

    def sample(self, n, m=None, *, rng=None):
        """Draw ``n`` points from P and ``m`` (default ``n``) from Q.

        Returns
        -------
        x, y : ndarray, shapes ``(n, dim)`` and ``(m, dim)``
        """
        rng = as_rng(rng)
        x = self.p.sample(n, rng=rng)
        y = self.q.sample(n if m is None else m, rng=rng)
        return x, y


# ---------------------------------------------------------------------------
# Laws the panel needs beyond dv.Gaussian


class _Mixture(Density):
    """An equal-weight mixture of two Gaussians with identity covariance."""

    def __init__(self, centre):
        self._centre = np.asarray(centre, dtype=np.float64)
        self._halves = (Gaussian(-self._centre, 1.0), Gaussian(self._centre, 1.0))

    @property
    def dim(self):
        return self._centre.shape[0]

    def logpdf(self, x):
        a, b = (half.logpdf(x) for half in self._halves)
        return np.logaddexp(a, b) - LOG2

    def sample(self, n, rng=None):
        n = check_positive_int(n, "n")
        rng = as_rng(rng)
        signs = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        return signs[:, None] * self._centre + rng.standard_normal((n, self.dim))


class _StudentT(Density):
    """The multivariate t law with ``df`` degrees of freedom, location 0 and scale I."""

    def __init__(self, dim, df):
        self._dim, self.df = dim, float(df)
        nu, d = self.df, dim
        self._log_norm = (special.gammaln((nu + d) / 2) - special.gammaln(nu / 2)
                          - 0.5 * d * math.log(nu * math.pi))

    @property
    def dim(self):
        return self._dim

    def log_radial(self, r):
        """Log-density at any point of norm ``r``."""
        return self._log_norm - 0.5 * (self.df + self._dim) * np.log1p(r * r / self.df)

    def logpdf(self, x):
        points = self._points(x)
        return self.log_radial(np.linalg.norm(points, axis=1))

    def sample(self, n, rng=None):
        n = check_positive_int(n, "n")
        rng = as_rng(rng)
        z = rng.standard_normal((n, self._dim))
        return z / np.sqrt(rng.chisquare(self.df, size=n) / self.df)[:, None]

    def entropy(self):
        """Differential entropy in nats (closed form for the multivariate t)."""
        nu, d = self.df, self._dim
        return (-self._log_norm
                + 0.5 * (nu + d) * (special.digamma((nu + d) / 2) - special.digamma(nu / 2)))


class _Pushforward(Density):
    """The law of ``forward(X)`` for ``X ~ base`` and a smooth bijection ``forward``.

    ``log_jacobian(x)`` is ``log |det D inverse(x)|``, so that
    ``logpdf(x) = base.logpdf(inverse(x)) + log_jacobian(x)``.
    """

    def __init__(self, base, forward, inverse, log_jacobian, domain=None):
        self._base = base
        self._forward, self._inverse, self._log_jacobian = forward, inverse, log_jacobian
        self._domain = domain

    @property
    def dim(self):
        return self._base.dim

    def logpdf(self, x):
        points = self._points(x)
        out = np.full(points.shape[0], -np.inf)
        inside = np.ones(points.shape[0], bool) if self._domain is None else self._domain(points)
        if inside.any():
            inner = points[inside]
            out[inside] = self._base.logpdf(self._inverse(inner)) + self._log_jacobian(inner)
        return out

    def sample(self, n, rng=None):
        return self._forward(self._base.sample(n, rng=rng))


# ---------------------------------------------------------------------------
# One-dimensional quadrature of the truths


def _quad(integrand, lower, upper, points=None):
    value, error = integrate.quad(integrand, lower, upper, points=points, limit=400,
                                  epsabs=1e-13, epsrel=1e-11)
    return value, error


def _js_terms(log_p, log_q):
    """The JS integrand's two halves, 1/2 p log(2p / (p + q)) + 1/2 q log(2q / (p + q))."""
    log_m = np.logaddexp(log_p, log_q) - LOG2
    total = 0.0
    for log_a in (log_p, log_q):
        if log_a > -745.0:
            total += 0.5 * math.exp(log_a) * (log_a - log_m)
    return total


def _line_js(log_p, log_q, lower, upper, points=None):
    """JS between two laws on the line, given their log-densities, and its quadrature error."""
    return _quad(lambda t: _js_terms(log_p(t), log_q(t)), lower, upper, points)


def _radial_js(dim, log_p, log_q):
    """JS between two spherically symmetric laws in R^dim, by quadrature over the radius.

    ``log_p(r)`` is the log-density at a point of norm ``r``; the surface of
    the sphere of radius ``r`` is ``2 pi^(d/2) / Gamma(d/2) r^(d-1)``.
    """
    log_surface = LOG2 + 0.5 * dim * math.log(math.pi) - special.gammaln(0.5 * dim)

    def integrand(r):
        if r == 0.0 and dim > 1:
            return 0.0
        shell = log_surface + (dim - 1) * math.log(r)
        return _js_terms(shell + log_p(r), shell + log_q(r))

    # The mass of both laws sits near r ~ sqrt(dim); split there so quad sees it.
    centre = math.sqrt(dim)
    pieces = [(0.0, centre), (centre, 4.0 * centre + 10.0), (4.0 * centre + 10.0, np.inf)]
    value = error = 0.0
    for lower, upper in pieces:
        v, e = _quad(integrand, lower, upper)
        value, error = value + v, error + e
    return value, error


def _gaussian_line(mean):
    return lambda t: -0.5 * (t - mean) ** 2 - 0.5 * math.log(2 * math.pi)


def _check_dim(dim, minimum=1):
    dim = check_positive_int(dim, "dim")
    if dim < minimum:
        raise ValueError(f"dim must be at least {minimum} for this pair, got {dim}.")
    return dim


def _check_kl(kl):
    if not (isinstance(kl, (int, float)) and math.isfinite(kl) and kl > 0):
        raise ValueError(f"kl must be a positive finite number, got {kl!r}.")
    return float(kl)


# ---------------------------------------------------------------------------
# The pairs


def mean_shift(dim, *, kl=DEFAULT_KL):
    """N(0, I) and N(mu 1, I), with mu chosen so that KL(P || Q) = ``kl``.

    KL = dim mu^2 / 2, so mu = sqrt(2 kl / dim). Along the shift the two laws
    are N(0, 1) and N(delta, 1) with delta = sqrt(2 kl), and they agree on every
    orthogonal direction, so JS is the 1-D JS of those two (by quadrature).

    Examples
    --------
    >>> from divergences.testing import mean_shift
    >>> pair = mean_shift(5)
    >>> pair.kl, round(pair.js, 8)
    (0.625, 0.13565144)
    """
    dim, kl = _check_dim(dim), _check_kl(kl)
    mu = math.sqrt(2.0 * kl / dim)
    delta = math.sqrt(2.0 * kl)
    js, error = _line_js(_gaussian_line(0.0), _gaussian_line(delta), -40.0, 40.0 + delta,
                         points=[0.0, delta])
    return CalibrationPair(
        "mean_shift", Gaussian(np.zeros(dim), 1.0), Gaussian(np.full(dim, mu), 1.0),
        kl, js, error, f"N(0, I_{dim}) vs N({mu:.6g} * 1, I_{dim})",
    )


def _scale_for_kl(dim, kl):
    # (d/2)(1/s^2 - 1 + 2 ln s) increases from 0 on s > 1.
    gap = lambda s: 0.5 * dim * (1.0 / s**2 - 1.0 + 2.0 * math.log(s)) - kl
    upper = 2.0
    while gap(upper) < 0:
        upper *= 2.0
    return optimize.brentq(gap, 1.0 + 1e-12, upper, xtol=1e-15, rtol=4 * np.finfo(float).eps)


def scale_change(dim, *, kl=DEFAULT_KL):
    """N(0, I) and N(0, s^2 I), with s > 1 chosen so that KL(P || Q) = ``kl``.

    KL = (dim / 2)(1 / s^2 - 1 + 2 ln s); JS by quadrature over the radius (both
    laws are spherically symmetric). Q is wider: P's samples lie inside Q's.

    Examples
    --------
    >>> from divergences.testing import scale_change
    >>> pair = scale_change(5)
    >>> round(pair.kl, 12), pair.description
    (0.625, 'N(0, I_5) vs N(0, 1.49273^2 I_5)')
    """
    dim, kl = _check_dim(dim), _check_kl(kl)
    s = _scale_for_kl(dim, kl)
    exact_kl = 0.5 * dim * (1.0 / s**2 - 1.0 + 2.0 * math.log(s))
    log_p = lambda r: -0.5 * dim * math.log(2 * math.pi) - 0.5 * r * r
    log_q = lambda r: -0.5 * dim * math.log(2 * math.pi * s * s) - 0.5 * r * r / (s * s)
    js, error = _radial_js(dim, log_p, log_q)
    return CalibrationPair(
        "scale_change", Gaussian(np.zeros(dim), 1.0), Gaussian(np.zeros(dim), s * s),
        exact_kl, js, error + abs(exact_kl - kl), f"N(0, I_{dim}) vs N(0, {s:.6g}^2 I_{dim})",
    )


def mixture(dim, *, separation=1.5):
    """1/2 N(-a v, I) + 1/2 N(a v, I) against N(0, I), v = 1 / sqrt(dim), a = ``separation``.

    Both laws are N(0, 1) on every direction orthogonal to v, so KL and JS are
    those of the 1-D mixture 1/2 N(-a, 1) + 1/2 N(a, 1) against N(0, 1), by
    quadrature, whatever the dimension (KL = 0.598223 for a = 1.5). P is
    bimodal where Q has its mode.

    Examples
    --------
    >>> from divergences.testing import mixture
    >>> round(mixture(10).kl, 6)
    0.598223
    """
    dim = _check_dim(dim)
    a = float(separation)
    if not (math.isfinite(a) and a > 0):
        raise ValueError(f"separation must be positive and finite, got {separation!r}.")
    log_p = lambda t: float(np.logaddexp(_gaussian_line(-a)(t), _gaussian_line(a)(t))) - LOG2
    log_q = _gaussian_line(0.0)
    kl, kl_error = _quad(lambda t: math.exp(log_p(t)) * (log_p(t) - log_q(t)),
                         -40.0 - a, 40.0 + a, points=[-a, 0.0, a])
    js, js_error = _line_js(log_p, log_q, -40.0 - a, 40.0 + a, points=[-a, 0.0, a])
    centre = np.full(dim, a / math.sqrt(dim))
    return CalibrationPair(
        "mixture", _Mixture(centre), Gaussian(np.zeros(dim), 1.0), kl, js,
        max(kl_error, js_error),
        f"1/2 N(-{a:g} v, I_{dim}) + 1/2 N({a:g} v, I_{dim}) vs N(0, I_{dim})",
    )


def student_t(dim, *, df=3.0):
    """The multivariate t law t_df(0, I) against N(0, I): P has the heavier tails.

    KL(P || Q) = -h(P) + (dim / 2) log(2 pi) + E_P|x|^2 / 2 with
    E_P|x|^2 = dim df / (df - 2) and the t law's closed-form entropy h(P)
    (needs df > 2); JS by quadrature over the radius. In 1-D with df = 3,
    KL = 0.645461.

    Examples
    --------
    >>> from divergences.testing import student_t
    >>> round(student_t(1).kl, 6)
    0.645461
    """
    dim = _check_dim(dim)
    df = float(df)
    if not (math.isfinite(df) and df > 2):
        raise ValueError(f"df must be finite and above 2 (P needs a finite variance), got {df!r}.")
    p = _StudentT(dim, df)
    kl = -p.entropy() + 0.5 * dim * math.log(2 * math.pi) + 0.5 * dim * df / (df - 2)
    log_q = lambda r: -0.5 * dim * math.log(2 * math.pi) - 0.5 * r * r
    js, error = _radial_js(dim, lambda r: float(p.log_radial(r)), log_q)
    return CalibrationPair("student_t", p, Gaussian(np.zeros(dim), 1.0), kl, js, error,
                           f"t_{df:g}(0, I_{dim}) vs N(0, I_{dim})")


def _pushed(base_pair, name, description, forward, inverse, log_jacobian, domain=None):
    laws = [_Pushforward(law, forward, inverse, log_jacobian, domain)
            for law in (base_pair.p, base_pair.q)]
    return CalibrationPair(name, *laws, base_pair.kl, base_pair.js, base_pair.truth_error,
                           f"{description} of {base_pair.description}")


def log_normal(dim, *, kl=DEFAULT_KL):
    """exp(X) for X from each law of :func:`mean_shift`: skewed, heavy right tails.

    Coordinates are independent log-normals. The truths are those of
    :func:`mean_shift` (the same bijection applied to both laws).

    Examples
    --------
    >>> from divergences.testing import log_normal
    >>> pair = log_normal(3)
    >>> pair.kl, bool((pair.sample(5, rng=0)[0] > 0).all())
    (0.625, True)
    """
    return _pushed(mean_shift(dim, kl=kl), "log_normal", "exp", np.exp, np.log,
                   lambda x: -np.sum(np.log(x), axis=1), domain=lambda x: np.all(x > 0, axis=1))


def banana(dim, *, curvature=1.0, kl=DEFAULT_KL):
    """A shear x2 += b (x1^2 - 1) of each law of :func:`mean_shift`: a curved pair.

    The shear has Jacobian 1 and is a bijection, so the truths are those of
    :func:`mean_shift`; both laws become banana-shaped in the first two
    coordinates (needs dim >= 2).

    Examples
    --------
    >>> from divergences.testing import banana
    >>> pair = banana(2)
    >>> pair.kl, round(pair.js, 6)
    (0.625, 0.135651)
    """
    dim = _check_dim(dim, minimum=2)
    b = float(curvature)
    if not math.isfinite(b):
        raise ValueError(f"curvature must be finite, got {curvature!r}.")

    def shear(x, sign):
        out = np.array(x, dtype=np.float64)
        out[:, 1] += sign * b * (out[:, 0] ** 2 - 1.0)
        return out

    return _pushed(mean_shift(dim, kl=kl), "banana", f"the shear x2 += {b:g} (x1^2 - 1)",
                   lambda x: shear(x, 1.0), lambda x: shear(x, -1.0),
                   lambda x: np.zeros(x.shape[0]))


def calibration_pairs(dim):
    """The standard panel in dimension ``dim``: every pair above that exists there.

    Gaussian pairs (mean shift, scale change), a mixture, heavy tails (t with 3
    and 5 degrees of freedom), skewed marginals (log-normal) and, for
    ``dim >= 2``, a curved pair (banana).

    Returns
    -------
    list of CalibrationPair

    Examples
    --------
    >>> from divergences.testing import calibration_pairs
    >>> [pair.name for pair in calibration_pairs(2)]
    ['mean_shift', 'scale_change', 'mixture', 'student_t', 'student_t', 'log_normal', 'banana']
    """
    pairs = [mean_shift(dim), scale_change(dim), mixture(dim), student_t(dim, df=3.0),
             student_t(dim, df=5.0), log_normal(dim)]
    if dim >= 2:
        pairs.append(banana(dim))
    return pairs
