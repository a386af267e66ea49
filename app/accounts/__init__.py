"""People and access: users (global identities), memberships (a role in a mission), sessions,
one-time tokens, sign-in throttling, invitations and single sign-on."""
