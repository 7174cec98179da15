"""``divergences test X Y``: a permutation two-sample test between two sample files.

Kept apart from :mod:`divergences.cli` (which registers it with one call) so
that the sub-command is one self-contained block; it reuses the command's
helpers for options, errors and the printed result.
"""

import json

__all__ = ["add_test_parser"]


def add_test_parser(commands):
    """Register the ``test`` sub-command on ``commands`` (argparse sub-parsers)."""
    from .cli import _positive_int, _seed, add_divergence_arguments

    test = commands.add_parser(
        "test",
        help="is the difference real? a permutation two-sample test",
        description="Test whether the samples in files X and Y come from the same "
        "distribution: a permutation test with a divergence as its statistic (see "
        "dv.two_sample_test). Prints the statistic and the p-value "
        "(1 + #{null >= observed}) / (1 + permutations).",
    )
    test.add_argument("x", metavar="X", help="samples of P: shape (n,) or (n, d)")
    test.add_argument("y", metavar="Y", help="samples of Q: shape (m,) or (m, d)")
    add_divergence_arguments(test, kind="energy_distance", method=None)
    test.add_argument("--permutations", type=_positive_int, default=999,
                      help="random splits of the pooled sample (default 999)")
    test.add_argument("--seed", type=_seed, default=None,
                      help="random seed: the same seed gives the same p-value")
    test.add_argument("--standardize", nargs="?", const="scale", default="whiten",
                      choices=("whiten", "scale", "none"), metavar="RULE",
                      help="put both sets on the pooled sample's scale first: 'whiten' "
                      "(default; scale each column, then decorrelate by the pooled "
                      "Ledoit-Wolf correlation), 'scale' (each column by its pooled mean "
                      "and sd; the rule of a bare --standardize) or 'none'")
    test.add_argument("--json", action="store_true", help="print the result as JSON")
    test.set_defaults(handler=_cmd_test)


def _cmd_test(args):
    import divergences as dv

    from ._cli_io import result_to_dict
    from .cli import (EXIT_OK, _divergence_options, _format_result, _library_call,
                      load_sample_pair)

    x, y = load_sample_pair(args)
    options = _divergence_options(args)
    if args.method is not None:
        options["method"] = args.method
    result = _library_call(
        dv.two_sample_test, x, y, kind=args.kind, n_permutations=args.permutations,
        rng=args.seed, standardize=args.standardize, **options,
    )
    if args.json:
        data = {
            "statistic": result_to_dict(result.statistic),
            "pvalue": result.pvalue,
            "n_permutations": result.n_permutations,
            "null_method": result.method,
            "standardize": result.details["standardize"],
        }
        print(json.dumps(data, indent=2, allow_nan=False))
        return EXIT_OK
    print(_format_result(result.statistic, ("X", "Y")))
    print(f"p-value     {result.pvalue:.4g}  ({result.n_permutations} permutations; "
          f"null: {result.method}; standardize: {result.details['standardize']['rule']})")
    return EXIT_OK
