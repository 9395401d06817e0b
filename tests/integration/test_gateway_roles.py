"""Every route against every role, generated from the app's own route table: the roles a route allows are
read from the `require(permission)` dependencies it declares (deps.py) and PERMISSIONS (auth.py), so a new
route is checked the day it is added, and one added without any role check fails here unless it is on the
public allow-list."""
from __future__ import annotations

import enum
from datetime import timedelta
from typing import Any, NamedTuple

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from gateway.app.auth import PERMISSIONS, Role, User, issue_token
from gateway.app.main import create_app
from gateway.app.settings import gateway_settings
from gateway.app.users import demo_users
from tests.integration.test_gateway import client_for, free_port, gateway_db  # noqa: F401

pytestmark = pytest.mark.integration

# Answered to anyone: signing in (and choosing one's password, which checks the old), probes, the docs and the
# console.
PUBLIC = {"/api/v1/auth/token", "/api/v1/auth/password", "/health", "/health/live", "/health/ready", "/docs",
          "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/docs/assets", "/"}


class Requirement(NamedTuple):
    permission: str
    unless_query: str | None  # the check is skipped when the request has this query parameter


def requirements(route: Any) -> list[Requirement]:
    """Every role check in the route's dependency tree."""
    found, todo = [], [getattr(route, "dependant", None)]
    while todo:
        dependant = todo.pop()
        if dependant is None:
            continue
        if permission := getattr(dependant.call, "permission", None):
            found.append(Requirement(permission, dependant.call.unless_query))
        todo.extend(dependant.dependencies)
    return found


def operations(app: FastAPI) -> list[tuple[str, Any]]:
    return [(method, route) for route in iter_route_contexts(app.routes) for method in sorted(route.methods or {"*"})
            if method != "HEAD"]


def unguarded(app: FastAPI) -> list[str]:
    return [f"{method} {route.path}" for method, route in operations(app)
            if route.path not in PUBLIC and not requirements(route)]


def sample_path(route: Any) -> str:
    """The route's path with a well-formed value for each parameter, so only the role check can refuse."""
    values = {}
    for param in route.dependant.path_params:
        kind = param.field_info.annotation
        values[param.alias] = (next(iter(kind)).value if isinstance(kind, type) and issubclass(kind, enum.Enum)
                               else 1 if kind is int else "X1")
    return route.path.format(**values)


def allowed(role: Role, needs: list[Requirement], query: dict[str, str]) -> bool:
    return all(role in PERMISSIONS[n.permission] for n in needs if not (n.unless_query and n.unless_query in query))


class Cell(NamedTuple):
    role: Role
    method: str
    path: str
    query: dict[str, str]
    allowed: bool


def cells(app: FastAPI) -> list[Cell]:
    out = []
    for method, route in operations(app):
        needs = requirements(route)
        if route.path in PUBLIC or not needs:
            continue
        # A conditional check is tried both ways: without its query parameter and with it.
        queries = [{}] + [{n.unless_query: "x"} for n in needs if n.unless_query]
        out += [Cell(role, method, sample_path(route), query, allowed(role, needs, query))
                for query in queries for role in Role]
    return out


APP = create_app(gateway_settings())
DEMO_SCOPES = {username: scope for username, _, scope in demo_users()}
CELLS = cells(APP)


@pytest.fixture(scope="module")
def gw(settings, gateway_db):  # noqa: F811
    # No customer service listens: an allowed call gets as far as the peer (503) or validation (422).
    with client_for(settings, customer_grpc=f"127.0.0.1:{free_port()}") as client:
        yield client


def token(settings, role: Role) -> dict[str, str]:
    # The demo user of each role is named after it (users.demo_users), with its scope (a bank's code).
    user = User(role.value, role, DEMO_SCOPES[role.value])
    return {"Authorization": f"Bearer {issue_token(user, settings.jwt_secret, timedelta(minutes=5))}"}


def test_every_route_is_public_or_checks_roles():
    assert unguarded(APP) == []


def test_a_route_without_a_role_check_is_caught():
    app = create_app(gateway_settings())

    @app.post("/api/v1/forgotten/{thing}")
    async def forgotten(thing: str) -> dict:
        return {}

    assert "POST /api/v1/forgotten/{thing}" in unguarded(app)


def test_the_table_covers_every_role_of_every_guarded_route():
    guarded = {(m, r.path) for m, r in operations(APP) if r.path not in PUBLIC}
    assert len(CELLS) >= len(guarded) * len(Role)
    assert any(c.allowed for c in CELLS) and any(not c.allowed for c in CELLS)


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: f"{c.role.value}-{c.method} {c.path}"
                                                      f"{'?' + '&'.join(c.query) if c.query else ''}")
def test_route_by_role(gw, settings, cell):
    response = gw.request(cell.method, cell.path, params=cell.query, headers=token(settings, cell.role))
    if cell.allowed:
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["type"].endswith("/forbidden")


@pytest.mark.parametrize("method, path", sorted({(c.method, c.path) for c in CELLS}))
def test_every_guarded_route_wants_a_token(gw, method, path):
    assert gw.request(method, path).status_code == 401
