"""CommerceML 2, as 1C:Enterprise and BAS "exchange with website" write it: a streaming reader.

    with Package(path) as package:      # raises CommerceMLError for a file it cannot read
        package.kind, package.version
        for record in package: ...       # Group, PropertyDef, Unit, CatalogHeader, Product,
                                         # PriceType, Warehouse, OffersHeader, Offer, Skipped
"""
from onec.commerceml.errors import CommerceMLError
from onec.commerceml.reader import CURRENCIES, SCHEMA_VERSIONS, Package, kind_from_filename
from onec.commerceml.records import (
    CatalogHeader, Group, Offer, OffersHeader, Price, PriceType, Product, PropertyDef, Record, Skipped,
    Stock, Unit, Warehouse,
)

__all__ = [
    "CURRENCIES", "SCHEMA_VERSIONS", "CatalogHeader", "CommerceMLError", "Group", "Offer", "OffersHeader",
    "Package", "Price", "PriceType", "Product", "PropertyDef", "Record", "Skipped", "Stock",
    "Unit", "Warehouse", "kind_from_filename",
]
