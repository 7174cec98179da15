"""Soft-mins on a dense cost matrix through a stabilised Gibbs kernel (potentials absorbed).

For small problems the online log-sum-exp kernel
(:mod:`divergences._kernels.sinkhorn`) pays an ``exp`` per cost entry per
half-iteration. Holding the matrix, one ``exp`` per entry can be paid once,
in the kernel ``K_ij = exp((f0_i + g0_j - C_ij) / eps)`` with reference
potentials ``(f0, g0)`` absorbed, after which each soft-min is one BLAS
matrix-vector product:

    T_a(f)_j = g0_j - eps log sum_i a_i exp((f_i - f0_i) / eps) K_ij

(and likewise for the rows). This is the "log-stabilised" Sinkhorn of
Schmitzer (2019, "Stabilized sparse scaling algorithms for entropy
regularized transport problems", Algorithm 2) and of POT's
``ot.bregman.sinkhorn_stabilized``, here serving the library's one loop
(:mod:`divergences.ot._sinkhorn_loop`) as a drop-in soft-min.

With ``(f0, g0)`` near the solution ``K`` is the plan divided by ``a b``:
its entries do not overflow, and those that underflow are below ``e^-745``
of entries near 1. The result is trusted only while the potentials stay
within ``TAU`` (in units of eps) of the absorbed ones, on both sides of the
product: then every term dropped by underflow is below ``n e^(2 TAU - 745)``
of the sum. Outside that, the soft-min is taken from the exact online
kernel instead and its potentials are absorbed into a fresh ``K`` (one
``exp`` per entry again).
"""

import numpy as np

from ._sinkhorn_loop import MAX_EXPONENT

__all__ = ["DenseSoftmin"]

# Potentials may move this far (in units of eps) from the absorbed ones; see the docstring.
TAU = 100.0


class DenseSoftmin:
    """The two soft-mins of one problem at one ``eps`` on a dense ``cost`` (n, m).

    Parameters
    ----------
    cost : ndarray (n, m)
        The cost matrix (overwritten by nothing; a kernel of the same size is held).
    a, b : ndarray
        The marginals.
    eps : float
        The regularisation the kernel is first built for; a call at another
        (the annealing's next level) builds a new one.
    online_columns, online_rows : callable (h, eps, out) -> out
        The exact soft-mins, used at other eps and where the kernel cannot be
        trusted.
    """

    def __init__(self, cost, a, b, eps, online_columns, online_rows):
        self.cost, self.a, self.b, self.eps = cost, a, b, eps
        self.online_columns, self.online_rows = online_columns, online_rows
        self.kernel = None
        self.valid = False
        self.f0 = self.g0 = None
        self.absorptions = 0
        self.fallbacks = 0

    def _absorb(self, f0, g0):
        self.valid = bool(np.all(np.isfinite(f0)) and np.all(np.isfinite(g0)))
        if not self.valid:
            return
        if self.kernel is None:
            self.kernel = np.empty_like(self.cost)
        from .._kernels.costs import gibbs_exponent

        kernel = self.kernel
        f0, g0 = f0.copy(), g0.copy()
        if not float(gibbs_exponent(f0, g0, self.cost, 1.0 / self.eps, kernel)) <= MAX_EXPONENT:
            # Potentials far from a solution at this eps (the previous level's, or
            # zero with costs far above eps) would overflow: no kernel, and every
            # soft-min is the online one until a sound pair is absorbed.
            self.valid = False
            return
        np.exp(kernel, out=kernel)
        self.f0, self.g0 = f0, g0
        self.absorptions += 1

    def _apply(self, h, h0, w, out0, product, online, eps, out, columns):
        if eps != self.eps or self.kernel is None:
            # The first call, or a new level of the annealing: a new kernel,
            # absorbing this potential and the other side's last one. At the start
            # the other side's reference is its cost minimum (min_i C_ij for the
            # columns): each column of the kernel then holds an entry exp(-h / eps)
            # of the start potential, so the first soft-min stays within TAU of it
            # where eps is far below the costs (the solver's trial at the target
            # eps from zero potentials) instead of falling back to the online
            # kernel (19 ms of 33 at n = 1,000, d = 5, shift 10, eps 1%).
            self.eps = eps
            if self.kernel is None:
                if columns:
                    self.f0, self.g0 = np.zeros(self.a.shape[0]), self.cost.min(axis=0)
                else:
                    self.f0, self.g0 = self.cost.min(axis=1), np.zeros(self.b.shape[0])
            if columns:
                self._absorb(h, self.g0)
            else:
                self._absorb(self.f0, h)
            h0, out0 = (self.f0, self.g0) if columns else (self.g0, self.f0)
        if self.valid:
            shift = (h - h0) / eps
            if np.all(np.abs(shift) <= TAU):
                sums = product(w * np.exp(shift))
                with np.errstate(divide="ignore"):
                    result = out0 - eps * np.log(sums)
                if np.all(np.abs(result - out0) <= TAU * eps):
                    out[:] = result
                    return out
            self.fallbacks += 1
        online(h, eps, out)  # exact, whatever the potentials
        if columns:
            self._absorb(h, out)
        else:
            self._absorb(out, h)
        return out

    def to_columns(self, f, eps, out):
        """``out_j = -eps log sum_i a_i exp((f_i - C_ij) / eps)``."""
        product = (lambda u: u @ self.kernel)
        return self._apply(f, self.f0, self.a, self.g0, product, self.online_columns, eps, out,
                           True)

    def to_rows(self, g, eps, out):
        """``out_i = -eps log sum_j b_j exp((g_j - C_ij) / eps)``."""
        product = (lambda v: self.kernel @ v)
        return self._apply(g, self.g0, self.b, self.f0, product, self.online_rows, eps, out,
                           False)

    def plan_sums(self, f, g):
        """``<pi, C>`` and the marginals of ``pi_ij = a_i b_j exp((f_i + g_j - C_ij) / eps)``.

        From the kernel at hand where ``(f, g)`` are within ``TAU`` of the absorbed
        potentials (``pi = diag(u) K diag(v)``, three products and no ``exp`` per
        entry: 2 ms instead of 12 at n = 1,000), else from the cost matrix.
        """
        sums = self._kernel_plan_sums(f, g)
        if sums is not None:
            return sums
        plan = np.add.outer(f, g)
        plan -= self.cost
        plan *= 1.0 / self.eps
        np.exp(np.minimum(plan, MAX_EXPONENT, out=plan), out=plan)
        plan *= self.a[:, None]
        plan *= self.b[None, :]
        transport = float(np.einsum("ij,ij->", plan, self.cost))
        return transport, plan.sum(axis=1), plan.sum(axis=0)

    def _kernel_plan_sums(self, f, g):
        """:meth:`plan_sums` through the absorbed kernel, or None where it cannot be trusted."""
        if not self.valid or self.kernel is None:
            return None
        shift_f, shift_g = (f - self.f0) / self.eps, (g - self.g0) / self.eps
        if not (np.all(np.abs(shift_f) <= TAU) and np.all(np.abs(shift_g) <= TAU)):
            return None
        u, v = self.a * np.exp(shift_f), self.b * np.exp(shift_g)
        rows, cols = u * (self.kernel @ v), v * (u @ self.kernel)
        transport = float(u @ (np.multiply(self.kernel, self.cost) @ v))
        if not (np.isfinite(transport) and np.all(np.isfinite(rows)) and np.all(np.isfinite(cols))):
            return None
        return transport, rows, cols

    def record(self):
        """How the kernel served, for a result's details."""
        return {"absorptions": self.absorptions, "fallbacks": self.fallbacks}
