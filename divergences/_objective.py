"""The interface of a training objective, below every layer that writes or uses one.

:func:`divergences.gan.train` drives any :class:`Objective`. The library's
own objectives live in :mod:`divergences.gan.objectives`; a divergence added
by one module and one registry record may define its objective in that module
(layers point one way: such a module sits below the registry and ``gan``, so
the interface it subclasses lives here, in the helpers) and name it in its
record's ``gan_objective`` -- ``gan.train(..., divergence=<its name>)`` then
trains against it with no edit in ``gan/`` (see CONTRIBUTING.md).

Examples
--------
>>> import numpy as np
>>> from divergences._objective import Objective
>>> class MeanMatch(Objective):
...     '''Squared distance between the batch means (a toy, critic-free).'''
...     name = divergence = "mean_match"
...     def generator_step(self, real, fake, rng):
...         gap = fake.mean(axis=0) - real.mean(axis=0)
...         value = float(gap @ gap)
...         return value, np.tile(2.0 * gap / fake.shape[0], (fake.shape[0], 1)), value
>>> loss, grad, estimate = MeanMatch().generator_step(np.zeros((4, 2)), np.ones((4, 2)), None)
>>> loss, grad.shape
(2.0, (4, 2))
"""

__all__ = ["Objective"]


class Objective:
    """Interface of a training objective.

    An objective turns a batch of target points (``real``, from P) and a
    batch of generated points (``fake``, from Q_theta) into one update of its
    critic, if it has one (:meth:`critic_step`), and the generator's loss,
    its gradient with respect to each generated point and the current
    estimate of the divergence (:meth:`generator_step`).

    Attributes
    ----------
    name : str
        The name it is known by (:data:`divergences.gan.OBJECTIVES`, or its
        divergence's registry name); recorded in
        :class:`~divergences.gan.History`.
    divergence : str
        What :meth:`generator_step`'s estimate estimates (``"js"``,
        ``"wasserstein"``, ...).
    n_critic : int
        Critic updates per generator update (0 without a critic).
    warmup : int
        Extra critic updates before the first generator update.
    critic : MLP or None
        The critic or discriminator, once :meth:`setup` has run.
    estimate_label : str
        What the estimate of :meth:`generator_step` is, in words (recorded in
        :class:`~divergences.gan.History`).
    """

    name = None
    divergence = None
    estimate_label = "the objective's estimate of its divergence on the step's batches"
    n_critic = 0
    warmup = 0
    critic = None

    def setup(self, dim, rng):
        """Build the critic for points of dimension ``dim`` (no-op without one)."""

    def critic_step(self, real, fake, rng):
        """Update the critic once; return a dict of statistics (``loss``, ...)."""
        return {}

    def generator_step(self, real, fake, rng):
        """Return ``(loss, grad_fake, estimate)`` for the current batches."""
        raise NotImplementedError
