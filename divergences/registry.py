"""Divergences by name: :func:`divergence` and the :data:`DIVERGENCES` table."""

from types import MappingProxyType

from .exceptions import MethodError
from .jensen_shannon import js_distance, js_divergence
from .kernel_distances import energy_distance, mmd
from .kl import kl_divergence
from ._wasserstein import sinkhorn_divergence, wasserstein

__all__ = ["divergence", "divergence_function", "DIVERGENCES"]

#: Every divergence the library computes, by the name :func:`divergence`,
#: the command line and :func:`divergences.gan.train` use.
DIVERGENCES = MappingProxyType(
    {
        "kl": kl_divergence,
        "js": js_divergence,
        "js_distance": js_distance,
        "wasserstein": wasserstein,
        "sinkhorn": sinkhorn_divergence,
        "energy_distance": energy_distance,
        "mmd": mmd,
    }
)


def divergence(p, q, /, kind, **options):
    """Compute the divergence called ``kind`` between ``p`` and ``q``.

    Parameters
    ----------
    p, q : Measure, array_like or frozen scipy.stats distribution
    kind : str
        One of the keys of :data:`DIVERGENCES`: ``"kl"``, ``"js"``,
        ``"js_distance"``, ``"wasserstein"``, ``"sinkhorn"``,
        ``"energy_distance"``, ``"mmd"``.
    **options
        Passed on to the divergence's function (``method=``, ``base=``,
        ``order=``, ...).

    Examples
    --------
    >>> import divergences as dv
    >>> p, q = dv.Histogram([0.5, 0.5]), dv.Histogram([0.25, 0.75])
    >>> float(dv.divergence(p, q, "js")) == float(dv.js_divergence(p, q))
    True
    """
    return divergence_function(kind)(p, q, **options)


def divergence_function(kind):
    """The public function of the divergence called ``kind``; a clear error for an unknown one."""
    try:
        return DIVERGENCES[kind]
    except (KeyError, TypeError):
        names = ", ".join(repr(name) for name in DIVERGENCES)
        raise MethodError(f"unknown divergence kind {kind!r}; choose one of {names}.") from None
