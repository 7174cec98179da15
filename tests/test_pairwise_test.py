"""pairwise(..., test=True): a matrix of permutation tests, corrected for their number."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import divergences as dv
from divergences._multiple_testing import CORRECTIONS, adjust_pvalues

pvalue_lists = st.lists(st.floats(1e-6, 1.0), min_size=1, max_size=30)


def holm_by_definition(p):
    """Holm's adjusted p-values, straight from the step-down rule: test i is rejected at
    level a iff every test with a p-value <= p_i (and p_i itself) passes its threshold
    a / (m - rank), so its adjusted value is the largest (m - rank_j) p_j over those."""
    m = len(p)
    ranks = np.argsort(np.argsort(p, kind="stable"), kind="stable")
    return np.array([min(1.0, max((m - ranks[j]) * p[j] for j in range(m) if ranks[j] <= ranks[i]))
                     for i in range(m)])


def bh_by_definition(p):
    """Benjamini--Hochberg: min over the ranks k >= rank_i of m p_(k) / k (ranks from 1)."""
    m, order = len(p), np.argsort(p, kind="stable")
    sorted_p = np.asarray(p)[order]
    at_rank = [min(1.0, min(m * sorted_p[k] / (k + 1) for k in range(r, m))) for r in range(m)]
    adjusted = np.empty(m)
    adjusted[order] = at_rank
    return adjusted


@settings(max_examples=60, deadline=None)
@given(pvalue_lists)
def test_holm_and_bh_match_their_definitions(p):
    p = np.array(p)
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), holm_by_definition(p), rtol=1e-12)
    np.testing.assert_allclose(adjust_pvalues(p, "fdr_bh"), bh_by_definition(p), rtol=1e-12)
    np.testing.assert_allclose(adjust_pvalues(p, "bonferroni"), np.minimum(1, len(p) * p))
    np.testing.assert_array_equal(adjust_pvalues(p, "none"), p)


@settings(max_examples=60, deadline=None)
@given(pvalue_lists)
def test_corrections_are_ordered(p):
    # raw <= BH <= Holm <= Bonferroni <= 1: each guards against more than the last.
    p = np.array(p)
    bh, holm, bonf = (adjust_pvalues(p, c) for c in ("fdr_bh", "holm", "bonferroni"))
    tol = 1e-12
    assert np.all(p <= bh + tol) and np.all(bh <= holm + tol)
    assert np.all(holm <= bonf + tol) and np.all(bonf <= 1.0)


def test_adjust_pvalues_refuses_bad_input():
    with pytest.raises(ValueError, match="correction"):
        adjust_pvalues([0.1], "sidak")
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        adjust_pvalues([0.0, 0.5])
    with pytest.raises(ValueError, match="1-D"):
        adjust_pvalues([[0.1]])
    assert set(CORRECTIONS) == {"holm", "bonferroni", "fdr_bh", "none"}


@pytest.fixture(scope="module")
def days():
    rng = np.random.default_rng(3)
    return {f"day{d}": rng.normal(0.12 * d, 1.0, size=(120, 2)) for d in range(4)}


@pytest.mark.parametrize("standardize", [None, "whiten"])
def test_each_entry_is_the_two_sample_test_of_its_pair(days, standardize):
    # The oracle: two_sample_test on the pair, with the pair's own stream. In pairwise
    # the sets are not standardised unless asked (so that the values are comparable).
    options = {} if standardize is None else {"standardize": standardize}
    r = dv.pairwise(days, kind="energy_distance", test=True, n_permutations=99, rng=5,
                    **options)
    labels = list(days)
    for i in range(4):
        for j in range(i + 1, 4):
            one = dv.two_sample_test(days[labels[i]], days[labels[j]], kind="energy_distance",
                                     n_permutations=99, rng=dv.pair_rng(5, i, j),
                                     standardize=standardize or "none")
            assert r.pvalues[i, j] == r.pvalues[j, i] == one.pvalue
            assert r.values[i, j] == one.statistic.value
            if standardize is None:
                assert one.statistic.value == dv.energy_distance(
                    days[labels[i]], days[labels[j]]).value
    np.testing.assert_array_equal(np.diag(r.pvalues), 1.0)
    family = r.pvalues[np.triu_indices(4, 1)]
    np.testing.assert_allclose(r.adjusted_pvalues[np.triu_indices(4, 1)],
                               holm_by_definition(family))
    np.testing.assert_array_equal(r.adjusted_pvalues, r.adjusted_pvalues.T)
    assert r.correction == "holm" and "tested (holm)" in repr(r)
    assert r.significant(0.05).dtype == bool


def test_identical_sets_are_outside_the_family(days):
    # The reference itself among the rows: p = 1, not tested, not counted by the correction.
    r = dv.pairwise(days, {"ref": days["day0"]}, kind="energy_distance", test=True,
                    n_permutations=99, rng=1, correction="bonferroni")
    assert r.pvalues[0, 0] == 1.0 and r.method_of("day0", "ref") == "identical"
    np.testing.assert_allclose(r.adjusted_pvalues[1:, 0], np.minimum(1, 3 * r.pvalues[1:, 0]))


def test_asymmetric_kind_tests_both_directions(days):
    subset = {k: days[k] for k in ("day0", "day3")}
    r = dv.pairwise(subset, kind="kl", test=True, n_permutations=49, rng=2, correction="none")
    assert not r.symmetric
    assert np.isfinite(r.pvalues).all() and 0 < r.pvalues[0, 1] <= 1 and 0 < r.pvalues[1, 0] <= 1
    np.testing.assert_array_equal(r.adjusted_pvalues, r.pvalues)


def test_without_a_test_there_are_no_pvalues(days):
    r = dv.pairwise(days, kind="energy_distance")
    assert r.pvalues is None and r.correction is None
    with pytest.raises(ValueError, match="test=True"):
        r.significant()


def test_bad_test_options_are_refused(days):
    with pytest.raises(dv.MethodError, match="test=True"):
        dv.pairwise(days, kind="energy_distance", correction="fdr_bh")
    with pytest.raises(ValueError, match="correction"):
        dv.pairwise(days, kind="energy_distance", test=True, correction="sidak")
    with pytest.raises(TypeError, match="test must be"):
        dv.pairwise(days, kind="energy_distance", test="yes")
    densities = [dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 1.0)]
    with pytest.raises(dv.MethodError, match="sample set"):
        dv.pairwise(densities, kind="kl", test=True)
