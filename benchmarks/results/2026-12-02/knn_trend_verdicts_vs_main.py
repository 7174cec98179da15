"""Verdicts of this checkout's subsample_trend against main's on calibration-style pairs."""
import sys, os, subprocess, tempfile, numpy as np
sys.path.insert(0, "/work/wt/knn"); sys.path.insert(0, "/work/wt/knn/benchmarks")
import divergences as dv
from divergences.testing import mean_shift, student_t
from bench_revisions import _import_base
target = tempfile.mkdtemp()
arch = subprocess.run(["git", "-C", "/work/wt/knn", "archive", "main", "divergences"], check=True, capture_output=True).stdout
subprocess.run(["tar", "-x", "-C", target], input=arch, check=True)
base = _import_base(target)
import warnings; warnings.simplefilter("ignore")
same = fired_new = fired_old = total = 0; maxdiff = 0.0
for name, pair in (("mean_shift d=5", mean_shift(5)), ("t3 d=5", student_t(5, df=3.0)), ("t3 d=2", student_t(2, df=3.0))):
    for seed in range(8):
        x, y = pair.sample(2000, rng=np.random.default_rng([11, seed]))
        a = dv.kl_divergence(x, y); b = base.kl_divergence(x, y)
        ta, tb = a.details["trend"], b.details["trend"]
        total += 1; same += ta["fired"] == tb["fired"]; fired_new += ta["fired"]; fired_old += tb["fired"]
        maxdiff = max(maxdiff, abs(ta["moved"] - tb["moved"]), abs(a.value - b.value), abs(ta["estimates"][0] - tb["estimates"][0]))
        if ta["estimates"][1] is not None:
            maxdiff = max(maxdiff, abs(ta["estimates"][1] - tb["estimates"][1]))
    print(name, "pairs so far", total, "same verdict", same, "fired new/old", fired_new, fired_old, "max |diff|", maxdiff, flush=True)
