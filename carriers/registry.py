"""Which carriers exist: adapters register themselves; callers look them up by code.

Every module in the `carriers` package other than the infrastructure modules below is imported on
first lookup, so adding a carrier is adding a module with an `@register`-ed adapter class.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading

import httpx

from carriers.base import CarrierAdapter
from carriers.types import CarrierConfig

# Modules of this package that are not adapters (importing the simulator would be wasted work).
_INFRASTRUCTURE = frozenset({"types", "base", "registry", "detection", "phrases", "push", "simulator"})

_adapters: dict[str, type[CarrierAdapter]] = {}
_loaded = False
_load_lock = threading.Lock()


class UnknownCarrier(KeyError):
    """No adapter is registered under this carrier code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        known = ", ".join(sorted(_adapters)) or "none"
        return f"unknown carrier code {self.code!r} (known: {known})"


def register[AdapterT: type[CarrierAdapter]](adapter: AdapterT) -> AdapterT:
    """Class decorator adding an adapter under its `code`; a second class with the same code is an error."""
    code = getattr(adapter, "code", "")
    if not code or not getattr(adapter, "name", ""):
        raise TypeError(f"{adapter.__qualname__} needs non-empty `code` and `name` class attributes")
    existing = _adapters.get(code)
    if existing is not None and existing is not adapter:
        raise ValueError(f"carrier code {code!r} is already registered by {existing.__qualname__}")
    _adapters[code] = adapter
    return adapter


def _load_builtin_adapters() -> None:
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if _loaded:
            return
        package = importlib.import_module("carriers")
        for module in pkgutil.iter_modules(package.__path__):
            if module.name not in _INFRASTRUCTURE and not module.name.startswith("_"):
                importlib.import_module(f"carriers.{module.name}")
        _loaded = True


def adapter_class(code: str) -> type[CarrierAdapter]:
    """The adapter class registered under `code`; raises UnknownCarrier."""
    _load_builtin_adapters()
    try:
        return _adapters[code]
    except KeyError:
        raise UnknownCarrier(code) from None


def carrier_codes() -> list[str]:
    """All registered carrier codes, sorted."""
    _load_builtin_adapters()
    return sorted(_adapters)


def carrier_choices() -> list[tuple[str, str]]:
    """(code, display name) pairs sorted by display name, for forms and admin filters."""
    _load_builtin_adapters()
    return sorted(((code, cls.name) for code, cls in _adapters.items()), key=lambda pair: pair[1].casefold())


def build_adapter(code: str, *, config: CarrierConfig, client: httpx.Client) -> CarrierAdapter:
    """An adapter instance for `code` using the given settings and HTTP client."""
    return adapter_class(code)(config=config, client=client)
