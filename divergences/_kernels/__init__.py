"""Numba kernels: ``@njit(cache=True)`` functions on plain arrays.

Nothing here validates input or touches Python objects; the callers in the
package have already checked everything. Importing :mod:`divergences` does
not import this package, so nothing is compiled until a kernel is first used.
"""
