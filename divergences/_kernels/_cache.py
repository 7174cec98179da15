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

Compiling takes a while (tens of seconds for the transport kernels) the first
time a kernel runs on a machine, and nothing else tells the user why the
first call is slow: :func:`announce_first_compile` logs one INFO record on the
``divergences`` logger, once per process, when Numba starts compiling one of
this package's kernels -- which it does only when the cache is cold. The
command line prints it on stderr.
"""

import contextlib
import logging
import os
import sys
import threading

from numba import config
from numba.core import event

__all__ = [
    "user_cache_dir",
    "package_cache_dir",
    "kernel_cache_dir",
    "announce_first_compile",
    "COMPILE_NOTICE",
]

#: Logged (INFO, logger ``divergences``) before the first compilation of a kernel.
COMPILE_NOTICE = (
    "compiling the Numba kernels on first use (tens of seconds, once per machine; "
    "they are cached in {folder})"
)


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
    return os.path.abspath(config.CACHE_DIR or user_cache_dir())


@contextlib.contextmanager
def package_cache_dir():
    """Point ``numba.config.CACHE_DIR`` at :func:`kernel_cache_dir` for the ``with`` block.

    Kernels decorated with ``@njit(cache=True)`` inside the block are cached
    there; the previous value is restored on exit, so the setting does not
    leak to other packages.
    """
    previous = config.CACHE_DIR
    config.CACHE_DIR = kernel_cache_dir()
    try:
        yield config.CACHE_DIR
    finally:
        config.CACHE_DIR = previous


class _CompileNotice(event.Listener):
    """Logs :data:`COMPILE_NOTICE` at the start of the first compilation of one of our kernels."""

    def __init__(self):
        self.done = False

    def on_start(self, ev):
        if self.done or not _is_ours(ev.data.get("dispatcher")):
            return
        with _lock:
            if self.done:
                return
            self.done = True
        logging.getLogger("divergences").info(COMPILE_NOTICE.format(folder=kernel_cache_dir()))

    def on_end(self, ev):
        pass


def _is_ours(dispatcher):
    module = getattr(getattr(dispatcher, "py_func", None), "__module__", None) or ""
    return module.startswith(_PACKAGE + ".")


_PACKAGE = __name__.rpartition(".")[0]  # divergences._kernels
_lock = threading.Lock()
_listener = None


def announce_first_compile():
    """Log :data:`COMPILE_NOTICE` when Numba first compiles one of this package's kernels.

    Registers a listener for Numba's ``numba:compile`` event (Numba's event
    API, :mod:`numba.core.event`), which fires when a kernel is compiled and
    not when it is loaded from the cache. The record goes out once per
    process, before the compilation starts; the listener then stays silent.
    Calling this again does nothing.
    """
    global _listener
    with _lock:
        if _listener is None:
            _listener = _CompileNotice()
            event.register("numba:compile", _listener)
