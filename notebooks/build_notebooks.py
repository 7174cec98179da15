"""Write and execute the GAN notebooks: ``python notebooks/build_notebooks.py``.

The notebooks are generated from the cells below (so that their source is
reviewable as plain Python) and executed with nbclient, outputs and figures
saved in the ``.ipynb`` files. Settings are small: each runs in well under a
minute on two cores.
"""

import os
import pathlib
import sys

import nbformat
from nbclient import NotebookClient

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent

md = nbformat.v4.new_markdown_cell
code = nbformat.v4.new_code_cell

PARALLEL_LINES = [
    md(
        "# The parallel-lines example\n\n"
        "Arjovsky, Chintala & Bottou (2017), *Wasserstein GAN*, example 1. "
        "Let $z \\sim U[0,1]$, $P$ the law of $(0, z)$ and $Q_\\theta$ the law of "
        "$(\\theta, z)$. For $\\theta \\ne 0$ the two are supported on disjoint "
        "lines, so\n\n"
        "* $W_1(P, Q_\\theta) = |\\theta|$,\n"
        "* $JS(P, Q_\\theta) = \\log 2$ (and $0$ at $\\theta = 0$),\n"
        "* $KL(P \\| Q_\\theta) = +\\infty$ (and $0$ at $\\theta = 0$).\n\n"
        "Only the Wasserstein distance is continuous in $\\theta$, and only it gives "
        "a gradient that moves $\\theta$ toward $0$. This notebook shows (a) the three "
        "divergences against $\\theta$, estimated by the library from samples next "
        "to the true values, and (b) $\\theta$ over training from $\\theta = 1$ under "
        "each objective of `divergences.gan`."
    ),
    code(
        "import numpy as np\n"
        "import matplotlib.pyplot as plt\n"
        "import divergences as dv\n\n"
        "N = 500          # points per sample set\n"
        "thetas = np.linspace(-1.0, 1.0, 9)"
    ),
    md(
        "## (a) W, JS and KL against θ\n\n"
        "$W_1$ two ways: exact optimal transport between the samples, and the "
        "critic-based dual (`method=\"critic\"`, WGAN-GP). JS and KL through a "
        "trained discriminator: its logit estimates $\\log p/q$, so "
        "$(V(D) + \\log 4)/2$ estimates JS and $E_P[\\log p/q]$ estimates KL. "
        "(Nearest-neighbour estimators are not defined here: both laws are "
        "degenerate in the plane.)"
    ),
    code(
        "table = dv.gan.parallel_lines_divergences(thetas, n=N, rng=0)\n"
        "rows = np.column_stack([table[k] for k in (\"theta\", \"w_exact\", \"w_critic\",\n"
        "                                           \"js_estimate\", \"kl_estimate\")])\n"
        "print(\"theta   W exact  W critic  |theta|   JS est.  JS true   KL est.  KL true\")\n"
        "for i, theta in enumerate(table[\"theta\"]):\n"
        "    print(f\"{theta:5.2f}  {table['w_exact'][i]:7.3f}  {table['w_critic'][i]:8.3f}  \"\n"
        "          f\"{table['w_true'][i]:7.3f}  {table['js_estimate'][i]:8.3f}  \"\n"
        "          f\"{table['js_true'][i]:7.3f}  {table['kl_estimate'][i]:8.2f}  {table['kl_true'][i]:7.2f}\")"
    ),
    code(
        "fine = np.linspace(-1, 1, 401)\n"
        "fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))\n"
        "axes[0].plot(fine, np.abs(fine), \"k-\", lw=1, label=\"true |θ|\")\n"
        "axes[0].plot(rows[:, 0], rows[:, 1], \"o\", label=\"exact OT on samples\")\n"
        "axes[0].plot(rows[:, 0], rows[:, 2], \"x\", ms=8, label=\"critic (WGAN-GP)\")\n"
        "axes[0].set_title(\"$W_1(P, Q_θ)$\")\n"
        "js_true = np.where(fine == 0, 0.0, np.log(2))\n"
        "axes[1].plot(fine, js_true, \"k-\", lw=1, label=\"true\")\n"
        "axes[1].plot([0], [0], \"ko\", mfc=\"white\")\n"
        "axes[1].plot(rows[:, 0], rows[:, 3], \"s\", label=\"discriminator estimate\")\n"
        "axes[1].set_title(\"$JS(P, Q_θ)$ (nats)\")\n"
        "axes[2].plot(rows[:, 0], rows[:, 4], \"^\", label=\"discriminator estimate\")\n"
        "axes[2].set_title(\"$KL(P \\\\| Q_θ)$: true value +∞ for θ ≠ 0\")\n"
        "for ax in axes:\n"
        "    ax.set_xlabel(\"θ\")\n"
        "    ax.legend(fontsize=8)\n"
        "fig.tight_layout()"
    ),
    md(
        "The discriminator's JS saturates at $\\log 2$ as soon as $\\theta \\neq 0$, "
        "and its KL estimate is only as large as the discriminator's logits have "
        "grown in training (the true value is infinite): neither tells how far apart "
        "the lines are. $W_1$ does."
    ),
    md(
        "## (b) θ over training\n\n"
        "`dv.gan.parallel_lines_experiment` trains `ParallelLinesGenerator(1.0)` under "
        "each objective with plain gradient steps (so θ moves in proportion to the "
        "gradient it receives). The discriminator-based objectives get a long "
        "warm-up and five discriminator updates per generator step, to stay near "
        "the optimal discriminator the theory speaks of."
    ),
    code(
        "objectives = (\"wasserstein\", \"exact_ot\", \"sinkhorn\", \"sliced\", \"js\", \"kl\", \"js_nonsaturating\")\n"
        "result = dv.gan.parallel_lines_experiment(objectives, steps=150, batch_size=64, rng=0)\n"
        "print(result.summary())"
    ),
    code(
        "fig, ax = plt.subplots(figsize=(8, 4))\n"
        "for name, theta in result.thetas.items():\n"
        "    style = \"--\" if name in (\"js\", \"kl\", \"js_nonsaturating\") else \"-\"\n"
        "    ax.plot(theta, style, label=name)\n"
        "ax.axhline(0, color=\"k\", lw=0.5)\n"
        "ax.set_xlabel(\"generator step\")\n"
        "ax.set_ylabel(\"θ\")\n"
        "ax.set_title(\"θ from 1 under each objective\")\n"
        "ax.legend(ncol=2, fontsize=8)\n"
        "fig.tight_layout()"
    ),
    md(
        "The Wasserstein objectives -- the WGAN-GP critic and the critic-free exact, "
        "Sinkhorn and sliced transport losses -- drive θ to 0. With a near-optimal "
        "discriminator, the saturating JS objective (the minimax game) and the KL "
        "objective leave θ where it started: their gradient vanishes. The "
        "non-saturating loss $-E_Q \\log D$ does move θ, but its gradient comes from "
        "the discriminator's logit slope, not from the divergence, and it is erratic."
    ),
]

RING = [
    md(
        "# A generator on the 8-Gaussians ring\n\n"
        "An MLP generator (2-D standard normal latent, two hidden layers) trained on "
        "the ring of eight Gaussians with two objectives: the WGAN-GP critic, and the "
        "critic-free Sinkhorn divergence between batches. Small settings, so the "
        "notebook runs in well under a minute."
    ),
    code(
        "import numpy as np\n"
        "import matplotlib.pyplot as plt\n"
        "import divergences as dv\n"
        "from divergences.gan import MLPGenerator, WassersteinCritic, SinkhornObjective, train\n\n"
        "try:  # the datasets module, where available\n"
        "    ring = lambda n, rng: dv.datasets.gaussian_ring(n, rng=rng)\n"
        "    ring(2, 0)\n"
        "except (AttributeError, ImportError, TypeError):\n"
        "    ring = lambda n, rng: dv.gan.gaussian_ring(n, rng=rng)\n"
        "target = ring(4000, 0)\n"
        "BATCH = 64"
    ),
    code(
        "critic_objective = WassersteinCritic(n_critic=5, hidden=(64, 64))\n"
        "g_critic = MLPGenerator(2, hidden=(64, 64), rng=1)\n"
        "h_critic = train(g_critic, target, divergence=critic_objective, steps=600,\n"
        "                 batch_size=BATCH, lr=2e-4, rng=1)\n"
        "g_sinkhorn = MLPGenerator(2, hidden=(64, 64), rng=1)\n"
        "h_sinkhorn = train(g_sinkhorn, target, divergence=SinkhornObjective(eps=0.3),\n"
        "                   steps=300, batch_size=BATCH, lr=5e-3, rng=1)\n"
        "print(h_critic, h_sinkhorn, sep=\"\\n\")"
    ),
    code(
        "grid = np.linspace(-3, 3, 121)\n"
        "xx, yy = np.meshgrid(grid, grid)\n"
        "values = critic_objective.critic(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)\n"
        "fig, axes = plt.subplots(1, 3, figsize=(14, 4.4))\n"
        "fake_c, fake_s = g_critic.sample(1000, rng=2), g_sinkhorn.sample(1000, rng=2)\n"
        "axes[0].contourf(xx, yy, values, levels=20, cmap=\"coolwarm\")\n"
        "axes[0].scatter(*target[:1000].T, s=2, c=\"k\", label=\"target\")\n"
        "axes[0].scatter(*fake_c.T, s=2, c=\"gold\", label=\"generated\")\n"
        "axes[0].set_title(\"WGAN-GP: samples on the critic's contours\")\n"
        "axes[1].scatter(*target[:1000].T, s=2, c=\"k\", label=\"target\")\n"
        "axes[1].scatter(*fake_s.T, s=2, c=\"tab:green\", label=\"generated\")\n"
        "axes[1].set_title(\"Sinkhorn divergence (ε = 0.3)\")\n"
        "for ax in axes[:2]:\n"
        "    ax.set_xlim(-3, 3); ax.set_ylim(-3, 3); ax.set_aspect(\"equal\")\n"
        "    ax.legend(loc=\"upper right\", fontsize=8, markerscale=4)\n"
        "axes[2].plot(h_critic.estimate, label=\"critic's W_1 estimate\")\n"
        "axes[2].plot(h_sinkhorn.estimate, label=\"Sinkhorn divergence\")\n"
        "axes[2].set_xlabel(\"generator step\"); axes[2].set_yscale(\"log\")\n"
        "axes[2].legend(); axes[2].set_title(\"training curves\")\n"
        "fig.tight_layout()"
    ),
    code(
        "# How close did each get? Exact W_1 between 1000 generated and 1000 target points\n"
        "# (W_1 between two 1000-point samples of the target itself, for scale).\n"
        "reference = dv.wasserstein(target[:1000], target[1000:2000]).value\n"
        "for name, g in ((\"critic\", g_critic), (\"sinkhorn\", g_sinkhorn)):\n"
        "    print(f\"{name:9s} W_1 = {dv.wasserstein(g.sample(1000, rng=3), target[:1000]).value:.3f}\")\n"
        "print(f\"target vs target: {reference:.3f}\")"
    ),
    md(
        "With these CI-sized budgets (600 generator steps for the critic, 300 for "
        "Sinkhorn) the critic-free Sinkhorn loss, whose gradient is exact for each "
        "batch, spreads the samples over the ring sooner; the WGAN-GP generator "
        "chases a moving critic and needs a few thousand steps (and a smaller "
        "generator step, e.g. `lr=1e-4`) to separate all eight modes."
    ),
]


def build(name, cells, timeout=600):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    execute(notebook, timeout)
    nbformat.write(notebook, HERE / name)


def execute(notebook, timeout=600):
    """Run ``notebook`` in place, in a kernel that imports this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(HERE)}})
    client.execute(env=env)
    return notebook


NOTEBOOKS = {"parallel_lines.ipynb": PARALLEL_LINES, "gan_8gaussians.ipynb": RING}

if __name__ == "__main__":
    for filename in sys.argv[1:] or NOTEBOOKS:
        build(filename, NOTEBOOKS[filename])
        print("wrote", HERE / filename)
