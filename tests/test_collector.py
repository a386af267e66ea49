"""The garbage collector's settings a started web process runs with (app.core.collector)."""

from __future__ import annotations

import gc

from app.core.collector import YOUNG_THRESHOLD, settle_after_start


def test_a_started_process_freezes_what_start_up_made_and_collects_the_young_less_often():
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    try:
        kept = [[]]  # a container alive when the process settles
        settle_after_start()
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > frozen
        assert not any(obj is kept for obj in gc.get_objects())  # frozen: never scanned
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
