"""Imports every model so Base.metadata knows all tables (Alembic, tests)."""

from app.accounts.models import (Invitation, Membership, OneTimeToken, SignInFailure,  # noqa: F401
                                 User, UserSession)
from app.accounts.sso_models import IdentityProvider, SsoLoginState, UserIdentity  # noqa: F401
from app.api.models import ApiToken  # noqa: F401
from app.assignment_requests.models import (AssignmentRequest, RequestDocument,  # noqa: F401
                                            RequestLanguage, RequestSkill)
from app.audit.models import AuditEvent  # noqa: F401
from app.experts.models import (ConsentNotice, ExpertAvailability, ExpertConsent,  # noqa: F401
                                ExpertDocument, ExpertEducation, ExpertLanguage, ExpertNote,
                                ExpertProfile, ExpertSkill, ExpertWork, Skill)
from app.imports.models import ImportBatch  # noqa: F401
from app.institutions.models import HostInstitution  # noqa: F401
from app.search.models import SearchOutbox  # noqa: F401
from app.matching.models import Assignment, SavedSearch, ShortlistEntry  # noqa: F401
from app.notifications.models import OutboxMail  # noqa: F401
from app.partners.models import PartnerAgency  # noqa: F401
from tenants.models import Sector, Tenant  # noqa: F401
