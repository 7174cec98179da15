"""A small multilayer perceptron in numpy, with its gradients written out by hand.

The networks here are small (a few hidden layers of tens of units) and run on
the CPU, where numpy's BLAS does the work; what matters is that every
gradient is closed-form, so that the critic, the discriminator and the
generators need no autodiff framework. Three derivatives are provided:

* :meth:`MLP.backward` -- a vector-Jacobian product: the gradient of a loss
  with respect to the parameters and to the input, given the loss's gradient
  with respect to the output (ordinary backpropagation);
* :meth:`MLP.input_gradient` -- ``grad_x f(x)`` of a scalar network;
* :meth:`MLP.gradient_penalty` -- a penalty ``mean_i phi(grad_x f(x_i))`` on the
  input gradient (the WGAN-GP penalty and its variants) together with its
  gradient with respect to the parameters: "double backpropagation", the
  reverse-mode derivative of the backward pass itself. It needs the second
  derivative of the activation; ReLU's is zero almost everywhere, which is
  exactly right off the measure-zero set of kinks.

The layer convention is ``a_l = h_{l-1} @ W_l + b_l``, ``h_l = act(a_l)`` for
the hidden layers and a linear output layer, with points as rows.
"""

import math

import numpy as np

from .._validation import as_rng, check_choice, check_positive_int

__all__ = ["MLP", "ACTIVATIONS", "PENALTIES"]

_LEAKY_SLOPE = 0.2


def _relu(a):
    return np.maximum(a, 0.0), (a > 0).astype(np.float64), None


def _leaky_relu(a):
    slope = np.where(a > 0, 1.0, _LEAKY_SLOPE)
    return a * slope, slope, None


def _tanh(a):
    t = np.tanh(a)
    d1 = 1.0 - t * t
    return t, d1, -2.0 * t * d1


def _softplus(a):
    s = _sigmoid(a)
    return np.logaddexp(0.0, a), s, s * (1.0 - s)


def _elu(a):
    # alpha = 1: C^1 at 0, second derivative jumps from 1 to 0 there.
    e = np.exp(np.minimum(a, 0.0))
    positive = a > 0
    return np.where(positive, a, e - 1.0), np.where(positive, 1.0, e), np.where(positive, 0.0, e)


def _sigmoid(a):
    # exp of a non-positive number only: no overflow for large |a|.
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


#: Activation name -> function returning (value, first derivative, second
#: derivative or None where it is zero almost everywhere).
ACTIVATIONS = {
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "tanh": _tanh,
    "softplus": _softplus,
    "elu": _elu,
}

#: Gradient penalties: name -> (phi(s), dphi/ds) as functions of s = |grad f|.
#: "zero_centred" is 1/2 s^2 (Mescheder et al. 2018, "Which training methods for
#: GANs do actually converge?"); "gp" is (s - 1)^2 (Gulrajani et al. 2017);
#: "one_sided" is max(0, s - 1)^2 (Petzka et al. 2018, WGAN-LP).
PENALTIES = {
    "gp": (lambda s: (s - 1.0) ** 2, lambda s: 2.0 * (s - 1.0)),
    "one_sided": (
        lambda s: np.maximum(s - 1.0, 0.0) ** 2,
        lambda s: 2.0 * np.maximum(s - 1.0, 0.0),
    ),
    "zero_centred": (lambda s: 0.5 * s * s, lambda s: s),
}

# Added under the square root of |grad f|^2 so that d|g|/dg = g/|g| stays finite at g = 0.
_NORM_FLOOR = 1e-12


class MLP:
    """A fully connected network ``R^d -> R^k`` with hand-written gradients.

    Parameters
    ----------
    in_dim : int
        Input dimension ``d``.
    hidden : sequence of int
        Widths of the hidden layers (may be empty: an affine map).
    out_dim : int, optional
        Output dimension ``k`` (default 1, a critic or discriminator).
    activation : str, optional
        One of ``"relu"``, ``"leaky_relu"`` (slope 0.2), ``"tanh"``,
        ``"softplus"``, ``"elu"``. Default ``"leaky_relu"``.
    rng : int or numpy.random.Generator, optional
        Seed of the initial weights (He-uniform for the ReLU family, Glorot-uniform
        otherwise; zero biases).

    Attributes
    ----------
    params : list of ndarray
        ``[W_1, b_1, ..., W_L, b_L]``, updated in place by the optimisers.

    Examples
    --------
    >>> import numpy as np
    >>> net = MLP(2, (8,), activation="tanh", rng=0)
    >>> x = np.array([[0.5, -1.0]])
    >>> net(x).shape, net.input_gradient(x).shape
    ((1, 1), (1, 2))
    """

    def __init__(self, in_dim, hidden=(64, 64), out_dim=1, *, activation="leaky_relu", rng=None):
        in_dim = check_positive_int(in_dim, "in_dim")
        out_dim = check_positive_int(out_dim, "out_dim")
        hidden = tuple(check_positive_int(w, "hidden width") for w in hidden)
        self.activation = check_choice(activation, tuple(ACTIVATIONS), "activation")
        self._act = ACTIVATIONS[activation]
        self.in_dim, self.hidden, self.out_dim = in_dim, hidden, out_dim
        gen = as_rng(rng)
        gain = 2.0 if activation in ("relu", "leaky_relu", "elu") else 1.0
        widths = (in_dim, *hidden, out_dim)
        self.params = []
        for fan_in, fan_out in zip(widths[:-1], widths[1:]):
            if gain != 1.0:
                limit = math.sqrt(3.0 * gain / fan_in)
            else:
                limit = math.sqrt(6.0 / (fan_in + fan_out))
            self.params.append(gen.uniform(-limit, limit, size=(fan_in, fan_out)))
            self.params.append(np.zeros(fan_out))

    @property
    def n_layers(self):
        return len(self.params) // 2

    @property
    def weights(self):
        return self.params[0::2]

    def copy(self):
        """An independent copy (parameters copied)."""
        twin = object.__new__(MLP)
        twin.__dict__.update(self.__dict__)
        twin.params = [p.copy() for p in self.params]
        return twin

    def place_kinks(self, points, rng=None):
        """Put each first-layer unit's kink through a data point: ``b_j = -x_j . w_j``.

        With zero biases (the default start) every first-layer unit's kink --
        the line ``x . w_j + b_j = 0`` where a ReLU bends, or the centre of a
        smooth activation -- passes through the origin, so that the network
        starts as a fan of wedges around one point and must first move its
        biases to bend anywhere else. Drawing a point ``x_j`` of the data for
        each unit and setting ``b_j = -x_j . w_j`` (the weights ``w_j`` are
        kept) moves the kinks onto the data, spread as the data are. This is
        the data-dependent placement of hyperplanes through sample points of
        Steinwart (2019, "A sober look at neural network initializations"); Sahs
        et al. (2022, "Shallow univariate ReLU networks as splines") show why
        the default start is flat: its breakpoints bunch near the origin.

        Parameters
        ----------
        points : array_like, shape (n, in_dim)
            The data the kinks are drawn from (with replacement).
        rng : int or numpy.random.Generator, optional

        Returns
        -------
        ndarray, shape (hidden[0], in_dim)
            The point each unit's kink passes through.

        Examples
        --------
        >>> import numpy as np
        >>> net = MLP(2, (4,), rng=0)
        >>> anchors = net.place_kinks([[1.0, 2.0], [3.0, -1.0]], rng=0)
        >>> bool(np.allclose(np.sum(anchors * net.params[0].T, axis=1) + net.params[1], 0.0))
        True
        """
        if self.n_layers < 2:
            raise ValueError("place_kinks: this network has no hidden layer, hence no kinks.")
        points = self._check_input(points)
        if points.shape[0] == 0 or not np.all(np.isfinite(points)):
            raise ValueError("place_kinks: points must be a non-empty array of finite values.")
        weights = self.params[0]
        anchors = points[as_rng(rng).integers(points.shape[0], size=weights.shape[1])]
        self.params[1][...] = -np.sum(anchors * weights.T, axis=1)
        return anchors

    def _check_input(self, x):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise ValueError(
                f"x must have shape (n, {self.in_dim}) for this network, got {x.shape}."
            )
        return x

    def forward(self, x):
        """Evaluate the network, keeping what the backward passes need.

        Returns
        -------
        out : ndarray, shape (n, out_dim)
        cache : dict
            Pre-activations, activations and their derivatives per layer.
        """
        x = self._check_input(x)
        hs, d1s, d2s = [x], [], []
        h = x
        for layer in range(self.n_layers - 1):
            a = h @ self.params[2 * layer] + self.params[2 * layer + 1]
            h, d1, d2 = self._act(a)
            hs.append(h)
            d1s.append(d1)
            d2s.append(d2)
        out = h @ self.params[-2] + self.params[-1]
        return out, {"h": hs, "d1": d1s, "d2": d2s}

    def __call__(self, x):
        return self.forward(x)[0]

    def backward(self, cache, grad_out):
        """Backpropagate ``grad_out = dL/d(out)`` (shape ``(n, out_dim)``).

        Returns
        -------
        param_grads : list of ndarray
            ``dL/dparams``, in the order of :attr:`params`.
        grad_x : ndarray, shape (n, in_dim)
            ``dL/dx``.
        """
        hs, d1s = cache["h"], cache["d1"]
        grads = [None] * len(self.params)
        delta = np.asarray(grad_out, dtype=np.float64)
        for layer in range(self.n_layers - 1, -1, -1):
            grads[2 * layer] = hs[layer].T @ delta
            grads[2 * layer + 1] = delta.sum(axis=0)
            upstream = delta @ self.params[2 * layer].T
            if layer > 0:
                delta = upstream * d1s[layer - 1]
        return grads, upstream

    def input_gradient(self, x, cache=None):
        """``grad_x f(x_i)`` for each row of ``x`` (scalar networks only), shape ``(n, d)``."""
        self._require_scalar("input_gradient")
        if cache is None:
            cache = self.forward(x)[1]
        n = cache["h"][0].shape[0]
        return self.backward(cache, np.ones((n, 1)))[1]

    def gradient_penalty(self, x, kind="gp", scale=1.0):
        """A penalty on the input gradient and its gradient with respect to the parameters.

        The penalty is ``scale * mean_i phi(|grad_x f(x_i)|)`` with ``phi`` from
        :data:`PENALTIES`: ``(s - 1)^2`` ("gp"), ``max(0, s - 1)^2``
        ("one_sided") or ``s^2 / 2`` ("zero_centred").

        Returns
        -------
        value : float
        param_grads : list of ndarray
        grad_norms : ndarray, shape (n,)
            ``|grad_x f(x_i)|``.

        Notes
        -----
        With the backward pass written as ``u_{L-1} = W_L^T`` (row vectors,
        one per point), ``delta_l = u_l * act'(a_l)``, ``u_{l-1} = delta_l W_l^T``
        and ``grad_x f = u_0``, the penalty's reverse-mode derivative runs that
        chain the other way (``u_0 -> u_{L-1}``), giving
        ``dW_l += ubar_{l-1}^T delta_l`` and a contribution
        ``abar_l = deltabar_l * u_l * act''(a_l)`` to every pre-activation,
        which is then backpropagated through the forward pass as usual
        (``dW_l += h_{l-1}^T abar_l``, ``db_l += sum abar_l``).
        """
        self._require_scalar("gradient_penalty")
        phi, dphi = PENALTIES[check_choice(kind, tuple(PENALTIES), "penalty")]
        _, cache = self.forward(x)
        hs, d1s, d2s = cache["h"], cache["d1"], cache["d2"]
        n = hs[0].shape[0]
        n_hidden = self.n_layers - 1
        # Backward pass, keeping u_l (upstream rows) and delta_l for every hidden layer.
        us = [None] * (n_hidden + 1)
        deltas = [None] * (n_hidden + 1)
        u = np.broadcast_to(self.params[-2][:, 0], (n, self.params[-2].shape[0]))
        us[n_hidden] = u
        for layer in range(n_hidden, 0, -1):
            deltas[layer] = us[layer] * d1s[layer - 1]
            us[layer - 1] = deltas[layer] @ self.params[2 * (layer - 1)].T
        g = us[0]
        exact_norms = np.sqrt(np.sum(g * g, axis=1))
        value = scale * float(np.mean(phi(exact_norms)))
        norms = np.sqrt(exact_norms**2 + _NORM_FLOOR)

        grads = [np.zeros_like(p) for p in self.params]
        ubar = (scale / n) * (dphi(norms) / norms)[:, None] * g
        abars = [None] * (n_hidden + 1)
        # Reverse of the backward chain: from u_0 up to u_{L-1}.
        for layer in range(1, n_hidden + 1):
            w = self.params[2 * (layer - 1)]
            grads[2 * (layer - 1)] += ubar.T @ deltas[layer]
            deltabar = ubar @ w
            if d2s[layer - 1] is not None:
                abars[layer] = deltabar * us[layer] * d2s[layer - 1]
            ubar = deltabar * d1s[layer - 1]
        # u_{L-1} = W_L^T for every point: W_L collects the remaining adjoint.
        grads[-2] += ubar.sum(axis=0)[:, None]
        # The second-derivative terms flow back through the forward pass.
        carry = None
        for layer in range(n_hidden, 0, -1):
            abar = abars[layer]
            if carry is not None:
                abar = carry if abar is None else abar + carry
            if abar is None:
                carry = None
                continue
            grads[2 * (layer - 1)] += hs[layer - 1].T @ abar
            grads[2 * (layer - 1) + 1] += abar.sum(axis=0)
            carry = (abar @ self.params[2 * (layer - 1)].T) * d1s[layer - 2] if layer > 1 else None
        return value, grads, exact_norms

    def _require_scalar(self, what):
        if self.out_dim != 1:
            raise ValueError(
                f"{what} needs a scalar network (out_dim=1), this one has {self.out_dim}."
            )

    def clip_weights(self, bound):
        """Clip every parameter to ``[-bound, bound]`` in place (original WGAN)."""
        for p in self.params:
            np.clip(p, -bound, bound, out=p)

    def __repr__(self):
        widths = (self.in_dim, *self.hidden, self.out_dim)
        return f"MLP({' -> '.join(map(str, widths))}, activation={self.activation!r})"


def flatten(arrays):
    """Concatenate a list of arrays into one vector (for finite-difference checks)."""
    return np.concatenate([a.ravel() for a in arrays])


def unflatten_into(vector, arrays):
    """Write ``vector`` back into ``arrays`` in place (inverse of :func:`flatten`)."""
    start = 0
    for a in arrays:
        a[...] = vector[start : start + a.size].reshape(a.shape)
        start += a.size
