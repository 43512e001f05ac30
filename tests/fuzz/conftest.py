"""Hypothesis profiles of the fuzz suite (issue 10, item 3).

CI runs the ``ci`` profile: a fixed number of examples per property, derandomized so a
failure reproduces on any machine, no per-example deadline (the machine is shared).
``HYPOTHESIS_PROFILE=deep`` runs many more, randomized, for a long local session.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

CI_EXAMPLES = 200

settings.register_profile(
    "ci",
    max_examples=CI_EXAMPLES,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep",
    max_examples=20_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
