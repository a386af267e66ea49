"""Matching end to end on the real embedded engine: the outbox keeps the index in step
(also across an engine outage), hard filters, ranking and explanations, the tenant
filter, the PostgreSQL fallback, and the shortlist race."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
import tantivy
from sqlalchemy import func, select

from app.assignment_requests.models import AssignmentRequest
from app.assignments.models import Assignment
from app.core.actor import Actor
from app.core.clock import now
from app.core.roles import permissions_for
from app.experts.models import ExpertConsent, ExpertProfile, Skill
from app.experts.privacy import erase_account
from app.matching import shortlist
from app.matching.models import ShortlistEntry
from app.matching.services import MatchFilters, find_candidates
from app.search.models import SearchOutbox
from app.search.outbox import EXPERTS
from search_index import SearchQuery
from search_index.meili import MeiliSearch
from tenants.context import tenant_scope
from tests.accounts_helpers import make_user, sign_in, use_session
from tests.documents_helpers import app_storage
from tests.expert_helpers import complete_profile
from tests.request_helpers import make_institution, make_request, require_only

pytestmark = pytest.mark.usefixtures("in_english")

STAFF = Actor(email="officer@example.org", name="Officer", role="staff",
              permissions=permissions_for("staff", False))


async def skill_id(session_factory, tenant, code: str):
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(Skill.id).where(Skill.tenant_id == tenant.id,
                                                          Skill.code == code))


async def open_request(session_factory, tenant, **changes):
    async with session_factory() as db:
        institution = await make_institution(db, tenant)
        request = await make_request(db, tenant, institution.id, status="open")
    with tenant_scope(tenant):
        async with session_factory() as db:
            row = await db.get(type(request), request.id)
            for key, value in changes.items():
                setattr(row, key, value)
            await db.commit()
            return row


async def outbox_size(session_factory, tenant) -> int:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(func.count()).select_from(SearchOutbox)) or 0


async def test_changes_reach_the_index_through_the_outbox(app, missions, session_factory,
                                                          index_now):
    sudan = missions["sudan"]
    _user, profile = await complete_profile(session_factory, sudan, status="verified",
                                            name="Amna Outbox", skill_code="teacher_training")
    assert await outbox_size(session_factory, sudan) >= 1
    await index_now()
    assert await outbox_size(session_factory, sudan) == 0
    found = await app.state.search.search(EXPERTS, str(sudan.id), SearchQuery(text="amna outbox"))
    assert [hit.id for hit in found.hits] == [str(profile.id)]
    # Withdrawing consent to matching takes the profile out on the next drain.
    with tenant_scope(sudan):
        async with session_factory() as db:
            consent = await db.scalar(select(ExpertConsent).where(
                ExpertConsent.profile_id == profile.id, ExpertConsent.purpose == "matching"))
            consent.withdrawn_at = now()
            await db.commit()
    await index_now()
    found = await app.state.search.search(EXPERTS, str(sudan.id), SearchQuery(text="amna outbox"))
    assert found.hits == []


async def test_nothing_is_lost_while_the_engine_is_down(app, missions, session_factory,
                                                        index_now, search_dir):
    """Another process holding the index's writer lock makes the engine refuse writes:
    the outbox keeps the change until the engine takes it."""
    sudan = missions["sudan"]
    await index_now()
    index = tantivy.Index.open(str(search_dir / EXPERTS))
    blocker = index.writer(heap_size=15_000_000, num_threads=1)
    try:
        _user, profile = await complete_profile(session_factory, sudan, status="verified",
                                                name="Bakhita Outage")
        await index_now()
        assert await outbox_size(session_factory, sudan) >= 1
        with tenant_scope(sudan):
            async with session_factory() as db:
                rows = list(await db.scalars(select(SearchOutbox)))
                assert all(r.attempts == 1 and "busy" in r.last_error for r in rows)
                for row in rows:
                    row.next_attempt_at = None  # the backoff has passed
                await db.commit()
    finally:
        blocker.rollback()
        del blocker
    await index_now()
    assert await outbox_size(session_factory, sudan) == 0
    found = await app.state.search.search(EXPERTS, str(sudan.id), SearchQuery(text="bakhita"))
    assert [hit.id for hit in found.hits] == [str(profile.id)]


async def test_hard_filters_ranking_and_explanation(app, missions, session_factory, index_now):
    sudan = missions["sudan"]
    training = await skill_id(session_factory, sudan, "teacher_training")
    request = await open_request(session_factory, sudan, sector="education",
                                 min_years_experience=10)
    with tenant_scope(sudan):
        async with session_factory() as db:
            await require_only(db, sudan, request.id, training, ("en", "B2"))
    _u, strong = await complete_profile(session_factory, sudan, status="verified",
                                        name="Strong Match", language=("en", "C2"))
    _u, other_sector = await complete_profile(session_factory, sudan, status="verified",
                                              name="Other Sector", language=("en", "C1"),
                                              sector="health")
    _u, weak_english = await complete_profile(session_factory, sudan, status="verified",
                                              name="Weak English", language=("en", "A2"))
    _u, unverified = await complete_profile(session_factory, sudan, status="submitted",
                                            name="Not Yet Verified")
    _u, busy = await complete_profile(session_factory, sudan, status="verified",
                                      name="Busy Expert", available=(400, 500))
    _u, no_consent = await complete_profile(session_factory, sudan, status="verified",
                                            name="No Consent", consents=())
    await index_now()
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.get(type(request), request.id)
            matches = await find_candidates(db, sudan, app.state.search, row, MatchFilters(),
                                            "en")
    ids = [c.profile_id for c in matches.candidates]
    assert matches.from_engine
    assert strong.id in ids and other_sector.id in ids
    for excluded in (weak_english, unverified, busy, no_consent):
        assert excluded.id not in ids
    assert ids.index(strong.id) < ids.index(other_sector.id)  # same skill, sector differs
    best = matches.candidates[ids.index(strong.id)]
    explanation = best.explanation(matches.skill_names)
    assert explanation["criteria"]["required_skills"]["skills"] == [
        {"skill": "Teacher training", "strength": 1.0, "source": "skill", "evidence": None}]
    assert explanation["criteria"]["languages"]["languages"][0]["level"] == "C2"
    assert explanation["criteria"]["availability"]["overlap_days"] > 0
    assert explanation["criteria"]["experience"]["years"] == 12
    # A facet narrows the list.
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.get(type(request), request.id)
            narrowed = await find_candidates(db, sudan, app.state.search, row,
                                             MatchFilters(sector="health"), "en")
    assert [c.profile_id for c in narrowed.candidates] == [other_sector.id]


async def test_another_missions_experts_are_never_candidates(app, missions, session_factory,
                                                             index_now):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    _u, theirs = await complete_profile(session_factory, mozambique, status="verified",
                                        name="Mozambique Only Expert",
                                        skill_code="teacher_training")
    await index_now()
    crafted = SearchQuery(text=f'Mozambique Only Expert tenant_id = "{mozambique.id}"',
                          matching="any")
    found = await app.state.search.search(EXPERTS, str(sudan.id), crafted)
    assert str(theirs.id) not in [hit.id for hit in found.hits]
    request = await open_request(session_factory, sudan)
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.get(type(request), request.id)
            matches = await find_candidates(db, sudan, app.state.search, row,
                                            MatchFilters(q="Mozambique Only"), "en")
    assert theirs.id not in [c.profile_id for c in matches.candidates]


async def test_the_page_answers_from_the_database_when_the_engine_is_unreachable(
        app, client, missions, session_factory, index_now):
    sudan = missions["sudan"]
    request = await open_request(session_factory, sudan)
    _u, expert = await complete_profile(session_factory, sudan, status="verified",
                                        name="Fallback Candidate")
    staff = await make_user(session_factory, sudan, "staff")
    use_session(client, None)
    await sign_in(client, sudan, staff.email)
    engine = app.state.search
    app.state.search = MeiliSearch("http://127.0.0.1:9", None)  # nothing listens there
    try:
        page = await client.get(f"/sudan/requests/{request.id}/matches")
    finally:
        await app.state.search.close()
        app.state.search = engine
    assert page.status_code == 200
    assert "search engine is not answering" in page.text
    assert "occupation fit cannot be computed" in page.text
    assert "Fallback Candidate" in page.text


async def test_two_confirmations_at_once_fill_one_place_once(app, missions, session_factory):
    sudan = missions["sudan"]
    request = await open_request(session_factory, sudan, experts_wanted=1,
                                 status="shortlisting")
    entries = []
    for name in ("Racer One", "Racer Two"):
        _u, profile = await complete_profile(session_factory, sudan, status="verified", name=name)
        with tenant_scope(sudan):
            async with session_factory() as db:
                entry = ShortlistEntry(tenant_id=sudan.id, request_id=request.id,
                                       profile_id=profile.id, status="accepted", explanation={})
                db.add(entry)
                await db.commit()
                entries.append(entry.id)

    async def confirm(entry_id):
        with tenant_scope(sudan):
            async with session_factory() as db:
                row = await db.get(type(request), request.id)
                entry = await db.get(ShortlistEntry, entry_id)
                try:
                    await shortlist.confirm(db, sudan, STAFF, row, entry, "http://x/",
                                            "The institution agreed by telephone.")
                    return "confirmed"
                except shortlist.ShortlistRefused as exc:
                    return exc.message

    outcomes = await asyncio.gather(*(confirm(e) for e in entries))
    # The second waits for the first, then finds the request filled.
    assert sorted(outcomes) == ["This request is not open for selection any more.", "confirmed"]
    with tenant_scope(sudan):
        async with session_factory() as db:
            assert await db.scalar(select(func.count()).select_from(Assignment).where(
                Assignment.request_id == request.id)) == 1
            row = await db.get(type(request), request.id)
            assert row.status == "filled"


async def test_portal_reindex_rebuilds_from_the_database(app, missions, session_factory, portal):
    """Rows written around the outbox (a bulk load) reach the index through `portal reindex`."""
    sudan = missions["sudan"]
    _u, profile = await complete_profile(session_factory, sudan, status="verified",
                                         name="Zeinab Bulkload")
    with tenant_scope(sudan):
        async with session_factory() as db:
            await db.execute(SearchOutbox.__table__.delete())
            await db.commit()
    result = await asyncio.to_thread(portal, "reindex", "--tenant", "sudan")
    assert result.returncode == 0, result.stderr
    assert "Search index rebuilt" in result.stdout
    unknown = await asyncio.to_thread(portal, "reindex", "--tenant", "atlantis")
    assert unknown.returncode != 0 and "atlantis" in unknown.stderr
    # Another process committed: this process's reader would see it about a second later;
    # reload it now, as it does after its own writes (search_index/embedded.py).
    app.state.search.indexes[EXPERTS].index.reload()
    found = await app.state.search.search(EXPERTS, str(sudan.id),
                                          SearchQuery(text="zeinab bulkload"))
    assert [hit.id for hit in found.hits] == [str(profile.id)]


async def test_erasure_and_status_changes_reach_the_index(app, missions, session_factory,
                                                          index_now):
    sudan = missions["sudan"]
    user, profile = await complete_profile(session_factory, sudan, status="verified",
                                           name="Fatima Erasable")
    _u, other = await complete_profile(session_factory, sudan, status="verified",
                                       name="Fatima Deactivated")
    await index_now()
    found = await app.state.search.search(EXPERTS, str(sudan.id), SearchQuery(text="fatima"))
    assert {hit.id for hit in found.hits} >= {str(profile.id), str(other.id)}
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.get(ExpertProfile, other.id)
            row.status = "inactive"
            await db.commit()
    actor = Actor(user_id=user.id, email=user.email, name=user.name, role="expert",
                  permissions=permissions_for("expert", False))
    await erase_account(session_factory, actor, app_storage())
    await index_now()
    found = await app.state.search.search(EXPERTS, str(sudan.id), SearchQuery(text="fatima"))
    assert str(profile.id) not in {hit.id for hit in found.hits}
    [deactivated] = [hit for hit in found.hits if hit.id == str(other.id)]
    assert deactivated.document["status"] == "inactive"  # kept, and matching filters it out


async def test_reindex_in_batches_sends_every_batch_once(app, missions, session_factory):
    """reindex builds the next batch while the engine writes the previous one: every batch
    arrives (the last, short one too), progress climbs to the total, and the index then holds
    exactly the documents the builder makes."""
    from app.search.documents import expert_documents
    from app.search.sync import reindex

    sudan = missions["sudan"]
    made = [(await complete_profile(session_factory, sudan, status="verified",
                                    name=f"Batchwise Person {i}"))[1] for i in range(5)]
    seen: list[tuple[int, int]] = []
    total = await reindex(session_factory, app.state.search, sudan, batch=2,
                          progress=lambda done, of: seen.append((done, of)))
    assert seen[-1] == (total, total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    with tenant_scope(sudan):
        async with session_factory() as db:
            ids = list(await db.scalars(select(ExpertProfile.id).where(
                ExpertProfile.tenant_id == sudan.id)))
            documents = await expert_documents(db, sudan, ids)
    indexable = {str(i) for i, doc in documents.items() if doc}
    assert {str(p.id) for p in made} <= indexable
    everything = await app.state.search.search(EXPERTS, str(sudan.id),
                                               SearchQuery(limit=1000))
    assert {hit.id for hit in everything.hits} == indexable
    found = await app.state.search.search(EXPERTS, str(sudan.id),
                                          SearchQuery(text="batchwise person", limit=50))
    assert {str(p.id) for p in made} <= {hit.id for hit in found.hits}
    hit = next(h for h in found.hits if h.id == str(made[0].id))
    assert hit.document["name"] == "Batchwise Person 0" and hit.document["skills"]


async def _candidates(app, session_factory, tenant, request_id, engine: bool = True):
    with tenant_scope(tenant):
        async with session_factory() as db:
            row = await db.get(AssignmentRequest, request_id)
            search = app.state.search if engine else MeiliSearch("http://127.0.0.1:9", None)
            try:
                found = await find_candidates(db, tenant, search, row, MatchFilters(), "en")
            finally:
                if not engine:
                    await search.close()
    return found


async def test_hard_requirements_to_the_day_the_year_and_other_assignments(
        app, missions, session_factory, index_now):
    """Experience and availability are hard requirements, availability to the day (the
    engine indexes months); an expert on a confirmed assignment that overlaps the window is
    taken. The PostgreSQL fallback keeps exactly the same experts."""
    sudan = missions["sudan"]
    today = date.today()
    # The window: from day 60 to day 70 + 2 weeks = day 84.
    request = await open_request(session_factory, sudan, sector="education",
                                 min_years_experience=10, duration_weeks=2,
                                 earliest_start=today + timedelta(days=60),
                                 latest_start=today + timedelta(days=70), finish_by=None)
    training = await skill_id(session_factory, sudan, "teacher_training")
    with tenant_scope(sudan):
        async with session_factory() as db:
            await require_only(db, sudan, request.id, training)
    _u, fits = await complete_profile(session_factory, sudan, status="verified",
                                      name="Two Days Of Overlap", available=(30, 61))
    _u, ends_before = await complete_profile(session_factory, sudan, status="verified",
                                             name="Free Until Two Days Before",
                                             available=(30, 58))
    _u, junior = await complete_profile(session_factory, sudan, status="verified",
                                        name="Five Years Only", available=(30, 200))
    _u, taken = await complete_profile(session_factory, sudan, status="verified",
                                       name="Already On Assignment", available=(30, 200))
    _u, a_year_short = await complete_profile(session_factory, sudan, status="verified",
                                              name="Nine Years", available=(30, 200))
    _u, far_off = await complete_profile(session_factory, sudan, status="verified",
                                         name="Free Three Weeks Later", available=(105, 200))
    with tenant_scope(sudan):
        async with session_factory() as db:
            (await db.get(ExpertProfile, junior.id)).years_experience = 5
            (await db.get(ExpertProfile, a_year_short.id)).years_experience = 9
            await db.commit()
    async with session_factory() as db:
        institution = await make_institution(db, sudan)
        other = await make_request(db, sudan, institution.id, status="filled")
    with tenant_scope(sudan):
        async with session_factory() as db:
            db.add(Assignment(tenant_id=sudan.id, request_id=other.id, profile_id=taken.id,
                              slot=1, status="contracted", version=1, updated_at=now(),
                              planned_start=today + timedelta(days=80),
                              planned_end=today + timedelta(days=120)))
            await db.commit()
    await index_now()
    engine = await _candidates(app, session_factory, sudan, request.id)
    ids = {c.profile_id for c in engine.candidates}
    assert fits.id in ids
    assert not ids & {ends_before.id, junior.id, taken.id, a_year_short.id, far_off.id}
    # Near misses: one requirement missed by a little, each saying what; five years for
    # ten, three weeks after the window and the one already on assignment are not.
    near = {c.profile_id: c.misses for c in engine.near_misses}
    assert set(near) == {ends_before.id, a_year_short.id}
    assert near[ends_before.id] == [{"requirement": "availability", "days_away": 2,
                                     "near": True}]
    assert near[a_year_short.id] == [{"requirement": "experience", "years": 9,
                                      "minimum": 10, "near": True}]
    fallback = await _candidates(app, session_factory, sudan, request.id, engine=False)
    assert not fallback.from_engine
    assert {c.profile_id for c in fallback.candidates} == ids
    ours = {p.id for p in (fits, ends_before, junior, taken, a_year_short, far_off)}
    assert {c.profile_id for c in fallback.near_misses} & ours == set(near)
    # A cancelled assignment frees the expert again.
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.scalar(select(Assignment).where(Assignment.profile_id == taken.id))
            row.status = "cancelled"
            await db.commit()
    again = await _candidates(app, session_factory, sudan, request.id)
    assert taken.id in {c.profile_id for c in again.candidates}


async def test_a_requests_words_come_most_telling_first_and_as_often_as_said(
        missions, session_factory):
    """The match's query words (an engine may read only the first ones: Meilisearch 10):
    what the request keeps coming back to, most said first, then every label of its skills,
    then its other words; each as often as the request says it (the embedded engine weighs
    them so)."""
    from collections import Counter

    from app.matching.services import request_facts
    from search_index.text import words as search_words

    sudan = missions["sudan"]
    request = await open_request(
        session_factory, sudan, title="Water utility support",
        objectives="Reduce water losses of the water utility.", tasks="Map the network.")
    skill = await skill_id(session_factory, sudan, "teacher_training")
    with tenant_scope(sudan):
        async with session_factory() as db:
            await require_only(db, sudan, request.id, skill)
            row = await db.get(AssignmentRequest, request.id)
            facts, _names, words = await request_facts(db, sudan, row, "en")
    labels = list(dict.fromkeys(w for c in facts.required_skills for text in c.labels
                                for w in search_words(text, drop_stopwords=True)))
    assert words[:5] == ["water", "water", "water", "utility", "utility"]
    assert words[5:5 + len(labels)] == labels
    assert words[5 + len(labels):] == ["support", "reduce", "losses", "map", "network"]
    said = Counter(search_words("Water utility support Reduce water losses of the water "
                                "utility. Map the network.", drop_stopwords=True))
    assert Counter(words) == said + Counter(labels)
