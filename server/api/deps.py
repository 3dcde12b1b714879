"""Shared objects routes depend on, named as types so routes stay short."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from server.catalog.service import ProductCatalog
from server.settings import Settings
from server.stream.ws import StreamServices


async def _services(request: Request) -> StreamServices:
    return request.app.state.services


ServicesDep = Annotated[StreamServices, Depends(_services)]


async def _catalog(request: Request) -> ProductCatalog:
    return request.app.state.services.catalog


CatalogDep = Annotated[ProductCatalog, Depends(_catalog)]


async def _settings(request: Request) -> Settings:
    return request.app.state.services.settings


SettingsDep = Annotated[Settings, Depends(_settings)]
