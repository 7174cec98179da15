"""Interleaved best-of-7 on the far-apart inputs at d = 5: the library against POT's plain
sinkhorn2 (one BLAS thread, cost matrix counted), wall and CPU time, load printed."""
import os, sys, time, math, warnings
import numpy as np
sys.path.insert(0, "benchmarks")
import _sinkhorn_panel as panel
from divergences.testing import panel_clouds
from scipy.spatial.distance import cdist
import divergences as dv
print("load", os.getloadavg())
for name in ("shift 10 axis", "shift 10 diagonal"):
    x, y = panel_clouds(name, 1000, 5, rng=0)
    a = b = np.full(1000, 1e-3)
    for frac in (0.1, 0.01):
        eps = frac * float(np.median(cdist(x, y, "sqeuclidean")))
        ours, pot = [], []
        for _ in range(7):
            t, c = time.perf_counter(), time.process_time()
            r = dv.wasserstein(x, y, order=2, method="sinkhorn", eps=eps, tol=1e-6)
            ours.append((time.perf_counter() - t, time.process_time() - c))
            p = panel._pot_case(lambda *args, **kw: __import__("ot").sinkhorn(*args, method="sinkhorn", **kw), a, b, x, y, eps, 1e-6, 10_000)
            pot.append((p["time"], p["cpu"]))
        bo, bp = min(ours), min(pot)
        co, cp = min(v[1] for v in ours), min(v[1] for v in pot)
        print(f"{name} d=5 eps {100*frac:g}%: ours {bo[0]*1e3:.1f} ms wall (best), {co*1e3:.1f} ms CPU (best), {r.n_iter} it | POT plain {bp[0]*1e3:.1f} ms, {cp*1e3:.1f} ms CPU, {p['n_iter']} it | wall ratio {bp[0]/bo[0]:.2f}x, CPU ratio {cp/co:.2f}x; median wall ratio {np.median([q[0] for q in pot])/np.median([o[0] for o in ours]):.2f}x")
print("load", os.getloadavg())
