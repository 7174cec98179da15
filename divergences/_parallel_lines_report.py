"""The parallel-lines report: true W_1, JS and KL next to the library's values.

Used by ``divergences parallel-lines``. For each theta the library computes
the three divergences twice -- between samples of the two lines and between
their exact laws on a common grid -- and never is a value written in here:
only the ``true`` column states the theory
(:func:`divergences.datasets.parallel_lines_truth`).
"""

import math
import warnings

import numpy as np

from ._cli_io import json_number, result_to_dict

__all__ = [
    "parallel_lines_rows",
    "format_parallel_lines",
    "parallel_lines_json",
    "plot_parallel_lines",
]

_PL_DIVERGENCES = ("wasserstein", "js", "kl")
_PL_LABELS = {"wasserstein": "W1", "js": "JS", "kl": "KL"}


def _try_estimate(function, p, q, **options):
    """A cell of the table: the library's result, or why there is none.

    An estimate the library flags (an :class:`EstimatorWarning`: here, the k-NN
    KL between two lines, which grows without bound with the sample size) keeps
    its warning in the cell, to be marked in the table and explained once below
    it, instead of a traceback-style line per theta on stderr.
    """
    from .exceptions import DivergenceError, EstimatorWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = function(p, q, **options)
        except NotImplementedError as exc:
            return {"value": None, "status": "n/a", "reason": str(exc)}
        except DivergenceError as exc:
            return {"value": None, "status": "error", "reason": str(exc)}
    flagged = []
    for warning in caught:
        if issubclass(warning.category, EstimatorWarning):
            flagged.append(str(warning.message))
        else:  # anything else is passed on as it came
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    return {"value": result.value, "status": "ok", "result": result, "warnings": flagged}


def parallel_lines_rows(thetas, n, *, seed=0, n_grid=500, base=None):
    """Compute the parallel-lines table: for each theta, true and library values.

    For each theta the library computes W_1, JS and KL twice: between ``n``
    samples of P and of Q_theta from :func:`divergences.datasets.parallel_lines`
    (the same ``seed`` for every theta: common random numbers), and between the
    discretised laws of :func:`divergences.datasets.parallel_lines_measures`.
    A sample estimator that is not implemented yet gives a cell with status
    ``"n/a"`` instead of a value, so the table fills in as the library grows.

    Returns
    -------
    list of dict
        One per theta: ``{"theta": t, "true": {...}, "samples": {...}, "grid": {...}}``,
        the last two mapping ``"wasserstein"``, ``"js"``, ``"kl"`` to cells
        ``{"value", "status", "result" or "reason"}``.
    """
    import divergences as dv

    rows = []
    for theta in thetas:
        x, y = dv.datasets.parallel_lines(theta, n, rng=seed)
        p, q = dv.datasets.parallel_lines_measures(theta, n_grid)
        row = {"theta": theta, "true": dv.datasets.parallel_lines_truth(theta, base=base)}
        for source, (first, second) in (("samples", (x, y)), ("grid", (p, q))):
            row[source] = {
                "wasserstein": _try_estimate(dv.wasserstein, first, second, order=1),
                "js": _try_estimate(dv.js_divergence, first, second, base=base),
                "kl": _try_estimate(dv.kl_divergence, first, second, base=base),
            }
        rows.append(row)
    return rows


def _format_value(value):
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.4f}"


#: Marks a value the library flagged as unreliable (see the note under the table).
FLAG = "*"


def _cell_text(cell):
    if cell["status"] != "ok":
        return cell["status"]
    return _format_value(cell["value"]) + (FLAG if cell.get("warnings") else "")


def _column_methods(rows, source, name):
    methods = []
    for row in rows:
        cell = row[source][name]
        if cell["status"] == "ok" and cell["result"].method not in methods:
            methods.append(cell["result"].method)
    return methods


def format_parallel_lines(rows, *, n, seed, n_grid, unit):
    """The table of :func:`parallel_lines_rows` as text, with a header and footnotes."""
    columns = [("theta", [f"{row['theta']:g}" for row in rows])]
    for name in _PL_DIVERGENCES:
        columns.append((f"{_PL_LABELS[name]} true", [_format_value(r["true"][name]) for r in rows]))
        for source in ("samples", "grid"):
            header = f"{_PL_LABELS[name]} {source}"
            columns.append((header, [_cell_text(row[source][name]) for row in rows]))
    widths = [max(len(header), *(len(text) for text in cells)) for header, cells in columns]

    def line(texts):
        return " | ".join(text.rjust(width) for text, width in zip(texts, widths))

    out = [
        "Parallel lines: P = law of (0, Z), Q_theta = law of (theta, Z), Z ~ U[0, 1].",
        "  true:    the theory (W1 = |theta|; JS = log 2, KL = inf if theta != 0; all 0 at 0)",
        f"  samples: the library on {n} points of each line (seed {seed}, the same draws for "
        "every theta)",
        f"  grid:    the library on the exact laws, discretised on {n_grid} common heights",
        f"W1 in distance units; JS and KL in {unit}.",
        "",
        line([header for header, _ in columns]),
        "-+-".join("-" * width for width in widths),
    ]
    out += [line([cells[i] for _, cells in columns]) for i in range(len(rows))]
    out.append("")
    notes = []
    for name in _PL_DIVERGENCES:
        for source in ("samples", "grid"):
            methods = _column_methods(rows, source, name)
            if methods:
                notes.append(f"{_PL_LABELS[name]} {source} {', '.join(map(repr, methods))}")
    out.append("Library methods: " + ", ".join(notes) + ".")
    for name in _PL_DIVERGENCES:
        for source in ("samples", "grid"):
            flagged = [row for row in rows if row[source][name].get("warnings")]
            if flagged:
                first = flagged[0]
                message = first[source][name]["warnings"][0]
                out.append(f"{FLAG} {_PL_LABELS[name]} {source}: flagged by the library at "
                           f"{len(flagged)} of {len(rows)} thetas; at theta = "
                           f"{first['theta']:g}: {message}")
    reasons = []
    for row in rows:
        for source in ("samples", "grid"):
            for name in _PL_DIVERGENCES:
                cell = row[source][name]
                if cell["status"] != "ok" and cell["reason"] not in reasons:
                    reasons.append(cell["reason"])
                    out.append(f"{cell['status']}: {cell['reason']}")
    return "\n".join(out)


def parallel_lines_json(rows, *, n, seed, n_grid, unit):
    """The table of :func:`parallel_lines_rows` as JSON-ready plain values.

    Infinite values are the string ``"inf"`` (JSON has no infinity); a cell
    without a value has ``"value": null`` and its ``"status"`` and ``"reason"``.
    """
    def cell_json(cell):
        if cell["status"] == "ok":
            return {"status": "ok", **result_to_dict(cell["result"]),
                    "warnings": list(cell.get("warnings", ()))}
        return {"status": cell["status"], "value": None, "reason": cell["reason"]}

    return {
        "n": n,
        "seed": seed,
        "grid_size": n_grid,
        "unit": unit,
        "rows": [
            {
                "theta": row["theta"],
                "true": {key: json_number(value) for key, value in row["true"].items()},
                **{
                    source: {name: cell_json(row[source][name]) for name in _PL_DIVERGENCES}
                    for source in ("samples", "grid")
                },
            }
            for row in rows
        ],
    }


def _infinite_anywhere(rows, name):
    return any(math.isinf(row["true"][name]) for row in rows) or any(
        row[source][name]["status"] == "ok" and math.isinf(row[source][name]["value"])
        for row in rows
        for source in ("samples", "grid")
    )


def plot_parallel_lines(rows, path, *, n, unit, base=None):
    """Save a figure of W_1, JS and KL against theta: true curves and library points.

    Infinite values (KL between the lines) are drawn on a dotted line at the
    top of their panel, labelled with the infinity sign; the methods the
    library used are named under each panel.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from .datasets import parallel_lines_truth

    apart_truth = parallel_lines_truth(1.0, base=base)  # the true values at any theta != 0
    thetas = np.array([row["theta"] for row in rows])
    dense = np.linspace(min(thetas.min(), -1e-3), max(thetas.max(), 1e-3), 401)
    figure = Figure(figsize=(13, 4.6), layout="constrained")
    axes = figure.subplots(1, 3)
    truth_style = dict(color="black", linewidth=1.5, markersize=7)
    styles = {
        "samples": dict(marker="o", color="tab:blue", linestyle="none", markersize=6, zorder=4),
        "grid": dict(marker="x", color="tab:red", linestyle="none", markersize=7, mew=2, zorder=5),
    }
    titles = {
        "wasserstein": "Wasserstein $W_1(P, Q_\\theta)$",
        "js": f"Jensen–Shannon $JS(P, Q_\\theta)$ [{unit}]",
        "kl": f"Kullback–Leibler $KL(P\\,\\|\\,Q_\\theta)$ [{unit}]",
    }
    for axis, name in zip(axes, _PL_DIVERGENCES):
        finite = [0.0, apart_truth[name] if math.isfinite(apart_truth[name]) else 0.0]
        finite += [
            row[source][name]["value"]
            for row in rows
            for source in ("samples", "grid")
            if row[source][name]["status"] == "ok" and math.isfinite(row[source][name]["value"])
        ]
        if name == "wasserstein":
            finite.append(float(np.abs(dense).max()))
        top = max(finite) if max(finite) > 0 else 1.0
        bottom = min(finite)
        infinity = top + 0.2 * (top - bottom)  # the height at which infinite values are drawn

        def shown(value, infinity=infinity):
            return infinity if math.isinf(value) else value

        if name == "wasserstein":
            axis.plot(dense, np.abs(dense), **truth_style)
        else:
            # The truth is constant for theta != 0 and jumps to 0 at theta = 0.
            apart = shown(apart_truth[name])
            for side in (dense[dense < 0], dense[dense > 0]):
                axis.plot(side, np.full(side.shape, apart), **truth_style)
            axis.plot([0], [apart], marker="o", markerfacecolor="white", **truth_style)
            axis.plot([0], [0], marker="o", **truth_style)
        used = []
        for source in ("samples", "grid"):
            points = [(row["theta"], shown(row[source][name]["value"])) for row in rows
                      if row[source][name]["status"] == "ok"]
            if points:
                axis.plot(*zip(*points), **styles[source])
                used.append(f"{source}: {', '.join(_column_methods(rows, source, name))}")
            else:
                used.append(f"{source}: n/a")
                axis.text(0.5, 0.35, f"from {source}: n/a\n(not implemented yet)",
                          transform=axis.transAxes, ha="center", va="center", color="grey")
        span = infinity - bottom
        axis.set_ylim(bottom - 0.06 * span, infinity + 0.1 * span)
        if _infinite_anywhere(rows, name):
            axis.axhline(infinity, color="grey", linestyle=":", linewidth=1)
            ticks = [t for t in axis.get_yticks() if bottom - 0.06 * span <= t <= top]
            axis.set_yticks(ticks + [infinity], [f"{t:g}" for t in ticks] + ["$+\\infty$"])
        axis.set_title(titles[name])
        axis.set_xlabel(f"$\\theta$\nlibrary method, {'; '.join(used)}", fontsize=9)
        axis.grid(alpha=0.3)
    handles = [
        Line2D([], [], marker="o", **truth_style),
        Line2D([], [], **styles["samples"]),
        Line2D([], [], **styles["grid"]),
    ]
    labels = [
        "true (theory)",
        f"library, from {n} samples of each line",
        "library, from the exact laws on a grid",
    ]
    figure.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)
    figure.suptitle(
        "Parallel lines: $P$ = law of $(0, Z)$, $Q_\\theta$ = law of $(\\theta, Z)$, "
        "$Z \\sim U[0, 1]$"
    )
    figure.savefig(path, dpi=120)


_STALLED_LINES = ("--", ":", "-.")
_STALLED_MARKERS = ("o", "s", "^", "D")


def _note_coinciding(axis, curves, resolution=1e-3):
    """Say in the plot which curves overlap, since one hides another.

    Curves overlap when they differ by less than ``resolution`` (in theta, whose
    plotted range is about 1) at every step; the note gives the largest difference.
    """
    groups = []
    for name, curve in curves.items():
        for group in groups:
            if np.max(np.abs(curves[group[0]] - curve)) < resolution:
                group.append(name)
                break
        else:
            groups.append([name])
    lines = []
    for group in (g for g in groups if len(g) > 1):
        gap = max(np.max(np.abs(curves[group[0]] - curves[name])) for name in group[1:])
        lines.append(f"{' and '.join(group)} overlap (they differ by at most {gap:.1g})")
    if lines:
        # Just under the stalled curves, which stay near the top of the plot.
        axis.text(0.98, 0.9, "\n".join(lines), transform=axis.transAxes, ha="right",
                  va="top", fontsize=9)
    return lines


def plot_training(experiment, path):
    """Save a figure of theta over training, one curve per objective.

    The Wasserstein objectives (critic, exact OT, Sinkhorn, sliced) pull theta
    to 0; the JS and KL objectives, whose optimal discriminators see two
    disjoint lines at every theta != 0, leave it where it started.
    """
    training_figure(experiment).savefig(path, dpi=120)


def training_figure(experiment):
    """The figure :func:`plot_training` saves (a :class:`matplotlib.figure.Figure`)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.5, 4.4), layout="constrained")
    axis = figure.subplots()
    stalled = [name for name in experiment.thetas
               if experiment.histories[name].divergence in ("js", "js_distance", "kl")]
    for name, thetas in experiment.thetas.items():
        steps = np.arange(len(thetas))
        if name not in stalled:
            axis.plot(steps, thetas, "-", linewidth=1.8, label=name)
            continue
        # The objectives whose optimal discriminator gives no gradient here: their
        # curves lie on top of each other at theta = 1. Each gets its own line style
        # and markers at staggered steps, so that every one stays visible.
        k = stalled.index(name)
        every = max(len(thetas) // 8, 1)
        axis.plot(steps, thetas, _STALLED_LINES[k % len(_STALLED_LINES)], linewidth=1.8,
                  marker=_STALLED_MARKERS[k % len(_STALLED_MARKERS)], markersize=6,
                  markevery=(k * every // len(stalled), every), fillstyle="none", label=name)
    _note_coinciding(axis, {name: experiment.thetas[name] for name in stalled})
    axis.axhline(0.0, color="black", linewidth=0.8)
    axis.set_xlabel("generator step")
    axis.set_ylabel("$\\theta$")
    axis.set_title("Training $g_\\theta(z) = (\\theta, z)$ from $\\theta = 1$ against each divergence")
    axis.grid(alpha=0.3)
    axis.legend(title="objective", frameon=False, loc="center right")
    return figure
