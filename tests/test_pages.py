"""The public pages, mission resolution, languages, errors, CSRF and security headers."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Redirect
from sqlalchemy import text

from app.core.errors import FormErrors
from app.matching.shortlist import ShortlistRefused
from app.web.flash import FLASH_COOKIE, flash
from app.web.security import HEADERS
from tenants import directory
from tenants.provisioning import set_tenant_status
from tests.conftest import csrf_token, speak
from tests.html import select_text


async def test_landing_lists_active_missions(client):
    r = await client.get("/")
    assert r.status_code == 200
    assert 'href="/sudan/"' in r.text and 'href="/mozambique/"' in r.text
    assert 'dir="ltr"' in r.text


async def test_mission_home_speaks_the_mission_default_language(client):
    sudan = await client.get("/sudan/")
    assert sudan.status_code == 200
    assert '<html lang="ar" dir="rtl">' in sudan.text
    assert "إدارة المياه" in sudan.text  # a sector, in Arabic
    assert "UNODC" in sudan.text  # a partner agency from the mission file
    mozambique = await client.get("/mozambique/")
    assert '<html lang="pt" dir="ltr">' in mozambique.text
    assert "Gestão da água" in mozambique.text
    assert "Procuradoria-Geral da República" in mozambique.text
    assert "UNODC" not in mozambique.text


async def test_unknown_mission_is_a_404_page(client):
    r = await client.get("/atlantis/")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
    assert "<h1>" in r.text and "Traceback" not in r.text


async def test_no_route_is_a_404_page_in_the_chosen_language(client):
    speak(client, "ar")
    r = await client.get("/sudan/no/such/page")
    speak(client, None)
    assert r.status_code == 404
    assert 'dir="rtl"' in r.text


async def test_suspended_mission_is_404_until_reactivated(client, session_factory):
    async with session_factory() as db:
        await set_tenant_status(db, "mozambique", "suspended")
    try:
        assert (await client.get("/mozambique/")).status_code == 404
        assert (await client.get("/mozambique/partners")).status_code == 404
        assert 'href="/mozambique/"' not in (await client.get("/")).text
    finally:
        async with session_factory() as db:
            await set_tenant_status(db, "mozambique", "active")
    assert (await client.get("/mozambique/")).status_code == 200


async def test_partner_pages(client):
    listing = await client.get("/sudan/partners")
    assert listing.status_code == 200
    assert "National Committee to Combat Human Trafficking" in listing.text


async def test_language_choice_is_remembered(client):
    token = await csrf_token(client, "/sudan/")
    r = await client.post("/lang", data={"lang": "en", "next": "/sudan/", "_csrf_token": token},
                          follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sudan/"
    assert r.cookies.get("lang") == "en"
    page = await client.get("/sudan/")
    assert '<html lang="en" dir="ltr">' in page.text
    assert "Water management" in page.text
    # English is offered by Mozambique too; French is not offered by Sudan: its default wins.
    assert '<html lang="en"' in (await client.get("/mozambique/")).text
    await client.post("/lang", data={"lang": "fr", "next": "/", "_csrf_token": token})
    assert '<html lang="ar"' in (await client.get("/sudan/")).text
    assert '<html lang="fr"' in (await client.get("/")).text
    client.cookies.delete("lang")


async def test_landing_follows_accept_language_without_a_choice(client):
    client.cookies.delete("lang")
    r = await client.get("/", headers={"accept-language": "pt-BR,pt;q=0.9,en;q=0.8"})
    assert '<html lang="pt"' in r.text


async def test_language_switch_refuses_bad_input(client):
    token = await csrf_token(client)
    bad = await client.post("/lang", data={"lang": "xx", "next": "/", "_csrf_token": token})
    assert bad.status_code == 400
    assert "Unknown language" in bad.text
    evil = await client.post("/lang", data={"lang": "en", "next": "//evil.example/",
                                            "_csrf_token": token}, follow_redirects=False)
    assert evil.headers["location"] == "/"
    client.cookies.delete("lang")


async def test_form_post_without_csrf_token_is_refused(client):
    await client.get("/")
    r = await client.post("/lang", data={"lang": "en", "next": "/"})
    assert r.status_code == 403
    assert "form had expired" in r.text


async def test_security_headers_on_pages_and_errors(client):
    for path in ("/", "/sudan/", "/no-such-mission/", "/static/css/portal.css"):
        r = await client.get(path)
        for name, value in HEADERS.items():
            assert r.headers.get(name) == value, (path, name)
    assert "'unsafe-inline'" not in HEADERS["Content-Security-Policy"]


async def test_pages_carry_no_inline_script(client):
    for path in ("/", "/sudan/", "/mozambique/partners"):
        text = (await client.get(path)).text
        assert "<script>" not in text and "onclick" not in text and "style=" not in text


async def test_healthz_reports_database_and_migrations(client):
    r = await client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["database"] == "ok"
    assert body["migrations"]["at_head"] is True
    assert body["migrations"]["current"] == body["migrations"]["head"]


async def test_unexpected_error_is_a_plain_500_page(app, client):
    @get("/boom-for-test", sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("secret internals")

    app.register(boom)
    r = await client.get("/boom-for-test")
    assert r.status_code == 500
    assert "secret internals" not in r.text and "Traceback" not in r.text
    assert "Something went wrong" in r.text


async def test_a_refusal_no_controller_shows_is_a_page_with_its_status(app, client):
    """The one handler of app/web/errors.py: any Refusal a controller does not show next to
    a field becomes a page with its message and status (409, 422, ...), never a 500."""
    @get("/refused-for-test", sync_to_thread=False)
    def refused() -> None:
        raise ShortlistRefused("This is not possible at this stage.")

    @get("/form-refused-for-test", sync_to_thread=False)
    def form_refused() -> None:
        raise FormErrors({"name": "Enter a name."})

    app.register(refused)
    app.register(form_refused)
    r = await client.get("/refused-for-test")
    assert r.status_code == 409
    assert select_text(r.text, ".error-detail") == "This is not possible at this stage."
    r = await client.get("/form-refused-for-test")
    assert r.status_code == 422 and "Enter a name." in r.text


async def test_a_mission_change_in_this_process_is_seen_at_once(client, session_factory):
    """The cached mission list (tenants/directory.py) follows a suspension made here."""
    assert (await client.get("/mozambique/")).status_code == 200  # cached now
    async with session_factory() as db:
        await set_tenant_status(db, "mozambique", "suspended")
    try:
        assert (await client.get("/mozambique/")).status_code == 404
    finally:
        async with session_factory() as db:
            await set_tenant_status(db, "mozambique", "active")
    assert (await client.get("/mozambique/")).status_code == 200


async def test_another_process_change_is_seen_once_the_cache_ages(client, session_factory,
                                                                  monkeypatch):
    """A change no hook in this process heard of (another web process, a shell command) is
    seen once the cached list is older than MAX_AGE_SECONDS."""
    assert (await client.get("/mozambique/")).status_code == 200
    suspend = text("UPDATE tenants SET status = :status WHERE slug = 'mozambique'")
    async with session_factory() as db:
        await db.execute(suspend, {"status": "suspended"})
        await db.commit()
    try:
        assert (await client.get("/mozambique/")).status_code == 200  # still cached
        monkeypatch.setattr(directory, "MAX_AGE_SECONDS", 0.0)
        assert (await client.get("/mozambique/")).status_code == 404
    finally:
        async with session_factory() as db:
            await db.execute(suspend, {"status": "active"})
            await db.commit()
    assert (await client.get("/mozambique/")).status_code == 200


async def test_htmx_library_is_served(client):
    r = await client.get("/static/vendor/htmx.min.js")
    assert r.status_code == 200 and "htmx" in r.text[:2000]


async def test_flash_message_shows_once_and_resists_tampering(app, client):
    @get("/flash-for-test", sync_to_thread=False)
    def set_flash(request: Request) -> Redirect:
        return flash(request, Redirect("/"), "success", "Saved <b>well</b>")

    app.register(set_flash)
    first = await client.get("/flash-for-test")  # follows the redirect to /
    assert 'class="flash flash-success"' in first.text
    assert "Saved &lt;b&gt;well&lt;/b&gt;" in first.text  # escaped
    assert "flash-success" not in (await client.get("/")).text  # shown once
    client.cookies.set(FLASH_COOKIE, "W3sibGV2ZWwiOiAiZXJyb3IiLCAibWVzc2FnZSI6ICJIYWNrZWQifV0=.bad")
    assert "Hacked" not in (await client.get("/")).text
    client.cookies.delete(FLASH_COOKIE)


async def test_links_are_never_built_from_a_forged_host(client, missions):
    """Links in mail are built from the request's host: a forged Host header must not
    make a password-reset link point at the attacker's site."""
    token = await csrf_token(client, "/sudan/password/forgot")
    r = await client.post("/sudan/password/forgot", headers={"host": "evil.example"},
                          data={"email": "admin@sudan.demo", "_csrf_token": token})
    assert r.status_code == 400
