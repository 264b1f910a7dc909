"""Contracts signed in Vchasno EDO (issue 13). Today only the adapter to Vchasno
(`edo.vchasno`); the feature itself (edo/feature.py, models, pages) comes on top of it."""
