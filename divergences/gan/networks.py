"""The GAN module's networks: :class:`MLP` (defined in :mod:`divergences._nn.networks`).

Kept as a module of :mod:`divergences.gan` so that ``divergences.gan.networks``
keeps working; the code lives in the private package shared with the critic
solver (:mod:`divergences.ot.critic`).
"""

from .._nn.networks import ACTIVATIONS, MLP, PENALTIES, flatten, unflatten_into

__all__ = ["MLP", "ACTIVATIONS", "PENALTIES", "flatten", "unflatten_into"]
