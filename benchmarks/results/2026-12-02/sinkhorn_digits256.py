"""Issue #18's n = 256 digit-image case, as best it can be read: scikit-learn's digits
scaled to [0, 1] (64-D), the first 256 images against the next 256, eps = 0.3,
squared Euclidean cost, tol 1e-6 on the L1 marginal error; POT's plain sinkhorn2 with
stopThr = tol / sqrt(n) on ot.dist (its cost matrix counted), one BLAS thread. Same
process, interleaved, best of 5, wall and CPU time, load printed."""
import math, os, time, warnings
import numpy as np, ot
from sklearn.datasets import load_digits
import divergences as dv
from divergences._threads import single_threaded_blas
X = load_digits().data / 16.0
x, y = X[:256], X[256:512]
n = 256; a = b = np.full(n, 1.0 / n); eps = 0.3; tol = 1e-6
cost = ot.dist(x, y)
print(f"median cost {np.median(cost):.3f}; eps = {100 * eps / np.median(cost):.1f}% of it; load {os.getloadavg()}")
def ours():
    return dv.wasserstein(x, y, order=2, method="sinkhorn", eps=eps, tol=tol)
def pot():
    with single_threaded_blas(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        M = ot.dist(x, y)
        return ot.sinkhorn(a, b, M, eps, method="sinkhorn", numItermax=100_000, stopThr=tol / math.sqrt(n), log=True)
ours(); pot()
res = {"ours": [], "pot": []}
for _ in range(5):
    for name, fn in (("ours", ours), ("pot", pot)):
        t, c = time.perf_counter(), time.process_time(); out = fn()
        res[name].append((time.perf_counter() - t, time.process_time() - c, out))
for name in res:
    w, c, out = min(res[name], key=lambda r: r[0])
    if name == "ours":
        print(f"ours: {w*1e3:.1f} ms wall, {c*1e3:.1f} ms cpu, {out.n_iter} it, err {out.marginal_error:.1e}, OT_eps {out.cost:.8f}, schedule {(out.details.get('schedule') or {}).get('route', 'full annealing (main)')}, softmin {out.details['softmin']}")
    else:
        plan, log = out
        err = np.abs(plan.sum(1) - a).sum() + np.abs(plan.sum(0) - b).sum()
        kl = np.sum(plan * np.log(np.where(plan > 0, plan, 1.0) / np.outer(a, b)))
        print(f"POT plain: {w*1e3:.1f} ms wall, {c*1e3:.1f} ms cpu, {log['niter']} it, err {err:.1e}, OT_eps {np.sum(plan*cost)+eps*kl:.8f}")
print("load", os.getloadavg())
