"""A cascade's reach on the training of trainers' page (issue 15): the tree below it, the
people reached per level and in total, as participations and as unique persons (listed
participants matched on name, sex and institution; counted ones each a person); a partner
user sees only their agency's part of it."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update

from app.trainings.cascades import count_persons, identity
from app.trainings.models import Training, TrainingParticipant
from tenants.context import tenant_scope
from tests.html import select_all, table_rows
from tests.training_helpers import a_new_agency, a_training

pytestmark = pytest.mark.usefixtures("in_english")


def test_identity_ignores_case_accents_and_spaces():
    assert identity(" Fátima  Amade", "female", "Ministério do Interior") == \
        identity("fatima amade", "female", "MINISTERIO DO INTERIOR ")
    assert identity("Fátima Amade", "female", "X") != identity("Fátima Amade", "male", "X")
    assert identity("", "female", "X") is None


names = st.sampled_from(["", "Amal", "amal", "Omer", "Samia"])
groups = st.lists(st.lists(st.tuples(names, st.sampled_from(["female", "male"])), max_size=6),
                  max_size=5)


@given(groups, st.lists(st.integers(0, 50), max_size=3))
def test_persons_never_exceed_participations(listed_groups, counted):
    as_groups = [(len(g), [identity(name, sex, "UNHCR") for name, sex in g])
                 for g in listed_groups] + [(n, []) for n in counted]
    participations = sum(total for total, _ids in as_groups)
    persons = count_persons(as_groups)
    named = {identity(name, sex, "UNHCR") for g in listed_groups for name, sex in g if name}
    unnamed = sum(1 for g in listed_groups for name, _sex in g if not name)
    assert persons == len(named) + unnamed + sum(counted) <= participations


async def _list(session_factory, tenant, training_id, people: list[tuple[str, str]]) -> None:
    with tenant_scope(tenant):
        async with session_factory() as db:
            for position, (name, sex) in enumerate(people):
                db.add(TrainingParticipant(
                    tenant_id=tenant.id, training_id=training_id, position=position,
                    name=name, sex=sex, age_group="25_34", institution="Ministry of Interior",
                    consent=bool(name)))
            await db.execute(update(Training).where(Training.id == training_id).values(
                participant_mode="individual",
                female=sum(1 for _n, s in people if s == "female"),
                male=sum(1 for _n, s in people if s == "male")))
            await db.commit()


async def test_the_tot_page_shows_the_cascade_and_its_reach(client, missions, session_factory,
                                                            signed_in_as):
    sudan = missions["sudan"]
    async with session_factory() as db:
        agency = await a_new_agency(db, sudan)
        other_agency = await a_new_agency(db, sudan)
        tot = await a_training(db, sudan, agency, kind="training_of_trainers", title="ToT")
        first = await a_training(db, sudan, agency, kind="cascade", parent_id=tot,
                                 title="First cascade", female=6, male=4)
        second = await a_training(db, sudan, agency, kind="cascade", parent_id=tot,
                                  title="Second cascade")
        third = await a_training(db, sudan, agency, kind="cascade", parent_id=second,
                                 title="Third level")
        # Below a cascade, another agency's session: staff see it, the partner user not.
        await a_training(db, sudan, other_agency, kind="cascade", parent_id=first,
                         title="Other agency's session", female=2, male=1)
        await a_training(db, sudan, agency, title="Unrelated training", female=50)
    # The ToT's trainers, listed; two of them attend the second cascade and one the third.
    await _list(session_factory, sudan, tot, [("Samia Hassan", "female"),
                                              ("Khalid Babiker", "male"), ("", "female")])
    await _list(session_factory, sudan, second, [("samia  hassan", "female"),
                                                 ("Khalid Babiker", "male"),
                                                 ("Amani Yousif", "female"), ("", "male")])
    await _list(session_factory, sudan, third, [("Amani Yousif", "female"),
                                                ("Ibrahim Adam", "male")])

    await signed_in_as("staff")
    page = (await client.get(f"/sudan/trainings/{tot}")).text
    top = select_all(page, "#cascade > ul > li > a")
    assert top == ["First cascade", "Second cascade"]
    assert select_all(page, "#cascade > ul > li > ul > li > a") == [
        "Other agency's session", "Third level"]
    assert "Unrelated training" not in page
    rows = table_rows(page, "#reach")
    # Level 0: 3 listed. Level 1: 10 counted + 4 listed + 3 counted (another agency's,
    # below the first cascade, is level 2).
    assert rows == [["This training", "1", "3", "3"], ["Level 1 below", "2", "14", "14"],
                    ["Level 2 below", "2", "5", "5"]]
    # In total: Samia and Khalid once (ToT and second), Amani once (second and third).
    total = select_all(page, "#reach tfoot td")
    assert total == ["5", "22", str(22 - 3)]

    # The partner user of the agency: the other agency's session is not part of their tree.
    await signed_in_as("partner_user", partner_agency_id=agency)
    page = (await client.get(f"/sudan/trainings/{tot}")).text
    assert "Other agency" not in page
    assert select_all(page, "#reach tfoot td") == ["4", "19", "16"]


async def test_a_training_with_nothing_below_shows_no_cascade(client, missions,
                                                              session_factory, officer):
    async with session_factory() as db:
        tot = await a_training(db, missions["sudan"], kind="training_of_trainers",
                               title=f"Lonely ToT {uuid.uuid4().hex[:6]}")
    page = (await client.get(f"/sudan/trainings/{tot}")).text
    assert not select_all(page, "#cascade")
