"""What a process remembers for a short while: at most `most` entries, each for `seconds`,
the least recently kept forgotten first.

The one shape of the portal's per-process shortcuts (a mission's skill suggestions, an
identity provider's metadata, the registry's counts, the candidate lists a workspace
rendered). Each is only a shortcut: a miss reads again what it stands for, so several
processes each keeping their own stay correct, and a bound keeps a process's memory from
growing with its uptime."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Kept(Generic[V]):
    def __init__(self, seconds: float, most: int) -> None:
        self.seconds, self.most = seconds, most
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        """The value kept under `key`, or None once it is older than `seconds`."""
        entry = self._entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, key: Hashable, value: V) -> None:
        self._entries[key] = (time.monotonic() + self.seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.most:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
