"""GAN objectives on the 2-D benchmarks: quality per objective x dataset, and step cost.

    python benchmarks/bench_gan.py [--objectives sliced,sinkhorn,...] [--datasets ring,moons]
                                   [--scale 0.1] [--seeds 0,1] [--speed-only] [--notebook]
                                   [--compare PATH] [--fidelity [--fidelity-steps 1000]]

1. **Quality table** (issue 20, item 2): for each objective and dataset,
   :func:`divergences.gan.toy_experiment` trains an MLP generator with the
   measured settings of ``divergences.gan.TOY_SETTINGS`` and reports exact W1
   between 2,000 generated and 2,000 target points, the floor (W1 between two
   independent 2,000-point target samples), their ratio (goal: <= 2), the
   modes covered and the share of high-quality points (within 3 sd of a
   mode; goal >= 80%) for the mixtures, ms per generator step and the
   training time. ``--scale 0.1`` runs a tenth of each objective's steps (a
   reduced budget); ``--seeds`` repeats over seeds.
2. **Step cost** (item 4): ms per generator step of every objective at batch
   256 on the ring (the default generator), after a 3-step run that compiles
   the Numba kernels (compile time reported apart), and the peak memory of
   a 10-step run. ``--compare PATH`` runs the same measurement in a child
   process on another checkout of the library (e.g. the code before a
   change) and prints the ratios -- both in this run, on the same machine.
3. ``--notebook`` executes ``notebooks/gan_toy.ipynb`` at its full budget.
4. ``--fidelity`` (alone): how much of the exact W1 a WGAN critic trained against a
   frozen generator recovers (:func:`critic_fidelity`), for zero or data-placed
   first-layer biases, ReLU or leaky ReLU, two- or one-sided penalty, per seed.

The machine is usually shared (2 cores, several engineers): timings are
"under load"; read ratios rather than seconds.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

from _harness import markdown_table, peak_rss_during  # noqa: E402

SPEED_OBJECTIVES = ("js", "wasserstein", "wgan_clip", "exact_ot", "sinkhorn", "sliced", "mmd")

# Run as a child (--child-speed) with the library of another checkout on sys.path:
# only the API both versions share (train with divergence, steps, batch_size, lr, rng).
_SPEED_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np
sys.path.insert(0, sys.argv[1])
import divergences as dv
from divergences.gan import MLPGenerator, train
warnings.simplefilter("ignore")
target = dv.datasets.gaussian_ring(20000, rng=0)
out = {}
for name in sys.argv[2].split(","):
    options = {"eps": 0.03} if name == "sinkhorn" else {}
    def run(steps):
        g = MLPGenerator(2, hidden=(128, 128, 128), rng=1)
        return train(g, target, divergence=name, steps=steps, batch_size=256, lr=1e-4,
                     rng=0, **options)
    start = time.perf_counter(); run(3); first = time.perf_counter() - start
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter(); run(20); best = min(best, (time.perf_counter() - start) / 20)
    out[name] = {"ms": 1000 * best, "first_s": first}
# Memory of one objective step at batch 2048 (numpy allocations, tracemalloc): a
# dense n x m x d tensor is 2048^2 * 2 * 8 B = 64 MiB.
import tracemalloc
from divergences.gan import make_objective
rng = np.random.default_rng(0)
x, y = target[:2048], rng.normal(size=(2048, 2))
for name in ("sinkhorn", "mmd"):
    objective = make_objective(name, **({"eps": 0.3} if name == "sinkhorn" else {}))
    objective.generator_step(x, y, rng)
    tracemalloc.start()
    objective.generator_step(x, y, rng)
    out[name]["peak_mib_2048"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
print(json.dumps(out))
"""


def speed(path, objectives):
    """ms per step of each objective, measured in a child process on the checkout ``path``."""
    result = subprocess.run([sys.executable, "-c", _SPEED_SCRIPT, path, ",".join(objectives)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def step_memory(objectives):
    """Peak memory (MiB) of a 10-step run at batch 256, per objective (this checkout)."""
    import divergences as dv
    from divergences.gan import MLPGenerator, train

    target = dv.datasets.gaussian_ring(20000, rng=0)
    peaks = {}
    for name in objectives:
        options = {"eps": 0.03} if name == "sinkhorn" else {}

        def run():
            g = MLPGenerator(2, hidden=(128, 128, 128), rng=1)
            return train(g, target, divergence=name, steps=10, batch_size=256, rng=0, **options)

        run()
        peaks[name] = peak_rss_during(run)[1] / 2**20
    return peaks


#: The variants of the critic-fidelity section: (bias_init, activation, penalty).
FIDELITY_VARIANTS = [(b, a, p) for b in ("zero", "data") for a in ("relu", "leaky_relu")
                     for p in ("gp", "one_sided")]


def blurred_moons(n, rng, blur=0.15):
    """A frozen generator: the moons blurred by Gaussian noise ``blur`` (a diffuse cloud)."""
    from divergences.gan import TOY_DATASETS

    points = TOY_DATASETS["moons"].sample(n, rng)
    return points + blur * rng.standard_normal(points.shape)


def critic_fidelity(bias_init, activation, penalty, seed, *, steps=1000, batch_size=256,
                    hidden=(128, 128, 128), lr=1e-3, n_exact=4000, n_eval=20000):
    """How much of the exact W_1 a critic trained against a frozen generator recovers.

    The critic (the GAN's, :class:`divergences._nn.critic.LipschitzCritic`,
    Adam with betas (0.5, 0.9) and lambda = 10) trains for ``steps`` on batches
    of the moons (P) and of :func:`blurred_moons` (Q). Returned: its estimate
    ``E_P f - E_Q f`` on ``n_eval`` fresh points each (with its standard
    error), exact W_1 between ``n_exact`` fresh points each (the library's
    exact solver; above W_1 of the laws by the sampling bias), their ratio,
    and the mean cosine between ``grad f`` at the generated points and their
    exact transport direction ``T(y) - y`` (from the exact plan): the
    generator descends ``-f``, so this says whether it is pushed the right way.
    """
    import divergences as dv
    from divergences._nn.critic import LipschitzCritic
    from divergences._threads import single_threaded_blas
    from divergences.gan import TOY_DATASETS

    rng = np.random.default_rng(seed)
    moons = TOY_DATASETS["moons"].sample
    pool_p, pool_q = moons(20000, rng), blurred_moons(20000, rng)
    critic = LipschitzCritic(2, penalty=penalty, lam=10.0, clip=0.01, hidden=hidden,
                             activation=activation, optimizer="adam", lr=lr, betas=(0.5, 0.9),
                             rng=rng, bias_init=bias_init)
    start = time.process_time()
    with single_threaded_blas():
        for _ in range(steps):
            critic.step(pool_p[rng.integers(20000, size=batch_size)],
                        pool_q[rng.integers(20000, size=batch_size)], rng)
    cpu = time.process_time() - start
    f = critic.network
    f_p, f_q = f(moons(n_eval, rng))[:, 0], f(blurred_moons(n_eval, rng))[:, 0]
    estimate = float(f_p.mean() - f_q.mean())
    stderr = float(np.sqrt((f_p.var() + f_q.var()) / n_eval))
    x, y = moons(n_exact, rng), blurred_moons(n_exact, rng)
    exact = dv.wasserstein(x, y, method="exact", return_plan=True)
    plan = np.asarray(exact.plan.todense() if hasattr(exact.plan, "todense") else exact.plan)
    target = plan.T @ x / plan.sum(axis=0)[:, None]  # barycentric image of each y
    direction, grad = target - y, f.input_gradient(y)
    cosine = np.sum(direction * grad, axis=1) / (
        np.linalg.norm(direction, axis=1) * np.linalg.norm(grad, axis=1) + 1e-300)
    return {"estimate": estimate, "stderr": stderr, "exact": exact.value,
            "ratio": estimate / exact.value, "cosine": float(np.mean(cosine)),
            "grad_norm": float(np.mean(np.linalg.norm(grad, axis=1))), "cpu_s": cpu}


def fidelity_table(seeds, steps):
    rows = []
    for bias_init, activation, penalty in FIDELITY_VARIANTS:
        for seed in seeds:
            r = critic_fidelity(bias_init, activation, penalty, seed, steps=steps)
            row = [bias_init, activation, penalty, str(seed), f"{r['estimate']:.4f}",
                   f"{r['stderr']:.4f}", f"{r['exact']:.4f}", f"{100 * r['ratio']:.0f}%",
                   f"{r['cosine']:.2f}", f"{r['grad_norm']:.2f}", f"{r['cpu_s']:.1f}"]
            rows.append(row)
            print(" | ".join(row), flush=True)
    print(f"load average at the end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"Critic fidelity, 3 x 128, {steps} steps, moons against the moons blurred by 0.15:")
    print(markdown_table(["bias init", "activation", "penalty", "seed", "E_P f - E_Q f",
                          "stderr", "exact W1", "estimate / W1", "cosine", "|grad f|",
                          "CPU s"], rows))


def kernels_line():
    """The CPU and the kernels numpy and its BLAS picked for it.

    The runs are bit-reproducible on one machine, but OpenBLAS and numpy choose
    their kernels by CPU, and those differ in the last bits of a product; the
    saturating ``js`` and ``kl`` losses amplify such differences into other
    runs (``TOY_SETTINGS`` says how this was found), so a table names them.
    """
    import platform

    from threadpoolctl import threadpool_info

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            model = next(line.split(":", 1)[1].strip() for line in info
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = ", ".join(dict.fromkeys(  # numpy's and scipy's copies often agree: name them once
        f"{i['internal_api']} {i.get('architecture', '?')} kernels"
        for i in threadpool_info() if i["user_api"] == "blas")) or "BLAS unknown"
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
        simd = "AVX512F" if features.get("AVX512F") else "AVX2" if features.get("AVX2") else "SSE"
    except ImportError:
        simd = "?"
    return f"CPU {model}; numpy {np.__version__} ({simd} loops); {blas}"


def quality_table(objectives, datasets, scale, seeds, probe_every):
    from divergences.gan import toy_experiment
    from divergences.gan.toy import ROW_HEADER

    rows, runs = [], []
    for dataset in datasets:
        for objective in objectives:
            for seed in seeds:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    run = toy_experiment(objective, dataset, scale=scale, rng=seed,
                                         probe_every=probe_every)
                row = run.row() + [str(seed), str(len(caught))]
                rows.append(row)
                runs.append(run)
                print(" | ".join(row), flush=True)
    print()
    print(f"load average at the end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(markdown_table(ROW_HEADER + ["seed", "warnings"], rows))
    return runs


def execute_notebook():
    import nbformat

    sys.path.insert(0, os.path.join(ROOT, "notebooks"))
    import build_notebooks

    path = os.path.join(ROOT, "notebooks", "gan_toy.ipynb")
    notebook = nbformat.read(path, as_version=4)
    os.environ["DIVERGENCES_GAN_BUDGET"] = "full"
    start = time.perf_counter()
    build_notebooks.execute(notebook, timeout=3600)
    nbformat.write(notebook, path)
    print(f"executed {path} at the full budget in {time.perf_counter() - start:.0f} s")


def main(argv=None):
    from divergences.gan import TOY_DATASETS, TOY_SETTINGS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objectives", default=",".join(TOY_SETTINGS))
    parser.add_argument("--datasets", default=",".join(TOY_DATASETS))
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of each objective's steps (reduced budget)")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--probe-every", type=int, default=None)
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--compare", default=None,
                        help="another checkout's root: its step costs next to this one's")
    parser.add_argument("--notebook", action="store_true")
    parser.add_argument("--fidelity", action="store_true",
                        help="only the critic-fidelity table (frozen generator, --seeds)")
    parser.add_argument("--fidelity-steps", type=int, default=1000)
    args = parser.parse_args(argv)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: shared, "
          f"{os.cpu_count()} cores, load average {load} (1, 5, 15 min); timings under load: "
          "read the CPU seconds.", flush=True)
    print(kernels_line(), flush=True)

    if args.fidelity:
        fidelity_table([int(s) for s in args.seeds.split(",")], args.fidelity_steps)
        return
    if not args.no_speed:
        names = [n for n in SPEED_OBJECTIVES if n in args.objectives.split(",")] or list(
            SPEED_OBJECTIVES)
        mine = speed(ROOT, names)
        other = speed(args.compare, names) if args.compare else None
        peaks = step_memory(names)
        header = ["objective", "ms/step", "first run s (compile)", "peak MiB (10 steps)",
                  "objective step MiB, batch 2048"]
        if other:
            header += ["ms/step compared", "compared / this", "MiB compared, batch 2048"]

        def mib(result, name):
            value = result[name].get("peak_mib_2048")
            return "-" if value is None else f"{value:.1f}"

        rows = []
        for name in names:
            row = [name, f"{mine[name]['ms']:.1f}", f"{mine[name]['first_s']:.1f}",
                   f"{peaks[name]:.1f}", mib(mine, name)]
            if other:
                row += [f"{other[name]['ms']:.1f}", f"{other[name]['ms'] / mine[name]['ms']:.2f}",
                        mib(other, name)]
            rows.append(row)
        print("Step cost, batch 256, ring, generator 2-128-128-128-2:")
        print(markdown_table(header, rows), flush=True)
    if args.speed_only:
        return
    seeds = [int(s) for s in args.seeds.split(",")]
    quality_table(args.objectives.split(","), args.datasets.split(","), args.scale, seeds,
                  args.probe_every)
    if args.notebook:
        execute_notebook()


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
