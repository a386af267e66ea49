"""Invitations and the mission's people: mission admins invite staff, institution focal
points, partner users and donor viewers by email into a role; the invitee accepts with a
password (or by signing in to an account they already have)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.affiliations import HostInstitutionRef, host_institution, host_institutions
from app.accounts.donors import DONOR, chosen_projects, projects_by_membership, set_donor_projects
from app.accounts.models import Invitation, Membership, User
from app.accounts.passwords import hash_password, password_problem
from app.accounts.services import (
    TokenInvalid,
    email_problem,
    get_user,
    membership_of,
    normalise_email,
    user_by_email,
)
from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FormErrors
from app.core.locks import lock_until_commit
from app.core.roles import INVITABLE_ROLES, ROLES
from app.core.tokens import hash_token, new_token
from app.i18n import gettext as _
from app.notifications.services import queue_mail
from app.partners.models import FundingProject, PartnerAgency
from tenants.context import TenantContext

INVITATION_LIFETIME = timedelta(days=7)


def _uuid(raw: str | uuid.UUID | None) -> uuid.UUID | None:
    if not raw or isinstance(raw, uuid.UUID):
        return raw or None
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


async def _of_mission(db: AsyncSession, tenant: TenantContext, model,
                      raw_id: str | uuid.UUID | None):
    """The mission's partner agency with this id, or None."""
    object_id = _uuid(raw_id)
    if object_id is None:
        return None
    return await db.scalar(select(model).where(model.tenant_id == tenant.id,
                                               model.id == object_id))


async def invite(db: AsyncSession, tenant: TenantContext, actor: Actor, email: str, role: str,
                 partner_agency_id: str | None, link,
                 host_institution_id: str | uuid.UUID | None = None,
                 funding_project_ids: list[str] | None = None) -> Invitation:
    """Create an invitation (replacing any pending one for the same address) and mail it.
    Partner agency users come with their agency, focal points with their institution, donor
    viewers with the funding projects they may see."""
    email = normalise_email(email)
    errors: dict[str, str] = {}
    if problem := email_problem(email):
        errors["email"] = problem
    if role not in INVITABLE_ROLES:
        errors["role"] = _("Choose one of the roles listed.")
    partner = await _of_mission(db, tenant, PartnerAgency, partner_agency_id)
    if role == "partner_user" and partner is None:
        errors["partner_agency_id"] = _("Choose the partner agency this person works for.")
    institution = await host_institution(db, tenant, _uuid(host_institution_id))
    if role == "institution_focal_point":
        if institution is None:
            errors["host_institution_id"] = _("Choose the host institution this person works for.")
        elif institution.status != "approved":
            errors["host_institution_id"] = _("Approve the institution before inviting its "
                                              "focal points.")
    projects = await chosen_projects(db, tenant, funding_project_ids or [], errors) \
        if role == DONOR else []
    if not errors:
        existing = await user_by_email(db, email)
        if existing and await membership_of(db, tenant, existing.id):
            errors["email"] = _("This person is already a member of the mission. "
                                "Change their role in the list below instead.")
    if errors:
        raise FormErrors(errors)

    await db.execute(update(Invitation).where(
        Invitation.tenant_id == tenant.id, Invitation.email == email,
        Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=now()))
    token, digest = new_token()
    invitation = Invitation(tenant_id=tenant.id, email=email, role=role,
                            partner_agency_id=partner.id if partner and role == "partner_user"
                            else None,
                            host_institution_id=institution.id
                            if institution and role == "institution_focal_point" else None,
                            funding_project_ids=projects, token_hash=digest,
                            invited_by_id=actor.user_id,
                            expires_at=now() + INVITATION_LIFETIME)
    db.add(invitation)
    await db.flush()
    queue_mail(db, tenant, email, "invitation", tenant.default_locale,
               inviter=actor.name or actor.email, role=role, link=link(token))
    record(db, tenant.id, actor, "invitation.created", "invitation", invitation.id,
           after={"email": email, "role": role,
                  "partner_agency": partner.short_name or partner.name if partner else None,
                  "host_institution": institution.name
                  if institution and role == "institution_focal_point" else None,
                  "funding_projects": [str(p) for p in projects]})
    await db.commit()
    return invitation


async def open_invitation(db: AsyncSession, tenant: TenantContext, token: str) -> Invitation:
    """The pending invitation behind a link, or TokenInvalid saying why it cannot be used.
    Another mission's link is simply unknown here (row-level security hides it)."""
    invitation = await db.scalar(select(Invitation).where(
        Invitation.tenant_id == tenant.id, Invitation.token_hash == hash_token(token))
        .with_for_update())
    if invitation is None:
        raise TokenInvalid(_("This invitation link is not valid for this mission."), status=404)
    if invitation.accepted_at is not None:
        raise TokenInvalid(_("This invitation has already been accepted. Sign in instead."))
    if invitation.revoked_at is not None:
        raise TokenInvalid(_("This invitation was withdrawn. Ask the mission for a new one."))
    if invitation.expires_at <= now():
        raise TokenInvalid(_("This invitation has expired. Ask the mission for a new one."))
    return invitation


@dataclass
class NewAccount:
    name: str
    password: str
    password_confirm: str


async def accept_invitation(db: AsyncSession, tenant: TenantContext, token: str, actor: Actor,
                            account: NewAccount | None) -> User:
    """Signed in as the invited address: join. Otherwise a new account is created from the
    form (an existing account must sign in first, so nobody takes it over by invitation)."""
    invitation = await open_invitation(db, tenant, token)
    if actor.signed_in:
        if actor.email != invitation.email:
            raise TokenInvalid(_("This invitation is for %(email)s. Sign out and open the link "
                                 "again, or sign in with that address.") % {"email": invitation.email})
        signed_in = await get_user(db, actor.user_id)
        assert signed_in is not None  # a signed-in actor's account exists
        user = signed_in
    else:
        if await user_by_email(db, invitation.email):
            raise TokenInvalid(_("You already have an account. Sign in, then open the link again."))
        assert account is not None
        errors = {}
        if not account.name.strip():
            errors["name"] = _("Enter your full name.")
        elif len(account.name) > 200:
            errors["name"] = _("Use at most %(n)s characters.") % {"n": 200}
        if problem := password_problem(account.password, invitation.email, account.name):
            errors["password"] = problem
        elif account.password != account.password_confirm:
            errors["password_confirm"] = _("The two passwords are not the same.")
        if errors:
            raise FormErrors(errors)
        # The link arrived by mail, so the address is proven.
        user = User(email=invitation.email, name=account.name.strip(),
                    preferred_locale=tenant.default_locale,
                    password_hash=hash_password(account.password), status="active",
                    email_verified_at=now())
        db.add(user)
        await db.flush()

    # A person whose membership was revoked earlier comes back on the same row.
    membership = await db.scalar(select(Membership).where(
        Membership.tenant_id == tenant.id, Membership.user_id == user.id))
    if membership is None:
        membership = Membership(tenant_id=tenant.id, user_id=user.id)
        db.add(membership)
    membership.role, membership.status = invitation.role, "active"
    membership.partner_agency_id = invitation.partner_agency_id
    membership.host_institution_id = invitation.host_institution_id
    await set_donor_projects(db, tenant, membership, invitation.funding_project_ids)
    invitation.accepted_at = now()
    acting = Actor(user_id=user.id, email=user.email, name=user.name, ip=actor.ip)
    record(db, tenant.id, acting, "invitation.accepted", "invitation", invitation.id,
           after={"role": invitation.role})
    await db.commit()
    return user


@dataclass
class MemberRow:
    membership: Membership
    user: User
    partner: PartnerAgency | None
    institution: HostInstitutionRef | None
    projects: list[FundingProject]  # a donor viewer's


async def list_members(db: AsyncSession, tenant: TenantContext,
                       institution_id: uuid.UUID | None = None) -> list[MemberRow]:
    """The mission's people other than experts (or one institution's focal points)."""
    query = (select(Membership, User, PartnerAgency)
             .join(User, User.id == Membership.user_id)
             .outerjoin(PartnerAgency, PartnerAgency.id == Membership.partner_agency_id)
             .where(Membership.tenant_id == tenant.id, Membership.status == "active",
                    Membership.role != "expert"))
    if institution_id is not None:
        query = query.where(Membership.host_institution_id == institution_id,
                            Membership.role == "institution_focal_point")
    rows = (await db.execute(query.order_by(Membership.role, User.name))).all()
    linked = {m.host_institution_id for m, _u, _p in rows if m.host_institution_id}
    institutions = {i.id: i for i in await host_institutions(db, tenant, linked)} \
        if linked else {}
    projects = await projects_by_membership(db, tenant,
                                            (m.id for m, _u, _p in rows if m.role == DONOR))
    return [MemberRow(m, u, p, institutions.get(m.host_institution_id)
                      if m.host_institution_id else None, projects.get(m.id, []))
            for m, u, p in rows]


async def pending_invitations(db: AsyncSession, tenant: TenantContext) -> list[Invitation]:
    return list(await db.scalars(select(Invitation).where(
        Invitation.tenant_id == tenant.id, Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None), Invitation.expires_at > now())
        .order_by(Invitation.created_at.desc())))


async def get_membership(db: AsyncSession, tenant: TenantContext,
                         membership_id: uuid.UUID) -> Membership | None:
    return await db.scalar(select(Membership).where(
        Membership.tenant_id == tenant.id, Membership.id == membership_id,
        Membership.status == "active"))


async def _is_last_admin(db: AsyncSession, tenant: TenantContext, membership: Membership) -> bool:
    if membership.role != "mission_admin":
        return False
    # Two admins removing each other at once: the second waits and sees the first's change.
    await lock_until_commit(db, f"mission-admins:{tenant.id}")
    admins = await db.scalar(select(func.count()).select_from(Membership).where(
        Membership.tenant_id == tenant.id, Membership.role == "mission_admin",
        Membership.status == "active")) or 0
    return admins <= 1


async def change_role(db: AsyncSession, tenant: TenantContext, actor: Actor,
                      membership: Membership, role: str) -> None:
    if role not in ROLES:
        raise FormErrors({"role": _("Choose one of the roles listed.")})
    if role == "partner_user" and membership.partner_agency_id is None:
        raise FormErrors({"role": _("Partner agency users are invited with their partner "
                                    "agency: send an invitation instead.")})
    if role == "institution_focal_point" and membership.host_institution_id is None:
        raise FormErrors({"role": _("Focal points are invited with their institution: send "
                                    "an invitation instead.")})
    if role == DONOR and membership.role != DONOR:
        raise FormErrors({"role": _("Donor viewers are invited with their funding projects: "
                                    "send an invitation instead.")})
    if membership.role == "partner_user" and membership.partner_agency_id is not None \
            and role != "partner_user":
        # Another role would drop the link to their agency without a word (issue 18).
        raise FormErrors({"role": _("This person belongs to a partner agency: another role "
                                    "would drop that link. Revoke the membership and send an "
                                    "invitation in the new role instead.")})
    if role != "mission_admin" and await _is_last_admin(db, tenant, membership):
        raise FormErrors({"role": _("The mission needs at least one administrator.")})
    before = {"role": membership.role,
              "partner_agency_id": str(membership.partner_agency_id or ""),
              "host_institution_id": str(membership.host_institution_id or "")}
    membership.role = role
    if role != "partner_user":
        membership.partner_agency_id = None
    if role != "institution_focal_point":
        membership.host_institution_id = None
    if role != DONOR:  # the projects go with the role
        await set_donor_projects(db, tenant, membership, [])
    record(db, tenant.id, actor, "membership.role_changed", "membership", membership.id,
           before=before, after={"role": role,
                                 "partner_agency_id": str(membership.partner_agency_id or ""),
                                 "host_institution_id": str(membership.host_institution_id or "")})
    await db.commit()


async def revoke_membership(db: AsyncSession, tenant: TenantContext, actor: Actor,
                            membership: Membership) -> None:
    if await _is_last_admin(db, tenant, membership):
        raise FormErrors({"role": _("The mission needs at least one administrator.")})
    membership.status = "revoked"
    record(db, tenant.id, actor, "membership.revoked", "membership", membership.id,
           before={"role": membership.role})
    await db.commit()


async def revoke_invitation(db: AsyncSession, tenant: TenantContext, actor: Actor,
                            invitation_id: uuid.UUID) -> bool:
    invitation = await db.scalar(select(Invitation).where(
        Invitation.tenant_id == tenant.id, Invitation.id == invitation_id,
        Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None)))
    if invitation is None:
        return False
    invitation.revoked_at = now()
    record(db, tenant.id, actor, "invitation.revoked", "invitation", invitation.id,
           before={"email": invitation.email, "role": invitation.role})
    await db.commit()
    return True
