"""Every domain, imported once, for what it registers with the layers below it:
its tables (Base.metadata, for Alembic and the schema tests), its provisioning steps
(tenants/provisioning.py), the search outbox's session hook (app/db/session.py's
TenantSession), the label functions templates and mail use (app/core/templates.py) and
the hooks through which an earlier domain reaches a later one (the host institutions a
membership names, the parts of an institution's page).

The entry points import this module before they open a database: app/main.py, app/cli.py,
migrations/env.py and the tests. Lower layers never import the domains themselves.
"""

import app.accounts.models
import app.accounts.partner_links
import app.accounts.sso_models
import app.api.models
import app.assignment_requests.labels
import app.assignment_requests.models
import app.assignment_requests.services
import app.assignments.availability
import app.assignments.labels
import app.assignments.models
import app.assignments.services
import app.audit.models
import app.experts.models
import app.experts.provisioning
import app.imports.models
import app.institutions.models
import app.institutions.services
import app.matching.models
import app.notifications.models
import app.partners.labels
import app.partners.models
import app.partners.provisioning
import app.search.models
import app.search.outbox
import app.trainings.labels
import app.trainings.models
import app.trainings.provisioning
import tenants.models  # noqa: F401
