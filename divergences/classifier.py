"""Classifier (density-ratio) estimates of KL and Jensen--Shannon from samples.

Label the points of P with 1 and those of Q with 0 and train a discriminator
``D(x)``, the probability that ``x`` came from P. With balanced classes the
best discriminator is ``D* = p/(p + q)`` (Goodfellow et al. 2014, prop. 1), so
its log-odds are the log density ratio, ``log D*/(1 - D*) = log p/q``. With
``n_p`` points of P and ``n_q`` of Q the fitted log-odds carry the prior
``log(n_p/n_q)`` as well, which is subtracted. Then

* JS: the value of the GAN game ``V(D) = E_P log D + E_Q log(1 - D)``
  satisfies ``V(D*) = -log 4 + 2 JS(P, Q)`` (ibid., thm. 1), so
  ``JS = (V(D) + log 4) / 2``. Since ``V(D) <= V(D*)`` for every D, an
  imperfect discriminator errs low, and only to second order in its error;
* KL: ``KL(P||Q) = E_P[log p/q] = E_P[log-odds]``.

Both expectations are averages over *held-out* points: the samples are split
into ``folds`` parts (stratified, at random), a discriminator is trained on
all parts but one and evaluated on the remaining one, in turn (cross-fitting),
so every point enters the estimate exactly once, never scored by a model that
saw it. Standard errors come from held-out per-point terms too:

* JS: ``1/2 sqrt(var_P/n_p + var_Q/n_q)`` of ``log 2D`` and ``log 2(1 - D)``.
  ``V`` is stationary at the model's best discriminator (the one its fit
  converges to, ``D*`` when the model can represent it: the log-loss the fit
  minimises is ``-V/2`` with balanced classes), so the fitting noise enters
  only at second order and this is the whole first-order noise;
* KL: a plug-in, which the fitting noise moves to first order (on Gaussians
  it is as large as the sampling noise of the mean), so the terms include it
  -- see :func:`kl_classifier`.

Neither includes the bias of a model that cannot represent ``log p/q`` (a
linear model between Gaussians of different covariances, say), nor the
second-order bias of fitting ``k`` parameters to ``N`` training points, about
``-k/(2N)`` for JS (the excess held-out log-loss of a maximum-likelihood fit,
Akaike's argument).

The discriminator is :class:`~divergences._logistic.LogisticDiscriminator`
(``features="linear"``, ``"quadratic"`` or ``"fourier"``) unless ``model=``
gives another one; see :func:`classifier_log_odds` for what it must provide.
"""

import math

import numpy as np

from ._constants import LOG2
from ._logistic import FEATURES, LogisticDiscriminator
from ._threads import single_threaded_blas
from ._validation import as_rng, check_choice, check_positive_int
from .exceptions import InvalidMeasureError
from .measures import unweighted_points
from .results import DivergenceResult

__all__ = [
    "DEFAULT_FOLDS",
    "DEFAULT_DENSITY_SAMPLES",
    "classifier_log_odds",
    "js_classifier",
    "kl_classifier",
    "classifier_applies",
    "js_classifier_method",
    "kl_classifier_method",
]

DEFAULT_FOLDS = 2

#: Draws from each density when both arguments are densities.
DEFAULT_DENSITY_SAMPLES = 10_000


def _folds(n, folds, generator):
    return np.array_split(generator.permutation(n), folds)


def _model_log_odds(model, x_train, labels, x_eval):
    """Fit ``model`` to the training points and return its log-odds at ``x_eval``."""
    if hasattr(model, "fit"):
        fitted = model.fit(x_train, labels)
        fitted = model if fitted is None else fitted
        if hasattr(fitted, "log_odds"):
            logit = fitted.log_odds(x_eval)
        elif hasattr(fitted, "predict_log_proba"):
            columns = np.asarray(fitted.predict_log_proba(x_eval), dtype=np.float64)
            one = _column_of_label_one(fitted)
            logit = columns[:, one] - columns[:, 1 - one]
        elif hasattr(fitted, "predict_proba"):
            columns = np.asarray(fitted.predict_proba(x_eval), dtype=np.float64)
            one = _column_of_label_one(fitted)
            with np.errstate(divide="ignore"):
                logit = np.log(columns[:, one]) - np.log(columns[:, 1 - one])
        else:
            raise TypeError(
                "model has fit() but none of log_odds(), predict_log_proba() or "
                "predict_proba(); give it one of them."
            )
    elif callable(model):
        logit = model(x_train, labels)(x_eval)
    else:
        raise TypeError(
            "model must have fit(X, y) and log_odds / predict_log_proba / predict_proba, "
            f"or be a callable (X, y) -> (X -> log-odds); got {type(model).__name__}."
        )
    logit = np.asarray(logit, dtype=np.float64).reshape(-1)
    if logit.shape[0] != x_eval.shape[0]:
        raise ValueError(
            f"model returned {logit.shape[0]} log-odds for {x_eval.shape[0]} points; "
            "it must return one per point."
        )
    if not np.all(np.isfinite(logit)):
        raise ValueError(
            "model returned non-finite log-odds (a probability of exactly 0 or 1, or NaN) "
            "on held-out points; the estimates would be infinite or undefined. Use a "
            "model whose probabilities stay inside (0, 1), e.g. a regularised one."
        )
    return logit


def _column_of_label_one(model):
    classes = getattr(model, "classes_", None)
    if classes is None:
        return 1
    classes = list(np.asarray(classes).tolist())
    if sorted(classes) != [0, 1]:
        raise ValueError(f"model was trained with labels 0 and 1 but reports classes_ {classes}.")
    return classes.index(1)


def classifier_log_odds(x, y, *, folds=DEFAULT_FOLDS, model=None, features="quadratic",
                        penalty=None, n_features=None, bandwidth=None, rng=None):
    """Cross-fitted estimates of ``log p/q`` at every point of ``x`` and ``y``.

    Parameters
    ----------
    x, y : ndarray, shapes (n_p, d) and (n_q, d)
        Points of P (label 1) and of Q (label 0); float64, finite.
    folds : int, default 2
        Cross-fitting folds: each point's log-odds come from a discriminator
        trained on the other ``folds - 1`` parts of both samples. Each sample
        needs at least ``2 * folds`` points.
    model : object or callable, optional
        The discriminator; default a
        :class:`~divergences._logistic.LogisticDiscriminator` with the given
        ``features``, ``penalty``, ``n_features`` and ``bandwidth``. Any other
        model is used as follows, so that scikit-learn classifiers plug in
        unchanged and a network (such as the GAN module's) through a ``fit``
        and a ``log_odds`` method or a two-line callable:

        * an object with ``fit(X, y)`` (integer labels 1 for P, 0 for Q; the
          points of P come first, so a stochastic optimiser should shuffle),
          refitted once per fold (its final state is the last fold's fit),
          then asked for ``log_odds(X)`` if it has it, else
          ``predict_log_proba(X)``, else ``predict_proba(X)`` (columns ordered
          by ``classes_`` when present, else label 0 then 1); a
          ``converged_`` attribute, if it has one, is recorded;
        * a callable ``model(X, y)`` returning a function ``X -> log-odds``.

        Log-odds must be finite: a model certain of a held-out point's label
        makes the estimate infinite, and is refused with an error.
    rng : None, int or numpy.random.Generator
        Draws the folds (and the Fourier features of the default model).

    Returns
    -------
    log_ratio_x, log_ratio_y : ndarray
        Held-out estimates of ``log p/q`` at the points of ``x`` and ``y``,
        the class prior ``log(n_p/n_q)`` of each training set removed.
    info : dict
        The settings used (``folds``, ``n_train`` -- the pooled training
        points of a fold, about; ``features``, ``penalty``, ``n_params``
        of the default model, or the ``model``'s name), ``converged`` (every
        fit converged, where the model reports it), ``separated`` (every
        held-out point on its own side of ``D = 1/2``) and, for the default
        model, ``fit_shift``: per-point delta-method terms, see
        :func:`kl_classifier`.
    """
    generator = as_rng(rng)
    parts_x = _folds(x.shape[0], folds, generator)
    parts_y = _folds(y.shape[0], folds, generator)
    log_ratio_x = np.empty(x.shape[0])
    log_ratio_y = np.empty(y.shape[0])
    converged = True
    shift_x, shift_y = np.empty(x.shape[0]), np.empty(y.shape[0])
    # Fits on a few thousand points are many small BLAS products: a BLAS thread
    # pool buys nothing there and, on a loaded machine, its spinning threads made a
    # fit 5-10x slower (n = 1,000 and 20,000 points, 2 cores, load 6; measured).
    with single_threaded_blas():
        for fold in range(folds):
            train_x = np.concatenate([part for j, part in enumerate(parts_x) if j != fold])
            train_y = np.concatenate([part for j, part in enumerate(parts_y) if j != fold])
            points = np.concatenate([x[train_x], y[train_y]])
            labels = np.concatenate([np.ones(train_x.shape[0], dtype=np.int64),
                                     np.zeros(train_y.shape[0], dtype=np.int64)])
            held_out = np.concatenate([x[parts_x[fold]], y[parts_y[fold]]])
            if model is None:
                fitted = LogisticDiscriminator(
                    features,
                    penalty=penalty,
                    n_features=n_features,
                    bandwidth=bandwidth,
                    rng=generator,
                ).fit(points, labels)
                logit = fitted.log_odds(held_out)
                converged = converged and fitted.converged_
                held_labels = np.concatenate([np.ones(parts_x[fold].shape[0]),
                                              np.zeros(parts_y[fold].shape[0])])
                shift = fitted.fit_shift(held_out, held_labels, gradient_of=x[train_x])
                n_x = parts_x[fold].shape[0]
                shift_x[parts_x[fold]] = shift[:n_x]
                shift_y[parts_y[fold]] = shift[n_x:]
            else:
                logit = _model_log_odds(model, points, labels, held_out)
                converged = converged and bool(getattr(model, "converged_", True))
            # The fitted log-odds are log p/q + log(n_p/n_q) of this training set.
            logit = logit - math.log(train_x.shape[0] / train_y.shape[0])
            n_x = parts_x[fold].shape[0]
            log_ratio_x[parts_x[fold]] = logit[:n_x]
            log_ratio_y[parts_y[fold]] = logit[n_x:]
    total = x.shape[0] + y.shape[0]
    info = {"folds": folds, "n_train": total * (folds - 1) // folds}
    if model is None:
        info.update(features=features, penalty=fitted.penalty, n_params=fitted.n_params)
        if features == "fourier":
            info.update(n_features=fitted.features.n_features, bandwidth=fitted.features.bandwidth_)
        info["fit_shift"] = (shift_x, shift_y)
    else:
        info["model"] = getattr(model, "__name__", type(model).__name__)
    info["converged"] = converged
    info["separated"] = bool(np.all(log_ratio_x > 0) and np.all(log_ratio_y < 0))
    return log_ratio_x, log_ratio_y, info


def _details(info):
    return {key: value for key, value in info.items() if key != "fit_shift"}


def js_classifier(x, y, **options):
    """Jensen--Shannon divergence from a cross-fitted discriminator, in nats.

    ``JS = (V + log 4)/2`` with ``V`` the held-out value of the GAN game,
    i.e. ``1/2 mean_P log 2D + 1/2 mean_Q log 2(1 - D)``; clipped to
    ``[0, log 2]``, the raw value kept in ``details["unclipped"]`` and ``V``
    in ``details["game_value"]``. ``options`` are those of
    :func:`classifier_log_odds`.

    Returns
    -------
    value, stderr, details

    Examples
    --------
    Through :func:`divergences.js_divergence`; the true value here is 0.0972:

    >>> import numpy as np
    >>> import divergences as dv
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0, 1, 4000), rng.normal(1, np.sqrt(2), 4000)
    >>> r = dv.js_divergence(x, y, method="classifier", rng=0)
    >>> r.method, abs(r.value - 0.0972) < 4 * r.stderr + 3 / 4000
    ('classifier', True)
    >>> bool(abs(r.details["game_value"] - (2 * r.value - np.log(4))) < 1e-12)
    True
    """
    log_ratio_x, log_ratio_y, info = classifier_log_odds(x, y, **options)
    # log D = -log(1 + q/p) and log(1 - D) = -log(1 + p/q), through logaddexp.
    terms_x = LOG2 - np.logaddexp(0.0, -log_ratio_x)
    terms_y = LOG2 - np.logaddexp(0.0, log_ratio_y)
    raw = 0.5 * (float(np.mean(terms_x)) + float(np.mean(terms_y)))
    variance = np.var(terms_x, ddof=1) / x.shape[0] + np.var(terms_y, ddof=1) / y.shape[0]
    stderr = 0.5 * math.sqrt(float(variance))
    details = _details(info)
    details.update(
        unclipped=raw,
        game_value=2 * raw - 2 * LOG2,
        stderr="spread of the held-out per-point terms (V is stationary at the best "
        "discriminator: fitting noise enters at second order only; not model bias)",
    )
    return min(max(raw, 0.0), LOG2), stderr, details


def kl_classifier(x, y, **options):
    """KL(P||Q) from a cross-fitted discriminator: the held-out mean of ``log p/q`` over P, in nats.

    ``options`` are those of :func:`classifier_log_odds`.

    The standard error includes the fitting noise of the discriminator, which
    moves a plug-in estimate to first order: for the built-in logistic model
    by the delta method (each held-out point's log-odds, plus the shift of the
    estimate that its log-loss gradient causes through the fitted
    parameters, ``-g^T H^-1 s_i``), valid whether or not the model is
    right; for a ``model=`` of unknown form by the nonparametric influence
    function of KL, ``log r`` at points of P and ``-r`` at points of Q, which
    is right for flexible models and needs ``chi^2(P||Q)`` finite.

    Returns
    -------
    value, stderr, details

    Examples
    --------
    Two Gaussians in d = 3, 1/2 apart in each coordinate (true KL 0.375):

    >>> import numpy as np
    >>> import divergences as dv
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0, 1, (4000, 3)), rng.normal(0.5, 1, (4000, 3))
    >>> r = dv.kl_divergence(x, y, method="classifier", features="linear", rng=0)
    >>> r.details["n_params"], abs(r.value - 0.375) < 4 * r.stderr + 4 / 4000
    (4, True)
    """
    log_ratio_x, log_ratio_y, info = classifier_log_odds(x, y, **options)
    n_x, n_y = x.shape[0], y.shape[0]
    if "fit_shift" in info:
        shift_x, shift_y = info["fit_shift"]
        share_x = n_x / (n_x + n_y)
        terms_x, terms_y = log_ratio_x + share_x * shift_x, (1.0 - share_x) * shift_y
        how = "delta method over the held-out points (sampling and fitting noise, not model bias)"
    else:
        terms_x, terms_y = log_ratio_x, -np.exp(log_ratio_y)
        how = "influence function over the held-out points (not model bias)"
    variance = np.var(terms_x, ddof=1) / n_x + np.var(terms_y, ddof=1) / n_y
    details = _details(info)
    details["stderr"] = how
    return float(np.mean(log_ratio_x)), math.sqrt(float(variance)), details


# -- the dispatch glue: measures in, DivergenceResult out ---------------------------------


def classifier_applies(p, q, options=None):
    """Two sample sets, a sample set and a density, or two densities (drawn from)."""
    return p.kind in ("samples", "density") and q.kind in ("samples", "density")


def _prepare(p, q, folds, model, features, penalty, n_features, bandwidth, n_samples, rng):
    """Validate the options, draw from densities; return the two point sets and the options."""
    folds = check_positive_int(folds, "folds")
    if folds < 2:
        raise ValueError(
            f"folds must be >= 2 (train on some parts, evaluate on another), got {folds}."
        )
    settings = {"penalty": penalty, "n_features": n_features, "bandwidth": bandwidth}
    if model is not None:
        given = [name for name, value in settings.items() if value is not None]
        if features is not None:
            given.insert(0, "features")
        if given:
            raise TypeError(
                f"{', '.join(given)} configure the built-in logistic discriminator and do not "
                "apply together with model=; configure the model itself instead."
            )
        options = {"model": model}
    else:
        features = check_choice("quadratic" if features is None else features, FEATURES, "features")
        options = {"features": features, **settings}
    if n_samples is not None:
        n_samples = check_positive_int(n_samples, "n_samples")
        if "density" not in (p.kind, q.kind):
            raise TypeError("n_samples applies only when p or q is a density (nothing is drawn).")
    generator = as_rng(rng)
    drawn, sets = {}, []
    for measure, other, name in ((p, q, "p"), (q, p, "q")):
        if measure.kind == "samples":
            sets.append(unweighted_points(measure, name, "the classifier estimators"))
            continue
        count = n_samples or (DEFAULT_DENSITY_SAMPLES if other.kind == "density" else other.size)
        sets.append(np.ascontiguousarray(measure.sample(count, rng=generator), dtype=np.float64))
        drawn[name] = count
    for points, name in zip(sets, ("p", "q")):
        if points.shape[0] < 2 * folds:
            raise InvalidMeasureError(
                f"{name} has {points.shape[0]} points, too few for {folds}-fold cross-fitting "
                f"(at least {2 * folds} are needed: every fold must leave points of both "
                "samples to train on and to evaluate); give more samples or fewer folds."
            )
    options.update(folds=folds, rng=generator)
    return sets[0], sets[1], options, drawn


_SEPARATED = (
    "the discriminator separates the held-out samples perfectly: the supports may not "
    "overlap, and then KL is infinite; the finite value reflects the penalty"
)


def _result(divergence, value, stderr, details, p, q, drawn):
    if drawn:
        details["drawn_from_density"] = drawn
    note = _SEPARATED if divergence == "kl" and details["separated"] else ""
    return DivergenceResult(
        value=value,
        divergence=divergence,
        method="classifier",
        sizes=(p.size, q.size),
        stderr=stderr,
        converged=details["converged"],
        note=note,
        details=details,
    )


def js_classifier_method(p, q, *, folds=DEFAULT_FOLDS, model=None, features=None, penalty=None,
                         n_features=None, bandwidth=None, n_samples=None, rng=None):
    """The ``"classifier"`` method of :func:`divergences.js_divergence`; see :func:`js_classifier`."""
    x, y, options, drawn = _prepare(p, q, folds, model, features, penalty, n_features,
                                    bandwidth, n_samples, rng)
    value, stderr, details = js_classifier(x, y, **options)
    return _result("js", value, stderr, details, p, q, drawn)


def kl_classifier_method(p, q, *, folds=DEFAULT_FOLDS, model=None, features=None, penalty=None,
                         n_features=None, bandwidth=None, n_samples=None, rng=None):
    """The ``"classifier"`` method of :func:`divergences.kl_divergence`; see :func:`kl_classifier`."""
    x, y, options, drawn = _prepare(p, q, folds, model, features, penalty, n_features,
                                    bandwidth, n_samples, rng)
    value, stderr, details = kl_classifier(x, y, **options)
    return _result("kl", value, stderr, details, p, q, drawn)
