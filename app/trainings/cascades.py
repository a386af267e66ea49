"""A cascade's reach: everything below a training of trainers (its cascade sessions, their
own cascades, ...) with the people reached per level and in total.

Two figures each time: participations (every participant of every activity) and unique
persons (someone trained twice in the cascade counts once). Participants listed one by one
with a name are matched on their identity fields — name, sex and institution, compared
without case, accents or extra spaces; participants without a name, and those of
activities that count their participants, cannot be matched and each count as a person."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass, field

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.trainings.models import Training, TrainingParticipant
from app.trainings.services import STAFF, TrainingView
from tenants.context import TenantContext

MAX_DEPTH = 20   # levels below the root; loops are refused when a parent is chosen

Identity = tuple[str, str, str]


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c))
                    .casefold().split())


def identity(name: str, sex: str, institution: str) -> Identity | None:
    """What matches a listed participant across activities (None: cannot be matched)."""
    return (_plain(name), sex, _plain(institution)) if name.strip() else None


@dataclass
class Level:
    level: int
    activities: int = 0
    participations: int = 0
    persons: int = 0


@dataclass
class Node:
    training: Training
    level: int
    children: list[Node] = field(default_factory=list)


@dataclass
class Reach:
    root: Node
    levels: list[Level]
    total: Level


def count_persons(groups: list[tuple[int, list[Identity | None]]]) -> int:
    """Persons among activities given as (their total, identities of their listed
    participants): identified people once, everyone else each."""
    seen: set[Identity] = set()
    persons = 0
    for total, identities in groups:
        known = [i for i in identities if i is not None]
        seen.update(known)
        persons += total - len(known)
    return persons + len(seen)


def reach(trainings: list[tuple[Training, int]],
          listed: dict[uuid.UUID, list[Identity | None]]) -> tuple[list[Level], Level]:
    """Per level and in total, from (training, level) pairs and the identities of the
    participants of the trainings that list them."""
    by_level: dict[int, list[Training]] = {}
    for training, level in trainings:
        by_level.setdefault(level, []).append(training)

    def figures(level: int, members: list[Training]) -> Level:
        return Level(level, len(members), sum(t.total for t in members),
                     count_persons([(t.total, listed.get(t.id, [])) for t in members]))

    levels = [figures(level, by_level[level]) for level in sorted(by_level)]
    return levels, figures(-1, [t for t, _level in trainings])


async def cascade_tree(db: AsyncSession, tenant: TenantContext,
                       view: TrainingView) -> Reach | None:
    """The tree below the training as far as the actor sees (a partner user: their
    agency's), or None when nothing hangs below it."""
    tree = (select(Training.id.label("id"), literal(0).label("level"))
            .where(Training.tenant_id == tenant.id, Training.id == view.training.id)
            .cte("tree", recursive=True))
    below = select(Training.id, (tree.c.level + 1).label("level")).join(
        tree, Training.parent_id == tree.c.id).where(Training.tenant_id == tenant.id,
                                                     tree.c.level < MAX_DEPTH)
    if view.who != STAFF:
        below = below.where(Training.partner_agency_id == view.training.partner_agency_id)
    tree = tree.union_all(below)
    rows = (await db.execute(select(Training, tree.c.level).join(tree, tree.c.id == Training.id)
                             .order_by(tree.c.level, Training.start_date,
                                       Training.title))).all()
    if len(rows) < 2:
        return None
    listed: dict[uuid.UUID, list[Identity | None]] = {}
    people = await db.execute(
        select(TrainingParticipant.training_id, TrainingParticipant.name,
               TrainingParticipant.sex, TrainingParticipant.institution)
        .where(TrainingParticipant.tenant_id == tenant.id,
               TrainingParticipant.training_id.in_([t.id for t, _level in rows
                                                    if t.participant_mode == "individual"])))
    for training_id, name, sex, institution in people:
        listed.setdefault(training_id, []).append(identity(name, sex, institution))
    nodes = {t.id: Node(t, level) for t, level in rows}
    for node in nodes.values():
        parent = nodes.get(node.training.parent_id) if node.level else None
        if parent is not None:
            parent.children.append(node)
    levels, total = reach([(t, level) for t, level in rows], listed)
    return Reach(nodes[view.training.id], levels, total)
