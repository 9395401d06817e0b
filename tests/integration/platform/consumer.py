"""A consumer like any service's: a nameko event handler that records its effect once per event."""
from nameko.events import event_handler

from services.common.inbox import first_delivery
from services.common.dependencies import ServiceDatabase

SERVICE = "platformtest"


class EffectRecorder:
    name = "platformtest_consumer"
    db = ServiceDatabase(SERVICE)

    @event_handler(SERVICE, "thing_happened")
    def on_thing_happened(self, payload):
        with self.db.transaction() as cur:
            if first_delivery(cur, payload):
                cur.execute("INSERT INTO effect (thing_id, event_id) VALUES (%s, %s)",
                            (payload["data"]["thingId"], payload["eventId"]))
