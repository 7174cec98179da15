"""Classifier (density-ratio) estimates of KL and JS: oracles, D*, the GAN identity, bad inputs.

Tolerances: ``Z`` standard errors of the estimate plus a model-bias allowance.
The logistic discriminator with quadratic features contains the true
log-ratio of two Gaussians, so its only bias is that of fitting ``k``
parameters to the ``N`` pooled training points of a fold:

* JS: the excess held-out log-loss of a maximum-likelihood fit is ``k/(2N)``
  on average (Akaike's argument: ``tr(I^-1 I)/(2N)``), and the balanced loss is
  ``-V/2``, so ``JS = (V + log 4)/2`` is low by ``k/(2N)`` on average. We allow
  ``k/N``, twice that, to cover the spread of the excess loss (about
  ``sqrt(2k)/(2N)``) as well; the allowance applies below the truth only
  (``V(D) <= V(D*)``).
* KL: a plug-in of a ``k``-parameter M-estimator is biased at order ``k/N``;
  we allow ``k/N`` on either side. Over 60 seeds at d = 3, n = 2000 the mean
  error was +0.004 +- 0.004, within it (k/N = 0.005).

The penalty (1e-4 on standardised weights) shrinks the log-odds by a relative
``~4e-4``, two orders below these allowances.
"""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

import divergences as dv
from divergences._logistic import LogisticDiscriminator
from divergences.classifier import classifier_log_odds
from divergences.datasets import parallel_lines
from divergences.exceptions import InvalidMeasureError, MethodError
from divergences.kl import kl_gaussians

Z = 4.0
LOG2 = math.log(2.0)


def gaussians(d):
    if d == 1:
        return dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 2.0)
    # Different means and covariances: the log-ratio uses every quadratic feature.
    return dv.Gaussian(np.zeros(d), 1.0), dv.Gaussian(np.full(d, 0.5), np.diag([0.7, 1.0, 1.5]))


def js_truth(p, q):
    """JS by quadrature in 1-D, else by Monte Carlo: value and its standard error."""
    if p.dim == 1:
        r = dv.js_divergence(p, q)
        assert r.method == "quadrature"
        return r.value, 0.0
    r = dv.js_divergence(p, q, method="monte-carlo", n_samples=200_000, rng=99)
    return r.value, r.stderr


def allowance(r):
    """k/N: parameters over the pooled training points of one fold."""
    return r.details["n_params"] / r.details["n_train"]


@pytest.mark.parametrize("d", [1, 3])
def test_kl_against_closed_form(d):
    p, q = gaussians(d)
    truth = kl_gaussians(p, q)
    x, y = p.sample(2000, rng=1), q.sample(2000, rng=2)
    r = dv.kl_divergence(x, y, method="classifier", rng=3)
    assert r.method == "classifier" and r.sizes == (2000, 2000) and r.converged
    assert r.details["features"] == "quadratic"
    assert r.details["n_params"] == 1 + d + d * (d + 1) // 2  # intercept, x, x x^T upper
    assert abs(r.value - truth) <= Z * r.stderr + allowance(r)


@pytest.mark.parametrize("d", [1, 3])
def test_js_against_quadrature_or_monte_carlo(d):
    p, q = gaussians(d)
    truth, truth_se = js_truth(p, q)
    x, y = p.sample(2000, rng=4), q.sample(2000, rng=5)
    r = dv.js_divergence(x, y, method="classifier", rng=6)
    tolerance = Z * math.hypot(r.stderr, truth_se)
    assert truth - tolerance - allowance(r) <= r.value <= truth + tolerance


def test_unequal_sizes_use_the_prior_correction():
    # n_p != n_q: without subtracting log(n_p/n_q) both estimates would be off by ~log 4.
    p, q = gaussians(1)
    x, y = p.sample(800, rng=7), q.sample(3200, rng=8)
    kl = dv.kl_divergence(x, y, method="classifier", rng=9)
    js = dv.js_divergence(x, y, method="classifier", rng=9)
    assert kl.sizes == (800, 3200)
    assert abs(kl.value - kl_gaussians(p, q)) <= Z * kl.stderr + allowance(kl)
    truth, _ = js_truth(p, q)
    assert truth - Z * js.stderr - allowance(js) <= js.value <= truth + Z * js.stderr


def test_trained_discriminator_approaches_p_over_p_plus_q():
    p, q = gaussians(1)
    n = 20_000
    points = np.vstack([p.sample(n, rng=10), q.sample(n, rng=11)])
    labels = np.r_[np.ones(n), np.zeros(n)]
    model = LogisticDiscriminator("quadratic").fit(points, labels)
    grid = np.linspace(-2.0, 3.0, 51)[:, None]
    log_p, log_q = p.logpdf(grid), q.logpdf(grid)
    optimal = np.exp(log_p - np.logaddexp(log_p, log_q))
    fitted = 1.0 / (1.0 + np.exp(-model.log_odds(grid)))
    # Delta method: sd(D) = D(1 - D) sd(log-odds), the latter from the inverse Fisher
    # information of the (correctly specified) model; Z of them, pointwise.
    tolerance = Z * optimal * (1 - optimal) * model.log_odds_stderr(grid)
    assert np.all(np.abs(fitted - optimal) <= tolerance)
    assert np.max(np.abs(fitted - optimal)) < 0.02  # and the band itself is narrow


def test_game_value_is_minus_log4_plus_twice_js():
    # V(G, D*) = -log 4 + 2 JS: the held-out game value of the trained D, against the truth.
    p, q = gaussians(1)
    truth, _ = js_truth(p, q)
    r = dv.js_divergence(p, q, method="classifier", n_samples=4000, rng=12)
    assert r.details["drawn_from_density"] == {"p": 4000, "q": 4000}
    game = r.details["game_value"]
    assert game == pytest.approx(2 * r.details["unclipped"] - math.log(4.0))
    # V's error is twice JS's: 2 (Z stderr + allowance) below, 2 Z stderr above.
    expected = -math.log(4.0) + 2 * truth
    assert expected - 2 * (Z * r.stderr + allowance(r)) <= game <= expected + 2 * Z * r.stderr
    # And the identity itself, with the true D* on draws of P and Q.
    x, y = p.sample(200_000, rng=13), q.sample(200_000, rng=14)
    log_d = p.logpdf(x) - np.logaddexp(p.logpdf(x), q.logpdf(x))
    log_1md = q.logpdf(y) - np.logaddexp(p.logpdf(y), q.logpdf(y))
    value = log_d.mean() + log_1md.mean()
    se = math.sqrt(log_d.var() / x.shape[0] + log_1md.var() / y.shape[0])
    assert abs(value - expected) <= Z * se


def test_parallel_lines_give_log2():
    x, y = parallel_lines(1.0, 1000, rng=15)
    r = dv.js_divergence(x, y, method="classifier", features="linear", rng=16)
    assert r.details["separated"] and r.converged
    # The separating weight w on the standardised first coordinate (values +-1) solves
    # sigma(-w) = penalty * w; every point then has log 2D = log 2 - log(1 + e^-w).
    penalty = r.details["penalty"]
    w = brentq(lambda t: 1.0 / (1.0 + math.exp(t)) - penalty * t, 0.0, 100.0)
    deficit = math.log1p(math.exp(-w))
    assert 0.0 <= LOG2 - r.value <= 2 * deficit  # 2x: the irrelevant coordinate's small weight
    kl = dv.kl_divergence(x, y, method="classifier", features="linear", rng=16)
    assert "KL is infinite" in kl.note and kl.value > 5.0


def test_separated_lines_stay_bounded_by_log2():
    # Fourier and quadratic features separate them too; the estimate never exceeds log 2.
    x, y = parallel_lines(0.5, 300, rng=17)
    for features in ("quadratic", "fourier"):
        r = dv.js_divergence(x, y, method="classifier", features=features, rng=18)
        assert r.value <= LOG2 and r.value > LOG2 - 0.05


def test_fourier_features_are_a_lower_bound_up_to_noise():
    # Random Fourier features cannot represent the quadratic log-ratio exactly, so V(D)
    # <= V(D*) on average: the estimate errs low. The allowance below is k/(2N), the
    # unpenalised fit's Akaike bias, an upper bound for the penalised one.
    p, q = gaussians(1)
    truth, _ = js_truth(p, q)
    x, y = p.sample(2000, rng=19), q.sample(2000, rng=20)
    r = dv.js_divergence(x, y, method="classifier", features="fourier", rng=21)
    assert r.details["n_features"] == 128 and r.details["bandwidth"] > 0
    assert truth - Z * r.stderr - allowance(r) / 2 <= r.value <= truth + Z * r.stderr


def test_samples_against_density_draws_as_many_points():
    p, q = gaussians(1)
    x = p.sample(1500, rng=22)
    r = dv.kl_divergence(x, q, method="classifier", rng=23)
    assert r.sizes == (1500, None) and r.details["drawn_from_density"] == {"q": 1500}
    assert abs(r.value - kl_gaussians(p, q)) <= Z * r.stderr + allowance(r)


def test_seeds_reproduce():
    p, q = gaussians(3)
    x, y = p.sample(500, rng=24), q.sample(500, rng=25)
    for divergence, features in ((dv.kl_divergence, "quadratic"), (dv.js_divergence, "fourier")):
        a = divergence(x, y, method="classifier", features=features, rng=26)
        b = divergence(x, y, method="classifier", features=features, rng=26)
        c = divergence(x, y, method="classifier", features=features, rng=27)
        assert a.value == b.value and a.stderr == b.stderr
        assert a.value != c.value  # other folds (and other Fourier frequencies)


def test_auto_never_picks_the_classifier():
    x, y = np.random.default_rng(28).normal(size=(2, 200))
    assert dv.js_divergence(x, y).method == "knn"
    assert dv.kl_divergence(x, y).method == "knn"


class ProbaOnly:
    """A scikit-learn-like model with predict_proba only, classes in reverse order."""

    classes_ = np.array([1, 0])

    def fit(self, x, y):
        self._inner = LogisticDiscriminator("quadratic").fit(x, y)
        return self

    def predict_proba(self, x):
        d = 1.0 / (1.0 + np.exp(-self._inner.log_odds(x)))
        return np.column_stack([d, 1.0 - d])


@pytest.mark.parametrize(
    "model",
    [
        LogisticDiscriminator("quadratic"),
        lambda x, y: LogisticDiscriminator("quadratic").fit(x, y).log_odds,
        ProbaOnly(),
    ],
    ids=["fit-log_odds", "callable", "predict_proba"],
)
def test_plug_in_models_give_the_default_estimate(model):
    # Same rng, same folds, same fits: the same JS and KL values as the built-in model.
    p, q = gaussians(1)
    x, y = p.sample(600, rng=29), q.sample(600, rng=30)
    for divergence in (dv.js_divergence, dv.kl_divergence):
        default = divergence(x, y, method="classifier", rng=31)
        plugged = divergence(x, y, method="classifier", model=model, rng=31)
        assert plugged.value == pytest.approx(default.value, rel=1e-9, abs=1e-12)
        assert "model" in plugged.details and "features" not in plugged.details
        assert plugged.stderr > 0


def test_log_odds_share_the_fitted_ratio():
    p, q = gaussians(1)
    x, y = p.sample(3000, rng=32), q.sample(3000, rng=33)
    log_x, log_y, info = classifier_log_odds(x, y, rng=34)
    truth_x = p.logpdf(x) - q.logpdf(x)
    # Held-out log-ratios track the true ones (correlation, a loose sanity check).
    assert np.corrcoef(log_x, truth_x)[0, 1] > 0.99
    assert log_y.shape == (3000,) and info["folds"] == 2


def test_bad_inputs():
    x = np.random.default_rng(35).normal(size=(50, 2))
    y = x + 1.0
    with pytest.raises(MethodError, match="features"):
        dv.js_divergence(x, y, method="classifier", features="cubic")
    with pytest.raises(ValueError, match="folds"):
        dv.js_divergence(x, y, method="classifier", folds=1)
    with pytest.raises(InvalidMeasureError, match=r"q has 5 points.*cross-fitting"):
        dv.kl_divergence(x, y[:5], method="classifier", folds=3)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(InvalidMeasureError, match="NaN"):
        dv.kl_divergence(bad, y, method="classifier")
    with pytest.raises(InvalidMeasureError, match="weighted"):
        dv.js_divergence(dv.Samples(x, weights=np.arange(1, 51)), y, method="classifier")
    with pytest.raises(TypeError, match="features, penalty.*model="):
        dv.js_divergence(x, y, method="classifier", model=ProbaOnly(), features="linear",
                         penalty=1.0)
    with pytest.raises(TypeError, match="n_features and bandwidth"):
        dv.js_divergence(x, y, method="classifier", n_features=10)
    with pytest.raises(TypeError, match="n_samples"):
        dv.js_divergence(x, y, method="classifier", n_samples=10)
    with pytest.raises(ValueError, match="penalty"):
        dv.js_divergence(x, y, method="classifier", penalty=-1.0)
    with pytest.raises(TypeError, match="takes"):
        dv.js_divergence(x, y, method="classifier", k=3)
    with pytest.raises(MethodError, match="classifier"):
        dv.js_divergence(dv.Histogram([0.5, 0.5]), dv.Histogram([0.2, 0.8]), method="classifier")


def test_bad_models():
    x = np.random.default_rng(36).normal(size=(40, 1))
    y = x + 3.0
    with pytest.raises(TypeError, match="log_odds"):
        dv.js_divergence(x, y, method="classifier", model=object())

    class Certain:
        def fit(self, x, y):
            return self

        def predict_proba(self, x):
            return np.column_stack([np.zeros(len(x)), np.ones(len(x))])

    with pytest.raises(ValueError, match="non-finite log-odds"):
        dv.js_divergence(x, y, method="classifier", model=Certain())
    with pytest.raises(ValueError, match="one per point"):
        dv.kl_divergence(x, y, method="classifier", model=lambda a, b: (lambda t: np.zeros(3)))
