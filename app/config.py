"""Settings, read once from the environment. Every variable is documented in README.md."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    # Where PostgreSQL is. Empty: the embedded server (pgserver) with its data under var_dir.
    database_url: str = ""
    # The portal's own database and the two roles it creates in it: the owner runs
    # migrations, the runtime role (no superuser, no BYPASSRLS, owns nothing) serves requests.
    database_name: str = "diaspora_bridge"
    database_owner_role: str = "portal_owner"
    database_owner_password: str = ""
    database_app_role: str = "portal_app"
    database_app_password: str = ""
    var_dir: Path = field(default=PROJECT_ROOT / "var")
    host: str = "127.0.0.1"
    port: int = 8000
    # How many web processes `portal run` starts on that port (one job worker beside them).
    web_workers: int = 1
    # Local development: no Secure flag on cookies, mail to files. Off in production.
    debug: bool = False
    secret_key: str = ""
    # Public address used in links sent by mail; empty: the address the request came to,
    # which is safe only because requests for any host but allowed_hosts are refused.
    base_url: str = ""
    allowed_hosts: tuple[str, ...] = ()
    # Reverse proxies (addresses or networks, e.g. 10.0.0.5 or 10.0.0.0/24) whose
    # X-Forwarded-For is believed; empty (the default): the header is ignored and the
    # client is the connection's address.
    trusted_proxies: tuple[str, ...] = ()
    # Single sign-on: hosts whose provider may be fetched over plain http or on a private
    # address, honoured in debug mode only (a provider run on this machine for tests).
    sso_test_hosts: tuple[str, ...] = ()
    # smtp://user:password@host:587 or smtps://...; empty: mail goes to var/mail/*.eml.
    smtp_url: str = ""
    mail_from: str = "Diaspora Bridge <no-reply@diaspora-bridge.local>"
    # Uploaded files (CVs); empty: var/documents. Outside the web root either way.
    documents_root: str = ""
    max_upload_mb: int = 5
    # The most rows one import file may hold (a 100,000-expert roster fits).
    import_max_rows: int = 100_000
    session_idle_minutes: int = 120
    session_max_hours: int = 12
    # Search: "embedded" (Tantivy, files under search_root or var/search) or "meilisearch".
    search_backend: str = "embedded"
    search_root: str = ""
    meili_url: str = ""
    meili_key: str = ""
    meili_index_prefix: str = ""

    @property
    def embedded_database(self) -> bool:
        return not self.database_url

    @property
    def pg_data_dir(self) -> Path:
        return self.var_dir / "pgdata"

    @property
    def hosts(self) -> list[str]:
        """Host names links in mail may be built from when PORTAL_BASE_URL is not set
        (app.web.links): PORTAL_ALLOWED_HOSTS, else this machine's loopback names."""
        if self.allowed_hosts:
            return list(self.allowed_hosts)
        return ["127.0.0.1", "localhost", "::1", self.host]

    @property
    def links_base(self) -> str:
        """Where links in mail point when no request gives the address (the command line,
        jobs): PORTAL_BASE_URL, else where `portal run` listens."""
        return self.base_url or f"http://{self.host}:{self.port}"

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    @property
    def documents_dir(self) -> Path:
        return Path(self.documents_root) if self.documents_root else self.var_dir / "documents"

    @property
    def search_dir(self) -> Path:
        return Path(self.search_root) if self.search_root else self.var_dir / "search"


def load_settings() -> Settings:
    env = os.environ
    var_dir = Path(env.get("PORTAL_VAR_DIR") or PROJECT_ROOT / "var")
    return Settings(
        database_url=env.get("DATABASE_URL", ""),
        database_name=env.get("DATABASE_NAME") or "diaspora_bridge",
        database_owner_role=env.get("DATABASE_OWNER_ROLE") or "portal_owner",
        database_owner_password=env.get("DATABASE_OWNER_PASSWORD", ""),
        database_app_role=env.get("DATABASE_APP_ROLE") or "portal_app",
        database_app_password=env.get("DATABASE_APP_PASSWORD", ""),
        var_dir=var_dir,
        host=env.get("PORTAL_HOST") or "127.0.0.1",
        port=int(env.get("PORTAL_PORT") or 8000),
        web_workers=int(env.get("PORTAL_WORKERS") or 1),
        debug=_bool("PORTAL_DEBUG", False),
        secret_key=env.get("SECRET_KEY", ""),
        base_url=(env.get("PORTAL_BASE_URL") or "").rstrip("/"),
        allowed_hosts=tuple(h.strip() for h in (env.get("PORTAL_ALLOWED_HOSTS") or "").split(",")
                            if h.strip()),
        trusted_proxies=tuple(p.strip() for p in (env.get("PORTAL_TRUSTED_PROXIES") or "")
                              .split(",") if p.strip()),
        sso_test_hosts=tuple(h.strip() for h in (env.get("PORTAL_SSO_TEST_HOSTS") or "")
                             .split(",") if h.strip()),
        smtp_url=env.get("SMTP_URL", ""),
        mail_from=env.get("MAIL_FROM") or Settings.mail_from,
        documents_root=env.get("DOCUMENTS_DIR", ""),
        max_upload_mb=int(env.get("MAX_UPLOAD_MB") or 5),
        import_max_rows=int(env.get("PORTAL_IMPORT_MAX_ROWS") or Settings.import_max_rows),
        session_idle_minutes=int(env.get("SESSION_IDLE_MINUTES") or 120),
        session_max_hours=int(env.get("SESSION_MAX_HOURS") or 12),
        search_backend=(env.get("SEARCH_BACKEND") or "embedded").strip().lower(),
        search_root=env.get("SEARCH_DIR", ""),
        meili_url=env.get("MEILI_URL", ""),
        meili_key=env.get("MEILI_KEY", ""),
        meili_index_prefix=env.get("MEILI_INDEX_PREFIX", ""),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def resolve_secret_key(settings: Settings) -> str:
    """SECRET_KEY, or for local use a random key kept under var/ so restarts keep sessions."""
    if settings.secret_key:
        return settings.secret_key
    import secrets

    path = settings.var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
