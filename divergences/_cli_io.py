"""Input and output of the command line: sample files in, results as JSON out.

Kept apart from :mod:`divergences.cli` so that the parsing rules (which
files, which header rows, which values) are one small module with one job.
"""

import csv
import math
import os

import numpy as np

__all__ = [
    "SampleFileError",
    "load_samples",
    "load_labelled_samples",
    "result_to_dict",
    "plan_to_lists",
    "json_number",
]

SUPPORTED_EXTENSIONS = (".npy", ".csv", ".tsv", ".txt")
_TEXT_DELIMITERS = {".csv": ",", ".tsv": "\t", ".txt": None}


class SampleFileError(ValueError):
    """A sample file that cannot be read as an array of samples; the message names it."""


def load_samples(path, label):
    """Read a sample file into a float64 array of shape ``(n, d)``.

    Parameters
    ----------
    path : str
        A ``.npy`` file holding a numeric array of shape ``(n,)`` or
        ``(n, d)``, or a text table: ``.csv`` (commas), ``.tsv`` (tabs) or
        ``.txt`` (whitespace), one sample per row, optionally after one
        header row of column names; blank lines and ``#`` comments are
        skipped.
    label : str
        How the file is called in messages (``"X"``, ``"Y"``).

    Raises
    ------
    SampleFileError
        Naming the file, and the row where the problem is, for a missing or
        unreadable file, an unsupported extension, a non-numeric entry,
        ragged rows, NaN or infinite values, or an empty set.
    """
    extension = os.path.splitext(path)[1].lower()
    if extension not in SUPPORTED_EXTENSIONS:
        raise SampleFileError(
            f"{label} file {path!r}: unsupported extension {extension or '(none)'!r}; "
            f"use one of {', '.join(SUPPORTED_EXTENSIONS)}."
        )
    if not os.path.isfile(path):
        what = "is a directory" if os.path.isdir(path) else "does not exist"
        raise SampleFileError(f"{label} file {path!r} {what}.")
    if extension == ".npy":
        array, line_numbers = _load_npy(path, label), None
    else:
        array, line_numbers = _load_text(path, label, _TEXT_DELIMITERS[extension])
    if array.ndim == 1:
        array = array[:, None]
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise SampleFileError(f"{label} file {path!r} holds no samples (shape {array.shape}).")
    finite = np.isfinite(array)
    if not finite.all():
        row = int(np.argwhere(~finite)[0][0])
        where = f"row {row}" if line_numbers is None else f"line {line_numbers[row]}"
        raise SampleFileError(
            f"{label} file {path!r} contains NaN or infinite values (first at {where}); "
            "remove or impute them first."
        )
    return array


def _load_npy(path, label):
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise SampleFileError(
            f"{label} file {path!r} is not a readable .npy array ({exc})."
        ) from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise SampleFileError(
            f"{label} file {path!r} must hold a real numeric array, got dtype {array.dtype}."
        )
    if array.ndim not in (1, 2):
        raise SampleFileError(
            f"{label} file {path!r} must hold an array of shape (n,) or (n, d), "
            f"got shape {array.shape}."
        )
    return np.asarray(array, dtype=np.float64)


def _load_text(path, label, delimiter):
    """Parse a delimited text table; returns the array and the line number of each row.

    Blank lines and lines starting with ``#`` (numpy's comments) are skipped;
    a byte-order mark, as spreadsheet programs write, is ignored.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            if delimiter is None:
                lines = [(number, line.split()) for number, line in enumerate(handle, 1)]
            else:
                reader = csv.reader(handle, delimiter=delimiter)
                lines = [(reader.line_num, row) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SampleFileError(f"{label} file {path!r} could not be read ({exc}).") from None
    rows = [(number, [cell.strip() for cell in cells]) for number, cells in lines]
    rows = [
        (number, cells) for number, cells in rows if any(cells) and not cells[0].startswith("#")
    ]
    if not rows:
        raise SampleFileError(f"{label} file {path!r} is empty; it needs one sample per row.")
    if _parse_row(rows[0][1]) is None:
        rows = rows[1:]  # a header row of column names
        if not rows:
            raise SampleFileError(f"{label} file {path!r} has a header row but no samples.")
    width = len(rows[0][1])
    values = []
    for number, cells in rows:
        parsed = _parse_row(cells)
        if parsed is None:
            bad = next(cell for cell in cells if _to_float(cell) is None)
            raise SampleFileError(
                f"{label} file {path!r}, line {number}: {bad!r} is not a number "
                "(only the first row may be a header)."
            )
        if len(parsed) != width:
            raise SampleFileError(
                f"{label} file {path!r}, line {number}: expected {width} values like the "
                f"first row, got {len(parsed)}."
            )
        values.append(parsed)
    return np.array(values, dtype=np.float64), [number for number, _ in rows]


def load_labelled_samples(path, column=None):
    """Read one table holding several sample sets, told apart by a label column.

    Parameters
    ----------
    path : str
        A ``.csv``, ``.tsv`` or ``.txt`` table, one sample per row, with a
        header row of column names; blank lines and ``#`` comments skipped.
    column : str, optional
        The label column, by header name or by 0-based position; by default
        the first column. The other columns are the coordinates.

    Returns
    -------
    dict
        ``{label: array of shape (n, d)}``, labels in order of first appearance.

    Raises
    ------
    SampleFileError
        Naming the file and the line, for a missing label column, a
        non-numeric or non-finite coordinate, or ragged rows.
    """
    extension = os.path.splitext(path)[1].lower()
    if extension not in _TEXT_DELIMITERS:
        raise SampleFileError(
            f"labelled file {path!r}: a label column needs a text table "
            f"({', '.join(_TEXT_DELIMITERS)}), got {extension or '(none)'!r}."
        )
    if not os.path.isfile(path):
        raise SampleFileError(f"labelled file {path!r} does not exist.")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            if _TEXT_DELIMITERS[extension] is None:
                lines = [(number, line.split()) for number, line in enumerate(handle, 1)]
            else:
                reader = csv.reader(handle, delimiter=_TEXT_DELIMITERS[extension])
                lines = [(reader.line_num, row) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SampleFileError(f"labelled file {path!r} could not be read ({exc}).") from None
    rows = [(number, [cell.strip() for cell in cells]) for number, cells in lines]
    rows = [(n, cells) for n, cells in rows if any(cells) and not cells[0].startswith("#")]
    if len(rows) < 2:
        raise SampleFileError(
            f"labelled file {path!r} needs a header row and at least one sample row."
        )
    header = rows[0][1]
    if column is None:
        position = 0
    elif column in header:
        position = header.index(column)
    elif column.isdigit() and int(column) < len(header):
        position = int(column)
    else:
        raise SampleFileError(
            f"labelled file {path!r} has no column {column!r}; its columns are "
            f"{', '.join(repr(h) for h in header)}."
        )
    if len(header) < 2:
        raise SampleFileError(
            f"labelled file {path!r} needs a label column and at least one coordinate column."
        )
    groups = {}
    for number, cells in rows[1:]:
        if len(cells) != len(header):
            raise SampleFileError(
                f"labelled file {path!r}, line {number}: expected {len(header)} values like the "
                f"header, got {len(cells)}."
            )
        coordinates = cells[:position] + cells[position + 1:]
        parsed = _parse_row(coordinates)
        if parsed is None or not all(math.isfinite(v) for v in parsed):
            bad = next(c for c in coordinates
                       if _to_float(c) is None or not math.isfinite(float(c)))
            raise SampleFileError(
                f"labelled file {path!r}, line {number}: {bad!r} is not a finite number."
            )
        groups.setdefault(cells[position], []).append(parsed)
    return {label: np.array(values, dtype=np.float64) for label, values in groups.items()}


def _to_float(text):
    try:
        return float(text)
    except ValueError:
        return None


def _parse_row(cells):
    parsed = [_to_float(cell) for cell in cells]
    return None if any(value is None for value in parsed) else parsed


def json_number(value):
    # JSON has no infinity: infinite values travel as the strings "inf" and "-inf".
    if value is None or math.isfinite(value):
        return value
    return "inf" if value > 0 else "-inf"


def result_to_dict(result):
    """The fields of a result as JSON-ready plain values.

    A transport plan, when the result has one (``--option return_plan=true``),
    is included as ``"plan"``: a list of rows, dense even where the solver
    returned a sparse matrix, every float written in full (``repr``).
    """
    data = {
        "divergence": result.divergence,
        "value": json_number(result.value),
        "unit": result.unit,
        "method": result.method,
        "sizes": list(result.sizes),
        "stderr": json_number(result.stderr),
        "converged": result.converged,
        "note": result.note,
    }
    for name in ("order", "cost", "n_iter", "marginal_error"):
        if hasattr(result, name):
            data[name] = json_number(getattr(result, name))
    if getattr(result, "plan", None) is not None:
        data["plan"] = plan_to_lists(result.plan)
    return data


def plan_to_lists(plan):
    """A transport plan (ndarray or scipy.sparse matrix) as a list of rows of floats."""
    if hasattr(plan, "toarray"):  # scipy.sparse
        plan = plan.toarray()
    return np.asarray(plan, dtype=np.float64).tolist()
