"""Types for what handlers receive by name: `db: Db` (the request's session),
`tenant: CurrentTenant` (the mission resolved from the URL) and `actor: CurrentActor`
(who is acting, with their permissions in this mission) and `search: Search` (the engine)."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from search_index import SearchBackend
from tenants.context import TenantContext

Db = NamedDependency[AsyncSession]
CurrentTenant = NamedDependency[TenantContext]
CurrentActor = NamedDependency[Actor]
Search = NamedDependency[SearchBackend]  # the search engine (app.state.search)
# An HTML form post (works without JavaScript; htmx sends the same encoding).
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
