"""A small, fixed data set for the reports (tests/test_reports.py computes every figure of it
by hand): eight experts, six requests, three assignments (two with outputs), five trainings of
two agencies (two of them linked to the assignment that delivered them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from app.assignment_requests.models import AssignmentRequest, RequestSkill
from app.assignments.models import Assignment, Evaluation
from app.experts.models import (
    ExpertAvailability,
    ExpertConsent,
    ExpertLanguage,
    ExpertProfile,
    ExpertSkill,
    Skill,
)
from app.partners.models import FundingProject
from app.trainings.models import Training
from tenants.context import TenantContext, tenant_scope
from tests.request_helpers import make_institution
from tests.training_helpers import a_new_agency


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC) if "T" in day else \
        datetime.fromisoformat(day + "T12:00:00").replace(tzinfo=UTC)


@dataclass
class ReportData:
    agency_x: uuid.UUID     # the partner user's agency
    agency_y: uuid.UUID
    project_id: uuid.UUID   # paid for assignment 1 and the first two trainings


# (number, status, sectors, country, gender, registered, languages, consent, skill)
EXPERTS = [
    (901, "verified", ["water_management"], "NL", "female", "2026-01-10", ["ar", "en"], "yes", 1),
    (902, "verified", ["water_management", "education"], "NL", "male", "2026-01-20", ["ar"],
     "yes", None),
    (903, "submitted", ["education"], "GB", "female", "2026-02-05", ["en"], "yes", 1),
    (904, "draft", [], None, None, "2026-02-15", [], "", None),
    (905, "verified", ["education"], "DE", "male", "2026-03-01", ["ar", "de"], "withdrawn", 1),
    (906, "rejected", ["water_management"], "NL", "female", "2026-03-02", [], "", None),
    (907, "verified", ["education", "water_management"], "GB", "other", "2026-03-20", ["en"],
     "yes", 1),
    (908, "verified", ["education"], "DE", "female", "2026-03-25", ["ar"], "yes", 1),
]


async def fill_report_data(session_factory, tenant: TenantContext) -> ReportData:
    async with session_factory() as db:
        institution = await make_institution(db, tenant, name="Reports Water Authority")
        agency_x = await a_new_agency(db, tenant, "Agency Alpha")
        agency_y = await a_new_agency(db, tenant, "Agency Beta")
    with tenant_scope(tenant):
        async with session_factory() as db:
            tid = tenant.id
            s1 = Skill(tenant_id=tid, code="rpt_leak_detection", names={"en": "Leak detection"},
                       synonyms=[], source="mission")
            s2 = Skill(tenant_id=tid, code="rpt_syllabus", names={"en": "Syllabus design"},
                       synonyms=[], source="mission")
            project = FundingProject(tenant_id=tid, code="RPT-1", name="Reports test project",
                                     donor="Test donor", start_date=date(2026, 1, 1),
                                     end_date=date(2027, 12, 31))
            db.add_all([s1, s2, project])
            await db.flush()
            profiles = {}
            for number, status, sectors, country, gender, day, languages, consent, skill \
                    in EXPERTS:
                profile = ExpertProfile(tenant_id=tid, number=number, status=status,
                                        full_name=f"Expert {number}", sectors=sectors,
                                        residence_country=country, gender=gender,
                                        created_at=at(day))
                db.add(profile)
                await db.flush()
                profiles[number] = profile
                db.add_all(ExpertLanguage(tenant_id=tid, profile_id=profile.id, language=code,
                                          level="C1") for code in languages)
                if consent:
                    db.add(ExpertConsent(tenant_id=tid, profile_id=profile.id,
                                         purpose="matching", notice_version=1,
                                         granted_at=at("2026-01-01"),
                                         withdrawn_at=at("2026-04-01")
                                         if consent == "withdrawn" else None))
                if skill:
                    db.add(ExpertSkill(tenant_id=tid, profile_id=profile.id, skill_id=s1.id))
            # Away "today", whenever the test runs.
            db.add(ExpertAvailability(tenant_id=tid, profile_id=profiles[907].id,
                                      kind="unavailable", starts_on=date(2000, 1, 1),
                                      ends_on=date(2100, 1, 1)))

            def request(number, status, sector, created, opened=None, shortlisted=None,
                        wanted=1):
                row = AssignmentRequest(
                    tenant_id=tid, institution_id=institution.id, number=900 + number,
                    status=status, title=f"Report request {number}", sector=sector,
                    experts_wanted=wanted, created_at=at(created),
                    opened_at=at(opened) if opened else None,
                    shortlist_shared_at=at(shortlisted) if shortlisted else None)
                db.add(row)
                return row
            r1 = request(1, "filled", "water_management", "2026-01-05", "2026-01-10T00:00:00",
                         "2026-01-14T00:00:00")
            r2 = request(2, "shortlisting", "water_management", "2026-02-01",
                         "2026-02-01T00:00:00", "2026-02-07T00:00:00", wanted=2)
            r3 = request(3, "open", "education", "2026-02-10", "2026-02-10T00:00:00")
            r4 = request(4, "filled", "education", "2026-03-01", "2026-03-01T00:00:00",
                         "2026-03-03T00:00:00")
            request(5, "draft", None, "2026-03-05")
            r6 = request(6, "cancelled", "water_management", "2026-01-14",
                         "2026-01-15T00:00:00")
            await db.flush()
            db.add_all([RequestSkill(tenant_id=tid, request_id=r2.id, skill_id=s1.id),
                        RequestSkill(tenant_id=tid, request_id=r3.id, skill_id=s1.id),
                        RequestSkill(tenant_id=tid, request_id=r3.id, skill_id=s2.id),
                        # desired only: not a requirement the supply page counts
                        RequestSkill(tenant_id=tid, request_id=r4.id, skill_id=s2.id,
                                     required=False)])
            # People trained: 1's outputs are the same people as T1's, the activity linked to
            # it (counted once, there); 2's are its own (its linked activity is only planned).
            a1 = Assignment(tenant_id=tid, request_id=r1.id, profile_id=profiles[901].id,
                            slot=1, status="completed", created_at=at("2026-01-20T00:00:00"),
                            actual_end=date(2026, 4, 10), funding_project_id=project.id,
                            trained_female=5, trained_male=7)
            a2 = Assignment(tenant_id=tid, request_id=r4.id, profile_id=profiles[902].id,
                            slot=1, status="in_progress", created_at=at("2026-03-09T00:00:00"),
                            planned_end=date(2026, 6, 30), trained_female=2, trained_male=1,
                            trained_not_recorded=4)
            a3 = Assignment(tenant_id=tid, request_id=r6.id, profile_id=profiles[902].id,
                            slot=1, status="cancelled", created_at=at("2026-01-25T00:00:00"))
            db.add_all([a1, a2, a3])
            await db.flush()
            db.add(Evaluation(tenant_id=tid, assignment_id=a1.id, status="accepted",
                              relevance=5, quality=4, timeliness=3, knowledge_transfer=4,
                              would_host_again=4))

            def training(agency, kind, area, target, start, status, parent=None, funded=False,
                         delivered_by=None, **counts):
                row = Training(tenant_id=tid, partner_agency_id=agency, kind=kind,
                               funding_project_id=project.id if funded else None,
                               assignment_id=delivered_by.id if delivered_by else None,
                               thematic_area=area, target_group=target,
                               title=f"{kind} {start}", start_date=date.fromisoformat(start),
                               end_date=date.fromisoformat(start), status=status,
                               parent_id=parent, **counts)
                db.add(row)
                return row
            t1 = training(agency_x, "training_of_trainers", "counter_trafficking", "Prosecutors",
                          "2026-01-12", "held", funded=True, delivered_by=a1, female=3, male=7)
            await db.flush()
            t2 = training(agency_x, "cascade", "counter_trafficking", "Police officers",
                          "2026-02-10", "approved", t1.id, funded=True, female=6, male=2,
                          other=1)
            await db.flush()
            training(agency_y, "cascade", "counter_trafficking", " Police officers ",
                     "2026-04-05", "submitted", t2.id, female=2, male=2)
            training(agency_y, "awareness", "protection", "", "2026-04-20", "approved",
                     female=12, male=8, not_recorded=3)
            training(agency_y, "training", "border_management", "Police officers",
                     "2026-05-02", "planned", delivered_by=a2, female=5)
            await db.commit()
    return ReportData(agency_x, agency_y, project.id)
