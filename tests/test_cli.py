"""The `divergences` command: sample files in, results out, every error a clear exit 2.

:func:`divergences.cli.main` is called in-process with files under tmp_path and
its output captured. Values are checked against independent oracles (POT's
exact OT, scipy's 1-D Wasserstein distance) or, for the parallel lines,
against the theory with tolerances derived from the sample size.
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import ot
import pytest
from scipy import stats

import divergences as dv
from divergences import cli
from divergences.results import DivergenceResult

LOG2 = math.log(2.0)
REPO = Path(__file__).resolve().parents[1]
# Printed values have 4 decimals: equal up to rounding means within this.
PRINTED = 5e-5 + 1e-12


def run(capsys, *argv):
    argv = [str(a) for a in argv]
    if argv[:1] == ["parallel-lines"] and "--train-steps" not in argv and "--help" not in argv:
        # The table is what these tests check; the training runs in its own test below.
        argv += ["--train-steps", "0"]
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_error(code, err, *words):
    """Exit code 2 and one clear message naming every word, with no traceback."""
    assert code == 2
    assert "Traceback" not in err
    for word in words:
        assert word in err, f"{word!r} not in {err!r}"


@pytest.fixture
def samples(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    y = rng.normal(size=(45, 2)) + [1.0, 0.5]
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    return x, y


def emd_w1(x, y):
    """Independent oracle: POT's exact W_1 with uniform weights."""
    cost = ot.dist(x, y, metric="euclidean")
    return ot.emd2(np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y)), cost)


class TestCompute:
    def test_npy_wasserstein_matches_pot(self, capsys, tmp_path, samples):
        code, out, err = run(capsys, "compute", tmp_path / "x.npy", tmp_path / "y.npy",
                             "--kind", "wasserstein")
        assert code == 0, err
        fields = dict(line.split(None, 1) for line in out.strip().splitlines())
        assert fields["divergence"] == "wasserstein" and fields["method"] == "exact"
        assert fields["sizes"] == "X: 60, Y: 45"
        value = float(fields["value"].split()[0])
        assert value == pytest.approx(emd_w1(*samples), rel=1e-9)

    def test_json_output(self, capsys, tmp_path, samples):
        code, out, _ = run(capsys, "compute", tmp_path / "x.npy", tmp_path / "y.npy",
                           "--kind", "wasserstein", "--order", "2", "--json")
        assert code == 0
        data = json.loads(out)
        x, y = samples
        cost = ot.emd2(np.full(60, 1 / 60), np.full(45, 1 / 45), ot.dist(x, y))
        assert data["value"] == pytest.approx(math.sqrt(cost), rel=1e-9)
        assert data["order"] == 2.0 and data["cost"] == pytest.approx(cost, rel=1e-9)
        assert data["sizes"] == [60, 45] and data["unit"] == "distance"
        assert data["converged"] is True and data["stderr"] == 0.0

    @pytest.mark.parametrize("extra", [
        [],  # the network simplex (60 x 45)
        ["--method", "sinkhorn", "--option", "eps=0.5"],  # a dense entropic plan
    ])
    def test_return_plan_is_in_the_json(self, capsys, tmp_path, samples, extra):
        # It was accepted and silently left out (issue 19).
        x, y = samples
        code, out, err = run(capsys, "compute", tmp_path / "x.npy", tmp_path / "y.npy",
                             "--kind", "wasserstein", *extra, "--option", "return_plan=true",
                             "--json")
        assert code == 0, err
        plan = np.array(json.loads(out)["plan"])
        options = {"method": "sinkhorn", "eps": 0.5} if extra else {}
        expected = dv.wasserstein(x, y, return_plan=True, **options)
        dense = expected.plan.toarray() if hasattr(expected.plan, "toarray") else expected.plan
        # JSON writes floats by repr: the plan round-trips exactly.
        assert plan.shape == (60, 45) and np.array_equal(plan, dense)

    def test_return_plan_is_mentioned_in_the_text_output(self, capsys, tmp_path):
        np.save(tmp_path / "x.npy", np.array([[0.0, 0.0], [1.0, 0.0]]))
        np.save(tmp_path / "y.npy", np.array([[0.0, 1.0], [1.0, 1.0]]))
        code, out, _ = run(capsys, "compute", tmp_path / "x.npy", tmp_path / "y.npy",
                           "--kind", "wasserstein", "--option", "return_plan=true")
        assert code == 0 and "2 x 2 matrix (add --json to print it)" in out

    @pytest.mark.parametrize("header", [True, False])
    @pytest.mark.parametrize("extension, delimiter", [(".csv", ","), (".tsv", "\t"), (".txt", " ")])
    def test_text_tables_with_or_without_header(self, capsys, tmp_path, samples, header,
                                                 extension, delimiter):
        x, y = samples
        for name, data in (("x", x), ("y", y)):
            np.savetxt(tmp_path / f"{name}{extension}", data, delimiter=delimiter,
                       header=delimiter.join(["a", "b"]) if header else "", comments="")
        code, out, err = run(capsys, "compute", tmp_path / f"x{extension}",
                             tmp_path / f"y{extension}", "--kind", "wasserstein", "--json")
        assert code == 0, err
        # savetxt writes 18 significant digits: the values round-trip exactly.
        assert json.loads(out)["value"] == pytest.approx(emd_w1(x, y), rel=1e-9)

    def test_quoted_header_and_blank_lines(self, capsys, tmp_path):
        (tmp_path / "x.csv").write_text('"height"\n0.0\n\n1.0\n')
        (tmp_path / "y.csv").write_text("2.0\n3.0\n")
        code, out, _ = run(capsys, "compute", tmp_path / "x.csv", tmp_path / "y.csv",
                           "--kind", "wasserstein", "--json")
        assert code == 0 and json.loads(out)["value"] == pytest.approx(2.0, rel=1e-12)

    def test_byte_order_mark_and_comments(self, capsys, tmp_path):
        # Without the BOM stripped, "\ufeff0.5" would pass for a header and drop a sample.
        (tmp_path / "x.csv").write_bytes("\ufeff0.5\n1.5\n".encode("utf-8"))
        np.savetxt(tmp_path / "y.txt", [[2.0], [4.0]], header="first line\nsecond line")
        code, out, err = run(capsys, "compute", tmp_path / "x.csv", tmp_path / "y.txt",
                             "--kind", "wasserstein", "--json")
        assert code == 0, err
        data = json.loads(out)
        assert data["sizes"] == [2, 2] and data["value"] == pytest.approx(2.0, rel=1e-12)

    def test_one_dimensional_inputs_agree_with_scipy(self, capsys, tmp_path):
        rng = np.random.default_rng(1)
        x, y = rng.exponential(size=80), rng.normal(size=70)
        np.save(tmp_path / "x.npy", x)  # shape (n,)
        np.savetxt(tmp_path / "y.csv", y[:, None], delimiter=",")  # one column
        code, out, _ = run(capsys, "compute", tmp_path / "x.npy", tmp_path / "y.csv",
                           "--kind", "wasserstein", "--json")
        data = json.loads(out)
        assert code == 0 and data["method"] == "1d"
        assert data["value"] == pytest.approx(stats.wasserstein_distance(x, y), rel=1e-9)

    def test_options_are_parsed_and_passed(self, capsys, tmp_path, samples):
        code, out, err = run(capsys, "compute", tmp_path / "x.npy", tmp_path / "y.npy",
                             "--kind", "wasserstein", "--method", "exact",
                             "--option", "return_plan=false", "--option", "max_memory=100000000")
        assert code == 0, err
        assert "method      exact" in out

    def test_base_and_order_reach_the_library(self, capsys, tmp_path, samples, monkeypatch):
        calls = []

        def fake(p, q, kind, **options):
            calls.append((kind, options))
            return DivergenceResult(value=0.25, divergence=kind, method="knn", unit="bits",
                                    sizes=(p.size, q.size), stderr=0.01)

        monkeypatch.setattr(dv, "divergence", fake)
        code, out, _ = run(capsys, "compute", tmp_path / "x.npy", tmp_path / "y.npy",
                           "--kind", "js", "--base", "2", "--option", "k=5")
        assert code == 0
        assert calls == [("js", {"method": "auto", "base": 2.0, "k": 5})]
        assert "0.25 bits" in out and "stderr      0.01" in out

    def test_infinite_value_is_a_json_string(self, capsys, tmp_path, samples, monkeypatch):
        def fake(p, q, kind, **options):
            return DivergenceResult(value=math.inf, divergence=kind, method="exact",
                                    note="P is not absolutely continuous with respect to Q")

        monkeypatch.setattr(dv, "divergence", fake)
        code, out, _ = run(capsys, "compute", tmp_path / "x.npy", tmp_path / "y.npy",
                           "--kind", "kl", "--json")
        data = json.loads(out, parse_constant=lambda name: pytest.fail(f"non-JSON {name}"))
        assert code == 0 and data["value"] == "inf" and "absolutely" in data["note"]

    def test_library_errors_become_clean_exits(self, capsys, tmp_path, samples, monkeypatch):
        for error in (NotImplementedError("kl_divergence(method='knn') is not implemented yet"),
                      MemoryError("method='exact' needs 9 GiB; use method='sinkhorn'")):

            def fake(p, q, kind, error=error, **options):
                raise error

            monkeypatch.setattr(dv, "divergence", fake)
            code, _, err = run(capsys, "compute", tmp_path / "x.npy", tmp_path / "y.npy",
                               "--kind", "kl")
            assert_clean_error(code, err, str(error))


class TestComputeErrors:
    def compute(self, capsys, tmp_path, x, y, *extra):
        return run(capsys, "compute", tmp_path / x, tmp_path / y, *extra)

    def test_missing_file(self, capsys, tmp_path, samples):
        code, _, err = self.compute(capsys, tmp_path, "x.npy", "nope.npy", "--kind", "wasserstein")
        assert_clean_error(code, err, "Y file", "nope.npy", "does not exist")

    def test_directory(self, capsys, tmp_path, samples):
        (tmp_path / "d.csv").mkdir()
        code, _, err = self.compute(capsys, tmp_path, "d.csv", "y.npy", "--kind", "wasserstein")
        assert_clean_error(code, err, "X file", "d.csv", "directory")

    @pytest.mark.parametrize("name", ["x.json", "x.npz", "x"])
    def test_unsupported_extension(self, capsys, tmp_path, samples, name):
        (tmp_path / name).write_text("1\n")
        code, _, err = self.compute(capsys, tmp_path, name, "y.npy", "--kind", "wasserstein")
        assert_clean_error(code, err, "X file", name, "unsupported extension", ".npy", ".csv")

    @pytest.mark.parametrize(
        "content, words",
        [
            ("", ["is empty"]),
            ("\n\n", ["is empty"]),
            ("a,b\n", ["header row but no samples"]),
            ("a,b\n1,2\n3,x\n", ["line 3", "'x' is not a number"]),
            ("1,2\n3,\n", ["line 2", "'' is not a number"]),
            ("1,2\n3\n", ["line 2", "expected 2 values", "got 1"]),
            ("1,2\n3,nan\n", ["NaN or infinite", "line 2"]),
            ("h1,h2\n1,2\n5,6\ninf,0\n", ["NaN or infinite", "line 4"]),
            ("1,2\n\n# note\n\n5,nan\n", ["NaN or infinite", "line 5"]),
        ],
    )
    def test_bad_csv(self, capsys, tmp_path, samples, content, words):
        (tmp_path / "bad.csv").write_text(content)
        code, _, err = self.compute(capsys, tmp_path, "y.npy", "bad.csv", "--kind", "wasserstein")
        assert_clean_error(code, err, "Y file", "bad.csv", *words)

    def test_undecodable_text(self, capsys, tmp_path, samples):
        (tmp_path / "bad.csv").write_bytes(b"\xff\xfe\x00\x81")
        code, _, err = self.compute(capsys, tmp_path, "bad.csv", "y.npy", "--kind", "wasserstein")
        assert_clean_error(code, err, "X file", "bad.csv", "could not be read")

    @pytest.mark.parametrize(
        "array, words",
        [
            (np.zeros((2, 2, 2)), ["shape (n,) or (n, d)", "(2, 2, 2)"]),
            (np.float64(3.0), ["shape (n,) or (n, d)"]),
            (np.zeros((0, 2)), ["no samples"]),
            (np.array([[1.0, 2.0], [np.nan, 0.0]]), ["NaN or infinite", "row 1"]),
            (np.array([1 + 2j, 3j]), ["real numeric array", "complex"]),
            (np.array(["a", "b"]), ["real numeric array"]),
        ],
    )
    def test_bad_npy(self, capsys, tmp_path, samples, array, words):
        np.save(tmp_path / "bad.npy", array)
        code, _, err = self.compute(capsys, tmp_path, "bad.npy", "y.npy", "--kind", "wasserstein")
        assert_clean_error(code, err, "X file", "bad.npy", *words)

    def test_pickled_npy_is_refused(self, capsys, tmp_path, samples):
        np.save(tmp_path / "bad.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
        code, _, err = self.compute(capsys, tmp_path, "bad.npy", "y.npy", "--kind", "wasserstein")
        assert_clean_error(code, err, "X file", "bad.npy")

    def test_corrupt_npy(self, capsys, tmp_path, samples):
        (tmp_path / "bad.npy").write_text("1,2,3\n")
        code, _, err = self.compute(capsys, tmp_path, "bad.npy", "y.npy", "--kind", "wasserstein")
        assert_clean_error(code, err, "X file", "bad.npy", "not a readable .npy")

    def test_mismatched_dimensions(self, capsys, tmp_path, samples):
        np.save(tmp_path / "z.npy", np.zeros((5, 3)))
        code, _, err = self.compute(capsys, tmp_path, "x.npy", "z.npy", "--kind", "wasserstein")
        assert_clean_error(code, err, "x.npy", "z.npy", "dimension 2", "dimension 3")

    def test_unknown_kind(self, capsys, tmp_path, samples):
        code, _, err = self.compute(capsys, tmp_path, "x.npy", "y.npy", "--kind", "tv")
        assert_clean_error(code, err, "--kind", "'tv'", "'kl'", "'wasserstein'")

    def test_missing_kind(self, capsys, tmp_path, samples):
        code, _, err = self.compute(capsys, tmp_path, "x.npy", "y.npy")
        assert_clean_error(code, err, "--kind")

    def test_unknown_method(self, capsys, tmp_path, samples):
        code, _, err = self.compute(capsys, tmp_path, "x.npy", "y.npy", "--kind", "wasserstein",
                                    "--method", "magic")
        assert_clean_error(code, err, "unknown method 'magic'", "'exact'")

    def test_method_that_does_not_apply(self, capsys, tmp_path, samples):
        code, _, err = self.compute(capsys, tmp_path, "x.npy", "y.npy", "--kind", "wasserstein",
                                    "--method", "gaussian")
        assert_clean_error(code, err, "method='gaussian' needs", "Methods that apply here")

    def test_option_the_method_does_not_take(self, capsys, tmp_path, samples):
        code, _, err = self.compute(capsys, tmp_path, "x.npy", "y.npy", "--kind", "wasserstein",
                                    "--option", "k=3")
        assert_clean_error(code, err, "does not take 'k'")

    @pytest.mark.parametrize(
        "option, words",
        [("k", ["key=value"]), ("=3", ["key=value"]), ("1k=3", ["key=value"]),
         ("method=exact", ["--method"]), ("base=2", ["--base"])],
    )
    def test_malformed_option(self, capsys, tmp_path, samples, option, words):
        code, _, err = self.compute(capsys, tmp_path, "x.npy", "y.npy", "--kind", "wasserstein",
                                    "--option", option)
        assert_clean_error(code, err, "--option", *words)

    def test_repeated_option(self, capsys, tmp_path, samples):
        code, _, err = self.compute(capsys, tmp_path, "x.npy", "y.npy", "--kind", "wasserstein",
                                    "--option", "k=1", "--option", "k=2")
        assert_clean_error(code, err, "--option k", "twice")

    def test_base_for_a_transport_distance(self, capsys, tmp_path, samples):
        code, _, err = self.compute(capsys, tmp_path, "x.npy", "y.npy", "--kind", "wasserstein",
                                    "--base", "2")
        assert_clean_error(code, err, "--base", "'wasserstein'")

    def test_order_for_kl(self, capsys, tmp_path, samples):
        code, _, err = self.compute(capsys, tmp_path, "x.npy", "y.npy", "--kind", "kl",
                                    "--order", "2")
        assert_clean_error(code, err, "--order", "'kl'")

    @pytest.mark.parametrize("value, words", [("abc", ["--order", "not a number"]),
                                              ("nan", ["--order", "not finite"]),
                                              ("0.5", ["order must be finite and >= 1"])])
    def test_bad_order(self, capsys, tmp_path, samples, value, words):
        code, _, err = self.compute(capsys, tmp_path, "x.npy", "y.npy", "--kind", "wasserstein",
                                    "--order", value)
        assert_clean_error(code, err, *words)

    def test_bad_base(self, capsys, tmp_path, samples, monkeypatch):
        code, _, err = self.compute(capsys, tmp_path, "x.npy", "y.npy", "--kind", "kl",
                                    "--base", "1")
        assert_clean_error(code, err, "base must be positive, finite and not 1")


def test_parse_option_values():
    options = cli.parse_options(["a=3", "b=0.5", "c=1e-3", "d=true", "e=False", "f=none",
                                 "g=sinkhorn", "h=-2"])
    assert options == {"a": 3, "b": 0.5, "c": 1e-3, "d": True, "e": False, "f": None,
                       "g": "sinkhorn", "h": -2}
    assert isinstance(options["a"], int) and isinstance(options["d"], bool)


# --------------------------------------------------------------------------- parallel lines


def parse_table(out):
    """The parallel-lines table as a list of {column: text} rows."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("theta |"))
    header = [cell.strip() for cell in lines[start].split("|")]
    rows = []
    for line in lines[start + 2:]:
        if not line.strip():
            break
        # A trailing "*" marks a value the library flagged (explained under the table).
        rows.append(dict(zip(header, (cell.strip().rstrip("*") for cell in line.split("|")))))
    return rows


def dkw_bound(n, delta=1e-6):
    """A bound on W_1 between the heights of two samples of size n, holding w.p. >= 1 - 2 delta.

    On [0, 1], W_1(F_n, G_n) = int |F_n - G_n| <= sup|F_n - F| + sup|G_n - F|,
    and each sup exceeds sqrt(log(2/delta) / (2n)) with probability at most
    delta (Dvoretzky-Kiefer-Wolfowitz, Massart's constant).
    """
    return 2 * math.sqrt(math.log(2 / delta) / (2 * n))


class TestParallelLines:
    THETAS = [-1.0, -0.3, 0.0, 0.05, 0.5]

    def table(self, capsys, *extra, n=200, seed=3):
        code, out, err = run(capsys, "parallel-lines", "--n", n, "--seed", seed, "--grid", 50,
                             "--no-plot", "--thetas=" + ",".join(map(str, self.THETAS)), *extra)
        assert code == 0, err
        return out

    def test_table_matches_the_theory(self, capsys):
        n = 200
        rows = parse_table(self.table(capsys, n=n))
        assert [float(row["theta"]) for row in rows] == self.THETAS
        for theta, row in zip(self.THETAS, rows):
            apart = theta != 0
            assert float(row["W1 true"]) == pytest.approx(abs(theta), abs=PRINTED)
            assert float(row["JS true"]) == pytest.approx(LOG2 if apart else 0.0, abs=PRINTED)
            assert float(row["KL true"]) == (math.inf if apart else 0.0)
            # The exact laws on the grid give the true values up to printing.
            assert float(row["W1 grid"]) == pytest.approx(abs(theta), abs=PRINTED)
            assert float(row["JS grid"]) == pytest.approx(LOG2 if apart else 0.0, abs=PRINTED)
            assert float(row["KL grid"]) == (math.inf if apart else 0.0)
            # Samples: |theta| <= W_1 <= |theta| + W_1(heights) (see test_datasets), and
            # W_1(heights) <= dkw_bound(n) except with probability 2e-6.
            w1 = float(row["W1 samples"])
            assert abs(theta) - PRINTED <= w1 <= abs(theta) + dkw_bound(n) + PRINTED
            # Sample JS/KL appear once their estimators exist; JS is clipped to [0, log 2].
            js = row["JS samples"]
            assert js == "n/a" or -PRINTED <= float(js) <= LOG2 + PRINTED
            assert row["KL samples"] == "n/a" or not math.isnan(float(row["KL samples"]))
            assert "error" not in row.values()

    def test_json_matches_the_samples_exactly(self, capsys):
        n, seed = 150, 11
        data = json.loads(self.table(capsys, "--json", n=n, seed=seed))
        assert data["n"] == n and data["seed"] == seed and data["grid_size"] == 50
        assert data["unit"] == "nats"
        for row in data["rows"]:
            theta = row["theta"]
            samples, grid = row["samples"], row["grid"]
            assert grid["wasserstein"]["value"] == pytest.approx(abs(theta), rel=1e-12, abs=1e-15)
            assert grid["wasserstein"]["method"] == "exact" and grid["js"]["method"] == "exact"
            assert grid["kl"]["value"] == ("inf" if theta else 0.0)
            assert row["true"]["kl"] == ("inf" if theta else 0.0)
            # The CLI draws parallel_lines(theta, n, rng=seed) for every theta: redraw and
            # check the exact sandwich of test_datasets on the very same samples.
            x, y = dv.datasets.parallel_lines(theta, n, rng=seed)
            heights_w1 = stats.wasserstein_distance(x[:, 1], y[:, 1])
            w1 = samples["wasserstein"]["value"]
            assert max(abs(theta), heights_w1) - 1e-12 <= w1 <= abs(theta) + heights_w1 + 1e-12
            assert w1 == pytest.approx(emd_w1(x, y), rel=1e-9)
            for name in ("js", "kl"):
                cell = samples[name]
                assert cell["status"] in ("ok", "n/a")
                if cell["status"] == "n/a":
                    assert cell["value"] is None and "not implemented" in cell["reason"]

    def test_bits(self, capsys):
        out = self.table(capsys, "--base", "2")
        assert "JS and KL in bits" in out
        for theta, row in zip(self.THETAS, parse_table(out)):
            expected = 1.0 if theta else 0.0
            assert float(row["JS true"]) == float(row["JS grid"]) == pytest.approx(expected)

    def test_same_seed_same_table_other_seed_other_samples(self, capsys):
        first, again = self.table(capsys, seed=5), self.table(capsys, seed=5)
        assert first == again
        other = self.table(capsys, seed=6)
        w1 = [row["W1 samples"] for row in parse_table(first)]
        assert w1 != [row["W1 samples"] for row in parse_table(other)]

    def test_footnotes_name_methods_and_missing_estimators(self, capsys):
        out = self.table(capsys)
        assert "W1 samples 'exact'" in out and "KL grid 'exact'" in out
        for name in ("js", "kl"):
            column = [row[f"{name.upper()} samples"] for row in parse_table(out)]
            if "n/a" in column:
                assert f"n/a: {name}_divergence(method=" in out

    def test_sample_estimators_fill_their_columns(self, capsys, tmp_path, monkeypatch):
        # Stand-in for the k-NN estimators: once kl_divergence works on samples, its
        # column and the plot show its values with no change to the CLI.
        real = dv.kl_divergence

        def kl(p, q, **options):
            if isinstance(p, np.ndarray):
                return DivergenceResult(value=4.0 + abs(p[0, 0] - q[0, 0]), divergence="kl",
                                        method="knn", sizes=(len(p), len(q)), stderr=0.1)
            return real(p, q, **options)

        monkeypatch.setattr(dv, "kl_divergence", kl)
        plot = tmp_path / "pl.png"
        code, out, err = run(capsys, "parallel-lines", "--n", 20, "--grid", 10,
                             "--thetas=-1,0,1", "--plot", plot)
        assert code == 0, err
        assert [row["KL samples"] for row in parse_table(out)] == ["5.0000", "4.0000", "5.0000"]
        assert "KL samples 'knn'" in out
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def test_thetas_forms(self, capsys):
        for argv in (["--thetas", "-1,0.5"], ["--thetas=-1,0.5"], ["--thetas", "-1:0.5:2"]):
            code, out, err = run(capsys, "parallel-lines", "--n", 5, "--grid", 5, "--no-plot",
                                 *argv)
            assert code == 0, err
            assert [row["theta"] for row in parse_table(out)] == ["-1", "0.5"]

    def test_default_thetas(self, capsys):
        code, out, _ = run(capsys, "parallel-lines", "--n", 5, "--grid", 5, "--no-plot")
        assert code == 0
        thetas = [float(row["theta"]) for row in parse_table(out)]
        assert thetas == pytest.approx(np.linspace(-1, 1, 11).tolist()) and 0.0 in thetas

    @pytest.mark.parametrize(
        "argv, words",
        [
            (["--thetas", "a,b"], ["--thetas", "'a' is not a number"]),
            (["--thetas", "1,nan"], ["--thetas", "not finite"]),
            (["--thetas", ","], ["--thetas", "at least one value"]),
            (["--thetas", "0:1:0"], ["--thetas", "must be >= 1"]),
            (["--thetas"], ["--thetas", "expected one argument"]),
            (["--thetas", "--no-plot"], ["--thetas", "expected one argument"]),
            (["--n", "0"], ["--n", "must be >= 1"]),
            (["--n", "2.5"], ["--n", "not an integer"]),
            (["--seed", "-1"], ["--seed", "must be >= 0"]),
            (["--grid", "0"], ["--grid", "must be >= 1"]),
            (["--base", "1"], ["--base", "not 1"]),
            (["--base", "-2"], ["--base"]),
            (["--plot", "a.png", "--no-plot"], ["--plot", "--no-plot"]),
            (["--plot", "missing_folder/a.png"], ["--plot", "missing_folder", "does not exist"]),
            (["--plot", "a.jpg"], ["--plot", ".png"]),
        ],
    )
    def test_bad_arguments(self, capsys, tmp_path, monkeypatch, argv, words):
        monkeypatch.chdir(tmp_path)
        code, _, err = run(capsys, "parallel-lines", *argv)
        assert_clean_error(code, err, *words)

    def test_plot_default_file_and_no_plot(self, capsys, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        code, out, _ = run(capsys, "parallel-lines", "--n", 10, "--grid", 10, "--thetas=-1,0,1")
        assert code == 0 and "Plot saved to parallel_lines.png" in out
        assert (tmp_path / "parallel_lines.png").read_bytes()[:4] == b"\x89PNG"
        (tmp_path / "parallel_lines.png").unlink()
        code, _, _ = run(capsys, "parallel-lines", "--n", 10, "--grid", 10, "--thetas=1",
                         "--no-plot")
        assert code == 0 and not (tmp_path / "parallel_lines.png").exists()

    def test_without_matplotlib(self, capsys, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
        code, out, err = run(capsys, "parallel-lines", "--n", 5, "--grid", 5, "--thetas=1")
        assert code == 0 and "theta |" in out
        assert "matplotlib is not installed" in err and "--no-plot" in err
        code, _, err = run(capsys, "parallel-lines", "--n", 5, "--grid", 5, "--thetas=1",
                           "--plot", "figure.png")
        assert_clean_error(code, err, "matplotlib is not installed")
        assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- other commands


def test_methods_lists_every_kind_and_marks_the_planned(capsys):
    code, out, _ = run(capsys, "methods")
    assert code == 0
    sections, current = {}, None
    for line in out.splitlines():
        if line and not line.startswith(" ") and "  (" in line:
            current = sections.setdefault(line.split()[0], [])
        elif (line.startswith("    ") and not line.startswith("     ")
              and not line.lstrip().startswith("(") and current is not None):
            current.append(line.strip())  # a method (its record's facts are in parentheses)
    assert list(sections) == list(dv.DIVERGENCES)
    for kind, table in cli.method_tables().items():
        if table is None:
            assert sections[kind] == ["(no method table: one built-in solver)"]
            continue
        assert [line.split()[0] for line in sections[kind]] == [m.name for m in table]
        for method, line in zip(table, sections[kind]):
            assert ("NOT IMPLEMENTED YET" in line) == cli.is_planned(method)
            assert ("named only" in line) == (not method.auto)
            assert method.requires in line


def test_is_planned():
    from divergences._dispatch import Method, planned

    placeholder = Method("x", lambda p, q, o: True, planned("f", "x", "a thing"), "anything")
    built = Method("y", lambda p, q, o: True, lambda p, q: None, "anything")
    assert cli.is_planned(placeholder) and not cli.is_planned(built)


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"divergences {dv.__version__}"


def test_help_exits_zero(capsys):
    code, out, _ = run(capsys, "parallel-lines", "--help")
    assert code == 0 and "--thetas" in out


def test_no_command(capsys):
    code, _, err = run(capsys)
    assert_clean_error(code, err, "COMMAND")


def test_python_dash_m(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "divergences", "--version"], cwd=REPO,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and ok.stdout.strip() == f"divergences {dv.__version__}"
    bad = subprocess.run([sys.executable, "-m", "divergences", "compute", str(tmp_path / "a.npy"),
                          str(tmp_path / "b.npy"), "--kind", "kl"], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "a.npy" in bad.stderr and "Traceback" not in bad.stderr


def test_parallel_lines_trains_each_objective_and_plots_it(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "lines.png"
    code, out, err = run(capsys, "parallel-lines", "--n", 20, "--grid", 10, "--thetas=1",
                         "--train-steps", 60, "--plot", plot)
    assert code == 0
    # Not a terminal: one progress line per objective on stderr.
    progress = [line for line in err.splitlines() if "training against" in line]
    assert progress[0] == "divergences: training against wasserstein (1/6) ..."
    assert len(progress) == 6 and progress[-1].endswith("kl (6/6) ...")
    rows = {line.split("|")[1].strip(): line.split("|")[4].strip()
            for line in out.splitlines() if line.startswith("| ") and "objective" not in line}
    # The Wasserstein objectives move theta from 1 towards 0; JS and KL leave it at 1.
    for name in ("wasserstein", "exact_ot", "sinkhorn", "sliced"):
        assert abs(float(rows[name])) < 0.5, name
    for name in ("js", "kl"):
        assert float(rows[name]) == pytest.approx(1.0, abs=0.02), name
    assert plot.exists() and (tmp_path / "lines_training.png").exists()


# --------------------------------------------------------------------------- every kind

# The options a kind cannot do without, as the command line gives them.
REQUIRED_OPTIONS = {"sinkhorn": ["--option", "eps=0.5"]}


def _python_options(argv):
    return cli.parse_options(argv[1::2])


@pytest.mark.parametrize("kind", list(dv.DIVERGENCES))
def test_compute_works_for_every_kind(capsys, tmp_path, samples, kind):
    # The CLI passes method="auto" to every kind; sinkhorn refused it once (issue 19).
    x, y = samples
    extra = REQUIRED_OPTIONS.get(kind, [])
    code, out, err = run(capsys, "compute", tmp_path / "x.npy", tmp_path / "y.npy",
                         "--kind", kind, *extra, "--json")
    assert code == 0, err
    expected = dv.divergence(x, y, kind, **_python_options(extra))
    data = json.loads(out)
    assert data["value"] == float(expected) and data["method"] == expected.method


def test_first_compile_is_announced_once_on_stderr(tmp_path):
    # 16-24 s of silence on first use (issue 19): a cold cache now says why, a warm one nothing.
    import os

    np.save(tmp_path / "x.npy", np.arange(5.0))
    np.save(tmp_path / "y.npy", np.arange(5.0) + 1.0)
    environ = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    environ.update(XDG_CACHE_HOME=str(tmp_path / "cache"), NUMBA_CACHE_DIR=str(tmp_path / "cache"),
                   PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "divergences", "compute", str(tmp_path / "x.npy"),
               str(tmp_path / "y.npy"), "--kind", "wasserstein", "--json"]
    cold, warm = (subprocess.run(command, env=environ, capture_output=True, text=True,
                                 cwd=tmp_path, check=False) for _ in range(2))
    assert cold.returncode == 0 and warm.returncode == 0, cold.stderr + warm.stderr
    assert json.loads(cold.stdout)["value"] == json.loads(warm.stdout)["value"] == 1.0
    notes = [line for line in cold.stderr.splitlines() if "compiling the Numba kernels" in line]
    assert len(notes) == 1 and notes[0].startswith("divergences: note: ")
    assert str(tmp_path / "cache") in notes[0]
    assert "compiling" not in warm.stderr


def test_parallel_lines_prints_the_training_header_before_training(capsys, monkeypatch):
    # It came only after the whole training, a minute of silence (issue 19).
    import divergences.gan

    seen = {}

    def fake_experiment(**kwargs):
        seen["printed before"] = capsys.readouterr().out
        seen["progress"] = kwargs["progress"]

        class Experiment:
            def summary(self):
                return "| summary |"

        return Experiment()

    monkeypatch.setattr(divergences.gan, "parallel_lines_experiment", fake_experiment)
    code = cli.main(["parallel-lines", "--n", "20", "--grid", "10", "--thetas=1",
                     "--train-steps", "3", "--no-plot"])
    assert code == 0
    assert seen["printed before"].rstrip().endswith(
        "Training g_theta(z) = (theta, z) from theta = 1, 3 plain gradient steps per objective:")
    assert callable(seen["progress"])  # capsys is not a terminal: a line per objective
    assert capsys.readouterr().out == "| summary |\n"


def test_training_plot_keeps_overlapping_curves_visible():
    # js and kl both stay at theta = 1: drawn alike, one hid the other (issue 19).
    pytest.importorskip("matplotlib")
    from types import SimpleNamespace

    from divergences._parallel_lines_report import training_figure

    flat = np.ones(41)
    curves = {"exact_ot": np.linspace(1.0, 0.0, 41), "js": flat, "kl": flat + 1e-8}
    experiment = SimpleNamespace(
        thetas=curves,
        histories={name: SimpleNamespace(divergence="wasserstein" if name == "exact_ot" else name)
                   for name in curves},
    )
    axis = training_figure(experiment).axes[0]
    lines = {line.get_label(): line for line in axis.get_lines() if line.get_label() in curves}
    js, kl = lines["js"], lines["kl"]
    # The data are drawn as they are (no shift), but in different styles ...
    assert np.array_equal(js.get_ydata(), curves["js"])
    assert np.array_equal(kl.get_ydata(), curves["kl"])
    assert js.get_linestyle() != kl.get_linestyle() and js.get_marker() != kl.get_marker()
    # ... with markers at different steps, and a note that says they overlap.
    js_marks = set(np.arange(41)[js.get_markevery()[0]::js.get_markevery()[1]])
    kl_marks = set(np.arange(41)[kl.get_markevery()[0]::kl.get_markevery()[1]])
    assert js_marks and kl_marks and not js_marks & kl_marks
    notes = [text.get_text() for text in axis.texts]
    assert notes == ["js and kl overlap (they differ by at most 1e-08)"]


def test_parallel_lines_marks_the_knn_kl_the_library_flags():
    # Between two lines KL is infinite and the k-NN estimate keeps growing with n: the
    # library's convergence check must flag it at every theta != 0, and the table must
    # say so once, under it, instead of printing a warning per theta.
    from divergences._parallel_lines_report import FLAG, format_parallel_lines, parallel_lines_rows

    rows = parallel_lines_rows([0.0, 0.5], 200, seed=0, n_grid=50)
    assert not rows[0]["samples"]["kl"]["warnings"]
    assert rows[1]["samples"]["kl"]["warnings"]
    assert not rows[1]["samples"]["wasserstein"]["warnings"]
    text = format_parallel_lines(rows, n=200, seed=0, n_grid=50, unit="nats")
    assert f"{FLAG} KL samples: flagged by the library at 1 of 2 thetas" in text
