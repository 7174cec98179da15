"""The library-wide thread setting and the one check of ``workers=`` (k-NN, pairwise)."""

import threading

import numpy as np
import pytest

import divergences as dv
from divergences import _threads, registry
from divergences._pairwise import tasks as pairwise_tasks


@pytest.fixture(autouse=True)
def _restore_setting():
    yield
    dv.set_threads(None)


# --------------------------------------------------------------------------- the setting


def test_default_is_numba_num_threads_when_set(monkeypatch):
    monkeypatch.setenv("NUMBA_NUM_THREADS", "3")
    assert dv.get_threads() == 3
    monkeypatch.delenv("NUMBA_NUM_THREADS")
    assert dv.get_threads() == _threads.available_cores()


def test_set_threads_and_reset():
    dv.set_threads(3)
    assert dv.get_threads() == 3
    dv.set_threads(-1)
    assert dv.get_threads() == _threads.available_cores()
    dv.set_threads(None)
    assert dv.get_threads() == _threads._default_threads()


def test_context_manager_nests_and_restores():
    dv.set_threads(4)
    with dv.threads(1):
        assert dv.get_threads() == 1
        with dv.threads(3):
            assert dv.get_threads() == 3
        assert dv.get_threads() == 1
    assert dv.get_threads() == 4


def test_context_manager_is_per_thread():
    dv.set_threads(4)
    seen = []
    with dv.threads(1):
        other = threading.Thread(target=lambda: seen.append(dv.get_threads()))
        other.start()
        other.join()
        assert dv.get_threads() == 1
    assert seen == [4]  # the other thread sees the process setting, not this block


@pytest.mark.parametrize("call", [dv.set_threads, dv.threads])
@pytest.mark.parametrize("bad, error", [(0, ValueError), (-2, ValueError), (2.5, TypeError),
                                        ("a", TypeError), (True, TypeError)])
def test_bad_counts_name_the_argument(call, bad, error):
    with pytest.raises(error, match=r"n must be a positive integer .* or -1 \(all cores\)"):
        call(bad)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (2.5, TypeError), ("a", TypeError),
                                        (False, TypeError)])
def test_resolve_workers_rejects(bad, error):
    with pytest.raises(error, match="workers must be a positive integer"):
        _threads.resolve_workers(bad)


def test_resolve_workers_values():
    assert _threads.resolve_workers(-1) == _threads.available_cores()
    assert _threads.resolve_workers(np.int64(3)) == 3
    with dv.threads(2):
        assert _threads.resolve_workers(None) == 2


# --------------------------------------------------------------------------- workers= of k-NN


@pytest.mark.parametrize("bad, error", [(0, ValueError), (2.5, TypeError), ("a", TypeError)])
@pytest.mark.parametrize("kind", ["kl", "js"])
def test_knn_workers_is_checked(kind, bad, error):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 2)), rng.normal(size=(60, 2))
    with pytest.raises(error, match="workers must be a positive integer"):
        dv.divergence(x, y, kind, method="knn", workers=bad)


def test_knn_workers_minus_one_and_setting_agree():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5000, 3)), rng.normal(size=(5000, 3)) + 0.3
    one = dv.kl_divergence(x, y, method="knn", workers=1).value
    assert dv.kl_divergence(x, y, method="knn", workers=-1).value == one
    with dv.threads(2):
        assert dv.kl_divergence(x, y, method="knn").value == one


# --------------------------------------------------------------------------- pairwise


def test_pairs_run_single_threaded(monkeypatch):
    seen = []

    def fake(p, q, **options):
        seen.append((dv.get_threads(), options.get("workers")))
        return 0.0

    monkeypatch.setattr(registry, "DIVERGENCES", {**registry.DIVERGENCES, "kl": fake})
    dv.set_threads(2)
    pairwise_tasks.compute_pair("kl", {}, None, None, None, 0, 1)
    pairwise_tasks.compute_pair("kl", {"workers": 2}, None, None, None, 0, 1)
    assert seen == [(1, None), (1, 2)]  # an explicit workers= is the caller's and is kept
    assert dv.get_threads() == 2


def test_pairwise_pool_reads_the_setting():
    rng = np.random.default_rng(0)
    sets = [rng.normal(size=(40, 1)) for _ in range(3)]
    with dv.threads(1):
        assert dv.pairwise(sets, kind="js", progress=False).details["workers"] == 1
    result = dv.pairwise(sets, kind="js", workers=-1, progress=False)
    assert result.details["workers"] == _threads.available_cores()
