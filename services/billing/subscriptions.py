"""The events billing consumes, declared on the broker when it is provisioned, before its worker runs."""
from services.common.subscriptions import Subscription

from .service import NAME

# Who pays for what: a customer's change marks its copy stale (customer_copy.py brings it up to date),
# and a service's state change is the date charging starts or stops.
SERVICE_EVENTS = ("service_activated", "service_suspended", "service_restored", "service_disconnected")
CUSTOMER = Subscription(consumer=NAME, source="customer",
                        event_types=("customer_created", "customer_updated", "customer_merged") + SERVICE_EVENTS)

# A completed work order brings its type's one-time fees (one_time_fees.py).
DISPATCH = Subscription(consumer=NAME, source="dispatch", event_types=("work_order_completed",))

SUBSCRIPTIONS = (CUSTOMER, DISPATCH)
