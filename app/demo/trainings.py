"""Demo trainings for `portal seed-demo` (and the first `portal run`), from
app/demo/data/<mission>/trainings.toml (app.demo.content).

Written by the domain's services as the people who would have done it: the demo partner
user (partner@<mission>.demo) records their agency's trainings and holds and submits them;
another agency's are recorded by the programme officer acting for it; the officer approves
or returns (app.trainings.services: the transition table, the audit trail).

Idempotent: a training is skipped when its agency already has one of that title.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.demo.content import TrainingSeed, mission_trainings
from app.demo.people import demo_member
from app.partners.models import FundingProject, PartnerAgency
from app.trainings import evidence, participants, services
from app.trainings.models import SEX_CATEGORIES, Training
from app.trainings.participants import ParticipantForm
from app.trainings.states import REVIEW_ACTIONS
from tenants.context import TenantContext, tenant_scope

OFFICER, PARTNER = "officer", "partner"
ONLINE = "online"   # a session's place in the files when it was held online


def _form(seed: TrainingSeed, agency_id, parent_id, project_id,
          today: date) -> services.TrainingForm:
    start = today + timedelta(days=seed.start)
    return services.TrainingForm(
        title=seed.title, kind=seed.kind, thematic_area=seed.area,
        curriculum_choice=seed.curriculum,
        target_group=seed.target, start_date=start.isoformat(),
        end_date=(start + timedelta(days=seed.days - 1)).isoformat(), place=seed.place,
        facilitators=seed.facilitators, partner_agency_id=str(agency_id),
        parent_id=str(parent_id) if parent_id else "",
        funding_project_id=str(project_id or ""),
        participant_mode=seed.mode,
        counts={sex: str(n) for sex, n in zip(SEX_CATEGORIES, seed.counts, strict=True)},
        ages={age: str(n) for age, n in seed.ages},
        sessions=[(i, {"day": (start + timedelta(days=day)).isoformat(), "hours": str(hours),
                       "place": "" if place == ONLINE else place,
                       "online": "1" if place == ONLINE else ""})
                  for i, (day, hours, place) in enumerate(seed.sessions)],
        institutions=[(i, {"institution": row[0],
                           **{sex: str(n) for sex, n in zip(SEX_CATEGORIES, row[1:],
                                                            strict=True)}})
                      for i, row in enumerate(seed.institutions)])


async def _evidence(db: AsyncSession, tenant: TenantContext, recorder, training_id,
                    seed: TrainingSeed) -> None:
    """The seed's attendance and tests, through the attendance grid's service."""
    if not seed.attended and not seed.scores:
        return
    training = (await services.get_training(db, tenant, recorder, training_id)).training
    sessions = await participants.sessions_of(db, tenant, training)
    form = evidence.EvidenceForm()
    if seed.mode == "individual":
        people = await participants.participants_of(db, tenant, training)
        form.ticked = {(str(person.id), str(sessions[i].id))
                       for person, days in zip(people, seed.attended, strict=False)
                       for i in days}
        form.scores = {str(person.id): (str(pre), str(post))
                       for person, (pre, post) in zip(people, seed.scores, strict=False)}
    else:
        form.counts = {str(s.id): str(n) for s, n in zip(sessions, seed.attended,
                                                         strict=False)}
        if seed.scores:
            form.pre_avg, form.post_avg, form.tested = (str(v) for v in seed.scores)
    await db.commit()
    await services.record_evidence(db, tenant, recorder, training_id, form, None)


async def seed_demo_trainings(session_factory: async_sessionmaker[AsyncSession],
                              tenant: TenantContext) -> int:
    """Add the mission's missing demo trainings; returns how many were created."""
    seeds = mission_trainings(tenant.slug)
    if not seeds:
        return 0
    today, created = date.today(), 0
    ids: dict[str, object] = {}
    with tenant_scope(tenant):
        async with session_factory() as db:
            officer = await demo_member(db, tenant, OFFICER)
            partner = await demo_member(db, tenant, PARTNER)
            agencies = {a.code: a.id for a in await db.scalars(select(PartnerAgency).where(
                PartnerAgency.tenant_id == tenant.id))}
            projects = {p.code: p.id for p in await db.scalars(select(FundingProject).where(
                FundingProject.tenant_id == tenant.id))}
            await db.commit()
            if officer is None:
                raise ValueError(f"{tenant.slug}: the demo programme officer is missing")
            for seed in seeds:
                agency_id = agencies.get(seed.agency)
                if agency_id is None:
                    continue
                existing = await db.scalar(select(Training.id).where(
                    Training.tenant_id == tenant.id, Training.partner_agency_id == agency_id,
                    Training.title == seed.title))
                await db.commit()
                if existing is not None:
                    ids[seed.key] = existing
                    continue
                recorder = partner if partner is not None \
                    and partner.partner_agency_id == agency_id else officer
                training = await services.create_training(
                    db, tenant, recorder, _form(seed, agency_id, ids.get(seed.parent),
                                              projects.get(seed.project), today))
                ids[seed.key] = training.id
                for name, sex, age, institution, role, consent in seed.participants:
                    await services.add_participant(
                        db, tenant, recorder, training.id, ParticipantForm(
                            name=name, sex=sex, age_group=age, institution=institution,
                            role=role, consent=consent), None)
                await _evidence(db, tenant, recorder, training.id, seed)
                for action in seed.path:
                    who = officer if action in REVIEW_ACTIONS else recorder
                    await services.move(db, tenant, who, training.id, action, seed.reason, None)
                created += 1
    return created
