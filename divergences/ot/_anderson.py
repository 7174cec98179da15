"""Anderson acceleration of a fixed-point iteration ``x <- G(x)``, safeguarded.

Anderson's mixing (Anderson 1965; in the form of Walker & Ni 2011, "Anderson
acceleration for fixed-point iterations", SIAM J. Numer. Anal. 49(4), eq. 2.1,
"type II" with mixing 1) keeps the last ``memory`` differences of the
iterates' images ``G(x_k)`` and residuals ``r_k = G(x_k) - x_k``, and steps to

    x_{k+1} = G(x_k) - dG gamma,   gamma = argmin || r_k - dR gamma ||,

the combination of recent images whose linearised residual is smallest. On a
linear contraction it is equivalent to GMRES (Walker & Ni, Theorem 2.2), so
where plain Sinkhorn contracts by ``mu^2`` per iteration it needs about as
many iterations as ``1 / (1 - mu)`` rather than ``1 / (1 - mu^2)``. OTT-JAX
offers the same mixing for its Sinkhorn solver (``ott.solvers.linear.
acceleration.AndersonAcceleration``, its memory of a few iterates), as does
Feydy's GeomLoss discussion of extrapolation; this module is written from
Walker & Ni's equations, not from either code.

Far from the solution the linear model can fail and a mixed step can raise
the error. The caller judges each step by the error it actually produced
(:meth:`Anderson.judge`): a step that did not reduce it is undone, the
history is cleared, and the plain image ``G(x_k)`` is taken instead -- so the
iteration is never worse than plain Sinkhorn by more than the rejected
evaluations, which the caller counts.

The least-squares problem is solved in a weighted norm (the caller's
weights, the marginal's masses for Sinkhorn's potentials) with a small
Tikhonov term relative to its scale, so nearly collinear differences (common
once the iteration has converged to rounding) do not produce huge
coefficients.
"""

import numpy as np

__all__ = ["Anderson"]

# Tikhonov regularisation relative to the largest diagonal entry of the Gram matrix
# (the default; callers near the solution pass a smaller one, see _sinkhorn_loop.WARM_RIDGE).
_RIDGE = 1e-4


class Anderson:
    """Anderson mixing over the last ``memory`` iterates (``memory=0``: plain iteration).

    Parameters
    ----------
    weights : ndarray
        Non-negative weights of the norm the residuals are measured in.
    memory : int
        Number of differences kept.
    active : ndarray of bool, optional
        The coordinates that take part (others always take the plain image:
        for Sinkhorn, atoms without mass, whose potential may be infinite).
    ridge : float, optional
        The Tikhonov term relative to the Gram matrix's largest diagonal entry.
    """

    def __init__(self, weights, memory, active=None, ridge=_RIDGE):
        self.memory = int(memory)
        self.ridge = float(ridge)
        self.active = np.ones(weights.shape[0], dtype=bool) if active is None else active
        self.sqrt_w = np.sqrt(weights[self.active])
        self.accepted = 0
        self.rejected = 0
        self._reset()

    def _reset(self):
        # The differences live in ring buffers (rows of _d_images, _d_residuals), with
        # their Gram matrix updated one row per step: a step costs O(memory * n) and no
        # copies (stacking the history anew each step took ~0.5 ms at n = 1,000,
        # memory 16, as long as the two matrix-vector products of a Sinkhorn step).
        # The least-squares solution does not depend on the columns' order.
        self._d_images = self._d_residuals = self._gram = None
        self._count = 0  # differences stored so far (the ring holds min(count, memory))
        self._last = None  # (image, residual) of the last accepted iterate
        self.mixed = False  # whether the last step was a mixed one (else plain)

    def _push(self, d_image, d_residual):
        """Store one difference pair, overwriting the oldest once the ring is full."""
        if self._d_images is None:
            size = d_image.shape[0]
            self._d_images = np.empty((self.memory, size))
            self._d_residuals = np.empty((self.memory, size))
            self._gram = np.empty((self.memory, self.memory))
        slot = self._count % self.memory
        self._d_images[slot] = d_image
        self._d_residuals[slot] = d_residual
        self._count += 1
        used = min(self._count, self.memory)
        row = self._d_residuals[:used] @ d_residual
        self._gram[slot, :used] = row
        self._gram[:used, slot] = row
        return used

    def step(self, x, image):
        """The next iterate from ``x`` and its image ``G(x)`` (a new array)."""
        out = image.copy()
        self.mixed = False
        if self.memory <= 0:
            return out
        act = self.active
        residual = (image[act] - x[act]) * self.sqrt_w
        img = image[act]
        if not (np.all(np.isfinite(residual)) and np.all(np.isfinite(img))):
            self._reset()
            return out
        last = self._last
        self._last = (img, residual)
        if last is None:
            return out
        used = self._push(img - last[0], residual - last[1])
        gram = self._gram[:used, :used].copy()
        gram[np.diag_indices_from(gram)] += self.ridge * max(float(np.max(np.diag(gram))), 1e-300)
        try:
            gamma = np.linalg.solve(gram, self._d_residuals[:used] @ residual)
        except np.linalg.LinAlgError:
            self._reset()
            return out
        out[act] = img - gamma @ self._d_images[:used]
        self.mixed = True
        return out

    def judge(self, improved):
        """Record whether the last mixed step reduced the error; clear the history if not."""
        if improved:
            self.accepted += 1
        else:
            self.rejected += 1
            self._reset()

    def record(self):
        """What ran, for a result's details."""
        return {"method": "anderson" if self.memory > 0 else "none", "memory": self.memory,
                "accepted": self.accepted, "rejected": self.rejected}
