"""Closed forms between densities: Gaussian KL and W_2 (Bures), uniform KL, JS and W_p.

Every method here is a closed form, exact up to rounding. The rounding of a
closed form with matrix factorisations grows with the condition number kappa
of the covariances (the strategies bound it, by 100): the tolerances below
are ``c d kappa eps`` times the magnitude of the terms, with ``c`` counting
the roundings of each term (stated where used).
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import divergences as dv
from divergences import testing as dvt
from theory_tolerances import EPS, LOG2, root_tol

dims = st.integers(1, 3)
gaussian_pairs = dims.flatmap(lambda d: st.tuples(dvt.gaussians(d), dvt.gaussians(d)))
gaussian_triples = dims.flatmap(lambda d: st.tuples(*[dvt.gaussians(d)] * 3))
uniform_pairs = dims.flatmap(lambda d: st.tuples(dvt.uniforms(d), dvt.uniforms(d)))


def condition(*gaussians):
    return max(float(np.linalg.cond(g.cov)) for g in gaussians)


def gaussian_kl_terms(p, q):
    """The terms of the closed form, by an independent route (solve and slogdet)."""
    trace = float(np.trace(np.linalg.solve(q.cov, p.cov)))
    diff = q.mean - p.mean
    maha = float(diff @ np.linalg.solve(q.cov, diff))
    logdet = np.linalg.slogdet(q.cov)[1] - np.linalg.slogdet(p.cov)[1]
    return trace, maha, float(logdet)


def gaussian_kl_tol(p, q):
    # Triangular solves are backward stable: relative error <= c d kappa eps in
    # each term (trace, Mahalanobis, the two log-determinants); c = 8 covers
    # the solve, the squaring and the sums.
    trace, maha, _ = gaussian_kl_terms(p, q)
    logdets = abs(np.linalg.slogdet(q.cov)[1]) + abs(np.linalg.slogdet(p.cov)[1])
    magnitude = trace + maha + p.dim + logdets
    return 8 * p.dim * condition(p, q) * EPS * magnitude


def kl(p, q):
    return float(dv.kl_divergence(p, q, method="exact"))


def js(p, q):
    return float(dv.js_divergence(p, q, method="exact"))


def random_affine(dim):
    """x -> A x + b with A = Q1 diag(s) Q2, s in [1/2, 2]: condition number <= 4."""
    rotations = st.lists(st.floats(-1, 1), min_size=dim * dim, max_size=dim * dim)
    stretches = st.lists(st.floats(0.5, 2.0), min_size=dim, max_size=dim)
    shifts = st.lists(dvt.well_scaled_floats(5.0), min_size=dim, max_size=dim)

    def build(r1, s, r2, b):
        q1, _ = np.linalg.qr(np.array(r1).reshape(dim, dim))
        q2, _ = np.linalg.qr(np.array(r2).reshape(dim, dim))
        return (q1 * np.array(s)) @ q2, np.array(b)

    return st.builds(build, rotations, stretches, rotations, shifts)


def push_gaussian(g, a, b):
    return dv.Gaussian(a @ g.mean + b, a @ g.cov @ a.T)


# --- KL between Gaussians ---------------------------------------------------------


@given(gaussian_pairs)
def test_gaussian_kl_nonnegative_zero_on_diagonal_and_matches_an_independent_evaluation(pair):
    p, q = pair
    value = kl(p, q)
    assert value >= 0.0
    assert kl(p, p) <= gaussian_kl_tol(p, p)
    trace, maha, logdet = gaussian_kl_terms(p, q)
    assert abs(value - max(0.0, 0.5 * (trace + maha - p.dim + logdet))) <= 2 * gaussian_kl_tol(p, q)


@given(dims.flatmap(lambda d: st.tuples(dvt.gaussians(d), dvt.gaussians(d), random_affine(d))))
def test_gaussian_kl_is_invariant_under_affine_bijections(case):
    # KL is invariant under any bijection applied to both laws; an affine map
    # keeps Gaussians Gaussian. kappa(A S A^T) <= kappa(A)^2 kappa(S) = 16 kappa(S).
    p, q, (a, b) = case
    p2, q2 = push_gaussian(p, a, b), push_gaussian(q, a, b)
    assert abs(kl(p2, q2) - kl(p, q)) <= gaussian_kl_tol(p, q) + gaussian_kl_tol(p2, q2)


@given(
    dvt.well_scaled_floats(5.0), dvt.well_scaled_floats(5.0),
    st.floats(0.1, 10.0), st.floats(0.1, 10.0),
)
def test_gaussian_kl_in_one_dimension(m1, m2, v1, v2):
    # log(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2, the textbook formula.
    expected = 0.5 * math.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / (2 * v2) - 0.5
    p, q = dv.Gaussian(m1, v1), dv.Gaussian(m2, v2)
    assert abs(kl(p, q) - max(expected, 0.0)) <= gaussian_kl_tol(p, q)


# --- uniforms: KL, JS, and an independent oracle on a grid ----------------------


@given(uniform_pairs)
def test_uniform_kl_is_log_volume_ratio_when_nested_and_infinite_otherwise(pair):
    p, q = pair
    nested = bool(np.all(p.low >= q.low) and np.all(p.high <= q.high))
    value = kl(p, q)
    assert math.isinf(value) == (not nested)
    assert kl(p, p) == 0.0
    if nested:
        # Two volumes (d products) and a log: a few ulps of log(V_q / V_p).
        assert abs(value - math.log(q.volume / p.volume)) <= 4 * (p.dim + 1) * EPS * (1 + value)


@given(uniform_pairs)
def test_uniform_js_bounds_identity_and_symmetry(pair):
    p, q = pair
    value = js(p, q)
    assert 0.0 <= value <= LOG2
    assert js(p, p) <= 8 * EPS  # log(2a / (a + a)) rounds to 0 or an ulp
    # The closed form is a sum of four terms of size <= log 2.
    assert abs(value - js(q, p)) <= 16 * (p.dim + 2) * EPS


@given(dims.flatmap(lambda d: st.tuples(*[dvt.uniforms(d)] * 3)))
def test_uniform_square_root_js_triangle(triple):
    p, q, r = triple
    # An error e in JS moves sqrt(JS) by at most sqrt(e); e <= 16 (d + 2) eps.
    slack = 3 * math.sqrt(16 * (p.dim + 2) * EPS)
    assert math.sqrt(js(p, r)) <= math.sqrt(js(p, q)) + math.sqrt(js(q, r)) + slack


def grid_uniforms(dim):
    """Boxes whose corners lie on the grid (1/4) Z^d inside [-3, 2.75]^d."""
    corner = st.lists(st.integers(-12, 3), min_size=dim, max_size=dim)
    widths = st.lists(st.integers(1, 8), min_size=dim, max_size=dim)
    def box(lo, w):
        return dv.Uniform(np.array(lo) / 4.0, (np.array(lo) + np.array(w)) / 4.0)

    return st.builds(box, corner, widths)


def on_grid(u, cells):
    """The uniform law as a histogram over grid cells (exact: constant density on each)."""
    inside = np.all((cells >= u.low) & (cells < u.high), axis=1)
    return dv.Histogram(inside.astype(float))


@given(st.integers(1, 2).flatmap(lambda d: st.tuples(grid_uniforms(d), grid_uniforms(d))))
def test_uniform_closed_forms_equal_their_exact_discretisation(pair):
    # Both densities are constant on each grid cell, so the cell masses carry
    # all the information and KL, JS of the histograms equal those of the laws.
    p, q = pair
    axis = (np.arange(-12, 12) + 0.5) / 4.0  # cell centres
    cells = np.stack(np.meshgrid(*[axis] * p.dim, indexing="ij"), axis=-1).reshape(-1, p.dim)
    hp, hq = on_grid(p, cells), on_grid(q, cells)
    n = len(cells)
    # The histogram sums run over up to 24^2 cells: n eps of the log magnitudes
    # (<= log(cells) + log 2 per unit mass).
    tol = 4 * n * EPS * (math.log(n) + 1)
    assert abs(js(p, q) - js(hp, hq)) <= tol
    assert kl(p, q) == kl(hp, hq) or abs(kl(p, q) - kl(hp, hq)) <= tol


@given(dims.flatmap(lambda d: st.tuples(
    dvt.uniforms(d), dvt.uniforms(d),
    st.lists(st.floats(0.25, 4.0), min_size=d, max_size=d),
    st.lists(dvt.well_scaled_floats(5.0), min_size=d, max_size=d),
)))
def test_uniform_kl_and_js_are_invariant_under_diagonal_affine_maps(case):
    # x -> s * x + b (s > 0 per axis) maps boxes to boxes and is a bijection.
    p, q, s, b = case
    s, b = np.array(s), np.array(b)
    def push(u):
        return dv.Uniform(s * u.low + b, s * u.high + b)
    p2, q2 = push(p), push(q)
    before, after = kl(p, q), kl(p2, q2)
    if math.isfinite(before) and math.isfinite(after):
        # Rounding the corners can only change nesting at an exact tie; the
        # volumes change by a few relative ulps per axis.
        assert abs(after - before) <= 16 * (p.dim + 1) * EPS * (1 + before)
    # JS depends only on the overlap fractions r = V_overlap / V (one per box)
    # and the density ratio, which the map preserves exactly; rounding each
    # corner (<= eps |corner|) moves every side, hence every r, by at most
    # 2 d eps max|corner| / min(side) relative to the largest side ratio, and
    # dJS/dr <= log 2 + log(1 + volume ratio). Constant 64 covers both boxes,
    # both laws and the d-fold products.
    widths = np.concatenate([p.high - p.low, q.high - q.low])
    sides = np.concatenate([widths, np.tile(s, 2) * widths])
    width_ratio = float(sides.max() / sides.min())
    corners = np.concatenate([p2.low, p2.high, q2.low, q2.high, p.low, p.high, q.low, q.high])
    scale = float(np.max(np.abs(corners)))
    lipschitz = 1 + math.log(1 + width_ratio**p.dim)
    slack = 64 * p.dim * EPS * (1 + scale) * (1 + width_ratio) * lipschitz
    assert abs(js(p2, q2) - js(p, q)) <= slack


@given(dims.flatmap(lambda d: st.tuples(dvt.uniforms(d), dvt.gaussians(d), random_affine(d))))
def test_kl_uniform_to_gaussian_nonnegative_and_invariant_under_diagonal_maps(case):
    u, g, (a, b) = case
    value = kl(u, g)
    assert value >= 0.0
    # Use only the diagonal of the drawn map (boxes stay boxes), with positive entries.
    s = np.abs(np.diag(a)) + 0.5
    u2 = dv.Uniform(s * u.low + b, s * u.high + b)
    g2 = dv.Gaussian(s * g.mean + b, (s[:, None] * g.cov) * s[None, :])
    tol = gaussian_kl_tol(g, g) + gaussian_kl_tol(g2, g2)
    magnitude = 1 + value + abs(u.entropy()) + abs(g.entropy())
    assert abs(kl(u2, g2) - value) <= tol + 16 * u.dim * EPS * magnitude * condition(g, g2)


# --- W_2 between Gaussians: the Bures closed form ---------------------------------


def w2(p, q):
    result = dv.wasserstein(p, q, order=2, method="gaussian")
    assert result.stderr == 0.0
    return result


def bures_tol(*gaussians):
    # eigh is backward stable (perturbation <= c d eps |S|); the square roots
    # of the eigenvalues add a relative eps; summed over d eigenvalues and
    # amplified by sqrt(kappa) in the nested square root: c = 16.
    d = gaussians[0].dim
    size = sum(float(np.trace(g.cov)) for g in gaussians)
    means = sum(float(g.mean @ g.mean) for g in gaussians)
    return 16 * d * d * EPS * (size * math.sqrt(condition(*gaussians)) + means)


@given(gaussian_pairs)
def test_bures_nonnegative_zero_on_diagonal_symmetric(pair):
    p, q = pair
    forward, backward = w2(p, q), w2(q, p)
    assert forward.value >= 0.0
    assert w2(p, p).cost <= bures_tol(p)
    assert abs(forward.cost - backward.cost) <= 2 * bures_tol(p, q)


@given(gaussian_triples)
def test_bures_triangle_inequality(triple):
    p, q, r = triple
    legs = [(p, r), (p, q), (q, r)]
    results = [w2(a, b) for a, b in legs]
    slack = sum(root_tol(res.cost, bures_tol(a, b), 2.0) for (a, b), res in zip(legs, results))
    assert results[0].value <= results[1].value + results[2].value + slack


@given(dims.flatmap(lambda d: st.tuples(
    dvt.gaussians(d), dvt.gaussians(d),
    st.lists(dvt.well_scaled_floats(10.0), min_size=d, max_size=d),
    dvt.well_scaled_floats(4.0),
)))
def test_bures_translation_invariance_and_scaling_law(case):
    p, q, shift, factor = case
    shift = np.array(shift)
    base = w2(p, q)
    moved = w2(dv.Gaussian(p.mean + shift, p.cov), dv.Gaussian(q.mean + shift, q.cov))
    # The shifted means round by eps |m + a|: the mean term moves by that much.
    shifted_means = float(np.linalg.norm(p.mean + shift)) + float(np.linalg.norm(q.mean + shift))
    mean_rounding = 2 * EPS * shifted_means
    tol = root_tol(base.cost, bures_tol(p, q), 2.0)
    # The moved pair's Bures rounding also sees the larger means (|m + a|^2 terms).
    moved_tol = root_tol(moved.cost, bures_tol(p, q) + 16 * p.dim**2 * EPS * shifted_means**2, 2.0)
    assert abs(moved.value - base.value) <= tol + moved_tol + mean_rounding
    if factor != 0.0:
        # s P = N(s m, s^2 S): W_2 scales by |s|.
        scaled = w2(
            dv.Gaussian(factor * p.mean, factor**2 * p.cov),
            dv.Gaussian(factor * q.mean, factor**2 * q.cov),
        )
        tol_scaled = root_tol(scaled.cost, factor**2 * bures_tol(p, q), 2.0)
        assert abs(scaled.value - abs(factor) * base.value) <= tol_scaled + abs(factor) * tol


@given(dvt.gaussians(st.integers(1, 3)), dvt.well_scaled_floats(5.0), st.data())
def test_bures_of_shifted_copies_is_the_shift(g, _, data):
    coordinates = st.lists(dvt.well_scaled_floats(5.0), min_size=g.dim, max_size=g.dim)
    shift = np.array(data.draw(coordinates))
    result = w2(g, dv.Gaussian(g.mean + shift, g.cov))
    rounding = 2 * EPS * float(np.linalg.norm(g.mean + shift) + np.linalg.norm(shift))
    slack = root_tol(result.cost, bures_tol(g), 2.0) + rounding
    assert abs(result.value - float(np.linalg.norm(shift))) <= slack


@given(dims.flatmap(lambda d: st.tuples(
    st.lists(dvt.well_scaled_floats(5.0), min_size=2 * d, max_size=2 * d),
    st.lists(st.floats(0.1, 10.0), min_size=2 * d, max_size=2 * d),
)))
def test_bures_for_commuting_covariances(case):
    # Diagonal covariances commute: W_2^2 = |m1 - m2|^2 + sum (sqrt(l1) - sqrt(l2))^2.
    means, variances = (np.array(v).reshape(2, -1) for v in case)
    p, q = dv.Gaussian(means[0], variances[0]), dv.Gaussian(means[1], variances[1])
    roots = np.sqrt(variances)
    expected = float(np.sum((means[0] - means[1]) ** 2) + np.sum((roots[0] - roots[1]) ** 2))
    result = w2(p, q)
    assert abs(result.cost - expected) <= bures_tol(p, q)


@given(dvt.gaussians(1), dvt.gaussians(1))
def test_bures_agrees_with_the_quantile_formula_in_one_dimension(p, q):
    # An independent method: the 1-D solver integrates |F^-1 - G^-1|^2 by
    # adaptive quadrature (requested epsrel 1e-11). quad's error estimate is
    # heuristic, so we allow ten times it, and at least the requested accuracy.
    closed = w2(p, q)
    line = dv.wasserstein(p, q, order=2, method="1d")
    quad_err = max(10 * line.details["quadrature_abserr"], 1e-10 * line.cost)
    assert abs(line.cost - closed.cost) <= quad_err + bures_tol(p, q)
    # And Jensen's ordering across methods: W_1 (quadrature) <= W_2 (closed form).
    w1 = dv.wasserstein(p, q, order=1, method="1d")
    quad_err = max(10 * w1.details["quadrature_abserr"], 1e-10 * w1.cost)
    slack = quad_err + root_tol(closed.cost, bures_tol(p, q), 2.0)
    assert w1.value <= closed.value + slack


# --- W_p between 1-D uniforms: closed form -----------------------------------------


def uniform_w(p, q, order):
    result = dv.wasserstein(p, q, order=order, method="1d")
    assert result.stderr == 0.0 and result.note == "closed form"
    return result


def uniform_w_tol(p, q, order, result):
    """Error bound on the closed-form W_p of two 1-D uniforms, in distance units.

    The quantile difference at t = 0 and t = 1 is formed by one subtraction of
    the endpoints (error <= eps/2 of the largest endpoint), and W_p moves by at
    most the sup of the change of the quantile difference; the stable closed
    form then adds a few relative roundings per operation (c = 8 (p + 2)).
    """
    ends = float(np.max(np.abs([p.low[0], p.high[0], q.low[0], q.high[0]])))
    return 8 * (order + 2) * EPS * result.value + EPS * ends


@pytest.mark.parametrize("order", [1.0, 1.5, 2.0, 3.0])
@given(st.tuples(dvt.uniforms(), dvt.uniforms()))
def test_uniform_w_agrees_with_quadrature_of_the_quantiles(order, pair):
    p, q = pair
    closed = uniform_w(p, q, order)
    # scipy's uniform through the generic adapter has no closed form: quadrature
    # (requested epsrel 1e-11; its error estimate is heuristic: ten times it).
    sp = dv.ScipyDensity(stats.uniform(p.low[0], p.high[0] - p.low[0]))
    sq = dv.ScipyDensity(stats.uniform(q.low[0], q.high[0] - q.low[0]))
    quadrature = dv.wasserstein(sp, sq, order=order, method="1d")
    quad_err = max(10 * quadrature.details["quadrature_abserr"], 1e-10 * quadrature.cost)
    tol = root_tol(quadrature.cost, quad_err, order) + uniform_w_tol(p, q, order, closed)
    assert abs(closed.value - quadrature.value) <= tol


@given(st.tuples(*[dvt.uniforms()] * 3), dvt.wasserstein_orders())
def test_uniform_w_metric_axioms(triple, order):
    p, q, r = triple
    legs = [(p, r), (p, q), (q, r)]
    results = [uniform_w(a, b, order) for a, b in legs]
    tols = [uniform_w_tol(a, b, order, res) for (a, b), res in zip(legs, results)]
    assert uniform_w(p, p, order).value == 0.0
    assert abs(results[1].value - uniform_w(q, p, order).value) <= 2 * tols[1]
    assert results[0].value <= results[1].value + results[2].value + sum(tols)


def affine_uniform(u, factor, shift):
    ends = sorted((factor * u.low[0] + shift, factor * u.high[0] + shift))
    return dv.Uniform(*ends)


@given(dvt.uniforms(), dvt.uniforms(), dvt.well_scaled_floats(4.0), dvt.well_scaled_floats(5.0))
def test_uniform_w_scaling_translation_and_order(p, q, factor, shift):
    # W_p(P + a, Q + a) = W_p(P, Q); W_p(s P, s Q) = |s| W_p(P, Q); W_p nondecreasing in p.
    values = {}
    for order in (1.0, 1.5, 2.0, 3.0):
        base = uniform_w(p, q, order)
        tol = uniform_w_tol(p, q, order, base)
        values[order] = (base.value, tol)
        p2, q2 = affine_uniform(p, 1.0, shift), affine_uniform(q, 1.0, shift)
        moved = uniform_w(p2, q2, order)
        # Rounding the shifted endpoints moves each by <= eps/2 |x + a|: W by at most that.
        rounding = EPS * float(np.max(np.abs([p2.low, p2.high, q2.low, q2.high])))
        assert abs(moved.value - base.value) <= tol + uniform_w_tol(p2, q2, order, moved) + rounding
        if factor != 0.0:
            p3, q3 = affine_uniform(p, factor, 0.0), affine_uniform(q, factor, 0.0)
            scaled = uniform_w(p3, q3, order)
            rounding = EPS * float(np.max(np.abs([p3.low, p3.high, q3.low, q3.high])))
            slack = uniform_w_tol(p3, q3, order, scaled) + abs(factor) * tol + rounding
            assert abs(scaled.value - abs(factor) * base.value) <= slack
    orders = sorted(values)
    for low, high in zip(orders, orders[1:]):
        assert values[low][0] <= values[high][0] + values[low][1] + values[high][1]
