"""The one Jinja2 sandbox every shop-edited template renders in, bounded in size and time.

``SandboxedEnvironment`` stops attribute escapes but not resource abuse: ``{{ name * 10**8 }}``
allocates gigabytes, ``{{ 9**(9**9) }}`` never returns, nested loops run for minutes. Here every
way a value can grow is checked BEFORE it is computed, and the render has a deadline:

* all binary operators are intercepted (which also stops Jinja from folding them at compile time):
  repetition and ``+`` may not build a value over the output cap, ``*``/``**`` on integers may not
  build one over :data:`MAX_INT_BITS`; ``%`` string formatting and ``str.format`` are not offered;
* ``~`` concatenation, calls and filters check the size of what they build; only a short list of
  filters and of ``str`` methods exists, none of which can pad or repeat;
* ``range`` is capped, and every ``for`` loop goes through an iterator that checks the deadline;
* macros, call/filter/set blocks and recursive loops (which buffer output out of sight) are refused;
* output is generated piece by piece and stops past the cap; the deadline is checked in every call,
  operator, attribute lookup and loop step (no signals or threads).

Every failure, of any kind, comes out of :func:`sandbox_render` as a ``jinja2.TemplateError``, so
callers show it as a form error (save, preview) or fall back to the file template (send time).

Limits come from settings read at render time: ``SHOP_TEMPLATE_MAX_OUTPUT`` (characters, default
100 000), ``SHOP_TEMPLATE_MAX_RANGE`` (default 1 000) and ``SHOP_TEMPLATE_RENDER_SECONDS`` (default 1).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from functools import cache, wraps
from typing import Any

from django.conf import settings
from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.filters import FILTERS
from jinja2.runtime import LoopContext
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer

# No snippet needs numbers longer than this; multiplying or raising beyond it is refused up front.
MAX_INT_BITS = 4096

# Filters that can neither pad nor repeat (join and replace are re-implemented with a size estimate).
SAFE_FILTERS = [
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "e",
    "escape",
    "first",
    "float",
    "int",
    "last",
    "length",
    "list",
    "lower",
    "max",
    "min",
    "reverse",
    "round",
    "sort",
    "string",
    "striptags",
    "title",
    "trim",
    "truncate",
    "unique",
    "upper",
    "wordcount",
]

# str methods whose result is never longer than the string (no ljust/center/zfill/expandtabs/format/join).
SAFE_STR_METHODS = frozenset(
    [
        "capitalize",
        "casefold",
        "count",
        "endswith",
        "find",
        "isalnum",
        "isalpha",
        "isdigit",
        "islower",
        "isspace",
        "istitle",
        "isupper",
        "lower",
        "lstrip",
        "partition",
        "removeprefix",
        "removesuffix",
        "rfind",
        "rpartition",
        "rsplit",
        "rstrip",
        "split",
        "splitlines",
        "startswith",
        "strip",
        "swapcase",
        "title",
        "upper",
    ]
)
SAFE_DICT_METHODS = frozenset({"get", "items", "keys", "values"})

# Statements that buffer output outside the streamed, capped top level, or recurse.
REFUSED_STATEMENTS: dict[type[nodes.Node], str] = {
    nodes.Macro: "macro",
    nodes.CallBlock: "call",
    nodes.FilterBlock: "filter",
    nodes.AssignBlock: "set … endset",
    nodes.Block: "block",
    nodes.Extends: "extends",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from … import",
}


class TemplateLimitExceeded(SecurityError):
    """A shop template went past a size, range or time limit."""


_deadline: ContextVar[float | None] = ContextVar("shop_template_deadline", default=None)


def _max_output() -> int:
    return int(getattr(settings, "SHOP_TEMPLATE_MAX_OUTPUT", 100_000))


def _tick() -> None:
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise TemplateLimitExceeded("The template takes too long to render.")


def _size(value: Any, limit: int) -> int:
    """Roughly how many characters ``value`` prints as; stops counting once past ``limit``."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, int):
        return value.bit_length() // 3 + 1
    if isinstance(value, range):
        return len(value)
    if isinstance(value, Mapping):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list | tuple | set | frozenset):
        total = len(value)
        for item in value:
            if total > limit:
                break
            total += _size(item, limit - total)
        return total
    return 1


def _check_size(value: Any) -> Any:
    limit = _max_output()
    if _size(value, limit) > limit:
        raise TemplateLimitExceeded(f"The template builds a value longer than {limit} characters.")
    return value


def _refuse_size(estimate: int) -> None:
    limit = _max_output()
    if estimate > limit:
        raise TemplateLimitExceeded(f"The template builds a value longer than {limit} characters.")


def _is_sequence(value: Any) -> bool:
    return isinstance(value, str | list | tuple)


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be too big, before computing it."""
    limit = _max_output()
    ints = isinstance(left, int) and isinstance(right, int)
    if operator == "*":
        if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise TemplateLimitExceeded("The template multiplies numbers that are too big.")
        for sequence, times in ((left, right), (right, left)):
            if _is_sequence(sequence) and isinstance(times, int):
                _refuse_size(_size(sequence, limit) * max(times, 0))
    elif operator == "**":
        if ints and right > 0 and abs(left) > 1 and left.bit_length() * right > MAX_INT_BITS:
            raise TemplateLimitExceeded("The template raises a number to too high a power.")
    elif operator == "+":
        if _is_sequence(left) and _is_sequence(right):
            _refuse_size(_size(left, limit) + _size(right, limit))
    elif operator == "%" and isinstance(left, str):
        raise SecurityError("String formatting with % is not available in shop templates.")


def bounded_range(*args: int) -> range:
    """``range`` capped at ``SHOP_TEMPLATE_MAX_RANGE`` items."""
    numbers = range(*args)
    cap = int(getattr(settings, "SHOP_TEMPLATE_MAX_RANGE", 1_000))
    if len(numbers) > cap:
        raise TemplateLimitExceeded(f"range() may produce at most {cap} numbers.")
    return numbers


def bounded_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    """What every ``for`` loop iterates: the same items, with the deadline checked at each step."""
    for item in iterable:
        _tick()
        yield item


def bounded_concat(parts: list[Any]) -> str:
    """``a ~ b ~ …`` after checking that the result stays under the output cap."""
    limit = _max_output()
    _refuse_size(sum(_size(part, limit) for part in parts))
    return "".join(str(part) for part in parts)


def _filter_join(value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    if attribute is not None:
        raise SecurityError("join(attribute=…) is not available in shop templates.")
    items = [str(_check_size(item)) for item in value]
    _refuse_size(sum(len(item) for item in items) + max(len(items) - 1, 0) * len(str(d)))
    return str(d).join(items)


def _filter_replace(s: Any, old: str, new: str, count: int | None = None) -> str:
    text, old, new = str(s), str(old), str(new)
    occurrences = text.count(old) if old else len(text) + 1
    if count is not None:
        occurrences = min(occurrences, max(count, 0))
    _refuse_size(len(text) + occurrences * max(len(new) - len(old), 0))
    return text.replace(old, new, -1 if count is None else count)


def _bounded_filter(function: Any) -> Any:
    @wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        return _check_size(function(*args, **kwargs))

    return bounded


class _Bounder(NodeTransformer):
    """Rewrites a parsed template: loops and concatenations through the bounded helpers."""

    def generic_visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> nodes.Node:
        for refused, tag in REFUSED_STATEMENTS.items():
            if isinstance(node, refused):
                raise SecurityError(f"{{% {tag} %}} is not available in shop templates (line {node.lineno}).")
        if isinstance(node, nodes.For) and node.recursive:
            raise SecurityError(f"Recursive loops are not available in shop templates (line {node.lineno}).")
        node = super().generic_visit(node, *args, **kwargs)
        if isinstance(node, nodes.For):
            node.iter = _helper_call("bounded_iter", node.iter, lineno=node.lineno)
        elif isinstance(node, nodes.Concat):
            return _helper_call("bounded_concat", nodes.List(node.nodes, lineno=node.lineno), lineno=node.lineno)
        return node


def _helper_call(name: str, argument: nodes.Expr, *, lineno: int) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name), [argument], [], None, None, lineno=lineno)


class BoundedSandbox(SandboxedEnvironment):
    """A SandboxedEnvironment bounded in value size, loop length and render time (see module doc)."""

    intercepted_binops = frozenset(SandboxedEnvironment.default_binop_table)

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=_check_size, **options)
        self.globals.clear()
        self.globals["range"] = bounded_range
        self.filters = {name: _bounded_filter(FILTERS[name]) for name in SAFE_FILTERS}
        self.filters["join"] = _bounded_filter(_filter_join)
        self.filters["replace"] = _bounded_filter(_filter_replace)
        self.bounded_iter = bounded_iter
        self.bounded_concat = bounded_concat

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        template = _Bounder().visit(super()._parse(source, name, filename))
        template.set_environment(self)
        return template

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if isinstance(obj, str):
            return attr in SAFE_STR_METHODS
        if isinstance(obj, Mapping):
            return attr in SAFE_DICT_METHODS
        return isinstance(obj, LoopContext)

    def wrap_str_format(self, value: Any) -> None:
        # str.format pads without limit ("{:>999999999}"); it is simply not offered.
        return None

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        return _check_size(super().call(__context, __obj, *args, **kwargs))


@cache
def shop_sandbox() -> BoundedSandbox:
    """The sandbox of shop-edited text: no autoescaping (callers escape), unknown names are errors."""
    return BoundedSandbox(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)


def sandbox_render(source: str, context: Mapping[str, Any]) -> str:
    """Render shop-edited ``source`` with ``context`` within the limits; any failure is a TemplateError."""
    limit = _max_output()
    seconds = float(getattr(settings, "SHOP_TEMPLATE_RENDER_SECONDS", 1.0))
    token = _deadline.set(time.monotonic() + seconds)
    try:
        pieces, length = [], 0
        for piece in shop_sandbox().from_string(source).generate(dict(context)):
            length += len(piece)
            if length > limit:
                raise TemplateLimitExceeded(f"The template produces more than {limit} characters.")
            pieces.append(piece)
        return "".join(pieces)
    except TemplateError:
        raise
    # Anything else (ZeroDivisionError, OverflowError, RecursionError, MemoryError …) is a template error too.
    except Exception as error:
        raise TemplateError(f"The template cannot be rendered: {type(error).__name__}: {error}") from error
    finally:
        _deadline.reset(token)
