"""Build (and execute) notebooks/theory.ipynb: DESIGN.md section 1, checked numerically.

Usage::

    python notebooks/build_theory_notebook.py            # write and execute
    python notebooks/build_theory_notebook.py --no-run   # write only

The notebook reads ``THEORY_NOTEBOOK_TRIALS`` (default 400) for the number of
random problems per check, so that the test suite can run it small.
"""

import pathlib

from nbformat.v4 import new_code_cell, new_markdown_cell

from _notebook_cli import main

HERE = pathlib.Path(__file__).resolve().parent
TARGET = HERE / "theory.ipynb"

CELLS = [
    new_markdown_cell(
        "# The theory, checked numerically\n\n"
        "Each statement of DESIGN.md section 1 that the library computes exactly is checked "
        "here on many random problems, and the largest violation is reported: for exact "
        "methods it should be at the level of rounding (1e-15 relative) or of the exact "
        "solver's certificate (1e-9 of the cost scale). The same statements are property-"
        "based tests in `tests/theory/`; this notebook shows them as pictures."
    ),
    new_code_cell(
        "import math, os, sys, pathlib\n"
        "try:\n"
        "    import divergences as dv\n"
        "except ImportError:  # run from notebooks/ in a source checkout\n"
        "    sys.path.insert(0, str(pathlib.Path.cwd().parent))\n"
        "    import divergences as dv\n"
        "import numpy as np\n"
        "import matplotlib.pyplot as plt\n"
        "\n"
        "TRIALS = int(os.environ.get('THEORY_NOTEBOOK_TRIALS', '400'))\n"
        "rng = np.random.default_rng(20240601)\n"
        "LOG2 = math.log(2)\n"
        "violations = {}  # statement -> largest violation seen\n"
        "\n"
        "def random_histogram(k, zeros=True):\n"
        "    p = rng.dirichlet(np.full(k, 0.7))\n"
        "    if zeros:\n"
        "        p[rng.random(k) < 0.2] = 0.0\n"
        "        if p.sum() == 0: p[0] = 1.0\n"
        "    return p / p.sum()\n"
        "\n"
        "def record(name, value):\n"
        "    violations[name] = max(violations.get(name, -math.inf), float(value))"
    ),
    new_markdown_cell(
        "## KL and JS on histograms\n\n"
        "KL ≥ 0 with Pinsker's inequality TV ≤ √(KL/2); 0 ≤ JS ≤ log 2 with "
        "½ TV² ≤ JS ≤ log 2 · TV; and √JS satisfies the triangle inequality."
    ),
    new_code_cell(
        "tv, kl, js = [], [], []\n"
        "for _ in range(TRIALS):\n"
        "    k = rng.integers(2, 9)\n"
        "    a, b = random_histogram(k), random_histogram(k, zeros=False)\n"
        "    p, q = dv.Histogram(a), dv.Histogram(b)\n"
        "    t = 0.5 * np.abs(a - b).sum()\n"
        "    tv.append(t); kl.append(float(dv.kl_divergence(p, q))); js.append(float(dv.js_divergence(p, q)))\n"
        "tv, kl, js = map(np.array, (tv, kl, js))\n"
        "record('KL >= 0', -kl.min())\n"
        "record('Pinsker 2 TV^2 <= KL', np.max(2 * tv**2 - kl))\n"
        "record('JS <= log 2', js.max() - LOG2)\n"
        "record('TV^2 / 2 <= JS', np.max(0.5 * tv**2 - js))\n"
        "record('JS <= log 2 TV', np.max(js - LOG2 * tv))\n"
        "\n"
        "fig, axes = plt.subplots(1, 2, figsize=(11, 4))\n"
        "grid = np.linspace(0, 1, 200)\n"
        "axes[0].scatter(tv, js, s=6, alpha=0.5, label='random histogram pairs')\n"
        "axes[0].plot(grid, 0.5 * grid**2, 'k--', label='½ TV²')\n"
        "axes[0].plot(grid, LOG2 * grid, 'k-', label='log 2 · TV')\n"
        "axes[0].axhline(LOG2, color='grey', lw=0.8)\n"
        "axes[0].set(xlabel='total variation', ylabel='JS (nats)', title='½TV² ≤ JS ≤ log 2 · TV')\n"
        "axes[0].legend()\n"
        "axes[1].scatter(tv, np.sqrt(kl / 2), s=6, alpha=0.5)\n"
        "axes[1].plot(grid, grid, 'k-', label='TV = √(KL/2)')\n"
        "axes[1].set(xlabel='total variation', ylabel='√(KL/2)', title=\"Pinsker: points above the line\")\n"
        "axes[1].legend(); plt.tight_layout(); plt.show()"
    ),
    new_code_cell(
        "worst = -math.inf\n"
        "for _ in range(TRIALS):\n"
        "    k = rng.integers(2, 9)\n"
        "    p, q, r = (dv.Histogram(random_histogram(k)) for _ in range(3))\n"
        "    d = lambda u, v: float(dv.js_distance(u, v))\n"
        "    worst = max(worst, d(p, r) - d(p, q) - d(q, r))\n"
        "record('triangle inequality of sqrt(JS)', worst)\n"
        "print(f'largest d(p,r) - d(p,q) - d(q,r): {worst:.3g}  (negative: never violated)')"
    ),
    new_markdown_cell(
        "## The GAN value function on discrete measures\n\n"
        "For any discriminator D, V(G, D) = E_P log D + E_Q log(1 − D) ≤ V(G, D*) with "
        "D* = p/(p+q), and V(G, D*) = −log 4 + 2 JS(P, Q). Left: V along a one-parameter "
        "family of discriminators D_s = clip(D* + s·u) peaks at s = 0. Right: V(G, D*) "
        "computed directly against −log 4 + 2 JS from the library."
    ),
    new_code_cell(
        "def value(a, b, d):\n"
        "    with np.errstate(divide='ignore', invalid='ignore'):\n"
        "        return float(np.sum(np.where(a > 0, a * np.log(d), 0)) + np.sum(np.where(b > 0, b * np.log1p(-d), 0)))\n"
        "\n"
        "def d_star(a, b):\n"
        "    m = a + b\n"
        "    return np.where(m > 0, a / np.where(m > 0, m, 1), 0.5)\n"
        "\n"
        "a, b = np.array([0.5, 0.3, 0.2, 0.0]), np.array([0.1, 0.3, 0.2, 0.4])\n"
        "u = rng.normal(size=4)\n"
        "s = np.linspace(-0.3, 0.3, 301)\n"
        "curve = [value(a, b, np.clip(d_star(a, b) + t * u, 1e-9, 1 - 1e-9)) for t in s]\n"
        "v_star, two_js = [], []\n"
        "for _ in range(TRIALS):\n"
        "    k = rng.integers(2, 9)\n"
        "    x, y = random_histogram(k), random_histogram(k)\n"
        "    v_star.append(value(x, y, d_star(x, y)))\n"
        "    two_js.append(-math.log(4) + 2 * float(dv.js_divergence(dv.Histogram(x), dv.Histogram(y))))\n"
        "    d = rng.random(k)\n"
        "    record('V(G, D) <= V(G, D*)', value(x, y, d) - v_star[-1])\n"
        "v_star, two_js = np.array(v_star), np.array(two_js)\n"
        "record('V(G, D*) = -log 4 + 2 JS', np.max(np.abs(v_star - two_js)))\n"
        "fig, axes = plt.subplots(1, 2, figsize=(11, 4))\n"
        "axes[0].plot(s, curve); axes[0].axvline(0, color='k', lw=0.8)\n"
        "axes[0].set(xlabel='s', ylabel='V(G, D_s)', title='D* = p/(p+q) maximises V')\n"
        "axes[1].scatter(two_js, v_star, s=6)\n"
        "lim = [-math.log(4), 0]; axes[1].plot(lim, lim, 'k-', lw=0.8)\n"
        "axes[1].set(xlabel='−log 4 + 2 JS (library)', ylabel='V(G, D*) (direct)', title='V(G, D*) = −log 4 + 2 JS')\n"
        "plt.tight_layout(); plt.show()"
    ),
    new_markdown_cell(
        "## Wasserstein: duality, Kantorovich–Rubinstein, order, invariances\n\n"
        "The exact solver returns dual potentials (f, g). The duality gap "
        "|⟨π, C⟩ − (a·f + b·g)| relative to the largest cost should sit at rounding level; "
        "the c-transform F(x) = min_j ‖x − y_j‖ − g_j of the W₁ potential is 1-Lipschitz and "
        "attains the Kantorovich–Rubinstein supremum, while random 1-Lipschitz functions stay below."
    ),
    new_code_cell(
        "gaps, kr_random, kr_attained = [], [], []\n"
        "for _ in range(TRIALS):\n"
        "    n, m, dim = rng.integers(2, 30), rng.integers(2, 30), rng.integers(1, 4)\n"
        "    x, y = rng.normal(size=(n, dim)), rng.normal(size=(m, dim)) + rng.normal(size=dim)\n"
        "    a, b = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(m))\n"
        "    p, q = dv.Samples(x, weights=a), dv.Samples(y, weights=b)\n"
        "    order = rng.choice([1.0, 2.0])\n"
        "    r = dv.wasserstein(p, q, order=order, method='exact', return_plan=True)\n"
        "    cost = np.linalg.norm(x[:, None] - y[None], axis=-1) ** order\n"
        "    f, g = r.potentials\n"
        "    gaps.append(abs(float(np.sum(r.plan * cost)) - float(a @ f + b @ g)) / cost.max())\n"
        "    if order == 1.0:\n"
        "        z, c = rng.normal(size=(3, dim)) * 2, rng.normal(size=3)\n"
        "        lip = lambda pts: np.min(np.linalg.norm(pts[:, None] - z[None], axis=-1) + c, axis=1)\n"
        "        kr_random.append((float(a @ lip(x) - b @ lip(y)), r.value))\n"
        "        F = lambda pts: np.min(np.linalg.norm(pts[:, None] - y[None], axis=-1) - g, axis=1)\n"
        "        kr_attained.append((float(a @ F(x) - b @ F(y)), r.value))\n"
        "gaps = np.array(gaps); kr_random = np.array(kr_random); kr_attained = np.array(kr_attained)\n"
        "record('relative duality gap', gaps.max())\n"
        "record('E_P f - E_Q f <= W_1', np.max(kr_random[:, 0] - kr_random[:, 1]))\n"
        "record('c-transform attains W_1', np.max(np.abs(kr_attained[:, 0] - kr_attained[:, 1])))\n"
        "fig, axes = plt.subplots(1, 2, figsize=(11, 4))\n"
        "axes[0].hist(np.log10(np.maximum(gaps, 1e-18)), bins=30)\n"
        "axes[0].axvline(-9, color='r', label='certificate (1e-9)'); axes[0].legend()\n"
        "axes[0].set(xlabel='log10 relative duality gap', ylabel='problems', title='LP duality: primal = dual')\n"
        "w = kr_random[:, 1]\n"
        "axes[1].scatter(w, kr_random[:, 0], s=8, label='random 1-Lipschitz f')\n"
        "axes[1].scatter(kr_attained[:, 1], kr_attained[:, 0], s=8, marker='x', label='c-transform of the potential')\n"
        "axes[1].plot([0, w.max()], [0, w.max()], 'k-', lw=0.8)\n"
        "axes[1].set(xlabel='W₁ (exact)', ylabel='E_P f − E_Q f', title='Kantorovich–Rubinstein')\n"
        "axes[1].legend(); plt.tight_layout(); plt.show()"
    ),
    new_code_cell(
        "orders = [1.0, 1.5, 2.0, 3.0]\n"
        "for _ in range(TRIALS // 4):\n"
        "    dim = rng.integers(1, 4)\n"
        "    x, y = rng.normal(size=(rng.integers(1, 12), dim)), rng.normal(size=(rng.integers(1, 12), dim))\n"
        "    values = [float(dv.wasserstein(x, y, order=o, method='exact')) for o in orders]\n"
        "    record('W_p nondecreasing in p', max(values[i] - values[i + 1] for i in range(3)))\n"
        "    shift, s = rng.normal(size=dim) * 5, rng.normal() * 3\n"
        "    base = values[1]\n"
        "    record('translation invariance (relative)', abs(float(dv.wasserstein(x + shift, y + shift, order=1.5)) - base) / max(base, 1))\n"
        "    record('scaling law (relative)', abs(float(dv.wasserstein(s * x, s * y, order=1.5)) - abs(s) * base) / max(abs(s) * base, 1))\n"
        "print('checked', TRIALS // 4, 'problems for the order and the invariances')"
    ),
    new_markdown_cell(
        "## Parallel lines\n\n"
        "P = law of (0, Z), Q_θ = law of (θ, Z). For every θ: W₁ = W₂ = |θ|; for θ ≠ 0, "
        "JS = log 2 and KL = +∞. Only W tells how far apart the lines are."
    ),
    new_code_cell(
        "thetas = np.linspace(-1, 1, 41)\n"
        "z = (np.arange(20) + 0.5) / 20\n"
        "rows = []\n"
        "for theta in thetas:\n"
        "    p = dv.Histogram(np.ones(20), support=np.column_stack([np.zeros(20), z]))\n"
        "    q = dv.Histogram(np.ones(20), support=np.column_stack([np.full(20, theta), z]))\n"
        "    rows.append([float(dv.wasserstein(p, q, order=1)), float(dv.wasserstein(p, q, order=2)),\n"
        "                 float(dv.js_divergence(p, q)), float(dv.kl_divergence(p, q))])\n"
        "rows = np.array(rows)\n"
        "record('parallel lines W_1 = |theta|', np.max(np.abs(rows[:, 0] - np.abs(thetas))))\n"
        "record('parallel lines W_2 = |theta|', np.max(np.abs(rows[:, 1] - np.abs(thetas))))\n"
        "record('parallel lines JS = log 2', np.max(np.abs(rows[thetas != 0, 2] - LOG2)))\n"
        "assert np.all(np.isinf(rows[thetas != 0, 3])) and rows[thetas == 0, 3].item() == 0\n"
        "plt.figure(figsize=(6, 4))\n"
        "plt.plot(thetas, rows[:, 0], label='W₁'); plt.plot(thetas, rows[:, 1], '--', label='W₂')\n"
        "plt.plot(thetas, rows[:, 2], label='JS (nats)')\n"
        "plt.plot(thetas, np.where(np.isinf(rows[:, 3]), 1.2, rows[:, 3]), ':', label='KL (∞ drawn at 1.2)')\n"
        "plt.xlabel('θ'); plt.title('parallel lines'); plt.legend(); plt.show()"
    ),
    new_markdown_cell(
        "## Closed forms between densities\n\n"
        "The Bures formula for W₂ between Gaussians agrees with the quantile formula (adaptive "
        "quadrature) in 1-D, and the shifted copy N(m + a, S) is ‖a‖ away."
    ),
    new_code_cell(
        "for _ in range(TRIALS // 10):\n"
        "    p = dv.Gaussian(rng.normal(), rng.uniform(0.1, 4))\n"
        "    q = dv.Gaussian(rng.normal(), rng.uniform(0.1, 4))\n"
        "    closed = float(dv.wasserstein(p, q, order=2, method='gaussian'))\n"
        "    line = float(dv.wasserstein(p, q, order=2, method='1d'))\n"
        "    record('Bures = quantile formula in 1-D', abs(closed - line))\n"
        "    dim = rng.integers(1, 5)\n"
        "    root = rng.normal(size=(dim, dim)); cov = root @ root.T + np.eye(dim)\n"
        "    shift = rng.normal(size=dim)\n"
        "    g = dv.Gaussian(np.zeros(dim), cov)\n"
        "    h = dv.Gaussian(shift, cov)\n"
        "    record('Bures of a shifted copy = |a|', abs(float(dv.wasserstein(g, h, order=2)) - np.linalg.norm(shift)))\n"
        "    record('KL(g, g) = 0', float(dv.kl_divergence(g, g)))"
    ),
    new_markdown_cell("## Summary: the largest violation of each statement (≤ 0 means never violated)"),
    new_code_cell(
        "width = max(map(len, violations))\n"
        "for name, worst in violations.items():\n"
        "    print(f'{name:<{width}}  {worst: .2e}')\n"
        "assert max(violations.values()) < 1e-6, 'a statement is violated beyond rounding'"
    ),
]


if __name__ == "__main__":
    main(CELLS, TARGET, __doc__.splitlines()[0])
