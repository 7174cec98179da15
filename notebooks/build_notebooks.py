"""Write and execute the GAN notebooks: ``python notebooks/build_notebooks.py``.

The notebooks are generated from the cells below (so that their source is
reviewable as plain Python) and executed with nbclient, outputs and figures
saved in the ``.ipynb`` files. Settings are small: each runs in well under a
minute on two cores. ``gan_toy.ipynb`` reads its budget from
``DIVERGENCES_GAN_BUDGET`` (``ci`` by default; ``medium``; ``full``, which
``benchmarks/bench_gan.py --notebook`` runs).
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

TOY = [
    md(
        "# Every objective on the 2-D benchmarks\n\n"
        "An MLP generator (2-D normal latent, three hidden ReLU layers of 128) trained "
        "on the 8-Gaussians ring and on two moons against each objective of "
        "`divergences.gan`, with the measured settings of `dv.gan.TOY_SETTINGS`, and "
        "judged by one yardstick, `dv.gan.quality`: exact $W_1$ between 2,000 generated "
        "and 2,000 target points against the floor (two independent target samples), "
        "the modes covered and the share of points within 3 sd of a mode.\n\n"
        "The budget is set by `DIVERGENCES_GAN_BUDGET`: `ci` (the default, a few dozen "
        "steps per run: the tests execute it so), `medium` (a tenth of each objective's "
        "steps) or `full` (`python benchmarks/bench_gan.py --notebook`). **At the `ci` "
        "budget nothing has trained yet**: the figures then show the pipeline, not the "
        "objectives' quality; `benchmarks/bench_gan.py` has the full table."
    ),
    code(
        "import os, warnings\n"
        "import numpy as np\n"
        "import matplotlib.pyplot as plt\n"
        "import divergences as dv\n"
        "from divergences.gan import TOY_DATASETS, TOY_SETTINGS, toy_experiment\n\n"
        "BUDGET = os.environ.get(\"DIVERGENCES_GAN_BUDGET\", \"ci\")\n"
        "SCALE, N_EVAL, N_PROBES = {\"ci\": (0.01, 300, 3), \"medium\": (0.1, 2000, 10),\n"
        "                           \"full\": (1.0, 2000, 20)}[BUDGET]\n"
        "OBJECTIVES = list(TOY_SETTINGS)\n"
        "DATASETS = [\"ring\", \"moons\"]\n"
        "print(f\"budget {BUDGET!r}: {SCALE:g} of each objective's steps\")"
    ),
    code(
        "runs = {}\n"
        "for dataset in DATASETS:\n"
        "    for name in OBJECTIVES:\n"
        "        with warnings.catch_warnings(record=True) as caught:\n"
        "            warnings.simplefilter(\"always\")\n"
        "            run = toy_experiment(name, dataset, scale=SCALE, rng=0, n_eval=N_EVAL,\n"
        "                                 probe_every=max(1, int(TOY_SETTINGS[name][\"steps\"] * SCALE) // N_PROBES),\n"
        "                                 probe_size=min(N_EVAL, 1000))\n"
        "        runs[name, dataset] = run\n"
        "        flag = f\"  ({len(caught)} warnings: {caught[0].message})\" if caught else \"\"\n"
        "        print(f\"{name:17s} {dataset:6s} {run.history.steps:5d} steps  {run.quality}\"\n"
        "              f\"  {run.history.ms_per_step:.0f} ms/step{flag}\")"
    ),
    code(
        "fig, axes = plt.subplots(len(DATASETS), len(OBJECTIVES),\n"
        "                         figsize=(2.2 * len(OBJECTIVES), 2.4 * len(DATASETS)), squeeze=False)\n"
        "for row, dataset in enumerate(DATASETS):\n"
        "    target = TOY_DATASETS[dataset].sample(1000, np.random.default_rng(9))\n"
        "    for col, name in enumerate(OBJECTIVES):\n"
        "        run, ax = runs[name, dataset], axes[row, col]\n"
        "        fake = run.generator.sample(1000, rng=9)\n"
        "        ax.scatter(*target.T, s=1, c=\"0.7\")\n"
        "        ax.scatter(*fake.T, s=1, c=\"tab:red\")\n"
        "        q = run.quality\n"
        "        title = f\"{name}\\nW1/floor {q.ratio:.1f}\"\n"
        "        if q.modes is not None:\n"
        "            title += f\", {q.modes}/{q.n_modes}, {100 * q.high_quality:.0f}%\"\n"
        "        ax.set_title(title, fontsize=7)\n"
        "        lim = 2.6 if dataset == \"ring\" else 2.2\n"
        "        ax.set_xlim(-lim, lim); ax.set_ylim(-lim, lim); ax.set_xticks([]); ax.set_yticks([])\n"
        "fig.suptitle(\"samples (red) on the target (grey); W1/floor, modes, high-quality share\", fontsize=9)\n"
        "fig.tight_layout()"
    ),
    md(
        "## Curves over training\n\n"
        "Exact $W_1$ (the probe of `train(..., probe_every=)`) over the floor, the same "
        "for every objective. The objectives' own estimates are not on this plot: they "
        "measure different things (a batch divergence, a discriminator's value) and a "
        "critic's $E_P f - E_Q f$ is only a lower bound of $W_1$ -- negative values, when "
        "the critic points the wrong way, are counted below instead of drawn as distances."
    ),
    code(
        "fig, axes = plt.subplots(1, len(DATASETS), figsize=(6 * len(DATASETS), 3.6), squeeze=False)\n"
        "for ax, dataset in zip(axes[0], DATASETS):\n"
        "    for name in OBJECTIVES:\n"
        "        h = runs[name, dataset].history\n"
        "        ax.plot(h.probe_steps, h.probe_w1 / h.probe_floor, label=name,\n"
        "                ls=\"--\" if name.startswith((\"js\", \"kl\")) else \"-\")\n"
        "    ax.axhline(1, c=\"k\", lw=0.5); ax.axhline(2, c=\"k\", lw=0.5, ls=\":\")\n"
        "    ax.set_yscale(\"log\"); ax.set_xlabel(\"generator step\"); ax.set_ylabel(\"exact W1 / floor\")\n"
        "    ax.set_title(dataset)\n"
        "axes[0, -1].legend(fontsize=7, ncol=2)\n"
        "fig.tight_layout()\n"
        "for name in (\"wasserstein\", \"wgan_clip\"):\n"
        "    h = runs[name, \"ring\"].history\n"
        "    print(f\"{name}: {h.negative_estimates} of {h.steps} critic estimates were negative \"\n"
        "          \"(the critic ranked generated points above real ones: no bound, no distance)\")"
    ),
    md(
        "## The JS objectives' failure modes, measured\n\n"
        "**Vanishing gradients.** With a strong discriminator (five updates per generator "
        "step after a 300-step warm-up), the saturating loss $E_Q \\log(1 - D)$ gives the "
        "generator almost no gradient once $D$ rejects its points; the non-saturating "
        "$-E_Q \\log D$ keeps a gradient. The callback below records the norm of the "
        "gradient each objective hands to the generated points.\n\n"
        "**Mode collapse.** The modes covered over training, from the exact-W1 runs above "
        "and from these: the JS generators cover a few modes at a time, and which ones "
        "changes as the discriminator chases them."
    ),
    code(
        "from divergences.gan import MLPGenerator, train\n"
        "from divergences.gan.metrics import mode_statistics\n"
        "ring = TOY_DATASETS[\"ring\"]\n"
        "target = ring.sample(20000, np.random.default_rng(0))\n"
        "steps = max(20, int(1500 * SCALE))\n"
        "records = {}\n"
        "for name in (\"js\", \"js_nonsaturating\"):\n"
        "    norms, modes = [], []\n"
        "    def watch(state, norms=norms, modes=modes):\n"
        "        _, grad, _ = state.objective.generator_step(state.real, state.fake, None)\n"
        "        norms.append(float(np.abs(grad).sum()))\n"
        "        if state.step % max(1, steps // 20) == 0:\n"
        "            points = state.generator.sample(1000, rng=1)\n"
        "            modes.append((state.step, *mode_statistics(points, ring.centres, ring.std)))\n"
        "    g = MLPGenerator(2, hidden=(128, 128, 128), rng=0)\n"
        "    train(g, target, divergence=name, steps=steps, batch_size=256, lr=1e-3,\n"
        "          n_critic=5, warmup=300, rng=0, callbacks=[watch])\n"
        "    records[name] = (np.array(norms), np.array(modes))\n"
        "fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))\n"
        "for name, (norms, modes) in records.items():\n"
        "    axes[0].plot(norms, label=name)\n"
        "    axes[1].plot(modes[:, 0], modes[:, 1], \"o-\", label=name)\n"
        "    print(f\"{name:17s} median |grad| {np.median(norms):.2e}, modes covered over training: \"\n"
        "          f\"{modes[:, 1].astype(int).tolist()}\")\n"
        "axes[0].set_yscale(\"log\"); axes[0].set_xlabel(\"generator step\")\n"
        "axes[0].set_title(\"sum of |gradient| on the generated points\"); axes[0].legend()\n"
        "axes[1].set_xlabel(\"generator step\"); axes[1].set_ylabel(\"modes covered (of 8)\")\n"
        "axes[1].set_title(\"strong discriminator: modes covered\"); axes[1].legend()\n"
        "fig.tight_layout()"
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


NOTEBOOKS = {"parallel_lines.ipynb": PARALLEL_LINES, "gan_toy.ipynb": TOY}

if __name__ == "__main__":
    for filename in sys.argv[1:] or NOTEBOOKS:
        build(filename, NOTEBOOKS[filename])
        print("wrote", HERE / filename)
