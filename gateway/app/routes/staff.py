"""Staff accounts, kept by admins: who may sign in, as what role, for which bank or station. A password an
admin sets is for one sign-in; the person then chooses their own (POST /auth/password)."""
from __future__ import annotations

from typing import Annotated

import grpc
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bss.dispatch.v1 import scheduling_pb2 as pb

from .. import staff
from ..auth import Role
from ..deps import DbDep, Limit, Offset, SchedulingClient, StaffAdmin
from ..fields import created, page, selected
from ..idempotency import Idempotent
from ..keys import UsernamePath
from ..problems import Problem
from ..schemas.staff import PasswordSet, StaffChange, StaffCreate, StaffPage, StaffPublic
from ..schemas.work_orders import actor

router = APIRouter(prefix="/staff", tags=["staff"])


@router.get("", response_model=StaffPage)
def list_staff(user: StaffAdmin, db: DbDep, role: Annotated[Role | None, Query()] = None,
               active: Annotated[bool | None, Query()] = None, offset: Offset = 0, limit: Limit = 50) -> JSONResponse:
    """Every account, by user name; filtered by role and by whether it is active."""
    rows, total = staff.list_staff(db, role, active, offset, limit)
    return page(StaffPage(data=[StaffPublic.from_row(r) for r in rows], count=total))


@router.post("", response_model=StaffPublic, status_code=201)
async def create_staff(body: StaffCreate, user: StaffAdmin, db: DbDep, once: Idempotent) -> JSONResponse:
    """Open an account with a password for one sign-in, told to the person in confidence."""
    async def create() -> JSONResponse:
        row = await run_in_threadpool(staff.create_staff, db, user, body.username, body.role, body.scope,
                                      body.display_name, body.password)
        return created(StaffPublic.from_row(row), f"/api/v1/staff/{row['username']}")
    return await once(create)


@router.get("/{username}", response_model=StaffPublic)
def get_staff(username: UsernamePath, user: StaffAdmin, db: DbDep) -> JSONResponse:
    return selected(StaffPublic.from_row(staff.get_staff(db, username)))


@router.patch("/{username}", response_model=StaffPublic)
async def change_staff(username: UsernamePath, body: StaffChange, user: StaffAdmin, db: DbDep,
                       client: SchedulingClient) -> JSONResponse:
    """Change the role, its scope, the display name, or deactivate (active: false) or reactivate. A
    deactivated or re-roled account's tokens stop working within seconds; the last active admin stays. A
    technician who leaves their station (deactivated, re-roled or moved) leaves its roster too, or automatic
    assignment would go on giving them visits."""
    # A null scope or display name clears it; a null role or active is no change.
    changes = {name: getattr(body, name) for name in body.model_fields_set
               if getattr(body, name) is not None or name in ("scope", "display_name")}
    before, after = await run_in_threadpool(staff.change_staff, db, user, username, changes)
    station = before["scope"] if before["role"] == Role.TECHNICIAN else None
    if station and not (after["active"] and after["role"] == Role.TECHNICIAN and after["scope"] == station):
        await _off_the_roster(client, after["username"], station, actor(user))
    return selected(StaffPublic.from_row(after))


async def _off_the_roster(client, username: str, station: str, by) -> None:
    try:
        roster = await client.ListTechnicians(pb.ListTechniciansRequest(station_code=station, actor=by))
        for entry in roster.technicians:
            if entry.username == username and entry.active:
                await client.PutTechnician(pb.PutTechnicianRequest(
                    username=username, station_code=station, skills=entry.skills,
                    daily_capacity=entry.daily_capacity, active=False, actor=by))
    except grpc.RpcError:
        raise Problem(503, "roster-unchanged",
                      f"the account of {username} is changed, but {station}'s roster could not be: take them off it "
                      f"with PUT /api/v1/technicians/{username} and active false") from None


@router.post("/{username}/password", response_model=StaffPublic)
def set_password(username: UsernamePath, body: PasswordSet, user: StaffAdmin, db: DbDep) -> JSONResponse:
    """Set a password for one sign-in (the person forgot theirs); their failed sign-ins are forgotten."""
    return selected(StaffPublic.from_row(staff.set_password_for_one_sign_in(db, user, username, body.password)))
