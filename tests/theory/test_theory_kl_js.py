"""KL and JS on discrete measures: the statements of DESIGN.md section 1, exactly.

Method under test: ``method="exact"`` of kl_divergence and js_divergence on
histograms (abstract bins and bins with support points). Exact up to
rounding, so every tolerance below is a rounding bound from
``theory_tolerances`` (derived there).
"""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import divergences as dv
from divergences import testing as dvt
from theory_tolerances import (
    EPS,
    LOG2,
    aligned,
    js_tol,
    kl_tol,
    total_variation,
    tv_tol,
)

pairs = dvt.histogram_tuples(2)
pairs_finite_kl = dvt.histogram_tuples(2, allow_zeros=(True, False))
located_pairs = dvt.histogram_tuples(2, dim=st.integers(1, 2), shared_support=False)
any_pairs = st.one_of(pairs, located_pairs)


def kl(p, q, **kw):
    return float(dv.kl_divergence(p, q, method="exact", **kw))


def js(p, q, **kw):
    return float(dv.js_divergence(p, q, method="exact", **kw))


# --- KL -------------------------------------------------------------------


@given(any_pairs)
def test_kl_is_nonnegative_and_zero_on_the_diagonal(pair):
    p, q = pair
    assert kl(p, q) >= 0.0
    # sum p (log p - log p) is 0 term by term: exactly zero, no rounding.
    assert kl(p, p) == 0.0


@given(any_pairs)
def test_kl_is_infinite_exactly_without_absolute_continuity(pair):
    p, q = pair
    a, b = aligned(p, q)
    singular = bool(np.any((a > 0) & (b == 0)))
    value = kl(p, q)
    assert math.isinf(value) == singular
    if singular:
        assert dv.kl_divergence(p, q).note  # an infinite value says why


@given(any_pairs)
def test_pinsker_inequality(pair):
    # TV <= sqrt(KL / 2), i.e. 2 TV^2 <= KL; it also gives the identity of
    # indiscernibles quantitatively: KL = 0 forces TV = 0.
    p, q = pair
    a, b = aligned(p, q)
    value = kl(p, q)
    tv = total_variation(a, b)
    if math.isfinite(value):
        # d(2 TV^2) = 4 TV dTV: the rounding of TV carried through the square.
        assert 2 * tv**2 <= value + kl_tol(a, b) + 4 * tv * tv_tol(len(a))


@given(pairs_finite_kl, st.data())
def test_kl_is_invariant_under_permutations_of_the_bins(pair, data):
    p, q = pair
    order = np.array(data.draw(st.permutations(range(p.size))), dtype=np.intp)
    permuted = kl(dv.Histogram(p.probabilities[order]), dv.Histogram(q.probabilities[order]))
    a, b = aligned(p, q)
    # Same terms, summed in another order: each sum is within kl_tol of the exact one.
    assert abs(permuted - kl(p, q)) <= 2 * kl_tol(a, b)


@given(located_pairs, st.data())
def test_kl_and_js_are_invariant_under_a_bijection_of_the_support(pair, data):
    # Move every distinct atom to another atom of the union by a random
    # permutation: a bijection, so KL and JS only see their masses reordered.
    p, q = pair
    atoms, index = np.unique(np.vstack([p.support, q.support]), axis=0, return_inverse=True)
    index = index.reshape(-1)
    relabel = atoms[np.array(data.draw(st.permutations(range(len(atoms)))), dtype=np.intp)]
    p2 = dv.Histogram(p.probabilities, support=relabel[index[: p.size]])
    q2 = dv.Histogram(q.probabilities, support=relabel[index[p.size :]])
    a, b = aligned(p, q)
    a2, b2 = aligned(p2, q2)
    # Same masses per atom, summed in the same order by bincount: a permutation, up to
    # the rounding of dv.Histogram re-normalising masses that already sum to 1 +- ulps
    # (one division per entry: relative error <= 2 eps).
    np.testing.assert_allclose(
        sorted(zip(a.tolist(), b.tolist())), sorted(zip(a2.tolist(), b2.tolist())),
        rtol=4 * np.finfo(float).eps, atol=0,
    )
    assert abs(kl(p, q) - kl(p2, q2)) <= 2 * kl_tol(a, b) or kl(p, q) == kl(p2, q2)
    assert abs(js(p, q) - js(p2, q2)) <= 2 * js_tol(a, b)


@given(dvt.disjoint_histograms())
def test_mutually_singular_histograms(pair):
    assert kl(pair.p, pair.q) == pair.kl == math.inf
    assert js(pair.p, pair.q) == pair.js  # clipped at log 2: exact
    a, b = aligned(pair.p, pair.q)
    assert abs(total_variation(a, b) - pair.tv) <= tv_tol(len(a))


# --- JS -------------------------------------------------------------------


@given(any_pairs)
def test_js_bounds_identity_and_symmetry(pair):
    p, q = pair
    value = js(p, q)
    # The implementation clips to [0, log 2], so the bounds hold exactly.
    assert 0.0 <= value <= LOG2
    assert js(p, p) == 0.0
    a, b = aligned(p, q)
    # Two separately rounded evaluations of the same sum.
    assert abs(value - js(q, p)) <= 2 * js_tol(a, b)


@given(any_pairs)
def test_js_is_bounded_by_total_variation(pair):
    # 1/2 TV^2 <= JS (Pinsker on each half: KL(P||M) >= 2 TV(P, M)^2 = TV^2 / 2)
    # and JS <= log 2 * TV (Lin 1991, Theorem 3 / Topsoe 2000).
    p, q = pair
    a, b = aligned(p, q)
    tv = total_variation(a, b)
    value = js(p, q)
    slack = js_tol(a, b) + tv_tol(len(a))
    assert 0.5 * tv**2 <= value + slack
    assert value <= LOG2 * tv + slack


@given(dvt.histogram_tuples(3), dvt.histogram_tuples(3, dim=1, shared_support=False))
def test_square_root_of_js_satisfies_the_triangle_inequality(triple, located):
    # Endres & Schindelin 2003: sqrt(JS) is a metric. An error e in JS moves
    # sqrt(JS) by at most sqrt(e), which sets the slack.
    for p, q, r in (triple, located):
        tol = max(js_tol(*aligned(p, r)), js_tol(*aligned(p, q)), js_tol(*aligned(q, r)))
        d_pr = math.sqrt(js(p, r))
        d_pq = math.sqrt(js(p, q))
        d_qr = math.sqrt(js(q, r))
        assert d_pr <= d_pq + d_qr + 3 * math.sqrt(tol)
        assert float(dv.js_distance(p, r)) == d_pr


@given(pairs, st.data())
def test_js_is_invariant_under_permutations_of_the_bins(pair, data):
    p, q = pair
    order = np.array(data.draw(st.permutations(range(p.size))), dtype=np.intp)
    permuted = js(dv.Histogram(p.probabilities[order]), dv.Histogram(q.probabilities[order]))
    assert abs(permuted - js(p, q)) <= 2 * js_tol(*aligned(p, q))


@given(any_pairs)
def test_js_is_the_mean_kl_to_the_mixture(pair):
    # The definition, through the library's own KL: M = (P + Q) / 2 on the aligned atoms.
    p, q = pair
    a, b = aligned(p, q)
    m = dv.Histogram(0.5 * (a + b))
    by_definition = 0.5 * kl(dv.Histogram(a), m) + 0.5 * kl(dv.Histogram(b), m)
    # Histogram() renormalises a, b and m, each by a factor 1 + O(n eps), which
    # moves a KL term a log(a/m) by O(n eps)(|log(a/m)| + 1): inside kl_tol's bound.
    mixture = 0.5 * (a + b)
    tol = js_tol(a, b) + 2 * (kl_tol(a, mixture) + kl_tol(b, mixture))
    assert abs(js(p, q) - min(by_definition, LOG2)) <= tol


@given(any_pairs)
def test_bits_are_nats_over_log_2(pair):
    p, q = pair
    bits = js(p, q, base=2)
    assert 0.0 <= bits <= 1.0
    # One division: half an ulp.
    assert abs(bits - js(p, q) / LOG2) <= EPS * bits


# --- The GAN statements, on discrete measures -------------------------------


def value_function(a, b, d):
    """V(G, D) = E_P log D + E_Q log(1 - D), summed over atoms (0 log 0 = 0)."""
    total = 0.0
    with np.errstate(divide="ignore"):
        log_d, log_1md = np.log(d), np.log1p(-d)
    for mass, logs in ((a, log_d), (b, log_1md)):
        mask = mass > 0
        total += float(np.sum(mass[mask] * logs[mask]))
    return total


def optimal_discriminator(a, b):
    mixture = a + b
    safe = np.where(mixture > 0, mixture, 1.0)
    # Off both supports D* is arbitrary; 1/2 is the symmetric choice.
    return np.where(mixture > 0, a / safe, 0.5)


@given(any_pairs)
def test_optimal_discriminator_value_is_minus_log_4_plus_twice_js(pair):
    # V(G, D*) = -log 4 + 2 JS(P, Q) with D* = p / (p + q) (Goodfellow et al. 2014, Thm 1).
    p, q = pair
    a, b = aligned(p, q)
    v_star = value_function(a, b, optimal_discriminator(a, b))
    assert abs(v_star - (-math.log(4.0) + 2 * js(p, q))) <= 2 * js_tol(a, b) + 8 * len(a) * EPS
    # In bits, as the GAN literature writes it: V / log 2 = -2 + 2 JS_bits.
    bits_tol = 4 * js_tol(a, b) + 16 * len(a) * EPS
    assert abs(v_star / LOG2 - (-2.0 + 2 * js(p, q, base=2))) <= bits_tol


@given(pairs, st.lists(st.floats(0.0, 1.0), min_size=8, max_size=8))
def test_no_discriminator_beats_the_optimal_one(pair, raw):
    # D* maximises V pointwise: a log t + b log(1 - t) peaks at t = a / (a + b).
    p, q = pair
    a, b = aligned(p, q)
    d = np.array(raw[: len(a)])
    v_star = value_function(a, b, optimal_discriminator(a, b))
    v = value_function(a, b, d)
    if math.isfinite(v):
        assert v <= v_star + 8 * len(a) * EPS * (1.0 + abs(v))


# --- A histogram against a density: mutually singular -----------------------


@given(dvt.histograms(dim=1), dvt.gaussians(1))
def test_atoms_against_a_density_are_singular(h, g):
    assert kl(h, g) == math.inf
    assert kl(g, h) == math.inf
    assert js(h, g) == LOG2
