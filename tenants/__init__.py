"""Tenancy: the Tenant model, resolution from the URL, the request-scoped context,
row-level security helpers and mission provisioning (missions/*.toml)."""
