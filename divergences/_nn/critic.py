"""A critic kept (roughly) 1-Lipschitz, and one update of it.

Both :func:`divergences.wasserstein` with ``method="critic"``
(:mod:`divergences.ot.critic`) and the Wasserstein GAN objectives
(:class:`divergences.gan.WassersteinCritic`) train the same thing: an
:class:`~.networks.MLP` ``f`` that maximises ``E_P f - E_Q f`` under a
Lipschitz regulariser -- one of three gradient penalties on random
interpolates of real and generated points, or weight clipping. By
Kantorovich--Rubinstein duality ``E_P f - E_Q f`` is then a lower bound of
``W_1(P, Q)`` for a 1-Lipschitz ``f`` (Arjovsky et al. 2017; Gulrajani et al.
2017). That critic lives here, below both users.
"""

import numpy as np

from .._validation import check_choice, check_positive
from .networks import MLP, PENALTIES
from .optim import make_optimizer

__all__ = [
    "BIAS_INITS",
    "CRITIC_REGULARISERS",
    "LipschitzCritic",
    "check_bias_init",
    "interpolates",
    "network_optimizer",
    "regulariser_options",
]

#: The regularisers of a Wasserstein critic: the three gradient penalties and clipping.
CRITIC_REGULARISERS = (*PENALTIES, "clip")


def network_optimizer(spec, lr, betas):
    """The optimiser of a critic: a name with ``lr`` (and ``betas`` for Adam), or an instance."""
    if spec == "adam":
        return make_optimizer("adam", lr=lr, betas=betas)
    if isinstance(spec, str):
        return make_optimizer(spec, lr=lr)
    return make_optimizer(spec)


def regulariser_options(penalty, lam, clip, caller):
    """``(lam, clip)`` with their defaults (10, 0.01); each is an error where it would be ignored.

    ``lam`` weighs a gradient penalty, which ``penalty="clip"`` does not have;
    ``clip`` bounds the weights, which only ``penalty="clip"`` does. ``caller``
    names the function in the message.
    """
    if penalty == "clip":
        if lam is not None:
            raise TypeError(
                f"{caller}: lam is the weight of a gradient penalty, and penalty='clip' has "
                "none; drop lam, or choose penalty='gp', 'one_sided' or 'zero_centred'."
            )
        return 10.0, 0.01 if clip is None else check_positive(clip, "clip")
    if clip is not None:
        raise TypeError(
            f"{caller}: clip is the weight bound of penalty='clip', but penalty={penalty!r} "
            "does not clip; drop clip, or pass penalty='clip'."
        )
    return 10.0 if lam is None else check_positive(lam, "lam"), 0.01


#: The first-layer bias starts of a critic (see :class:`LipschitzCritic`).
BIAS_INITS = ("zero", "data")


def check_bias_init(bias_init, penalty):
    """``bias_init`` if it is one of :data:`BIAS_INITS` and combines with ``penalty``."""
    check_choice(bias_init, BIAS_INITS, "bias_init")
    if bias_init == "data" and penalty == "clip":
        # |b_j| <= clip would pull each kink back to within about clip / |w_j| of the origin.
        raise ValueError(
            "bias_init='data' does not combine with penalty='clip': clipping bounds the "
            "biases too, which pulls the kinks back toward the origin; choose a gradient "
            "penalty ('gp', 'one_sided', 'zero_centred') or bias_init='zero'."
        )
    return bias_init


def interpolates(real, fake, rng):
    """Points ``t x + (1 - t) y`` on random segments between real and generated points.

    Pairs are formed index by index (the batches are independent draws); with
    unequal batch sizes the larger one is subsampled.
    """
    k = min(real.shape[0], fake.shape[0])
    x = real if real.shape[0] == k else real[rng.choice(real.shape[0], k, replace=False)]
    y = fake if fake.shape[0] == k else fake[rng.choice(fake.shape[0], k, replace=False)]
    t = rng.uniform(0.0, 1.0, size=(k, 1))
    return t * x + (1.0 - t) * y


class LipschitzCritic:
    """A scalar MLP critic, its optimiser and its Lipschitz regulariser.

    Parameters
    ----------
    dim : int
        Dimension of the points.
    penalty : {"gp", "one_sided", "zero_centred", "clip"}
        The regulariser (see :class:`divergences.gan.WassersteinCritic`).
    lam, clip : float
        The penalty weight, or the weight bound of ``"clip"`` (already
        checked by :func:`regulariser_options`).
    hidden, activation : the architecture (see :class:`~.networks.MLP`).
    optimizer, lr, betas : the optimiser (see :func:`network_optimizer`).
    rng : numpy.random.Generator
        Seed of the initial weights.
    bias_init : {"zero", "data"}
        The first layer's biases: zero (every unit's kink through the origin),
        or ``"data"``: at the first :meth:`step`, each unit's kink is put
        through a point drawn from that step's pooled real and generated
        batches (:meth:`~.networks.MLP.place_kinks`); a gradient penalty only
        (clipping would clip the biases back).

    Notes
    -----
    The critic starts from ``f = 0`` (a zero output layer): the data term
    then picks its direction before the penalty acts. From a random start, a
    penalty pinning ``|grad f|`` to 1 can trap ``f`` in the wrong orientation
    -- in 1-D, ``f(x) = x`` and ``f(x) = -x`` are separated by a penalty
    barrier, and ``f = x`` is a local optimum.

    Why ``bias_init="data"``: the optimal critic of W_1 bends where the
    transport does -- on the two moons, along the thin target curves, far from
    the origin -- and a ReLU network bends only at its units' kinks. From zero
    biases they all pass through the origin, and a critic trained against a
    frozen generator (the two moons against the moons blurred by noise 0.15,
    ``benchmarks/bench_gan.py --fidelity``) recovered a small share of the
    exact W_1; with the kinks on the data it recovered most of it (the numbers
    are in :data:`divergences.gan.TOY_SETTINGS`).
    """

    def __init__(self, dim, *, penalty, lam, clip, hidden, activation, optimizer, lr, betas, rng,
                 bias_init="zero"):
        self.penalty, self.lam, self.clip = penalty, lam, clip
        self.bias_init = check_bias_init(bias_init, penalty)
        self._kinks_placed = self.bias_init == "zero"
        self.network = MLP(dim, hidden, 1, activation=activation, rng=rng)
        self.optimizer = network_optimizer(optimizer, lr, betas)
        self.network.params[-2][...] = 0.0
        if penalty == "clip":
            self.network.clip_weights(clip)

    def step(self, real, fake, rng):
        """One update on the batches; returns ``loss``, ``estimate`` (``E_P f - E_Q f``), ...

        With a gradient penalty the statistics also hold ``penalty`` and
        ``grad_norm`` (the mean ``|grad f|`` on the interpolates).
        """
        net = self.network
        n, m = real.shape[0], fake.shape[0]
        pooled = np.vstack([real, fake])
        if not self._kinks_placed:
            # The first batches are the first data this critic sees.
            net.place_kinks(pooled, rng)
            self._kinks_placed = True
        f, cache = net.forward(pooled)
        f = f[:, 0]
        gap = float(np.mean(f[:n]) - np.mean(f[n:]))
        grad_f = np.concatenate([np.full(n, -1.0 / n), np.full(m, 1.0 / m)])
        grads, _ = net.backward(cache, grad_f[:, None])
        stats = {"loss": -gap, "estimate": gap}
        if self.penalty == "clip":
            self.optimizer.step(net.params, grads)
            net.clip_weights(self.clip)
            return stats
        points = interpolates(real, fake, rng)
        value, pgrads, norms = net.gradient_penalty(points, self.penalty, self.lam)
        for g, pg in zip(grads, pgrads):
            g += pg
        self.optimizer.step(net.params, grads)
        stats.update(loss=value - gap, penalty=value, grad_norm=float(np.mean(norms)))
        return stats
