"""The SSRF-safe httpx transport, re-exported for the API's webhook sender (it lives in ``config.ssrf``)."""

from config.ssrf import BlockedDestination, Resolver, SafeTransport, address_refusal, system_resolver

__all__ = ["BlockedDestination", "Resolver", "SafeTransport", "address_refusal", "system_resolver"]
