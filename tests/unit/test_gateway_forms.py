"""Form bodies read as the URL standard reads them (gateway/app/forms.py): raw UTF-8 bytes and their
percent-encoding give the same text."""
from __future__ import annotations

from urllib.parse import parse_qsl, quote_plus

from fastapi import FastAPI, Form
from fastapi.testclient import TestClient

from gateway.app import forms
from gateway.app.forms import Utf8FormMiddleware, percent_encoded

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def echo_app() -> TestClient:
    app = FastAPI()
    app.add_middleware(Utf8FormMiddleware)

    @app.post("/form")
    def form(username: str = Form(), password: str = Form()) -> dict:
        return {"username": username, "password": password}

    @app.post("/raw")
    async def raw(request_body: dict) -> dict:  # a JSON body passes untouched
        return request_body

    return TestClient(app)


def test_raw_utf8_bytes_read_as_their_percent_encoding_does():
    client = echo_app()
    password = "张三的密码 2026+ü"
    encoded = client.post("/form", content=f"username=zhang&password={quote_plus(password)}", headers=FORM)
    raw = client.post("/form", content=f"username=zhang&password={password.replace('+', '%2B').replace(' ', '+')}"
                      .encode(), headers=FORM)
    assert encoded.json() == raw.json() == {"username": "zhang", "password": password}


def test_only_bytes_outside_ascii_are_encoded():
    body = "a=1&b=%E5%BC%A0&c=张".encode()
    assert percent_encoded(body) == b"a=1&b=%E5%BC%A0&c=%E5%BC%A0"
    assert parse_qsl(percent_encoded(body).decode("ascii")) == [("a", "1"), ("b", "张"), ("c", "张")]


def test_other_bodies_and_long_forms_pass_as_they_came(monkeypatch):
    client = echo_app()
    assert client.post("/raw", json={"name": "张三"}).json() == {"name": "张三"}
    monkeypatch.setattr(forms, "MAX_BYTES", 8)
    # Past the bound the body is not rewritten: Starlette reads its raw bytes as Latin-1, as before.
    long = client.post("/form", content="username=zhang&password=张".encode(), headers=FORM)
    assert long.json()["password"] == "张".encode().decode("latin-1")
