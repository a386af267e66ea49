"""Search behind a small protocol: the embedded Tantivy backend (default) and Meilisearch.
Arrives with the matching issue; PostgreSQL stays the source of truth."""
