"""Identity providers for tests that need one in the database without any provider
behind it (the route sweeps of tests/isolation.py and tests/test_authorization.py)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sso_models import IdentityProvider
from tenants.context import TenantContext, tenant_scope


async def a_turned_off_identity_provider(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    """A provider the mission admin turned off. Its start and callback lead back to the
    sign-in page without contacting anyone, which a route sweep can follow; its admin page
    opens as for any provider. The secret is never decrypted, so any text stands in."""
    with tenant_scope(tenant):
        provider = IdentityProvider(
            tenant_id=tenant.id, name=f"Sweep {uuid.uuid4().hex[:8]}",
            issuer="https://login.example.org", client_id="portal",
            client_secret_encrypted="(not used)", allowed_domains=["example.org"],
            default_role="staff", existing_members_only=False, enabled=False)
        db.add(provider)
        await db.commit()
    return provider.id
