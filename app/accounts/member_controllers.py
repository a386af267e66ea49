"""The mission's people (mission admins) and accepting an invitation (anyone with the link)."""

from __future__ import annotations

import uuid

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.accounts import invitations
from app.accounts.affiliations import host_institutions
from app.accounts.invitations import NewAccount
from app.accounts.services import TokenInvalid
from app.core.errors import FormErrors
from app.core.roles import INVITABLE_ROLES, MEMBERS_MANAGE, ROLES
from app.i18n import gettext as _
from app.partners.funding import list_funding_projects
from app.partners.services import list_partner_agencies
from app.web.deps import CurrentActor, CurrentTenant, Db, FormData
from app.web.flash import flash
from app.web.forms import text_form
from app.web.guards import requires
from app.web.links import public_base
from app.web.templating import page
from tenants.context import TenantContext


async def _members_page(request: Request, tenant: TenantContext, db, errors=None, form=None,
                        status_code: int = 200, projects_chosen: list[str] | None = None
                        ) -> Response:
    return page(request, "admin/members.html", status_code=status_code,
                members=await invitations.list_members(db, tenant),
                pending=await invitations.pending_invitations(db, tenant),
                partner_agencies=await list_partner_agencies(db, tenant),
                institutions=await host_institutions(db, tenant, status="approved"),
                project_options=[(str(p.id), f"{p.name} ({p.donor})")
                                 for p in await list_funding_projects(db, tenant)],
                invitable_roles=INVITABLE_ROLES, roles=ROLES,
                errors=errors or {}, form=form or {}, projects_chosen=projects_chosen or [])


def invitation_link(request: Request, tenant: TenantContext):
    base = public_base(request)
    return lambda token: f"{base}/{tenant.slug}/invitations/{token}"


@get("/admin/members", name="members", guards=[requires(MEMBERS_MANAGE)])
async def members(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    return await _members_page(request, tenant, db)


@post("/admin/members", name="invite_member", guards=[requires(MEMBERS_MANAGE)])
async def invite_member(request: Request, tenant: CurrentTenant, db: Db,
                        actor: CurrentActor) -> Response:
    form = await text_form(request)  # a donor viewer's projects are several values
    data = {key: form.get(key) for key in form.keys()}
    projects = form.getall("funding_project_ids", [])
    try:
        invitation = await invitations.invite(
            db, tenant, actor, data.get("email", ""), data.get("role", ""),
            data.get("partner_agency_id"), invitation_link(request, tenant),
            host_institution_id=data.get("host_institution_id"),
            funding_project_ids=projects)
    except FormErrors as exc:
        await db.rollback()
        return await _members_page(request, tenant, db, exc.errors, data, status_code=400,
                                   projects_chosen=projects)
    return flash(request, Redirect(f"/{tenant.slug}/admin/members", status_code=303), "success",
                 _("Invitation sent to %(email)s.") % {"email": invitation.email})


async def _membership_or_404(db, tenant, membership_id):
    membership = await invitations.get_membership(db, tenant, membership_id)
    if membership is None:
        raise NotFoundException()
    return membership


@post("/admin/members/{membership_id:uuid}/role", name="change_member_role",
      guards=[requires(MEMBERS_MANAGE)])
async def change_member_role(request: Request, tenant: CurrentTenant, db: Db,
                             actor: CurrentActor, membership_id: FromPath[uuid.UUID],
                             data: FormData) -> Response:
    membership = await _membership_or_404(db, tenant, membership_id)
    try:
        await invitations.change_role(db, tenant, actor, membership, data.get("role", ""))
    except FormErrors as exc:
        await db.rollback()
        return await _members_page(request, tenant, db, exc.errors, status_code=400)
    return flash(request, Redirect(f"/{tenant.slug}/admin/members", status_code=303), "success",
                 _("Role changed."))


@post("/admin/members/{membership_id:uuid}/revoke", name="revoke_member",
      guards=[requires(MEMBERS_MANAGE)])
async def revoke_member(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                        membership_id: FromPath[uuid.UUID]) -> Response:
    membership = await _membership_or_404(db, tenant, membership_id)
    try:
        await invitations.revoke_membership(db, tenant, actor, membership)
    except FormErrors as exc:
        await db.rollback()
        return await _members_page(request, tenant, db, exc.errors, status_code=400)
    return flash(request, Redirect(f"/{tenant.slug}/admin/members", status_code=303), "success",
                 _("Access removed."))


@post("/admin/invitations/{invitation_id:uuid}/revoke", name="revoke_invitation",
      guards=[requires(MEMBERS_MANAGE)])
async def revoke_invitation(request: Request, tenant: CurrentTenant, db: Db,
                            actor: CurrentActor, invitation_id: FromPath[uuid.UUID]) -> Response:
    if not await invitations.revoke_invitation(db, tenant, actor, invitation_id):
        raise NotFoundException()
    return flash(request, Redirect(f"/{tenant.slug}/admin/members", status_code=303), "success",
                 _("Invitation withdrawn."))


@get("/invitations/{token:str}", name="invitation")
async def invitation(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                     token: FromPath[str]) -> Response:
    try:
        pending = await invitations.open_invitation(db, tenant, token)
    except TokenInvalid as exc:
        return page(request, "accounts/invitation_problem.html", status_code=exc.status,
                    message=exc.message)
    return page(request, "accounts/invitation.html", invitation=pending, token=token, errors={},
                form={})


@post("/invitations/{token:str}", name="accept_invitation")
async def accept_invitation(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                            token: FromPath[str], data: FormData) -> Response:
    account = NewAccount(name=data.get("name", ""), password=data.get("password", ""),
                         password_confirm=data.get("password_confirm", ""))
    try:
        await invitations.accept_invitation(db, tenant, token, actor, account)
    except TokenInvalid as exc:
        return page(request, "accounts/invitation_problem.html", status_code=exc.status,
                    message=exc.message)
    except FormErrors as exc:
        await db.rollback()
        pending = await invitations.open_invitation(db, tenant, token)
        return page(request, "accounts/invitation.html", status_code=400, invitation=pending,
                    token=token, errors=exc.errors, form=data)
    target = f"/{tenant.slug}/" if actor.signed_in else f"/{tenant.slug}/sign-in"
    return flash(request, Redirect(target, status_code=303), "success",
                 _("Welcome to the mission. Your access is ready.") if actor.signed_in
                 else _("Your account is ready. Sign in with your new password."))


MEMBER_ROUTES = [members, invite_member, change_member_role, revoke_member, revoke_invitation,
                 invitation, accept_invitation]
