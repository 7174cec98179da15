"""MMD and energy distance: against dense oracles, scipy, closed forms and the Sinkhorn limit."""

import math

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.spatial.distance import cdist, pdist

import divergences as dv
from divergences.exceptions import InvalidMeasureError, MethodError
from divergences.kernel_distances import DENSE_MAX_PAIRS, median_bandwidth

EPS = np.finfo(float).eps


def _kernel_matrix(a, b, kernel, bandwidth):
    # Written out independently of the library's helpers.
    r = cdist(a, b)
    if kernel == "gaussian":
        return np.exp(-(r**2) / (2 * bandwidth**2))
    if kernel == "laplacian":
        return np.exp(-r / bandwidth)
    return -r


def oracle_mmd2(x, y, kernel, bandwidth, w=None, v=None, unbiased=True):
    """MMD^2 from the full kernel matrices (weighted U-statistic: no diagonal, renormalised)."""
    n, m = len(x), len(y)
    w = np.full(n, 1 / n) if w is None else np.asarray(w) / np.sum(w)
    v = np.full(m, 1 / m) if v is None else np.asarray(v) / np.sum(v)

    def within(a, u):
        k = _kernel_matrix(a, a, kernel, bandwidth)
        weights = np.outer(u, u)
        if not unbiased:
            return np.sum(weights * k)
        np.fill_diagonal(weights, 0.0)
        return np.sum(weights * k) / weights.sum()

    return within(x, w) + within(y, v) - 2 * w @ _kernel_matrix(x, y, kernel, bandwidth) @ v


def _rounding_tolerance(n, m, scale):
    # Each mean is a sum of n or m row sums of at most n + m terms of size <= scale, in
    # another order than the oracle's: |error| <= (n + m) eps scale per mean, three means,
    # and a factor 2 for the oracle's own rounding.
    return 6 * (n + m) * EPS * scale


@pytest.fixture(scope="module")
def clouds():
    rng = np.random.default_rng(7)
    return rng.normal(size=(120, 3)), rng.normal(0.4, 1.3, size=(90, 3))


# --------------------------------------------------------------------------- oracles


@pytest.mark.parametrize("kernel", ["gaussian", "laplacian", "energy"])
@pytest.mark.parametrize("method", ["dense", "online"])
@pytest.mark.parametrize("unbiased", [True, False])
def test_mmd_matches_the_dense_oracle(clouds, kernel, method, unbiased):
    x, y = clouds
    bandwidth = None if kernel == "energy" else 1.7
    r = dv.mmd(x, y, kernel=kernel, bandwidth=bandwidth, method=method, unbiased=unbiased)
    expected = oracle_mmd2(x, y, kernel, bandwidth, unbiased=unbiased)
    scale = 1.0 if kernel != "energy" else cdist(x, y).max()
    assert r.value == pytest.approx(expected, rel=0, abs=_rounding_tolerance(120, 90, scale))
    assert r.method == method and r.sizes == (120, 90)
    assert r.unit == ("distance" if kernel == "energy" else "kernel")


@pytest.mark.parametrize("method", ["dense", "online"])
def test_weighted_samples_match_the_weighted_oracle(clouds, method):
    x, y = clouds
    rng = np.random.default_rng(3)
    w, v = rng.uniform(0.1, 2.0, size=len(x)), rng.uniform(0.1, 2.0, size=len(y))
    r = dv.mmd(dv.Samples(x, weights=w), dv.Samples(y, weights=v), bandwidth=0.9, method=method)
    expected = oracle_mmd2(x, y, "gaussian", 0.9, w, v)
    assert r.value == pytest.approx(expected, rel=0, abs=_rounding_tolerance(120, 90, 1.0))


def test_histograms_give_the_exact_v_statistic(clouds):
    x, y = clouds
    w, v = np.arange(1.0, 121.0), np.arange(90.0, 0.0, -1.0)
    r = dv.mmd(dv.Histogram(w, support=x), dv.Histogram(v, support=y), bandwidth=1.1)
    expected = oracle_mmd2(x, y, "gaussian", 1.1, w, v, unbiased=False)
    assert r.value == pytest.approx(expected, rel=0, abs=_rounding_tolerance(120, 90, 1.0))
    assert r.stderr == 0.0 and r.details["unbiased"] is False


def test_energy_distance_is_scipys_squared_in_1d():
    rng = np.random.default_rng(11)
    u, v = rng.normal(size=300), rng.standard_t(3, size=200) + 0.2
    ours = dv.energy_distance(u, v, unbiased=False)
    scale = np.ptp(np.concatenate([u, v]))
    assert ours.value == pytest.approx(
        stats.energy_distance(u, v) ** 2, rel=0, abs=_rounding_tolerance(300, 200, scale)
    )
    assert ours.unit == "distance" and ours.divergence == "energy_distance"


def test_energy_distance_is_mmd_with_the_energy_kernel(clouds):
    x, y = clouds
    assert float(dv.energy_distance(x, y)) == float(dv.mmd(x, y, kernel="energy"))


def test_symmetric_to_the_last_bit(clouds):
    x, y = clouds
    for kernel in ("gaussian", "energy"):
        for method in ("dense", "online"):
            a = dv.mmd(x, y, kernel=kernel, method=method)
            b = dv.mmd(y, x, kernel=kernel, method=method)
            assert a.value == b.value and a.stderr == b.stderr


# --------------------------------------------------------------------------- closed forms


def _gaussian_kernel_mean_by_quadrature(mu, var, bandwidth):
    density = stats.norm(mu, math.sqrt(var)).pdf
    value, _ = integrate.quad(
        lambda z: math.exp(-(z**2) / (2 * bandwidth**2)) * density(z), -np.inf, np.inf,
        epsabs=1e-13, epsrel=1e-12,
    )
    return value


def test_gaussian_kernel_closed_form_matches_quadrature_in_1d():
    p, q, h = dv.Gaussian(0.3, 2.0), dv.Gaussian(-1.0, 0.5), 0.8
    expected = (
        _gaussian_kernel_mean_by_quadrature(0.0, 4.0, h)
        + _gaussian_kernel_mean_by_quadrature(0.0, 1.0, h)
        - 2 * _gaussian_kernel_mean_by_quadrature(1.3, 2.5, h)
    )
    r = dv.mmd(p, q, bandwidth=h)
    assert r.method == "gaussian" and r.stderr == 0.0
    assert r.value == pytest.approx(expected, rel=1e-9)


def test_energy_closed_form_matches_the_cdf_integral_in_1d():
    p, q = dv.Gaussian(0.5, 1.5), dv.Gaussian(-0.2, 0.3)
    f, g = stats.norm(0.5, math.sqrt(1.5)).cdf, stats.norm(-0.2, math.sqrt(0.3)).cdf
    # E = 2 * integral (F - G)^2 in 1-D (Szekely and Rizzo 2013, Prop. 1).
    integral, _ = integrate.quad(lambda t: (f(t) - g(t)) ** 2, -np.inf, np.inf, epsabs=1e-13)
    r = dv.energy_distance(p, q)
    assert r.method == "gaussian"
    assert r.value == pytest.approx(2 * integral, rel=1e-9)


def test_gaussian_kernel_closed_form_against_samples_in_2d():
    cov_p = np.array([[1.0, 0.6], [0.6, 2.0]])
    cov_q = np.array([[0.5, -0.2], [-0.2, 0.8]])
    p, q = dv.Gaussian([0.0, 0.0], cov_p), dv.Gaussian([0.7, -0.3], cov_q)
    exact = dv.mmd(p, q, bandwidth=1.2).value
    rng = np.random.default_rng(5)
    r = dv.mmd(p.sample(1500, rng=rng), q.sample(1500, rng=rng), bandwidth=1.2)
    # The stderr is small against the value (a test that can fail), and the estimate is
    # within 4 of them of the closed form (a 6e-5 chance of failing by bad luck).
    assert r.stderr < exact / 5
    assert abs(r.value - exact) < 4 * r.stderr


@pytest.mark.parametrize("kernel", ["gaussian", "energy"])
def test_unbiased_and_stderr_calibrated_over_repetitions(kernel):
    p, q = dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 1.5)
    bandwidth = 1.0 if kernel == "gaussian" else None
    exact = dv.mmd(p, q, kernel=kernel, bandwidth=bandwidth).value
    rng = np.random.default_rng(2024)
    reps, n = 300, 60
    results = [
        dv.mmd(p.sample(n, rng=rng), q.sample(n, rng=rng), kernel=kernel, bandwidth=bandwidth)
        for _ in range(reps)
    ]
    values = np.array([r.value for r in results])
    stderrs = np.array([r.stderr for r in results])
    spread = values.std(ddof=1)
    # Unbiased: the mean of 300 estimates is within 4 standard errors of the truth.
    assert abs(values.mean() - exact) < 4 * spread / math.sqrt(reps)
    # The sample sd of 300 near-normal values has a relative error 1/sqrt(2 * 300) = 4%;
    # allow 4 of those (16%) and 4% for the O(1/n) terms the first-order projection omits.
    assert 0.8 < np.median(stderrs) / spread < 1.25


# --------------------------------------------------------------------------- Sinkhorn limit


def _double_centred_square(c):
    centred = c - c.mean(axis=1, keepdims=True) - c.mean(axis=0, keepdims=True) + c.mean()
    return float(np.mean(centred**2))


def test_sinkhorn_divergence_tends_to_half_the_energy_distance():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(60, 2)), rng.normal(0.5, 1.0, size=(50, 2))
    half_energy = 0.5 * dv.energy_distance(x, y, unbiased=False).value
    # As eps -> inf, OT_eps(a, b) = <a x b, C> - Var_{a x b}(C double-centred) / (2 eps)
    # + O(eps^-2) (expand log E exp(-C/eps) to second order); so S_eps = E/2 - c1/eps + O(eps^-2)
    # with c1 = (v_ab - v_aa / 2 - v_bb / 2) / 2 (Feydy et al. 2019, the limit; the rate is
    # the second cumulant).
    v_ab = _double_centred_square(cdist(x, y))
    v_aa, v_bb = _double_centred_square(cdist(x, x)), _double_centred_square(cdist(y, y))
    c1 = (v_ab - v_aa / 2 - v_bb / 2) / 2
    residuals = []
    for eps in (1e3, 1e4):
        s = dv.sinkhorn_divergence(x, y, eps=eps, order=1, tol=1e-12).value
        # First order: |S - E/2| <= (v_ab + v_aa/2 + v_bb/2) / (2 eps), to O(eps^-2).
        assert abs(s - half_energy) <= 1.01 * (v_ab + v_aa / 2 + v_bb / 2) / (2 * eps)
        residuals.append(abs(s - (half_energy - c1 / eps)))
    # The first-order term is right: what is left shrinks like eps^-2 (x100), not eps^-1
    # (x10), down to the solver's tolerance (1e-12 of a cost of ~7).
    assert residuals[1] < max(residuals[0] / 30, 1e-10)


# --------------------------------------------------------------------------- options, errors


def test_median_heuristic_is_recorded(clouds):
    x, y = clouds
    r = dv.mmd(x, y)
    assert r.details["bandwidth_rule"] == "median heuristic"
    assert r.details["bandwidth"] == pytest.approx(np.median(pdist(np.concatenate([x, y]))))
    given = dv.mmd(x, y, bandwidth=2.0)
    assert given.details["bandwidth"] == 2.0 and given.details["bandwidth_rule"] == "given"


def test_median_heuristic_with_repeated_points():
    points = np.array([[0.0]] * 6 + [[1.0], [3.0]])  # 15 of the 28 distances are 0
    assert median_bandwidth(points) == 2.0  # the median of the positive distances
    assert median_bandwidth(np.zeros((4, 2))) == 1.0


def test_squared_false_takes_the_root_and_says_when_it_clips():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 2))
    far = dv.mmd(x, x + 1.0, bandwidth=1.0, squared=False)
    assert far.value == pytest.approx(math.sqrt(far.details["mmd2"]))
    assert far.unit == "sqrt(kernel)"
    same = [dv.mmd(x, rng.normal(size=(80, 2)), bandwidth=1.0, squared=False) for _ in range(10)]
    clipped = [r for r in same if r.details["mmd2"] < 0]
    assert clipped, "the U-statistic is negative about half the time under P = Q"
    assert all(r.value == 0.0 and "negative" in r.note for r in clipped)


def test_registry_and_pairwise():
    rng = np.random.default_rng(4)
    sets = [rng.normal(0.2 * k, 1.0, size=(50, 2)) for k in range(3)]
    assert float(dv.divergence(sets[0], sets[1], "mmd")) == float(dv.mmd(sets[0], sets[1]))
    for kind in ("mmd", "energy_distance"):
        r = dv.pairwise(sets, kind=kind, workers=1, progress=False)
        assert r.symmetric and r.values[0, 1] == r.values[1, 0]
        assert r.values[0, 2] == float(dv.divergence(sets[0], sets[2], kind))
    alone = dv.pairwise([sets[0]], kind="mmd", kernel="energy", progress=False)
    assert alone.unit == "distance"


def test_dense_refuses_past_its_limit():
    n = int(math.isqrt(DENSE_MAX_PAIRS)) + 1
    x = np.zeros((n, 1))
    with pytest.raises(MethodError, match="online"):
        dv.mmd(x, x, method="dense")


def test_clear_errors(clouds):
    x, y = clouds
    with pytest.raises(MethodError, match="kernel"):
        dv.mmd(x, y, kernel="rbf")
    with pytest.raises(ValueError, match="bandwidth"):
        dv.mmd(x, y, bandwidth=-1.0)
    with pytest.raises(TypeError, match="bandwidth"):
        dv.mmd(x, y, kernel="energy", bandwidth=1.0)
    with pytest.raises(ValueError, match="unbiased=False"):
        dv.mmd(x[:1], y)
    assert math.isfinite(dv.mmd(x[:1], y, unbiased=False).value)
    with pytest.raises(ValueError, match="bandwidth="):
        dv.mmd(dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 1.0))
    with pytest.raises(MethodError, match="support"):
        dv.mmd(dv.Histogram([0.5, 0.5]), dv.Histogram([0.2, 0.8]))
    with pytest.raises(MethodError, match="laplacian|applies"):
        dv.mmd(dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 1.0), kernel="laplacian", bandwidth=1.0)
    with pytest.raises(InvalidMeasureError, match="dimension"):
        dv.energy_distance(x, y[:, :2])


def test_a_histogram_against_samples_keeps_its_exact_within_term(clouds):
    x, y = clouds
    w = np.arange(1.0, 121.0)
    r = dv.mmd(dv.Histogram(w, support=x), y, bandwidth=1.1)
    # The histogram's within-term is its exact V form; the sample's is the U-statistic.
    wn = w / w.sum()
    kxx = wn @ _kernel_matrix(x, x, "gaussian", 1.1) @ wn
    kyy_full = _kernel_matrix(y, y, "gaussian", 1.1)
    kyy = (kyy_full.sum() - len(y)) / (len(y) * (len(y) - 1))
    kxy = wn @ _kernel_matrix(x, y, "gaussian", 1.1).mean(axis=1)
    assert r.value == pytest.approx(kxx + kyy - 2 * kxy, abs=_rounding_tolerance(120, 90, 1.0))
    assert r.stderr > 0 and r.details["unbiased"] is True


@pytest.mark.parametrize("kernel, code", [("gaussian", 0), ("laplacian", 1), ("energy", 2)])
def test_gram_rows_transposed_against_cdist(clouds, kernel, code):
    from divergences._kernels.kernel_sums import gram_rows_transposed
    from divergences.kernel_distances import _inverse_scale

    x, y = clouds
    out = np.empty((len(x), len(y) - 7))
    gram_rows_transposed(x, np.ascontiguousarray(y.T), 7, code, _inverse_scale(kernel, 1.3), out)
    expected = _kernel_matrix(x, y[7:], kernel, 1.3)
    # A few ulps of exp (fast_exp), plus the distances' rounding (a few eps relative, on
    # both sides) carried through exp(-a) as a relative error of a few eps times a.
    argument = np.abs(np.log(np.abs(expected))) if kernel != "energy" else 0.0
    assert np.all(np.abs(out - expected) <= EPS * (8 + 8 * argument) * np.abs(expected))
