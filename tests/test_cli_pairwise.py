"""`divergences pairwise`: sample files (or one labelled table) in, a matrix out.

Values written with --out are compared with POT's exact W_1 (an independent
oracle, to 1e-9 relative: both solve the same LP exactly) and with
dv.pairwise itself (to 1e-12: the CSV keeps every digit through repr).
"""

import csv

import numpy as np
import ot
import pytest

import divergences as dv
from divergences import cli


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def read_matrix(path):
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    labels = [row[0] for row in rows[1:]]
    return rows[0][1:], labels, np.array([[float(v) for v in row[1:]] for row in rows[1:]])


def emd_w1(x, y):
    return ot.emd2(np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y)),
                   ot.dist(x, y, metric="euclidean"), numItermax=10**7)


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    sets = {f"day{i}": rng.normal(0.3 * i, 1.0, size=(40 + 5 * i, 2)) for i in range(3)}
    paths = []
    for label, x in sets.items():
        np.save(tmp_path / f"{label}.npy", x)
        paths.append(tmp_path / f"{label}.npy")
    return sets, paths


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(1)
    groups = {"b": rng.normal(0, 1, (30, 2)), "a": rng.normal(2, 1, (25, 2))}
    path = tmp_path / "all.csv"
    with open(path, "w") as handle:
        handle.write("x,group,y\n")
        for label, points in groups.items():
            for x, y in points:
                handle.write(f"{float(x)!r},{label},{float(y)!r}\n")
    return groups, path


def test_files_to_csv_match_pot_and_the_library(capsys, tmp_path, files):
    sets, paths = files
    out = tmp_path / "m.csv"
    code, stdout, err = run(capsys, "pairwise", *paths, "--kind", "wasserstein", "--out", out)
    assert code == 0, err
    assert "3x3 wasserstein matrix saved" in stdout
    columns, labels, values = read_matrix(out)
    assert columns == labels == ["day0", "day1", "day2"]
    expected = dv.pairwise(sets, kind="wasserstein")
    np.testing.assert_allclose(values, expected.values, rtol=0, atol=1e-12)
    for i, a in enumerate(labels):
        for j, b in enumerate(labels):
            if i != j:
                assert values[i, j] == pytest.approx(emd_w1(sets[a], sets[b]), rel=1e-9)


def test_printed_matrix(capsys, files):
    _, paths = files
    code, stdout, _ = run(capsys, "pairwise", *paths, "--kind", "js", "--base", "2")
    assert code == 0
    lines = stdout.strip().splitlines()
    assert lines[0].split() == ["day0", "day1", "day2"]
    assert lines[1].split()[:2] == ["day0", "0"]
    assert lines[-1] == "(js, bits; method: knn)"


def test_label_column_by_name_and_position(capsys, tmp_path, table):
    groups, path = table
    for column in ("group", "1"):
        out = tmp_path / f"m{column}.csv"
        code, _, err = run(capsys, "pairwise", path, "--label-column", column, "--out", out)
        assert code == 0, err
        columns, labels, values = read_matrix(out)
        assert labels == columns == ["b", "a"]  # order of first appearance
        assert values[0, 1] == pytest.approx(emd_w1(groups["b"], groups["a"]), rel=1e-9)


def test_label_column_defaults_to_the_first(capsys, tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("who\tv\nx\t0.0\nx\t1.0\ny\t5.0\ny\t6.0\n")
    code, stdout, err = run(capsys, "pairwise", path, "--label-column")
    assert code == 0, err
    assert stdout.splitlines()[1].split() == ["x", "0", "5"]


def test_heatmap_is_saved(capsys, tmp_path, files):
    pytest.importorskip("matplotlib")
    _, paths = files
    plot = tmp_path / "h.png"
    code, stdout, err = run(capsys, "pairwise", *paths, "--plot", plot)
    assert code == 0, err
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scheduler_and_options_reach_pairwise(capsys, files, monkeypatch):
    _, paths = files
    seen = {}
    real = dv.pairwise

    def fake(sets, **kwargs):
        seen.update(kwargs, labels=list(sets))
        return real(sets, kind=kwargs["kind"])

    monkeypatch.setattr(dv, "pairwise", fake)
    code, _, err = run(capsys, "pairwise", *paths, "--kind", "kl", "--scheduler", "local",
                       "--option", "k=5", "--seed", "3")
    assert code == 0, err
    assert seen["client"] == "local" and seen["k"] == 5 and seen["rng"] == 3
    assert seen["labels"] == ["day0", "day1", "day2"]


@pytest.mark.parametrize("argv, words", [
    (["TABLE", "TABLE2", "--label-column", "group"], ["exactly one FILE"]),
    (["TABLE", "--label-column", "nope"], ["no column 'nope'", "'group'"]),
    (["TABLE", "--label-column", "group", "--base", "2"], ["--base applies to"]),
    (["TABLE", "--label-column", "group", "--out", "MISSING/m.csv"], ["--out", "does not exist"]),
    (["TABLE", "--label-column", "group", "--out", "m.txt"], ["--out", ".csv"]),
    (["TABLE", "--label-column", "group", "--method", "nope"], ["unknown method 'nope'"]),
])
def test_errors_are_one_clear_line(capsys, tmp_path, table, argv, words):
    _, path = table
    places = {"TABLE": str(path), "TABLE2": str(path), "MISSING/m.csv": str(tmp_path / "no/m.csv")}
    code, _, err = run(capsys, "pairwise", *(places.get(a, a) for a in argv))
    assert code == 2 and "Traceback" not in err
    for word in words:
        assert word in err, (word, err)


def test_mismatched_dimensions_name_the_files(capsys, tmp_path):
    np.save(tmp_path / "flat.npy", np.zeros((5, 2)))
    np.save(tmp_path / "deep.npy", np.zeros((5, 3)))
    code, _, err = run(capsys, "pairwise", tmp_path / "flat.npy", tmp_path / "deep.npy")
    assert code == 2 and "'deep' has points of dimension 3" in err


def test_bad_row_in_labelled_table(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("g,x\na,1.0\na,nan\n")
    code, _, err = run(capsys, "pairwise", path, "--label-column")
    assert code == 2 and "line 3" in err and "'nan'" in err


@pytest.mark.parametrize("kind", list(dv.DIVERGENCES))
def test_pairwise_works_for_every_kind(capsys, tmp_path, files, kind):
    # The CLI passes method="auto" to every kind; sinkhorn refused it once (issue 19).
    sets, paths = files
    extra = {"sinkhorn": ["--option", "eps=0.5"]}.get(kind, [])
    out_path = tmp_path / "m.csv"
    code, _, err = run(capsys, "pairwise", *paths, "--kind", kind, *extra, "--out", out_path)
    assert code == 0, err
    _, labels, values = read_matrix(out_path)
    options = cli.parse_options(extra[1::2])
    expected = dv.divergence(sets["day0"], sets["day2"], kind, **options)
    # Same computation, on a worker thread: equal up to summation order.
    assert values[labels.index("day0"), 2] == pytest.approx(float(expected), rel=1e-12)


def test_return_plan_is_refused(capsys, files):
    # The plans were computed and silently dropped (issue 19).
    _, paths = files
    code, out, err = run(capsys, "pairwise", *paths, "--option", "return_plan=true")
    assert code == 2 and "Traceback" not in err and not out
    assert "return_plan" in err and "divergences compute" in err


def test_test_flag_writes_the_library_adjusted_pvalues(capsys, tmp_path, files):
    sets, paths = files
    out = tmp_path / "m.csv"
    code, stdout, _ = run(capsys, "pairwise", *paths, "--kind", "energy_distance", "--test",
                          "--permutations", 99, "--seed", 4, "--correction", "fdr_bh",
                          "--out", out)
    assert code == 0 and "fdr_bh-adjusted p-values saved" in stdout
    _, labels, adjusted = read_matrix(tmp_path / "m.pvalues.csv")
    expected = dv.pairwise(sets, kind="energy_distance", test=True, n_permutations=99, rng=4,
                           correction="fdr_bh")
    assert labels == list(sets)
    np.testing.assert_array_equal(adjusted, expected.adjusted_pvalues)
    code, stdout, _ = run(capsys, "pairwise", *paths, "--kind", "energy_distance", "--test",
                          "--permutations", 99, "--seed", 4)
    assert code == 0 and "holm-adjusted" in stdout


def test_test_options_need_the_test_flag(capsys, files):
    _, paths = files
    code, _, err = run(capsys, "pairwise", *paths, "--permutations", 99)
    assert code == 2 and "add --test" in err
