"""The GAN module sits on top: nothing below it imports it (issue 15, item 2).

Walks every import statement -- at module level and inside functions -- of the
layers below ``divergences.gan`` and fails on any that reaches up into it.
"""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "divergences"
BELOW_GAN = ("_nn", "ot", "_kernels")


def imported_modules(path):
    """Absolute names of the modules ``path`` imports, wherever the import statement is."""
    module = ".".join(("divergences", *path.relative_to(PACKAGE).with_suffix("").parts))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            yield name
            yield from (f"{name}.{alias.name}" for alias in node.names)


@pytest.mark.parametrize("layer", BELOW_GAN)
def test_layers_below_gan_do_not_import_it(layer):
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files
    upward = [
        (str(path.relative_to(PACKAGE)), name)
        for path in files
        for name in imported_modules(path)
        if name == "divergences.gan" or name.startswith("divergences.gan.")
    ]
    assert not upward, upward


def test_the_walker_sees_imports_inside_functions():
    names = set(imported_modules(PACKAGE / "gan" / "objectives.py"))
    assert "divergences.ot.sinkhorn" in names  # imported inside generator_step
    assert "divergences._nn.critic" in names
