"""The gateway states the customer service's input rules, not a copy of them: the same limits, and text
folded to the service's form before the schema's patterns look at it."""
import pytest
from pydantic import ValidationError

from gateway.app.schemas.customers import ContactCreate, CustomerCreate, ServiceStateChange
from services.common import inputrules

BASE = {"name": "王小明", "phone": "13812345678", "address": "文三路100号"}


def test_full_width_input_passes_as_the_service_accepts_it():
    body = CustomerCreate.model_validate({**BASE, "idNo": "１１０１０１１９９００３０７１２３Ｘ", "phone": "１３８ １２３４ ５６７８"})
    assert (body.id_no, body.phone) == ("11010119900307123X", "138 1234 5678")


@pytest.mark.parametrize("model,body,field,limit", [
    (CustomerCreate, BASE, "name", inputrules.NAME_MAX),
    (CustomerCreate, BASE, "address", inputrules.ADDRESS_MAX),
    (ServiceStateChange, {}, "reason", inputrules.REASON_MAX),
    (ContactCreate, {"channel": "phone", "summary": "hi"}, "kind", inputrules.LABEL_MAX),
    (ContactCreate, {"channel": "phone", "kind": "note"}, "summary", inputrules.TEXT_MAX),
])
def test_limits_are_the_services(model, body, field, limit):
    model.model_validate({**body, field: "路" * limit})
    with pytest.raises(ValidationError):
        model.model_validate({**body, field: "路" * (limit + 1)})


def test_enumerations_are_the_services():
    schema = CustomerCreate.model_json_schema()["properties"]["tier"]
    assert tuple(schema["enum"]) == inputrules.TIERS
    assert tuple(ContactCreate.model_json_schema()["properties"]["channel"]["enum"]) == inputrules.CONTACT_CHANNELS
