"""Ball-mean kernel of the shape-corrected k-NN estimators (see divergences._knn_shape).

For each centre ``i`` with radius ``r_i`` and gradient ``g_i``, two log-means
over the same quadrature nodes ``u_j`` of the unit ball:

    log mean_j exp(-r_i u_j.g_i - r_i^2 c_j)    and    log mean_j exp(-r_i u_j.g_i - r_i^2 e_j),

the shape's and its isotropic control's. One pass over the nodes per centre,
with a running maximum (a streaming logsumexp), so no (centres x nodes) array
is ever formed.
"""

import numpy as np
from numba import njit, prange

# Below this many centre-node pairs the serial twin runs (a two-thread launch costs
# ~10 us more under load: bench_threads.py --crossover).
SERIAL_BELOW = 64 * 1024


@njit(cache=True, nogil=True, inline="always")
def _two_log_means(gradient, radius, nodes, anisotropic, isotropic):
    top_a = -np.inf
    top_b = -np.inf
    sum_a = 0.0
    sum_b = 0.0
    r2 = radius * radius
    d = nodes.shape[1]
    for j in range(nodes.shape[0]):
        slope = 0.0
        for k in range(d):
            slope += nodes[j, k] * gradient[k]
        slope *= radius
        a = -slope - r2 * anisotropic[j]
        b = -slope - r2 * isotropic[j]
        if a > top_a:
            sum_a = sum_a * np.exp(top_a - a) + 1.0
            top_a = a
        else:
            sum_a += np.exp(a - top_a)
        if b > top_b:
            sum_b = sum_b * np.exp(top_b - b) + 1.0
            top_b = b
        else:
            sum_b += np.exp(b - top_b)
    count = np.log(nodes.shape[0])
    return top_a + np.log(sum_a) - count, top_b + np.log(sum_b) - count


@njit(cache=True, nogil=True, parallel=True)
def ball_log_means(gradients, radii, nodes, anisotropic, isotropic):
    """The two log-means of every centre; ``(n,)`` and ``(n,)`` float64.

    Parameters
    ----------
    gradients : (n, d) float64 -- ``A (x_i - mu)``
    radii : (n,) float64
    nodes : (M, d) float64 -- quadrature nodes in the unit ball
    anisotropic, isotropic : (M,) float64 -- ``u_j.A u_j / 2`` and ``alpha |u_j|^2 / 2``
    """
    n = gradients.shape[0]
    shape = np.empty(n)
    control = np.empty(n)
    for i in prange(n):
        shape[i], control[i] = _two_log_means(gradients[i], radii[i], nodes, anisotropic,
                                              isotropic)
    return shape, control


@njit(cache=True, nogil=True)
def ball_log_means_serial(gradients, radii, nodes, anisotropic, isotropic):
    """:func:`ball_log_means` on the calling thread (the serial path for small problems)."""
    n = gradients.shape[0]
    shape = np.empty(n)
    control = np.empty(n)
    for i in range(n):
        shape[i], control[i] = _two_log_means(gradients[i], radii[i], nodes, anisotropic,
                                              isotropic)
    return shape, control


def warm_up():
    """Compile the kernels (benchmarks time compilation apart)."""
    g, r, u, c = np.zeros((2, 2)), np.ones(2), np.zeros((4, 2)), np.zeros(4)
    ball_log_means(g, r, u, c, c)
    ball_log_means_serial(g, r, u, c, c)
