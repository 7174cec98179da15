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
        "steps in the grid of samples, and the JS failure-mode experiments at full length) "
        "or `full` (`python benchmarks/bench_gan.py --notebook`). The saved copy was run at "
        "the budget printed by the next cell. **At the `ci` budget nothing has trained "
        "yet**, and at `medium` the grid shows runs a tenth of the way through: "
        "`benchmarks/bench_gan.py` and the README have the full table."
    ),
    code(
        "import os, warnings\n"
        "import numpy as np\n"
        "import matplotlib.pyplot as plt\n"
        "import divergences as dv\n"
        "from divergences.gan import TOY_DATASETS, TOY_SETTINGS, toy_experiment\n"
        "from divergences.gan.toy import toy_settings\n\n"
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
        "                                 probe_every=max(1, int(toy_settings(name, dataset)[\"steps\"] * SCALE) // N_PROBES),\n"
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
        "**Mode collapse.** The classic GAN (`js`, the minimax loss $E_Q \\log(1 - D)$) and "
        "its non-saturating variant (`js_nonsaturating`, $-E_Q \\log D$) trained on the ring "
        "with their settings of `TOY_SETTINGS` (one discriminator step per generator step, "
        "as in Goodfellow et al. 2014). Every few steps the same 1,000 latent points are "
        "mapped and each mode's share of high-quality points (within 3 sd) is recorded: "
        "a mode counts as covered with at least 20% of its fair share (the rule of "
        "`dv.gan.quality`). `sliced`, a critic-free objective, is the reference."
    ),
    code(
        "from divergences.gan.metrics import mode_counts\n"
        "ring = TOY_DATASETS[\"ring\"]\n"
        "COLLAPSE_STEPS = {\"ci\": 60, \"medium\": 3000, \"full\": 3000}[BUDGET]\n"
        "latent = np.random.default_rng(1).standard_normal((1000, 2))\n"
        "every = max(1, COLLAPSE_STEPS // 30)\n"
        "collapse = {}\n"
        "for name in (\"js\", \"js_nonsaturating\", \"sliced\"):\n"
        "    checkpoints = []\n"
        "    def watch(state, checkpoints=checkpoints):\n"
        "        if (state.step + 1) % every == 0:\n"
        "            counts, _ = mode_counts(state.generator(latent), ring.centres, ring.std)\n"
        "            checkpoints.append((state.step + 1, counts))\n"
        "    with warnings.catch_warnings():\n"
        "        warnings.simplefilter(\"ignore\")\n"
        "        run = toy_experiment(name, \"ring\", steps=COLLAPSE_STEPS, rng=0, n_eval=N_EVAL,\n"
        "                             callbacks=[watch])\n"
        "    at, counts = map(np.array, zip(*checkpoints))\n"
        "    covered = (counts >= 0.2 * len(latent) / len(ring.centres)).sum(axis=1)\n"
        "    collapse[name] = at, counts, covered, run\n"
        "    print(f\"{name:17s} modes covered every {every} steps: {covered.tolist()}\")\n"
        "    print(f\"{'':17s} after {run.history.steps} steps: {run.quality}\")\n"
        "fig, axes = plt.subplots(1, 4, figsize=(15, 3.2), gridspec_kw={\"width_ratios\": [1.3, 1, 1, 1]})\n"
        "for name, (at, counts, covered, run) in collapse.items():\n"
        "    axes[0].plot(at, covered, \"o-\", ms=3, label=name)\n"
        "axes[0].set_ylim(-0.3, 8.3); axes[0].set_xlabel(\"generator step\")\n"
        "axes[0].set_ylabel(\"modes covered (of 8)\"); axes[0].legend(fontsize=8)\n"
        "for ax, (name, (at, counts, covered, run)) in zip(axes[1:], collapse.items()):\n"
        "    ax.imshow(counts.T / len(latent), aspect=\"auto\", origin=\"lower\", cmap=\"Greys\",\n"
        "              vmin=0, vmax=2 / len(ring.centres), extent=(0, at[-1], -0.5, 7.5))\n"
        "    ax.set_title(f\"{name}: share of points per mode\", fontsize=9)\n"
        "    ax.set_xlabel(\"generator step\"); ax.set_ylabel(\"mode\")\n"
        "fig.tight_layout()"
    ),
    md(
        "**Vanishing gradients with a strong discriminator.** The experiment of Arjovsky & "
        "Bottou (2017, *Towards principled methods for training GANs*, figure 2): a "
        "generator is frozen, a discriminator is trained against it from scratch, and the "
        "norm of the gradient that each generator loss sends to the generator's parameters "
        "is measured (2,000 latent points) as the discriminator improves. For the minimax "
        "loss that gradient is $-D \\nabla h$ on the generated points, and $D \\to 0$ there "
        "as the discriminator separates them; the non-saturating loss sends "
        "$-(1 - D) \\nabla h$ instead. The Wasserstein critic (GP), trained the same way, is "
        "the reference. Two frozen generators: the parallel lines at $\\theta = 0.5$ "
        "(disjoint supports: the discriminator becomes perfect, JS reaches $\\log 2$) and "
        "the untrained MLP generator on the ring (overlapping supports: within this budget "
        "the discriminator stays short of optimal, and the minimax gradient does not vanish "
        "-- the printed numbers say how far it got)."
    ),
    code(
        "from divergences.gan import MLPGenerator, ParallelLinesGenerator, make_objective\n"
        "from divergences.gan.toy import GENERATOR\n"
        "D_STEPS = {\"ci\": 100, \"medium\": 2000, \"full\": 2000}[BUDGET]\n"
        "marks = [s for s in (0, 1, 3, 10, 30, 100, 300, 1000, 2000) if s <= D_STEPS]\n\n"
        "def parameter_norm(generator, z, grad_x, cache):\n"
        "    return float(np.sqrt(sum(np.sum(g * g) for g in generator.vjp_from(z, grad_x, cache))))\n\n"
        "def gradients_as_the_critics_train(generator, target, rng):\n"
        "    # A discriminator (the `js` one) and a WGAN-GP critic, trained from scratch against a\n"
        "    # frozen generator; at each mark the gradient norm each loss gives the generator.\n"
        "    disc, critic = make_objective(\"js\", lr=1e-3), make_objective(\"wasserstein\", lr=1e-3)\n"
        "    disc.setup(2, rng); critic.setup(2, rng)\n"
        "    z = generator.sample_latent(2000, rng)\n"
        "    fake, cache = generator.forward(z)\n"
        "    real = target[:2000]\n"
        "    rows = []\n"
        "    for step in range(D_STEPS + 1):\n"
        "        if step in marks:\n"
        "            row = [step]\n"
        "            for loss in (\"saturating\", \"non_saturating\"):\n"
        "                disc.generator_loss = loss\n"
        "                _, grad_x, js = disc.generator_step(real, fake, rng)\n"
        "                row.append(parameter_norm(generator, z, grad_x, cache))\n"
        "            _, grad_x, w = critic.generator_step(real, fake, rng)\n"
        "            rows.append(row + [parameter_norm(generator, z, grad_x, cache), js, w])\n"
        "        batch = target[rng.integers(len(target), size=256)]\n"
        "        disc.critic_step(batch, generator.sample(256, rng), rng)\n"
        "        critic.critic_step(batch, generator.sample(256, rng), rng)\n"
        "    return np.array(rows)\n\n"
        "frozen = {\n"
        "    \"parallel lines, θ = 0.5\": (ParallelLinesGenerator(0.5),\n"
        "                                 dv.gan.parallel_lines_target(20000, rng=0)),\n"
        "    \"ring, untrained MLP\": (MLPGenerator(2, **GENERATOR, rng=1),\n"
        "                            ring.sample(20000, np.random.default_rng(0))),\n"
        "}\n"
        "decay = {label: gradients_as_the_critics_train(g, t, np.random.default_rng(3))\n"
        "         for label, (g, t) in frozen.items()}\n"
        "fig, axes = plt.subplots(1, len(decay), figsize=(11, 3.4), squeeze=False)\n"
        "for ax, (label, rows) in zip(axes[0], decay.items()):\n"
        "    steps_ = np.maximum(rows[:, 0], 0.5)\n"
        "    for col, name in ((1, \"js (saturating)\"), (2, \"js_nonsaturating\"), (3, \"wasserstein (GP)\")):\n"
        "        ax.plot(steps_, rows[:, col], \"o-\", ms=3, label=name)\n"
        "    ax.set_xscale(\"log\"); ax.set_yscale(\"log\"); ax.set_xlabel(\"discriminator / critic steps\")\n"
        "    ax.set_ylabel(\"|gradient| on the generator's parameters\"); ax.set_title(label)\n"
        "axes[0, 0].legend(fontsize=8)\n"
        "fig.tight_layout()\n"
        "for label, rows in decay.items():\n"
        "    print(f\"{label}:\")\n"
        "    print(\"  D steps  |grad| js    js_nonsat.  wasserstein  JS estimate (nats)  critic E_P f - E_Q f\")\n"
        "    for step, sat, nonsat, wass, js, w in rows:\n"
        "        print(f\"  {step:7.0f}  {sat:9.2e}  {nonsat:10.2e}  {wass:11.2e}  {js:18.3f}  {w:20.3f}\")\n"
        "    print(f\"  after {D_STEPS} steps the saturating gradient is {rows[-1, 1] / rows[:, 1].max():.1e} \"\n"
        "          f\"of its largest, the non-saturating {rows[-1, 2] / rows[:, 2].max():.1e}\")"
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
