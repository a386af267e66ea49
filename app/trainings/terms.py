"""A mission's thematic areas and curricula (its mission file, app/trainings/provisioning.py)
in the reader's language. A mission whose file names no thematic areas offers the
built-in ones, so trainings recorded before the lists moved to the mission files keep
their areas."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import current_locale
from app.trainings import labels
from app.trainings.models import TrainingTerm
from tenants.context import TenantContext

OTHER = "other"   # the curriculum choice that takes a typed name


@dataclass
class Terms:
    areas: list[tuple[str, str]]        # (code, name) in the mission file's order
    curricula: list[tuple[str, str]]

    @property
    def area_codes(self) -> list[str]:
        return [code for code, _name in self.areas]

    def curriculum_name(self, stored: str) -> str:
        """A listed curriculum by its name; one typed in as it was typed."""
        return dict(self.curricula).get(stored, stored)


async def mission_terms(db: AsyncSession, tenant: TenantContext) -> Terms:
    locale = current_locale()
    found: dict[str, list[tuple[str, str]]] = {"area": [], "curriculum": []}
    for term in await db.scalars(select(TrainingTerm).where(
            TrainingTerm.tenant_id == tenant.id).order_by(TrainingTerm.position,
                                                          TrainingTerm.code)):
        found.setdefault(term.kind, []).append((term.code, term.display_name(locale)))
    return Terms(found["area"] or labels.thematic_areas(), found["curriculum"])
