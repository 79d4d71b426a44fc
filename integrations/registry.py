"""Platform code -> connector class; the services build connectors only through here."""

from integrations.base import Connector
from integrations.baselinker import BaseLinker
from integrations.shopify import Shopify
from integrations.woocommerce import WooCommerce

CONNECTORS: dict[str, type[Connector]] = {cls.platform: cls for cls in (BaseLinker, Shopify, WooCommerce)}


def connector_class(platform: str) -> type[Connector]:
    """The connector of ``platform``; KeyError for an unknown one."""
    return CONNECTORS[platform]
