"""Numba's cache of this package's kernels lives in a per-user folder, never in the package.

A cache inside the package directory (``site-packages/divergences/_kernels/
__pycache__``) survives ``pip uninstall`` and turns the folder into an empty
namespace package after a reinstall (issue 19). Each test compiles one small
kernel in a fresh interpreter, with a fresh cache folder, and looks where the
files went.
"""

import os
import pathlib
import subprocess
import sys

import pytest

import divergences

PACKAGE_DIR = pathlib.Path(divergences.__file__).parent

# Compiles (and caches) the smallest kernel; prints Numba's CACHE_DIR afterwards.
COMPILE_ONE_KERNEL = """
import numpy as np
{prelude}
from divergences._kernels.one_d import transport_cost_sorted
x = np.array([0.0, 1.0]); a = np.array([0.5, 0.5])
assert transport_cost_sorted(x, a, x + 1.0, a, 1.0) == 1.0
import numba
print(repr(numba.config.CACHE_DIR))
"""


def _cache_files(folder):
    return sorted(
        str(path.relative_to(folder))
        for pattern in ("*.nbi", "*.nbc")
        for path in pathlib.Path(folder).rglob(pattern)
    )


def _compile_in_subprocess(tmp_path, prelude="", **env):
    environ = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    environ.update(env)
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(PACKAGE_DIR.parent), environ.get("PYTHONPATH", "")]
    )
    code = COMPILE_ONE_KERNEL.format(prelude=prelude)
    done = subprocess.run(
        [sys.executable, "-c", code], env=environ, cwd=tmp_path,
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG_CACHE_HOME is the Linux rule")
@pytest.mark.parametrize("prelude", ["", "import numba"], ids=["plain", "numba-imported-first"])
def test_kernel_cache_goes_to_the_user_cache_not_the_package(tmp_path, prelude):
    before = _cache_files(PACKAGE_DIR)
    user_cache = tmp_path / "xdg"
    numba_cache_dir = _compile_in_subprocess(tmp_path, prelude, XDG_CACHE_HOME=str(user_cache))
    assert _cache_files(PACKAGE_DIR) == before
    written = _cache_files(user_cache / "divergences" / "numba")
    assert any("transport_cost_sorted" in name and name.endswith(".nbi") for name in written)
    # The setting is scoped to this package's kernels: numba's own stays unset.
    assert numba_cache_dir == "''"


def test_numba_cache_dir_is_honoured_even_when_numba_is_imported_first(tmp_path):
    before = _cache_files(PACKAGE_DIR)
    chosen = tmp_path / "chosen"
    user_cache = tmp_path / "xdg"
    _compile_in_subprocess(
        tmp_path, prelude="import numba", NUMBA_CACHE_DIR=str(chosen),
        XDG_CACHE_HOME=str(user_cache),
    )
    assert _cache_files(PACKAGE_DIR) == before
    assert any("transport_cost_sorted" in name for name in _cache_files(chosen))
    assert not user_cache.exists()


def test_user_cache_dir_follows_xdg_cache_home(monkeypatch, tmp_path):
    from divergences._kernels._cache import user_cache_dir

    if sys.platform in ("win32", "darwin"):
        pytest.skip("XDG_CACHE_HOME is the Linux rule")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert user_cache_dir() == str(tmp_path / "divergences" / "numba")
    # A relative XDG_CACHE_HOME is invalid (XDG base directory spec) and ignored.
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert user_cache_dir() == os.path.join(os.path.expanduser("~/.cache"), "divergences", "numba")
