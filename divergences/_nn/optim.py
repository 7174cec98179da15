"""First-order optimisers acting in place on lists of numpy arrays.

Each optimiser keeps one state slot per parameter array, created on the first
step; a parameter list must therefore keep its order and shapes between steps.
"""

import numpy as np

from .._validation import check_positive

__all__ = ["Adam", "RMSProp", "SGD", "make_optimizer"]


class _Optimizer:
    def __init__(self, lr):
        self.lr = check_positive(lr, "lr")
        self.n_steps = 0
        self._state = None

    def _check(self, params, grads):
        if len(params) != len(grads):
            raise ValueError(f"got {len(grads)} gradients for {len(params)} parameter arrays.")
        if self._state is not None and len(self._state[0]) != len(params):
            raise ValueError(
                "this optimiser was set up for another parameter list; make a new one."
            )

    def step(self, params, grads):
        """Update ``params`` in place, descending along ``grads``."""
        raise NotImplementedError


class SGD(_Optimizer):
    """Plain gradient descent ``p -= lr * g``.

    Examples
    --------
    >>> import numpy as np
    >>> p = [np.array([1.0])]
    >>> SGD(lr=0.5).step(p, [np.array([2.0])])
    >>> p[0].tolist()
    [0.0]
    """

    def step(self, params, grads):
        self._check(params, grads)
        for p, g in zip(params, grads):
            p -= self.lr * g
        self.n_steps += 1


class Adam(_Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction.

    Parameters
    ----------
    lr : float
        Step size (default 1e-3).
    betas : (float, float)
        Decay rates of the first and second moment estimates. The WGAN-GP
        paper uses ``(0.5, 0.9)``; Adam's own default is ``(0.9, 0.999)``.
    eps : float
        Added to the root of the second moment.

    Examples
    --------
    >>> import numpy as np
    >>> p = [np.array([1.0, -1.0])]
    >>> opt = Adam(lr=0.1)
    >>> opt.step(p, [np.array([3.0, -0.5])])
    >>> np.round(p[0], 6).tolist()  # the first step moves each coordinate by lr
    [0.9, -0.9]
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(lr)
        beta1, beta2 = betas
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"betas must lie in [0, 1), got {betas!r}.")
        self.betas = (float(beta1), float(beta2))
        self.eps = check_positive(eps, "eps")

    def step(self, params, grads):
        self._check(params, grads)
        if self._state is None:
            self._state = ([np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params])
        beta1, beta2 = self.betas
        self.n_steps += 1
        correction1 = 1.0 - beta1**self.n_steps
        correction2 = 1.0 - beta2**self.n_steps
        for p, g, m, v in zip(params, grads, *self._state):
            m *= beta1
            m += (1.0 - beta1) * g
            v *= beta2
            v += (1.0 - beta2) * g * g
            p -= self.lr * (m / correction1) / (np.sqrt(v / correction2) + self.eps)


class RMSProp(_Optimizer):
    """RMSProp (Tieleman & Hinton, 2012), the optimiser of the original WGAN.

    Parameters
    ----------
    lr : float
        Step size (default 5e-5, as for the weight-clipped WGAN).
    decay : float
        Decay of the running mean of squared gradients.
    eps : float
        Added to the root of that mean.

    Examples
    --------
    >>> import numpy as np
    >>> p = [np.array([1.0])]
    >>> opt = RMSProp(lr=0.01, decay=0.0)
    >>> opt.step(p, [np.array([4.0])])
    >>> round(float(p[0][0]), 6)
    0.99
    """

    def __init__(self, lr=5e-5, decay=0.9, eps=1e-8):
        super().__init__(lr)
        if not 0 <= decay < 1:
            raise ValueError(f"decay must lie in [0, 1), got {decay!r}.")
        self.decay = float(decay)
        self.eps = check_positive(eps, "eps")

    def step(self, params, grads):
        self._check(params, grads)
        if self._state is None:
            self._state = ([np.zeros_like(p) for p in params],)
        self.n_steps += 1
        for p, g, s in zip(params, grads, *self._state):
            s *= self.decay
            s += (1.0 - self.decay) * g * g
            p -= self.lr * g / (np.sqrt(s) + self.eps)


_OPTIMIZERS = {"adam": Adam, "rmsprop": RMSProp, "sgd": SGD}


def make_optimizer(spec, **defaults):
    """An optimiser from a name (``"adam"``, ``"rmsprop"``, ``"sgd"``) or an instance."""
    if isinstance(spec, _Optimizer):
        return spec
    if isinstance(spec, str) and spec.lower() in _OPTIMIZERS:
        return _OPTIMIZERS[spec.lower()](**defaults)
    raise ValueError(
        f"optimizer must be 'adam', 'rmsprop', 'sgd' or an optimiser instance, got {spec!r}."
    )
