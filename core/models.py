"""Imports the kernel's mapped classes; each feature lists its own models (Feature.models)."""
from core.catalog.models import (  # noqa: F401
    Category,
    Price,
    PriceChange,
    PriceType,
    Product,
    Stock,
    Warehouse,
)
from core.customers.models import Company, DeliveryPoint, User  # noqa: F401
from core.files.models import StoredFile  # noqa: F401
from core.orders.models import CartItem, Order, OrderFormUpload, OrderLine, OrderStatusChange, Promotion  # noqa: F401
from core.outbox import OutboxDelivery, OutboxEvent  # noqa: F401
from core.staff.models import StaffUser  # noqa: F401
