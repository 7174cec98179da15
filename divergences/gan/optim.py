"""The GAN module's optimisers (defined in :mod:`divergences._nn.optim`).

Kept as a module of :mod:`divergences.gan` so that ``divergences.gan.optim``
keeps working; the code lives in the private package shared with the critic
solver (:mod:`divergences.ot.critic`).
"""

from .._nn.optim import SGD, Adam, RMSProp, make_optimizer

__all__ = ["Adam", "RMSProp", "SGD", "make_optimizer"]
