"""Pairwise matrices: divergences.pairwise, on threads and on a loopback dask cluster.

The oracle is the loop of single calls: every entry must equal
``dv.divergence(sets[i], sets[j], kind, **options)`` to 1e-12 (the same code
runs, in another thread or process, so the values agree to rounding; the
1e-12 allowance covers nothing else). Symmetric kinds must be computed once per
unordered pair and mirrored; KL in both directions.

The cluster tests share one 2-worker LocalCluster on 127.0.0.1 (no
dashboard), started once for the module; the fault test, which kills one of
its worker processes, runs last in its class and waits for the nanny to
restart the worker.
"""

import math
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import divergences as dv
from divergences import registry
from divergences.exceptions import InvalidMeasureError, MethodError
from divergences import pair_rng

TOL = 1e-12
KINDS = ("kl", "js", "js_distance", "wasserstein", "sinkhorn")
# Options that make each kind's single call well defined on 2-D sample sets.
OPTIONS = {"kl": {}, "js": {}, "js_distance": {}, "wasserstein": {}, "sinkhorn": {"eps": 0.5}}


def make_sets(count=5, n=60, dim=2, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(0.3 * i, 1.0 + 0.1 * i, size=(n + 7 * i, dim)) for i in range(count)]


def single(sets, kind, i, j, **options):
    return dv.divergence(sets[i], sets[j], kind, **options)


def skip_if_unimplemented(kind, sets):
    try:
        single(sets, kind, 0, 1, **OPTIONS[kind])
    except NotImplementedError as exc:
        pytest.skip(f"{kind} is not implemented yet: {exc}")


def assert_matches_loop(result, sets, kind, options, others=None):
    """Every entry equals its single call; symmetric results are mirrors; the diagonal is 0."""
    cols = sets if others is None else others
    for i in range(len(sets)):
        for j in range(len(cols)):
            if sets[i] is cols[j]:  # identical: 0 by definition, whatever an estimator says
                assert result.values[i, j] == 0.0 and result.stderrs[i, j] == 0.0
                assert result.methods[result.method_codes[i, j]] == "identical"
                continue
            if result.symmetric and j < i:
                assert result.values[i, j] == result.values[j, i]
                continue
            expected = dv.divergence(sets[i], cols[j], kind, **options)
            assert abs(result.values[i, j] - expected.value) <= TOL, (i, j)
            stderr = math.nan if expected.stderr is None else expected.stderr
            np.testing.assert_allclose(result.stderrs[i, j], stderr, rtol=0, atol=TOL)
            assert result.method_codes[i, j] == result.methods.index(expected.method)


# k = 5 neighbours need more than 5 points in each set: "c" has 4, a fault only the
# computation finds. The first two pairs are computed in-process before the tasks go
# out; ("a", "c") is the third, so it fails inside a task.
SETS_WITH_A_SMALL_ONE = dict(zip("abdc", make_sets(count=3, n=40, seed=2) + [make_sets(1, 4)[0]]))


@pytest.fixture(scope="module")
def sets():
    return make_sets()


# --------------------------------------------------------------------------- threads


class TestThreads:
    @pytest.mark.parametrize("kind", KINDS)
    def test_equals_loop_of_single_calls(self, sets, kind):
        skip_if_unimplemented(kind, sets)
        result = dv.pairwise(sets, kind=kind, workers=2, **OPTIONS[kind])
        assert result.shape == (5, 5) and result.kind == kind
        assert result.symmetric == (kind != "kl")
        assert_matches_loop(result, sets, kind, OPTIONS[kind])

    @pytest.mark.parametrize("kind, options", [
        ("wasserstein", {"order": 2}),
        ("kl", {"base": 2, "k": 5}),
        ("js", {"base": 2}),
    ])
    def test_options_reach_every_call(self, sets, kind, options):
        result = dv.pairwise(sets, kind=kind, workers=2, **options)
        assert_matches_loop(result, sets, kind, options)
        assert result.unit == single(sets, kind, 0, 1, **options).unit

    def test_rectangular_against_others(self, sets):
        reference = make_sets(count=2, n=50, seed=1)
        result = dv.pairwise(sets, reference, kind="js")
        assert result.shape == (5, 2) and not result.symmetric
        assert_matches_loop(result, sets, "js", {}, others=reference)

    def test_one_worker_and_many_give_the_same_matrix(self, sets):
        one = dv.pairwise(sets, kind="kl", workers=1)
        many = dv.pairwise(sets, kind="kl", workers=3)
        np.testing.assert_array_equal(one.values, many.values)

    def test_seeded_pairs_reproduce_single_calls(self):
        densities = [dv.Gaussian([0.2 * i, 0.0], 1.0 + 0.2 * i) for i in range(4)]
        options = {"method": "monte-carlo", "n_samples": 500}
        result = dv.pairwise(densities, kind="kl", rng=11, **options)
        for i in range(4):
            for j in range(4):
                if i != j:
                    one = dv.kl_divergence(densities[i], densities[j], rng=pair_rng(11, i, j),
                                           **options)
                    assert abs(result.values[i, j] - one.value) <= TOL
        again = dv.pairwise(densities, kind="kl", rng=11, workers=1, **options)
        np.testing.assert_array_equal(result.values, again.values)
        other = dv.pairwise(densities, kind="kl", rng=12, **options)
        assert not np.array_equal(result.values, other.values)

    def test_generator_rng_advances_once_and_is_reproducible(self):
        densities = [dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 2.0)]
        options = {"kind": "js", "method": "monte-carlo", "n_samples": 200}
        first = dv.pairwise(densities, rng=np.random.default_rng(3), **options)
        second = dv.pairwise(densities, rng=np.random.default_rng(3), **options)
        np.testing.assert_array_equal(first.values, second.values)


class TestSymmetricShortcut:
    @pytest.fixture
    def calls(self, monkeypatch):
        """Replace every divergence by a counting wrapper; returns the list of calls."""
        made = []

        def counting(function):
            def wrapper(p, q, **options):
                made.append((id(p), id(q)))
                return function(p, q, **options)
            return wrapper

        table = {name: counting(function) for name, function in registry.DIVERGENCES.items()}
        monkeypatch.setattr(registry, "DIVERGENCES", table)
        return made

    @pytest.mark.parametrize("kind", ["js", "wasserstein"])
    def test_symmetric_kinds_call_once_per_unordered_pair(self, calls, kind):
        measures = [dv.Samples(x) for x in make_sets(count=6, n=40)]
        result = dv.pairwise(measures, kind=kind)
        assert len(calls) == 15 == len(set(calls))
        unordered = {frozenset(call) for call in calls}
        assert len(unordered) == 15
        assert np.array_equal(result.values, result.values.T)
        assert np.all(np.diag(result.values) == 0.0)

    def test_kl_calls_both_directions(self, calls):
        measures = [dv.Samples(x) for x in make_sets(count=4, n=40)]
        result = dv.pairwise(measures, kind="kl")
        assert len(calls) == 12 == len(set(calls))
        assert not result.symmetric and np.all(np.diag(result.values) == 0.0)

    def test_identical_sets_are_zero_without_a_call(self, calls):
        x, y = make_sets(count=2, n=40)
        result = dv.pairwise({"x": x, "copy": x.copy(), "y": y}, kind="kl")
        assert result["x", "copy"] == result["copy", "x"] == 0.0
        assert result.method_of("x", "copy") == "identical"
        assert result.method_of("x", "y") == "knn" and result.method == "knn"
        assert result.methods == ("identical", "knn")
        assert len(calls) == 4  # (x, y), (copy, y) and back

    def test_the_same_object_on_both_sides_is_zero(self, calls):
        x, y = (dv.Samples(a) for a in make_sets(count=2, n=40))
        result = dv.pairwise([x, y], [y, x], kind="wasserstein")
        assert result.values[0, 1] == result.values[1, 0] == 0.0
        assert len(calls) == 2


class TestResult:
    def test_dict_labels_are_kept(self, sets):
        named = dict(zip("abcde", sets))
        result = dv.pairwise(named, kind="wasserstein")
        assert result.labels == result.other_labels == tuple("abcde")
        assert result["b", "d"] == result.values[1, 3] == float(dv.wasserstein(sets[1], sets[3]))
        with pytest.raises(KeyError, match="'z'"):
            result["a", "z"]

    def test_list_labels_are_indices(self, sets):
        result = dv.pairwise(sets, {"ref": sets[0]}, kind="js")
        assert result.labels == (0, 1, 2, 3, 4) and result.other_labels == ("ref",)
        assert result[2, "ref"] == result.values[2, 0]

    def test_array_protocol_and_immutability(self, sets):
        result = dv.pairwise(sets[:3], kind="js")
        np.testing.assert_array_equal(np.asarray(result), result.values)
        assert np.asarray(result, dtype=np.float32).dtype == np.float32
        with pytest.raises(ValueError):
            result.values[0, 1] = 1.0
        with pytest.raises(AttributeError):
            result.kind = "kl"

    def test_details_say_how_it_ran(self, sets):
        result = dv.pairwise(sets, kind="js", workers=2)
        assert result.details["backend"] == "threads"
        assert result.details["pairs_computed"] == 10
        assert result.details["workers"] == 2 and result.details["tasks"] >= 1
        assert "PairwiseResult(js: 5x5" in repr(result)

    def test_progress_callable_sees_every_pair(self, sets):
        seen = []
        dv.pairwise(sets, kind="js", progress=lambda done, total: seen.append((done, total)))
        assert seen[-1] == (10, 10)
        assert [done for done, _ in seen] == sorted(done for done, _ in seen)

    def test_progress_bar_without_tqdm_is_silent(self, sets, monkeypatch, capsys):
        monkeypatch.setitem(sys.modules, "tqdm", None)
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)
        result = dv.pairwise(sets[:3], kind="js", progress=True)
        assert result.shape == (3, 3)
        assert capsys.readouterr().err == ""

    def test_one_set_and_all_identical(self):
        one = dv.pairwise({"only": [1.0, 2.0]}, kind="wasserstein")
        assert one.values.tolist() == [[0.0]] and one.method == "identical"
        assert one.unit == "distance" and one.details["pairs_computed"] == 0
        same = dv.pairwise([[1.0, 2.0], [1.0, 2.0]], kind="kl", base=2)
        assert same.values.tolist() == [[0.0, 0.0], [0.0, 0.0]] and same.unit == "bits"

    def test_densities_and_histograms(self):
        hists = [dv.Histogram([1, 2, 3]), dv.Histogram([3, 2, 1]), dv.Histogram([1, 1, 1])]
        result = dv.pairwise(hists, kind="js")
        assert result.method == "exact" and np.all(result.stderrs == 0.0)
        assert_matches_loop(result, hists, "js", {})


class TestBadInput:
    def test_bad_set_is_named_by_its_label(self, sets):
        bad = sets[2].copy()
        bad[3, 1] = np.nan
        with pytest.raises(InvalidMeasureError, match=r"measures\['bad'\].*NaN"):
            dv.pairwise({"a": sets[0], "bad": bad}, kind="js")
        with pytest.raises(InvalidMeasureError, match=r"others\[1\]"):
            dv.pairwise(sets, [sets[0], np.empty((0, 2))], kind="js")

    def test_abstract_histograms_need_equal_bins(self):
        hists = {"two": dv.Histogram([1, 1]), "three": dv.Histogram([1, 1, 1])}
        with pytest.raises(InvalidMeasureError, match=r"measures\['three'\] has 3 bins"):
            dv.pairwise(hists, kind="js")

    def test_different_dimensions_are_named(self, sets):
        with pytest.raises(InvalidMeasureError, match=r"measures\['c'\] lives in dimension 3"):
            dv.pairwise({"a": sets[0], "c": np.zeros((5, 3))}, kind="wasserstein")

    def test_not_a_collection(self, sets):
        with pytest.raises(TypeError, match="list or dict"):
            dv.pairwise(sets[0][:, 0], kind="js")
        with pytest.raises(TypeError, match="wrap it in a list"):
            dv.pairwise(dv.Samples(sets[0]), kind="js")
        with pytest.raises(InvalidMeasureError, match="measures is empty"):
            dv.pairwise([], kind="js")
        with pytest.raises(TypeError, match=r"measures\['x'\]"):
            dv.pairwise({"x": object(), "y": sets[0]}, kind="js")

    def test_bad_options(self, sets):
        with pytest.raises(MethodError, match="unknown divergence kind 'tv'"):
            dv.pairwise(sets, kind="tv")
        with pytest.raises(ValueError, match="workers"):
            dv.pairwise(sets, kind="js", workers=0)
        with pytest.raises(TypeError, match="progress"):
            dv.pairwise(sets, kind="js", progress="yes")
        with pytest.raises(TypeError, match="client"):
            dv.pairwise(sets, kind="js", client=42)

    def test_an_option_error_names_the_first_pair(self, sets):
        with pytest.raises(MethodError, match="unknown method 'nope'") as info:
            dv.pairwise(sets, kind="wasserstein", method="nope")
        assert "pair 0, 1" in "".join(getattr(info.value, "__notes__", []))
        with pytest.raises(TypeError, match="does not take 'k'"):
            dv.pairwise(sets, kind="wasserstein", k=3)

    def test_a_failing_pair_in_a_task_is_named(self):
        with pytest.raises(InvalidMeasureError, match="k=5 is too large") as info:
            dv.pairwise(SETS_WITH_A_SMALL_ONE, kind="kl", k=5, workers=2)
        assert "'c'" in "".join(getattr(info.value, "__notes__", []))

    def test_import_does_not_import_dask(self):
        code = ("import sys, divergences; "
                "sys.exit(any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules))")
        env = dict(os.environ, PYTHONPATH=os.getcwd())
        assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 0


class TestPlan:
    @pytest.mark.parametrize("n, m, symmetric, per_task", [
        (7, 7, True, 1), (7, 7, True, 4), (7, 7, False, 9), (5, 3, False, 4), (10, 10, True, 100),
    ])
    def test_tiles_cover_every_pair_once(self, n, m, symmetric, per_task):
        from divergences._pairwise.tasks import plan_tiles

        skip = frozenset({(0, 1), (2, 2)})
        tiles = list(plan_tiles(n, m, symmetric=symmetric, pairs_per_task=per_task, skip=skip))
        pairs = [pair for tile in tiles for pair in tile.pairs()]
        region = {(i, j) for i in range(n) for j in range(m) if not symmetric or j > i}
        assert len(pairs) == len(set(pairs)) and set(pairs) == region - skip
        side = round(math.sqrt(per_task))
        assert all(len(t.rows) <= side and len(t.cols) <= side for t in tiles)

    def test_task_size_rule(self):
        from divergences._pairwise.matrix import _MAX_TASKS, pairs_per_task

        # 10 ms pairs: 10 to a task for 0.1 s, if the matrix is large enough to balance.
        assert pairs_per_task(0.01, 10**6, 16, 0.1) == 10
        # A small matrix: at least 4 tasks per worker thread, even if tasks get short.
        assert pairs_per_task(0.001, 80, 2, 0.1) == 10
        # 10^4 sets on 1,600 threads: slow pairs, yet at most _MAX_TASKS tasks.
        pairs = 10**4 * (10**4 - 1) // 2
        k = pairs_per_task(1.5, pairs, 1600, 0.1)
        assert k == math.ceil(pairs / _MAX_TASKS)

    def test_a_large_plan_is_lazy(self):
        from divergences._pairwise.tasks import plan_tiles

        tiles = plan_tiles(10**4, 10**4, symmetric=True, pairs_per_task=500)
        first = next(tiles)
        assert first.upper and len(first.rows) == 22 and len(first) == 22 * 21 // 2


# --------------------------------------------------------------------------- cluster

try:
    import distributed  # noqa: F811
except ImportError:
    distributed = None

needs_distributed = pytest.mark.skipif(distributed is None,
                                       reason="dask.distributed is not installed")


@pytest.fixture(scope="module")
def cluster():
    from divergences._pairwise.cluster import local_cluster

    # Loopback only, no dashboard (and the scheduler's HTTP server on a free port).
    cluster = local_cluster(n_workers=2, threads_per_worker=1, processes=True,
                            dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@needs_distributed
class TestCluster:
    def test_every_kind_equals_the_loop(self, cluster, sets):
        for kind in KINDS:
            try:
                single(sets, kind, 0, 1, **OPTIONS[kind])
            except NotImplementedError:
                continue  # not built yet: nothing to distribute
            if kind == "wasserstein":
                # 1-D sets (method "1d"): the workers would otherwise import POT, which
                # here imports torch through geomloss, ~10 s per worker on a busy 2-core
                # machine. Exact 2-D W runs on threads above; the backend is kind-blind.
                sets = [x[:, 0] for x in sets]
            result = dv.pairwise(sets, kind=kind, client=cluster, **OPTIONS[kind])
            assert result.details["backend"] == "dask" and result.details["workers"] == 2
            assert_matches_loop(result, sets, kind, OPTIONS[kind])

    def test_labels_others_and_seeds_by_address(self, cluster, sets):
        densities = {f"g{i}": dv.Gaussian([0.2 * i, 0.0], 1.0 + 0.2 * i) for i in range(3)}
        options = {"kind": "kl", "method": "monte-carlo", "n_samples": 300, "rng": 5}
        here = dv.pairwise(densities, **options)
        there = dv.pairwise(densities, client=cluster.scheduler.address, **options)
        assert there.labels == ("g0", "g1", "g2")
        np.testing.assert_allclose(there.values, here.values, rtol=0, atol=TOL)
        rect = dv.pairwise(sets, {"ref": sets[0]}, kind="js", client=cluster)
        assert rect.shape == (5, 1) and rect[0, "ref"] == 0.0
        assert_matches_loop(rect, sets, "js", {}, others=[sets[0]])

    def test_errors_come_back_named(self, cluster):
        with pytest.raises(InvalidMeasureError, match="k=5 is too large") as info:
            dv.pairwise(SETS_WITH_A_SMALL_ONE, kind="kl", k=5, client=cluster)
        # Several pairs with "c" fail; whichever task fails first is reported.
        assert "'c'" in "".join(getattr(info.value, "__notes__", []))

    def test_a_worker_killed_mid_run_loses_nothing(self, cluster, monkeypatch):
        from divergences._pairwise import cluster as cluster_backend

        # Scatter each measure to one worker only: the kill then also loses data,
        # the harder case (tasks are rerun *and* inputs re-scattered).
        monkeypatch.setattr(cluster_backend, "_BROADCAST_BYTES", 0)
        work = make_sets(count=12, n=300, seed=3)
        expected = dv.pairwise(work, kind="kl", workers=1)
        pids = cluster.run(os.getpid)
        victim = sorted(pids.items())[0][1]
        killed = []

        def kill_once(done, total):
            if not killed and done >= 6:
                os.kill(victim, signal.SIGKILL)
                killed.append((done, total))

        result = dv.pairwise(work, kind="kl", client=cluster, progress=kill_once)
        assert killed and killed[0][0] < killed[0][1]  # the kill landed mid-run
        np.testing.assert_allclose(result.values, expected.values, rtol=0, atol=TOL)
        assert result.details["broadcast"] is False
        cluster.wait_for_workers(2, timeout=60)  # the nanny restarts the worker

    def test_a_worker_killed_with_queued_tasks_and_only_copies(self, cluster, monkeypatch):
        from divergences._pairwise import cluster as cluster_backend

        # Kill a worker once every task is submitted, while it holds the only copy of
        # some measures: queued tasks that needed them are cancelled by the scheduler,
        # and pairwise scatters those measures again and resubmits the tasks.
        monkeypatch.setattr(cluster_backend, "_BROADCAST_BYTES", 0)
        work = make_sets(count=12, n=300, seed=4)
        expected = dv.pairwise(work, kind="kl", workers=1)
        real_as_completed = distributed.as_completed
        victims = []

        def kill_then_collect(futures):
            holders = sorted({w for ws in cluster.who_has().values() for w in ws})
            victims.append(cluster.run(os.getpid, workers=holders[:1])[holders[0]])
            os.kill(victims[0], signal.SIGKILL)
            return real_as_completed(futures)

        monkeypatch.setattr(distributed, "as_completed", kill_then_collect)
        result = dv.pairwise(work, kind="kl", client=cluster)
        assert victims
        np.testing.assert_allclose(result.values, expected.values, rtol=0, atol=TOL)
        cluster.wait_for_workers(2, timeout=60)


@needs_distributed
def test_local_cluster_is_started_and_closed():
    hists = [dv.Histogram([1, 2, 3]), dv.Histogram([3, 2, 1]), dv.Histogram([2, 2, 1])]
    result = dv.pairwise(hists, kind="js", client="local")
    assert result.details["backend"] == "dask"
    assert_matches_loop(result, hists, "js", {})


def test_to_pandas_labels_rows_and_columns():
    pandas = pytest.importorskip("pandas")
    r = dv.pairwise({"a": [0.0, 1.0], "b": [0.0, 2.0]}, [[0.0], [3.0], [9.0]], kind="wasserstein")
    frame = r.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.index) == ["a", "b"] and list(frame.columns) == [0, 1, 2]
    np.testing.assert_array_equal(frame.to_numpy(), r.values)
    frame.iloc[0, 0] = -1.0  # a copy: the result stays read-only and unchanged
    assert r.values[0, 0] != -1.0


def test_heatmap_scale_ignores_the_zero_diagonal_and_small_matrices_are_annotated():
    pytest.importorskip("matplotlib")
    sets = {"a": [0.0, 1.0], "b": [0.0, 2.0], "c": [5.0, 6.0]}
    r = dv.pairwise(sets, kind="wasserstein")
    ax = r.plot()
    off_diagonal = r.values[~np.eye(3, dtype=bool)]
    assert ax.images[0].get_clim() == (off_diagonal.min(), off_diagonal.max())
    assert sorted(t.get_text() for t in ax.texts) == sorted(f"{v:.3g}" for v in r.values.flat)
    # Two different collections: no diagonal to leave out; big matrices are not annotated.
    other = dv.pairwise(sets, {"d": [0.5, 1.5]}, kind="wasserstein")
    assert other.plot(annotate=False).images[0].get_clim() == (other.values.min(),
                                                                other.values.max())
    assert not other.plot(annotate=False).texts
