"""A web process gives the memory its requests freed back to the system.

Measured at 100,000 experts (bench/load.py, two web processes): after the page mix each
process was resident at ~285 MB, though its live Python objects had grown by ~15 MB
since start (~150 MB). The rest was memory already freed but kept by glibc's allocator:
the matching workspace, search as you type and the registry allocate tens of MB per
request in large blocks (the engine's documents, result rows, rendered pages), in the
main thread's heap and in the heaps of the threads the embedded engine searches in, and
glibc hands back to the system only the free space at a heap's very top. Garbage in
reference cycles (a request's objects, with their rows and documents) also waited for
the collector's next full pass, which the freeze at start and the raised threshold make
rare (app/core/collector.py); the largest, a rendered page's, no longer is one
(app/core/templates.render_context).

release(): collect the cycles, then malloc_trim(0), which returns every free page of
every heap. It costs a few ms (~5 ms to return 200 MB, under 1 ms when there is little),
so a process does it when it has been quiet for QUIET_SECONDS, and while requests keep
coming without a pause, after a request that ends at least BUSY_INTERVAL after the last
release. What the next burst needs it takes again from the system (page faults: some
ms per 100 MB)."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import time
from collections.abc import Callable

from litestar.types import ASGIApp, Receive, Scope, Send

QUIET_SECONDS = 1.0
BUSY_INTERVAL = 10.0


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim; None elsewhere (musl, macOS), where release() only collects."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    return getattr(ctypes.CDLL(name), "malloc_trim", None)


_trim = _malloc_trim()


def release() -> None:
    """Free the cycles waiting for the collector and give the allocator's free pages back."""
    gc.collect()
    if _trim is not None:
        _trim(0)


class _Releaser:
    """Counts the requests in flight and calls release() when the process is quiet, or
    now and then while it is not."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.served_since_release = 0
        self.last_end = self.last_release = time.monotonic()
        self.waiting: asyncio.TimerHandle | None = None

    def ended(self) -> None:
        self.in_flight -= 1
        self.served_since_release += 1
        self.last_end = time.monotonic()
        if self.last_end - self.last_release >= BUSY_INTERVAL:
            self.release()
        elif self.in_flight == 0 and self.waiting is None:
            self.waiting = asyncio.get_running_loop().call_later(QUIET_SECONDS, self.when_quiet)

    def when_quiet(self) -> None:
        self.waiting = None
        if self.in_flight or not self.served_since_release:
            return  # the request in flight schedules it again when it ends
        quiet_for = time.monotonic() - self.last_end
        if quiet_for < QUIET_SECONDS:  # a request came and went meanwhile
            self.waiting = asyncio.get_running_loop().call_later(QUIET_SECONDS - quiet_for,
                                                                 self.when_quiet)
            return
        self.release()

    def release(self) -> None:
        release()
        self.served_since_release = 0
        self.last_release = time.monotonic()


def release_memory_when_quiet(app: ASGIApp) -> ASGIApp:
    """Litestar middleware (outermost): every HTTP request counts, pages and static files
    alike."""
    releaser = _Releaser()

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        releaser.in_flight += 1
        try:
            await app(scope, receive, send)
        finally:
            releaser.ended()

    return middleware
