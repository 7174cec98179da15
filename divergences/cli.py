"""The ``divergences`` command.

Sub-commands:

``divergences compute X Y --kind kl``
    A divergence between two sample files (``.npy``, ``.csv``, ``.tsv`` or
    whitespace-separated ``.txt``), printed readably or as JSON.
``divergences parallel-lines``
    The parallel-lines example: true W_1, JS and KL against theta next to the
    values the library computes, as a table and a plot.
``divergences methods``
    Every divergence and its methods, marking those not implemented yet.
``divergences test X Y --kind energy_distance``
    A permutation two-sample test: the statistic and its p-value.
``divergences pairwise FILE... --kind js``
    The matrix of a divergence between every pair of sample files (or of the
    sets of one labelled table), on threads or a dask cluster; as CSV, and as
    a heatmap.

Every error in the input (a missing file, a bad value, a method that does not
apply) is reported on stderr as one line naming the culprit, with exit code
2 and no traceback. :func:`main` returns the exit code instead of exiting, so
that it can be called from Python.
"""

import argparse
import contextlib
import json
import logging
import math
import os
import sys

import numpy as np

from ._cli_io import SampleFileError, load_labelled_samples, load_samples, result_to_dict
from ._parallel_lines_report import (
    format_parallel_lines,
    parallel_lines_json,
    parallel_lines_rows,
    plot_parallel_lines,
    plot_training,
)

__all__ = ["main"]

PROG = "divergences"
EXIT_OK = 0
EXIT_ERROR = 2


class CliError(Exception):
    """An error in the user's input: reported as one line, exit code 2."""


# --------------------------------------------------------------------------- options


def _parse_value(text):
    """Turn an option's text into an int, float, bool, None or, failing those, a string."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def parse_options(pairs):
    """Parse repeated ``--option key=value`` arguments into a dict."""
    options = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise CliError(f"--option {pair!r} must have the form key=value, e.g. --option k=5.")
        if key in ("method", "base", "order", "kind"):
            raise CliError(f"--option {key}=... : use --{key} instead.")
        if key in options:
            raise CliError(f"--option {key} is given twice.")
        options[key] = _parse_value(value)
    return options


def _finite_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not finite")
    return value


def _integer_at_least(minimum):
    """An argparse type: an integer ``>= minimum``."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


_positive_int = _integer_at_least(1)
_seed = _integer_at_least(0)


def _thetas(text):
    """``a,b,c`` (a list) or ``start:stop:count`` (evenly spaced, ends included)."""
    text = text.strip()
    if text.count(":") == 2 and "," not in text:
        start, stop, count = text.split(":")
        count = _positive_int(count)
        values = np.linspace(_finite_float(start), _finite_float(stop), count).tolist()
    else:
        values = [_finite_float(item) for item in text.split(",") if item.strip()]
    if not values:
        raise argparse.ArgumentTypeError("give at least one value, e.g. -1,0,1 or -1:1:11")
    return values


def _join_negative_values(argv):
    # argparse reads "--thetas -1,0,1" as an option followed by an unknown option "-1,0,1".
    joined = []
    tokens = iter(argv)
    for token in tokens:
        if token == "--thetas":
            value = next(tokens, None)
            if value is None or value.startswith("--"):
                joined.append(token)  # argparse reports the missing value
                token = value
            else:
                token = f"--thetas={value}"
        if token is not None:
            joined.append(token)
    return joined


# --------------------------------------------------------------------------- results


def _format_result(result, labels):
    lines = [
        ("divergence", result.divergence),
        ("value", f"{result.value!r} {result.unit}"),
        ("method", result.method),
        ("sizes", ", ".join(f"{label}: {size}" for label, size in zip(labels, result.sizes))),
    ]
    if result.stderr is None:
        lines.append(("stderr", "unknown"))
    elif result.stderr == 0.0:
        lines.append(("stderr", "0 (exact)"))
    else:
        lines.append(("stderr", f"{result.stderr:.4g}"))
    if hasattr(result, "order"):
        lines.append(("order", f"{result.order:g}"))
        lines.append(("cost", f"{result.cost!r} (W_p to the power p)"))
        if result.n_iter is not None:
            lines.append(("iterations", str(result.n_iter)))
        if result.plan is not None:
            n, m = result.plan.shape
            lines.append(("plan", f"{n} x {m} matrix (add --json to print it)"))
    if not result.converged:
        lines.append(("converged", "NO: the solver stopped before meeting its tolerance"))
    if result.note:
        lines.append(("note", result.note))
    width = max(len(key) for key, _ in lines)
    return "\n".join(f"{key:<{width}}  {value}" for key, value in lines)


# --------------------------------------------------------------------------- compute


def _library_call(function, *args, **kwargs):
    """Call into the library, turning input errors into :class:`CliError`.

    The library reports bad input as ValueError (its own errors subclass it),
    options a method does not take as TypeError, methods not built yet as
    NotImplementedError, and dense problems too large as MemoryError.
    """
    try:
        return function(*args, **kwargs)
    except (ValueError, TypeError, NotImplementedError, MemoryError) as exc:
        raise CliError(str(exc)) from None


def _divergence_options(args):
    """Library options from ``--option``, ``--base`` and ``--order``, checked against ``--kind``."""
    from .registry import kinds_taking

    options = parse_options(args.option)
    for name in ("base", "order"):  # the kinds whose records take the option
        value = getattr(args, name)
        if value is None:
            continue
        kinds = kinds_taking(name)
        if args.kind not in kinds:
            raise CliError(f"--{name} applies to {', '.join(kinds)} only, not {args.kind!r}.")
        options[name] = value
    return options


def load_sample_pair(args):
    """The sample sets in the files ``args.x`` and ``args.y``, of one dimension."""
    try:
        x = load_samples(args.x, "X")
        y = load_samples(args.y, "Y")
    except SampleFileError as exc:
        raise CliError(str(exc)) from None
    if x.shape[1] != y.shape[1]:
        raise CliError(
            f"X ({args.x!r}) has points of dimension {x.shape[1]} but Y ({args.y!r}) of "
            f"dimension {y.shape[1]}; both must have the same number of columns."
        )
    return x, y


def _cmd_compute(args):
    import divergences as dv

    x, y = load_sample_pair(args)
    options = _divergence_options(args)
    result = _library_call(
        dv.divergence, dv.Samples(x), dv.Samples(y), args.kind, method=args.method, **options
    )
    if args.json:
        print(json.dumps(result_to_dict(result), indent=2, allow_nan=False))
    else:
        print(_format_result(result, ("X", "Y")))
    return EXIT_OK


def _training_progress():
    """tqdm bars on a terminal (where tqdm is installed); else one stderr line per objective."""
    if sys.stderr.isatty():
        try:
            import tqdm  # noqa: F401
        except ImportError:
            pass
        else:
            return True

    def report(name, index, total):
        print(f"{PROG}: training against {name} ({index + 1}/{total}) ...", file=sys.stderr,
              flush=True)

    return report


def _cmd_parallel_lines(args):
    plot_path = None if args.no_plot else (args.plot or "parallel_lines.png")
    if plot_path is not None:
        folder = os.path.dirname(os.path.abspath(plot_path))
        if not os.path.isdir(folder):
            raise CliError(f"--plot {plot_path!r}: the folder {folder!r} does not exist.")
        if os.path.splitext(plot_path)[1].lower() not in (".png", ".pdf", ".svg"):
            raise CliError(f"--plot {plot_path!r}: give a .png, .pdf or .svg file name.")
    from .results import _unit_name

    unit = _unit_name(args.base)
    thetas = args.thetas if args.thetas is not None else np.linspace(-1.0, 1.0, 11).tolist()
    rows = parallel_lines_rows(thetas, args.n, seed=args.seed, n_grid=args.grid, base=args.base)
    meta = dict(n=args.n, seed=args.seed, n_grid=args.grid, unit=unit)
    if args.json:
        print(json.dumps(parallel_lines_json(rows, **meta), indent=2, allow_nan=False))
    else:
        print(format_parallel_lines(rows, **meta))
    experiment = None
    if args.train_steps > 0:
        from .gan import parallel_lines_experiment

        if not args.json:
            # Before training, which takes a while: the reader knows what is coming.
            print(f"\nTraining g_theta(z) = (theta, z) from theta = 1, {args.train_steps} "
                  "plain gradient steps per objective:", flush=True)
        experiment = parallel_lines_experiment(
            steps=args.train_steps, rng=args.seed, progress=_training_progress()
        )
        if not args.json:
            print(experiment.summary())
    if plot_path is None:
        return EXIT_OK
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        message = (
            "matplotlib is not installed, so no plot was saved; install it "
            "(pip install matplotlib) or pass --no-plot."
        )
        if args.plot:
            raise CliError(message) from None
        print(f"{PROG}: note: {message}", file=sys.stderr)
        return EXIT_OK
    try:
        plot_parallel_lines(rows, plot_path, n=args.n, unit=unit, base=args.base)
        saved = [plot_path]
        if experiment is not None:
            stem, suffix = os.path.splitext(plot_path)
            saved.append(f"{stem}_training{suffix}")
            plot_training(experiment, saved[-1])
    except OSError as exc:
        raise CliError(f"--plot {plot_path!r}: could not save the figure ({exc}).") from None
    label = "Plot saved to" if len(saved) == 1 else "Plots saved to"
    print(f"{label} {', '.join(saved)}", file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


# --------------------------------------------------------------------------- methods


def method_tables():
    """Each divergence kind with its method table, from its registry record."""
    from .registry import DIVERGENCE_INFO

    return {kind: info.methods for kind, info in DIVERGENCE_INFO.items()}


def is_planned(method):
    """True for a method whose computation is the ``planned`` placeholder."""
    return not method.implemented


def _cmd_methods(args):
    from ._options import describe
    from .registry import DIVERGENCE_INFO, UNIT_KINDS

    for kind, info in DIVERGENCE_INFO.items():
        function = info.function
        print(f"{kind}  ({function.__module__.split('.')[0]}.{function.__name__})"
              + (f": {info.summary}" if info.summary else ""))
        facts = ["symmetric" if info.symmetric else "not symmetric",
                 f"unit: {UNIT_KINDS[info.unit_kind]}"]
        if info.options:
            facts.append("options: " + ", ".join(info.options))
        if info.gan_objective is not None:
            facts.append(f"GAN objective: {info.gan_objective_name!r}")
        print(f"    ({'; '.join(facts)})")
        table = info.methods
        width = max(len(m.name) for m in table)
        for method in table:
            flags = []
            if not method.auto:
                flags.append("named only")
            if is_planned(method):
                flags.append("NOT IMPLEMENTED YET")
            tail = f"  [{', '.join(flags)}]" if flags else ""
            print(f"    {method.name:<{width}}  needs {method.requires}{tail}")
            for line in describe(method.options):
                print(f"        {line}")
    print("\nmethod='auto' picks the first applicable method not marked 'named only'; "
          "pass a method's options with --option name=value.")
    return EXIT_OK


# --------------------------------------------------------------------------- pairwise


def _pairwise_sets(args):
    """``{label: array}`` from the files, or from one table with a label column."""
    try:
        if args.label_column is not None:
            if len(args.files) != 1:
                raise CliError("--label-column reads one table; give exactly one FILE.")
            column = args.label_column or None
            sets = load_labelled_samples(args.files[0], column)
        else:
            stems = [os.path.splitext(os.path.basename(path))[0] for path in args.files]
            # File names label the sets; the paths as given, where two names clash.
            labels = stems if len(set(stems)) == len(stems) else list(args.files)
            if len(set(labels)) != len(labels):
                raise CliError("a file is given twice; give each sample file once.")
            sets = {label: load_samples(path, label) for label, path in zip(labels, args.files)}
    except SampleFileError as exc:
        raise CliError(str(exc)) from None
    dims = {label: x.shape[1] for label, x in sets.items()}
    if len(set(dims.values())) > 1:
        first = next(iter(dims))
        other = next(label for label, d in dims.items() if d != dims[first])
        raise CliError(
            f"{other!r} has points of dimension {dims[other]} but {first!r} of dimension "
            f"{dims[first]}; every set must have the same number of columns."
        )
    return sets


def _check_output(path, option, extensions):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CliError(f"{option} {path!r}: the folder {folder!r} does not exist.")
    if os.path.splitext(path)[1].lower() not in extensions:
        raise CliError(f"{option} {path!r}: give a {', '.join(extensions)} file name.")


def _write_matrix_csv(result, path, values=None):
    import csv

    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["label", *result.other_labels])
        for label, row in zip(result.labels, result.values if values is None else values):
            writer.writerow([label, *(repr(float(v)) for v in row)])


def _pvalues_path(path):
    """Where ``--out NAME.csv --test`` writes the adjusted p-values: ``NAME.pvalues.csv``."""
    return os.path.splitext(path)[0] + ".pvalues.csv"


def _format_matrix(result, values=None, caption=None):
    labels = [str(label) for label in result.labels]
    others = [str(label) for label in result.other_labels]
    cells = [[f"{v:.4g}" for v in row] for row in (result.values if values is None else values)]
    width = max(len(c) for c in others + [c for row in cells for c in row])
    first = max(len(label) for label in labels)
    lines = [" " * first + "  " + "  ".join(f"{c:>{width}}" for c in others)]
    lines += [f"{label:<{first}}  " + "  ".join(f"{c:>{width}}" for c in row)
              for label, row in zip(labels, cells)]
    methods = ", ".join(m for m in result.methods if m != "identical") or "identical"
    lines.append(caption or f"({result.kind}, {result.unit}; method: {methods})")
    return "\n".join(lines)


def plot_heatmap(result, path):
    """Save the matrix of ``result`` as a heatmap (:meth:`PairwiseResult.plot`)."""
    figure = result.plot().figure
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def _cmd_pairwise(args):
    import divergences as dv

    if args.out is not None:
        _check_output(args.out, "--out", (".csv",))
    if args.plot is not None:
        _check_output(args.plot, "--plot", (".png", ".pdf", ".svg"))
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise CliError(
                "--plot needs matplotlib, which is not installed (pip install matplotlib)."
            ) from None
    sets = _pairwise_sets(args)
    options = _divergence_options(args)
    if options.get("return_plan"):
        # The matrix holds one number per pair: the plans would be computed and dropped.
        raise CliError("--option return_plan: pairwise writes only the matrix of values; for "
                       "a pair's plan use `divergences compute X Y --option return_plan=true "
                       "--json`.")
    if args.seed is not None:
        options["rng"] = args.seed
    if args.test:
        options["test"] = True
        if args.permutations is not None:
            options["n_permutations"] = args.permutations
        if args.correction is not None:
            options["correction"] = args.correction
    elif args.permutations is not None or args.correction is not None:
        raise CliError("--permutations and --correction apply to --test; add --test.")
    try:
        result = _library_call(dv.pairwise, sets, kind=args.kind, method=args.method,
                               client=args.scheduler, workers=args.workers, **options)
    except ImportError as exc:  # --scheduler without dask installed
        raise CliError(str(exc)) from None
    if args.out is not None:
        try:
            _write_matrix_csv(result, args.out)
        except OSError as exc:
            raise CliError(f"--out {args.out!r}: could not write the matrix ({exc}).") from None
        print(f"{result.shape[0]}x{result.shape[1]} {result.kind} matrix saved to {args.out}")
        if args.test:
            pvalues_out = _pvalues_path(args.out)
            try:
                _write_matrix_csv(result, pvalues_out, result.adjusted_pvalues)
            except OSError as exc:
                raise CliError(f"--out {args.out!r}: could not write the p-values "
                               f"({exc}).") from None
            print(f"{result.correction}-adjusted p-values saved to {pvalues_out}")
    else:
        print(_format_matrix(result))
        if args.test:
            print(_format_matrix(result, result.adjusted_pvalues,
                                 f"(p-values of permutation tests, "
                                 f"{result.correction}-adjusted)"))
    if args.plot is not None:
        try:
            plot_heatmap(result, args.plot)
        except OSError as exc:
            raise CliError(f"--plot {args.plot!r}: could not save the figure ({exc}).") from None
        print(f"Heatmap saved to {args.plot}")
    if not result.all_converged:
        print(f"{PROG}: warning: {int((~result.converged).sum())} pair(s) did not converge.",
              file=sys.stderr)
    return EXIT_OK


# --------------------------------------------------------------------------- main


class _StderrNotes(logging.Handler):
    """Prints the library's INFO records (the first-compile notice) as one stderr line each."""

    def emit(self, record):
        # sys.stderr looked up now, not at start: tests and callers may swap it.
        print(f"{PROG}: note: {record.getMessage()}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _library_notes():
    """Show the ``divergences`` logger's notes on stderr while the command runs."""
    logger = logging.getLogger("divergences")
    handler = _StderrNotes(logging.INFO)
    level = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def add_divergence_arguments(parser, *, kind, method="auto"):
    """``--kind``, ``--method``, ``--order``, ``--base`` and ``--option``, from the registry.

    ``kind`` is the default kind (None: ``--kind`` is required); ``--order`` and
    ``--base`` name the kinds whose records take them.
    """
    from .registry import DIVERGENCES, kinds_taking

    if kind is None:
        parser.add_argument("--kind", required=True, choices=list(DIVERGENCES),
                            help="which divergence")
    else:
        parser.add_argument("--kind", default=kind, choices=list(DIVERGENCES),
                            help=f"which divergence (default {kind})")
    parser.add_argument("--method", default=method,
                        help="method name (default auto; see `divergences methods`)")
    parser.add_argument("--order", type=_finite_float, default=None,
                        help="order p of the cost |x - y|^p, for "
                        f"{', '.join(kinds_taking('order'))} (wasserstein: default 1; sinkhorn: "
                        "default 2)")
    parser.add_argument("--base", type=_finite_float, default=None,
                        help=f"logarithm base, for {', '.join(kinds_taking('base'))} "
                        "(2 for bits; default nats)")
    parser.add_argument("--option", action="append", metavar="KEY=VALUE",
                        help="a method's option, repeatable (e.g. --option k=5; see `divergences "
                        "methods`); numbers, true/false and none are converted")


def build_parser():
    """The argument parser of the ``divergences`` command."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="KL, Jensen-Shannon and Wasserstein divergences between samples.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    compute = commands.add_parser(
        "compute",
        help="a divergence between two sample files",
        description="Compute a divergence between the samples in files X and Y "
        "(.npy arrays, or .csv/.tsv/.txt tables with one sample per row and an optional "
        "header row).",
    )
    compute.add_argument("x", metavar="X", help="samples of P: shape (n,) or (n, d)")
    compute.add_argument("y", metavar="Y", help="samples of Q: shape (m,) or (m, d)")
    add_divergence_arguments(compute, kind=None)
    compute.add_argument("--json", action="store_true", help="print the result as JSON")
    compute.set_defaults(handler=_cmd_compute)

    lines = commands.add_parser(
        "parallel-lines",
        help="W_1, JS and KL for the parallel-lines example",
        description="The parallel-lines example (Arjovsky et al. 2017): P = law of (0, Z), "
        "Q_theta = law of (theta, Z), Z ~ U[0, 1]. Prints the true W_1, JS and KL against "
        "theta next to the values the library computes from samples and from the exact "
        "laws on a grid, and plots them.",
    )
    lines.add_argument("--n", type=_positive_int, default=500,
                       help="samples drawn from each line (default 500)")
    lines.add_argument("--thetas", type=_thetas, default=None,
                       help="comma-separated values, or start:stop:count "
                       "(default -1:1:11)")
    lines.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    lines.add_argument("--grid", type=_positive_int, default=500,
                       help="heights per line for the exact laws (default 500)")
    lines.add_argument("--base", type=_finite_float, default=None,
                       help="logarithm base for JS and KL (2 for bits; default nats)")
    lines.add_argument("--plot", metavar="FILE", default=None,
                       help="save the figure here (.png, .pdf, .svg; default parallel_lines.png)")
    lines.add_argument("--no-plot", action="store_true", help="do not save a figure")
    lines.add_argument("--json", action="store_true", help="print the table as JSON")
    lines.add_argument("--train-steps", type=_seed, default=150, metavar="STEPS",
                       help="also train g_theta(z) = (theta, z) from theta = 1 against each "
                            "divergence for STEPS generator steps (default 150; 0 skips it)")
    lines.set_defaults(handler=_cmd_parallel_lines)

    pairs = commands.add_parser(
        "pairwise",
        help="the matrix of a divergence between many sample sets",
        description="Compute a divergence between every pair of sample sets: one set per "
        "FILE (.npy, .csv, .tsv, .txt; labelled by file name), or, with --label-column, one "
        "table whose label column tells the sets apart. Runs on threads, or on a dask "
        "cluster with --scheduler.",
    )
    pairs.add_argument("files", metavar="FILE", nargs="+", help="sample files")
    add_divergence_arguments(pairs, kind="wasserstein")
    pairs.add_argument("--label-column", nargs="?", const="", default=None, metavar="COLUMN",
                       help="FILE is one table of labelled samples; COLUMN (a header name or "
                       "0-based position; default the first column) holds the labels")
    pairs.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="run on a dask cluster: its scheduler address (tcp://host:8786), "
                       "or 'local' for a cluster on this machine (needs dask[distributed])")
    pairs.add_argument("--workers", type=_positive_int, default=None,
                       help="threads when running in-process (default: every core)")
    pairs.add_argument("--seed", type=_seed, default=None,
                       help="random seed, for methods that draw samples")
    pairs.add_argument("--out", metavar="FILE", default=None,
                       help="save the matrix as CSV (a header row and a label column) "
                       "instead of printing it")
    pairs.add_argument("--plot", metavar="FILE", default=None,
                       help="save a heatmap (.png, .pdf, .svg; needs matplotlib)")
    pairs.add_argument("--test", action="store_true",
                       help="also test P = Q for every pair (a permutation test with the "
                       "divergence as statistic) and print the adjusted p-values; with --out, "
                       "they go to NAME.pvalues.csv")
    pairs.add_argument("--permutations", type=_positive_int, default=None,
                       help="permutations per test (default 999)")
    pairs.add_argument("--correction", choices=("holm", "bonferroni", "fdr_bh", "none"),
                       default=None, help="multiple-testing correction (default holm)")
    pairs.set_defaults(handler=_cmd_pairwise)

    methods = commands.add_parser("methods", help="list the divergences and their methods")
    methods.set_defaults(handler=_cmd_methods)
    from ._cli_two_sample import add_test_parser  # the `test` sub-command, one block of its own

    add_test_parser(commands)
    return parser


def _check_parallel_lines_args(args):
    if args.plot is not None and args.no_plot:
        raise CliError("--plot and --no-plot contradict each other; give one.")
    if args.base is not None:
        from ._validation import check_base

        try:
            check_base(args.base)
        except ValueError as exc:
            raise CliError(f"--base: {exc}") from None


def main(argv=None):
    """Run the ``divergences`` command; returns the exit code (0, or 2 on bad input).

    Parameters
    ----------
    argv : list of str, optional
        The arguments, without the program name; ``sys.argv[1:]`` by default.

    Examples
    --------
    >>> from divergences.cli import main
    >>> main(["--version"])  # doctest: +ELLIPSIS
    divergences ...
    0
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(_join_negative_values(argv))
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    try:
        if args.command == "parallel-lines":
            _check_parallel_lines_args(args)
        with _library_notes():
            return args.handler(args)
    except CliError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
