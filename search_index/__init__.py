"""Search behind a small protocol (search_index.model.SearchBackend): the embedded Tantivy
backend (default, index files under var/search/) and Meilisearch. PostgreSQL stays the
source of truth; the app's sync worker (app/search) keeps the engine up to date.

This package knows nothing of the portal's domain: it indexes dictionaries, scoped by a
tenant id that every call must give."""

from search_index.model import (
    Filter,
    Hit,
    IndexSettings,
    SearchBackend,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    StagedWrites,
)

__all__ = ["Filter", "Hit", "IndexSettings", "SearchBackend", "SearchQuery", "SearchResult",
           "SearchUnavailable", "StagedWrites"]


def open_backend(kind: str, directory, meili_url: str = "", meili_key: str = "",
                 index_prefix: str = "") -> SearchBackend:
    """The backend named by SEARCH_BACKEND: 'embedded' (default) or 'meilisearch'."""
    if kind == "meilisearch":
        if not meili_url:
            raise ValueError("SEARCH_BACKEND=meilisearch needs MEILI_URL")
        from search_index.meili import MeiliSearch
        return MeiliSearch(meili_url, meili_key, index_prefix)
    if kind != "embedded":
        raise ValueError(f"SEARCH_BACKEND must be 'embedded' or 'meilisearch', not {kind!r}")
    from pathlib import Path

    from search_index.embedded import EmbeddedSearch
    return EmbeddedSearch(Path(directory))
