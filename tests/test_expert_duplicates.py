"""Likely duplicate experts: the same person imported twice under another reference and
address, or registering again, is flagged (the same folded name and birth year, or the
same phone number) for staff, who see both profiles side by side and merge them (the
kept profile gains the other's skills, documents and shortlist entries; the other is
archived as its duplicate) or dismiss the pair (audited, never flagged again)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.experts.duplicates import flag_likely_duplicates, name_key, phone_key
from app.experts.models import (
    ExpertDocument,
    ExpertDuplicate,
    ExpertProfile,
    ExpertSkill,
    Skill,
)
from app.matching.models import ShortlistEntry
from tenants.context import tenant_scope
from tests.conftest import csrf_token
from tests.expert_helpers import complete_profile
from tests.html import select_all, table_rows
from tests.import_helpers import csv_bytes, import_bytes
from tests.request_helpers import an_open_assignment_request

pytestmark = pytest.mark.usefixtures("in_english")

HEADER = "external_ref,full_name,email,birth_year,phone,skills"


async def post(client, path: str, data: dict | None = None):
    token = await csrf_token(client, "/sudan/")
    return await client.post(path, data={**(data or {}), "_csrf_token": token},
                             follow_redirects=False)


async def pairs(session_factory, tenant, *profile_ids) -> list[ExpertDuplicate]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            query = select(ExpertDuplicate).where(ExpertDuplicate.tenant_id == tenant.id)
            for profile_id in profile_ids:
                query = query.where((ExpertDuplicate.profile_id == profile_id)
                                    | (ExpertDuplicate.other_id == profile_id))
            return list(await db.scalars(query))


async def profile(session_factory, tenant, ref: str) -> ExpertProfile:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(ExpertProfile).where(
                ExpertProfile.tenant_id == tenant.id, ExpertProfile.external_ref == ref))


def test_keys_fold_names_and_keep_the_last_digits_of_phones():
    assert name_key("Amira Hassan OSMAN", 1980) == name_key("osman  amira hassan", 1980)
    assert name_key("Élise Gonçalves", 1975) == name_key("Elise Goncalves", 1975)
    assert name_key("Amira Osman", 1980) != name_key("Amira Osman", 1981)
    assert name_key("Amira Osman", None) is None and name_key("Amira", 1980) is None
    assert phone_key("+249 912 345 678") == phone_key("0912-345-678") == "912345678"
    assert phone_key("12345") is None and phone_key("") is None


async def test_the_same_expert_imported_twice_is_flagged_once(session_factory, missions):
    sudan = missions["sudan"]
    first = await import_bytes(session_factory, sudan, csv_bytes(
        HEADER, "DU-1,Amira Hassan Osman,amira.one@example.org,1980,,Hydrology"))
    assert first.written
    # Another roster: another reference and address, the name written otherwise.
    second = await import_bytes(session_factory, sudan, csv_bytes(
        HEADER, "OLD-77,OSMAN Amira Hassan,amira.two@example.org,1980,,Irrigation",
        "OLD-78,Amira Hassan Osman,someone.else@example.org,1991,,Hydrology"))
    assert second.written
    one = await profile(session_factory, sudan, "DU-1")
    two = await profile(session_factory, sudan, "OLD-77")
    other = await profile(session_factory, sudan, "OLD-78")
    found = await pairs(session_factory, sudan, one.id)
    assert [(p.reason, p.status, {p.profile_id, p.other_id}) for p in found] == [
        ("name_birth_year", "open", {one.id, two.id})]
    assert await pairs(session_factory, sudan, other.id) == []  # another birth year
    # Importing the same file again flags nothing new.
    assert (await import_bytes(session_factory, sudan, csv_bytes(
        HEADER, "OLD-77,OSMAN Amira Hassan,amira.two@example.org,1980,,Irrigation"))).written
    assert len(await pairs(session_factory, sudan, one.id)) == 1


async def test_rows_of_one_file_meet_each_other_and_the_mission_s_profiles(
        session_factory, missions):
    """An import gives the keys of the profiles it creates from what it wrote and reads the
    mission's other profiles: new rows meet earlier profiles, updated ones and each other."""
    sudan = missions["sudan"]
    assert (await import_bytes(session_factory, sudan, csv_bytes(
        HEADER, "DK-10,Huda Bakri,huda.bakri@example.org,1970,+31 6 5555 0001,",
        "DK-20,Rania Hamid,rania.hamid@example.org,1985,,"))).written
    assert (await import_bytes(session_factory, sudan, csv_bytes(
        HEADER, "DK-11,BAKRI Huda,huda.b@example.org,1970,,",
        "DK-12,Someone Else,someone.else.dk@example.org,1990,06 5555 0001,",
        "DK-20,Rania Hamid,rania.hamid@example.org,1985,+44 7700 900 555,",
        "DK-21,R. Hamid,r.hamid@example.org,1960,07700 900555,",
        "DK-13,Tarig Suliman,tarig.one@example.org,1977,,",
        "DK-14,Suliman Tarig,tarig.two@example.org,1977,,"))).written
    ids = {ref: (await profile(session_factory, sudan, ref)).id
           for ref in ("DK-10", "DK-11", "DK-12", "DK-13", "DK-14", "DK-20", "DK-21")}
    found = {(frozenset((p.profile_id, p.other_id)), p.reason) for ref in ids
             for p in await pairs(session_factory, sudan, ids[ref])}
    assert found == {(frozenset((ids["DK-10"], ids["DK-11"])), "name_birth_year"),
                     (frozenset((ids["DK-10"], ids["DK-12"])), "phone"),
                     (frozenset((ids["DK-20"], ids["DK-21"])), "phone"),
                     (frozenset((ids["DK-13"], ids["DK-14"])), "name_birth_year")}


async def test_a_pair_that_meets_both_ways_is_flagged_once_and_a_crowd_not_at_all(
        session_factory, missions):
    """The same name, birth year and phone: one pair, for the name. Six profiles behind one
    switchboard number are no one's duplicates (MAX_GROUP)."""
    sudan = missions["sudan"]
    rows = ["DB-1,Samira Elnour,samira.one@example.org,1975,+249 911 000 111,",
            "DB-2,ELNOUR Samira,samira.two@example.org,1975,0911 000 111,"]
    rows += [f"DB-{k},Person {chr(64 + k)} Number{k},p{k}.db@example.org,19{60 + k},"
             f"+249 183 000 000," for k in range(3, 9)]
    assert (await import_bytes(session_factory, sudan, csv_bytes(HEADER, *rows))).written
    ids = {ref: (await profile(session_factory, sudan, ref)).id
           for ref in [f"DB-{k}" for k in range(1, 9)]}
    found = [p for ref in ids for p in await pairs(session_factory, sudan, ids[ref])]
    assert {(frozenset((p.profile_id, p.other_id)), p.reason) for p in found} == {
        (frozenset((ids["DB-1"], ids["DB-2"])), "name_birth_year")}


async def test_registering_again_under_another_address_is_flagged_by_phone(
        client, session_factory, missions, signed_in_as):
    sudan = missions["sudan"]
    _, earlier = await complete_profile(session_factory, sudan, name="Yousif Ahmed")
    with tenant_scope(sudan):
        async with session_factory() as db:
            (await db.get(ExpertProfile, earlier.id)).phone = "+249 912 777 001"
            await db.commit()
    await signed_in_as("expert")
    token = await csrf_token(client, "/sudan/me/profile/personal")
    saved = await client.post("/sudan/me/profile/personal", data={
        "_csrf_token": token, "full_name": "Y. Ahmed", "nationality": "SD",
        "residence_country": "NL", "phone": "0912 777 001"}, follow_redirects=False)
    assert saved.status_code in (200, 303)
    found = await pairs(session_factory, sudan, earlier.id)
    assert [p.reason for p in found] == ["phone"]


async def test_staff_see_the_pair_side_by_side_and_dismiss_it(client, session_factory,
                                                              missions, signed_in_as):
    sudan = missions["sudan"]
    await import_bytes(session_factory, sudan, csv_bytes(
        HEADER, "DI-1,Fatima Idris,fatima.one@example.org,1985,+44 7700 111222,Hydrology",
        "DI-2,Fatma Idriss,fatima.two@example.org,1970,07700 111222,Hydrology"))
    one = await profile(session_factory, sudan, "DI-1")
    pair = (await pairs(session_factory, sudan, one.id))[0]
    assert pair.reason == "phone"
    await signed_in_as("staff")
    listing = await client.get("/sudan/experts/duplicates")
    assert listing.status_code == 200
    rows = table_rows(listing.text, f"section[aria-labelledby='pair-{pair.id}'] table")
    assert ["Name", "Fatima Idris", "Fatma Idriss"] in rows
    assert ["Email", "fatima.one@example.org", "fatima.two@example.org"] in rows
    assert ["Year of birth", "1985", "1970"] in rows

    assert (await post(client, f"/sudan/experts/duplicates/{pair.id}/dismiss")).status_code \
        == 303
    assert (await pairs(session_factory, sudan, one.id))[0].status == "dismissed"
    again = await post(client, f"/sudan/experts/duplicates/{pair.id}/dismiss")
    assert again.status_code == 409  # decided once
    with tenant_scope(sudan):
        async with session_factory() as db:
            # Flagging again (another import, another save) does not bring it back.
            assert await flag_likely_duplicates(db, sudan, [one.id]) == 0
            await db.commit()
            actions = list(await db.scalars(select(AuditEvent.action).where(
                AuditEvent.object_id == str(pair.id))))
    assert actions == ["expert_duplicate.dismissed"]
    assert f"pair-{pair.id}" not in (await client.get("/sudan/experts/duplicates")).text


async def test_a_merge_keeps_one_profile_and_archives_the_other(client, session_factory,
                                                                missions, signed_in_as):
    sudan = missions["sudan"]
    _, kept = await complete_profile(session_factory, sudan, name="Hamid Salih",
                                     skill_code="teacher_training")
    _, gone = await complete_profile(session_factory, sudan, name="Hamid Salih",
                                     skill_code="hydrology")
    both_request = None
    with tenant_scope(sudan):
        async with session_factory() as db:
            for p in (kept, gone):
                (await db.get(ExpertProfile, p.id)).birth_year = 1977
            await db.commit()
        async with session_factory() as db:
            only_gone = await an_open_assignment_request(db, sudan)
            both_request = await an_open_assignment_request(db, sudan)
        async with session_factory() as db:
            db.add_all([ShortlistEntry(tenant_id=sudan.id, request_id=only_gone,
                                       profile_id=gone.id, status="proposed", explanation={}),
                        ShortlistEntry(tenant_id=sudan.id, request_id=both_request,
                                       profile_id=gone.id, status="proposed", explanation={}),
                        ShortlistEntry(tenant_id=sudan.id, request_id=both_request,
                                       profile_id=kept.id, status="proposed", explanation={})])
            assert await flag_likely_duplicates(db, sudan, [gone.id]) == 1
            await db.commit()
    pair = (await pairs(session_factory, sudan, gone.id))[0]
    await signed_in_as("staff")
    url = f"/sudan/experts/duplicates/{pair.id}/merge"
    stranger = await post(client, url, {"keep": str(pair.id)})
    assert stranger.status_code == 400
    assert select_all(stranger.text, ".error-detail") == [
        "Choose which of the two profiles to keep."]
    assert (await post(client, url, {"keep": str(kept.id)})).status_code == 303

    with tenant_scope(sudan):
        async with session_factory() as db:
            archived = await db.get(ExpertProfile, gone.id)
            assert archived.duplicate_of_id == kept.id and archived.status == "inactive"
            skills = set(await db.scalars(select(Skill.code).join(
                ExpertSkill, ExpertSkill.skill_id == Skill.id).where(
                ExpertSkill.profile_id == kept.id)))
            assert skills == {"teacher_training", "hydrology"}
            assert await db.scalar(select(func.count()).select_from(ExpertDocument).where(
                ExpertDocument.profile_id == kept.id)) == 2
            assert list(await db.scalars(select(ShortlistEntry.profile_id).where(
                ShortlistEntry.request_id == only_gone))) == [kept.id]
            # Where both stood, the archived profile keeps its own entry.
            assert set(await db.scalars(select(ShortlistEntry.profile_id).where(
                ShortlistEntry.request_id == both_request))) == {kept.id, gone.id}
            assert (await db.get(ExpertDuplicate, pair.id)).status == "merged"
            merged = await db.scalar(select(AuditEvent).where(
                AuditEvent.action == "expert_profile.merged",
                AuditEvent.object_id == str(gone.id)))
    assert merged.after["moved"] == {"skills": 1, "documents": 1, "shortlist_entries": 1}
    assert merged.after["duplicate_of"] == str(kept.id)
    assert (await post(client, url, {"keep": str(kept.id)})).status_code == 409
