"""Matrices of divergences (:func:`pairwise`), a small private package.

* :mod:`.matrix` -- :func:`pairwise`: inputs, identical pairs, probes, assembly;
* :mod:`.result` -- :class:`PairwiseResult`;
* :mod:`.tasks` -- tiles, seeds and the work of one task, shared by the backends;
* :mod:`.backends` -- the backend interface and the thread pool;
* :mod:`.cluster` -- the dask.distributed backend (imported only for ``client=``).

The public names are re-exported by :mod:`divergences`: ``dv.pairwise``,
``dv.PairwiseResult``, ``dv.pair_rng``.
"""

from .matrix import pairwise
from .result import PairwiseResult
from .tasks import pair_rng

__all__ = ["pairwise", "PairwiseResult", "pair_rng"]
