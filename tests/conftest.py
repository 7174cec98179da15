"""Test-wide configuration: the hypothesis profiles.

* ``ci`` (default): quick and reproducible -- few examples, derandomised, no
  example database, so CI runs are identical from run to run;
* ``dev``: more examples, random, with the local example database (failures
  are replayed first on the next run);
* ``thorough``: many examples for long runs, ``HYPOTHESIS_PROFILE=thorough``.

No deadline anywhere: the first call of a Numba kernel compiles, and the
machine is shared, so per-example timings say nothing.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None, print_blob=True)
settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
