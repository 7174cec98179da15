"""Generators: maps from a latent variable z to points x = g_theta(z).

A generator exposes its parameters as a list of arrays (updated in place by
the optimisers), draws latent variables, maps them to points, and
backpropagates a gradient with respect to the points to its parameters
(:meth:`Generator.vjp`). That is all :func:`divergences.gan.train` needs.
"""

import numpy as np

from .._validation import as_rng, check_positive_int
from .._nn.networks import MLP

__all__ = ["Generator", "ParallelLinesGenerator", "MLPGenerator"]


class Generator:
    """Interface of a generator ``g_theta: Z -> R^dim``.

    Attributes
    ----------
    params : list of ndarray
        The parameters theta, updated in place during training.
    dim : int
        Dimension of the generated points.
    latent_dim : int
        Dimension of z.
    """

    params = ()
    dim = None
    latent_dim = None

    def sample_latent(self, n, rng):
        """Draw ``n`` latent variables, shape ``(n, latent_dim)``."""
        raise NotImplementedError

    def __call__(self, z):
        """The points ``g_theta(z)``, shape ``(n, dim)``."""
        raise NotImplementedError

    def vjp(self, z, grad_x):
        """Gradients of ``sum_i <grad_x[i], g_theta(z_i)>`` with respect to :attr:`params`."""
        raise NotImplementedError

    def forward(self, z):
        """``(g_theta(z), cache)``: the points and what :meth:`vjp_from` may reuse.

        :func:`~divergences.gan.train` maps each generator batch once and
        backpropagates through the same evaluation. The default keeps nothing.
        """
        return self(z), None

    def vjp_from(self, z, grad_x, cache):
        """:meth:`vjp` reusing the ``cache`` of :meth:`forward` (the default ignores it)."""
        return self.vjp(z, grad_x)

    def sample(self, n, rng=None):
        """Draw ``n`` generated points."""
        n = check_positive_int(n, "n")
        return self(self.sample_latent(n, as_rng(rng)))

    def get_params(self):
        """A copy of the parameters, flattened into one vector."""
        return np.concatenate([np.ravel(p) for p in self.params]).copy()


class ParallelLinesGenerator(Generator):
    """The parallel-lines generator ``g_theta(z) = (theta, z)``, ``z ~ U[0, 1]``.

    Its law ``Q_theta`` is the uniform distribution on the vertical segment at
    abscissa ``theta``; against ``P = Q_0`` the Wasserstein distance is
    ``|theta|``, while JS is ``log 2`` and KL is infinite for every
    ``theta != 0`` (Arjovsky, Chintala & Bottou 2017, "Wasserstein GAN",
    example 1).

    Parameters
    ----------
    theta : float
        The initial abscissa.

    Examples
    --------
    >>> g = ParallelLinesGenerator(1.0)
    >>> g.sample(3, rng=0)[:, 0].tolist(), g.theta
    ([1.0, 1.0, 1.0], 1.0)
    """

    dim = 2
    latent_dim = 1

    def __init__(self, theta=1.0):
        theta = float(theta)
        if not np.isfinite(theta):
            raise ValueError(f"theta must be finite, got {theta!r}.")
        self.params = [np.array([theta])]

    @property
    def theta(self):
        """The current value of theta."""
        return float(self.params[0][0])

    def sample_latent(self, n, rng):
        return rng.uniform(0.0, 1.0, size=(n, 1))

    def __call__(self, z):
        z = np.asarray(z, dtype=np.float64).reshape(-1, 1)
        return np.column_stack([np.full(z.shape[0], self.params[0][0]), z[:, 0]])

    def vjp(self, z, grad_x):
        return [np.array([np.sum(grad_x[:, 0])])]

    def __repr__(self):
        return f"ParallelLinesGenerator(theta={self.theta:g})"


class MLPGenerator(Generator):
    """A generator ``g_theta(z) = MLP(z)`` with a standard normal latent ``z``.

    Parameters
    ----------
    dim : int
        Dimension of the generated points (2 for the toy datasets).
    latent_dim : int, optional
        Dimension of ``z`` (default 2).
    hidden : sequence of int, optional
        Hidden widths (default ``(64, 64)``).
    activation : str, optional
        Hidden activation (default ``"relu"``); see :class:`MLP`.
    rng : int or numpy.random.Generator, optional
        Seed of the initial weights.

    Examples
    --------
    >>> g = MLPGenerator(2, hidden=(16,), rng=0)
    >>> g.sample(5, rng=1).shape
    (5, 2)
    """

    def __init__(self, dim, latent_dim=2, hidden=(64, 64), *, activation="relu", rng=None):
        self.dim = check_positive_int(dim, "dim")
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.network = MLP(self.latent_dim, hidden, self.dim, activation=activation, rng=rng)
        self.params = self.network.params

    def sample_latent(self, n, rng):
        return rng.standard_normal((n, self.latent_dim))

    def __call__(self, z):
        return self.network(z)

    def vjp(self, z, grad_x):
        _, cache = self.network.forward(z)
        return self.network.backward(cache, grad_x)[0]

    def forward(self, z):
        return self.network.forward(z)

    def vjp_from(self, z, grad_x, cache):
        # One forward pass per generator step instead of two.
        return self.network.backward(cache, grad_x)[0]

    def __repr__(self):
        return f"MLPGenerator({self.network!r})"
