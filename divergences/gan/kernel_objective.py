"""A critic-free objective: MMD^2 (or the energy distance) between the batches.

The generator descends the unbiased U-statistic of MMD^2 between the real
batch ``x`` (n points) and the generated batch ``y`` (m points), the loss of
the MMD GANs of Li et al. (2015) and Dziugaite et al. (2015). For a radial
kernel ``k(a, b) = phi(|a - b|)``, ``grad_a k(a, b) = s(a, b) (a - b)`` with
``s = phi'(r) / r``, so

    d MMD_u^2 / d y_j = 2/(m(m-1)) sum_{l != j} s(y_j, y_l) (y_j - y_l)
                        - 2/(nm) sum_i s(x_i, y_j) (y_j - x_i).

The bandwidth, when not given, is the median heuristic on the pooled batch
at each step, held constant in the gradient.
"""

import numpy as np

from .._validation import check_choice, check_positive
from .objectives import Objective

__all__ = ["KernelObjective"]


def _kernel_and_scale(a, b, kernel, bandwidth):
    """``k(a_i, b_j)`` and ``s(a_i, b_j) = phi'(r)/r`` (0 at r = 0 for the energy kernel)."""
    diff = a[:, None, :] - b[None, :, :]
    sq = np.sum(diff * diff, axis=2)
    if kernel == "gaussian":
        k = np.exp(-sq / (2.0 * bandwidth**2))
        return k, -k / bandwidth**2, diff
    r = np.sqrt(sq)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_r = np.where(r > 0, 1.0 / r, 0.0)
    if kernel == "laplacian":
        k = np.exp(-r / bandwidth)
        return k, -k * inv_r / bandwidth, diff
    return -r, -inv_r, diff


class KernelObjective(Objective):
    """MMD^2 between the batches, no critic: ``"mmd"``, or ``"energy_distance"`` (energy kernel).

    Parameters
    ----------
    kernel : {"gaussian", "laplacian", "energy"}
        As in :func:`divergences.mmd` (default ``"gaussian"``).
    bandwidth : float, optional
        The kernel's scale; default the median heuristic on each pooled batch.

    Examples
    --------
    >>> import numpy as np
    >>> from divergences.gan.kernel_objective import KernelObjective
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(50, 2)), rng.normal(1.0, 1.0, size=(40, 2))
    >>> loss, grad, estimate = KernelObjective(bandwidth=1.0).generator_step(x, y, rng)
    >>> grad.shape, loss == estimate
    ((40, 2), True)
    """

    name = "mmd"
    divergence = "mmd"
    estimate_label = "unbiased MMD^2 U-statistic between the step's batches (can be below 0)"

    def __init__(self, *, kernel="gaussian", bandwidth=None):
        self.kernel = check_choice(kernel, ("gaussian", "laplacian", "energy"), "kernel")
        self.bandwidth = None if bandwidth is None else check_positive(bandwidth, "bandwidth")
        if kernel == "energy":
            self.name = self.divergence = "energy_distance"

    def generator_step(self, real, fake, rng):
        from ..kernel_distances import median_bandwidth

        n, m = real.shape[0], fake.shape[0]
        if n < 2 or m < 2:
            raise ValueError("the MMD objective needs at least two points in each batch.")
        bandwidth = self.bandwidth
        if bandwidth is None and self.kernel != "energy":
            bandwidth = median_bandwidth(np.concatenate([real, fake]))
        kxx, _, _ = _kernel_and_scale(real, real, self.kernel, bandwidth)
        kyy, syy, dyy = _kernel_and_scale(fake, fake, self.kernel, bandwidth)
        kxy, sxy, dxy = _kernel_and_scale(real, fake, self.kernel, bandwidth)
        k0 = 0.0 if self.kernel == "energy" else 1.0
        loss = (
            (kxx.sum() - n * k0) / (n * (n - 1))
            + (kyy.sum() - m * k0) / (m * (m - 1))
            - 2.0 * kxy.mean()
        )
        # dyy[j, l] = y_j - y_l; dxy[i, j] = x_i - y_j, so y_j - x_i = -dxy[i, j].
        # The diagonal of syy * dyy is 0 (dyy[j, j] = 0), so no term needs dropping.
        grad = 2.0 / (m * (m - 1)) * np.einsum("jl,jld->jd", syy, dyy)
        grad += 2.0 / (n * m) * np.einsum("ij,ijd->jd", sxy, dxy)
        loss = float(loss)
        return loss, grad, loss
