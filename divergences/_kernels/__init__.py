"""Numba kernels: ``@njit(cache=True)`` functions on plain arrays.

Nothing here validates input or touches Python objects; the callers in the
package have already checked everything. Importing :mod:`divergences` does
not import this package, so nothing is compiled until a kernel is first used.

Importing this package imports every kernel module at once (which decorates
the kernels but compiles none), inside :func:`._cache.package_cache_dir`:
Numba fixes a cached kernel's folder when it is decorated, so this is what
keeps the cache out of the package directory (see :mod:`._cache`). A kernel
module added here is covered without further ado. The first compilation in
a process is announced on the ``divergences`` logger (see :mod:`._cache`).
"""

import importlib as _importlib
import pkgutil as _pkgutil

from ._cache import announce_first_compile as _announce_first_compile
from ._cache import package_cache_dir as _package_cache_dir


def _import_kernel_modules():
    with _package_cache_dir():
        for info in _pkgutil.iter_modules(__path__):
            if not info.name.startswith("_"):
                _importlib.import_module(f"{__name__}.{info.name}")


_import_kernel_modules()
_announce_first_compile()
