"""The gateway's request metrics are labelled by route template, never by a record's number."""
from gateway.app.metrics import template


def test_a_route_is_named_by_its_template_under_its_prefix():
    assert template("/api/v1/customers/C10000001", "/customers/{customerNo}") == "/api/v1/customers/{customerNo}"
    assert template("/api/v1/customerBills/B1.pdf", "/customerBills/{billNo}.{format}") == \
        "/api/v1/customerBills/{billNo}.{format}"
    assert template("/health/ready", "/health/ready") == "/health/ready"
    assert template("/api/v1/nothing/here", None) == "unmatched"
