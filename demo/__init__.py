"""Demo data of a realistic size and shape: a HoReCa wholesaler, its customers and their orders.

`flask --app wsgi seed-demo` runs `seed_demo` on a migrated, empty database.
"""
from demo.catalog import catalog_capacity
from demo.seed import DEMO_PASSWORD, DemoSummary, clear_database, existing_data, seed_demo
from demo.staff import STAFF
from demo.well_known import CAFE_DEMO, FOP_DEMO

__all__ = [
    "CAFE_DEMO",
    "DEMO_PASSWORD",
    "FOP_DEMO",
    "STAFF",
    "DemoSummary",
    "catalog_capacity",
    "clear_database",
    "existing_data",
    "seed_demo",
]
