"""Training objectives: one per divergence a generator can be trained against.

An objective turns a batch of target points (``real``, from P) and a batch
of generated points (``fake``, from Q_theta) into

* :meth:`Objective.critic_step` -- one update of its critic or
  discriminator, if it has one;
* :meth:`Objective.generator_step` -- the generator's loss, its gradient with
  respect to each generated point, and the current estimate of the divergence.

The gradient with respect to the generated points is all a generator needs
(:meth:`~divergences.gan.generators.Generator.vjp` carries it to the
parameters). Two families:

* **with a critic** -- :class:`JensenShannonGAN` (the classic discriminator,
  saturating or non-saturating generator loss), :class:`KLGAN` (a
  discriminator used as a density-ratio estimator), :class:`WassersteinCritic`
  (WGAN: gradient penalty, one-sided or zero-centred penalty, or weight
  clipping);
* **critic-free** -- :class:`ExactOT`, :class:`SinkhornObjective`,
  :class:`SlicedObjective`: the divergence between the two batches is
  computed exactly (or by Sinkhorn), and by the envelope theorem its gradient
  with respect to ``y_j`` is ``sum_i pi_ij grad_y c(x_i, y_j)`` at the optimal
  plan ``pi``, held fixed.

Sign conventions follow DESIGN.md: V(G, D) = E_P log D + E_Q log(1 - D), and
the critic loss of the WGAN is ``-E_P f + E_Q f + penalty``.
"""

import math

import numpy as np

from .._constants import LOG2
from .._nn.critic import (
    CRITIC_REGULARISERS,
    LipschitzCritic,
    check_bias_init,
    interpolates,
    network_optimizer,
    regulariser_options,
)
from .._nn.networks import MLP, _sigmoid
from .._objective import Objective
from .._validation import check_choice, check_order, check_positive, check_positive_int
from ..exceptions import MethodError
from ..registry import DIVERGENCE_INFO

__all__ = [
    "Objective",
    "JensenShannonGAN",
    "KLGAN",
    "WassersteinCritic",
    "ExactOT",
    "SinkhornObjective",
    "SlicedObjective",
    "OBJECTIVES",
    "make_objective",
    "objective_names",
]

_LOG4 = math.log(4.0)


class _WithCritic(Objective):
    """Shared set-up of the objectives that train a network against the generator."""

    def __init__(self, *, n_critic, warmup, hidden, activation, optimizer, lr, betas):
        self.n_critic = check_positive_int(n_critic, "n_critic")
        if isinstance(warmup, bool) or not isinstance(warmup, (int, np.integer)) or warmup < 0:
            raise ValueError(f"warmup must be a non-negative integer, got {warmup!r}.")
        self.warmup = int(warmup)
        self.hidden = tuple(hidden)
        self.activation = activation
        self._optimizer_spec = optimizer
        self.lr = check_positive(lr, "lr")
        self.betas = betas

    def setup(self, dim, rng):
        self.critic = MLP(dim, self.hidden, 1, activation=self.activation, rng=rng)
        self.optimizer = network_optimizer(self._optimizer_spec, self.lr, self.betas)

    def _require_setup(self):
        if self.critic is None:
            raise RuntimeError(f"{type(self).__name__}.setup(dim, rng) must run first.")

    def _forward_pair(self, real, fake):
        out, cache = self.critic.forward(np.vstack([real, fake]))
        return out[:, 0], cache


class JensenShannonGAN(_WithCritic):
    """The classic GAN: a discriminator ``D = sigmoid(h)`` and the JS divergence.

    The discriminator minimises ``-E_P log D - E_Q log(1 - D)``; at its optimum
    ``D* = p / (p + q)`` and ``V(G, D*) = -log 4 + 2 JS(P, Q)`` (Goodfellow et
    al. 2014), so the estimate reported is ``(V + log 4) / 2`` on the batch,
    clipped to ``[0, log 2]``.

    Parameters
    ----------
    generator_loss : {"saturating", "non_saturating"}
        ``"saturating"`` minimises ``E_Q log(1 - D)`` (the minimax game, whose
        gradient vanishes where D rejects the generated points confidently);
        ``"non_saturating"`` minimises ``-E_Q log D``.
    distance : bool
        Report (and descend) the JS *distance* ``sqrt(JS)`` instead.
    n_critic, warmup : int
        Discriminator updates per generator update, and before the first one.
    hidden, activation : discriminator architecture (see :class:`MLP`).
    optimizer, lr, betas : discriminator optimiser.
    """

    name = "js"
    divergence = "js"
    estimate_label = (
        "(V(D) + log 4) / 2 of the discriminator on the step's batches, clipped to [0, log 2]: "
        "JS (nats) only for an optimal discriminator; saturates at log 2 when D separates them"
    )

    def __init__(
        self,
        *,
        generator_loss="saturating",
        distance=False,
        n_critic=1,
        warmup=0,
        hidden=(64, 64),
        activation="leaky_relu",
        optimizer="adam",
        lr=1e-3,
        betas=(0.5, 0.9),
    ):
        super().__init__(
            n_critic=n_critic, warmup=warmup, hidden=hidden, activation=activation,
            optimizer=optimizer, lr=lr, betas=betas,
        )
        self.generator_loss = check_choice(
            generator_loss, ("saturating", "non_saturating"), "generator_loss"
        )
        self.distance = bool(distance)
        if self.distance:
            self.divergence = "js_distance"

    def critic_step(self, real, fake, rng):
        self._require_setup()
        n, m = real.shape[0], fake.shape[0]
        h, cache = self._forward_pair(real, fake)
        h_real, h_fake = h[:n], h[n:]
        loss = float(np.mean(np.logaddexp(0.0, -h_real)) + np.mean(np.logaddexp(0.0, h_fake)))
        grad_h = np.concatenate([-_sigmoid(-h_real) / n, _sigmoid(h_fake) / m])
        grads, _ = self.critic.backward(cache, grad_h[:, None])
        self.optimizer.step(self.critic.params, grads)
        return {"loss": loss}

    def value(self, real, fake):
        """``V(G, D)`` on the batches: ``mean log D(real) + mean log(1 - D(fake))``."""
        h_real = self.critic(real)[:, 0]
        h_fake = self.critic(fake)[:, 0]
        return float(-np.mean(np.logaddexp(0.0, -h_real)) - np.mean(np.logaddexp(0.0, h_fake)))

    def generator_step(self, real, fake, rng):
        self._require_setup()
        m = fake.shape[0]
        h_fake, cache = self.critic.forward(fake)
        h_fake = h_fake[:, 0]
        js = min(max(0.5 * (self.value(real, fake) + _LOG4), 0.0), LOG2)
        if self.generator_loss == "saturating":
            # log(1 - sigmoid(h)) = -softplus(h); its derivative is -sigmoid(h).
            loss = float(-np.mean(np.logaddexp(0.0, h_fake)))
            grad_h = -_sigmoid(h_fake) / m
        else:
            loss = float(np.mean(np.logaddexp(0.0, -h_fake)))
            grad_h = -_sigmoid(-h_fake) / m
        estimate = js
        if self.distance:
            # d sqrt(JS) = dJS / (2 sqrt JS), and dJS/dtheta = dV/dtheta / 2.
            root = math.sqrt(js)
            grad_h = grad_h / (4.0 * max(root, 1e-12))
            loss, estimate = root, root
        grad_x = self.critic.backward(cache, grad_h[:, None])[1]
        return loss, grad_x, estimate


class KLGAN(_WithCritic):
    """KL through a discriminator used as a density-ratio estimator.

    A discriminator trained with the logistic loss has logit
    ``h* = log p/q`` at its optimum. With the ratio held fixed,

    * ``direction="forward"`` descends KL(P || Q_theta) through the f-GAN bound
      ``KL = sup_T E_P T - E_Q exp(T - 1)`` (Nowozin et al. 2016), whose
      optimal ``T = 1 + h*``: the generator loss is ``-E_Q exp(h)``;
      the estimate is ``E_P h``;
    * ``direction="reverse"`` descends KL(Q_theta || P) with loss ``-E_Q h``
      (the score term ``E_Q grad log q`` vanishes); the estimate is
      ``-E_Q h``.

    ``exp(h)`` is capped at ``exp(30)``: beyond, the ratio is unreliable anyway.
    Other parameters as for :class:`JensenShannonGAN`.
    """

    name = "kl"
    divergence = "kl"
    estimate_label = (
        "the discriminator's mean logit on P (forward) or minus it on Q (reverse), clipped at 0: "
        "KL (nats) only for an optimal discriminator"
    )

    def __init__(
        self,
        *,
        direction="forward",
        n_critic=1,
        warmup=0,
        hidden=(64, 64),
        activation="leaky_relu",
        optimizer="adam",
        lr=1e-3,
        betas=(0.5, 0.9),
    ):
        super().__init__(
            n_critic=n_critic, warmup=warmup, hidden=hidden, activation=activation,
            optimizer=optimizer, lr=lr, betas=betas,
        )
        self.direction = check_choice(direction, ("forward", "reverse"), "direction")

    critic_step = JensenShannonGAN.critic_step

    def generator_step(self, real, fake, rng):
        self._require_setup()
        m = fake.shape[0]
        h_fake, cache = self.critic.forward(fake)
        h_fake = h_fake[:, 0]
        if self.direction == "forward":
            ratio = np.exp(np.minimum(h_fake, 30.0))
            loss = float(-np.mean(ratio))
            grad_h = -ratio / m
            estimate = float(np.mean(self.critic(real)[:, 0]))
        else:
            loss = float(-np.mean(h_fake))
            grad_h = np.full(m, -1.0 / m)
            estimate = -loss
        grad_x = self.critic.backward(cache, grad_h[:, None])[1]
        return loss, grad_x, max(estimate, 0.0)


class WassersteinCritic(_WithCritic):
    """The Wasserstein GAN: a critic ``f`` kept (roughly) 1-Lipschitz.

    The critic minimises ``-E_P f + E_Q f + regulariser`` and the generator
    ``-E_Q f``; by Kantorovich--Rubinstein duality ``E_P f - E_Q f`` estimates
    W_1 (Arjovsky et al. 2017; Gulrajani et al. 2017).

    Parameters
    ----------
    penalty : {"gp", "one_sided", "zero_centred", "clip"}
        ``"gp"``: ``lam * E (|grad f(x_hat)| - 1)^2`` on random interpolates
        ``x_hat`` of real and generated points (WGAN-GP); ``"one_sided"``:
        ``lam * E max(0, |grad f| - 1)^2``; ``"zero_centred"``:
        ``lam * E |grad f|^2 / 2``; ``"clip"``: no penalty, every weight clipped
        to ``[-clip, clip]`` after each step (the original WGAN; use
        ``optimizer="rmsprop"``, ``lr=5e-5`` as in the paper).
    lam : float, optional
        The penalty weight (default 10, as in WGAN-GP); an error with
        ``penalty="clip"``, which has no penalty.
    clip : float, optional
        The clipping bound of ``penalty="clip"`` (default 0.01, as in the
        original WGAN); an error with the other penalties, which do not clip.
    n_critic, warmup : int
        Critic updates per generator update (5 as in WGAN-GP), and before the
        first one.
    hidden, activation, optimizer, lr, betas
        Critic architecture and optimiser.
    bias_init : {"zero", "data"}
        The critic's first-layer biases: zero, or ``"data"``: each unit's kink
        put through a point of the first batches (see
        :class:`divergences._nn.critic.LipschitzCritic`, which says why).
    """

    name = "wasserstein"
    divergence = "wasserstein"
    estimate_label = (
        "E_P f - E_Q f of the critic on a fresh batch it was not trained on: a lower bound of "
        "W_1 while the critic is 1-Lipschitz (not an estimate of W_1 itself); a negative value "
        "means the critic points the wrong way and bounds nothing -- not a distance"
    )

    def __init__(
        self,
        *,
        penalty="gp",
        lam=None,
        clip=None,
        n_critic=5,
        warmup=0,
        hidden=(64, 64),
        activation="leaky_relu",
        optimizer="adam",
        lr=1e-3,
        betas=(0.5, 0.9),
        bias_init="zero",
    ):
        super().__init__(
            n_critic=n_critic, warmup=warmup, hidden=hidden, activation=activation,
            optimizer=optimizer, lr=lr, betas=betas,
        )
        self.penalty = check_choice(penalty, CRITIC_REGULARISERS, "penalty")
        self.bias_init = check_bias_init(bias_init, self.penalty)
        self.lam, self.clip = regulariser_options(self.penalty, lam, clip, "WassersteinCritic")
        if self.penalty == "clip":
            self.name = "wgan_clip"

    def setup(self, dim, rng):
        # The critic, its optimiser and its update are those of method="critic"
        # of dv.wasserstein (divergences._nn.critic); it starts from f = 0.
        self._lipschitz = LipschitzCritic(
            dim, penalty=self.penalty, lam=self.lam, clip=self.clip, hidden=self.hidden,
            activation=self.activation, optimizer=self._optimizer_spec, lr=self.lr,
            betas=self.betas, rng=rng, bias_init=self.bias_init,
        )
        self.critic, self.optimizer = self._lipschitz.network, self._lipschitz.optimizer

    def critic_step(self, real, fake, rng):
        self._require_setup()
        return self._lipschitz.step(real, fake, rng)

    def generator_step(self, real, fake, rng):
        self._require_setup()
        m = fake.shape[0]
        f_fake, cache = self.critic.forward(fake)
        estimate = float(np.mean(self.critic(real)) - np.mean(f_fake))
        grad_x = self.critic.backward(cache, np.full((m, 1), -1.0 / m))[1]
        return float(-np.mean(f_fake)), grad_x, estimate


# ---------------------------------------------------------------------------
# Critic-free objectives: the divergence between the batches, and its gradient
# from the optimal plan (envelope theorem).


def _pair_cost_gradient(x, y, order):
    """Gradient of ``|x_k - y_k|^order`` with respect to ``y_k``, row by row, shape (k, d).

    Taken as 0 where ``y_k = x_k`` (a subgradient where the cost has a kink).
    """
    diff = y - x
    if order == 2.0:
        return 2.0 * diff
    dist = np.sqrt(np.sum(diff * diff, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(dist > 0, order * dist ** (order - 2.0), 0.0)
    return scale[:, None] * diff


class ExactOT(Objective):
    """Exact W_p between the batches (network simplex), no critic.

    The generator descends the transport cost ``W_p^p`` of the batches; the
    estimate is ``W_p``. Uses :func:`divergences.wasserstein` with
    ``method="exact"``.

    Parameters
    ----------
    order : float
        The order ``p`` (default 1).
    """

    name = "exact_ot"
    divergence = "wasserstein"
    estimate_label = "exact W_p between the step's two batches (above W_p of the laws: sampling)"

    def __init__(self, *, order=1.0):
        self.order = check_order(order)

    def generator_step(self, real, fake, rng):
        from ..measures import Samples
        from .._wasserstein import wasserstein

        result = wasserstein(
            Samples(real), Samples(fake), order=self.order, method="exact", return_plan=True
        )
        # The plan may be dense (network simplex) or sparse (auction); either way only
        # its support contributes, so differentiate the cost on the support alone.
        plan = result.plan.tocoo() if hasattr(result.plan, "tocoo") else None
        if plan is None:
            rows, cols = np.nonzero(result.plan)
            mass = result.plan[rows, cols]
        else:
            rows, cols, mass = plan.row, plan.col, plan.data
        grad = np.zeros_like(fake)
        np.add.at(grad, cols, mass[:, None] * _pair_cost_gradient(real[rows], fake[cols], self.order))
        return result.cost, grad, result.value


class SinkhornObjective(Objective):
    """The debiased Sinkhorn divergence between the batches, no critic.

    ``S_eps = OT_eps(P, Q) - OT_eps(P, P)/2 - OT_eps(Q, Q)/2`` with cost
    ``|x - y|^order`` and ``eps`` in cost units, computed by
    :func:`divergences.sinkhorn_divergence`'s solver
    (:func:`divergences.ot.sinkhorn.divergence`: its debiasing, its exact
    ``S_eps(a, a) = 0`` for identical batches and its
    :class:`~divergences.exceptions.ConvergenceWarning`). Gradient with respect
    to ``y_j`` (envelope theorem; Feydy et al. 2019):
    ``sum_i pi^PQ_ij grad_y c(x_i, y_j) - sum_k pi^QQ_kj grad_y c(y_k, y_j)``
    (the second term counts both arguments of the symmetric problem), each
    sum computed online from the solver's potentials by
    :func:`divergences._kernels.barycentric.plan_gradient`: O(n + m) memory,
    as the solver itself.

    Parameters
    ----------
    eps : float
        Entropic regularisation in cost units (default 0.1).
    order : float
        Exponent of the ground cost (default 2).
    max_iter : int
        Sinkhorn iterations per problem.
    tol : float
        Marginal error (L1) at which Sinkhorn stops (default 1e-3): the
        gradient's relative error is of that order, well below the batches'
        sampling noise.
    """

    name = "sinkhorn"
    divergence = "sinkhorn"
    estimate_label = "debiased Sinkhorn divergence S_eps between the step's batches (cost units)"

    def __init__(self, *, eps=0.1, order=2.0, max_iter=5000, tol=1e-3):
        self.tol = check_positive(tol, "tol")
        self.eps = check_positive(eps, "eps")
        self.order = check_order(order)
        self.max_iter = check_positive_int(max_iter, "max_iter")

    def generator_step(self, real, fake, rng):
        from .._kernels import barycentric
        from .._threads import run_kernel
        from ..measures import Samples
        from ..ot.sinkhorn import divergence

        result = divergence(Samples(real), Samples(fake), eps=self.eps, order=self.order,
                            tol=self.tol, max_iter=self.max_iter)
        potentials = result.details["potentials_each"]
        f, g = potentials["ab"]
        q = potentials["bb"]
        n, m = real.shape[0], fake.shape[0]
        log_a, log_b = np.full(n, -math.log(n)), np.full(m, -math.log(m))

        def plan_gradient(x, log_x, fx, y, log_y, gy):
            return run_kernel(barycentric.plan_gradient, barycentric.plan_gradient_serial,
                              x.shape[0] * y.shape[0], barycentric.SERIAL_BELOW,
                              x, y, log_x, fx, log_y, gy, self.eps, self.order)

        grad = plan_gradient(real, log_a, f, fake, log_b, g)
        grad -= plan_gradient(fake, log_b, q, fake, log_b, q)
        value = float(result.value)
        return value, grad, max(value, 0.0)


class SlicedObjective(Objective):
    """Sliced Wasserstein between the batches, no critic.

    ``SW_p^p = E_u W_p^p(u#P, u#Q)`` over ``n_projections`` random directions
    ``u`` on the sphere (:func:`divergences.ot.sliced.random_directions`, as
    the sliced solver), drawn afresh at every step; each 1-D problem is solved
    by sorting, and the sorted matching gives the gradient. Needs batches of
    equal size. The generator descends ``SW_p^p``; the estimate is ``SW_p``.

    Parameters
    ----------
    n_projections : int
        Directions per step (default 50).
    order : float
        The order ``p`` (default 2).
    """

    name = "sliced"
    divergence = "wasserstein"
    estimate_label = "sliced W_p between the step's batches (a lower bound of their W_p)"

    def __init__(self, *, n_projections=50, order=2.0):
        self.n_projections = check_positive_int(n_projections, "n_projections")
        self.order = check_order(order)

    def generator_step(self, real, fake, rng):
        n, d = fake.shape
        if real.shape[0] != n:
            raise ValueError("the sliced objective needs real and generated batches of equal size.")
        from ..ot.sliced import random_directions

        u = random_directions(self.n_projections, d, rng).T
        px, py = real @ u, fake @ u
        order_y = np.argsort(py, axis=0)
        sorted_x = np.sort(px, axis=0)
        # The j-th smallest projection of y is matched to the j-th smallest of x.
        matched_x = np.empty_like(px)
        np.put_along_axis(matched_x, order_y, sorted_x, axis=0)
        diff = py - matched_x
        p = self.order
        cost = float(np.mean(np.abs(diff) ** p))
        dproj = p * np.abs(diff) ** (p - 1.0) * np.sign(diff) / (n * self.n_projections)
        grad = dproj @ u.T
        return cost, grad, cost ** (1.0 / p)


#: The library's objectives by name: those the built-in divergences' registry
#: records name (``gan_objective="js"``, ...), and variants named explicitly.
#: :func:`make_objective` looks a divergence's name up in its record first, so a
#: divergence added elsewhere brings its own objective (see CONTRIBUTING.md).
OBJECTIVES = {
    "js": lambda **o: JensenShannonGAN(**o),
    "js_distance": lambda **o: JensenShannonGAN(distance=True, **o),
    "js_nonsaturating": lambda **o: JensenShannonGAN(generator_loss="non_saturating", **o),
    "kl": lambda **o: KLGAN(**o),
    "kl_reverse": lambda **o: KLGAN(direction="reverse", **o),
    "wasserstein": lambda **o: WassersteinCritic(**o),
    "wgan_gp": lambda **o: WassersteinCritic(penalty="gp", **o),
    "wgan_clip": lambda **o: WassersteinCritic(
        **{"penalty": "clip", "optimizer": "rmsprop", "lr": 5e-5, **o}
    ),
    "exact_ot": lambda **o: ExactOT(**o),
    "sinkhorn": lambda **o: SinkhornObjective(**o),
    "sliced": lambda **o: SlicedObjective(**o),
    "mmd": lambda **o: _kernel_objective(**o),
    "energy_distance": lambda **o: _kernel_objective(kernel="energy", **o),
}


def _kernel_objective(**options):
    # Imported here: kernel_objective subclasses Objective from this module.
    from .kernel_objective import KernelObjective

    return KernelObjective(**options)


def objective_names():
    """Every name :func:`make_objective` (and :func:`~divergences.gan.train`) accepts.

    The registered divergences whose record names a GAN objective
    (:attr:`divergences.registry.DivergenceInfo.gan_objective`), then the
    variants of :data:`OBJECTIVES`.
    """
    kinds = [kind for kind, info in DIVERGENCE_INFO.items() if info.gan_objective is not None]
    return tuple(dict.fromkeys([*kinds, *OBJECTIVES]))


def _objective_factory(divergence):
    """``factory(**options) -> Objective`` for a divergence's registry name or a variant's.

    A registered divergence trains against what its record says: a name in
    :data:`OBJECTIVES`, or a factory (an :class:`Objective` subclass, say)
    written in the divergence's own module -- so a divergence added by one
    module and one record trains with no edit here.
    """
    info = DIVERGENCE_INFO.get(divergence) if isinstance(divergence, str) else None
    if info is None:
        if isinstance(divergence, str) and divergence in OBJECTIVES:
            return OBJECTIVES[divergence]
        names = ", ".join(repr(n) for n in objective_names())
        raise MethodError(f"unknown divergence {divergence!r} for training; choose one of {names}.")
    named = info.gan_objective
    if named is None:
        names = ", ".join(repr(n) for n in objective_names())
        raise MethodError(
            f"the divergence {divergence!r} has no GAN objective (its registry record's "
            f"gan_objective is None); train against one of {names}."
        )
    if not isinstance(named, str):
        return named
    if named not in OBJECTIVES:
        raise MethodError(
            f"the registry record of {divergence!r} names the GAN objective {named!r}, which "
            f"divergences.gan.OBJECTIVES does not have."
        )
    return OBJECTIVES[named]


def make_objective(divergence, **options):
    """An :class:`Objective` from a divergence's name, a variant's name, or an instance.

    Parameters
    ----------
    divergence : str or Objective
        A registered divergence (:data:`divergences.DIVERGENCES`): the
        objective its registry record names; or a variant in
        :data:`OBJECTIVES` (``"wgan_clip"``, ``"sliced"``, ...); or an
        :class:`Objective` instance, returned as it is.
    **options
        The objective's options.

    Raises
    ------
    MethodError
        For an unknown name, or a divergence without a GAN objective; the
        message lists the known names.
    TypeError
        For an option the objective does not take.

    Examples
    --------
    >>> make_objective("wgan_clip").penalty
    'clip'
    >>> type(make_objective("mmd")).__name__
    'KernelObjective'
    """
    if isinstance(divergence, Objective):
        if options:
            raise TypeError(
                "options were given together with an Objective instance; set them on the instance."
            )
        return divergence
    factory = _objective_factory(divergence)
    try:
        objective = factory(**options)
    except TypeError as exc:
        raise TypeError(f"divergence={divergence!r}: {exc}") from None
    if not isinstance(objective, Objective):
        raise TypeError(
            f"divergence={divergence!r}: its GAN objective made {type(objective).__name__}, "
            "not an Objective (divergences._objective.Objective)."
        )
    return objective
