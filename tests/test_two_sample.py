"""Permutation two-sample tests: the reused nulls equal recomputed ones; validity, power, errors."""

import math

import numpy as np
import pytest

import divergences as dv
from divergences import two_sample
from divergences.exceptions import InvalidMeasureError, MethodError

EPS = np.finfo(float).eps


@pytest.fixture(scope="module")
def sets():
    rng = np.random.default_rng(0)
    return rng.normal(size=(70, 3)), rng.normal(0.2, 1.0, size=(50, 3))


def _both_nulls(kind, x, y, options, count=15):
    p, q = dv.Samples(x), dv.Samples(y)
    function = dv.DIVERGENCES[kind]
    statistic = function(p, q, **options)
    if kind == "mmd":
        options = {**options, "bandwidth": statistic.details["bandwidth"]}
    perms = two_sample._permutations(np.random.default_rng(5), len(x) + len(y), count)
    method = two_sample._method_named(dv.registry.divergence_info(kind), statistic.method)
    fast = two_sample._null(method, statistic, p, q, perms, function, options)
    slow = two_sample._recomputed_null(statistic, p, q, perms, function, options)
    return fast, slow, statistic


@pytest.mark.parametrize(
    "kind, options",
    [
        ("energy_distance", {}),
        ("energy_distance", {"unbiased": False}),
        ("mmd", {}),
        ("mmd", {"kernel": "laplacian", "bandwidth": 0.7}),
        ("mmd", {"squared": False, "unbiased": False}),
    ],
)
def test_pooled_kernel_sums_give_the_recomputed_null(sets, kind, options):
    x, y = sets
    (fast, observed, how, details), (slow, *_), statistic = _both_nulls(kind, x, y, options)
    assert how == "pooled kernel sums"
    # Both sum the same N^2 kernel values (of mean size `scale`) in other orders:
    # rounding of N eps scale per mean, three means, the root's condition number aside.
    n_total = len(x) + len(y)
    tolerance = 16 * n_total * EPS * max(details["scale"], 1.0)
    if options.get("squared") is False:
        tolerance /= 2 * statistic.value  # d sqrt(v) = dv / (2 sqrt v)
    assert np.abs(fast - slow).max() <= tolerance
    assert observed == pytest.approx(statistic.value, abs=tolerance)


def test_blocks_and_batches_do_not_change_the_null(sets, monkeypatch):
    x, y = sets
    (whole, *_), _, _ = _both_nulls("energy_distance", x, y, {})
    # Force 3-row blocks and 4-permutation batches of the indicator matrix.
    monkeypatch.setattr(two_sample, "_BLOCK_BYTES", 8 * 120 * 3)
    monkeypatch.setattr(two_sample, "_INDICATOR_BYTES", 8 * 120 * 4)
    (pieces, *_), _, _ = _both_nulls("energy_distance", x, y, {})
    assert np.abs(whole - pieces).max() <= 16 * 120 * EPS * 2.0


def test_pooled_sorted_projections_give_the_recomputed_null(sets):
    x, y = sets
    options = {"method": "sliced", "rng": 3, "n_projections": 20, "order": 2}
    (fast, observed, how, _), (slow, *_), statistic = _both_nulls("wasserstein", x, y, options)
    assert how == "pooled sorted projections"
    # The same merges of the same sorted numbers: only the mean's rounding differs.
    assert np.abs(fast - slow).max() <= 1e-14 * max(slow.max(), 1.0)
    assert observed == pytest.approx(statistic.value, rel=1e-14)


@pytest.mark.parametrize("k", [1, 4])
def test_pooled_neighbour_lists_give_the_recomputed_null(sets, k):
    x, y = sets
    x, y = x.copy(), y.copy()
    x[5], y[3] = x[6], x[10]  # duplicates: zero distances skipped by both (ties="skip")
    (fast, observed, how, details), (slow, *_), statistic = _both_nulls(
        "kl", x, y, {"k": k, "variant": "fixed", "ties": "skip"})
    assert how == "pooled neighbour lists" and details["recomputed"] == 0
    assert observed == statistic.value
    # The same logarithms summed in another order: rounding of n eps per term's size.
    assert np.abs(fast - slow).max() <= 16 * len(x) * EPS * max(np.abs(slow).max(), 1.0)


@pytest.mark.parametrize("kind, options", [
    ("js", {"k": 1}),
    ("js", {"k": 4, "ties": "skip"}),
    ("js_distance", {"k": 3, "base": 2}),
])
def test_pooled_neighbour_lists_give_the_recomputed_js_null(sets, kind, options):
    x, y = sets  # 70 and 50 points: the balls of the larger set reach past rho
    x, y = x.copy(), y.copy()
    if options.get("ties") == "skip":
        x[5], y[3] = x[6], x[10]  # duplicates: zero distances skipped by both
    (fast, observed, how, details), (slow, *_), statistic = _both_nulls(kind, x, y, options)
    assert how == "pooled neighbour counts" and details["recomputed"] == 0
    # Sums of the same digamma terms in another order: n eps per term's size (log 2).
    tolerance = 16 * len(x) * EPS
    assert observed == pytest.approx(statistic.value, abs=tolerance)
    assert np.abs(fast - slow).max() <= tolerance


def test_js_lists_that_end_inside_a_ball_are_recomputed(sets, monkeypatch):
    from divergences._kernels import knn_permutations

    x, y = sets
    for name in ("permuted_knn_js_sums", "permuted_knn_js_sums_serial"):
        def short_lists(distances, indices, labels, k, stretch, table,
                        real=getattr(knn_permutations, name)):
            return real(distances[:, :k], indices[:, :k], labels, k, stretch, table)

        monkeypatch.setattr(knn_permutations, name, short_lists)
    (fast, observed, _, details), (slow, *_), statistic = _both_nulls("js", x, y, {"k": 2})
    assert details["recomputed"] == len(fast) + 1  # the observed split too
    assert np.array_equal(fast, slow) and observed == two_sample._ranked(statistic, {})


def test_a_constant_coordinate_leaves_the_knn_nulls_unchanged(sets):
    # The estimators drop a coordinate constant over both sets; the pooled nulls
    # must use the same dimension, or the null is that of another statistic.
    x, y = sets
    padded = [np.c_[s, np.full(len(s), 3.0)] for s in (x, y)]
    for kind, options in (("kl", {"k": 2, "variant": "fixed"}), ("js", {"k": 2})):
        (plain, *_), _, _ = _both_nulls(kind, x, y, dict(options))
        (fast, *_), (slow, *_), _ = _both_nulls(kind, *padded, dict(options))
        assert np.abs(fast - slow).max() <= 16 * len(x) * EPS * max(np.abs(slow).max(), 1.0)
        assert np.abs(fast - plain).max() <= 16 * len(x) * EPS * max(np.abs(slow).max(), 1.0)


def test_duplicates_under_the_default_tie_rule_are_recomputed(sets):
    # The default rule treats shared values as atoms, which the pooled lists do not
    # know: the null is then recomputed, so that it is the statistic's own null.
    x, y = sets
    x, y = x.copy(), y.copy()
    y[3] = x[10]
    for kind, options in (("kl", {"k": 2, "variant": "fixed"}), ("js", {"k": 2})):
        (fast, observed, how, _), (slow, *_), statistic = _both_nulls(kind, x, y, options)
        assert statistic.details["ties"] != "none" and how != "pooled neighbour lists"
        assert np.array_equal(fast, slow) and observed == statistic.value


def test_neighbour_lists_that_run_out_are_recomputed(sets, monkeypatch):
    from divergences._kernels import knn_permutations

    x, y = sets
    real = knn_permutations.permuted_knn_log_ratios

    def short_lists(distances, indices, labels, k):
        return real(distances[:, :k], indices[:, :k], labels, k)  # k entries: never both

    monkeypatch.setattr(knn_permutations, "permuted_knn_log_ratios", short_lists)
    (fast, _, _, details), (slow, *_), _ = _both_nulls("kl", x, y, {"k": 2, "variant": "fixed"})
    assert details["recomputed"] == len(fast)
    assert np.array_equal(fast, slow)


def test_pvalue_formula_seed_and_readonly_null(sets):
    x, y = sets
    r = dv.two_sample_test(x, y, n_permutations=99, rng=7)
    expected = (1 + np.count_nonzero(r.null >= r.details["observed"])) / 100
    assert r.pvalue == expected and r.n_permutations == 99 and r.null.shape == (99,)
    again = dv.two_sample_test(x, y, n_permutations=99, rng=7)
    assert again.pvalue == r.pvalue and np.array_equal(again.null, r.null)
    other = dv.two_sample_test(x, y, n_permutations=99, rng=8)
    assert not np.array_equal(other.null, r.null)
    with pytest.raises(ValueError):
        r.null[0] = 1.0
    assert "pvalue=" in repr(r) and float(r) == r.pvalue
    assert r.statistic.divergence == "energy_distance" and r.kind == "energy_distance"


def test_a_shift_is_detected_and_the_pvalue_is_never_zero(sets):
    x, y = sets
    r = dv.two_sample_test(x, y + [1.5, 0.0, 0.0], n_permutations=49, rng=0)
    assert r.pvalue == 1 / 50


def test_calibrated_under_the_null():
    # 300 null data sets, 99 permutations each: the fraction of p <= 0.05 is binomial
    # (300, <= 0.05), sd 3.8 counts; allow 4 sd above 15. Valid permutation p-values are
    # also uniform on {1/100, ..., 1}: their mean is 0.505 +- 4 * 0.29 / sqrt(300).
    rng = np.random.default_rng(99)
    pvalues = np.array([
        dv.two_sample_test(rng.normal(size=(25, 2)), rng.normal(size=(20, 2)),
                           n_permutations=99, rng=rng).pvalue
        for _ in range(300)
    ])
    assert np.count_nonzero(pvalues <= 0.05) <= 15 + 4 * math.sqrt(300 * 0.05 * 0.95)
    assert abs(pvalues.mean() - 0.505) < 4 * 0.29 / math.sqrt(300)


@pytest.mark.parametrize(
    "kind, options, how",
    [
        ("wasserstein", {}, "recomputed"),
        ("wasserstein", {"method": "sinkhorn", "eps": 0.5}, "recomputed"),
        ("sinkhorn", {"eps": 0.5}, "recomputed"),
        ("kl", {"k": 3}, "pooled neighbour lists"),
        ("kl", {"variant": "adaptive"}, "recomputed"),
        ("js", {}, "pooled neighbour counts"),
        ("js_distance", {"k": 2, "base": 2}, "pooled neighbour counts"),
        # The classifier needs more points: at n = 30 its cross-fitted JS of this shift is
        # negative before clipping (see the report of this change).
        ("js_distance", {"method": "classifier", "folds": 2}, "recomputed"),
        ("mmd", {"kernel": "energy"}, "pooled kernel sums"),
        ("wasserstein", {"method": "sliced"}, "pooled sorted projections"),
    ],
)
def test_every_sample_divergence(kind, options, how):
    rng = np.random.default_rng(1)
    n = 150 if options.get("method") == "classifier" else 40
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(30, 2)) + [2.0, 0.0]
    r = dv.two_sample_test(x, y, kind=kind, n_permutations=9, rng=2, **options)
    assert r.method == how and r.kind == kind
    assert r.pvalue == 0.1  # a shift of 2 sd: no split is as far apart
    again = dv.two_sample_test(x, y, kind=kind, n_permutations=9, rng=2, **options)
    assert np.array_equal(again.null, r.null)  # also for the classifier: its seed is fixed


def test_weighted_samples_permute_their_weights():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(12, 2)), rng.normal(size=(9, 2))
    w, v = rng.uniform(0.5, 2.0, 12), rng.uniform(0.5, 2.0, 9)
    p, q = dv.Samples(x, weights=w), dv.Samples(y, weights=v)
    r = dv.two_sample_test(p, q, n_permutations=5, rng=4, standardize="none")
    assert r.method == "recomputed"
    # Replay the first permutation by hand: each point keeps its weight relative to its
    # set's (n * w_i), renormalised in its new set.
    perm = np.random.default_rng(4).permutation(21)
    points = np.concatenate([x, y])
    relative = np.concatenate([w / w.sum() * 12, v / v.sum() * 9])
    first = dv.Samples(points[perm[:12]], weights=relative[perm[:12]])
    second = dv.Samples(points[perm[12:]], weights=relative[perm[12:]])
    assert r.null[0] == dv.energy_distance(first, second).value


def test_mmd_bandwidth_is_fixed_across_permutations(sets):
    x, y = sets
    r = dv.two_sample_test(x, y, kind="mmd", n_permutations=5, rng=0)
    assert r.statistic.details["bandwidth_rule"] == "median heuristic"
    assert r.details["kernel"] == "gaussian"


def test_clear_errors(sets):
    x, y = sets
    with pytest.raises(ValueError, match="n_permutations"):
        dv.two_sample_test(x, y, n_permutations=0)
    with pytest.raises(TypeError, match="n_permutations"):
        dv.two_sample_test(x, y, n_permutations=9.5)
    with pytest.raises(MethodError, match="unknown divergence kind"):
        dv.two_sample_test(x, y, kind="tv")
    with pytest.raises(MethodError, match="sample set"):
        dv.two_sample_test(dv.Gaussian([0, 0, 0], np.eye(3)), y)
    with pytest.raises(MethodError, match="gaussian"):
        dv.two_sample_test(x, y, kind="wasserstein", method="gaussian", order=2)
    with pytest.raises(InvalidMeasureError, match="empty"):
        dv.two_sample_test(np.empty((0, 3)), y)
    with pytest.raises(InvalidMeasureError, match="dimension"):
        dv.two_sample_test(x, y[:, :2])


def test_standardize_lets_a_small_scale_coordinate_count():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(80, 2)), rng.normal(size=(80, 2))
    x[:, 0] *= 1000.0  # a coordinate in other units, and pure noise
    y[:, 0] *= 1000.0
    y[:, 1] += 1.0  # the shift is in the small-scale coordinate
    raw = dv.two_sample_test(x, y, n_permutations=99, rng=0, standardize=False)
    scaled = dv.two_sample_test(x, y, n_permutations=99, rng=0, standardize=True)
    assert raw.pvalue > 0.05 and scaled.pvalue == 0.01
    assert scaled.details["standardize"]["rule"] == "scale"
    assert raw.details["standardize"] == {"rule": "none"}
    pooled = np.concatenate([x, y])
    expected = dv.energy_distance(*np.split((pooled - pooled.mean(0)) / pooled.std(0), 2))
    assert scaled.statistic.value == pytest.approx(expected.value, rel=1e-12)


@pytest.mark.parametrize("kind, options", [("js", {}), ("mmd", {"squared": False}),
                                           ("js_distance", {"base": 2})])
def test_clipped_statistics_are_ranked_unclipped(kind, options):
    # Under P = Q about half the JS and MMD estimates fall below 0 and are reported as
    # 0; a null of tied zeros gives p = 1 half the time (mean p 0.63, measured). The
    # test ranks the unclipped estimates, so its p-values are uniform on {1/50, ..., 1}:
    # mean 0.51 +- 4 * 0.29 / sqrt(150).
    rng = np.random.default_rng(11)
    pvalues = []
    for _ in range(150):
        pooled = rng.normal(size=(80, 3))
        r = dv.two_sample_test(pooled[:40], pooled[40:], kind=kind, n_permutations=49,
                               rng=rng, standardize="none", **options)
        pvalues.append(r.pvalue)
    assert abs(np.mean(pvalues) - 0.51) < 4 * 0.29 / math.sqrt(150)


def test_classifier_null_is_not_a_column_of_zeros():
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(100, 3)), rng.normal(size=(100, 3))
    r = dv.two_sample_test(x, y, kind="js", method="classifier", n_permutations=9, rng=1)
    assert r.statistic.value == max(r.statistic.details["unclipped"], 0.0)
    assert r.details["observed"] == r.statistic.details["unclipped"]
    assert len(np.unique(r.null)) == 9 and r.null.min() < 0.0


def test_js_null_is_the_same_on_one_thread(sets):
    x, y = sets
    (many, *_), _, _ = _both_nulls("js", x, y, {"k": 3}, count=40)
    with dv.threads(1):
        (one, *_), _, _ = _both_nulls("js", x, y, {"k": 3}, count=40)
    assert np.array_equal(many, one)
