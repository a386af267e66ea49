"""A web process gives back the memory its requests freed (app.web.memory): once quiet,
or now and then while busy, never while nothing was served."""

from __future__ import annotations

import asyncio
import gc
import sys
import time
import weakref
from pathlib import Path

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from app.core.templates import environment
from app.web import memory
from app.web.templating import render_blocks


def anonymous_kib() -> int:
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Anonymous:"):
            return int(line.split()[1])
    raise AssertionError("no Anonymous line")


@pytest.mark.skipif(not sys.platform.startswith("linux") or memory._trim is None,
                    reason="glibc on Linux only")
def test_release_gives_back_freed_blocks_in_the_middle_of_the_heap():
    # Blocks above pymalloc's 512 bytes come from malloc; keeping every 20th (the last
    # one too) leaves free space that is not at the heap's top, which glibc keeps.
    blocks = [bytes(2000) + bytes([i % 256]) for i in range(40_000)]
    kept = blocks[19::20]
    del blocks
    before = anonymous_kib()
    memory.release()
    after = anonymous_kib()
    assert kept  # still alive
    assert before - after > 40_000  # of the ~76 MB freed, more than 40 MB went back


@pytest.fixture
def releases(monkeypatch) -> list[float]:
    called: list[float] = []
    monkeypatch.setattr(memory, "release", lambda: called.append(1.0))
    monkeypatch.setattr(memory, "QUIET_SECONDS", 0.05)
    return called


def a_client() -> AsyncTestClient:
    @get("/", sync_to_thread=False)
    def page() -> str:
        return "ok"

    return AsyncTestClient(Litestar([page], middleware=[memory.release_memory_when_quiet]))


async def test_a_quiet_process_releases_once_after_its_requests(releases):
    async with a_client() as client:
        await asyncio.sleep(0.15)
        assert releases == []  # nothing served, nothing to give back
        for _ in range(3):
            assert (await client.get("/")).status_code == 200
        assert releases == []  # not while requests come
        await asyncio.sleep(0.15)
        assert releases == [1.0]
        await asyncio.sleep(0.15)
        assert releases == [1.0]  # once per quiet spell


async def test_a_busy_process_releases_every_busy_interval(releases, monkeypatch):
    monkeypatch.setattr(memory, "BUSY_INTERVAL", 0.1)
    monkeypatch.setattr(memory, "QUIET_SECONDS", 10.0)  # never quiet long enough
    async with a_client() as client:
        started = time.monotonic()
        for _ in range(25):
            assert (await client.get("/")).status_code == 200
            await asyncio.sleep(0.01)
        # at least one, and at most one per interval: not after every request
        assert 1 <= len(releases) <= (time.monotonic() - started) / 0.1


class Rows(list):
    """What a page renders (a list cannot be weakly referenced; this can)."""


# Macros defined in the page, imported with context, and one calling itself: each alone
# made the render a reference cycle holding the page's variables.
PAGE = ('{% from "_forms.html" import csrf with context %}'
        '{% from "experts/_status.html" import status_label %}'
        "{% macro countdown(n) %}{{ n }}{% if n %}{{ countdown(n - 1) }}{% endif %}{% endmacro %}"
        "{% block rows %}{% for row in rows %}{{ status_label(row) }} {% endfor %}{% endblock %}"
        "{{ countdown(2) }}")


@pytest.fixture
def collector_off():
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def test_a_rendered_page_leaves_its_variables_to_be_freed_at_once(collector_off):
    template = environment().from_string(PAGE)
    rows = Rows(["verified", "draft"])
    freed = weakref.ref(rows)
    assert template.render(rows=rows, csrf_token=lambda: "t") == "Verified Draft 210"
    del rows
    assert freed() is None  # no cycle waits for the collector with it


def test_a_rendered_fragment_leaves_its_variables_to_be_freed_at_once(collector_off,
                                                                         monkeypatch):
    env = environment()
    page, real = env.from_string(PAGE), env.get_template
    monkeypatch.setattr(env, "get_template",
                        lambda name, *args: page if name == "page.html" else real(name, *args))
    rows = Rows(["verified"])
    freed = weakref.ref(rows)
    assert render_blocks(env, "page.html", ["rows"],
                         {"rows": rows, "csrf_token": lambda: "t"}) == "Verified "
    del rows
    assert freed() is None


def test_a_module_imported_without_context_still_renders_after_a_page_let_go():
    env = environment()
    for rows in (["verified"], ["draft"]):  # Jinja keeps _status.html's module between them
        assert env.from_string(PAGE).render(rows=rows, csrf_token=lambda: "t") \
            == f"{'Verified' if rows == ['verified'] else 'Draft'} 210"
