"""The events dispatch consumes, declared on the broker when it is provisioned, before its worker runs."""
from services.common.subscriptions import Subscription

from .service import NAME

# A product order taken at a counter becomes a work order (orders.py).
CUSTOMER = Subscription(consumer=NAME, source="customer", event_types=("service_ordered",))

SUBSCRIPTIONS = (CUSTOMER,)
