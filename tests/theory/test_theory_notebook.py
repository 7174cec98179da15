"""notebooks/theory.ipynb executes from top to bottom (small settings).

Its last cell asserts that no statement is violated beyond rounding, so this
also checks the theory once more, on random (seeded) problems.
"""

import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[2] / "notebooks"


@pytest.mark.slow
def test_theory_notebook_executes(monkeypatch):
    monkeypatch.setenv("THEORY_NOTEBOOK_TRIALS", "20")
    notebook = nbformat.read(NOTEBOOKS / "theory.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    summary = "".join(
        output.get("text", "")
        for output in notebook.cells[-1].outputs
        if output.output_type == "stream"
    )
    assert "parallel lines W_1 = |theta|" in summary
