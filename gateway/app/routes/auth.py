from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from ..auth import issue_token
from ..deps import DbDep, SettingsDep
from ..login import sign_in
from ..problems import documented
from ..schemas.auth import Token

router = APIRouter(prefix="/auth", tags=["auth"])


# A plain def: password hashing and the user lookup block, so FastAPI runs this in its thread pool.
@router.post("/token", responses=documented([429]))
def issue_access_token(form: Annotated[OAuth2PasswordRequestForm, Depends()], db: DbDep,
                       settings: SettingsDep, request: Request) -> Token:
    """OAuth2 password flow: a JWT carrying the user's name and role. Repeated failures are throttled
    (429 with Retry-After) per name and per address; see gateway/app/throttle.py."""
    user = sign_in(db, form.username, form.password, request.client.host if request.client else None,
                   request.state.correlation_id)
    ttl = timedelta(minutes=settings.jwt_ttl_minutes)
    return Token(access_token=issue_token(user, settings.jwt_secret, ttl),
                 expires_in=int(ttl.total_seconds()), role=user.role)
