"""Look-alike input and concurrent creates through the gateway and the real customer service: what a clerk
copies or types in full-width is one person, a customer or service number works in any case on every
route, and clerks creating one person at once get one customer and 409s naming it."""
from __future__ import annotations

import threading

import pytest

from tests.integration.customer_env import attach_cms_line, unique_mobile, valid_id_no
from tests.integration.test_gateway import assert_problem, bearer, gateway_db, real  # noqa: F401 (fixtures)

pytestmark = pytest.mark.integration
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def test_full_width_and_invisible_characters_make_one_person(real):
    clerk = bearer(real, "counter")
    id_no, phone = valid_id_no(), unique_mobile()
    typed = {"name": "王\u200b小明", "idNo": id_no.translate(FULL_WIDTH), "phone": "\ufeff" + phone.translate(FULL_WIDTH),
             "address": "文三路１００号"}
    created = real.post("/api/v1/customers", json=typed, headers=clerk)
    assert created.status_code == 201, created.text
    number = created.json()["customerNo"]
    assert (created.json()["name"], created.json()["idNo"]) == ("王小明", id_no)
    for q in (id_no, phone, id_no.translate(FULL_WIDTH), f"\u202a{phone}\u202c"):
        found = real.get("/api/v1/customers", params={"q": q}, headers=clerk)
        assert [c["customerNo"] for c in found.json()["data"]] == [number], q
    again = real.post("/api/v1/customers", json={**typed, "idNo": id_no, "phone": unique_mobile()}, headers=clerk)
    assert number in assert_problem(again, 409, "duplicate-customer")["detail"]
    assert number in assert_problem(real.post("/api/v1/customers", json={**typed, "idNo": None, "name": "王小明",
                                                                          "phone": phone}, headers=clerk),
                                    409, "duplicate-customer")["detail"]


def test_other_scripts_digits_and_direction_controls_are_refused(real):
    clerk = bearer(real, "counter")
    assert_problem(real.get("/api/v1/customers", params={"q": "١٣٨١٢٣٤٥٦٧٨"}, headers=clerk), 422, "invalid-digits")
    body = {"name": "王小明", "phone": unique_mobile(), "address": "文三路١٠٠号"}
    assert_problem(real.post("/api/v1/customers", json=body, headers=clerk), 422, "invalid-digits")
    body = {"name": "王\u202e明小", "phone": unique_mobile(), "address": "文三路100号"}
    assert "direction" in assert_problem(real.post("/api/v1/customers", json=body, headers=clerk),
                                         422, "invalid-text")["detail"]


def test_customer_and_service_numbers_work_in_any_case_on_every_route(real, settings):
    clerk = bearer(real, "counter")
    created = real.post("/api/v1/customers", json={"name": "赵六", "phone": unique_mobile(), "address": "城东路9号"},
                        headers=clerk)
    number = created.json()["customerNo"]
    _, service_no = attach_cms_line(settings, number)
    lower, service = number.lower(), service_no.lower()
    assert real.get(f"/api/v1/customers/{lower}", headers=clerk).json()["customerNo"] == number
    assert real.get(f"/api/v1/customers/{lower}/services", headers=clerk).json()["count"] == 1
    assert real.patch(f"/api/v1/customers/{lower}", json={"tier": "VIP"}, headers=clerk).json()["tier"] == "VIP"
    suspended = real.post(f"/api/v1/customers/{lower}/services/{service}/suspend", headers=clerk)
    assert suspended.status_code == 200 and suspended.json()["service"]["serviceNo"] == service_no
    note = real.post(f"/api/v1/customers/{lower}/contacts", json={"channel": "phone", "kind": "note", "summary": "hi"},
                     headers=clerk)
    assert note.status_code == 201
    entitle = real.post(f"/api/v1/customers/{lower}/smartCards/8000000000000000/entitlements",
                        json={"productCode": "BASIC"}, headers=clerk)
    assert_problem(entitle, 404, "smart-card-not-found")  # found the customer, not the card
    found = real.get("/api/v1/customers", params={"q": lower}, headers=clerk).json()["data"]
    assert [c["customerNo"] for c in found] == [number]


def test_clerks_creating_one_person_at_once_through_the_gateway(real):
    clerk = bearer(real, "counter")
    body = {"name": "钱七", "idNo": valid_id_no(), "phone": unique_mobile(), "address": "城西路3号"}
    start, answers = threading.Barrier(8), []

    def post():
        start.wait()
        answers.append(real.post("/api/v1/customers", json=body, headers=clerk))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7, [a.text for a in answers]
    number = next(a.json()["customerNo"] for a in answers if a.status_code == 201)
    for a in answers:
        if a.status_code == 409:
            assert number in assert_problem(a, 409, "duplicate-customer")["detail"]
