"""Numba's threads: kernels read the library's setting, small problems run serially, idle
threads sleep."""

import os
import subprocess
import sys

import numpy as np
import pytest

import divergences as dv

numba = pytest.importorskip("numba")
two_threads = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2,
                                 reason="numba's pool has one thread here")


# --------------------------------------------------------------------------- kernels read it


class _Spy:
    """Wraps a parallel kernel, recording numba's thread count at each call."""

    def __init__(self, kernel):
        self.kernel, self.counts = kernel, []

    def __call__(self, *args):
        self.counts.append(numba.get_num_threads())
        return self.kernel(*args)


def _spy(monkeypatch, module, name):
    spy = _Spy(getattr(module, name))
    monkeypatch.setattr(module, name, spy)
    return spy


def _clouds(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + [1.0, 0.0]


@two_threads
def test_sinkhorn_kernels_follow_the_setting(monkeypatch):
    from divergences._kernels import sinkhorn
    from divergences.ot import sinkhorn as solver

    # The online kernel (a problem this small takes the dense BLAS soft-min by default).
    monkeypatch.setattr(solver, "_DENSE_BYTES", 0)
    softmin = _spy(monkeypatch, sinkhorn, "softmin")
    plan = _spy(monkeypatch, sinkhorn, "dense_plan")
    x, y = _clouds(300)
    before = numba.get_num_threads()
    with dv.threads(1):
        serial = dv.wasserstein(x, y, method="sinkhorn", eps=0.5, return_plan=True)
    assert softmin.counts == [] and plan.counts == []  # the serial twins ran
    with dv.threads(2):
        parallel = dv.wasserstein(x, y, method="sinkhorn", eps=0.5, return_plan=True)
    assert softmin.counts and set(softmin.counts) == {2} and plan.counts == [2]
    assert numba.get_num_threads() == before  # numba's own value put back
    # Rows are independent and computed the same way on any thread: same bits.
    np.testing.assert_array_equal(serial.potentials[0], parallel.potentials[0])
    np.testing.assert_array_equal(serial.plan, parallel.plan)


@two_threads
def test_small_problems_run_serially(monkeypatch):
    from divergences._kernels import sinkhorn, sliced

    softmin = _spy(monkeypatch, sinkhorn, "softmin")
    projected = _spy(monkeypatch, sliced, "projected_costs")
    x, y = _clouds(20)
    with dv.threads(2):
        dv.sinkhorn_divergence(x, y, eps=0.5)
        dv.wasserstein(x, y, method="sliced", n_projections=10, rng=0)
    assert softmin.counts == [] and projected.counts == []


@two_threads
def test_sliced_kernel_follows_the_setting(monkeypatch):
    from divergences._kernels import sliced

    projected = _spy(monkeypatch, sliced, "projected_costs")
    x, y = _clouds(2000)
    with dv.threads(1):
        serial = dv.wasserstein(x, y, method="sliced", rng=0)
    with dv.threads(2):
        parallel = dv.wasserstein(x, y, method="sliced", rng=0)
    assert projected.counts == [2]
    assert serial.value == parallel.value


def _online_mmd(x, y):
    return dv.mmd(x, y, method="online").value


def _energy_test(x, y):
    return dv.two_sample_test(x, y, n_permutations=20, rng=0).pvalue


def _sliced_test(x, y):
    return dv.two_sample_test(x, y, kind="wasserstein", method="sliced", n_permutations=20,
                              rng=0).pvalue


def _knn_test(x, y):
    return dv.two_sample_test(x, y, kind="kl", n_permutations=20, rng=0).pvalue


def _knn_js_test(x, y):
    return tuple(dv.two_sample_test(x, y, kind="js", n_permutations=20, rng=0).null)


def _small_eps_grid(x, y):
    # Two 48 x 48 images on [0, 1]^2; eps far below the axis cost / 600 takes the
    # exact (Numba) log-sum-exp pass instead of the BLAS one.
    rng = np.random.default_rng(1)
    images = [dv.Histogram.from_grid(rng.random((48, 48)) + 0.1, spacing=1 / 47) for _ in "ab"]
    return dv.wasserstein(*images, order=2, method="sinkhorn", eps=2e-4).value


@two_threads
@pytest.mark.parametrize("module, kernel, run", [
    ("kernel_sums", "weighted_row_sums", _online_mmd),
    ("kernel_sums", "gram_rows_transposed", _energy_test),
    ("sliced_permutations", "permuted_sliced_costs", _sliced_test),
    ("knn_permutations", "permuted_knn_log_ratios", _knn_test),
    ("knn_permutations", "permuted_knn_js_sums", _knn_js_test),
    ("grid_sinkhorn", "axis_logsumexp", _small_eps_grid),
])
def test_kernel_statistics_and_permutation_nulls_follow_the_setting(monkeypatch, module,
                                                                    kernel, run):
    import importlib

    spy = _spy(monkeypatch, importlib.import_module(f"divergences._kernels.{module}"), kernel)
    x, y = _clouds(300)
    with dv.threads(1):
        serial = run(x, y)
    assert spy.counts == []  # the serial twin ran
    with dv.threads(2):
        parallel = run(x, y)
    assert spy.counts and set(spy.counts) == {2}
    assert serial == parallel  # each row or labelling is computed the same way on any thread


@two_threads
def test_launch_caps_at_the_pool_and_restores():
    from divergences._kernels import launch

    seen = []
    before = numba.get_num_threads()
    launch(lambda: seen.append(numba.get_num_threads()), None, 10**6)
    assert seen == [numba.config.NUMBA_NUM_THREADS]
    assert numba.get_num_threads() == before
    assert launch(None, lambda: "serial", 1) == "serial"


# --------------------------------------------------------------------------- wait policy


def _omp_display(env_extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "NUMBA_THREADING_LAYER")}
    env.update(env_extra, OMP_DISPLAY_ENV="VERBOSE")
    code = ("import os, divergences._kernels, numba.np.ufunc.omppool; "
            "print('OMP_WAIT_POLICY' in os.environ, os.environ.get('OMP_WAIT_POLICY'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True)
    spin = [line for line in out.stderr.splitlines() if "GOMP_SPINCOUNT" in line]
    return out.stdout.strip(), spin


def test_numba_openmp_threads_do_not_spin():
    stdout, spin = _omp_display({})
    if not spin:
        pytest.skip("numba's OpenMP layer is not GNU OpenMP here")
    assert spin == ["  GOMP_SPINCOUNT = '0'"]  # the passive policy: idle threads sleep at once
    assert stdout == "False None"  # and the environment is left as it was


def test_a_users_openmp_setting_is_respected():
    stdout, spin = _omp_display({"OMP_WAIT_POLICY": "ACTIVE"})
    if not spin:
        pytest.skip("numba's OpenMP layer is not GNU OpenMP here")
    assert spin != ["  GOMP_SPINCOUNT = '0'"]
    assert stdout == "True ACTIVE"
