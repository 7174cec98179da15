"""The GAN notebooks execute from top to bottom (small settings; needs nbclient)."""

import importlib.util
import pathlib

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[2] / "notebooks"


def load_builder():
    path = NOTEBOOKS / "build_notebooks.py"
    spec = importlib.util.spec_from_file_location("build_notebooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("name", ["parallel_lines.ipynb", "gan_toy.ipynb"])
def test_notebook_executes(name):
    builder = load_builder()
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    executed = builder.execute(notebook, timeout=300)  # raises CellExecutionError on failure
    outputs = [o for cell in executed.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)


def test_saved_notebooks_carry_their_outputs():
    for name in ("parallel_lines.ipynb", "gan_toy.ipynb"):
        notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
        images = [
            o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
            if "image/png" in o.get("data", {})
        ]
        assert images, f"{name} was saved without its figures; run notebooks/build_notebooks.py"
