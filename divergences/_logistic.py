"""A penalised logistic discriminator on a feature map, in float64.

The classifier estimators of :mod:`divergences.classifier` need a model of
the log-odds ``log D/(1 - D)`` that P rather than Q produced a point. This
one is logistic regression on a fixed feature map, fitted by L-BFGS on the
mean log-loss plus ``penalty/2 * |w|^2`` (the intercept is not penalised):

* ``"linear"`` -- ``x`` itself: exact when ``log p/q`` is affine (two
  Gaussians with one covariance);
* ``"quadratic"`` -- ``x`` and the products ``x_i x_j`` (``i <= j``): exact
  for any two Gaussians, whose log-ratio is a quadratic form;
* ``"fourier"`` -- random Fourier features ``cos(w^T x + b)`` of a Gaussian
  kernel (Rahimi and Recht 2007), ``w ~ N(0, I / bandwidth^2)``, ``b ~
  U[0, 2 pi)``: a smooth log-ratio of any shape, approximately.

Every coordinate and every feature is standardised by the training data's
mean and standard deviation before the fit, so the penalty means the same
thing whatever the units of ``x`` and the optimiser sees a well-conditioned
problem; the products are formed from the standardised coordinates, so they
are not nearly collinear with ``x`` when the data sit far from the origin.
"""

import math
import warnings

import numpy as np

from ._validation import as_rng, check_choice, check_positive, check_positive_int
from .exceptions import ConvergenceWarning

__all__ = [
    "FEATURES",
    "DEFAULT_PENALTY",
    "DEFAULT_FOURIER_FEATURES",
    "FeatureMap",
    "LogisticDiscriminator",
]

FEATURES = ("linear", "quadratic", "fourier")

#: L2 penalty on the standardised feature weights, per feature map. For
#: ``"linear"`` and ``"quadratic"``: small enough that the shrinkage of the
#: log-odds it causes (relative size about ``4 * penalty`` where D is near
#: 1/2) is far below the sampling noise of any practical sample, large enough
#: that separable classes (disjoint supports) still have a finite optimum,
#: where ``1 - D`` on the wrong side is about ``penalty * log(1/penalty)``.
#: For ``"fourier"``: the many correlated features need real smoothing; 1e-2
#: had the smallest error and the fastest fit among 1e-4, 1e-3 and 1e-2 on two
#: 2-D Gaussians of different covariances at n = 2000 (64 to 256 features).
DEFAULT_PENALTY = {"linear": 1e-4, "quadratic": 1e-4, "fourier": 1e-2}

#: Number of random Fourier features.
DEFAULT_FOURIER_FEATURES = 128

# A gradient this small (per standardised weight, mean loss) is an optimum in
# float64 even when L-BFGS-B reports an abnormal line-search stop there.
_GRADIENT_OK = 1e-6


def _standardise(columns):
    mean = columns.mean(axis=0)
    scale = columns.std(axis=0)
    # A constant column carries no information; keep it at zero, do not divide by 0.
    scale[scale == 0] = 1.0
    return mean, scale


class FeatureMap:
    """A feature map fitted to training points: standardise, expand, standardise.

    Parameters
    ----------
    kind : {"linear", "quadratic", "fourier"}
    n_features : int, optional
        Number of random Fourier features (``"fourier"`` only; default 128).
    bandwidth : float, optional
        Kernel bandwidth of the Fourier features, in units of the standardised
        coordinates (``"fourier"`` only). Default: the median distance between
        training points (the median heuristic), on at most 500 of them.
    rng : None, int or numpy.random.Generator
        Draws the Fourier frequencies and the points of the median heuristic.

    Examples
    --------
    >>> import numpy as np
    >>> from divergences._logistic import FeatureMap
    >>> x = np.arange(12.0).reshape(4, 3)
    >>> FeatureMap("quadratic").fit(x).transform(x).shape   # 3 + 6 features
    (4, 9)
    """

    def __init__(self, kind, *, n_features=None, bandwidth=None, rng=None):
        self.kind = check_choice(kind, FEATURES, "features")
        if kind != "fourier" and (n_features is not None or bandwidth is not None):
            raise TypeError("n_features and bandwidth apply only to features='fourier'.")
        if n_features is None:
            n_features = DEFAULT_FOURIER_FEATURES
        self.n_features = check_positive_int(n_features, "n_features")
        self.bandwidth = None if bandwidth is None else check_positive(bandwidth, "bandwidth")
        self._rng = rng

    def fit(self, x):
        """Learn the standardisations (and draw the Fourier frequencies) from ``x``."""
        self._x_mean, self._x_scale = _standardise(x)
        z = (x - self._x_mean) / self._x_scale
        if self.kind == "fourier":
            generator = as_rng(self._rng)
            bandwidth = self.bandwidth or _median_distance(z, generator)
            shape = (z.shape[1], self.n_features)
            self._frequencies = generator.normal(0.0, 1.0 / bandwidth, size=shape)
            self._phases = generator.uniform(0.0, 2 * math.pi, size=self.n_features)
            self.bandwidth_ = bandwidth
        self._f_mean, self._f_scale = _standardise(self._expand(z))
        return self

    def _expand(self, z):
        if self.kind == "linear":
            return z
        if self.kind == "quadratic":
            rows, cols = np.triu_indices(z.shape[1])
            return np.hstack([z, z[:, rows] * z[:, cols]])
        return np.cos(z @ self._frequencies + self._phases)

    def transform(self, x):
        """The standardised features of ``x``, shape ``(n, n_outputs)``."""
        z = (x - self._x_mean) / self._x_scale
        return (self._expand(z) - self._f_mean) / self._f_scale


def _median_distance(z, generator, at_most=500):
    if z.shape[0] > at_most:
        z = z[generator.choice(z.shape[0], size=at_most, replace=False)]
    from scipy.spatial.distance import pdist

    distances = pdist(z)
    positive = distances[distances > 0]
    return float(np.median(positive)) if positive.size else 1.0


def _cholesky_upper(matrix):
    from scipy.linalg import LinAlgError, cholesky

    try:
        return cholesky(matrix)
    except LinAlgError:
        # Only with penalty 0 and a feature that is constant or a copy of others;
        # a jitter far below any curvature that matters restores definiteness.
        jitter = 1e-10 * max(float(np.trace(matrix)) / matrix.shape[0], 1.0)
        return cholesky(matrix + jitter * np.eye(matrix.shape[0]))


class LogisticDiscriminator:
    """Penalised logistic regression of the label (1 = from P) on a feature map.

    The model of the log-odds is ``w^T phi(x) + b``; :meth:`fit` minimises
    ``mean(log(1 + exp(-s_i (w^T phi(x_i) + b)))) + penalty/2 |w|^2`` with
    ``s_i = +-1`` by :func:`scipy.optimize.minimize` (L-BFGS-B, closed-form
    gradient). The objective is strictly convex, so the optimum is unique.

    Parameters
    ----------
    features : {"linear", "quadratic", "fourier"}, default "quadratic"
        The feature map (see :mod:`divergences._logistic`).
    penalty : float, optional
        L2 penalty on the weights of the standardised features; default 1e-4,
        1e-2 for ``"fourier"`` (see ``DEFAULT_PENALTY``); 0 is allowed
        but has no optimum when the classes are separable.
    n_features, bandwidth, rng
        Of the Fourier features; see :class:`FeatureMap`.
    max_iter : int, default 1000
        L-BFGS iterations before giving up with a :class:`ConvergenceWarning`.

    Attributes
    ----------
    converged_ : bool
    n_iter_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from divergences._logistic import LogisticDiscriminator
    >>> x = np.array([[-2.0], [-1.0], [-0.5], [0.5], [1.0], [2.0]])
    >>> model = LogisticDiscriminator("linear").fit(x, np.array([0, 0, 1, 0, 1, 1]))
    >>> bool(model.log_odds(np.array([[3.0]]))[0] > 0)
    True
    """

    def __init__(self, features="quadratic", *, penalty=None, n_features=None,
                 bandwidth=None, rng=None, max_iter=1000):
        self.features = FeatureMap(features, n_features=n_features, bandwidth=bandwidth, rng=rng)
        if penalty is None:
            penalty = DEFAULT_PENALTY[self.features.kind]
        self.penalty = 0.0 if penalty == 0 else check_positive(penalty, "penalty")
        self.max_iter = check_positive_int(max_iter, "max_iter")

    def fit(self, x, y):
        """Fit to points ``x`` (shape ``(n, d)``) with labels ``y`` in {0, 1} (1 = P)."""
        from scipy.linalg import solve_triangular
        from scipy.optimize import minimize
        from scipy.special import expit

        self.features.fit(x)
        extended = self._extended_features(x)  # the intercept is the last column
        signs = np.where(np.asarray(y) == 1, 1.0, -1.0)
        n, k = extended.shape
        penalised = np.ones(k)
        penalised[-1] = 0.0
        penalty = self.penalty * penalised

        def objective(theta):
            margins = signs * (extended @ theta)
            loss = float(np.mean(np.logaddexp(0.0, -margins)))
            loss += 0.5 * float(theta @ (penalty * theta))
            gradient = extended.T @ (-signs * expit(-margins) / n) + penalty * theta
            return loss, gradient

        # Precondition by the Hessian at theta = 0 (D = 1/2 everywhere), H0 = R^T R: L-BFGS
        # then works on v = R theta, where correlated features (the Fourier ones above
        # all) no longer make the problem ill-conditioned. Same optimum, fewer iterations.
        factor = _cholesky_upper(0.25 * (extended.T @ extended) / n + np.diag(penalty))

        def preconditioned(v):
            loss, gradient = objective(solve_triangular(factor, v))
            return loss, solve_triangular(factor, gradient, trans="T")

        solution = minimize(
            preconditioned,
            np.zeros(k),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.max_iter, "ftol": 1e-13, "gtol": 1e-9},
        )
        theta = solve_triangular(factor, solution.x)
        self.coef_, self.intercept_ = theta[:-1], float(theta[-1])
        # The Hessian of the objective at the optimum, for the delta method (fit_shift).
        curvature = expit(extended @ theta)
        curvature *= 1.0 - curvature
        hessian = (extended.T * curvature) @ extended / n + np.diag(penalty)
        self._hessian_factor = _cholesky_upper(hessian)
        self.n_train_ = n
        self.n_iter_ = int(solution.nit)
        gradient_size = float(np.max(np.abs(objective(theta)[1])))
        self.converged_ = bool(solution.success or gradient_size <= _GRADIENT_OK)
        if not self.converged_:
            warnings.warn(
                f"logistic discriminator: L-BFGS stopped after {self.n_iter_} iterations "
                f"with gradient {gradient_size:.2g} ({solution.message}); raise max_iter or "
                "the penalty.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    @property
    def n_params(self):
        """Number of fitted parameters, intercept included."""
        return self.coef_.shape[0] + 1

    def log_odds_stderr(self, x):
        """Standard error of :meth:`log_odds` at ``x`` if the model is right and unpenalised.

        ``sqrt(phi(x)^T H^-1 phi(x) / n)`` with ``H`` the Hessian of the mean
        log-loss at the fit: the inverse Fisher information of a correctly
        specified logistic model (the penalty makes it slightly conservative).
        """
        features = self._extended_features(x)
        solved = self._solve_hessian(features.T)
        return np.sqrt(np.einsum("ij,ji->i", features, solved) / self.n_train_)

    def log_odds(self, x):
        """``log D(x) / (1 - D(x))`` under the fitted model, shape ``(n,)``."""
        return self.features.transform(x) @ self.coef_ + self.intercept_

    def predict_log_proba(self, x):
        """Columns ``log P(label 0 | x)`` and ``log P(label 1 | x)``, as in scikit-learn."""
        logit = self.log_odds(x)
        return np.column_stack([-np.logaddexp(0.0, logit), -np.logaddexp(0.0, -logit)])

    def _solve_hessian(self, right):
        from scipy.linalg import cho_solve

        return cho_solve((self._hessian_factor, False), right)

    def _extended_features(self, x):
        phi = self.features.transform(x)
        return np.hstack([phi, np.ones((phi.shape[0], 1))])

    def fit_shift(self, x, y, gradient_of):
        """Per-point first-order effect of the fit on a plug-in estimate (delta method).

        For a plug-in ``T(theta) = mean over gradient_of of log_odds``, the
        fitted parameters move by ``-H^-1 mean_i s_i`` with ``s_i`` the
        gradient of point i's log-loss and ``H`` the Hessian of the objective,
        so ``T`` moves by the mean over the training points of
        ``-g^T H^-1 s_i``, ``g = dT/dtheta``. This returns that term at the
        points ``x`` with labels ``y`` (e.g. held-out ones, to estimate its
        variance).
        """
        from scipy.special import expit

        features = self._extended_features(x)
        signs = np.where(np.asarray(y) == 1, 1.0, -1.0)
        margins = signs * (features[:, :-1] @ self.coef_ + self.intercept_)
        scores = -(signs * expit(-margins))[:, None] * features
        direction = self._solve_hessian(self._extended_features(gradient_of).mean(axis=0))
        return -(scores @ direction)
