"""The recipe of CONTRIBUTING.md holds: a divergence added by one record works everywhere.

A toy divergence -- total variation, TV(P, Q) = 1/2 sum |p - q| -- is written
here, in the test file, with one method table and one registry record, and
nothing else is edited: it must then work in ``dv.divergence``, in
``dv.pairwise`` (symmetric, with its unit even when no pair is computed), in
the ``divergences`` command (``compute``, ``pairwise``, ``methods``, the
refusal of ``--base``) and in ``dv.gan.train`` (its record carries its GAN
objective, written here too). The oracle is the definition, summed by hand.

The same records carry energy_distance and mmd into pairwise and the CLI.
"""

import dataclasses
import inspect
import json

import numpy as np
import pytest

import divergences as dv
from divergences import cli, registry
from divergences._dispatch import Method, resolve_method, run_method
from divergences._discrete import aligned_probabilities, is_alignable
from divergences._nn.networks import MLP
from divergences._nn.optim import make_optimizer
from divergences._objective import Objective
from divergences._options import REQUIRED, Integer, Option
from divergences.registry import DivergenceInfo, divergence_info

# --------------------------------------------------------------------------- the toy divergence


def _tv_result(value, p, q, method):
    return dv.DivergenceResult(value=value, divergence="total_variation", method=method,
                               unit="probability", sizes=(p.size, q.size), stderr=0.0)


def _tv_histograms(p, q):
    a, b = aligned_probabilities(p, q)
    return _tv_result(0.5 * float(np.abs(a - b).sum()), p, q, "exact")


def _tv_empirical(p, q, *, decimals=None):
    """TV between the two empirical measures (atoms: the distinct rows)."""
    x, y = p.points, q.points
    if decimals is not None:
        x, y = np.round(x, decimals), np.round(y, decimals)
    atoms, index = np.unique(np.concatenate([x, y]), axis=0, return_inverse=True)
    index = index.reshape(-1)
    a = np.bincount(index[: len(x)], weights=p.weights, minlength=len(atoms))
    b = np.bincount(index[len(x):], weights=q.weights, minlength=len(atoms))
    return _tv_result(0.5 * float(np.abs(a - b).sum()), p, q, "empirical")


TV_METHODS = (
    Method("exact", lambda p, q, o: is_alignable(p, q), _tv_histograms,
           "two histograms on comparable bins"),
    Method("empirical", lambda p, q, o: p.kind == q.kind == "samples", _tv_empirical,
           "two sample sets (their empirical measures)",
           options=(Option("decimals", Integer(0), None, "round the points first"),)),
)


def total_variation(p, q, /, *, method="auto", **options):
    """TV(P, Q) = 1/2 sum |p - q|, between histograms or empirical measures."""
    p, q = dv.as_measure(p, "p"), dv.as_measure(q, "q")
    chosen = resolve_method(TV_METHODS, method, p, q, options, "total_variation")
    return run_method(chosen, p, q, options, "total_variation")


class TVObjective(Objective):
    """TV for a GAN, in its variational form: ``TV = sup_{|T| <= 1/2} E_P T - E_Q T``.

    The f-GAN of f(u) = |u - 1| / 2 (Nowozin et al. 2016, table 2): a
    discriminator ``T = tanh(h) / 2`` ascends ``E_P T - E_Q T`` (a lower bound
    of TV), the generator descends ``-E_Q T``.
    """

    name = divergence = "total_variation"
    estimate_label = "E_P T - E_Q T of the discriminator on the step's batches (TV's lower bound)"

    def __init__(self, *, hidden=(32,), lr=1e-2, n_critic=3):
        self.hidden, self.lr, self.n_critic = tuple(hidden), lr, n_critic

    def setup(self, dim, rng):
        self.critic = MLP(dim, self.hidden, 1, activation="tanh", rng=rng)
        self.optimizer = make_optimizer("adam", lr=self.lr, betas=(0.5, 0.9))

    def _bounded(self, points):
        """``T = tanh(h) / 2`` at ``points``, ``dT/dh``, and the network's cache."""
        h, cache = self.critic.forward(points)
        t = 0.5 * np.tanh(h[:, 0])
        return t, 0.5 - 2.0 * t * t, cache

    def critic_step(self, real, fake, rng):
        n, m = real.shape[0], fake.shape[0]
        t, slope, cache = self._bounded(np.vstack([real, fake]))
        grad_h = np.concatenate([-slope[:n] / n, slope[n:] / m])  # of -(E_P T - E_Q T)
        grads, _ = self.critic.backward(cache, grad_h[:, None])
        self.optimizer.step(self.critic.params, grads)
        return {"loss": float(t[n:].mean() - t[:n].mean())}

    def generator_step(self, real, fake, rng):
        t_fake, slope, cache = self._bounded(fake)
        grad_fake = self.critic.backward(cache, (-slope / fake.shape[0])[:, None])[1]
        t_real = self._bounded(real)[0]
        return -float(t_fake.mean()), grad_fake, float(t_real.mean() - t_fake.mean())


TV_INFO = DivergenceInfo(
    "total_variation", total_variation, TV_METHODS, symmetric=True, unit_kind="fixed",
    unit="probability", gan_objective=TVObjective, summary="total variation 1/2 sum |p - q|",
)


@pytest.fixture
def tv():
    registry.register(TV_INFO)
    yield TV_INFO
    registry.unregister("total_variation")


def by_hand(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return 0.5 * np.abs(a / a.sum() - b / b.sum()).sum()


HISTOGRAMS = {"a": [1.0, 2.0, 3.0, 4.0], "b": [4.0, 3.0, 2.0, 1.0], "c": [1.0, 1.0, 1.0, 1.0]}


# --------------------------------------------------------------------------- the library


def test_one_record_makes_it_a_divergence(tv):
    assert dv.DIVERGENCES["total_variation"] is total_variation
    hists = {k: dv.Histogram(v) for k, v in HISTOGRAMS.items()}
    r = dv.divergence(hists["a"], hists["b"], "total_variation")
    assert r.value == pytest.approx(by_hand(HISTOGRAMS["a"], HISTOGRAMS["b"]), abs=1e-15)
    assert r.method == "exact" and r.unit == "probability"
    with pytest.raises(TypeError, match="does not take 'k'"):
        dv.divergence(hists["a"], hists["b"], "total_variation", k=3)


def test_pairwise_reads_symmetry_and_unit_from_the_record(tv):
    hists = {k: dv.Histogram(v) for k, v in HISTOGRAMS.items()}
    r = dv.pairwise(hists, kind="total_variation", workers=2, progress=False)
    assert r.symmetric and r.unit == "probability" and r.method == "exact"
    assert r.details["pairs_computed"] == 3  # one of each unordered pair
    for i, a in enumerate(HISTOGRAMS):
        for j, b in enumerate(HISTOGRAMS):
            expected = 0.0 if a == b else by_hand(HISTOGRAMS[a], HISTOGRAMS[b])
            assert r.values[i, j] == pytest.approx(expected, abs=1e-15)
    # No pair computed, so no result to read the unit from: the record says it.
    alone = dv.pairwise([hists["a"]], kind="total_variation")
    assert alone.unit == "probability" and alone.method == "identical"


def test_its_options_are_checked_in_the_one_place(tv):
    x = np.array([0.0, 0.1, 0.2, 1.0])
    y = np.array([0.0, 0.1, 0.3, 1.0])
    assert float(dv.divergence(x, y, "total_variation")) == pytest.approx(0.25)
    assert float(dv.divergence(x, y, "total_variation", decimals=0)) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="decimals must be >= 0"):
        dv.divergence(x, y, "total_variation", decimals=-1)
    with pytest.raises(TypeError, match="decimals must be an integer"):
        dv.divergence(x, y, "total_variation", decimals=0.5)


def test_the_command_line_knows_it(tv, tmp_path, capsys):
    rng = np.random.default_rng(0)
    sets = {name: rng.integers(0, 4, size=(60, 1)).astype(float) for name in ("u", "v", "w")}
    paths = []
    for name, x in sets.items():
        paths.append(tmp_path / f"{name}.npy")
        np.save(paths[-1], x)

    def run(*argv):
        code = cli.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = run("compute", paths[0], paths[1], "--kind", "total_variation", "--json")
    assert code == 0, err
    counts = [np.bincount(sets[k][:, 0].astype(int), minlength=4) for k in ("u", "v")]
    result = json.loads(out)
    assert result["value"] == pytest.approx(by_hand(*counts), abs=1e-15)
    assert result["unit"] == "probability" and result["method"] == "empirical"
    out_path = tmp_path / "m.csv"
    code, _, err = run("pairwise", *paths, "--kind", "total_variation", "--out", out_path)
    assert code == 0, err
    rows = [line.split(",") for line in out_path.read_text().splitlines()]
    assert float(rows[1][2]) == pytest.approx(by_hand(*counts), abs=1e-15)
    assert float(rows[2][1]) == float(rows[1][2])  # symmetric: mirrored
    code, _, err = run("compute", paths[0], paths[1], "--kind", "total_variation",
                       "--base", "2")
    assert code == 2 and "--base applies to kl, js, js_distance only" in err
    code, out, _ = run("methods")
    assert code == 0
    section = out[out.index("total_variation  ("):]
    assert "empirical" in section and "decimals: int >= 0 (default None)" in section
    assert "GAN objective: 'total_variation'" in section.splitlines()[1]


def test_gan_trains_against_it_from_its_record(tv):
    # Its record carries its objective: gan.train finds it by the divergence's name,
    # with the objective's options passed through. From theta = 0.5 the discriminator's
    # gradient moves the line toward the target at 0 (a wrong sign would push it away,
    # no gradient leave it at 0.5); TV = 1 for every theta != 0, so once the
    # discriminator saturates the gradient vanishes and theta stops short of 0 (the
    # parallel-lines lesson: measured 0.08-0.18 over four seeds).
    generator = dv.gan.ParallelLinesGenerator(0.5)
    history = dv.gan.train(generator, dv.gan.parallel_lines_target(500, rng=0),
                           divergence="total_variation", hidden=(32,), steps=200,
                           batch_size=32, optimizer=dv.gan.SGD(lr=0.02), rng=0)
    assert history.objective == history.divergence == "total_variation"
    assert history.estimate_label == TVObjective.estimate_label
    assert np.all(np.abs(history.estimate) <= 1.0)  # |E_P T - E_Q T| <= 1 for |T| <= 1/2
    assert np.mean(np.abs(history.params[-50:, 0])) < 0.25
    assert type(dv.gan.make_objective("total_variation", n_critic=1)) is TVObjective
    assert "total_variation" in dv.gan.objective_names()
    with pytest.raises(TypeError, match="divergence='total_variation'"):
        dv.gan.make_objective("total_variation", penalty="gp")


def test_a_record_without_an_objective_says_so(tv):
    registry.register(dataclasses.replace(TV_INFO, gan_objective=None), replace=True)
    with pytest.raises(dv.MethodError, match="'total_variation' has no GAN objective"):
        dv.gan.train(dv.gan.ParallelLinesGenerator(0.5), dv.gan.parallel_lines_target(50),
                     divergence="total_variation", steps=1)
    assert "total_variation" not in dv.gan.objective_names()


def test_two_sample_test_takes_it_and_recomputes(tv):
    # Its methods declare no pooled shortcut, so every split is recomputed.
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 3, size=(30, 1)), rng.integers(1, 4, size=(30, 1))
    result = dv.two_sample_test(x.astype(float), y.astype(float), kind="total_variation",
                                n_permutations=19, rng=0)
    assert result.method == "recomputed" and result.kind == "total_variation"
    assert result.statistic.value == pytest.approx(by_hand(*(np.bincount(s[:, 0], minlength=4)
                                                             for s in (x, y))), abs=1e-15)


def test_unregistered_it_is_gone(tv):
    registry.unregister("total_variation")
    with pytest.raises(dv.MethodError, match="unknown divergence kind 'total_variation'"):
        dv.divergence([0.0], [1.0], "total_variation")
    registry.register(TV_INFO)  # for the fixture's teardown


def test_a_record_is_checked():
    with pytest.raises(ValueError, match="unit_kind"):
        DivergenceInfo("tv", total_variation, TV_METHODS, symmetric=True, unit_kind="nats",
                       unit="probability")
    with pytest.raises(ValueError, match="registered already"):
        registry.register(divergence_info("kl"))
    with pytest.raises(TypeError, match="gan_objective must be"):
        DivergenceInfo("tv", total_variation, TV_METHODS, symmetric=True, unit_kind="fixed",
                       unit="probability", gan_objective=3)


# --------------------------------------------------------------------------- the records


@pytest.mark.parametrize("kind", ["energy_distance", "mmd"])
def test_kernel_distances_reach_pairwise_and_the_cli_by_their_records(kind, tmp_path, capsys):
    rng = np.random.default_rng(5)
    sets = [rng.normal(0.3 * k, 1.0, size=(40, 2)) for k in range(3)]
    r = dv.pairwise(sets, kind=kind, workers=1, progress=False)
    assert r.symmetric and r.unit == divergence_info(kind).unit_for({})
    assert r.values[0, 2] == float(dv.divergence(sets[0], sets[2], kind))
    paths = []
    for k, x in enumerate(sets):
        paths.append(tmp_path / f"s{k}.npy")
        np.save(paths[-1], x)
    code = cli.main(["pairwise", *map(str, paths), "--kind", kind, "--out",
                     str(tmp_path / "m.csv")])
    assert code == 0, capsys.readouterr().err
    rows = [line.split(",") for line in (tmp_path / "m.csv").read_text().splitlines()]
    assert float(rows[1][3]) == pytest.approx(r.values[0, 2], rel=1e-12)


def test_kernel_units_without_a_call():
    x = np.zeros((5, 2))
    assert dv.pairwise([x], kind="mmd", kernel="energy").unit == "distance"
    assert dv.pairwise([x], kind="mmd", squared=False).unit == "sqrt(kernel)"
    assert dv.pairwise([x], kind="energy_distance").unit == "distance"


def test_records_are_consistent_with_the_layers_above():
    from divergences.gan import OBJECTIVES, make_objective

    for kind, info in registry.DIVERGENCE_INFO.items():
        assert registry.DIVERGENCES[kind] is info.function
        assert not isinstance(info.gan_objective, str) or info.gan_objective in OBJECTIVES
        if info.gan_objective is not None:
            assert isinstance(make_objective(kind), Objective), kind
        parameters = inspect.signature(info.function).parameters
        passes_on = any(par.kind is par.VAR_KEYWORD for par in parameters.values())
        for option in info.options:  # what the CLI offers as --base/--order is taken
            assert option in parameters or passes_on, (kind, option)


def test_declared_permutation_shortcuts_exist():
    from divergences import two_sample

    for kind, info in registry.DIVERGENCE_INFO.items():
        for method in info.methods:
            shortcut = method.permutation.null
            assert shortcut is None or shortcut in two_sample._SHORTCUTS, (kind, method.name)
            declared = {option.name for option in method.options}
            for option, _ in method.permutation.defaults:
                assert option in declared, (kind, method.name, option)
            if method.permutation.seeded:
                assert "rng" in declared, (kind, method.name)


def test_declared_options_are_the_functions_keyword_options():
    # Declared once on the record; the functions' signatures must not drift from them.
    for kind, info in registry.DIVERGENCE_INFO.items():
        for method in info.methods:
            parameters = inspect.signature(method.compute).parameters
            signature = {name: (REQUIRED if par.default is par.empty else par.default)
                         for name, par in parameters.items() if par.kind is par.KEYWORD_ONLY}
            declared = {option.name: option.default for option in method.options}
            assert declared == signature, (kind, method.name)


def test_critic_penalties_declared_are_the_gans():
    from divergences.gan.objectives import CRITIC_REGULARISERS

    critic = next(m for m in divergence_info("wasserstein").methods if m.name == "critic")
    penalty = next(o for o in critic.options if o.name == "penalty")
    assert penalty.constraint.values == tuple(CRITIC_REGULARISERS)


# --------------------------------------------------------------------------- declared options


def test_options_are_checked_before_the_method_runs():
    from divergences._options import Choice, Real

    def never(p, q, **options):
        raise AssertionError("compute ran with options that fail their declaration")

    method = Method("m", lambda p, q, o: True, never, "anything", options=(
        Option("tol", Real(), 1e-6), Option("mode", Choice("a", "b"), "a"),
        Option("eps", Real(), REQUIRED, "in cost units"),
    ))
    with pytest.raises(TypeError, match=r"f\(method='m'\) needs eps=\.\.\., in cost units"):
        run_method(method, None, None, {}, "f")
    with pytest.raises(ValueError, match="tol must be positive"):
        run_method(method, None, None, {"eps": 1.0, "tol": -1.0}, "f")
    with pytest.raises(dv.MethodError, match="unknown mode 'c'"):
        run_method(method, None, None, {"eps": 1.0, "mode": "c"}, "f")
    with pytest.raises(TypeError, match="does not take 'k'; it takes: tol, mode, eps"):
        run_method(method, None, None, {"eps": 1.0, "k": 3}, "f")


def test_library_options_keep_their_messages():
    x = np.random.default_rng(0).normal(size=(30, 2))
    with pytest.raises(TypeError, match="needs eps=..., the entropic regularisation"):
        dv.wasserstein(x, x + 1.0, method="sinkhorn")
    with pytest.raises(ValueError, match=r"eps_scaling must lie in \(0, 1\)"):
        dv.wasserstein(x, x + 1.0, method="sinkhorn", eps=0.5, eps_scaling=1.5)
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        dv.kl_divergence(x, x + 1.0, workers=0)
    with pytest.raises(TypeError, match="return_plan must be True or False"):
        dv.wasserstein(x, x + 1.0, return_plan="yes")
