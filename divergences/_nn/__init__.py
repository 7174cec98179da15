"""Small neural networks in numpy, shared by the critic solver and the GAN module.

* :mod:`.networks` -- :class:`~.networks.MLP`, a multilayer perceptron with
  hand-written gradients (including the gradient penalty's parameter gradient);
* :mod:`.optim` -- Adam, RMSProp, SGD acting in place on lists of arrays;
* :mod:`.critic` -- a Lipschitz-regularised critic (gradient penalties or
  weight clipping) and one update of it: what ``method="critic"`` of
  :func:`divergences.wasserstein` (:mod:`divergences.ot.critic`) and the
  Wasserstein objectives of :mod:`divergences.gan` both train.

This package sits below both of its users (layers point one way: ``_nn`` ->
``ot.critic`` and ``_nn`` -> ``gan``); it imports neither. The one-thread BLAS
setting its loops run under is :func:`divergences._threads.single_threaded_blas`.
"""
