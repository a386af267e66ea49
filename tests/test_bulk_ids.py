"""Ids and secrets made many at once for bulk writes (a roster import): a batch's ids ascend
and no two repeat; tokens are as new_token makes them, each different."""

from __future__ import annotations

import uuid

from app.core.tokens import hash_token, new_token, new_tokens
from app.db.bulk import ascending_ids


def test_a_batch_s_ids_ascend_as_version_7_uuids_and_never_repeat():
    first, second = ascending_ids(5000), ascending_ids(3)
    ids = [uuid.UUID(str(i)) for i in (*first, *second)]
    assert len(set(ids)) == len(ids) == 5003
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert [str(i) for i in first] == sorted(str(i) for i in first)
    assert ascending_ids(0) == []


def test_tokens_made_together_are_like_one_made_alone_and_all_different():
    alone, _ = new_token()
    made = new_tokens(1000)
    assert len({token for token, _ in made}) == 1000
    assert all(len(token) == len(alone) == 43 and digest == hash_token(token)
               for token, digest in made)
    assert new_tokens(0) == []
