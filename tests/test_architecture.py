"""The structure holds: imports point down the layers of docs/architecture.md (the
import-linter contracts in pyproject.toml), and the lower layers know nothing of the
domains, which reach them only through the hooks they register (app/domains.py)."""

from __future__ import annotations

import os

from importlinter.cli import lint_imports

from app.config import PROJECT_ROOT


def test_imports_point_down_the_layers(capsys):
    os.chdir(PROJECT_ROOT)  # import-linter reads pyproject.toml from the working directory
    status = lint_imports(config_filename=str(PROJECT_ROOT / "pyproject.toml"), no_cache=True,
                          no_logo=True)
    assert status == 0, capsys.readouterr().out


def test_every_domain_registration_is_in_place():
    """What the domains register with the lower layers is there once app.domains is imported
    (the entry points and the tests import it): provisioning steps for every section of a
    mission file, the host institution lookup, the search outbox's hook."""
    from sqlalchemy import event

    import app.domains  # noqa: F401
    from app.accounts import affiliations
    from app.db.session import TenantSession
    from app.search.outbox import track_indexed_changes
    from tenants import provisioning

    assert provisioning._unowned_sections(provisioning.load_mission(
        provisioning.mission_files()[0])) == []
    assert affiliations._lookup is not None
    assert event.contains(TenantSession, "before_flush", track_indexed_changes)
