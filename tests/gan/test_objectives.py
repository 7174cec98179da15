"""Objectives: generator gradients against finite differences, and the optimal discriminator."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

import divergences as dv
from divergences._threads import single_threaded_blas
from divergences.exceptions import MethodError
from divergences.gan.objectives import (
    ExactOT,
    JensenShannonGAN,
    Objective,
    SinkhornObjective,
    SlicedObjective,
    make_objective,
)

H = 1e-6


def finite_difference(loss, points):
    """d loss(points) / d points by central differences."""
    grad = np.empty_like(points)
    for index in np.ndindex(points.shape):
        up, down = points.copy(), points.copy()
        up[index] += H
        down[index] -= H
        grad[index] = (loss(up) - loss(down)) / (2 * H)
    return grad


@pytest.fixture
def batches():
    rng = np.random.default_rng(11)
    return rng.standard_normal((6, 2)), rng.standard_normal((6, 2)) + [1.0, 0.5]


@pytest.mark.parametrize("order", [1.0, 2.0, 1.5])
def test_exact_ot_gradient_is_the_envelope_of_the_linear_program(batches, order):
    # The optimal plan of random points is unique and stays optimal under a 1e-6
    # move, so the cost is smooth there and the plan gives its exact gradient;
    # agreement is limited by the differences' rounding error (~1e-9).
    real, fake = batches
    objective = ExactOT(order=order)
    loss, grad, estimate = objective.generator_step(real, fake, None)
    assert estimate == pytest.approx(loss ** (1 / order))
    numeric = finite_difference(lambda y: objective.generator_step(real, y, None)[0], fake)
    np.testing.assert_allclose(grad, numeric, atol=1e-7)


@pytest.mark.parametrize("order", [1.0, 2.0])
def test_sinkhorn_gradient_matches_finite_differences(batches, order):
    # Value and plan converge to 1e-12 marginal error at eps = 0.5; the envelope
    # gradient (from the solver's potentials, by the online kernel) then matches
    # the differences of the solver's value to their rounding error.
    real, fake = batches
    objective = SinkhornObjective(eps=0.5, order=order, max_iter=100000, tol=1e-12)
    loss, grad, _ = objective.generator_step(real, fake, None)
    numeric = finite_difference(lambda y: objective.generator_step(real, y, None)[0], fake)
    np.testing.assert_allclose(grad, numeric, atol=1e-6)


def test_sinkhorn_divergence_of_identical_batches_is_zero(batches):
    real, _ = batches
    loss, grad, _ = SinkhornObjective(eps=0.5).generator_step(real, real.copy(), None)
    assert abs(loss) < 1e-10
    np.testing.assert_allclose(grad, 0.0, atol=1e-8)


def test_sinkhorn_objective_warns_when_the_solver_does_not_converge(batches):
    # The warning is the solver's own (divergences.ot.sinkhorn.divergence).
    real, fake = batches
    with pytest.warns(dv.ConvergenceWarning, match="Sinkhorn divergence did not converge"):
        SinkhornObjective(eps=0.01, max_iter=1, tol=1e-12).generator_step(real, fake, None)


@pytest.mark.parametrize("order", [1.0, 2.0])
def test_sliced_gradient_matches_finite_differences(batches, order):
    real, fake = batches
    objective = SlicedObjective(n_projections=7, order=order)

    def loss(y):  # the same projections every time
        return objective.generator_step(real, y, np.random.default_rng(3))[0]

    _, grad, _ = objective.generator_step(real, fake, np.random.default_rng(3))
    np.testing.assert_allclose(grad, finite_difference(loss, fake), atol=1e-7)


@pytest.mark.parametrize(
    "name",
    ["js", "js_distance", "js_nonsaturating", "kl", "kl_reverse", "wasserstein", "wgan_clip"],
)
def test_critic_objectives_generator_gradient(batches, name):
    real, fake = batches
    rng = np.random.default_rng(0)
    objective = make_objective(name, hidden=(8, 8), activation="tanh")
    objective.setup(2, rng)
    for _ in range(20):
        objective.critic_step(real, fake, rng)
    _, grad, _ = objective.generator_step(real, fake, rng)
    numeric = finite_difference(lambda y: objective.generator_step(real, y, rng)[0], fake)
    np.testing.assert_allclose(grad, numeric, atol=1e-7)


# --- The optimal discriminator: D* = p / (p + q), V(G, D*) = -log 4 + 2 JS. -------------

P_MEAN, P_SD, Q_MEAN, Q_SD = 0.0, 1.0, 1.0, 0.5


def log_p(x):
    return stats.norm.logpdf(x, P_MEAN, P_SD)


def log_q(x):
    return stats.norm.logpdf(x, Q_MEAN, Q_SD)


def log_sigmoid(z):
    return -np.logaddexp(0.0, -z)


def value_of(logit):
    """V(D) = E_P log D + E_Q log(1 - D) for D = sigmoid(logit), by quadrature.

    A trapezoid rule on a fine grid: the trained logit is only piecewise smooth
    (kinks where hidden units switch), which adaptive quadrature handles badly;
    with spacing 1e-3 the error is below 1e-6, far inside the tolerances below.
    """
    x = np.linspace(-10.0, 10.0, 20001)
    h = logit(x)
    integrand = np.exp(log_p(x)) * log_sigmoid(h) + np.exp(log_q(x)) * log_sigmoid(-h)
    return float(np.trapezoid(integrand, x))


def js_by_quadrature():
    def integrand(x):
        lp, lq = log_p(x), log_q(x)
        lm = np.logaddexp(lp, lq) - math.log(2)
        return 0.5 * math.exp(lp) * (lp - lm) + 0.5 * math.exp(lq) * (lq - lm)

    return integrate.quad(integrand, -12, 12, limit=200, epsabs=1e-8, epsrel=1e-8)[0]


@pytest.fixture(scope="module")
def trained_discriminator():
    p, q = dv.Gaussian(P_MEAN, P_SD**2), dv.Gaussian(Q_MEAN, Q_SD**2)
    objective = JensenShannonGAN(hidden=(32, 32), lr=3e-3)
    rng = np.random.default_rng(0)
    objective.setup(1, rng)
    with single_threaded_blas():
        for _ in range(600):
            objective.critic_step(p.sample(256, rng), q.sample(256, rng), rng)
    return objective, p, q


def test_value_at_the_optimal_discriminator_is_the_js_formula():
    # The identity itself, by quadrature at D* = p/(p+q) (logit log p - log q).
    js = js_by_quadrature()
    assert value_of(lambda x: log_p(x) - log_q(x)) == pytest.approx(-math.log(4) + 2 * js, abs=1e-6)


def test_trained_discriminator_approaches_the_optimum(trained_discriminator):
    objective, _, _ = trained_discriminator

    def logit(x):
        return objective.critic(x[:, None])[:, 0]

    grid = np.linspace(-1.5, 2.0, 71)  # where p + q carries ~90% of the mass
    d_star = 1.0 / (1.0 + np.exp(-(log_p(grid) - log_q(grid))))
    d_hat = 1.0 / (1.0 + np.exp(-objective.critic(grid[:, None])[:, 0]))
    # Optimisation tolerance, not a statistical one: 600 Adam steps of 256 points
    # reach about 0.03 in sup norm here.
    assert np.abs(d_hat - d_star).max() < 0.05

    v_star = -math.log(4) + 2 * js_by_quadrature()
    v_hat = value_of(logit)
    # V(D*) is the maximum of V; the gap is the (p+q)-weighted KL between
    # Bernoulli(D*) and Bernoulli(D), second order in D - D*.
    assert v_hat <= v_star + 1e-6
    assert v_star - v_hat < 0.01


def test_sample_value_estimates_the_discriminators_value(trained_discriminator):
    objective, p, q = trained_discriminator
    rng = np.random.default_rng(1)
    x, y = p.sample(20000, rng), q.sample(20000, rng)
    terms_p = log_sigmoid(objective.critic(x)[:, 0])
    terms_q = log_sigmoid(-objective.critic(y)[:, 0])
    stderr = math.sqrt(terms_p.var() / x.shape[0] + terms_q.var() / y.shape[0])
    exact = value_of(lambda t: objective.critic(t[:, None])[:, 0])
    # A mean of 20000 independent terms: within 4 standard errors.
    assert abs(objective.value(x, y) - exact) < 4 * stderr


def test_make_objective_errors():
    with pytest.raises(MethodError, match="unknown divergence 'tv'.*'wasserstein'"):
        make_objective("tv")
    with pytest.raises(TypeError, match="divergence='js'"):
        make_objective("js", penalty="gp")
    with pytest.raises(TypeError, match="Objective instance"):
        make_objective(ExactOT(), order=2)
    with pytest.raises(ValueError, match="generator_loss"):
        make_objective("js", generator_loss="minimax")
    with pytest.raises(ValueError, match="penalty"):
        make_objective("wasserstein", penalty="lipschitz")
    with pytest.raises(ValueError, match="n_critic"):
        make_objective("wasserstein", n_critic=0)
    with pytest.raises(ValueError, match="eps"):
        make_objective("sinkhorn", eps=0.0)


def test_every_divergence_name_has_an_objective():
    # By its registry record: a name in OBJECTIVES, or a factory of its own module.
    assert set(dv.DIVERGENCES) <= set(dv.gan.objective_names())
    for kind in dv.DIVERGENCES:
        assert isinstance(make_objective(kind), Objective)


def test_wasserstein_critic_refuses_the_option_its_penalty_ignores():
    # Issue 19, item 11: clip with a gradient penalty, or lam with weight clipping,
    # used to be accepted and ignored.
    from divergences.gan.objectives import WassersteinCritic

    with pytest.raises(TypeError, match="WassersteinCritic: clip is the weight bound"):
        WassersteinCritic(penalty="gp", clip=0.1)
    with pytest.raises(TypeError, match="WassersteinCritic: lam is the weight"):
        WassersteinCritic(penalty="clip", lam=5.0)
    assert (WassersteinCritic().lam, WassersteinCritic(penalty="clip").clip) == (10.0, 0.01)
    assert WassersteinCritic(penalty="clip", clip=0.05).clip == 0.05
