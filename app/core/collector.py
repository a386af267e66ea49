"""Python's cyclic garbage collector, paused during bulk work.

An import or an index build holds hundreds of thousands of live objects (rows, records,
documents); the collector's passes walk all of them again and again while they are being
made (measured: 12 s of a 20,000-row import's 32 s from file to searchable). Paused, objects
are still freed by reference counting as usual; only cycles made meanwhile wait for the
collector, which runs again when the outermost pause ends.

A web process, once started, leaves what start-up made out of the collector's passes and
collects its young objects less often (settle_after_start)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()  # a pause inside a pause leaves it to the outer one
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# Allocations of container objects (net of those freed) between two collections of the
# youngest generation; Python's default is 700. A match makes tens of thousands that live
# until it ends (the engine's documents, the pool's facts): at 700 that was about ten
# collections of the young and one of the middle generation a match, walking the same live
# objects each time.
YOUNG_THRESHOLD = 10_000


def settle_after_start() -> None:
    """What start-up allocated lives as long as the process: leave it out of the
    collector's full passes (they were most of the matching page's p95), and collect the
    young generation every YOUNG_THRESHOLD allocations rather than 700."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
