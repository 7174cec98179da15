"""Tests of divergences.testing: the strategies give valid, well-scaled measures,
the known pairs are right, and failures shrink to small examples."""

import math

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import divergences as dv
from divergences import testing as dvt

EPS = np.finfo(float).eps


def test_reached_lazily_from_the_package():
    assert dv.testing is dvt
    assert "KnownPair" in dvt.__all__


@given(dvt.probability_vectors(min_mass=1e-2))
def test_probability_vectors_are_normalised_and_well_scaled(p):
    assert p.ndim == 1 and 1 <= p.size <= 8
    assert np.all(p >= 0) and p.max() > 0
    assert abs(p.sum() - 1.0) <= p.size * EPS
    # Non-zero masses are at least min_mass relative to the largest.
    assert p[p > 0].min() >= 1e-2 * p.max() * (1 - 4 * EPS)


@given(dvt.points(dim=st.integers(1, 4), scale=3.0))
def test_points_are_bounded_with_no_tiny_values(x):
    assert x.ndim == 2 and np.all(np.isfinite(x))
    nonzero = np.abs(x[x != 0])
    assert np.all(nonzero <= 3.0) and np.all(nonzero >= 3e-6)


@given(dvt.points(5, dim=2, unique=True))
def test_unique_points_are_distinct(x):
    assert len(np.unique(x, axis=0)) == 5


@given(dvt.histograms(), dvt.histograms(dim=2), dvt.samples(dim=3), dvt.samples(weighted=True))
def test_measures_are_valid(h, located, s, weighted):
    assert h.support is None and h.size >= 1
    assert located.dim == 2
    assert s.dim == 3 and s.size >= 1
    assert not weighted.is_uniform


@given(dvt.histogram_tuples(3, dim=1, allow_zeros=(True, False, False)))
def test_histogram_tuples_share_bins_and_support(triple):
    p, q, r = triple
    assert p.size == q.size == r.size
    assert np.array_equal(p.support, q.support)
    assert np.all(q.probabilities > 0) and np.all(r.probabilities > 0)


@given(dvt.spd_matrices(st.integers(1, 4), max_condition=20.0))
def test_spd_matrices_are_symmetric_positive_definite_and_conditioned(s):
    assert np.array_equal(s, s.T)
    eig = np.linalg.eigvalsh(s)
    assert eig.min() > 0
    assert eig.max() / eig.min() <= 20.0 * (1 + 1e-10)
    assert 0.1 * (1 - 1e-10) <= eig.min() and eig.max() <= 10.0 * (1 + 1e-10)


@given(dvt.gaussians(st.integers(1, 3)), dvt.uniforms(2, min_width=0.5))
def test_densities_are_valid(g, u):
    assert g.dim in (1, 2, 3)
    assert np.all(u.high - u.low >= 0.5 * (1 - 1e-12))


def test_failures_shrink_to_small_examples():
    # The simplest histogram pair that differs: two bins, point masses.
    def differ(t):
        return not np.array_equal(t[0].probabilities, t[1].probabilities)

    pair = find(dvt.histogram_tuples(2), differ)
    assert pair[0].size == 2
    assert np.array_equal(find(dvt.spd_matrices(2), lambda s: True), np.eye(2))
    g = find(dvt.gaussians(1), lambda g: True)
    assert g.mean[0] == 0.0 and g.cov[0, 0] == 1.0
    lines = find(dvt.parallel_lines(), lambda k: k.details["theta"] != 0)
    assert lines.p.size == 1 and lines.details["theta"] == 1.0


# --- the known pairs, checked independently ----------------------------------


@given(dvt.planted_permutations(dim=st.integers(1, 3), weighted=True))
def test_planted_permutation_is_the_optimal_plan(pair):
    # Every other permutation costs more (brute force over all of them when small).
    x, y = np.asarray(pair.p.points), np.asarray(pair.q.points)
    sigma = pair.details["permutation"]
    a = np.asarray(pair.p.weights)
    assert np.allclose(np.asarray(pair.q.weights)[sigma], a, rtol=0, atol=4 * EPS)
    planted = float(np.sum(a * np.linalg.norm(x - y[sigma], axis=1) ** 2))
    assert abs(planted - pair.wasserstein(2) ** 2) <= 16 * len(x) * EPS * (1 + planted)
    rng = np.random.default_rng(0)
    for _ in range(20):
        other = rng.permutation(len(x))
        cost = float(np.sum(a * np.linalg.norm(x - y[other], axis=1) ** 2))
        assert cost >= planted - 16 * len(x) * EPS * (1 + cost)


@given(dvt.dirac_and_samples(dim=2), dvt.wasserstein_orders())
def test_dirac_value_matches_the_exact_solver(pair, order):
    result = dv.wasserstein(pair.p, pair.q, order=order, method="exact")
    scale = max(pair.wasserstein(order), 1.0)
    assert abs(result.value - pair.wasserstein(order)) <= 1e-6 * scale + pair.rounding


@given(dvt.diracs(dim=2))
def test_diracs_know_their_information_divergences(pair):
    assert float(dv.kl_divergence(pair.p, pair.q)) == pair.kl
    assert float(dv.js_divergence(pair.p, pair.q)) == pair.js


def test_known_pair_repr_and_missing_value():
    pair = find(dvt.disjoint_histograms(), lambda k: True)
    assert "disjoint" in repr(pair) and not pair.knows_wasserstein
    with pytest.raises(ValueError, match="not known"):
        pair.wasserstein(1)


def test_bad_parameters_are_refused():
    # The parameters are checked when a value is drawn.
    def draw(strategy):
        return find(strategy, lambda value: True)
    with pytest.raises(ValueError, match="min_mass"):
        draw(dvt.probability_vectors(min_mass=0.0))
    with pytest.raises(ValueError, match="min_size"):
        draw(dvt.points(min_size=3, max_size=2))
    with pytest.raises(ValueError, match="one flag per histogram"):
        draw(dvt.histogram_tuples(2, allow_zeros=(True,)))


@settings(max_examples=10)
@given(dvt.parallel_lines(kind="samples"))
def test_parallel_lines_as_samples(pair):
    assert pair.p.dim == 2 and math.isfinite(pair.wasserstein(1))


class TestTransportPanel:
    """divergences.testing's panel of point-cloud pairs (issue 18), used by the benchmarks."""

    @pytest.mark.parametrize("d", [1, 2, 5])
    def test_every_input_changes_y_as_its_name_says(self, d):
        n = 4000
        for name in dvt.panel_inputs(d):
            x, y = dvt.panel_clouds(name, n, d, rng=7)
            assert x.shape == y.shape == (n, d)
            # The same seed gives the same first cloud for every input.
            np.testing.assert_array_equal(x, dvt.panel_clouds("shift 1 axis", n, d, rng=7)[0])
            mean, sd = y.mean(axis=0), y.std(axis=0)
            tol = 5.0 / np.sqrt(n)  # five standard errors of a mean of unit-variance draws
            expected_mean, expected_sd = np.zeros(d), np.ones(d)
            words = name.split()
            if words[0] == "shift":
                expected_mean[:1 if words[2] == "axis" else d] = float(words[1])
            elif name == "scale x2 axis":
                expected_sd[0] = 2.0
            elif name == "covariance x2, x1/2":
                expected_sd[:2] = (2.0, 0.5)[:d]
            else:  # mixture +-2 along the first axis: sd sqrt(1 + 4)
                expected_sd[0] = np.sqrt(5.0)
            np.testing.assert_allclose(mean, expected_mean, atol=tol * expected_sd.max())
            np.testing.assert_allclose(sd, expected_sd, atol=tol * 2 * expected_sd.max())

    def test_a_seed_repeats_and_bad_names_are_refused(self):
        a = dvt.panel_clouds("mixture +-2 axis", 50, 2, rng=3)
        b = dvt.panel_clouds("mixture +-2 axis", 50, 2, rng=np.random.default_rng(3))
        np.testing.assert_array_equal(a[1], b[1])
        with pytest.raises(ValueError, match="name"):
            dvt.panel_clouds("shift 1 diagonal", 50, 1)  # no diagonal in one dimension
        with pytest.raises(ValueError, match="d"):
            dvt.panel_inputs(0)
