"""Catalog errors a caller can act on (HTTP statuses in server/errors_http.py)."""

from __future__ import annotations

from server.commerce.errors import Conflict, InvalidRequest


class ProductExists(Conflict):
    """An import named a product id that is taken (replace its model instead)."""


class InvalidProductId(InvalidRequest):
    """A product id that is not a short lower-case slug."""
