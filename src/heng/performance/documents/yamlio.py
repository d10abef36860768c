"""Scheme files: the canonical document as YAML, and YAML back with line numbers.

Writing is deterministic (fixed key order from the document, block style, Chinese kept as
text, no line folding, numbers as the shortest exact text), so the same scheme always gives
the same bytes. Reading keeps, for every document path, the line it came from so that a
refusal can say "line 12: …"; floats are read from their *text* as exact Decimals (69.99
stays 69.99), duplicate keys are refused (PyYAML would silently keep the last one).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from django.utils.translation import gettext as _

from heng.performance.documents.model import FORMAT, Doc, Problems

HEADER = "# 衡 Heng scheme file ({format}). Import: heng scheme import FILE [--dry-run]\n"


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # repeated dicts are written out, never as &anchors


def _represent_none(dumper: yaml.SafeDumper, _value: None) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "null")


def _represent_float(dumper: yaml.SafeDumper, value: float) -> yaml.ScalarNode:
    # repr() is the shortest text that reads back as the same float: 69.99, 0.0125.
    return dumper.represent_scalar("tag:yaml.org,2002:float", repr(value))


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line text (descriptions, notes) as a literal block, as a person would write it.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(type(None), _represent_none)
_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(float, _represent_float)


def dump_document(document: Doc) -> str:
    body = yaml.dump(
        document,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    )
    return HEADER.format(format=FORMAT) + body


class _Loader(yaml.SafeLoader):
    pass


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = str(node.value).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return float("nan")  # .nan / .inf: refused later as "not a finite number"
    return value if value.is_finite() else float("nan")


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


MAX_FLOW_DEPTH = 64


def _flow_depth(text: str) -> int:
    """Deepest nesting of [ ] and { } outside quotes and comments (approximate, cheap).

    PyYAML's pure-Python parser slows down badly on thousands of nested brackets, so such
    files are refused before parsing."""
    depth = deepest = 0
    quote = ""
    comment = False
    for char in text:
        if comment:
            comment = char != "\n"
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#":
            comment = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
    return deepest


def refuse_aliases(text: str) -> None:
    """Refuse anchors and aliases (&a / *a): files never need them, and a few nested aliases
    expand into billions of nodes ("billion laughs") for anything that walks the data. Also
    refuse absurd nesting, which makes the parser crawl."""
    if _flow_depth(text) > MAX_FLOW_DEPTH:
        raise YamlProblem(1, _("The file is nested too deeply."))
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else 1
                raise YamlProblem(line, _("Anchors and aliases (&, *) are not allowed."))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlProblem(
            line,
            _("This is not valid YAML: %(reason)s") % {"reason": exc.problem or exc.context or ""},
        ) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, _("This is not valid YAML: %(reason)s") % {"reason": exc}) from None


class YamlProblem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load_document(text: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML text into plain data and a map document path → 1-based line.

    Raises :class:`YamlProblem` for text that is not a single YAML mapping.
    """
    refuse_aliases(text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlProblem(
            line,
            _("This is not valid YAML: %(reason)s") % {"reason": exc.problem or exc.context or ""},
        ) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, _("This is not valid YAML: %(reason)s") % {"reason": exc}) from None
    except RecursionError:
        raise YamlProblem(1, _("The file is nested too deeply.")) from None
    if node is None:
        raise YamlProblem(1, _("The file is empty."))
    lines: dict[str, int] = {}
    try:
        value = _build(loader, node, "", lines)
    except yaml.YAMLError as exc:
        raise YamlProblem(1, _("This is not valid YAML: %(reason)s") % {"reason": exc}) from None
    except RecursionError:
        raise YamlProblem(1, _("The file is nested too deeply.")) from None
    finally:
        loader.dispose()
    return value, lines


def _build(loader: _Loader, node: yaml.Node, path: str, lines: dict[str, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                raise YamlProblem(key_node.start_mark.line + 1, _("A key must be plain text."))
            if key in out:
                raise YamlProblem(
                    key_node.start_mark.line + 1,
                    _("The key %(key)s appears twice.") % {"key": repr(key)},
                )
            child = f"{path}.{key}" if path else str(key)
            out[key] = _build(loader, value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, f"{path}[{i}]", lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def line_finder(lines: dict[str, int]) -> Callable[[str], int]:
    """The line of a path, or of its nearest ancestor that the file has."""

    def find(path: str) -> int:
        current = path
        while current:
            if current in lines:
                return lines[current]
            cut = max(current.rfind("."), current.rfind("["))
            current = current[:cut] if cut > 0 else ""
        return lines.get("", 1)

    return find


def parse_text(text: str, problems: Problems) -> tuple[Doc | None, Callable[[str], int]]:
    """YAML text → canonical document (or None) with problems and a line finder."""
    from heng.performance.documents.parse import parse_document

    try:
        raw, lines = load_document(text)
    except YamlProblem as exc:
        problems.add("", "yaml_invalid", exc.message)
        line = exc.line
        return None, lambda _path: line
    return parse_document(raw, problems), line_finder(lines)
