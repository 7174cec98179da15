"""The layers point one way: no module imports one from a layer above its own.

Every module's imports are read with :mod:`ast` -- at module level and inside
functions and methods (where imports hide cycles) -- and each arrow
``importer -> imported`` between two of the package's modules is checked
against the layer map below (issue 15, item 2). From the bottom:

0. ``_kernels``: Numba code on plain arrays, importing nothing of the package
   but other kernels (no validation, no Python objects).
1. Helpers every layer above may use: errors, constants, validation, measures,
   results, thread counts (which launch kernels, hence above them), progress
   reports, method selection, tie rules, histogram alignment.
2. Solvers and estimators: ``ot/``, the k-NN search and estimators, the
   classifier and density estimators.
3. Public functions: ``kl_divergence``, ``js_divergence``, ``wasserstein``,
   ``mmd``..., the data sets and the public test strategies.
4. The registry (divergences by name).
5. What works by name, below the fronts that use it: the pairwise backends, the
   two-sample test.
6. The fronts: ``pairwise`` and ``gan``.
7. The package itself (``divergences/__init__.py`` re-exports the public API).
8. The command line.

Arrows within a layer are allowed. A module the map does not know fails the
test: place it in a layer when adding it. Imports by a computed name
(``importlib.import_module``) are not seen.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "divergences"

KERNELS, HELPERS, SOLVERS, PUBLIC, REGISTRY, BY_NAME, FRONTS, ROOT, CLI = range(9)
LAYER_NAMES = ("kernels", "helpers", "solvers and estimators", "public functions", "registry",
               "by-name users", "pairwise and gan", "the package", "cli")

#: Module (or package: then every module below it) -> layer; the longest prefix wins.
LAYERS = {
    "divergences._kernels": KERNELS,
    "divergences.exceptions": HELPERS,
    "divergences._constants": HELPERS,
    "divergences._validation": HELPERS,
    "divergences.measures": HELPERS,
    "divergences.results": HELPERS,
    "divergences._threads": HELPERS,
    "divergences._progress": HELPERS,
    "divergences._dispatch": HELPERS,
    "divergences._options": HELPERS,
    "divergences._multiple_testing": HELPERS,
    "divergences._standardize": HELPERS,
    "divergences._ties": HELPERS,
    "divergences._discrete": HELPERS,
    "divergences._grid": HELPERS,
    # The interface of a GAN objective: a divergence's own module may define one.
    "divergences._objective": HELPERS,
    "divergences.ot": SOLVERS,
    "divergences.neighbors": SOLVERS,
    "divergences.knn_estimators": SOLVERS,
    "divergences._knn_shape": SOLVERS,
    "divergences._tail_index": SOLVERS,
    "divergences._bias_bounds": SOLVERS,
    "divergences.classifier": SOLVERS,
    "divergences._logistic": SOLVERS,
    "divergences.density_estimators": SOLVERS,
    # The options of the KL/JS estimators, declared once (they read the estimators' defaults).
    "divergences._estimator_options": SOLVERS,
    # The networks, optimisers and critic penalties shared by ot/critic.py and gan/.
    "divergences._nn": SOLVERS,
    "divergences.kl": PUBLIC,
    "divergences.jensen_shannon": PUBLIC,
    "divergences._wasserstein": PUBLIC,
    "divergences.kernel_distances": PUBLIC,
    "divergences.datasets": PUBLIC,
    "divergences.testing": PUBLIC,
    "divergences.registry": REGISTRY,
    "divergences.two_sample": BY_NAME,
    "divergences._pairwise": FRONTS,
    "divergences.gan": FRONTS,
    "divergences": ROOT,
    "divergences.cli": CLI,
    "divergences.__main__": CLI,
    "divergences._cli_io": CLI,
    "divergences._cli_two_sample": CLI,
    "divergences._parallel_lines_report": CLI,
}

#: Arrows pointing up that are being removed now. Empty this set as they go; an entry
#: whose arrow no longer exists fails ``test_known_exceptions_still_exist``.
KNOWN_EXCEPTIONS = set()


def module_name(path, root=PACKAGE):
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules(root=PACKAGE):
    """``{module name: path}`` for every module of the package."""
    return {module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def imported_modules(source, name, is_package, known):
    """The package's modules that ``source`` (module ``name``) imports, anywhere in it.

    ``from a import b`` counts as importing ``a.b`` when that is a module,
    else ``a``; relative imports are resolved against ``name``.
    """
    top = name.split(".")[0]
    here = name.split(".") if is_package else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names
                         if alias.name.split(".")[0] == top)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != top:
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in known else target)
    return found


def layer_of(module):
    """The layer of ``module`` by its longest prefix in :data:`LAYERS`, or None."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in LAYERS:
            return LAYERS[prefix]
    return None


def arrows(root=PACKAGE):
    """Every ``(importer, imported)`` pair between two modules of the package."""
    modules = package_modules(root)
    out = set()
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for target in imported_modules(path.read_text(), name, is_package, modules):
            if target != name:
                out.add((name, target))
    return out


def upward(pairs):
    """The pairs whose target sits in a higher layer than their source."""
    return sorted((a, b) for a, b in pairs if layer_of(b) > layer_of(a))


def describe(pair):
    a, b = pair
    return f"{a} ({LAYER_NAMES[layer_of(a)]}) -> {b} ({LAYER_NAMES[layer_of(b)]})"


def test_every_module_has_a_layer():
    missing = [name for name in package_modules() if layer_of(name) is None]
    assert not missing, f"modules with no layer in tests/test_layers.py LAYERS: {missing}"


def test_no_import_points_up():
    wrong = [describe(pair) for pair in upward(arrows()) if pair not in KNOWN_EXCEPTIONS]
    assert not wrong, "imports pointing up a layer:\n  " + "\n  ".join(wrong)


def test_known_exceptions_still_exist():
    gone = sorted(KNOWN_EXCEPTIONS - set(upward(arrows())))
    assert not gone, f"these arrows are gone: remove them from KNOWN_EXCEPTIONS: {gone}"


def test_the_walk_sees_imports_inside_functions(tmp_path):
    """The checker itself: an import hidden in a method, relative or absolute, is an arrow."""
    root = tmp_path / "divergences"
    (root / "ot").mkdir(parents=True)
    (root / "_kernels").mkdir()
    for path in ("__init__.py", "ot/__init__.py", "_kernels/__init__.py", "registry.py"):
        (root / path).write_text("")
    (root / "_kernels" / "low.py").write_text(
        "import math\n\nclass K:\n    def run(self):\n        from ..ot import exact\n"
    )
    (root / "ot" / "exact.py").write_text(
        "def solve():\n    import divergences.registry\n    from .._kernels import low\n"
    )
    found = arrows(root)
    assert found == {
        ("divergences._kernels.low", "divergences.ot.exact"),
        ("divergences.ot.exact", "divergences.registry"),
        ("divergences.ot.exact", "divergences._kernels.low"),
    }
    assert upward(found) == [
        ("divergences._kernels.low", "divergences.ot.exact"),
        ("divergences.ot.exact", "divergences.registry"),
    ]


@pytest.mark.parametrize("module, layer", [
    ("divergences._kernels.auction", KERNELS),
    ("divergences.ot.exact", SOLVERS),
    ("divergences.gan.objectives", FRONTS),
    ("divergences", ROOT),
    ("divergences.cli", CLI),
])
def test_layers_by_longest_prefix(module, layer):
    assert layer_of(module) == layer
