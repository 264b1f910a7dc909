"""Contracts: generated from the company card and a lawyer's Word template, approved by a
lawyer, sent to the customer for a qualified e-signature in Vchasno EDO and tracked there
until signed; the signed files kept in the portal and the status sent on to 1C."""
from __future__ import annotations

from core.features import Feature
from edo.vchasno.settings import VchasnoSettings

FEATURE = Feature(
    name="edo",
    description=__doc__,
    settings=VchasnoSettings,
    models=("edo.models",),
)
