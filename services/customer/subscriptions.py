"""The events the customer service consumes, declared on the broker when the service is provisioned
(services/common/subscriptions.py), before its worker first runs."""
from services.common.subscriptions import Subscription

from .service import NAME

# Billing asks; the customer service suspends or restores the service and writes it back to the legacy
# system (billing_requests.py).
BILLING = Subscription(consumer=NAME, source="billing",
                       event_types=("suspension_requested", "restoration_requested"))

# Dispatch's work orders move product orders on; a completed one is carried out (orders/events.py).
DISPATCH = Subscription(consumer=NAME, source="dispatch",
                        event_types=("work_order_created", "work_order_completed"))

SUBSCRIPTIONS = (BILLING, DISPATCH)
