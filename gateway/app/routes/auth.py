from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from ..auth import issue_token
from ..deps import DbDep, SettingsDep
from ..problems import Problem
from ..schemas.auth import Token
from ..users import authenticate

router = APIRouter(prefix="/auth", tags=["auth"])


# A plain def: password hashing and the user lookup block, so FastAPI runs this in its thread pool.
@router.post("/token")
def issue_access_token(form: Annotated[OAuth2PasswordRequestForm, Depends()], db: DbDep,
                       settings: SettingsDep) -> Token:
    """OAuth2 password flow: a JWT carrying the user's name and role."""
    user = authenticate(db, form.username, form.password)
    if user is None:
        raise Problem(401, "invalid-credentials", "wrong username or password", {"WWW-Authenticate": "Bearer"})
    ttl = timedelta(minutes=settings.jwt_ttl_minutes)
    return Token(access_token=issue_token(user, settings.jwt_secret, ttl),
                 expires_in=int(ttl.total_seconds()), role=user.role)
