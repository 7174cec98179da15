"""`divergences test X Y`: the p-value of dv.two_sample_test, readably or as JSON; clear errors."""

import json

import numpy as np

import divergences as dv
from divergences import cli


def _files(tmp_path, shift):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 2)), rng.normal(size=(50, 2)) + [shift, 0.0]
    np.save(tmp_path / "x.npy", x)
    np.savetxt(tmp_path / "y.csv", y, delimiter=",")
    return x, y, str(tmp_path / "x.npy"), str(tmp_path / "y.csv")


def test_json_matches_the_library(tmp_path, capsys):
    x, y, fx, fy = _files(tmp_path, 1.0)
    code = cli.main(["test", fx, fy, "--permutations", "49", "--seed", "3", "--json"])
    out = json.loads(capsys.readouterr().out)
    expected = dv.two_sample_test(x, y, n_permutations=49, rng=3)
    assert code == 0
    assert out["pvalue"] == expected.pvalue == 0.02
    assert out["statistic"]["value"] == expected.statistic.value
    assert out["null_method"] == "pooled kernel sums"
    assert out["standardize"] == expected.details["standardize"]
    assert out["standardize"]["rule"] == "whiten"


def test_readable_output_and_options(tmp_path, capsys):
    _, _, fx, fy = _files(tmp_path, 0.0)
    code = cli.main(["test", fx, fy, "--kind", "mmd", "--option", "bandwidth=0.5",
                     "--permutations", "19", "--seed", "1", "--standardize"])
    out = capsys.readouterr().out
    assert code == 0 and "p-value" in out and "19 permutations" in out and "standardize: scale" in out


def test_errors_are_one_line(tmp_path, capsys):
    _, _, fx, fy = _files(tmp_path, 0.0)
    code = cli.main(["test", fx, fy, "--kind", "wasserstein", "--method", "gaussian"])
    err = capsys.readouterr().err
    assert code == 2 and "error" in err and "Traceback" not in err
    assert cli.main(["test", fx, fy, "--permutations", "0"]) == 2
