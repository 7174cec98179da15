"""Standardising the pooled sample before a permutation test: Ledoit--Wolf, whitening, power."""

import math

import numpy as np
import pytest

import divergences as dv
from divergences._standardize import check_standardize, ledoit_wolf, standardized_points

EPS = np.finfo(float).eps


@pytest.mark.parametrize("shape", [(200, 3), (40, 25), (10, 60)])
def test_ledoit_wolf_matches_scikit_learn(shape):
    covariance_module = pytest.importorskip("sklearn.covariance")
    rng = np.random.default_rng(shape[1])
    z = rng.normal(size=shape) @ rng.normal(size=(shape[1], shape[1]))
    z -= z.mean(axis=0)
    ours, delta = ledoit_wolf(z)
    theirs, their_delta = covariance_module.ledoit_wolf(z, assume_centered=True)
    assert delta == pytest.approx(their_delta, rel=1e-10, abs=1e-12)
    scale = np.abs(theirs).max()
    assert np.abs(ours - theirs).max() <= 1e3 * EPS * scale * shape[1]


def test_shrinkage_grows_with_the_dimension():
    # Correlated features, well sampled: the sample covariance is kept. The same law
    # seen through 30 points in 300 dimensions: shrunk nearly all the way.
    rng = np.random.default_rng(0)
    mixing = np.array([[1.0, 0.0, 0.0], [0.9, 0.4, 0.0], [0.5, 0.5, 0.7]])
    few = ledoit_wolf(rng.normal(size=(2000, 3)) @ mixing.T)[1]
    many = ledoit_wolf(rng.normal(size=(30, 300)))[1]
    assert few < 0.05 and many > 0.9


def test_whitened_pooled_sample_is_decorrelated_where_it_is_well_sampled():
    rng = np.random.default_rng(1)
    mixing = np.array([[1.0, 0.0, 0.0], [0.95, 0.3, 0.0], [0.0, 0.0, 100.0]])
    points = rng.normal(size=(5000, 3)) @ mixing.T + [5.0, -2.0, 1e3]
    whitened, record = standardized_points(points, "whiten")
    assert record["rule"] == "whiten" and record["shrinkage"] < 0.01
    correlation = np.corrcoef(whitened.T)
    # Shrinkage adds delta * mu to every eigenvalue of the correlation matrix (mu = 1):
    # the whitened variances are off by at most delta / lambda_min.
    smallest = np.linalg.eigvalsh(np.corrcoef(points.T)).min()
    assert np.abs(correlation - np.eye(3)).max() <= 2 * record["shrinkage"] / smallest
    assert np.allclose(whitened.mean(axis=0), 0.0, atol=1e-12)


def test_constant_coordinates_stay_at_zero_and_rules_are_checked():
    points = np.c_[np.arange(6.0), np.full(6, 7.0), np.arange(6.0) ** 2]
    whitened, _ = standardized_points(points, "whiten")
    assert np.all(whitened[:, 1] == 0.0) and np.all(np.isfinite(whitened))
    assert check_standardize(True) == "scale" and check_standardize(False) == "none"
    with pytest.raises(ValueError, match="standardize"):
        check_standardize("zscore")
    with pytest.raises(ValueError, match="standardize"):
        dv.two_sample_test(points[:3], points[3:], standardize="zscore")


def test_units_and_origin_of_a_coordinate_do_not_change_the_test():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(60, 3)), rng.normal(size=(50, 3)) + [0.0, 0.4, 0.0]
    units = np.array([1e4, 1.0, 1e-3])
    plain = dv.two_sample_test(x, y, n_permutations=99, rng=3)
    rescaled = dv.two_sample_test(x * units + 7.0, y * units + 7.0, n_permutations=99, rng=3)
    assert rescaled.pvalue == plain.pvalue
    assert rescaled.statistic.value == pytest.approx(plain.statistic.value, rel=1e-9)


def test_a_broken_correlation_is_seen_by_the_default_test():
    # Two features that track each other (correlation 0.998); one is moved by 0.3 sd
    # in the second set and the other is not. Each marginal barely moves, but the
    # pair leaves its relation by 0.3 / sqrt(1 - 0.998^2) = 4.7 residual sds.
    rng = np.random.default_rng(0)
    rho = 0.998
    cov = np.array([[1.0, rho], [rho, 1.0]])
    x = rng.multivariate_normal([0.0, 0.0], cov, size=150)
    y = rng.multivariate_normal([0.0, 0.0], cov, size=150) + [0.3, 0.0]
    x = np.c_[x, rng.normal(size=(150, 8))]  # and eight features that do not change
    y = np.c_[y, rng.normal(size=(150, 8))]
    whitened = dv.two_sample_test(x, y, n_permutations=199, rng=5)
    scaled = dv.two_sample_test(x, y, n_permutations=199, rng=5, standardize="scale")
    assert whitened.details["standardize"]["rule"] == "whiten"
    assert whitened.pvalue <= 0.01 and scaled.pvalue > 0.05


def test_breast_cancer_shift_of_one_feature_is_detected():
    # The drift case of README and notebooks/drift.ipynb: mean radius moved by 0.5 sd
    # in one random half of scikit-learn's breast_cancer data.
    datasets = pytest.importorskip("sklearn.datasets")
    data = datasets.load_breast_cancer().data
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(len(data))
        x, y = data[order[:284]], data[order[284:]].copy()
        y[:, 0] += 0.5 * data[:, 0].std()
        assert dv.two_sample_test(x, y, n_permutations=199, rng=seed).pvalue < 0.01


def test_whitening_in_more_dimensions_than_points_keeps_its_power():
    # Plain whitening would put 40 points in 100 dimensions at equal distances; the
    # shrunk correlation is nearly the identity there, and whitening nearly scaling.
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(20, 100)), rng.normal(size=(20, 100)) + 0.5
    result = dv.two_sample_test(dv.Samples(x), dv.Samples(y), n_permutations=99, rng=7)
    assert result.details["standardize"]["shrinkage"] > 0.5
    assert result.pvalue == 0.01


def test_whitened_test_is_calibrated_under_the_null():
    # 200 null data sets in 6-D with correlated, unequally scaled features; the
    # fraction of p <= 0.05 is binomial(200, <= 0.05): allow 4 sd above 10.
    rng = np.random.default_rng(8)
    mixing = rng.normal(size=(6, 6)) * [1.0, 10.0, 0.1, 1.0, 3.0, 1.0]
    pvalues = np.array([
        dv.two_sample_test(rng.normal(size=(25, 6)) @ mixing, rng.normal(size=(20, 6)) @ mixing,
                           n_permutations=49, rng=rng).pvalue
        for _ in range(200)
    ])
    assert np.count_nonzero(pvalues <= 0.05) <= 10 + 4 * math.sqrt(200 * 0.05 * 0.95)
