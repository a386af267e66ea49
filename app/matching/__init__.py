"""Matching experts to an open assignment request: candidates from the search engine,
re-ranked by a pure scoring module with named criteria, the shortlist and its invitations,
and the assignment a confirmed selection creates."""
