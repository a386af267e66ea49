"""People trained, counted once, whichever record they were counted on.

Two records count people trained: a partner agency's activity (its participants, by sex)
and an assignment's outputs (the people the expert trained, by sex). A training may name
the assignment that delivered it; the same people are then on both records. The rule that
decides which one counts is `counts_its_own_outputs`, and every figure of people trained
(the mission dashboard, the project report, HQ's totals, the API's aggregates and their
exports) is summed by `people_trained` below, so the rule cannot be applied in one place and
forgotten in another."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.assignment_requests.models import AssignmentRequest
from app.assignments.models import Assignment
from app.core.sex_categories import SEX_CATEGORIES
from app.trainings.models import Training
from tenants.context import TenantContext

# An activity counts once it was held (a planned one has no participants yet).
NOT_HELD = "planned"
# The two records, in the order the reports show them.
ACTIVITIES, ASSIGNMENTS = "activities", "assignments"


def counts_its_own_outputs(tenant: TenantContext) -> ColumnElement[bool]:
    """True for an assignment whose outputs count as people trained: one that no activity
    held (not merely planned) names as the assignment that delivered it.

    The activity wins, because its participants are recorded from the attendance by the
    agency that held it, by sex (and one by one or by institution), and reviewed by staff
    before approval; the expert's outputs are the expert's own tally of the same people.
    Adding both would count each participant twice. An assignment without a linked activity
    keeps its own figure, which is then the only record of the people it trained.

    The rule looks at every linked activity, whatever the report's filters: when the
    activity falls outside the period or the project chosen, the assignment's figure still
    does not count, so that across periods and projects each person is counted once, with
    the activity."""
    return ~exists().where(Training.tenant_id == tenant.id,
                           Training.assignment_id == Assignment.id,
                           Training.status != NOT_HELD)


async def people_trained(db: AsyncSession, tenant: TenantContext,
                         activities: list[ColumnElement] | None,
                         assignments: list[ColumnElement] | None) -> dict[str, list[int]]:
    """People trained by record, each as [female, male, other, not recorded], in one query.

    `activities` and `assignments` are the conditions of the report's filters on each
    record (the activities held in the period, of the agency, ...; the assignments of the
    sector, of the project, ...), or None to leave that record out (a filter it does not
    carry, such as a partner agency for assignments). The assignments' conditions may name
    AssignmentRequest: the request is joined for them."""
    parts: list[Select] = []
    if activities is not None:
        parts.append(select(literal(ACTIVITIES).label("record"),
                            *(func.coalesce(func.sum(getattr(Training, sex)), 0).label(sex)
                              for sex in SEX_CATEGORIES))
                     .where(Training.tenant_id == tenant.id, Training.status != NOT_HELD,
                            *activities))
    if assignments is not None:
        parts.append(select(literal(ASSIGNMENTS).label("record"),
                            *(func.coalesce(func.sum(getattr(Assignment, f"trained_{sex}")), 0)
                              .label(sex) for sex in SEX_CATEGORIES))
                     .join_from(Assignment, AssignmentRequest,
                                AssignmentRequest.id == Assignment.request_id)
                     .where(Assignment.tenant_id == tenant.id,
                            AssignmentRequest.tenant_id == tenant.id,
                            counts_its_own_outputs(tenant), *assignments))
    if not parts:
        return {}
    rows = await db.execute(parts[0] if len(parts) == 1 else union_all(*parts))
    return {record: [int(n) for n in counts] for record, *counts in rows}
