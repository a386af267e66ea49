"""Imports every model so Base.metadata knows all tables (Alembic, tests)."""

from app.partners.models import PartnerAgency  # noqa: F401
from tenants.models import Sector, Tenant  # noqa: F401
