"""Issue 20: light pages on a slow link: pages, CSS and scripts travel compressed, static
files are cached long under URLs stamped with their content, and a main page stays small."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from app.config import PROJECT_ROOT
from app.core.templates import static_url
from app.web.security import NO_STORE
from tests.html import parse


def _static_refs(body: str) -> list[str]:
    tree = parse(body)
    return ([n.attributes.get("href") or "" for n in tree.css("link[href]")]
            + [n.attributes.get("src") or "" for n in tree.css("script[src]")])


async def test_a_page_is_sent_gzip_compressed_when_asked_and_still_not_stored(client):
    r = await client.get("/sudan/", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in r.headers.get("vary", "").lower()
    assert r.headers["cache-control"] == NO_STORE
    assert "<html" in r.text  # the client decoded it
    # and worth it: the page shrinks to well under half
    assert len(gzip.compress(r.content)) < len(r.content) / 2


async def test_brotli_when_the_browser_takes_it(client):
    r = await client.get("/static/css/portal.css", headers={"Accept-Encoding": "br"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "br"


async def test_without_accept_encoding_nothing_is_compressed(client):
    r = await client.get("/sudan/", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in r.headers


@pytest.mark.parametrize("path", ["css/portal.css", "vendor/htmx.min.js"])
async def test_css_and_scripts_compressed_and_cached_long_under_a_stamped_url(client, path):
    url = static_url(path)
    digest = hashlib.sha256((PROJECT_ROOT / "static" / path).read_bytes()).hexdigest()[:12]
    assert url == f"/static/{path}?v={digest}"
    r = await client.get(url, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert "max-age=31536000" in r.headers["cache-control"]
    assert "no-store" not in r.headers["cache-control"]


async def test_an_unstamped_static_url_is_cached_briefly(client):
    r = await client.get("/static/css/portal.css")
    assert r.headers["cache-control"] == "public, max-age=3600"
    missing = await client.get("/static/css/nothing.css?v=1")
    assert missing.status_code == 404
    assert "max-age=31536000" not in missing.headers.get("cache-control", "")


def test_a_changed_file_gets_a_new_url(tmp_path, monkeypatch):
    from app.core import templates
    (tmp_path / "a.css").write_text("body{}")
    monkeypatch.setattr(templates, "STATIC_DIR", tmp_path)
    first = static_url("a.css")
    (tmp_path / "a.css").write_text("body{color:red}")
    assert static_url("a.css") != first
    assert static_url("../pyproject.toml") == "/static/../pyproject.toml"  # no stamp outside


@pytest.mark.parametrize("path", ["/sudan/", "/mozambique/", "/sudan/sign-in",
                                  "/sudan/institutions/apply", "/"])
async def test_main_pages_refer_to_stamped_static_files_and_stay_small(client, path):
    r = await client.get(path)
    assert r.status_code == 200
    refs = _static_refs(r.text)
    assert refs and all("?v=" in ref for ref in refs if ref.startswith("/static/")), refs
    assert len(r.content) < 100 * 1024


@pytest.mark.parametrize("path", ["/sudan/", "/mozambique/", "/sudan/sign-in",
                                  "/sudan/institutions/apply"])
async def test_first_visit_under_30_kb_next_under_10_kb_and_nothing_from_another_host(
        client, path):
    """Bytes on the wire with brotli: the page and its static files on the first visit; the
    page alone on the next, its static files cached under the same stamped URLs."""
    br = {"Accept-Encoding": "br, gzip"}
    r = await client.get(path, headers=br)
    tree = parse(r.text)
    refs = ([n.attributes.get("src") or "" for n in tree.css("[src]")]
            + [n.attributes.get("href") or "" for n in tree.css("link[href]")])
    assert all(ref.startswith("/") and not ref.startswith("//") for ref in refs), refs
    page_bytes = r.num_bytes_downloaded
    static_bytes = 0
    for ref in refs:
        static = await client.get(ref, headers=br)
        assert static.status_code == 200
        static_bytes += static.num_bytes_downloaded
    assert page_bytes + static_bytes < 30 * 1024, (page_bytes, static_bytes)
    assert 0 < page_bytes < 10 * 1024
    assert page_bytes < len(r.content) / 2, (page_bytes, len(r.content))  # counted compressed
