"""app.core.kept.Kept: the per-process shortcuts' one shape (bounded, short-lived)."""

from app.core.kept import Kept


def test_kept_until_its_time_is_up():
    kept: Kept[str] = Kept(seconds=60, most=4)
    kept.put("a", "first")
    assert kept.get("a") == "first"
    assert kept.get("b") is None
    expired: Kept[str] = Kept(seconds=0, most=4)
    expired.put("a", "first")
    assert expired.get("a") is None


def test_the_least_recently_kept_forgotten_first():
    kept: Kept[int] = Kept(seconds=60, most=2)
    kept.put("a", 1)
    kept.put("b", 2)
    kept.put("a", 10)  # kept again: now the most recent
    kept.put("c", 3)
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (10, None, 3)
    assert len(kept) == 2
    kept.clear()
    assert kept.get("a") is None and len(kept) == 0
