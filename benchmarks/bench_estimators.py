"""Calibration of the sample estimators: bias, spread, RMSE and interval coverage.

    python benchmarks/bench_estimators.py                 # the full grid (hours)
    python benchmarks/bench_estimators.py --quick         # d = 2, 5; n = 500, 2,000; 5 seeds
    python benchmarks/bench_estimators.py --dims 5 --sizes 5000 --pairs mean_shift,mixture
    python benchmarks/bench_estimators.py --kinds js --estimators auto --raw js.jsonl
    python benchmarks/bench_estimators.py --bounds js.jsonl   # the bias-bound tables

For every cell (pair, dimension d, sample size n = m) and every estimator, the
estimate is computed on ``--seeds`` independent draws and compared with the
pair's known truth (:mod:`divergences.testing`'s calibration pairs: Gaussian
mean shift and scale change, a mixture, Student-t tails, log-normal marginals,
a banana-shaped pair). Per cell it prints

* ``bias`` -- mean estimate minus truth, with its own Monte Carlo error
  (sd / sqrt(seeds)) so that a small bias can be told from noise;
* ``sd`` -- the spread of the estimates over seeds;
* ``rmse`` -- sqrt(bias^2 + sd^2);
* ``se`` -- the mean standard error the estimator reported (compare with sd:
  equal when the stderr is calibrated as sampling noise);
* ``cover`` -- the share of seeds whose 95% interval contains the truth: the
  result's ``ci`` where it has one, else value +- 1.96 stderr. Bias that the
  stderr does not include shows up here;
* ``flagged`` -- the share of seeds whose result failed the estimator's own
  checks (``details["reliable"] is False``: the k-NN KL's subsample trend, the
  heavy-tail check); its ``ci`` is then the divergence's whole range (or, for
  heavy tails, keeps only its lower end);
* ``time`` -- mean wall seconds per estimate.

Estimators: the library's default on two sample sets (``auto``: for KL the
corrected k-NN variant), the fixed (Wang--Kulkarni--Verdu) and adaptive k-NN
variants (KL), the classifier estimator, the default on samples of P against
the density of Q (and, for KL, with the Kozachenko--Leonenko entropy of the
"fixed" variant) and on P's density against Q's samples, and universal-divergence's k-NN ``estimate`` (when
installed: ``pip install universal-divergence``) on the same draws.

``--raw FILE`` appends one JSON line per estimate (value, stderr, ci and the
details an interval is built from), so that intervals can be rebuilt on the same
draws; ``--bounds FILE`` prints, from such a file, the tables of
:mod:`divergences._bias_bounds` (see :func:`bias_bounds`).

Benchmarks are not tests; the tolerances the test-suite asserts on a few cells
are derived from the number of seeds there.
"""

import argparse
import json
import math
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import divergences as dv  # noqa: E402
from _harness import machine_line, markdown_table  # noqa: E402
from divergences.testing import calibration_pairs  # noqa: E402

Z95 = 1.959963984540054


def _interval(result):
    """The result's 95% interval: its ``ci`` when it has one, else value +- 1.96 stderr."""
    ci = getattr(result, "ci", None)
    if ci is not None:
        return float(ci[0]), float(ci[1])
    value, se = float(result), result.stderr
    if se is None or not math.isfinite(se):
        return None  # no interval: coverage is not defined
    return value - Z95 * se, value + Z95 * se


def _library(kind, *, random=False, against_density=False, density_first=False, **options):
    """The library's estimator of ``kind``; ``random``: it draws (pass the seed's rng).

    ``against_density``: P's samples against Q's density; ``density_first``:
    P's density against Q's samples.
    """
    function = dv.kl_divergence if kind == "kl" else dv.js_divergence

    def estimate(x, y, pair, rng):
        extra = {"rng": rng} if random else {}
        if density_first:
            result = function(pair.p, y, **extra, **options)
        else:
            result = function(x, pair.q if against_density else y, **extra, **options)
        flagged = result.details.get("reliable") is False
        return float(result), float(result.stderr), _interval(result), flagged, result.details

    return estimate


def _universal_divergence(x, y, pair, rng):
    from universal_divergence import estimate

    return float(estimate(x, y, k=1)), math.nan, None, False, {}


def estimators(kind, with_peers):
    table = {f"dv {kind} auto": _library(kind)}
    if kind == "kl":  # the variants exist for KL only
        table["dv kl knn fixed (WKV)"] = _library(kind, method="knn", variant="fixed")
        table["dv kl knn adaptive"] = _library(kind, method="knn", variant="adaptive")
    table[f"dv {kind} classifier"] = _library(kind, method="classifier", random=True)
    # JS draws from the density for its estimate (KL against a density only for its
    # tail check): pass the seed's rng so that a rerun gives the same estimates.
    table[f"dv {kind} samples vs density"] = _library(kind, random=kind == "js",
                                                      against_density=True)
    if kind == "js":
        table["dv js density vs samples"] = _library(kind, random=True, density_first=True)
    if kind == "kl":
        table["dv kl density vs samples"] = _library(kind, random=True, density_first=True)
        table["dv kl samples vs density, fixed (KL entropy)"] = _library(
            kind, against_density=True, variant="fixed")
    if kind == "kl" and with_peers:
        try:
            import universal_divergence  # noqa: F401
        except ImportError:
            print("universal-divergence is not installed: its rows are left out.")
        else:
            table["universal-divergence (k=1)"] = _universal_divergence
    return table


#: The entries of ``details`` that ``--raw`` keeps per seed (the inputs of an interval
#: rebuilt offline, e.g. with another bias bound, on the same draws).
RAW_DETAILS = ("bias_bound", "reliable", "heavy_tail", "trend")


def _raw_record(details):
    return {key: details[key] for key in RAW_DETAILS if key in details}


def run_cell(pair, truth, n, seeds, table, rng_root, raw=None):
    """Every estimator of ``table`` on the same ``seeds`` draws of ``pair``.

    ``raw``: a list that gets one dict per (seed, estimator) -- value, stderr,
    interval and the details of :data:`RAW_DETAILS` -- for ``--raw``.
    """
    rows = {name: [] for name in table}
    for seed in range(seeds):
        rng = np.random.default_rng([rng_root, seed])
        x, y = pair.sample(n, rng=rng)
        for name, estimate in table.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    value, se, interval, flagged, details = estimate(
                        x, y, pair, np.random.default_rng(seed))
                except Exception as exc:  # a failed estimate is a row, not a crash
                    value, se, interval, flagged, details = math.nan, math.nan, None, False, {}
                    print(f"  {name} failed on {pair.description}, n={n}: {exc}", file=sys.stderr)
            covered = math.nan if interval is None else float(interval[0] <= truth <= interval[1])
            elapsed = time.perf_counter() - start
            rows[name].append((value, se, covered, elapsed, flagged))
            if raw is not None:
                raw.append({"estimator": name, "seed": seed, "value": value, "stderr": se,
                            "ci": interval, "truth": truth, "time": elapsed,
                            **_raw_record(details)})
    return rows


def _mean_finite(values):
    values = np.asarray(values, dtype=float)
    return float(values[np.isfinite(values)].mean()) if np.isfinite(values).any() else math.nan


def _percent(share):
    return "n/a" if not math.isfinite(share) else f"{share:.0%}"


def summarise(records, truth):
    values = np.array([r[0] for r in records])
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    bias = finite.mean() - truth
    sd = finite.std(ddof=1) if finite.size > 1 else math.nan
    return {
        "bias": bias,
        "bias_error": sd / math.sqrt(finite.size) if finite.size > 1 else math.nan,
        "sd": sd,
        "rmse": math.sqrt(bias**2 + (sd if math.isfinite(sd) else 0.0) ** 2),
        "se": _mean_finite([r[1] for r in records]),
        "cover": float(np.mean([r[2] for r in records])),  # NaN: no interval reported
        "time": float(np.mean([r[3] for r in records])),
        "flagged": float(np.mean([r[4] for r in records])),
        "failed": int(values.size - finite.size),
    }


#: The pairs a bias bound is measured on: all but the heavy tails, which the k-NN
#: estimators' heavy-tail check flags instead (divergences._tail_index).
BOUND_PAIRS = ("mean_shift", "scale_change", "mixture", "log_normal", "banana")


def bias_bounds(raw_path, z=Z95):
    """The bias-bound tables of :mod:`divergences._bias_bounds` from a ``--raw`` file.

    Per estimator and cell (d, n), the largest over :data:`BOUND_PAIRS` of
    ``|bias| + z max(0, sd - se)``: the bias over seeds, plus what the reported
    standard error lacks against the spread over seeds (none where the stderr is
    conservative, as the k-NN KL's jackknife is). An interval
    ``value +- (z se + bound)`` then covers each of those pairs as often as
    ``value +- (z sd + |bias|)`` does: at least 95% where the estimates are normal.

    Returns
    -------
    dict
        ``{estimator: {(d, n): bound}}``, rounded up to 3 decimals.
    """
    cells = {}
    with open(raw_path) as source:
        for line in source:
            record = json.loads(line)
            if record["pair"] not in BOUND_PAIRS or not math.isfinite(record["value"]):
                continue
            key = (record["estimator"], record["d"], record["n"], record["pair"])
            cells.setdefault(key, []).append(record)
    tables = {}
    for (name, dim, n, _), records in cells.items():
        values = np.array([r["value"] for r in records])
        bias = abs(values.mean() - records[0]["truth"])
        shortfall = max(0.0, values.std(ddof=1) - float(np.mean([r["stderr"] for r in records])))
        bound = math.ceil(1000 * (bias + z * shortfall)) / 1000
        table = tables.setdefault(name, {})
        table[(dim, n)] = max(table.get((dim, n), 0.0), bound)
    return {name: dict(sorted(table.items())) for name, table in tables.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", default="1,2,5,10")
    parser.add_argument("--sizes", default="500,5000,50000")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--kinds", default="kl,js")
    parser.add_argument("--pairs", default=None,
                        help="comma-separated pair names (default: the whole panel)")
    parser.add_argument("--no-peers", action="store_true", help="leave universal-divergence out")
    parser.add_argument("--estimators", default=None,
                        help="comma-separated words; keep the estimators whose name has one")
    parser.add_argument("--quick", action="store_true", help="d = 2, 5; n = 500, 2,000; 5 seeds")
    parser.add_argument("--raw", default=None,
                        help="file to append one JSON line per estimate to (value, stderr, ci)")
    parser.add_argument("--bounds", default=None, metavar="RAW",
                        help="print the bias-bound tables built from a --raw file, and stop")
    args = parser.parse_args(argv)
    if args.bounds is not None:
        for name, table in bias_bounds(args.bounds).items():
            print(f"{name}: {table}")
        return
    if args.quick:
        args.dims, args.sizes, args.seeds = "2,5", "500,2000", 5
    dims = [int(v) for v in args.dims.split(",")]
    sizes = [int(v) for v in args.sizes.split(",")]
    wanted = None if args.pairs is None else set(args.pairs.split(","))

    print(f"# Estimator calibration -- {machine_line()}, {time.strftime('%Y-%m-%d')}")
    print(f"{args.seeds} seeds a cell; n = m; coverage of the truth by the 95% interval.\n")
    summary = {}
    for kind in args.kinds.split(","):
        table = estimators(kind, not args.no_peers)
        if args.estimators is not None:
            words = args.estimators.split(",")
            table = {name: f for name, f in table.items() if any(w in name for w in words)}
        header = ["pair", "d", "n", "estimator", "truth", "bias (± mc)", "sd", "rmse", "se",
                  "cover", "flagged", "time"]
        lines = []
        for dim in dims:
            for pair in calibration_pairs(dim):
                label = pair.name + (f"(df={pair.p.df:g})" if pair.name == "student_t" else "")
                if wanted is not None and pair.name not in wanted:
                    continue
                truth = getattr(pair, kind)
                for n in sizes:
                    raw = None if args.raw is None else []
                    rows = run_cell(pair, truth, n, args.seeds, table, rng_root=dim * 1000 + n,
                                    raw=raw)
                    if raw:
                        with open(args.raw, "a") as sink:
                            for record in raw:
                                sink.write(json.dumps({"kind": kind, "pair": label, "d": dim,
                                                       "n": n, **record}, default=str) + "\n")
                    for name, records in rows.items():
                        stats = summarise(records, truth)
                        if stats is None:
                            lines.append([label, dim, n, name, f"{truth:.4f}", "failed",
                                          "", "", "", "", "", ""])
                            continue
                        summary.setdefault((kind, name), []).append(stats)
                        lines.append([
                            label, dim, n, name, f"{truth:.4f}",
                            f"{stats['bias']:+.4f} ± {stats['bias_error']:.4f}",
                            f"{stats['sd']:.4f}", f"{stats['rmse']:.4f}", f"{stats['se']:.4f}",
                            _percent(stats["cover"]), _percent(stats["flagged"]),
                            f"{stats['time']:.3f} s",
                        ])
                    print(f"  done: {kind} {label} d={dim} n={n}", file=sys.stderr)
        print(f"## {kind.upper()}\n")
        print(markdown_table(header, lines))
        print()

    print("## Summary over all cells\n")
    rows = []
    for (kind, name), cells in summary.items():
        rows.append([kind, name, len(cells),
                     f"{np.mean([abs(c['bias']) for c in cells]):.4f}",
                     f"{max(abs(c['bias']) for c in cells):.4f}",
                     _percent(np.mean([c["cover"] for c in cells])),
                     _percent(min(c["cover"] for c in cells)),
                     _percent(np.mean([c["flagged"] for c in cells]))])
    print(markdown_table(["kind", "estimator", "cells", "mean |bias|", "max |bias|",
                          "mean cover", "min cover", "mean flagged"], rows))


if __name__ == "__main__":
    main()
