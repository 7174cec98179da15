"""W_1 by the Kantorovich--Rubinstein dual, with a trained neural critic.

``W_1(P, Q) = sup over 1-Lipschitz f of E_P f - E_Q f``. A small MLP critic
(:class:`divergences._nn.networks.MLP`, the network of :mod:`divergences.gan`) is trained on part of the data to
maximise ``E_P f - E_Q f`` under a Lipschitz regulariser -- the WGAN-GP
gradient penalty by default (Gulrajani et al. 2017, lambda = 10) -- and the
mean difference is then evaluated on held-out data, which gives a standard
error and keeps the critic's overfitting out of the value. Densities are
sampled: fresh batches for training, a fresh sample for evaluation.

The value is an estimate, not a bound: a critic that is not exactly
1-Lipschitz can overshoot W_1 a little (WGAN-GP's gradient norms settle a few
per cent above 1), and an under-trained one undershoots. The reported
``stderr`` is the held-out sampling error of the trained critic's mean
difference only; it does not include that bias.

A training that failed is reported, not hidden (:func:`_training_problems`):
the result says ``converged=False``, explains why in ``note`` and a
:class:`~divergences.exceptions.ConvergenceWarning` is issued when

* the estimate exceeds, in absolute value, an upper bound of W_1 between the
  held-out sets (for a 1-Lipschitz f, ``|E_P f - E_Q f| <= W_1 <= E_P |X - c|
  + E_Q |Y - c|`` for any point c, by the triangle inequality under the
  independent coupling; c is the pooled mean): the critic is not 1-Lipschitz;
* the training curve has not settled: over its last tenth the batch
  estimates spread by more than the batches' sampling noise (derived from
  the held-out variances of the final critic) plus ``max(|value|, 3 stderr)``
  -- the critic itself still swings by more than the estimate;
* some batch estimate is not finite;
* the held-out estimate is negative by more than 3 standard errors: the
  critic points the wrong way, and a mean difference is a *lower* bound of
  W_1 only for a 1-Lipschitz critic, so it says nothing.

A negative estimate within its noise (W_1 near 0) is clipped to 0, with a
note and a :class:`RuntimeWarning`. Non-finite held-out values (weights that
overflowed) raise :class:`FloatingPointError` naming ``lr``.
With weight clipping or the zero-centred penalty the critic's scale is not
tied to 1, so its mean difference is divided by its mean gradient norm on
points interpolated between the two held-out sets.

Known limitation: where the optimal critic has a kink in the bulk of the data
(in 1-D, where the quantile functions of P and Q cross), a smooth-ish critic
trained for the default 1000 steps undershoots W_1 by 5-15%; give more
``steps`` or use an exact method where one applies.
"""

import math
import warnings

import numpy as np

from .._nn.critic import LipschitzCritic, interpolates, regulariser_options
from .._threads import single_threaded_blas
from .._validation import as_rng
from ..exceptions import ConvergenceWarning, InvalidMeasureError
from ..results import OTResult

__all__ = ["applies", "solve"]


def applies(p, q, options):
    """Samples or densities, order 1 (histograms with support are sampled too)."""
    ok = all(m.kind in ("samples", "density") or m.support is not None for m in (p, q))
    return ok and options.get("order", 1.0) == 1.0


def _sampler(measure, holdout, rng):
    """(draw(n) for training, held-out points, held-out weights)."""
    if measure.kind == "samples":
        n = measure.size
        n_test = int(round(holdout * n))
        if n_test < 2 or n - n_test < 2:
            raise InvalidMeasureError(
                f"method='critic' needs at least 2 training and 2 held-out points per sample "
                f"set (holdout={holdout:g} of {n}); give more samples or change holdout."
            )
        order = rng.permutation(n)
        test, fit = order[:n_test], order[n_test:]
        w_fit = measure.weights[fit]
        w_fit = None if measure.is_uniform else w_fit / w_fit.sum()
        points = measure.points
        w_test = measure.weights[test]
        return (
            lambda k: points[fit[rng.choice(fit.size, size=k, p=w_fit)]],
            points[test],
            w_test / w_test.sum(),
        )
    # A density, or a histogram with support: fresh draws are free.
    return (lambda k: measure.sample(k, rng)), None, None


def solve(
    p,
    q,
    *,
    order=1.0,
    penalty="gp",
    lam=None,
    clip=None,
    steps=1000,
    batch_size=256,
    hidden=(64, 64),
    activation="leaky_relu",
    bias_init="zero",
    lr=None,
    holdout=0.3,
    n_eval=4096,
    normalize=None,
    rng=None,
):
    """W_1 between two measures by training a critic.

    Parameters
    ----------
    p, q : Samples, density or Histogram with support
    order : float
        Must be 1 (the dual with Lipschitz critics is that of W_1).
    penalty : {"gp", "one_sided", "zero_centred", "clip"}
        The Lipschitz regulariser (see
        :class:`divergences.gan.objectives.WassersteinCritic`).
    lam : float, optional
        Penalty weight (10) of the three gradient penalties; an error with
        ``penalty="clip"``, which has none.
    clip : float, optional
        Weight bound for ``penalty="clip"`` (0.01); an error with the other
        penalties, which do not clip.
    steps, batch_size : int
        Critic updates and points per batch.
    hidden, activation : critic architecture (see :class:`~divergences.gan.MLP`).
    bias_init : {"zero", "data"}
        The critic's first-layer biases: zero, or each unit's kink through a
        point of the first training batches (see
        :class:`divergences._nn.critic.LipschitzCritic`).
    lr : float, optional
        Step size: of Adam (betas 0.5, 0.9), default 1e-3; with clipping, of
        RMSProp, default 5e-5 (the original WGAN's).
    holdout : float
        Fraction of each sample set kept out of training to evaluate the critic.
    n_eval : int
        Points drawn from a density to evaluate the critic.
    normalize : bool, optional
        Divide the mean difference by the critic's mean gradient norm on
        held-out interpolates. Default: only for ``"clip"`` and
        ``"zero_centred"``, whose critics have no fixed scale.
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    OTResult
        ``converged`` is False (with a :class:`ConvergenceWarning` and the
        reason in ``note``) when the training failed by one of the criteria of
        the module docstring; ``details`` holds the ``upper_bound`` of W_1
        and the training curve's ``jitter`` they use.

    Raises
    ------
    FloatingPointError
        If the trained critic's values are not finite (lower ``lr``).
    """
    # Each option's type and range is checked by its declaration (WASSERSTEIN_METHODS);
    # what is left here is how they combine.
    if normalize is None:
        normalize = penalty in ("clip", "zero_centred")
    lam, clip = regulariser_options(penalty, lam, clip, "method='critic'")
    rng = as_rng(rng)
    if penalty == "clip":
        optimizer = ("rmsprop", 5e-5 if lr is None else lr)
    else:
        optimizer = ("adam", 1e-3 if lr is None else lr)
    trainer = LipschitzCritic(
        p.dim, penalty=penalty, lam=lam, clip=clip, hidden=hidden, activation=activation,
        optimizer=optimizer[0], lr=optimizer[1], betas=(0.5, 0.9), rng=rng, bias_init=bias_init,
    )
    draw_p, test_p, w_p = _sampler(p, holdout, rng)
    draw_q, test_q, w_q = _sampler(q, holdout, rng)

    curve = np.empty(steps)
    penalties = np.full(steps, np.nan)
    with single_threaded_blas():
        for step in range(steps):
            stats = trainer.step(draw_p(batch_size), draw_q(batch_size), rng)
            curve[step] = stats["estimate"]
            penalties[step] = stats.get("penalty", np.nan)

    if test_p is None:
        test_p, w_p = draw_p(n_eval), np.full(n_eval, 1.0 / n_eval)
    if test_q is None:
        test_q, w_q = draw_q(n_eval), np.full(n_eval, 1.0 / n_eval)
    critic = trainer.network
    f_p, f_q = critic(test_p)[:, 0], critic(test_q)[:, 0]
    if not (np.all(np.isfinite(f_p)) and np.all(np.isfinite(f_q))):
        raise FloatingPointError(
            f"method='critic': the training diverged (the critic's values overflowed); "
            f"lower lr (it was {optimizer[1]:g})."
        )
    mean_p, mean_q = float(w_p @ f_p), float(w_q @ f_q)
    raw = mean_p - mean_q
    # Weighted variance of a mean: sum w_i^2 (f_i - mean)^2 (= var/n for uniform weights).
    stderr = math.sqrt(float(w_p**2 @ (f_p - mean_p) ** 2) + float(w_q**2 @ (f_q - mean_q) ** 2))

    mixed = interpolates(test_p, test_q, rng)
    final_penalty, _, norms = critic.gradient_penalty(
        mixed, "gp" if penalty == "clip" else penalty, lam
    )
    # The optimal critic has |grad f| = 1 along transport segments (Gulrajani et al.
    # 2017, prop. 1), which the interpolates sample: their mean gradient norm is
    # the critic's scale.
    scale = float(np.mean(norms))
    value, notes = raw, []
    divisor = 1.0
    if normalize:
        if scale > 0:
            divisor = scale
            value, stderr = raw / scale, stderr / scale
        notes.append(f"mean difference divided by the critic's mean gradient norm {scale:.3g}")
    bound = _upper_bound(test_p, w_p, test_q, w_q)
    batch_sd = math.sqrt((_variance(w_p, f_p) + _variance(w_q, f_q)) / batch_size) / divisor
    jitter = _jitter(curve / divisor, batch_sd)
    problems = _training_problems(value, stderr, bound, curve, jitter, optimizer[1])
    if problems:
        warnings.warn(
            "method='critic': the critic's training failed: " + "; ".join(problems) + ".",
            ConvergenceWarning,
            stacklevel=4,
        )
        notes.extend(problems)
    if value < 0:
        if not problems:
            warnings.warn(
                f"method='critic': the held-out estimate {value:.3g} (stderr {stderr:.3g}) is "
                "negative, within its noise: W_1 is near 0; reported as 0.",
                RuntimeWarning,
                stacklevel=4,
            )
        notes.append(f"negative held-out estimate {value:.3g} clipped to 0")
        value = 0.0
    note = "; ".join(notes)
    return OTResult(
        value=value,
        cost=value,
        order=1.0,
        method="critic",
        sizes=(p.size if p.kind == "samples" else None, q.size if q.kind == "samples" else None),
        stderr=stderr,
        converged=not problems,
        note=note,
        n_iter=steps,
        details={
            "critic": critic,
            "curve": curve,
            "penalty_curve": penalties,
            "penalty": final_penalty,
            "grad_norm": scale,
            "grad_norm_max": float(norms.max()),
            "raw_estimate": raw,
            "regulariser": penalty,
            "normalized": bool(normalize),
            "eval_sizes": (test_p.shape[0], test_q.shape[0]),
            "upper_bound": bound,
            "jitter": jitter,
        },
    )


def _variance(weights, values):
    """Weighted variance of ``values`` (weights summing to one)."""
    mean = float(weights @ values)
    return float(weights @ (values - mean) ** 2)


def _upper_bound(x, a, y, b):
    """``E_a |X - c| + E_b |Y - c|`` with c the pooled mean: an upper bound of W_1(a, b).

    Any coupling costs at least W_1; the independent one costs ``E |X - Y|
    <= E |X - c| + E |Y - c|`` (triangle inequality), in O(n + m).
    """
    centre = 0.5 * (a @ x + b @ y)
    return float(a @ np.linalg.norm(x - centre, axis=1) + b @ np.linalg.norm(y - centre, axis=1))


def _jitter(curve, batch_sd):
    """How much the batch estimates of the last tenth of training spread beyond their noise.

    A settled critic's batch estimates scatter by ``batch_sd`` (fresh batches,
    same critic); what the window adds on top is the critic itself moving.
    Returns ``inf`` when the window holds non-finite estimates.
    """
    window = curve[-max(curve.shape[0] // 10, min(curve.shape[0], 20)):]
    if not np.all(np.isfinite(window)):
        return math.inf
    excess = float(np.var(window)) - batch_sd**2
    return math.sqrt(excess) if excess > 0 else 0.0


def _training_problems(value, stderr, bound, curve, jitter, lr):
    """The reasons (see the module docstring) to call this training failed; empty if none."""
    problems = []
    if not np.all(np.isfinite(curve)):
        problems.append(f"some batch estimates are not finite (lower lr, it was {lr:g})")
    if abs(value) > bound:
        problems.append(
            f"|estimate| {abs(value):.3g} exceeds {bound:.3g}, an upper bound of W_1 between the "
            "held-out sets: the critic is not 1-Lipschitz"
        )
    if jitter > max(abs(value), 3.0 * stderr):
        problems.append(
            f"the training curve has not settled (its last batch estimates swing by {jitter:.3g} "
            f"beyond their sampling noise; lower lr, it was {lr:g}, or give more steps)"
        )
    if value < -3.0 * stderr:
        problems.append(
            f"the held-out estimate {value:.3g} is negative beyond its noise (stderr "
            f"{stderr:.3g}): the critic points the wrong way and bounds nothing"
        )
    return problems
