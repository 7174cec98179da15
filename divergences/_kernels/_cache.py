"""Where Numba caches this package's compiled kernels: a per-user folder, never the package.

Numba's default (:class:`numba.core.caching.InTreeCacheLocator`) writes the
cache beside the sources, in ``divergences/_kernels/__pycache__``. Installed
from a wheel, that is inside ``site-packages``, where pip does not clean it: a
later ``pip install -e`` removes the files the wheel installed, the folder of
cache files survives, and Python imports the leftover folder as an empty
namespace package. So the kernels of this package are cached in

1. ``NUMBA_CACHE_DIR`` (or ``numba.config.CACHE_DIR``), when the user set it:
   Numba's own documented setting wins;
2. otherwise a per-user cache folder, :func:`user_cache_dir`:
   ``$XDG_CACHE_HOME/divergences/numba`` (``~/.cache/divergences/numba``) on
   Linux, ``~/Library/Caches/divergences/numba`` on macOS,
   ``%LOCALAPPDATA%\\divergences\\Cache\\numba`` on Windows.

Numba chooses a cached function's folder once, when ``@njit(cache=True)``
decorates it (``numba.config.CACHE_DIR`` is read then), so
:func:`package_cache_dir` is set only while this package's kernel modules are
imported and restored afterwards: other packages' kernels keep their own cache
wherever the user has it, whether or not numba was imported first. Within a
folder, Numba keys the files by the source file's path, so two checkouts or
environments never share entries.
"""

import contextlib
import os
import sys

__all__ = ["user_cache_dir", "package_cache_dir", "kernel_cache_dir"]


def user_cache_dir():
    """This package's Numba cache folder in the platform's per-user cache location.

    Returns
    -------
    str
        ``$XDG_CACHE_HOME/divergences/numba`` (default ``~/.cache``) on Linux and
        other POSIX systems, ``~/Library/Caches/divergences/numba`` on macOS,
        ``%LOCALAPPDATA%\\divergences\\Cache\\numba`` on Windows.

    Examples
    --------
    >>> from divergences._kernels._cache import user_cache_dir
    >>> user_cache_dir().endswith("numba")
    True
    """
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
        return os.path.join(base, "divergences", "Cache", "numba")
    if sys.platform == "darwin":
        return os.path.join(os.path.expanduser("~/Library/Caches"), "divergences", "numba")
    # The XDG spec: a relative XDG_CACHE_HOME is invalid and must be ignored.
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.expanduser("~/.cache")
    return os.path.join(base, "divergences", "numba")


def kernel_cache_dir():
    """The folder in which this package's kernels are (or will be) cached.

    ``numba.config.CACHE_DIR`` (set by ``NUMBA_CACHE_DIR``) when the user set
    it, else :func:`user_cache_dir`.

    Examples
    --------
    >>> import os
    >>> from divergences._kernels._cache import kernel_cache_dir
    >>> os.path.isabs(kernel_cache_dir())
    True
    """
    from numba import config

    return os.path.abspath(config.CACHE_DIR or user_cache_dir())


@contextlib.contextmanager
def package_cache_dir():
    """Point ``numba.config.CACHE_DIR`` at :func:`kernel_cache_dir` for the ``with`` block.

    Kernels decorated with ``@njit(cache=True)`` inside the block are cached
    there; the previous value is restored on exit, so the setting does not
    leak to other packages.
    """
    from numba import config

    previous = config.CACHE_DIR
    config.CACHE_DIR = kernel_cache_dir()
    try:
        yield config.CACHE_DIR
    finally:
        config.CACHE_DIR = previous
