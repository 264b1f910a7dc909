"""A CommerceML package into the catalog, file by file (onec/importer/run.py)."""
from onec.importer.common import Options
from onec.importer.run import import_file, import_files

__all__ = ["Options", "import_file", "import_files"]
