"""Who is calling, as route dependencies: `Authorization: Bearer <key>` with the admin key
(TRYON_ADMIN_KEY) or a staff key. Routes that take a store check the key covers it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from server.commerce.errors import NotAuthorised
from server.commerce.runtime import CommerceRuntime
from server.commerce.staff import Principal, authenticate

_bearer = HTTPBearer(auto_error=False, description="The admin key or a staff key")


async def _commerce(request: Request) -> CommerceRuntime:
    return request.app.state.commerce


CommerceDep = Annotated[CommerceRuntime, Depends(_commerce)]


async def _principal(commerce: CommerceDep,
                     credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    if credentials is None or not credentials.credentials:
        raise NotAuthorised("this call needs 'Authorization: Bearer <key>' with the admin key or a staff key")
    async with commerce.db.read() as conn:
        return await authenticate(conn, credentials.credentials, commerce.admin_key)


PrincipalDep = Annotated[Principal, Depends(_principal)]


async def _admin(principal: PrincipalDep) -> Principal:
    principal.require_admin()
    return principal


AdminDep = Annotated[Principal, Depends(_admin)]
