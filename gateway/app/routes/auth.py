from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from ..auth import User, issue_token
from ..deps import DbDep, SettingsDep, client_address
from ..login import sign_in
from ..problems import documented
from ..schemas.auth import Token
from ..schemas.staff import PasswordChoice
from ..staff import choose_password

router = APIRouter(prefix="/auth", tags=["auth"])


# A plain def: password hashing and the user lookup block, so FastAPI runs this in its thread pool.
@router.post("/token", responses=documented([403, 429]))
def issue_access_token(form: Annotated[OAuth2PasswordRequestForm, Depends()], db: DbDep,
                       settings: SettingsDep, request: Request) -> Token:
    """OAuth2 password flow: a JWT carrying the user's name and role. Repeated failures are throttled
    (429 with Retry-After) per name and per address; see gateway/app/throttle.py."""
    user = sign_in(db, form.username, form.password, client_address(request), request.state.correlation_id)
    return _token(user, settings)


@router.post("/password", responses=documented([422, 429]))
def choose_own_password(body: PasswordChoice, db: DbDep, settings: SettingsDep, request: Request) -> Token:
    """Replace one's password: the one an admin set for one sign-in, or one's own. The current password is
    checked as a sign-in is (throttled, audited); the answer is a token, as signing in gives."""
    user = choose_password(db, body.username, body.password, body.new_password, client_address(request),
                           request.state.correlation_id)
    return _token(user, settings)


def _token(user: User, settings) -> Token:
    ttl = timedelta(minutes=settings.jwt_ttl_minutes)
    return Token(access_token=issue_token(user, settings.jwt_secret, ttl),
                 expires_in=int(ttl.total_seconds()), role=user.role)
