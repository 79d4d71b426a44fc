"""Admin for marketers: catalog with CSV import, rules, discount pools, campaigns with preview and results.

Everything is scoped to the user's shops by ``TenantScopedAdmin``; marketers and owners manage
(``MARKETING``), support sees nothing here. The extra views (imports, code generation, preview,
delay-apology set-up) look objects up through the scoped querysets, so another shop's id is a 404,
and offer only shops where the user may add. Importing the modules registers their admins.
"""

from campaigns.admin import campaigns, catalog, discounts

__all__ = ["campaigns", "catalog", "discounts"]
