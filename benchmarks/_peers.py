"""Peers that are not dependencies of the library, loaded only when installed.

Each loader returns ``None`` (and says why on stderr) when its package is missing,
so a benchmark prints the rows it can. The conventions are translated here, once,
to the library's: squared Euclidean cost |x - y|^2, eps in the units of that cost,
and tolerances on the L1 marginal error.

- OTT-JAX (``pip install ott-jax``): ``PointCloud`` geometries with the default
  ``SqEuclidean`` cost |x - y|^2 and ``epsilon=eps``; its Sinkhorn solves stop when
  the L1 error of the second marginal is below ``threshold`` (``norm_error=1``,
  checked every ``inner_iterations=10`` iterations; OTT-JAX documentation of
  ``ott.solvers.linear.sinkhorn.Sinkhorn``); run in float64 on the CPU, jitted, so
  its first call (compilation) is timed apart by the caller.
"""

import sys

__all__ = ["ott_sinkhorn_divergence"]


def _ott():
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        from ott.geometry import pointcloud
        from ott.tools import sinkhorn_divergence
    except ImportError as exc:
        print(f"OTT-JAX skipped ({exc}); pip install ott-jax", file=sys.stderr)
        return None
    return jax, jnp, pointcloud, sinkhorn_divergence


def ott_sinkhorn_divergence(eps, tol, max_iter=100_000):
    """A function ``(x, y) -> S_eps`` by OTT-JAX's ``sinkhorn_divergence``, or None.

    Symmetric terms use its symmetric updates (``symmetric_sinkhorn=True``, its
    default, Feydy et al. 2019 eq. 25).
    """
    loaded = _ott()
    if loaded is None:
        return None
    jax, jnp, pointcloud, sinkhorn_divergence = loaded
    options = {"threshold": tol, "max_iterations": max_iter}

    @jax.jit
    def solve(x, y):
        value, _ = sinkhorn_divergence.sinkhorn_divergence(
            pointcloud.PointCloud, x, y, epsilon=eps, solve_kwargs=options)
        return value

    return lambda x, y: float(solve(jnp.asarray(x), jnp.asarray(y)))


def _ott_linear():
    """OTT-JAX's modules for one linear (two-cloud) Sinkhorn solve, or None."""
    loaded = _ott()
    if loaded is None:
        return None
    from ott.problems.linear import linear_problem
    from ott.solvers.linear import sinkhorn

    return loaded[0], loaded[1], loaded[2], linear_problem, sinkhorn

