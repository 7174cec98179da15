"""notebooks/drift.ipynb executes from top to bottom (fewer permutations).

Its last cell asserts the drift check's outcome: the clean batch is not flagged,
the batch with one moved feature is (p < 0.01), and no unshifted day is.
"""

import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


@pytest.mark.slow
def test_drift_notebook_executes(monkeypatch):
    # 199 permutations: the smallest p-value is 1/200, so "p < 0.01" can still be shown.
    monkeypatch.setenv("DRIFT_NOTEBOOK_PERMUTATIONS", "199")
    notebook = nbformat.read(NOTEBOOKS / "drift.ipynb", as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    summary = "".join(output.get("text", "") for output in notebook.cells[-1].outputs
                      if output.output_type == "stream")
    assert "drifted batch flagged" in summary
