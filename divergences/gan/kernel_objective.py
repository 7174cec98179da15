"""A critic-free objective: MMD^2 (or the energy distance) between the batches.

The generator descends the unbiased U-statistic of MMD^2 between the real
batch ``x`` (n points) and the generated batch ``y`` (m points), the loss of
the MMD GANs of Li et al. (2015) and Dziugaite et al. (2015). For a radial
kernel ``k(a, b) = phi(|a - b|)``, ``grad_a k(a, b) = s(a, b) (a - b)`` with
``s = phi'(r) / r``, so

    d MMD_u^2 / d y_j = 2/(m(m-1)) sum_{l != j} s(y_j, y_l) (y_j - y_l)
                        - 2/(nm) sum_i s(x_i, y_j) (y_j - x_i).

The bandwidth, when not given, is the median heuristic on the pooled batch
at each step, held constant in the gradient. The sums and their gradients are
computed online (:mod:`divergences._kernels.kernel_gradient`): O(n + m)
memory, no n-by-m-by-d tensor.
"""

import numpy as np

from .._validation import check_choice, check_positive
from .objectives import Objective

__all__ = ["KernelObjective"]


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
        from .._kernels import kernel_gradient as kernels
        from .._threads import run_kernel

        code = {"gaussian": 0, "laplacian": 1, "energy": 2}[self.kernel]
        inv = {"gaussian": lambda: 0.5 / bandwidth**2, "laplacian": lambda: 1.0 / bandwidth,
               "energy": lambda: 1.0}[self.kernel]()

        def sums(a, b):
            return run_kernel(kernels.kernel_gradient_sums, kernels.kernel_gradient_sums_serial,
                              a.shape[0] * b.shape[0], kernels.SERIAL_BELOW, a, b, code, inv)

        kxx, _ = sums(real, real)
        kyy, gyy = sums(fake, fake)
        kxy, gxy = sums(real, fake)
        k0 = 0.0 if self.kernel == "energy" else 1.0
        loss = (
            (kxx.sum() - n * k0) / (n * (n - 1))
            + (kyy.sum() - m * k0) / (m * (m - 1))
            - 2.0 * kxy.sum() / (n * m)
        )
        # d/dy_j of the yy sum counts both arguments: 2 G^yy_j; the cross term
        # -2/(nm) sum_i k(x_i, y_j) has gradient -2/(nm) G^xy_j. The diagonal
        # (y_j - y_j = 0) adds nothing.
        grad = 2.0 / (m * (m - 1)) * gyy - 2.0 / (n * m) * gxy
        loss = float(loss)
        return loss, grad, loss
