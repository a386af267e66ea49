"""The search engine the settings name, for the web app, the job worker and the command
line alike."""

from __future__ import annotations

from app.config import Settings
from search_index import SearchBackend, open_backend


def search_backend(settings: Settings) -> SearchBackend:
    return open_backend(settings.search_backend, settings.search_dir, settings.meili_url,
                        settings.meili_key, settings.meili_index_prefix)
