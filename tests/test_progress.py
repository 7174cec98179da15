"""``progress=`` of the long single solves: exact OT (auction phases) and Sinkhorn (iterations).

A report must not change the answer: every test compares with the same solve
without one, to the last bit.
"""

import numpy as np
import pytest

import divergences as dv


@pytest.fixture(scope="module")
def clouds():
    rng = np.random.default_rng(5)
    return rng.normal(size=(300, 2)), rng.normal(size=(200, 2)) + [1.0, 0.0]


def _recorder():
    seen = []
    return seen, lambda *report: seen.append(report)


def _assert_counted_from_one(reports):
    for stage in {stage for stage, _, _ in reports}:
        steps = [step for name, step, _ in reports if name == stage]
        assert steps == list(range(1, len(steps) + 1)), stage


def test_sinkhorn_divergence_reports_each_problem(clouds):
    x, y = clouds
    seen, record = _recorder()
    reported = dv.sinkhorn_divergence(x, y, eps=0.1, progress=record)
    plain = dv.sinkhorn_divergence(x, y, eps=0.1)
    assert float(reported) == float(plain) and reported.n_iter == plain.n_iter
    assert [stage for stage, step, _ in seen if step == 1] == ["OT(p, p)", "OT(q, q)", "OT(p, q)"]
    _assert_counted_from_one(seen)
    # Each problem's last report is its converged marginal error.
    for stage in ("OT(p, p)", "OT(q, q)", "OT(p, q)"):
        assert [error for name, _, error in seen if name == stage][-1] <= 1e-6


def test_sinkhorn_wasserstein_reports_its_iterations(clouds):
    x, y = clouds
    seen, record = _recorder()
    reported = dv.wasserstein(x, y, method="sinkhorn", eps=0.1, progress=record)
    assert float(reported) == float(dv.wasserstein(x, y, method="sinkhorn", eps=0.1))
    assert {stage for stage, _, _ in seen} == {"OT(p, q)"} and seen[-1][2] <= 1e-6
    _assert_counted_from_one(seen)


def test_auction_reports_its_eps_scaling_phases(clouds):
    x, _ = clouds
    y = x[::-1] + [0.6, 0.8]
    seen, record = _recorder()
    reported = dv.wasserstein(x, y, progress=record, solver="auction")
    assert reported.details["solver"] == "auction"
    assert float(reported) == float(dv.wasserstein(x, y, solver="auction"))
    assert seen and {stage for stage, _, _ in seen} == {"auction"}
    _assert_counted_from_one(seen)
    eps = [error for _, _, error in seen]
    assert eps == sorted(eps, reverse=True) and eps[-1] == reported.details["final_eps"]


def test_network_simplex_reports_once_when_done(clouds):
    x, y = clouds  # weighted: the network simplex, not the auction
    weights = np.linspace(1.0, 2.0, len(x))
    seen, record = _recorder()
    reported = dv.wasserstein(dv.Samples(x, weights), y, progress=record)
    assert reported.details["solver"] == "network_simplex"
    assert seen == [("network_simplex", 1, reported.details["duality_gap"])]


def test_progress_true_shows_a_bar(capsys, clouds):
    pytest.importorskip("tqdm")
    x, y = clouds
    dv.wasserstein(x, y, method="sinkhorn", eps=0.1, progress=True)
    assert "sinkhorn" in capsys.readouterr().err


def test_bad_progress_is_refused(clouds):
    x, y = clouds
    with pytest.raises(TypeError, match="progress must be True, False or a callable"):
        dv.wasserstein(x, y, progress="yes")
