"""The command line shared by the notebook builders: write a notebook from its cells, run it."""

import argparse

import nbformat
from nbformat.v4 import new_notebook


def build(cells):
    """A Python 3 notebook of ``cells``."""
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


def execute(notebook, cwd, timeout=600):
    """Run every cell of ``notebook`` in a fresh kernel started in ``cwd`` (outputs kept)."""
    from nbclient import NotebookClient

    NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return notebook


def main(cells, target, description):
    """``python build_x.py [--no-run]``: write ``target`` from ``cells``, executed unless --no-run."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--no-run", action="store_true",
                        help="write the notebook without executing it")
    args = parser.parse_args()
    notebook = build(cells)
    if not args.no_run:
        execute(notebook, target.parent)
    nbformat.write(notebook, target)
    print(f"wrote {target}")
