"""Ball-mean kernels of the shape-corrected k-NN estimators (see divergences._knn_shape).

For each centre ``i`` with radius ``r_i`` and gradient ``g_i``, two log-means
over the same quadrature nodes ``u_j`` of the unit ball:

    log mean_j exp(-r_i u_j.g_i - r_i^2 c_j)    and    log mean_j exp(-r_i u_j.g_i - r_i^2 e_j),

the shape's and its isotropic control's (:func:`ball_log_means`); and the
control's exact value, a one-dimensional radial integral
(:func:`isotropic_log_means`).

The nodes come in mirrored pairs ``u_j, -u_j`` (same ``c_j`` and ``e_j``), so
a pair contributes ``exp(-r^2 c_j) (exp(t_j) + exp(-t_j))``, ``t_j = r u_j.g``:
one dot product and three exponentials per pair -- ``exp(|t_j| - r^2 c_j - M)``,
``exp(|t_j| - r^2 e_j - M')`` and the shared ``exp(-2 |t_j|)`` -- instead of two
dot products and four. ``M`` and ``M'`` are the largest exponents over all the
nodes, found before summing (a two-pass logsumexp: every term is at most 1, the
largest is 1, so nothing overflows or is lost). The passes run over the pairs
of one centre, in loops without branches, and the exponentials are
:func:`_exp_nonpositive`, a Cody--Waite reduction and a degree-13 Taylor
polynomial that the compiler vectorises (``np.exp`` calls libm one value at a
time: numba has no vector maths library here). Against the earlier one-pass
kernel (a running maximum, libm ``exp``) the results differ only by rounding:
``tests/test_knn_shape.py`` checks them against ``scipy.special.logsumexp``
over all the nodes to 1e-13.
"""

import numpy as np
from numba import njit, prange

# Below this many centre-node pairs the serial twin runs (a two-thread launch costs
# ~10 us more under load: bench_threads.py --crossover).
SERIAL_BELOW = 64 * 1024

# Centres per task of the parallel kernels: each task allocates its scratch once.
_BLOCK = 256

_LOG2E = 1.4426950408889634
# ln 2 split so that n * _LN2_HI is exact for |n| < 2^11 (fdlibm's constants).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10


@njit(cache=True, nogil=True)
def _exp_nonpositive(x, out, bits):
    """``out[j] = exp(x[j])`` for ``x[j] <= 0``, to about 1 ulp; ``bits``: int64 scratch.

    ``x = n ln 2 + r`` with ``|r| <= ln 2 / 2`` (Cody--Waite, fdlibm's split of
    ln 2), ``exp(r)`` by its Taylor polynomial of degree 13 (truncation error
    ``(ln 2 / 2)^14 / 14! < 3e-18``), and ``2^n`` built in the exponent bits.
    Arguments below -708 give ``exp(-708)`` (~3e-308) instead of a smaller
    number or 0: the sums they enter hold a term equal to 1, so the difference
    is far below rounding.
    """
    count = x.shape[0]
    for j in range(count):
        v = max(x[j], -708.0)
        n = np.floor(v * _LOG2E + 0.5)
        r = (v - n * _LN2_HI) - n * _LN2_LO
        p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        out[j] = p
        bits[j] = (np.int64(n) + 1023) << 52
    scale = bits.view(np.float64)
    for j in range(count):
        out[j] *= scale[j]


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _pair_sum(a, shared):
    """``sum_j a_j (1 + shared_j)`` in any order (reassociated: vectorised)."""
    total = 0.0
    for j in range(a.shape[0]):
        total += a[j] + a[j] * shared[j]
    return total


@njit(cache=True, nogil=True)
def _two_log_means(gradient, radius, nodes_t, anisotropic, isotropic, log_count, scratch, bits):
    """The two log-means of one centre; ``nodes_t`` (d, pairs): one node of each mirrored pair."""
    d, pairs = nodes_t.shape
    t = scratch[0]
    xa = scratch[1]
    xb = scratch[2]
    shared = scratch[3]
    for j in range(pairs):
        t[j] = 0.0
    for k in range(d):
        g = gradient[k]
        row = nodes_t[k]
        for j in range(pairs):
            t[j] += row[j] * g
    r2 = radius * radius
    top_a = -np.inf
    top_b = -np.inf
    for j in range(pairs):
        slope = abs(t[j] * radius)
        t[j] = -2.0 * slope
        a = slope - r2 * anisotropic[j]
        b = slope - r2 * isotropic[j]
        xa[j] = a
        xb[j] = b
        top_a = max(top_a, a)
        top_b = max(top_b, b)
    for j in range(pairs):
        xa[j] -= top_a
        xb[j] -= top_b
    # Separate outputs: an output that aliases its input keeps the loop from vectorising.
    ea = scratch[4]
    eb = scratch[5]
    _exp_nonpositive(t, shared, bits)
    _exp_nonpositive(xa, ea, bits)
    _exp_nonpositive(xb, eb, bits)
    sum_a = _pair_sum(ea, shared)
    sum_b = _pair_sum(eb, shared)
    return top_a + np.log(sum_a) - log_count, top_b + np.log(sum_b) - log_count


@njit(cache=True, nogil=True)
def _ball_block(gradients, radii, nodes_t, anisotropic, isotropic, first, last, shape, control):
    pairs = nodes_t.shape[1]
    scratch = np.empty((6, pairs))
    bits = np.empty(pairs, dtype=np.int64)
    log_count = np.log(2.0 * pairs)
    for i in range(first, last):
        shape[i], control[i] = _two_log_means(gradients[i], radii[i], nodes_t, anisotropic,
                                              isotropic, log_count, scratch, bits)


@njit(cache=True, nogil=True, parallel=True)
def ball_log_means(gradients, radii, nodes_t, anisotropic, isotropic):
    """The two log-means of every centre; ``(n,)`` and ``(n,)`` float64.

    Parameters
    ----------
    gradients : (n, d) float64 -- ``A (x_i - mu)``
    radii : (n,) float64
    nodes_t : (d, M) float64 -- one node of each mirrored pair ``u_j, -u_j`` of the
        quadrature nodes in the unit ball, dimension-major (the mean is over all 2M)
    anisotropic, isotropic : (M,) float64 -- ``u_j.A u_j / 2`` and ``alpha |u_j|^2 / 2``
    """
    n = gradients.shape[0]
    shape = np.empty(n)
    control = np.empty(n)
    blocks = (n + _BLOCK - 1) // _BLOCK
    for b in prange(blocks):
        _ball_block(gradients, radii, nodes_t, anisotropic, isotropic, b * _BLOCK,
                    min((b + 1) * _BLOCK, n), shape, control)
    return shape, control


@njit(cache=True, nogil=True)
def ball_log_means_serial(gradients, radii, nodes_t, anisotropic, isotropic):
    """:func:`ball_log_means` on the calling thread (the serial path for small problems)."""
    n = gradients.shape[0]
    shape = np.empty(n)
    control = np.empty(n)
    _ball_block(gradients, radii, nodes_t, anisotropic, isotropic, 0, n, shape, control)
    return shape, control


# --------------------------------------------------------------- the exact isotropic mean


#: Length of the table of series factors ``1 / ((d/2 + k) (k + 1))`` that
#: :func:`_log_sphere_mean` multiplies by (a division is several times slower and sits
#: on the series' dependency chain); later terms, for ``z`` beyond ~60, divide.
_SERIES_TABLE = 256


@njit(cache=True, nogil=True)
def _series_factors(half_d):
    """``1 / ((half_d + k) (k + 1))`` for ``k < _SERIES_TABLE``."""
    factors = np.empty(_SERIES_TABLE)
    for k in range(_SERIES_TABLE):
        factors[k] = 1.0 / ((half_d + k) * (k + 1.0))
    return factors


@njit(cache=True, nogil=True)
def _log_sphere_mean(half_d, z, factors):
    """``log 0F1(; d/2; z^2/4)``: the log-mean of ``exp(z u_1)`` over the unit sphere of R^d.

    ``0F1(; b; z^2/4) = sum_k (z^2/4)^k / ((b)_k k!)`` (``= Gamma(b) (2/z)^(b-1)
    I_(b-1)(z)``; ``cosh z`` in 1-D), summed until the terms stop counting. All
    terms are positive: no cancellation, accurate to rounding. The sum is
    rescaled as it grows so that no term overflows (``z`` beyond ~700).
    ``factors``: :func:`_series_factors` of ``half_d``.
    """
    q = 0.25 * z * z
    # The terms grow while k < q / b: the sum may stop only after that.
    rising = q / half_d
    term = 1.0
    total = 1.0
    log_scale = 0.0
    k = 0
    while True:
        if k < _SERIES_TABLE:
            term *= q * factors[k]
        else:
            term *= q / ((half_d + k) * (k + 1.0))
        total += term
        k += 1
        if term <= 1e-17 * total and k > rising:
            break
        if total > 1e280:
            total *= 1e-280
            term *= 1e-280
            log_scale += 280.0 * 2.302585092994046
    return np.log(total) + log_scale


#: Below this slope the sphere means of all of a ball's radial nodes stay below 1e261
#: (``0F1 <= exp(z)``): :func:`_isotropic_lockstep` needs no rescaling.
_LOCKSTEP_BELOW = 600.0


@njit(cache=True, nogil=True)
def _isotropic_lockstep(d, slope, curvature, nodes, base, count, factors, scratch, bits):
    """:func:`_isotropic_one` for ``slope < _LOCKSTEP_BELOW``: the nodes' series side by side.

    The ``0F1`` series of all ``count`` radial nodes are summed together, term
    by term, in loops over the nodes that the compiler vectorises, until every
    node's series has stopped counting (the per-node test of
    :func:`_log_sphere_mean`); a node whose series stopped earlier adds terms
    below ``1e-17`` of its sum, which change it by rounding at most. The radial
    sum is then taken in the linear domain, scaled by its largest weight: no
    sphere mean exceeds ``exp(slope) < 1e261``, so nothing overflows and one
    ``log`` replaces one per node. Equal to :func:`_isotropic_one` to rounding.
    """
    half_d = 0.5 * d
    q = scratch[0]
    term = scratch[1]
    total = scratch[2]
    weight = scratch[3]
    scaled = scratch[4]
    top = -np.inf
    for j in range(count):
        s = nodes[j]
        z = slope * s
        q[j] = 0.25 * z * z
        term[j] = 1.0
        total[j] = 1.0
        weight[j] = base[j] - curvature * s * s
        top = max(top, weight[j])
    # The terms grow while k < q / b (largest at the outermost node): no stop before that.
    rising = q[count - 1] / half_d
    k = 0
    while True:
        f = factors[k] if k < _SERIES_TABLE else 1.0 / ((half_d + k) * (k + 1.0))
        done = True
        for j in range(count):
            term[j] *= q[j] * f
            total[j] += term[j]
            done &= term[j] <= 1e-17 * total[j]
        k += 1
        if done and k > rising:
            break
    for j in range(count):
        weight[j] -= top
    _exp_nonpositive(weight[:count], scaled[:count], bits[:count])
    radial = 0.0
    for j in range(count):
        radial += scaled[j] * total[j]
    return np.log(d) + top + np.log(radial)


@njit(cache=True, nogil=True)
def _isotropic_one(d, slope, curvature, nodes, base, count, factors, terms, scaled, bits):
    """``log d int_0^1 s^(d-1) exp(-curvature s^2) M(slope s) ds``, Gauss--Legendre on [0, 1].

    ``nodes[:count]``: the rule's nodes; ``base[:count]``: ``log w_j + (d - 1) log s_j``
    (its weights and the radial density, the same for every ball); ``terms``,
    ``scaled``, ``bits``: scratch. Node by node in the log domain: any slope.
    """
    half_d = 0.5 * d
    top = -np.inf
    for j in range(count):
        s = nodes[j]
        v = base[j] - curvature * s * s + _log_sphere_mean(half_d, slope * s, factors)
        terms[j] = v
        top = max(top, v)
    for j in range(count):
        terms[j] -= top
    _exp_nonpositive(terms[:count], scaled[:count], bits[:count])
    total = 0.0
    for j in range(count):
        total += scaled[j]
    return np.log(d) + top + np.log(total)


@njit(cache=True, nogil=True)
def _isotropic_range(d, slope, curvature, rules, lengths, limits, first, last, out):
    longest = rules.shape[2]
    scratch = np.empty((5, longest))
    bits = np.empty(longest, dtype=np.int64)
    factors = _series_factors(0.5 * d)
    # Per rule, the log of its weights times the radial density s^(d-1): per block, not per ball.
    base = np.empty((rules.shape[0], longest))
    for rule in range(rules.shape[0]):
        for j in range(lengths[rule]):
            base[rule, j] = np.log(rules[rule, 1, j]) + (d - 1) * np.log(rules[rule, 0, j])
    for i in range(first, last):
        # The fewest nodes that integrate this slope to rounding (see isotropic_log_means).
        rule = 0
        while rule < limits.shape[0] and slope[i] > limits[rule]:
            rule += 1
        if slope[i] < _LOCKSTEP_BELOW:
            out[i] = _isotropic_lockstep(d, slope[i], curvature[i], rules[rule, 0], base[rule],
                                         lengths[rule], factors, scratch, bits)
        else:
            out[i] = _isotropic_one(d, slope[i], curvature[i], rules[rule, 0], base[rule],
                                    lengths[rule], factors, scratch[0], scratch[1], bits)


@njit(cache=True, nogil=True, parallel=True)
def isotropic_log_means(d, slope, curvature, rules, lengths, limits):
    """Exact ``log E exp(-slope u_1 - curvature |u|^2)``, ``u`` uniform in the unit ball of R^d.

    Over the sphere of radius ``s`` the mean of ``exp(-t u_1)`` is
    :func:`_log_sphere_mean` of ``t s``; the radial integral
    ``d int_0^1 s^(d-1) ... ds`` is Gauss--Legendre with rule ``r`` -- nodes
    ``rules[r, 0, :lengths[r]]`` and weights ``rules[r, 1, :lengths[r]]`` on
    [0, 1] -- for the first ``r`` with ``slope <= limits[r]`` (the last rule
    beyond them all).

    Parameters
    ----------
    d : int
    slope, curvature : (n,) float64
    rules : (R, 2, L) float64
    lengths : (R,) int64
    limits : (R - 1,) float64
    """
    n = slope.shape[0]
    out = np.empty(n)
    blocks = (n + _BLOCK - 1) // _BLOCK
    for b in prange(blocks):
        _isotropic_range(d, slope, curvature, rules, lengths, limits, b * _BLOCK,
                         min((b + 1) * _BLOCK, n), out)
    return out


@njit(cache=True, nogil=True)
def isotropic_log_means_serial(d, slope, curvature, rules, lengths, limits):
    """:func:`isotropic_log_means` on the calling thread."""
    out = np.empty(slope.shape[0])
    _isotropic_range(d, slope, curvature, rules, lengths, limits, 0, slope.shape[0], out)
    return out


def warm_up():
    """Compile the kernels (benchmarks time compilation apart)."""
    g, r, u, c = np.zeros((2, 2)), np.ones(2), np.zeros((2, 4)), np.zeros(4)
    ball_log_means(g, r, u, c, c)
    ball_log_means_serial(g, r, u, c, c)
    rules, lengths, limits = np.full((1, 2, 2), 0.5), np.array([2]), np.empty(0)
    isotropic_log_means(2, r, r, rules, lengths, limits)
    isotropic_log_means_serial(2, r, r, rules, lengths, limits)
