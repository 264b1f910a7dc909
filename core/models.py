"""Imports every mapped class so relationships resolve and Alembic sees the whole schema."""
from core.catalog.models import Category, Price, PriceChange, PriceType, Product, Stock, Warehouse  # noqa: F401
from core.customers.models import Company, DeliveryPoint, User  # noqa: F401
from core.orders.models import CartItem, Order, OrderLine, OrderStatusChange, Promotion  # noqa: F401
from core.outbox import OutboxDelivery, OutboxEvent  # noqa: F401
from core.staff.models import StaffUser  # noqa: F401
from notify.models import CompanyNotifySettings, Message, MessageTemplate, NotifyRule  # noqa: F401
from payments.models import (  # noqa: F401
    Allocation,
    BankStatement,
    CardCheckout,
    CardCheckoutItem,
    CollectionTask,
    Invoice,
    InvoiceCounter,
    InvoiceReminder,
    InvoiceStatusChange,
    Payment,
    PaymentClaim,
    PaymentStatusChange,
    Refund,
)
