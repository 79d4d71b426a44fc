"""Tenants: shops, their members and roles, API keys; the tenant-scoped admin base class."""
