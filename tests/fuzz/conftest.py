"""Hypothesis profiles of the fuzz suite: "default" (bounded, part of every test run) and "slow" (10×).

Select with the environment variable SOEN_HYPOTHESIS_PROFILE (default: "default").
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("default", max_examples=40, **_COMMON)
settings.register_profile("slow", max_examples=400, **_COMMON)
settings.load_profile(os.environ.get("SOEN_HYPOTHESIS_PROFILE", "default"))
