"""Demo: the commands that fill a database with a wholesaler's demo data (`seed-demo`)
and run the whole product on loopback with the providers' emulators (`serve-demo`).
A production deployment leaves it out of FEATURES."""
from __future__ import annotations

from core.features import Feature

FEATURE = Feature(
    name="demo",
    description=__doc__,
    commands=("demo.cli:seed_demo_command", "demo.serve:serve_demo"),
)
