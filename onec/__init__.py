"""1C / BAS exchange (the package's feature.py comes later)."""
