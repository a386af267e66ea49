"""The current mission, for the request or background job being served.

The database session hook (app.db.session) reads it at the start of every transaction and
sets `app.tenant_id`, which the row-level security policies compare against.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class TenantContext:
    """What a request needs to know about its mission; a plain value, safe to share."""

    id: uuid.UUID
    slug: str
    name: str
    names: dict[str, str]
    country_code: str
    default_locale: str
    locales: tuple[str, ...]
    time_zone: str
    # How numbers are written in Arabic pages: "western" (0-9, the default) or "arabic_indic".
    digits: str = "western"

    def display_name(self, locale: str) -> str:
        return self.names.get(locale) or self.name


_current: ContextVar[TenantContext | None] = ContextVar("current_tenant", default=None)


def current_tenant() -> TenantContext | None:
    return _current.get()


def current_tenant_id() -> uuid.UUID | None:
    tenant = _current.get()
    return tenant.id if tenant else None


@contextmanager
def tenant_scope(tenant: TenantContext | None) -> Iterator[None]:
    """Run a block (a request, a job, a seed step) as the given mission."""
    token = _current.set(tenant)
    try:
        yield
    finally:
        _current.reset(token)
