"""What dispatch asks the customer service when an order does not come with it: who the customer is,
where the service is and which station covers it (a fault call names only the customer and service), and
which homes of some areas have a service of a kind (a conversion campaign's analog homes)."""
from __future__ import annotations

from typing import Iterator

import grpc

from bss.customer.v1 import customer_pb2 as cpb
from bss.customer.v1 import customer_pb2_grpc as cpb_grpc

from services.common.errors import InvalidArgument, NotFound, Unavailable

TIMEOUT_S = 3.0
# A bulk read of hundreds of thousands of services (a campaign's homes) streams for seconds, not minutes.
STREAM_TIMEOUT_S = 300.0


class CustomerLookup:
    def __init__(self, address: str):
        self._channel = grpc.insecure_channel(address)
        self._stub = cpb_grpc.CustomerServiceStub(self._channel)

    def site(self, customer_no: str, service_no: str) -> dict:
        """Work order columns for the customer's service: contact, account, premises and station."""
        try:
            view = self._stub.GetCustomer(cpb.GetCustomerRequest(customer_no=customer_no), timeout=TIMEOUT_S)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise NotFound(f"customer {customer_no} does not exist", reason="customer-not-found") from None
            raise Unavailable(f"the customer service did not answer: {exc.code().name}") from None
        service = next((s for s in view.services if s.service_no == service_no), None)
        if service is None:
            raise InvalidArgument(f"service {service_no} is not customer {customer_no}'s", reason="unknown-service")
        premises = next((p for p in view.premises if p.premises_id == service.premises_id), None) \
            or (view.premises[0] if view.premises else None)
        if premises is None or not premises.station_code:
            raise InvalidArgument(f"no station covers the premises of service {service_no}", reason="no-station")
        phone = next((p.number for p in view.phones if p.primary), view.phones[0].number if view.phones else "")
        return {"customer_no": view.customer_no, "customer_name": view.name, "contact_phone": phone,
                "account_no": service.account_no or None, "service_no": service.service_no, "kind": service.kind,
                "product_code": service.product_code, "product_name": service.product_name,
                "premises_id": premises.premises_id, "address": premises.address, "area_code": premises.area_code,
                "station_code": premises.station_code, "station_name": premises.station_name}

    def services_in_areas(self, area_codes: list[str], kind: str, state: str) -> Iterator[cpb.ServicePage]:
        """The customer service's services of a kind and state in the areas, page by page (columns)."""
        try:
            yield from self._stub.StreamServices(
                cpb.StreamServicesRequest(area_codes=area_codes, kind=kind, state=state), timeout=STREAM_TIMEOUT_S)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise InvalidArgument(f"the customer service refused the areas: {exc.details()}",
                                      reason="invalid-area-codes") from None
            raise Unavailable(f"the customer service did not answer: {exc.code().name}") from None

    def close(self) -> None:
        self._channel.close()
